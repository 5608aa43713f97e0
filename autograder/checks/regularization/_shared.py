"""What the hidden checks of 02 Regularization share: tolerances, inputs and the keep-rate test."""
import math

import numpy as np

from autograder.checks._common import fail, signed_magnitudes, unpack

# Scale-relative tolerances: max |actual - expected| / max |expected|.
RTOL = {np.float64: 1e-9, np.float32: 1e-5}
# How many standard deviations a measured keep rate may stray from p.
RATE_SIGMAS = 6.0


def keep_probability(rng):
    """A keep probability at least 0.15 away from 0.5, so that p and 1 - p differ by >= 0.3."""
    return float(rng.uniform(0.15, 0.35) if rng.random() < 0.5 else rng.uniform(0.65, 0.9))


def nonzero_inputs(rng, shape, dtype=np.float64):
    """Entries with magnitudes in [0.1, 2] and random signs: a dropped unit is the only zero."""
    return signed_magnitudes(rng, shape, 0.1, 2.0, dtype)


def draw_seed(rng):
    """A seed for the student's generator, drawn from the check's."""
    return int(rng.integers(2**31 - 1))


def _rate_tolerance(p, count):
    return max(RATE_SIGMAS * math.sqrt(p * (1 - p) / count), 1e-3)


def assert_keep_rate(name, kept, probability, parameter, outcome, kept_thing, hint=""):
    """Fail unless the fraction of True in ``kept`` is ``probability`` within sampling noise,
    naming a swap of the keep and drop probabilities when that is what the rate shows."""
    rate, tolerance = float(np.mean(kept)), _rate_tolerance(probability, np.size(kept))
    if abs(rate - probability) <= tolerance:
        return
    observed = f"with {parameter}={probability:.3f} a fraction {rate:.3f} {outcome}"
    if abs(rate - (1 - probability)) <= tolerance:
        fail(name, f"{observed}, about 1 - {parameter}: {parameter} is the probability of KEEPING {kept_thing}")
    fail(name, f"{observed}; it should be {parameter}{hint}")


def assert_param_kept(name, label, before, after, keys):
    """The caller's parameter dict must still hold the same values under ``keys``."""
    for key in keys:
        if key in before and (key not in after or not np.array_equal(before[key], after[key])):
            fail(name, f'{label}["{key}"] was changed; read the parameters, do not modify them')


def forward_for_backward(name, forward_name, forward, *args):
    """Run the student's forward pass to get a cache for the backward check."""
    try:
        result = forward(*args)
    except Exception as error:  # noqa: BLE001 - any failure means the backward cannot be checked
        kind = "is not implemented yet" if isinstance(error, NotImplementedError) else \
            f"raised {type(error).__name__}: {error}"
        fail(name, f"the backward pass is checked with the cache of your {forward_name}, which {kind}")
    return unpack(name, result, 2, f"(out, cache) from {forward_name}")
