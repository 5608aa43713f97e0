"""The reference update rules, schedules and second-order steps of 01 Optimizers agree with the
solution notebook and with known values."""
import copy
import math

import numpy as np
import pytest

from autograder.reference import optimizers as reference
from tests.reference.solution_code import assert_same, solution_definitions

SOLUTION = solution_definitions("optimizers")
RULES = ["sgd", "sgd_momentum", "nesterov_momentum", "adagrad", "rmsprop", "adam"]
# Every hyperparameter away from its default, so that a rule reading the wrong one shows; decays
# below one half, where 1 % decay differs from 1 - decay.
CONFIGS = {
    "sgd": {"learning_rate": 0.3},
    "sgd_momentum": {"learning_rate": 0.3, "momentum": 0.7},
    "nesterov_momentum": {"learning_rate": 0.3, "momentum": 0.7},
    "adagrad": {"learning_rate": 0.3, "epsilon": 0.5},
    "rmsprop": {"learning_rate": 0.3, "decay_rate": 0.3, "epsilon": 0.5},
    "adam": {"learning_rate": 0.3, "beta1": 0.3, "beta2": 0.45, "epsilon": 0.5},
}


def trajectory(rule, config, dtype, seed, steps=4):
    """(weights, config) after each of ``steps`` updates on fresh random gradients."""
    rng = np.random.default_rng(seed)
    w = rng.standard_normal((3, 4)).astype(dtype)
    history = []
    for _ in range(steps):
        dw = rng.standard_normal(w.shape).astype(dtype)
        w_before, dw_before = w.copy(), dw.copy()
        w, config = rule(w, dw, config)
        history.append((w, copy.deepcopy(config)))
        np.testing.assert_array_equal(dw, dw_before)
        assert not np.shares_memory(w, w_before)
    return history


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("given", ["defaults", "config"])
@pytest.mark.parametrize("rule", RULES)
def test_update_rules_agree_with_the_solution(rule, given, dtype, seed):
    def config():
        return None if given == "defaults" else dict(CONFIGS[rule])

    ours = trajectory(getattr(reference, rule), config(), dtype, seed)
    theirs = trajectory(SOLUTION[rule], config(), dtype, seed)
    assert_same(ours, theirs, rtol=1e-5 if dtype == np.float32 else 1e-12)
    assert ours[-1][0].dtype == dtype


def test_update_rules_known_values():
    w, dw = np.array([1.0, -2.0]), np.array([0.5, 1.0])
    assert_same(reference.sgd(w, dw)[0], np.array([0.995, -2.01]))
    next_w, config = reference.sgd_momentum(w, dw)
    assert_same(next_w, np.array([0.995, -2.01]))
    next_w, config = reference.sgd_momentum(next_w, dw, config)
    assert_same(config["velocity"], np.array([-0.0095, -0.019]))
    next_w, config = reference.nesterov_momentum(w, dw, {"velocity": np.array([1.0, 0.0])})
    assert_same(next_w, w - 0.9 * np.array([1.0, 0.0]) + 1.9 * np.array([0.895, -0.01]))
    next_w, config = reference.adagrad(w, dw)
    assert_same(next_w, w - 0.01 * dw / (np.abs(dw) + 1e-7))
    next_w, config = reference.rmsprop(w, dw)
    assert_same(next_w, w - 0.01 * dw / (np.sqrt(0.01) * np.abs(dw) + 1e-8))
    next_w, config = reference.adam(w, dw)
    assert_same(next_w, w - 1e-3 * dw / (np.abs(dw) + 1e-8))
    assert config["t"] == 1


SCHEDULES = {
    "step_decay": [{}, {"drop": 0.3, "steps_per_drop": 4}],
    "exponential_decay": [{}, {"k": 0.7}],
    "inverse_time_decay": [{}, {"k": 0.7}],
    "cosine_annealing_warm_restarts": [{}, {"period": 3}, {"period": 2, "period_mult": 3, "min_lr": 0.05},
                                       {"period": 5, "period_mult": 2}],
}


@pytest.mark.parametrize("schedule", SCHEDULES)
def test_schedules_agree_with_the_solution(schedule):
    for options in SCHEDULES[schedule]:
        for t in range(45):
            ours = getattr(reference, schedule)(0.8, t, **options)
            assert ours == pytest.approx(SOLUTION[schedule](0.8, t, **options), rel=1e-12, abs=1e-15), (options, t)


def test_schedules_known_values():
    assert reference.step_decay(1.0, 9) == 1.0
    assert reference.step_decay(1.0, 10) == 0.5
    assert reference.step_decay(1.0, 25) == 0.25
    assert reference.exponential_decay(2.0, 3) == pytest.approx(2.0 * math.exp(-0.3))
    assert reference.inverse_time_decay(2.0, 5) == pytest.approx(2.0 / 1.5)
    cosine = reference.cosine_annealing_warm_restarts
    assert cosine(1.0, 0) == 1.0
    assert cosine(1.0, 5) == pytest.approx(0.5)
    assert cosine(1.0, 10) == 1.0
    assert cosine(1.0, 4, period=2, period_mult=2, min_lr=0.2) == pytest.approx(0.6)
    assert cosine(1.0, 6, period=2, period_mult=2) == 1.0


@pytest.mark.parametrize("seed", range(3))
def test_newton_step_agrees_with_the_solution_and_reaches_a_quadratics_minimum(seed):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((4, 4))
    hessian = a @ a.T + np.eye(4)
    minimum, w = rng.standard_normal(4), rng.standard_normal(4)
    dw = hessian @ (w - minimum)
    step = reference.newton_step(w, dw, hessian)
    assert_same(step, SOLUTION["newton_step"](w, dw, hessian))
    np.testing.assert_allclose(step, minimum)


@pytest.mark.parametrize("pairs", [0, 1, 2, 5])
def test_lbfgs_direction_agrees_with_the_solution(pairs):
    rng = np.random.default_rng(pairs)
    grad = rng.standard_normal(6)
    s_history = [rng.standard_normal(6) for _ in range(pairs)]
    y_history = [s + 0.3 * rng.standard_normal(6) for s in s_history]
    grad_before = grad.copy()
    ours = reference.lbfgs_direction(grad, s_history, y_history)
    assert_same(ours, SOLUTION["lbfgs_direction"](grad, s_history, y_history))
    np.testing.assert_array_equal(grad, grad_before)


def test_lbfgs_direction_satisfies_the_secant_condition():
    # With one pair the inverse Hessian estimate H maps y to s: H y = s, so -H(-y) = s.
    s, y = np.array([1.0, 2.0, 0.5]), np.array([2.0, 1.0, 1.0])
    np.testing.assert_allclose(reference.lbfgs_direction(-y, [s], [y]), s)
    np.testing.assert_allclose(reference.lbfgs_direction(np.array([1, 2, 3]), [], []), [-1.0, -2.0, -3.0])
