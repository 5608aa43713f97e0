"""The reference activations, initializations, preprocessing, babysitting and search of 00
Foundations agree with the solution notebook and with known values."""
import copy
import math

import numpy as np
import pytest

from autograder.reference import foundations as reference
from tests.reference.solution_code import assert_same, solution_definitions

SOLUTION = solution_definitions("foundations")


def inputs(seed, shape=(6, 5), scale=3.0):
    """Random values with exact zeros among them, where the piecewise activations switch."""
    x = scale * np.random.default_rng(seed).standard_normal(shape)
    x.flat[::4] = 0.0
    return x


def forward_backward(forward, backward, x, *params):
    x_before = x.copy()
    out, cache = forward(x, *params)
    dout = np.random.default_rng(7).standard_normal(out.shape)
    grads = backward(dout, cache)
    np.testing.assert_array_equal(x, x_before)
    return out, grads


ACTIVATIONS = {
    "sigmoid": [()],
    "tanh": [()],
    "leaky_relu": [(), (0.2,)],
    "prelu": [(np.array([0.1, -0.3, 0.5, 2.0, 0.0]),)],
    "elu": [(), (0.4,)],
}


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activations_agree_with_the_solution(name, seed):
    for params in ACTIVATIONS[name]:
        x = inputs(seed)
        forward, backward = getattr(reference, f"{name}_forward"), getattr(reference, f"{name}_backward")
        ours = forward_backward(forward, backward, x, *params)
        theirs = forward_backward(SOLUTION[f"{name}_forward"], SOLUTION[f"{name}_backward"], x, *params)
        assert_same(ours, theirs)


@pytest.mark.parametrize("seed", [0, 1])
def test_maxout_agrees_with_the_solution(seed):
    rng = np.random.default_rng(seed)
    x, w1, w2 = rng.standard_normal((5, 4)), rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    b1, b2 = rng.standard_normal(3), rng.standard_normal(3)
    w2[:, 0], b2[0] = w1[:, 0], b1[0]  # a tie: the first piece wins it
    ours = forward_backward(reference.maxout_forward, reference.maxout_backward, x, w1, b1, w2, b2)
    theirs = forward_backward(SOLUTION["maxout_forward"], SOLUTION["maxout_backward"], x, w1, b1, w2, b2)
    assert_same(ours, theirs)


def test_activations_known_values():
    x = np.array([-800.0, -1.0, 0.0, 2.0, 800.0])
    out, cache = reference.sigmoid_forward(x)
    np.testing.assert_allclose(out, [0.0, 1 / (1 + math.e), 0.5, 1 / (1 + math.exp(-2)), 1.0])
    np.testing.assert_allclose(reference.sigmoid_backward(np.ones(5), cache), out * (1 - out))
    out, cache = reference.tanh_forward(x)
    np.testing.assert_allclose(reference.tanh_backward(2 * np.ones(5), cache), 2 * (1 - np.tanh(x) ** 2))
    out, cache = reference.leaky_relu_forward(x)
    np.testing.assert_allclose(out, [-8.0, -0.01, 0.0, 2.0, 800.0])
    np.testing.assert_allclose(reference.leaky_relu_backward(np.ones(5), cache), [0.01, 0.01, 0.01, 1, 1])
    out, cache = reference.elu_forward(np.array([-1.0, 0.0, 3.0]), 2.0)
    np.testing.assert_allclose(out, [2 * (math.exp(-1) - 1), 0.0, 3.0])
    np.testing.assert_allclose(reference.elu_backward(np.ones(3), cache), [2 * math.exp(-1), 2.0, 1.0])
    out, cache = reference.prelu_forward(np.array([[-2.0, 0.0, 3.0]]), np.array([0.5, 0.5, 0.5]))
    dx, dalpha = reference.prelu_backward(np.ones((1, 3)), cache)
    np.testing.assert_allclose(out, [[-1.0, 0.0, 3.0]])
    np.testing.assert_allclose(dx, [[0.5, 0.5, 1.0]])
    np.testing.assert_allclose(dalpha, [-2.0, 0.0, 0.0])


