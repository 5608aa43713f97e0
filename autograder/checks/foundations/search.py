"""Hidden checks of 00 Foundations: hyper-parameter search (log-uniform sampling, grid, random and
coarse-to-fine search), checked through an objective that records its calls."""
import copy
import math

import numpy as np

from autograder.checks._common import assert_array, call, fail, fresh_rng, passed, unpack
from autograder.checks.foundations._shared import SIGMAS, number
from autograder.reference import foundations as reference


def _uniformity(u, bins=10):
    """Largest deviation of the bin fractions of ``u`` in [0, 1] from 1 / bins, and its tolerance."""
    counts = np.histogram(np.clip(u, 0, 1), bins=bins, range=(0, 1))[0]
    p = 1 / bins
    return float(np.max(np.abs(counts / len(u) - p))), SIGMAS * math.sqrt(p * (1 - p) / len(u))


def _check_scale(name, values, low, high, scale, what):
    """Fail unless ``values`` lie in [low, high] and are uniform on the given scale."""
    values = np.asarray(values, dtype=np.float64)
    if np.any(values < low * (1 - 1e-12)) or np.any(values > high * (1 + 1e-12)):
        fail(name, f"{what}: values outside [low, high] = [{low:.4g}, {high:.4g}] (from {values.min():.4g} to "
                   f"{values.max():.4g})")
    log_u = (np.log(values) - math.log(low)) / (math.log(high) - math.log(low)) if low > 0 else None
    linear_u = (values - low) / (high - low)
    deviation, tolerance = _uniformity(log_u if scale == "log" else linear_u)
    if deviation > tolerance:
        if scale == "log" and _uniformity(linear_u)[0] <= tolerance:
            fail(name, f"{what}: the values are uniform on [low, high]; on a log scale the EXPONENT is uniform: "
                       "exp(rng.uniform(log(low), log(high)))")
        if scale == "linear" and log_u is not None and _uniformity(log_u)[0] <= tolerance:
            fail(name, f"{what}: the values are log-uniform, but a \"linear\" dimension is uniform on [low, high]")
        fail(name, f"{what}: the values are not uniform on a {scale} scale between low and high")


def check_sample_log_uniform(sample_log_uniform, seed=None):
    """Check ``sample_log_uniform(low, high, size, rng) -> array (size,)``."""
    name = "sample_log_uniform"
    rng, seed = fresh_rng(seed)
    for _ in range(2):
        low = 10 ** float(rng.uniform(-6, -2))
        high = low * 10 ** float(rng.uniform(2, 5))
        draw_seed = int(rng.integers(2**31 - 1))
        samples = call(name, sample_log_uniform, low, high, 20000, np.random.default_rng(draw_seed))
        assert_array(name, samples, (20000,), "the samples")
        again = call(name, sample_log_uniform, low, high, 20000, np.random.default_rng(draw_seed))
        if not np.array_equal(samples, again):
            fail(name, "two generators with the same seed gave different samples: draw from the rng argument")
        other = call(name, sample_log_uniform, low, high, 20000, np.random.default_rng(draw_seed + 1))
        if np.array_equal(samples, other):
            fail(name, "generators with different seeds gave the same samples: draw from the rng argument")
        _check_scale(name, samples, low, high, "log", f"low={low:.3g}, high={high:.3g}")
    one = call(name, sample_log_uniform, 0.5, 2.0, 1, np.random.default_rng(0))
    assert_array(name, one, (1,), "the samples for size=1")
    passed(name, 3, seed)


class _RecordingObjective:
    """An objective that remembers every config it saw and scores it from a fixed random table."""

    def __init__(self, rng, score_of=None):
        self.calls, self.rng, self.score_of, self.table = [], rng, score_of, {}

    @staticmethod
    def key(config):
        return tuple(sorted((k, v if isinstance(v, str) else tuple(np.ravel(np.asarray(v, dtype=np.float64))))
                            for k, v in config.items()))

    def __call__(self, config):
        self.calls.append(dict(config))
        key = self.key(config)
        if key not in self.table:
            self.table[key] = float(self.score_of(config) if self.score_of else self.rng.uniform())
        return self.table[key]


