"""Plots for the notebooks: optimizer paths on toy losses, loss curves, accuracies, schedules.

Every function draws into the given matplotlib Axes (or a new figure) and returns the Axes.
"""

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import LogNorm
from matplotlib.lines import Line2D


def _new_axes(ax, figsize):
    if ax is None:
        _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


def _colors(count):
    """count distinct colors from matplotlib's default cycle (repeating if needed)."""
    cycle = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    return [cycle[i % len(cycle)] for i in range(count)]


def plot_trajectories(loss, trajectories, ax=None, title=None, num_levels=25):
    """Contours of a toy loss with the paths of several optimizers on top.

    Contour levels are log-spaced above the grid's minimum value, so both the flat
    floor of a valley and its steep walls show. Each path starts at a circle and ends
    at a cross; the star is loss.minimum.

    Inputs:
    - loss: cs_utils.toy_losses.ToyLoss
    - trajectories: dict name -> float array (T, 2) of points, e.g. from run_optimizer
    - ax: matplotlib Axes, or None for a new figure
    - title: str, or None for loss.name
    - num_levels: int, number of contour levels

    Returns:
    - ax: matplotlib Axes
    """
    ax = _new_axes(ax, (7, 5.5))
    x_min, x_max, y_min, y_max = loss.extent
    X, Y = np.meshgrid(np.linspace(x_min, x_max, 300), np.linspace(y_min, y_max, 300))
    # Log levels need positive heights, and a loss can be negative (the saddle's is).
    height = loss.value_grid(X, Y)
    height = height - height.min()
    levels = np.logspace(np.log10(height.max() * 1e-3), np.log10(height.max()), num_levels)
    height = np.maximum(height, levels[0] / 10)
    norm = LogNorm(levels[0], levels[-1])
    ax.contourf(X, Y, height, levels=levels, norm=norm, cmap="Blues_r", alpha=0.35, extend="min")
    ax.contour(X, Y, height, levels=levels, norm=norm, cmap="Blues_r", linewidths=0.7)

    for color, (name, path) in zip(_colors(len(trajectories)), trajectories.items()):
        path = np.asarray(path, dtype=np.float64)
        finite = path[np.all(np.isfinite(path), axis=1)]
        # Dots at every iterate show the step sizes, not just the route.
        ax.plot(path[:, 0], path[:, 1], "-", marker=".", markersize=3, color=color, linewidth=1.4, label=name)
        ax.plot(*finite[0], "o", color=color, markeredgecolor="black", markersize=8)
        ax.plot(*finite[-1], "X", color=color, markeredgecolor="black", markersize=9)
    if loss.minimum is not None:
        ax.plot(*loss.minimum, "*", color="gold", markeredgecolor="black", markersize=16)

    handles, _ = ax.get_legend_handles_labels()
    markers = [Line2D([], [], linestyle="none", marker="o", color="gray", markeredgecolor="black", label="start"),
               Line2D([], [], linestyle="none", marker="X", color="gray", markeredgecolor="black", label="end")]
    if loss.minimum is not None:
        markers.append(Line2D([], [], linestyle="none", marker="*", color="gold", markeredgecolor="black",
                              markersize=12, label="minimum"))
    ax.legend(handles=handles + markers, loc="best", fontsize="small", framealpha=0.9)
    ax.set_xlim(x_min, x_max)
    ax.set_ylim(y_min, y_max)
    ax.set_aspect("equal")
    ax.set_xlabel("$w_1$")
    ax.set_ylabel("$w_2$")
    ax.set_title(loss.name if title is None else title)
    return ax


def _moving_average(values, window):
    """Mean of each run of `window` consecutive values: float array (len(values) - window + 1,)."""
    return np.convolve(values, np.ones(window) / window, mode="valid")


def plot_loss_curves(histories, ax=None, ylabel="loss", smooth=None, logy=False, xlabel="iteration", title=None):
    """One curve per run, e.g. the loss_history of several solvers.

    Inputs:
    - histories: dict name -> sequence of float, one value per iteration (or epoch)
    - ax: matplotlib Axes, or None for a new figure
    - ylabel: str
    - smooth: int window of a moving average drawn over the faint raw curve, or None
    - logy: bool, logarithmic y axis
    - xlabel: str
    - title: str or None

    Returns:
    - ax: matplotlib Axes
    """
    ax = _new_axes(ax, (7, 4.5))
    for color, (name, values) in zip(_colors(len(histories)), histories.items()):
        values = np.asarray(values, dtype=np.float64)
        if smooth is not None and smooth > 1 and len(values) >= smooth:
            ax.plot(values, color=color, alpha=0.25, linewidth=0.8)
            ax.plot(np.arange(smooth - 1, len(values)), _moving_average(values, smooth), color=color,
                    linewidth=1.8, label=name)
        else:
            ax.plot(values, color=color, linewidth=1.5, label=name)
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel if smooth is None else f"{ylabel} (moving average of {smooth})")
    if title is not None:
        ax.set_title(title)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize="small")
    return ax


def plot_train_val(solvers, ax=None, title="Training and validation accuracy"):
    """Training (dashed) and validation (solid) accuracy per epoch of several solvers.

    Inputs:
    - solvers: dict name -> cs_utils.solver.Solver, already trained
    - ax: matplotlib Axes, or None for a new figure
    - title: str or None

    Returns:
    - ax: matplotlib Axes
    """
    ax = _new_axes(ax, (7, 4.5))
    for color, (name, solver) in zip(_colors(len(solvers)), solvers.items()):
        ax.plot(solver.train_acc_history, "--", marker=".", color=color, label=f"{name}: train")
        ax.plot(solver.val_acc_history, "-", marker="o", markersize=4, color=color, label=f"{name}: val")
    ax.set_xlabel("epoch")
    ax.set_ylabel("accuracy")
    if title is not None:
        ax.set_title(title)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize="small")
    return ax


def plot_schedules(schedules, ax=None, xlabel="epoch", logy=False, title="Learning-rate schedules"):
    """Learning rate against step or epoch, one curve per schedule.

    Inputs:
    - schedules: dict name -> sequence of float, the learning rate at t = 0, 1, ...
    - ax: matplotlib Axes, or None for a new figure
    - xlabel: str
    - logy: bool, logarithmic y axis
    - title: str or None

    Returns:
    - ax: matplotlib Axes
    """
    ax = _new_axes(ax, (7, 4))
    for color, (name, rates) in zip(_colors(len(schedules)), schedules.items()):
        ax.plot(np.asarray(rates, dtype=np.float64), "-", marker=".", color=color, label=name)
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("learning rate")
    if title is not None:
        ax.set_title(title)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize="small")
    return ax
