"""Hidden checks of 00 Foundations: babysitting the training (the update ratio, early stopping)."""
import copy
import math

import numpy as np

from autograder.checks._common import assert_unchanged, call, fail, fresh_rng, passed, snapshot, unpack
from autograder.checks.foundations._shared import RTOL, number
from autograder.reference import foundations as reference


def check_update_ratio(update_ratio, seed=None):
    """Check ``update_ratio(w_before, w_after) -> float``."""
    name = "update_ratio"
    rng, seed = fresh_rng(seed)
    cases = [((12, 9), 1e-3), ((30,), 0.3), ((3, 4, 5), 2e-2), ((20, 6), 0.8)]
    for shape, size in cases:
        w_before = rng.normal(size=shape)
        w_after = w_before + size * rng.normal(size=shape) * rng.uniform(0.2, 3.0, size=shape)
        before = snapshot(w_before, w_after)
        value = number(name, call(name, update_ratio, w_before, w_after), "the ratio")
        assert_unchanged(name, zip(["w_before", "w_after"], before, [w_before, w_after]))
        expected = reference.update_ratio(w_before, w_after)
        if not (math.isfinite(value) and abs(value - expected) <= RTOL * expected):
            update, norm = w_after - w_before, np.linalg.norm
            variants = {
                "the ratio is inverted: the norm of the UPDATE goes on top": 1 / expected,
                "divide by the norm of the weights before the update (w_before)": norm(update) / norm(w_after),
                "use the norms themselves, not their squares": expected**2,
                "use the Euclidean norm over all entries (np.linalg.norm of the flattened arrays), not the sum "
                "of absolute values": np.abs(update).sum() / np.abs(w_before).sum(),
                "take the norm of the update w_after - w_before, not the difference of the two norms":
                    abs(norm(w_after) - norm(w_before)) / norm(w_before),
                "take the ratio of the two norms, not the mean of elementwise ratios":
                    float(np.mean(np.abs(update) / np.abs(w_before))),
            }
            if len(shape) == 2:
                variants["use the Euclidean (Frobenius) norm over all entries, not the matrix 2-norm"] = \
                    norm(update, 2) / norm(w_before, 2)
            for hint, variant in variants.items():
                if math.isfinite(value) and abs(value - variant) <= 1e-6 * abs(variant):
                    fail(name, f"{hint} (shape {shape}: got {value:.6g}, expected {expected:.6g})")
            fail(name, f"got {value:.6g}, expected ||w_after - w_before|| / ||w_before|| = {expected:.6g} "
                       f"(shape {shape})")
    passed(name, len(cases), seed)


def _grid_values(rng, length):
    """A sequence on a 0.05 grid, so that values repeat exactly and min_delta never ties."""
    return [round(float(v), 2) for v in np.round(rng.uniform(0.0, 1.0, size=length) * 20) / 20]


def _tracker_settings(rng):
    """(constructor arguments, values) pairs: defaults, both modes, min_delta, patience 1."""
    def walk():
        return [round(float(v), 2) for v in np.cumsum(rng.choice([0.05, 0.0, -0.05, 0.1], size=40)) + 1.0]

    return [
        ({"patience": int(rng.integers(2, 5))}, walk()),
        ({"patience": int(rng.integers(2, 5)), "mode": "max"}, _grid_values(rng, 40)),
        ({"patience": int(rng.integers(2, 5)), "min_delta": 0.07, "mode": "max"}, walk()),
        ({"patience": int(rng.integers(2, 5)), "mode": "min"}, [-v for v in walk()]),
        ({"patience": int(rng.integers(2, 5)), "min_delta": 0.07, "mode": "min"}, [-v for v in walk()]),
        ({"patience": 1, "mode": "max"}, _grid_values(rng, 20)),
    ]


