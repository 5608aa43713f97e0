"""Hidden checks of 01 Optimizers.

Update rules are checked by what they do to the weights over several consecutive steps, with the
state carried in the config the student returns, so every correct formulation passes (for
example momentum as ``v = rho*v + dw; w -= lr*v`` or ``v = rho*v - lr*dw; w += v``).
Gradients are drawn with magnitudes in [0.5, 2] so that where epsilon sits (inside or outside the
square root) cannot change the result beyond the tolerance.

Dtype policy (``autograder.checks._common``): an update of float32 weights that comes back float64
with the right values keeps its points; the feedback names the value and the float64 state array
(in config) that promoted it, if there is one.
"""
import math

import numpy as np

from autograder.checks._common import (
    assert_array,
    assert_unchanged,
    call,
    check_dtype,
    fail,
    fresh_rng,
    max_relative_error,
    passed,
    snapshot,
)
from autograder.reference import optimizers as reference

NUM_STEPS = 6
# Tolerances on the update (next_w - w), relative.
UPDATE_RTOL = {np.float64: 1e-6, np.float32: 2e-3}


def _log_uniform(rng, low, high):
    return float(math.exp(rng.uniform(math.log(low), math.log(high))))


UPDATE_RULES = {
    "sgd": dict(
        defaults="learning_rate=1e-2",
        hyper=lambda rng: {"learning_rate": _log_uniform(rng, 1e-3, 1e-1)},
    ),
    "sgd_momentum": dict(
        defaults="learning_rate=1e-2, momentum=0.9",
        hyper=lambda rng: {"learning_rate": _log_uniform(rng, 1e-3, 1e-1), "momentum": rng.uniform(0.5, 0.95)},
    ),
    "nesterov_momentum": dict(
        defaults="learning_rate=1e-2, momentum=0.9",
        hyper=lambda rng: {"learning_rate": _log_uniform(rng, 1e-3, 1e-1), "momentum": rng.uniform(0.5, 0.95)},
    ),
    "adagrad": dict(
        defaults="learning_rate=1e-2, epsilon=1e-7",
        hyper=lambda rng: {"learning_rate": _log_uniform(rng, 1e-3, 1e-1), "epsilon": 1e-8},
    ),
    "rmsprop": dict(
        defaults="learning_rate=1e-2, decay_rate=0.99, epsilon=1e-8",
        hyper=lambda rng: {
            "learning_rate": _log_uniform(rng, 1e-3, 1e-1),
            "decay_rate": rng.uniform(0.5, 0.95),
            "epsilon": 1e-8,
        },
    ),
    "adam": dict(
        defaults="learning_rate=1e-3, beta1=0.9, beta2=0.999, epsilon=1e-8",
        hyper=lambda rng: {
            "learning_rate": _log_uniform(rng, 1e-3, 1e-1),
            "beta1": rng.uniform(0.5, 0.85),
            "beta2": rng.uniform(0.9, 0.99),
            "epsilon": 1e-8,
        },
    ),
}


# State whose key and meaning the docstrings fix (momentum's velocity has equivalent forms, so its
# state is judged by the updates alone).
STATE_KEYS = {
    "adagrad": {"grad_squared": "the running sum of squared gradients"},
    "rmsprop": {"cache": "the moving average of squared gradients"},
    "adam": {"m": "the first moment, before bias correction", "v": "the second moment, before bias correction",
             "t": "the number of steps taken"},
}


def _check_state(name, step, student_config, ref_config, dtype):
    for key, meaning in STATE_KEYS.get(name, {}).items():
        if key not in student_config:
            fail(name, f"after step {step} config holds no state under {key!r} ({meaning}), the key the docstring "
                       f"names; it has {sorted(student_config)}")
        if max_relative_error(student_config[key], ref_config[key]) > UPDATE_RTOL[dtype]:
            fail(name, f"the updates match, but after step {step} the state config[{key!r}] differs from "
                       f"{meaning}")


def _gradient(rng, shape, dtype):
    """Gradients with magnitudes in [0.5, 2] and random signs."""
    magnitude = rng.uniform(0.5, 2.0, size=shape)
    return (magnitude * rng.choice([-1.0, 1.0], size=shape)).astype(dtype)


def _constant_ratio(student_update, expected_update):
    """The factor r with student_update = r * expected_update everywhere, or None."""
    ratios = student_update / expected_update
    if np.all(np.isfinite(ratios)) and np.ptp(ratios) <= 1e-6 * max(abs(float(np.median(ratios))), 1e-12):
        return float(np.median(ratios))
    return None


def _adam_correction_factors(config):
    """Factors by which the first Adam update is off when a bias correction is missing or swapped."""
    config = config or {}
    beta1, beta2 = config.get("beta1", 0.9), config.get("beta2", 0.999)
    return [(1 - beta1) / math.sqrt(1 - beta2), 1 / math.sqrt(1 - beta2), 1 - beta1,
            ((1 - beta1) / (1 - beta2)) ** 1.5]