def _check_results(name, results, objective, count, what):
    """``results`` is a list of ``count`` (config, score) pairs, best first, with the objective's scores."""
    if not isinstance(results, list):
        fail(name, f"should return a list of (config, score) pairs, got {type(results).__name__}")
    if len(results) != count:
        fail(name, f"{what}: should return {count} (config, score) pairs, one per evaluated config, got {len(results)}")
    for pair in results:
        config, score = unpack(name, pair, 2, "(config, score) for every result")
        if not isinstance(config, dict):
            fail(name, f"each result's config should be a dict, got {type(config).__name__}")
        score = number(name, score, "each score")
        key = objective.key(config)
        if key not in objective.table:
            fail(name, f"{what}: a returned config was never passed to the objective (was one dict reused and "
                       "modified for every trial? make a new dict per config)")
        if objective.table[key] != score:
            if len({objective.key(c) for c, _ in results}) < len(results):
                fail(name, f"{what}: several results hold the same config: make a new dict per config instead of "
                           "modifying one")
            fail(name, f"{what}: a config is paired with a score the objective did not give it: keep each config "
                       "with its own score when sorting")
    scores = [float(score) for _, score in results]
    if scores != sorted(scores, reverse=True):
        if scores == sorted(scores):
            fail(name, f"{what}: the results are worst first; return them best first (highest score first)")
        fail(name, f"{what}: the results should be sorted best first (highest score first)")


def check_grid_search(grid_search, seed=None):
    """Check ``grid_search(objective, grid) -> [(config, score)]`` best first."""
    name = "grid_search"
    rng, seed = fresh_rng(seed)
    grids = [
        {"learning_rate": list(10 ** rng.uniform(-4, -1, size=3)), "reg": list(rng.uniform(0, 1, size=4)),
         "activation": ["relu", "tanh"]},
        {"learning_rate": [float(rng.uniform())]},
        {"a": list(rng.uniform(size=5)), "b": [0.5]},
    ]
    for grid in grids:
        grid_before = copy.deepcopy(grid)
        objective = _RecordingObjective(rng)
        results = call(name, grid_search, objective, grid)
        if grid != grid_before:
            fail(name, "the grid was modified")
        count = int(np.prod([len(values) for values in grid.values()]))
        what = "with a grid of " + " x ".join(str(len(v)) for v in grid.values()) + " values"
        called = {objective.key(config) for config in objective.calls}
        if len(objective.calls) != count or len(called) != count:
            fail(name, f"{what}: every combination should be evaluated once ({count} calls of the objective), got "
                       f"{len(objective.calls)} calls with {len(called)} different configs (itertools.product "
                       "gives every combination)")
        if any(set(config) != set(grid) for config in objective.calls):
            fail(name, "every config should hold one value for each name of the grid")
        _check_results(name, results, objective, count, what)
    passed(name, len(grids), seed)


def _search_space(rng):
    return {
        "learning_rate": (10 ** float(rng.uniform(-6, -4)), 10 ** float(rng.uniform(-2, 0)), "log"),
        "reg": (10 ** float(rng.uniform(-5, -3)), 10 ** float(rng.uniform(0, 1)), "log"),
        "dropout": (float(rng.uniform(0.1, 0.3)), float(rng.uniform(0.7, 0.95)), "linear"),
    }