def _run_tracker(name, session, kwargs, values, rng):
    """Feed ``values`` to one student tracker and the reference until the reference stops."""
    params = {"W": rng.normal(size=(3, 2)), "b": rng.normal(size=2)}
    step = call(name, session, kwargs, copy.deepcopy(params))
    expected = reference.EarlyStopping(**kwargs)
    arguments = ", ".join(f"{k}={v!r}" for k, v in kwargs.items())
    for epoch, value in enumerate(values):
        history = f"EarlyStopping({arguments}) after the values {values[:epoch + 1]}"
        update = {key: rng.normal(size=array.shape) for key, array in params.items()}
        result = unpack(name, call(name, step, value, update), 4, "(stop, best_value, best_epoch, best_params)")
        stop, best_value, best_epoch, best_params = result
        expected_stop = expected.step(value, params)
        if not isinstance(stop, (bool, np.bool_)):
            fail(name, f"step should return True or False, got {type(stop).__name__}")
        if bool(stop) != expected_stop:
            fail(name, f"{history}: step returned {bool(stop)}, expected {expected_stop} (stop once the value has "
                       "not improved by more than min_delta for patience consecutive steps)")
        if best_value != expected.best_value:
            fail(name, f"{history}: best_value is {best_value!r}, expected {expected.best_value!r}")
        if best_epoch != expected.best_epoch:
            fail(name, f"{history}: best_epoch is {best_epoch!r}, expected {expected.best_epoch!r} (the first call "
                       "of step is epoch 0)")
        for key in params:
            params[key] = params[key] + update[key]
        if not (isinstance(best_params, dict) and best_params.keys() == params.keys()
                and all(np.array_equal(best_params[k], expected.best_params[k]) for k in params)):
            if isinstance(best_params, dict) and all(np.array_equal(best_params.get(k), params[k]) for k in params):
                fail(name, f"{history}: best_params changed when training went on: store a deep copy "
                           "(copy.deepcopy(params)), not the dict itself or a shallow copy")
            fail(name, f"{history}: best_params should be the params passed with the best value")
        if expected_stop:
            return
    fail(name, "internal error: the reference never stopped")


def check_early_stopping(early_stopping_session, seed=None):
    """Check the class ``EarlyStopping(patience, min_delta=0.0, mode="max")`` through a session.

    Objects stay in the student's kernel, so the hidden test cell wraps the class:
    ``early_stopping_session(kwargs, params)`` builds ``EarlyStopping(**kwargs)`` and returns
    ``step(value, update)``, which calls ``tracker.step(value, params)``, reads
    ``(stop, best_value, best_epoch, best_params)``, then adds ``update`` to the arrays of ``params``
    in place (as a training loop would) and returns what it read. A shallow copy in ``best_params``
    thus shows the update.
    """
    name = "early_stopping"
    rng, seed = fresh_rng(seed)
    settings = _tracker_settings(rng)
    for kwargs, values in settings:
        _run_tracker(name, early_stopping_session, kwargs, list(values) + [values[-1]] * 10, rng)
    first = call(name, early_stopping_session, {"patience": 3}, {"w": np.zeros(1)})
    second = call(name, early_stopping_session, {"patience": 3}, {"w": np.ones(1)})
    first_best = unpack(name, call(name, first, 0.9, {"w": np.zeros(1)}), 4, "from step")[1]
    second_best = unpack(name, call(name, second, 0.1, {"w": np.zeros(1)}), 4, "from step")[1]
    if first_best != 0.9 or second_best != 0.1:
        fail(name, "two trackers share their state: keep it on self (set in __init__), not on the class")
    # A value that does not improve leaves the first tracker's best_params: a dict shared on the class shows here.
    first_params = unpack(name, call(name, first, 0.5, {"w": np.zeros(1)}), 4, "from step")[3]
    if not (isinstance(first_params, dict) and np.array_equal(first_params.get("w"), np.zeros(1))):
        fail(name, "two trackers share their best_params: a dict made on the class is shared by every tracker; "
                   "set self.best_params in __init__ or step")
    passed(name, len(settings) + 1, seed)