def _diagnose(name, step, student_update, expected_update, config, config_text):
    """Explain a mismatch of the update at ``step`` (1-based) by what the numbers show."""
    error = max_relative_error(student_update, expected_update)
    if np.sum(student_update * expected_update) < 0:
        fail(name, f"step {step} moves the weights in the opposite direction to the expected update "
                   f"(with {config_text}): sign error?")
    ratio = _constant_ratio(student_update, expected_update) if step == 1 else None
    if name == "adam" and ratio is not None and any(abs(ratio - f) <= 1e-4 * f for f in _adam_correction_factors(config)):
        fail(name, "the first Adam step should move each weight by about learning_rate, because the "
                   "bias-corrected moments give m_hat / sqrt(v_hat) = sign(dw): bias correction missing or wrong?")
    if ratio is not None and abs(ratio) < 1e-12:
        fail(name, f"the first update leaves the weights where they were (with {config_text}), although the "
                   "gradient is not zero")
    if ratio is not None:
        fail(name, f"the first update is {ratio:.4g} times the expected one (with {config_text}): the direction "
                   "is right, the step size is not")
    if step == 1:
        fail(name, f"the first update differs from the expected one (with {config_text}; max relative "
                   f"error {error:.2e})")
    if name == "sgd":
        fail(name, f"step 1 matched but step {step} did not (with {config_text}; max relative error {error:.2e}): "
                   "plain SGD has no state, each update is -learning_rate * dw")
    fail(name, f"step 1 matched but step {step} did not (with {config_text}; max relative error {error:.2e}): "
               "step 1 starts from zero state, so what differs is the state carried to the next call (stored "
               "in config, read back, decayed) or how the update uses it")


def _run_trajectory(name, student, rng, shape, dtype, config, config_text):
    """Run NUM_STEPS steps of the student's rule and the reference side by side."""
    ref_rule = getattr(reference, name)
    w = rng.normal(size=shape).astype(dtype)
    student_config = None if config is None else dict(config)
    ref_config = None if config is None else dict(config)
    for step in range(1, NUM_STEPS + 1):
        dw = _gradient(rng, shape, dtype)
        w_before, dw_before = snapshot(w, dw)
        result = call(name, student, w, dw, student_config)
        assert_unchanged(name, [("w", w_before, w), ("dw", dw_before, dw)])
        if not (isinstance(result, tuple) and len(result) == 2):
            fail(name, "should return a tuple (next_w, config)")
        next_w, student_config = result
        assert_array(name, next_w, shape, "next_w")
        if not isinstance(student_config, dict):
            fail(name, f"the returned config should be a dict, got {type(student_config).__name__}")
        check_dtype(name, next_w, dtype, "next_w", holders=[("config", student_config)])
        expected_w, ref_config = ref_rule(w, dw, ref_config)
        student_update = next_w.astype(np.float64) - w.astype(np.float64)
        expected_update = expected_w.astype(np.float64) - w.astype(np.float64)
        if max_relative_error(student_update, expected_update) > UPDATE_RTOL[dtype]:
            _diagnose(name, step, student_update, expected_update, config, config_text)
        _check_state(name, step, student_config, ref_config, dtype)
        w = next_w
    return student_config


def _check_update_rule(name, student, seed=None):
    rng, seed = fresh_rng(seed)
    spec = UPDATE_RULES[name]
    _run_trajectory(name, student, rng, (4, 5), np.float64, None, f"config=None, i.e. the defaults {spec['defaults']}")
    for dtype, shape in [(np.float64, (7,)), (np.float32, (3, 2, 4))]:
        hyper = spec["hyper"](rng)
        text = "config " + ", ".join(f"{k}={v:.4g}" for k, v in hyper.items())
        _run_trajectory(name, student, rng, shape, dtype, hyper, text)

    # Two interleaved runs must not interfere: state lives in config, not in globals.
    hyper = spec["hyper"](rng)
    runs = []
    for _ in range(2):
        w = rng.normal(size=5)
        runs.append({"w": w, "student": dict(hyper), "reference": dict(hyper), "expected_w": w})
    for step in range(1, 4):
        for run in runs:
            dw = _gradient(rng, (5,), np.float64)
            run["w"], run["student"] = call(name, student, run["w"], dw, run["student"])
            run["expected_w"], run["reference"] = getattr(reference, name)(run["expected_w"], dw, run["reference"])
            if max_relative_error(run["w"], run["expected_w"]) > 1e-6:
                fail(name, "two independent runs with separate config dicts interfere with each other: "
                           "keep all state in config (no global variables)")

    # A zero gradient must leave the adaptive rules finite.
    w = rng.normal(size=6)
    dw = np.zeros(6)
    next_w, _ = call(name, student, w, dw, None)
    assert_array(name, next_w, (6,), "next_w for a zero gradient")
    if not np.allclose(next_w, w):
        fail(name, "a zero gradient from a fresh config should not move the weights")
    passed(name, 6, seed)


def check_sgd(sgd, seed=None):
    """Check ``sgd(w, dw, config=None) -> (next_w, config)``."""
    _check_update_rule("sgd", sgd, seed)