def check_random_search(random_search, seed=None):
    """Check ``random_search(objective, space, num_trials, rng) -> [(config, score)]`` best first."""
    name = "random_search"
    rng, seed = fresh_rng(seed)
    space = _search_space(rng)
    space_before = copy.deepcopy(space)
    num_trials = 1000
    draw_seed = int(rng.integers(2**31 - 1))
    objective = _RecordingObjective(rng)
    results = call(name, random_search, objective, space, num_trials, np.random.default_rng(draw_seed))
    if space != space_before:
        fail(name, "the space was modified")
    if len(objective.calls) != num_trials:
        fail(name, f"num_trials={num_trials} should call the objective {num_trials} times, got {len(objective.calls)}")
    for config in objective.calls:
        if set(config) != set(space):
            fail(name, f"every config should hold one value for each name of the space {sorted(space)}, got "
                       f"{sorted(config)}")
        for key, value in config.items():
            number(name, value, f'config["{key}"]')
    if len({objective.key(config) for config in objective.calls}) < num_trials // 2:
        fail(name, "the trials repeat the same configs: draw a new config for every trial")
    positions = {}
    for key, (low, high, scale) in space.items():
        values = np.array([float(config[key]) for config in objective.calls])
        _check_scale(name, values, low, high, scale, f'"{key}" ({scale} scale)')
        positions[key] = np.log(values) if scale == "log" else values
    correlation = np.corrcoef(np.array(list(positions.values())))
    if np.max(np.abs(correlation - np.eye(len(space)))) > SIGMAS / math.sqrt(num_trials):
        fail(name, "the hyper-parameters of one trial are correlated: draw each of them independently (one random "
                   "number per hyper-parameter and trial)")
    _check_results(name, results, objective, num_trials, f"with num_trials={num_trials}")
    replay = _RecordingObjective(rng)
    call(name, random_search, replay, space, 20, np.random.default_rng(draw_seed))
    replay_again = _RecordingObjective(rng)
    call(name, random_search, replay_again, space, 20, np.random.default_rng(draw_seed))
    if replay.calls != replay_again.calls:
        fail(name, "two generators with the same seed gave different configs: draw from the rng argument")
    passed(name, 4, seed)


def check_coarse_to_fine(coarse_to_fine, seed=None):
    """Check ``coarse_to_fine(results, space, top_k) -> narrowed space``."""
    name = "coarse_to_fine"
    rng, seed = fresh_rng(seed)
    count = 0
    for top_k in [int(rng.integers(3, 8)), 1, 2]:
        space = _search_space(rng)
        objective = _RecordingObjective(rng)
        results = reference.random_search(objective, space, 40, rng)
        space_before, results_before = copy.deepcopy(space), copy.deepcopy(results)
        narrowed = call(name, coarse_to_fine, results, space, top_k)
        if space != space_before or results != results_before:
            fail(name, "the space or the results were modified: return a new dict")
        if not isinstance(narrowed, dict) or set(narrowed) != set(space):
            fail(name, f"should return a dict with the names of the space {sorted(space)}")
        expected = reference.coarse_to_fine(results, space, top_k)
        for key, (low, high, scale) in expected.items():
            entry = unpack(name, narrowed[key], 3, f'(low, high, scale) for "{key}"')
            got_low, got_high = number(name, entry[0], "low"), number(name, entry[1], "high")
            if entry[2] != scale:
                fail(name, f'"{key}" should keep its scale "{scale}", got {entry[2]!r}')
            if (got_low, got_high) == (low, high):
                continue
            values = [config[key] for config, _ in results]
            if (got_low, got_high) == (min(values[-top_k:]), max(values[-top_k:])):
                fail(name, "the range was taken from the WORST results: results are best first, take results[:top_k]")
            if (got_low, got_high) == (min(values), max(values)):
                fail(name, f"the range was taken from all results: use only the top_k={top_k} best")
            if (got_low, got_high) == (high, low):
                fail(name, f'"{key}": low and high are swapped')
            fail(name, f'"{key}" with top_k={top_k}: expected the range ({low:.6g}, {high:.6g}) of the top_k best '
                       f"configs' values, got ({got_low:.6g}, {got_high:.6g})")
        count += 1
    passed(name, count, seed)
