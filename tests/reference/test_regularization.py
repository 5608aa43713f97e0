"""The reference penalties, noise layers, batch normalization and averaging of 02 Regularization
agree with the solution notebook and with known values."""
import numpy as np
import pytest

from autograder.reference import regularization as reference
from tests.reference.solution_code import assert_same, solution_definitions

SOLUTION = solution_definitions("regularization")


def weights(seed, shape=(4, 5)):
    w = np.random.default_rng(seed).standard_normal(shape)
    w.flat[::3] = 0.0  # where sign(w) and |w| have their kink
    return w


@pytest.mark.parametrize("seed", [0, 1])
def test_penalties_agree_with_the_solution(seed):
    w = weights(seed)
    for name, options in [("l2_penalty", {}), ("l1_penalty", {}), ("elastic_net_penalty", {}),
                          ("elastic_net_penalty", {"beta": 2.5})]:
        w_before = w.copy()
        ours = getattr(reference, name)(w, 0.3, **options)
        assert_same(ours, SOLUTION[name](w, 0.3, **options))
        assert type(ours[0]) is float
        np.testing.assert_array_equal(w, w_before)


def test_penalties_known_values():
    w = np.array([3.0, -4.0, 0.0])
    assert_same(reference.l2_penalty(w, 0.1), (1.25, np.array([0.3, -0.4, 0.0])))
    assert_same(reference.l1_penalty(w, 0.1), (0.7, np.array([0.1, -0.1, 0.0])))
    assert_same(reference.elastic_net_penalty(w, 0.1), (0.1 * (12.5 + 7.0), np.array([0.4, -0.5, 0.0])))


def noise_layer(forward, backward, x, param, *extra):
    """Forward then backward through a layer that takes a param dict: outputs and gradients."""
    x_before, param_before = x.copy(), dict(param)
    out, cache = forward(x, *extra, param)
    dout = np.random.default_rng(11).standard_normal(out.shape)
    grads = backward(dout, cache)
    np.testing.assert_array_equal(x, x_before)
    assert param == param_before
    return out, grads


DROPOUT_PARAMS = [{"p": 0.3, "mode": "train", "seed": 4}, {"p": 0.8, "mode": "train", "seed": 5},
                  {"p": 0.3, "mode": "test"}, {"p": 0.8, "mode": "test", "seed": 1}]


@pytest.mark.parametrize("param", DROPOUT_PARAMS, ids=str)
@pytest.mark.parametrize("layer", ["vanilla_dropout", "dropout"])
def test_dropout_agrees_with_the_solution(layer, param):
    x = np.random.default_rng(0).standard_normal((20, 30))
    ours = noise_layer(getattr(reference, f"{layer}_forward"), getattr(reference, f"{layer}_backward"), x, param)
    theirs = noise_layer(SOLUTION[f"{layer}_forward"], SOLUTION[f"{layer}_backward"], x, param)
    assert_same(ours, theirs)


@pytest.mark.parametrize("param", DROPOUT_PARAMS, ids=str)
def test_dropconnect_agrees_with_the_solution(param):
    rng = np.random.default_rng(2)
    x, w, b = rng.standard_normal((6, 2, 3)), rng.standard_normal((6, 4)), rng.standard_normal(4)
    ours = noise_layer(reference.dropconnect_forward, reference.dropconnect_backward, x, param, w, b)
    theirs = noise_layer(SOLUTION["dropconnect_forward"], SOLUTION["dropconnect_backward"], x, param, w, b)
    assert_same(ours, theirs)
    assert ours[1][0].shape == x.shape


def test_dropout_keeps_units_with_probability_p_and_keeps_the_expectation():
    x = np.ones((200, 100))
    out, (_, mask) = reference.dropout_forward(x, {"p": 0.3, "mode": "train", "seed": 0})
    assert mask.mean() == pytest.approx(0.3, abs=0.01)
    assert out.mean() == pytest.approx(1.0, abs=0.05)
    assert set(np.unique(out)) == {0.0, 1 / 0.3}
    vanilla, _ = reference.vanilla_dropout_forward(x, {"p": 0.3, "mode": "train", "seed": 0})
    np.testing.assert_array_equal(vanilla, mask)
    assert_same(reference.vanilla_dropout_forward(x, {"p": 0.3, "mode": "test"})[0], 0.3 * x)
    test_out, _ = reference.dropout_forward(x, {"p": 0.3, "mode": "test"})
    assert_same(test_out, x)
    assert not np.shares_memory(test_out, x)
    unseeded = [reference.dropout_forward(x, {"p": 0.5, "mode": "train"})[0] for _ in range(2)]
    assert not np.array_equal(*unseeded)