def check_sgd_momentum(sgd_momentum, seed=None):
    """Check ``sgd_momentum(w, dw, config=None) -> (next_w, config)``."""
    _check_update_rule("sgd_momentum", sgd_momentum, seed)


def check_nesterov_momentum(nesterov_momentum, seed=None):
    """Check ``nesterov_momentum(w, dw, config=None) -> (next_w, config)``."""
    _check_update_rule("nesterov_momentum", nesterov_momentum, seed)


def check_adagrad(adagrad, seed=None):
    """Check ``adagrad(w, dw, config=None) -> (next_w, config)``."""
    _check_update_rule("adagrad", adagrad, seed)


def check_rmsprop(rmsprop, seed=None):
    """Check ``rmsprop(w, dw, config=None) -> (next_w, config)``."""
    _check_update_rule("rmsprop", rmsprop, seed)


def check_adam(adam, seed=None):
    """Check ``adam(w, dw, config=None) -> (next_w, config)``."""
    _check_update_rule("adam", adam, seed)


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
    lr0 = _log_uniform(rng, 1e-3, 1.0)
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
    lr0, k = _log_uniform(rng, 1e-3, 1.0), float(rng.uniform(0.01, 0.5))
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
    lr0 = _log_uniform(rng, 1e-3, 1.0)
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


def _random_spd(rng, dim, condition=50.0):
    """A random symmetric positive-definite (dim, dim) matrix with the given condition number."""
    basis, _ = np.linalg.qr(rng.normal(size=(dim, dim)))
    eigenvalues = np.exp(rng.uniform(0.0, math.log(condition), size=dim))
    return basis @ np.diag(eigenvalues) @ basis.T


def check_newton_step(newton_step, seed=None):
    """Check ``newton_step(w, dw, hessian) -> next_w``."""
    name = "newton_step"
    rng, seed = fresh_rng(seed)
    for dim in [1, 2, 6]:
        hessian = _random_spd(rng, dim)
        w_star = rng.normal(size=dim)
        w = rng.normal(size=dim)
        dw = hessian @ (w - w_star)
        before = snapshot(w, dw, hessian)
        next_w = call(name, newton_step, w, dw, hessian)
        assert_unchanged(name, zip(["w", "dw", "hessian"], before, [w, dw, hessian]))
        assert_array(name, next_w, (dim,), "next_w")
        if max_relative_error(next_w, w_star) > 1e-6:
            if max_relative_error(next_w, w - dw) < 1e-6:
                fail(name, "the step ignores the Hessian: next_w = w - H^{-1} dw")
            fail(name, f"on a quadratic with a non-diagonal Hessian ({dim}-D) one Newton step should land "
                       "exactly on the minimum: is the step w - H^{-1} dw (np.linalg.solve(hessian, dw))?")
    passed(name, 3, seed)


def _secant_pairs(rng, hessian, count):
    """(s, y) pairs of a quadratic with the given Hessian: y = H s, so s.y > 0."""
    dim = hessian.shape[0]
    s_history = [rng.normal(size=dim) for _ in range(count)]
    return s_history, [hessian @ s for s in s_history]


def check_lbfgs_direction(lbfgs_direction, seed=None):
    """Check ``lbfgs_direction(grad, s_history, y_history) -> direction``."""
    name = "lbfgs_direction"
    rng, seed = fresh_rng(seed)
    dim = 8
    hessian = _random_spd(rng, dim)

    grad = rng.normal(size=dim)
    direction = call(name, lbfgs_direction, grad, [], [])
    assert_array(name, direction, (dim,), "the direction")
    if max_relative_error(direction, -grad) > 1e-9:
        fail(name, "with an empty history the direction should be -grad (steepest descent)")

    for count in [1, 3, 5]:
        s_history, y_history = _secant_pairs(rng, hessian, count)
        grad = rng.normal(size=dim)
        before = snapshot(grad, s_history, y_history)
        direction = call(name, lbfgs_direction, grad, s_history, y_history)
        assert_unchanged(name, zip(["grad", "s_history", "y_history"], before, [grad, s_history, y_history]))
        assert_array(name, direction, (dim,), "the direction")
        if np.dot(direction, grad) >= 0:
            fail(name, f"with {count} pair(s) the direction is not a descent direction (direction . grad >= 0): "
                       "did you return +H grad instead of -H grad?")
        newest_s, newest_y = s_history[-1], y_history[-1]
        secant = call(name, lbfgs_direction, newest_y, s_history, y_history)
        if max_relative_error(secant, -newest_s) > 1e-6:
            fail(name, f"with {count} pair(s) the secant condition fails: for grad = y_k (newest pair) the "
                       "direction should be exactly -s_k. Check the order of the two loops (newest pair first "
                       "in the first loop) and that rho = 1 / (y . s)")
        expected = reference.lbfgs_direction(grad, s_history, y_history)
        if max_relative_error(direction, expected) > 1e-6:
            fail(name, f"with {count} pairs the direction differs from the two-loop recursion: is the initial "
                       "scaling gamma = (s.y)/(y.y) taken from the NEWEST pair, and are the alphas of the "
                       "first loop used in reverse order in the second?")
    passed(name, 4, seed)
