"""Hidden checks of 00 Foundations: weight initializations (Xavier, He).

Initializations are random, so they are checked by statistics of tens of thousands of draws (zero
mean, variance within six standard errors) and by reproducibility from the rng argument: normal
and uniform draws with the right variance both pass. The contract asks for float64 weights.
"""
import math

import numpy as np

from autograder.checks._common import assert_array, call, fail, fresh_rng, passed
from autograder.checks.foundations._shared import SIGMAS


def _check_init(name, student, factor, rule, seed):
    """Check an initializer whose variance is ``factor / fan_in``."""
    rng, seed = fresh_rng(seed)
    for fan_in, fan_out in [(400, 150), (60, 700), (1, 3), (5, 1)]:
        draw_seed = int(rng.integers(2**31 - 1))
        w = call(name, student, fan_in, fan_out, np.random.default_rng(draw_seed))
        assert_array(name, w, (fan_in, fan_out), f"W for fan_in={fan_in}, fan_out={fan_out}")
        if w.dtype != np.float64:
            fail(name, f"W should be float64, got {w.dtype}")
        again = call(name, student, fan_in, fan_out, np.random.default_rng(draw_seed))
        if not np.array_equal(w, again):
            fail(name, "two generators with the same seed gave different weights: draw every number from the rng "
                       "argument (rng.standard_normal, rng.normal or rng.uniform), not from np.random")
        other = call(name, student, fan_in, fan_out, np.random.default_rng(draw_seed + 1))
        if np.array_equal(w, other):
            fail(name, "generators with different seeds gave the same weights: draw from the rng argument")
        count = w.size
        if count < 1000:
            continue
        if len(np.unique(w)) < count // 2:
            fail(name, "the weights should be independent random draws, one per entry")
        expected_variance = factor / fan_in
        mean, variance = float(w.mean()), float(np.mean(w**2))
        # The standard error of the mean from the weights' own spread: a wrong scale gets the variance message.
        if abs(mean) > SIGMAS * math.sqrt(variance / count):
            fail(name, f"the weights should have mean 0, got {mean:.3g} (fan_in={fan_in}, fan_out={fan_out})")
        if abs(variance / expected_variance - 1) > SIGMAS * math.sqrt(2.0 / count):
            candidates = {
                "1 / fan_in (Xavier)": 1 / fan_in, "2 / fan_in (He)": 2 / fan_in, "1 / fan_out": 1 / fan_out,
                "2 / fan_out": 2 / fan_out, "2 / (fan_in + fan_out)": 2 / (fan_in + fan_out),
                f"({factor:g} / fan_in)**2: the standard deviation and the variance were mixed up":
                    (factor / fan_in) ** 2, "1 (no scaling)": 1.0,
            }
            found = [text for text, value in candidates.items()
                     if abs(variance / value - 1) <= SIGMAS * math.sqrt(2.0 / count)]
            hint = f", about {found[0]}" if found else ""
            fail(name, f"the variance of the weights is {variance:.4g}{hint}; {rule} (fan_in={fan_in}, "
                       f"fan_out={fan_out}: expected {expected_variance:.4g})")
    passed(name, 4, seed)


def check_xavier_init(xavier_init, seed=None):
    """Check ``xavier_init(fan_in, fan_out, rng) -> W``: variance 1 / fan_in."""
    _check_init("xavier_init", xavier_init, 1.0,
                "Xavier initialization has variance 1 / fan_in, e.g. rng.standard_normal(...) / sqrt(fan_in)", seed)


def check_he_init(he_init, seed=None):
    """Check ``he_init(fan_in, fan_out, rng) -> W``: variance 2 / fan_in."""
    _check_init("he_init", he_init, 2.0,
                "He initialization has variance 2 / fan_in, e.g. rng.standard_normal(...) * sqrt(2 / fan_in)", seed)