def test_noise_layers_refuse_an_unknown_mode():
    x, w, b = np.ones((2, 3)), np.ones((3, 2)), np.zeros(2)
    for call in [lambda p: reference.vanilla_dropout_forward(x, p), lambda p: reference.dropout_forward(x, p),
                 lambda p: reference.dropconnect_forward(x, w, b, p),
                 lambda p: reference.stochastic_depth_forward(x, np.ones((3, 3)), np.zeros(3), p),
                 lambda p: reference.batchnorm_forward(x, np.ones(3), np.zeros(3), p)]:
        for mode in ["eval", "val"]:  # before "test" and "train", and between them
            with pytest.raises(ValueError, match="mode"):
                call({"p": 0.5, "survival": 0.5, "mode": mode})


def built(text):
    """``text`` as a string made at run time: equal to the literal, but not the same object."""
    return "".join(list(text))


@pytest.mark.parametrize("mode", ["train", "test"])
def test_modes_made_at_run_time_are_understood(mode):
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal((4, 3)), rng.standard_normal((3, 3)), rng.standard_normal(3)
    gamma, beta = np.ones(3), np.zeros(3)
    layers = [
        (reference.vanilla_dropout_forward, reference.vanilla_dropout_backward, ()),
        (reference.dropout_forward, reference.dropout_backward, ()),
        (reference.dropconnect_forward, reference.dropconnect_backward, (w, b)),
        (reference.stochastic_depth_forward, reference.stochastic_depth_backward, (w, b)),
    ]
    for forward, backward, extra in layers:
        outputs = []
        for given in (mode, built(mode)):
            param = {"p": 0.5, "survival": 0.5, "mode": given, "seed": 1}
            out, cache = forward(x, *extra, param)
            outputs.append((out, backward(np.ones_like(out), cache)))
        assert_same(outputs[1], outputs[0])
    statistics = [{"mode": given, "running_mean": np.ones(3), "running_var": np.ones(3)}
                  for given in (mode, built(mode))]
    assert_same(*[reference.batchnorm_forward(x, gamma, beta, param)[0] for param in statistics])


def batchnorm_run(forward, backward, bn_param, steps=3):
    """Train steps, then a test step: outputs, gradients and the running statistics after each."""
    rng = np.random.default_rng(8)
    gamma, beta = rng.standard_normal(5), rng.standard_normal(5)
    record = []
    for _ in range(steps):
        x = 2.0 * rng.standard_normal((12, 5)) + 1.0
        out, cache = forward(x, gamma, beta, bn_param)
        grads = backward(rng.standard_normal(out.shape), cache)
        record.append((out, grads, bn_param["running_mean"].copy(), bn_param["running_var"].copy()))
    bn_param["mode"] = "test"
    record.append(forward(rng.standard_normal((4, 5)), gamma, beta, bn_param)[0])
    return record


@pytest.mark.parametrize("backward", ["batchnorm_backward", "batchnorm_backward_alt"])
@pytest.mark.parametrize("options", [{}, {"eps": 0.5, "momentum": 0.3}])
def test_batchnorm_agrees_with_the_solution(options, backward):
    ours = batchnorm_run(reference.batchnorm_forward, getattr(reference, backward), {"mode": "train", **options})
    theirs = batchnorm_run(SOLUTION["batchnorm_forward"], SOLUTION[backward], {"mode": "train", **options})
    assert_same(ours, theirs, rtol=1e-9)


def test_batchnorm_known_values_and_both_backward_passes_agree():
    x = np.array([[1.0, 10.0], [3.0, 14.0]])
    bn_param = {"mode": "train", "eps": 0.0}
    out, cache = reference.batchnorm_forward(x, np.array([2.0, 1.0]), np.array([0.5, -1.0]), bn_param)
    np.testing.assert_allclose(out[:, 0], [-1.5, 2.5])
    np.testing.assert_allclose(bn_param["running_mean"], [0.2, 1.2])
    np.testing.assert_allclose(bn_param["running_var"], [0.1, 0.4])
    rng = np.random.default_rng(0)
    x, gamma, beta = rng.standard_normal((6, 3)), rng.standard_normal(3), rng.standard_normal(3)
    _, cache = reference.batchnorm_forward(x, gamma, beta, {"mode": "train"})
    dout = rng.standard_normal((6, 3))
    assert_same(reference.batchnorm_backward(dout, cache), reference.batchnorm_backward_alt(dout, cache), rtol=1e-8)
    test_out, _ = reference.batchnorm_forward(x, gamma, beta, {"mode": "test", "running_mean": np.ones(3),
                                                               "running_var": np.full(3, 4.0), "eps": 0.0})
    np.testing.assert_allclose(test_out, gamma * (x - 1) / 2 + beta)