@pytest.mark.parametrize("name, variance", [("xavier_init", 1.0), ("he_init", 2.0)])
def test_initializations_agree_with_the_solution_and_their_variance(name, variance):
    ours = getattr(reference, name)(400, 300, np.random.default_rng(0))
    assert_same(ours, SOLUTION[name](400, 300, np.random.default_rng(0)))
    assert ours.shape == (400, 300)
    assert ours.var() == pytest.approx(variance / 400, rel=0.02)


@pytest.mark.parametrize("mode", reference.PREPROCESSING_MODES)
@pytest.mark.parametrize("epsilon", [None, 0.5])
def test_preprocessing_agrees_with_the_solution(mode, epsilon):
    rng = np.random.default_rng(3)
    X_train = rng.standard_normal((40, 4)) @ rng.standard_normal((4, 4)) + rng.standard_normal(4)
    X_train[:, 3] = 1.5  # a feature without variance
    X = rng.standard_normal((7, 4))
    options = {} if epsilon is None else {"epsilon": epsilon}
    train_before, before = X_train.copy(), X.copy()
    ours = reference.apply_preprocessing(X, reference.fit_preprocessing(X_train, mode, **options))
    theirs = SOLUTION["apply_preprocessing"](X, SOLUTION["fit_preprocessing"](X_train, mode, **options))
    if mode == "whiten":  # eigenvectors are defined up to their sign
        ours, theirs = np.abs(ours), np.abs(theirs)
    assert_same(ours, theirs, rtol=1e-8, atol=1e-10)
    np.testing.assert_array_equal(X_train, train_before)
    np.testing.assert_array_equal(X, before)


def built(text):
    """``text`` as a string made at run time: equal to the literal, but not the same object."""
    return "".join(list(text))


def test_preprocessing_known_statistics():
    X_train = np.array([[1, 0, 3], [3, 0, 3], [5, 0, 9]])
    stats = reference.fit_preprocessing(X_train, "center")
    assert stats["mode"] == "center"
    assert_same(reference.apply_preprocessing(X_train, stats), np.array([[-2.0, 0, -2], [0, 0, -2], [2, 0, 4]]))
    standardized = reference.apply_preprocessing(X_train, reference.fit_preprocessing(X_train, "standardize"))
    np.testing.assert_allclose(standardized.std(axis=0), [1, 0, 1], atol=1e-5)
    whitened = reference.apply_preprocessing(X_train, reference.fit_preprocessing(X_train, "whiten", epsilon=1e-12))
    np.testing.assert_allclose(np.cov(whitened[:, :2].T, bias=True), np.eye(2), atol=1e-6)
    assert whitened.dtype == np.float64
    assert sorted(stats) == ["mean", "mode"]
    assert sorted(reference.fit_preprocessing(X_train, "standardize")) == ["mean", "mode", "scale"]
    assert sorted(reference.fit_preprocessing(X_train, "whiten")) == ["mean", "mode", "projection"]
    # modes built at run time are equal to the literals, not the same objects
    whiten = reference.fit_preprocessing(X_train, built("whiten"), epsilon=1e-12)
    np.testing.assert_allclose(np.abs(reference.apply_preprocessing(X_train, whiten)), np.abs(whitened))
    np.testing.assert_allclose(reference.apply_preprocessing(X_train, reference.fit_preprocessing(
        X_train, built("standardize"))), standardized)
    with pytest.raises(ValueError, match="mode"):
        reference.fit_preprocessing(X_train, "normalize")


def test_whitening_orders_the_components_by_decreasing_variance():
    rng = np.random.default_rng(0)
    X_train = rng.standard_normal((500, 3)) * [1.0, 5.0, 0.2]
    stats = reference.fit_preprocessing(X_train, "whiten", epsilon=0.0)
    np.testing.assert_allclose(np.abs(stats["projection"]) * [[1.0], [5.0], [0.2]], [[0, 1, 0], [1, 0, 0], [0, 0, 1]],
                               atol=0.1)


def test_update_ratio():
    w = np.array([[3.0, 0.0], [0.0, 4.0]])
    assert reference.update_ratio(w, w + [[0.0, 1.0], [0.0, 0.0]]) == pytest.approx(0.2)
    rng = np.random.default_rng(0)
    w_before, w_after = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    ratio = reference.update_ratio(w_before, w_after)
    assert type(ratio) is float
    assert ratio == pytest.approx(SOLUTION["update_ratio"](w_before, w_after), rel=1e-12)


