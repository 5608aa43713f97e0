"""Hidden checks of 01 Optimizers: the learning-rate schedules, compared value by value."""
import math

import numpy as np

from autograder.checks._common import call, fail, fresh_rng, log_uniform, passed
from autograder.reference import optimizers as reference


def _check_schedule(name, student, cases, seed):
    """Compare a schedule on ``cases``: a list of (keyword arguments, description)."""
    ref_schedule = getattr(reference, name)
    for kwargs, description in cases:
        value = call(name, student, **kwargs)
        if isinstance(value, np.ndarray) and value.ndim == 0:
            value = value.item()
        if not isinstance(value, (int, float, np.floating, np.integer)):
            fail(name, f"should return a number, got {type(value).__name__}")
        expected = ref_schedule(**kwargs)
        if not math.isfinite(float(value)) or abs(float(value) - expected) > 1e-9 * max(abs(expected), 1e-12):
            args = ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in kwargs.items())
            fail(name, f"{description}: {name}({args}) returned {float(value):.6g}, expected {expected:.6g}")
    passed(name, len(cases), seed)


def check_step_decay(step_decay, seed=None):
    """Check ``step_decay(learning_rate0, t, drop=0.5, steps_per_drop=10)``."""
    rng, seed = fresh_rng(seed)
    lr0 = log_uniform(rng, 1e-3, 1.0)
    drop = float(rng.uniform(0.1, 0.9))
    every = int(rng.integers(2, 8))
    cases = [({"learning_rate0": lr0, "t": 0}, "at t=0 the rate is learning_rate0"),
             ({"learning_rate0": lr0, "t": 9}, "with the defaults (drop=0.5 every 10 steps) t=9 is still before the first drop (integer division t // steps_per_drop)"),
             ({"learning_rate0": lr0, "t": 10}, "with the defaults the first drop happens at t=10"),
             ({"learning_rate0": lr0, "t": 25}, "with the defaults t=25 is after two drops")]
    for t in [every - 1, every, 3 * every + 1, 5 * every]:
        cases.append(({"learning_rate0": lr0, "t": t, "drop": drop, "steps_per_drop": every},
                      "the rate drops by a factor drop once every steps_per_drop steps (integer division)"))
    _check_schedule("step_decay", step_decay, cases, seed)


def _check_decay_with_rate(name, student, formula, seed):
    """Schedules ``learning_rate0 * f(k t)`` with a default decay rate k=0.1."""
    rng, seed = fresh_rng(seed)
    lr0, k = log_uniform(rng, 1e-3, 1.0), float(rng.uniform(0.01, 0.5))
    cases = [({"learning_rate0": lr0, "t": 0}, "at t=0 the rate is learning_rate0"),
             ({"learning_rate0": lr0, "t": 7}, "with the default k=0.1")]
    cases += [({"learning_rate0": lr0, "t": int(t), "k": k}, formula) for t in rng.integers(1, 50, size=4)]
    _check_schedule(name, student, cases, seed)


def check_exponential_decay(exponential_decay, seed=None):
    """Check ``exponential_decay(learning_rate0, t, k=0.1)``."""
    _check_decay_with_rate("exponential_decay", exponential_decay, "learning_rate0 * exp(-k t)", seed)


def check_inverse_time_decay(inverse_time_decay, seed=None):
    """Check ``inverse_time_decay(learning_rate0, t, k=0.1)``."""
    _check_decay_with_rate("inverse_time_decay", inverse_time_decay, "learning_rate0 / (1 + k t)", seed)


def check_cosine_annealing_warm_restarts(cosine_annealing_warm_restarts, seed=None):
    """Check ``cosine_annealing_warm_restarts(learning_rate0, t, period=10, period_mult=1, min_lr=0.0)``."""
    rng, seed = fresh_rng(seed)
    lr0 = log_uniform(rng, 1e-3, 1.0)
    min_lr = lr0 * float(rng.uniform(0.01, 0.2))
    period = int(rng.integers(3, 9))
    cases = [({"learning_rate0": lr0, "t": 0}, "a cycle starts at learning_rate0"),
             ({"learning_rate0": lr0, "t": 5}, "with the default period=10, t=5 is half way down the cosine"),
             ({"learning_rate0": lr0, "t": 10}, "with the default period=10 the rate restarts at t=10"),
             ({"learning_rate0": lr0, "t": 13}, "the second cycle repeats the first with the default period")]
    for t in [1, period - 1, period, period + 2, 3 * period + 1]:
        cases.append(({"learning_rate0": lr0, "t": t, "period": period, "min_lr": min_lr},
                      "cosine from learning_rate0 down to min_lr, restarting every period steps"))
    for t in [period - 1, period, period + 1, 3 * period - 1, 3 * period, 7 * period + 2]:
        cases.append(({"learning_rate0": lr0, "t": t, "period": period, "period_mult": 2},
                      "with period_mult=2 each cycle is twice as long as the previous one"))
    _check_schedule("cosine_annealing_warm_restarts", cosine_annealing_warm_restarts, cases, seed)

