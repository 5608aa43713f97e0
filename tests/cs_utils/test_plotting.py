import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

from cs_utils.data import load_dataset
from cs_utils.fc_net import FullyConnectedNet
from cs_utils.plotting import plot_loss_curves, plot_schedules, plot_train_val, plot_trajectories
from cs_utils.solver import Solver
from cs_utils.toy_losses import noisy, run_optimizer, saddle, taco_shell


def sgd(w, dw, config=None):
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-2)
    return w - config["learning_rate"] * dw, config


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.mark.parametrize("loss", [taco_shell(), saddle(), noisy(taco_shell(), 1.0, 0)], ids=lambda loss: loss.name)
def test_plot_trajectories(loss):
    paths = {"slow": run_optimizer(sgd, loss, num_steps=30),
             "diverging": run_optimizer(sgd, loss, num_steps=30, config={"learning_rate": 1.5})}
    ax = plot_trajectories(loss, paths)
    assert ax.get_title() == loss.name
    assert ax.get_xlim() == pytest.approx(loss.extent[:2])
    labels = [text.get_text() for text in ax.get_legend().get_texts()]
    assert labels[:2] == ["slow", "diverging"] and "start" in labels and "end" in labels
    _, given_ax = plt.subplots()
    assert plot_trajectories(loss, paths, ax=given_ax, title="mine") is given_ax
    assert given_ax.get_title() == "mine"


def test_plot_loss_curves():
    rng = np.random.default_rng(0)
    histories = {"a": np.exp(-np.linspace(0, 3, 50)) + 0.01 * rng.random(50), "b": list(np.linspace(1, 0.1, 50))}
    ax = plot_loss_curves(histories, smooth=5, logy=True)
    assert ax.get_yscale() == "log"
    assert [text.get_text() for text in ax.get_legend().get_texts()] == ["a", "b"]
    plot_loss_curves({"short": [1.0, 0.5]}, smooth=10, ylabel="objective")


def test_plot_train_val_and_schedules():
    data = load_dataset("digits", num_train=40, num_val=20, num_test=5)
    solvers = {}
    for name, learning_rate in [("small lr", 1e-3), ("large lr", 1e-2)]:
        model = FullyConnectedNet([10], input_dim=64, seed=0)
        solvers[name] = Solver(model, data, sgd, optim_config={"learning_rate": learning_rate}, batch_size=20,
                               num_epochs=2, verbose=False, progress=False, seed=0)
        solvers[name].train()
    ax = plot_train_val(solvers)
    assert len(ax.get_lines()) == 4
    assert ax.get_xlabel() == "epoch"

    ax = plot_schedules({"step": [0.1 * 0.5 ** (t // 3) for t in range(10)], "constant": [0.1] * 10}, logy=True)
    assert ax.get_ylabel() == "learning rate" and len(ax.get_lines()) == 2
