import numpy as np
import pytest

from autograder.reference.regularization import polyak_update
from cs_utils.averaging import AveragingSolver, accuracy, predict_proba, softmax
from cs_utils.data import load_dataset
from cs_utils.fc_net import FullyConnectedNet
from cs_utils.solver import Solver


def sgd(w, dw, config=None):
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-2)
    return w - config["learning_rate"] * dw, config


@pytest.fixture(scope="module")
def small_data():
    return load_dataset("digits", num_train=60, num_val=40, num_test=10, seed=0)


def _model():
    return FullyConnectedNet([20], input_dim=64, weight_scale=0.1, seed=0)


def _options(**kwargs):
    options = {"optim_config": {"learning_rate": 0.05}, "batch_size": 20, "num_epochs": 6,
               "verbose": False, "progress": False, "seed": 0}
    options.update(kwargs)
    return options


def test_softmax_rows_are_distributions_even_for_huge_scores():
    scores = np.array([[1000.0, 1001.0, 999.0], [0.0, 0.0, 0.0]])
    probabilities = softmax(scores)
    assert np.all(np.isfinite(probabilities))
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0)
    np.testing.assert_allclose(probabilities[1], 1 / 3)
    assert np.argmax(probabilities[0]) == 1


def test_accuracy():
    assert accuracy(np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]]), np.array([0, 1, 1])) == pytest.approx(2 / 3)


def test_predict_proba_uses_the_given_params_and_restores_the_model(small_data):
    model, other = _model(), FullyConnectedNet([20], input_dim=64, weight_scale=0.1, seed=1)
    before = {name: value.copy() for name, value in model.params.items()}
    X = small_data["X_val"]
    probabilities = predict_proba(model, X, other.params, batch_size=7)
    np.testing.assert_allclose(probabilities, softmax(other.loss(X)))
    for name, value in model.params.items():
        np.testing.assert_array_equal(value, before[name])
    np.testing.assert_allclose(predict_proba(model, X), softmax(model.loss(X)))


def test_training_is_that_of_the_plain_solver(small_data):
    plain = Solver(_model(), small_data, sgd, **_options())
    averaging = AveragingSolver(_model(), small_data, sgd, snapshot_epochs=[2, 4], polyak_update=polyak_update,
                                **_options())
    plain.train()
    averaging.train()
    assert averaging.loss_history == plain.loss_history
    assert averaging.val_acc_history == plain.val_acc_history


def test_snapshots_are_taken_at_the_given_epochs(small_data):
    solver = AveragingSolver(_model(), small_data, sgd, snapshot_epochs=[6, 2, 4, 9], **_options())
    solver.train()
    assert solver.snapshot_epochs_taken == [2, 4, 6]
    assert len(solver.snapshots) == 3
    for name, value in solver.snapshots[-1].items():
        np.testing.assert_array_equal(value, solver.last_params[name])
    assert not np.array_equal(solver.snapshots[0]["W1"], solver.snapshots[1]["W1"])
    assert solver.polyak_params == {} and solver.polyak_val_acc_history == []


def test_polyak_average_follows_every_step(small_data):
    calls = []

    def recording_update(w_avg, w, decay):
        calls.append((w_avg is None, decay))
        return polyak_update(w_avg, w, decay)

    solver = AveragingSolver(_model(), small_data, sgd, polyak_update=recording_update, polyak_decay=0.9,
                             **_options(num_epochs=3))
    solver.train()
    num_steps, num_params = len(solver.loss_history), len(solver.model.params)
    assert len(calls) == num_steps * num_params
    assert sum(first for first, _ in calls) == num_params
    assert {decay for _, decay in calls} == {0.9}
    assert len(solver.polyak_val_acc_history) == 3
    assert all(0.0 <= acc <= 1.0 for acc in solver.polyak_val_acc_history)


def test_polyak_without_memory_is_the_last_iterate(small_data):
    solver = AveragingSolver(_model(), small_data, sgd, polyak_update=polyak_update, polyak_decay=0.0, **_options())
    solver.train()
    for name, value in solver.polyak_params.items():
        np.testing.assert_allclose(value, solver.last_params[name])
    assert solver.polyak_val_acc_history[-1] == solver.val_acc_history[-1]
