import numpy as np
import pytest

from cs_utils.data import load_dataset
from cs_utils.fc_net import FullyConnectedNet
from cs_utils.solver import Solver


def sgd(w, dw, config=None):
    """Plain SGD in the course's update-rule convention."""
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-2)
    return w - config["learning_rate"] * dw, config


def sgd_momentum(w, dw, config=None):
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    velocity = config["momentum"] * config.get("velocity", np.zeros_like(w)) - config["learning_rate"] * dw
    config["velocity"] = velocity
    return w + velocity, config


@pytest.fixture(scope="module")
def small_data():
    return load_dataset("digits", num_train=50, num_val=50, num_test=10, seed=0)


def _solver(data, update_rule=sgd, seed=0, **kwargs):
    model = FullyConnectedNet([50], input_dim=64, weight_scale=1e-1, seed=seed)
    options = {"optim_config": {"learning_rate": 2e-2}, "batch_size": 25, "num_epochs": 20,
               "verbose": False, "progress": False, "seed": seed}
    options.update(kwargs)
    return Solver(model, data, update_rule, **options)


def test_overfits_small_data(small_data):
    solver = _solver(small_data)
    solver.train()
    assert solver.train_acc_history[-1] >= 0.9
    assert len(solver.loss_history) == 20 * 2
    assert len(solver.train_acc_history) == len(solver.val_acc_history) == 20 + 1
    assert len(solver.lr_history) == 20
    assert solver.loss_history[-1] < solver.loss_history[0]


def test_partial_last_batch_is_used(small_data):
    solver = _solver(small_data, batch_size=20, num_epochs=2)
    solver.train()
    assert len(solver.loss_history) == 2 * 3  # batches of 20, 20 and 10


def test_lr_decay_is_recorded(small_data):
    solver = _solver(small_data, optim_config={"learning_rate": 1e-2}, lr_decay=0.5, num_epochs=4)
    solver.train()
    np.testing.assert_allclose(solver.lr_history, [1e-2, 5e-3, 2.5e-3, 1.25e-3])
    for config in solver.optim_configs.values():
        assert config["learning_rate"] == pytest.approx(1e-2 * 0.5 ** 4)


def test_lr_schedule_overrides_decay(small_data):
    def schedule(epoch):
        return 0.1 / (1 + epoch)

    solver = _solver(small_data, lr_schedule=schedule, lr_decay=0.5, num_epochs=4)
    solver.train()
    np.testing.assert_allclose(solver.lr_history, [schedule(epoch) for epoch in range(4)])


def test_best_params_are_loaded(small_data):
    solver = _solver(small_data, num_epochs=8)
    solver.train()
    assert solver.best_val_acc == max(solver.val_acc_history)
    for name, value in solver.best_params.items():
        np.testing.assert_array_equal(solver.model.params[name], value)
        assert solver.model.params[name] is not value
    val_acc = solver.check_accuracy(small_data["X_val"], small_data["y_val"])
    assert val_acc == pytest.approx(solver.best_val_acc)


def test_configs_are_not_shared(small_data):
    optim_config = {"learning_rate": 1e-2, "seen": []}

    def recording_momentum(w, dw, config):
        config["seen"].append(w.shape)
        return sgd_momentum(w, dw, config)

    solver = _solver(small_data, update_rule=recording_momentum, optim_config=optim_config, num_epochs=2)
    solver.train()
    assert optim_config == {"learning_rate": 1e-2, "seen": []}
    num_steps = len(solver.loss_history)
    for name, config in solver.optim_configs.items():
        assert config["seen"] == [solver.model.params[name].shape] * num_steps
        assert config["velocity"].shape == solver.model.params[name].shape
    ids = {id(config) for config in solver.optim_configs.values()}
    assert len(ids) == len(solver.model.params)


def test_training_is_deterministic_in_seed(small_data):
    first, second = _solver(small_data, num_epochs=3), _solver(small_data, num_epochs=3)
    first.train()
    second.train()
    assert first.loss_history == second.loss_history
    assert first.val_acc_history == second.val_acc_history


def test_check_accuracy_subsamples(small_data):
    solver = _solver(small_data)
    acc = solver.check_accuracy(small_data["X_train"], small_data["y_train"], num_samples=10, batch_size=3)
    assert 0.0 <= acc <= 1.0 and round(acc * 10) == pytest.approx(acc * 10)


def test_verbose_prints_and_quiet_does_not(small_data, capsys):
    _solver(small_data, num_epochs=1, verbose=True, print_every=1).train()
    out = capsys.readouterr().out
    assert "(Epoch 1 / 1)" in out and "(Iteration 2 / 2)" in out
    _solver(small_data, num_epochs=1).train()
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def test_progress_bar_runs(small_data, capsys):
    _solver(small_data, num_epochs=1, progress=True).train()
    assert "training" in capsys.readouterr().err


def test_update_rule_must_be_callable(small_data):
    with pytest.raises(TypeError, match="update_rule"):
        _solver(small_data, update_rule="sgd")