def run_early_stopping(stopper_class, values, **options):
    stopper = stopper_class(**options)
    record = []
    for epoch, value in enumerate(values):
        params = {"w": np.array([float(epoch)])}
        stop = stopper.step(value, params)
        params["w"][0] = -1.0  # the stopper keeps a copy, not this dict
        record.append((stop, stopper.best_value, stopper.best_epoch, copy.deepcopy(stopper.best_params)))
    return record


@pytest.mark.parametrize("options", [{"patience": 2}, {"patience": 3, "min_delta": 0.05},
                                     {"patience": 2, "mode": "min"}, {"patience": 1, "min_delta": 0.05, "mode": "min"}])
def test_early_stopping_agrees_with_the_solution(options):
    values = [0.5, 0.6, 0.62, 0.6, 0.7, 0.7, 0.4, 0.3, 0.35, 0.29, 0.29, 0.8, 0.8, 0.8, 0.8]
    ours = run_early_stopping(reference.EarlyStopping, values, **options)
    assert_same(ours, run_early_stopping(SOLUTION["EarlyStopping"], values, **options))


def test_early_stopping_known_run():
    stopper = reference.EarlyStopping(patience=2, min_delta=0.1)
    assert (stopper.best_value, stopper.best_epoch, stopper.epoch) == (None, None, 0)
    assert [stopper.step(v, {"v": v}) for v in [1.0, 1.05, 1.2, 1.25, 1.3]] == [False, False, False, False, True]
    assert (stopper.best_value, stopper.best_epoch, stopper.best_params, stopper.epoch) == (1.2, 2, {"v": 1.2}, 5)
    stopper = reference.EarlyStopping(patience=1, mode="min")
    assert [stopper.step(v, None) for v in [2.0, 1.0, 1.0]] == [False, False, True]
    stopper = reference.EarlyStopping(patience=1, mode=built("max"))
    assert [stopper.step(v, None) for v in [1.0, 2.0, 1.0]] == [False, False, True]
    with pytest.raises(ValueError, match="mode"):
        reference.EarlyStopping(patience=1, mode="maximum")


def test_sample_log_uniform():
    ours = reference.sample_log_uniform(1e-4, 1e-1, 2000, np.random.default_rng(0))
    assert_same(ours, SOLUTION["sample_log_uniform"](1e-4, 1e-1, 2000, np.random.default_rng(0)))
    assert ours.min() >= 1e-4 and ours.max() < 1e-1
    assert np.mean(ours < 1e-3) == pytest.approx(1 / 3, abs=0.05)


def objective(config):
    return -(config["x"] - 0.3) ** 2 - abs(config.get("y", 1.0) - 2.0)


def test_grid_search_agrees_with_the_solution():
    grid = {"x": [0.0, 0.25, 1.0], "y": [1.0, 2.0]}
    ours = reference.grid_search(objective, grid)
    assert ours == SOLUTION["grid_search"](objective, grid)
    assert len(ours) == 6 and ours[0] == ({"x": 0.25, "y": 2.0}, objective({"x": 0.25, "y": 2.0}))
    assert [score for _, score in ours] == sorted((score for _, score in ours), reverse=True)


def test_random_and_coarse_to_fine_search_agree_with_the_solution():
    space = {"x": (1e-3, 1.0, "log"), "y": (0.0, 4.0, "linear")}
    ours = reference.random_search(objective, space, 12, np.random.default_rng(5))
    assert ours == SOLUTION["random_search"](objective, space, 12, np.random.default_rng(5))
    assert [score for _, score in ours] == sorted((score for _, score in ours), reverse=True)
    assert all(type(value) is float for config, _ in ours for value in config.values())
    built_space = {"x": (1e-3, 1.0, built("log")), "y": (0.0, 4.0, "linear")}
    assert reference.random_search(objective, built_space, 12, np.random.default_rng(5)) == ours
    narrowed = reference.coarse_to_fine(ours, space, 4)
    assert narrowed == SOLUTION["coarse_to_fine"](ours, space, 4)
    best = [config for config, _ in ours[:4]]
    assert narrowed["x"] == (min(c["x"] for c in best), max(c["x"] for c in best), "log")
    assert narrowed["y"][2] == "linear"
