from functools import partial

import numpy as np
import pytest

from autograder.reference import regularization as layers
from cs_utils.data import load_dataset
from cs_utils.fc_net import FullyConnectedNet
from cs_utils.gradient_check import eval_numerical_gradient
from cs_utils.regularized_net import RegularizedNet
from cs_utils.solver import Solver

DROPOUT = (layers.dropout_forward, layers.dropout_backward)
VANILLA_DROPOUT = (layers.vanilla_dropout_forward, layers.vanilla_dropout_backward)
DROPCONNECT = (layers.dropconnect_forward, layers.dropconnect_backward)
BATCHNORM = (layers.batchnorm_forward, layers.batchnorm_backward)


def sgd(w, dw, config=None):
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-2)
    return w - config["learning_rate"] * dw, config


@pytest.fixture
def batch():
    rng = np.random.default_rng(0)
    return rng.standard_normal((6, 5)), rng.integers(0, 4, size=6)


def _net(**options):
    return RegularizedNet([7, 6], input_dim=5, num_classes=4, weight_scale=0.5, seed=1, **options)


def test_without_options_it_is_the_plain_fully_connected_net(batch):
    X, y = batch
    net, plain = _net(), FullyConnectedNet([7, 6], input_dim=5, num_classes=4, weight_scale=0.5, seed=1)
    assert net.params.keys() == plain.params.keys()
    for name in net.params:
        np.testing.assert_array_equal(net.params[name], plain.params[name])
    loss, grads = net.loss(X, y)
    plain_loss, plain_grads = plain.loss(X, y)
    assert loss == pytest.approx(plain_loss)
    for name in grads:
        np.testing.assert_allclose(grads[name], plain_grads[name])
    np.testing.assert_allclose(net.loss(X), plain.loss(X))


def test_penalty_is_added_for_every_weight_matrix(batch):
    X, y = batch
    net = _net(penalty=partial(layers.l2_penalty, reg=0.3))
    plain = FullyConnectedNet([7, 6], input_dim=5, num_classes=4, weight_scale=0.5, reg=0.3, seed=1)
    loss, grads = net.loss(X, y)
    plain_loss, plain_grads = plain.loss(X, y)
    assert loss == pytest.approx(plain_loss)
    for name in grads:
        np.testing.assert_allclose(grads[name], plain_grads[name])


@pytest.mark.parametrize("options", [
    {"dropout": DROPOUT, "keep_prob": 0.6},
    {"dropout": VANILLA_DROPOUT, "keep_prob": 0.6},
    {"dropconnect": DROPCONNECT, "dropconnect_keep_prob": 0.7},
    {"batchnorm": BATCHNORM},
    {"batchnorm": BATCHNORM, "dropout": DROPOUT, "keep_prob": 0.8, "penalty": partial(layers.l1_penalty, reg=0.1)},
], ids=["inverted dropout", "vanilla dropout", "dropconnect", "batchnorm", "everything"])
def test_gradients_match_numerical_gradients(batch, options):
    X, y = batch
    net = _net(**options)
    # Nonzero biases (b1, ...) and shifts (beta1, ...) keep every pre-activation off the ReLU's kink at 0.
    bias_rng = np.random.default_rng(2)
    for name in net.params:
        if name.startswith("b"):
            net.params[name] = bias_rng.uniform(0.1, 0.3, size=net.params[name].shape) * bias_rng.choice([-1, 1])

    def loss_with_fixed_randomness(_):
        net.rng = np.random.default_rng(5)  # the same masks on every evaluation
        return net.loss(X, y)[0]

    net.rng = np.random.default_rng(5)
    _, grads = net.loss(X, y)
    assert set(grads) == set(net.params)
    for name, value in net.params.items():
        numerical = eval_numerical_gradient(loss_with_fixed_randomness, value)
        # Absolute tolerance too: with batch norm, the gradient of b1 is exactly zero.
        np.testing.assert_allclose(grads[name], numerical, rtol=1e-5, atol=1e-8, err_msg=name)


def test_batchnorm_adds_parameters_and_keeps_running_statistics(batch):
    X, y = batch
    net = _net(batchnorm=BATCHNORM)
    assert {"gamma1", "beta1", "gamma2", "beta2"} <= set(net.params) and "gamma3" not in net.params
    net.loss(X, y)
    running = [bn_param["running_mean"].copy() for bn_param in net.bn_params]
    assert all(np.any(mean != 0) for mean in running)
    net.loss(X)
    for bn_param, before in zip(net.bn_params, running):
        assert bn_param["mode"] == "test"
        np.testing.assert_array_equal(bn_param["running_mean"], before)


def test_modes_and_fresh_seeds_reach_the_layers(batch):
    X, y = batch
    seen = []

    def recording_dropout(x, dropout_param):
        seen.append(dict(dropout_param))
        return layers.dropout_forward(x, dropout_param)

    net = _net(dropout=(recording_dropout, layers.dropout_backward), keep_prob=0.3)
    net.loss(X, y)
    net.loss(X)
    assert [param["mode"] for param in seen] == ["train", "train", "test", "test"]
    assert all(param["p"] == 0.3 for param in seen)
    assert len({param["seed"] for param in seen}) == len(seen)


def test_test_mode_is_deterministic(batch):
    X, _ = batch
    net = _net(dropout=DROPOUT, dropconnect=DROPCONNECT)
    np.testing.assert_array_equal(net.loss(X), net.loss(X))


def test_runs_are_reproducible_from_the_seed(batch):
    X, y = batch
    first, second = _net(dropout=DROPOUT), _net(dropout=DROPOUT)
    assert [first.loss(X, y)[0] for _ in range(3)] == [second.loss(X, y)[0] for _ in range(3)]


def test_trains_with_the_solver():
    data = load_dataset("digits", num_train=100, num_val=50, num_test=10, seed=0)
    net = RegularizedNet([30], input_dim=64, num_classes=10, weight_scale=0.1, seed=0,
                         dropout=DROPOUT, keep_prob=0.8, batchnorm=BATCHNORM,
                         penalty=partial(layers.l2_penalty, reg=1e-3))
    solver = Solver(net, data, sgd, optim_config={"learning_rate": 0.05}, batch_size=20, num_epochs=5,
                    verbose=False, progress=False, seed=0)
    solver.train()
    assert solver.train_acc_history[-1] > 0.5
    assert np.mean(solver.loss_history[-5:]) < np.mean(solver.loss_history[:5])
