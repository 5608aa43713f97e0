"""Hidden checks of 01 Optimizers: the update rules (SGD, momentum, Nesterov, AdaGrad, RMSProp, Adam).

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
    log_uniform,
    max_relative_error,
    passed,
    signed_magnitudes,
    snapshot,
)
from autograder.reference import optimizers as reference

NUM_STEPS = 6
# Relative tolerances of the update (next_w - w); interleaved runs compare weights with the float64 one.
UPDATE_RTOL = {np.float64: 1e-6, np.float32: 2e-3}


UPDATE_RULES = {
    "sgd": dict(
        defaults="learning_rate=1e-2",
        hyper=lambda rng: {"learning_rate": log_uniform(rng, 1e-3, 1e-1)},
    ),
    "sgd_momentum": dict(
        defaults="learning_rate=1e-2, momentum=0.9",
        hyper=lambda rng: {"learning_rate": log_uniform(rng, 1e-3, 1e-1), "momentum": rng.uniform(0.5, 0.95)},
    ),
    "nesterov_momentum": dict(
        defaults="learning_rate=1e-2, momentum=0.9",
        hyper=lambda rng: {"learning_rate": log_uniform(rng, 1e-3, 1e-1), "momentum": rng.uniform(0.5, 0.95)},
    ),
    "adagrad": dict(
        defaults="learning_rate=1e-2, epsilon=1e-7",
        hyper=lambda rng: {"learning_rate": log_uniform(rng, 1e-3, 1e-1), "epsilon": 1e-8},
    ),
    "rmsprop": dict(
        defaults="learning_rate=1e-2, decay_rate=0.99, epsilon=1e-8",
        hyper=lambda rng: {
            "learning_rate": log_uniform(rng, 1e-3, 1e-1),
            "decay_rate": rng.uniform(0.5, 0.95),
            "epsilon": 1e-8,
        },
    ),
    "adam": dict(
        defaults="learning_rate=1e-3, beta1=0.9, beta2=0.999, epsilon=1e-8",
        hyper=lambda rng: {
            "learning_rate": log_uniform(rng, 1e-3, 1e-1),
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
    return signed_magnitudes(rng, shape, 0.5, 2.0, dtype)


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
            if max_relative_error(run["w"], run["expected_w"]) > UPDATE_RTOL[np.float64]:
                fail(name, "two independent runs with separate config dicts interfere with each other: "
                           "keep all state in config (no global variables)")

    # A zero gradient must leave the adaptive rules finite, and every rule leaves the weights exactly
    # where they are (each correct formulation subtracts an exact zero).
    w = rng.normal(size=6)
    dw = np.zeros(6)
    next_w, _ = call(name, student, w, dw, None)
    assert_array(name, next_w, (6,), "next_w for a zero gradient")
    if not np.array_equal(next_w, w):
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