def test_batchnorm_gradient_matches_finite_differences():
    rng = np.random.default_rng(1)
    x, gamma, beta = rng.standard_normal((5, 3)), rng.standard_normal(3), rng.standard_normal(3)
    dout = rng.standard_normal((5, 3))
    _, cache = reference.batchnorm_forward(x, gamma, beta, {"mode": "train"})
    dx, _, _ = reference.batchnorm_backward(dout, cache)
    numerical = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        shifted = [x.copy(), x.copy()]
        shifted[0][index] += 1e-6
        shifted[1][index] -= 1e-6
        outs = [reference.batchnorm_forward(s, gamma, beta, {"mode": "train"})[0] for s in shifted]
        numerical[index] = np.sum((outs[0] - outs[1]) * dout) / 2e-6
    np.testing.assert_allclose(dx, numerical, rtol=1e-5, atol=1e-8)


SD_PARAMS = [{"survival": 0.5, "mode": "train", "seed": 3}, {"survival": 0.9, "mode": "train", "seed": 0},
             {"survival": 0.7, "mode": "test"}]


@pytest.mark.parametrize("param", SD_PARAMS, ids=str)
def test_stochastic_depth_agrees_with_the_solution(param):
    rng = np.random.default_rng(4)
    x, w, b = rng.standard_normal((10, 4)), rng.standard_normal((4, 4)), rng.standard_normal(4)
    ours = noise_layer(reference.stochastic_depth_forward, reference.stochastic_depth_backward, x, param, w, b)
    theirs = noise_layer(SOLUTION["stochastic_depth_forward"], SOLUTION["stochastic_depth_backward"], x, param, w, b)
    assert_same(ours, theirs)


def test_stochastic_depth_known_values():
    x, w, b = np.array([[1.0, -2.0]]), np.eye(2), np.array([0.0, 1.0])
    out, cache = reference.stochastic_depth_forward(x, w, b, {"survival": 0.25, "mode": "test"})
    np.testing.assert_allclose(out, [[1.25, -2.0]])
    dx, dw, db = reference.stochastic_depth_backward(np.ones((1, 2)), cache)
    np.testing.assert_allclose(dx, [[1.25, 1.0]])
    np.testing.assert_allclose(db, [0.25, 0.0])
    assert out.dtype == x.dtype
    out32, _ = reference.stochastic_depth_forward(x.astype(np.float32), w, b, {"survival": 1.0, "mode": "train"})
    np.testing.assert_allclose(out32, [[2.0, -2.0]])


def test_averaging_agrees_with_the_solution_and_known_values():
    rng = np.random.default_rng(6)
    w_avg = None
    ours, theirs = [], []
    for decay in [None, 0.9, 0.5]:
        w = rng.standard_normal(4)
        options = {} if decay is None else {"decay": decay}
        ours.append(reference.polyak_update(w_avg, w, **options))
        theirs.append(SOLUTION["polyak_update"](w_avg, w, **options))
        w_avg = ours[-1]
    assert_same(ours, theirs)
    w = np.array([1.0, 2.0])
    started = reference.polyak_update(None, w)
    assert_same(started, w)
    assert not np.shares_memory(started, w)
    assert_same(reference.polyak_update(np.zeros(2), w), np.array([0.005, 0.01]))
    probabilities = [rng.dirichlet(np.ones(3), size=5) for _ in range(4)]
    assert_same(reference.ensemble_predict(probabilities), SOLUTION["ensemble_predict"](probabilities))
    mean, labels = reference.ensemble_predict([[[0.6, 0.4]], [[0.0, 1.0]]])
    assert_same((mean, labels), (np.array([[0.3, 0.7]]), np.array([1])))


@pytest.mark.parametrize("args", [(30, 10), (30, 7), (9, 10), (100, 3, 2), (31, 1, 2), (20, 10, 1)])
def test_snapshot_epochs_agree_with_the_solution(args):
    assert reference.snapshot_epochs(*args) == SOLUTION["snapshot_epochs"](*args)


def test_snapshot_epochs_known_values():
    assert reference.snapshot_epochs(30, 10) == [10, 20, 30]
    assert reference.snapshot_epochs(40, 5, 2) == [5, 15, 35]
    assert reference.snapshot_epochs(4, 5) == []
