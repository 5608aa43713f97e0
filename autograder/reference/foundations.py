"""Reference activations, initializations, preprocessing, babysitting and search for 00 Foundations.

Layers follow the cache convention of ``cs_utils.layers``: ``out, cache = f_forward(x, ...)`` and
``dx[, dparams] = f_backward(dout, cache)``. No input is ever modified.
"""
import copy
import itertools
import math

import numpy as np


# --- activations ---------------------------------------------------------------------------------

def sigmoid_forward(x):
    """``1 / (1 + exp(-x))``, computed without overflow for large |x|; cache: the output."""
    z = np.exp(-np.abs(x))
    out = np.where(x >= 0, 1 / (1 + z), z / (1 + z))
    return out, out


def sigmoid_backward(dout, cache):
    """``dout * s * (1 - s)`` with s the cached output."""
    return dout * cache * (1 - cache)


def tanh_forward(x):
    """``tanh(x)``; cache: the output."""
    out = np.tanh(x)
    return out, out


def tanh_backward(dout, cache):
    """``dout * (1 - tanh(x)**2)``."""
    return dout * (1 - cache**2)


def leaky_relu_forward(x, alpha=0.01):
    """``x`` where x > 0, ``alpha * x`` elsewhere; cache: (x, alpha)."""
    return np.where(x > 0, x, alpha * x), (x, alpha)


def leaky_relu_backward(dout, cache):
    """``dout`` where x > 0, ``alpha * dout`` elsewhere."""
    x, alpha = cache
    return np.where(x > 0, dout, alpha * dout)


def prelu_forward(x, alpha):
    """Leaky ReLU with one learned slope per feature: x (N, D), alpha (D,); cache: (x, alpha)."""
    return np.where(x > 0, x, alpha * x), (x, alpha)


def prelu_backward(dout, cache):
    """``(dx, dalpha)``: dalpha sums ``dout * x`` over the examples where x <= 0."""
    x, alpha = cache
    negative = x <= 0
    dx = np.where(negative, alpha * dout, dout)
    dalpha = np.sum(dout * x * negative, axis=0)
    return dx, dalpha


def elu_forward(x, alpha=1.0):
    """``x`` where x > 0, ``alpha * (exp(x) - 1)`` elsewhere; cache: (x, out, alpha)."""
    out = np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))
    return out, (x, out, alpha)


def elu_backward(dout, cache):
    """``dout`` where x > 0, ``dout * alpha * exp(x)`` (= ``dout * (out + alpha)``) elsewhere."""
    x, out, alpha = cache
    return np.where(x > 0, dout, dout * (out + alpha))


def maxout_forward(x, w1, b1, w2, b2):
    """``max(x @ w1 + b1, x @ w2 + b2)`` elementwise: x (N, D), w (D, M), b (M,); out (N, M)."""
    a1, a2 = x @ w1 + b1, x @ w2 + b2
    return np.maximum(a1, a2), (x, w1, w2, a1 >= a2)


def maxout_backward(dout, cache):
    """``(dx, dw1, db1, dw2, db2)``: each unit's gradient flows into the piece that won."""
    x, w1, w2, first = cache
    d1, d2 = dout * first, dout * ~first
    return d1 @ w1.T + d2 @ w2.T, x.T @ d1, d1.sum(axis=0), x.T @ d2, d2.sum(axis=0)


# --- initialization ------------------------------------------------------------------------------

def xavier_init(fan_in, fan_out, rng):
    """Weights (fan_in, fan_out), float64, zero mean and variance 1 / fan_in."""
    return rng.standard_normal((fan_in, fan_out)) / math.sqrt(fan_in)


def he_init(fan_in, fan_out, rng):
    """Weights (fan_in, fan_out), float64, zero mean and variance 2 / fan_in."""
    return rng.standard_normal((fan_in, fan_out)) * math.sqrt(2.0 / fan_in)


# --- preprocessing -------------------------------------------------------------------------------

PREPROCESSING_MODES = ("center", "standardize", "whiten")


def fit_preprocessing(X_train, mode, epsilon=1e-5):
    """Statistics of X_train (N, D) for ``mode``: "center", "standardize" or "whiten".

    "standardize" divides by ``std + epsilon``; "whiten" projects onto the eigenvectors of the
    covariance (decreasing eigenvalues) and divides by ``sqrt(eigenvalue + epsilon)``.
    """
    if mode not in PREPROCESSING_MODES:
        raise ValueError(f"mode must be one of {PREPROCESSING_MODES}, got {mode!r}")
    X_train = np.asarray(X_train, dtype=np.float64)
    mean = X_train.mean(axis=0)
    stats = {"mode": mode, "mean": mean}
    if mode == "standardize":
        stats["scale"] = X_train.std(axis=0) + epsilon
    elif mode == "whiten":
        centred = X_train - mean
        eigenvalues, eigenvectors = np.linalg.eigh(centred.T @ centred / len(X_train))
        order = np.argsort(eigenvalues)[::-1]
        eigenvalues = np.clip(eigenvalues[order], 0.0, None)
        stats["projection"] = eigenvectors[:, order] / np.sqrt(eigenvalues + epsilon)
    return stats


def apply_preprocessing(X, stats):
    """Apply statistics from ``fit_preprocessing`` to X (M, D); returns a new float64 (M, D) array."""
    out = np.asarray(X, dtype=np.float64) - stats["mean"]
    if stats["mode"] == "standardize":
        out = out / stats["scale"]
    elif stats["mode"] == "whiten":
        out = out @ stats["projection"]
    return out


# --- babysitting ---------------------------------------------------------------------------------

def update_ratio(w_before, w_after):
    """``||w_after - w_before|| / ||w_before||`` with the Euclidean norm over all entries."""
    return float(np.linalg.norm(w_after - w_before) / np.linalg.norm(w_before))


class EarlyStopping:
    """Stop when the monitored value has not improved by more than min_delta for ``patience`` steps."""

    def __init__(self, patience, min_delta=0.0, mode="max"):
        if mode not in ("max", "min"):
            raise ValueError(f'mode must be "max" or "min", got {mode!r}')
        self.patience, self.min_delta, self.mode = patience, min_delta, mode
        self.best_value, self.best_epoch, self.best_params = None, None, None
        self.epoch, self.bad_steps = 0, 0

    def _improves(self, value):
        if self.best_value is None:
            return True
        if self.mode == "max":
            return value > self.best_value + self.min_delta
        return value < self.best_value - self.min_delta

    def step(self, value, params):
        """Record the value of epoch ``self.epoch`` (0 for the first call); True when training should stop."""
        if self._improves(value):
            self.best_value, self.best_epoch = value, self.epoch
            self.best_params = copy.deepcopy(params)
            self.bad_steps = 0
        else:
            self.bad_steps += 1
        self.epoch += 1
        return self.bad_steps >= self.patience


# --- hyper-parameter search ----------------------------------------------------------------------

def sample_log_uniform(low, high, size, rng):
    """``size`` values whose logarithm is uniform on [log low, log high)."""
    return np.exp(rng.uniform(math.log(low), math.log(high), size=size))


def _best_first(results):
    return sorted(results, key=lambda pair: pair[1], reverse=True)


def grid_search(objective, grid):
    """Every combination of ``grid`` (name -> list of values), as [(config, score)] best first."""
    names = list(grid)
    configs = [dict(zip(names, values)) for values in itertools.product(*(grid[name] for name in names))]
    return _best_first([(config, objective(config)) for config in configs])


def random_search(objective, space, num_trials, rng):
    """``num_trials`` configs drawn independently from ``space`` (name -> (low, high, scale))."""
    results = []
    for _ in range(num_trials):
        config = {}
        for name, (low, high, scale) in space.items():
            if scale == "log":
                config[name] = float(sample_log_uniform(low, high, None, rng))
            else:
                config[name] = float(rng.uniform(low, high))
        results.append((config, objective(config)))
    return _best_first(results)


def coarse_to_fine(results, space, top_k):
    """The space narrowed to the range of values of the ``top_k`` best configs, scales kept."""
    best = [config for config, _ in results[:top_k]]
    return {name: (min(config[name] for config in best), max(config[name] for config in best), scale)
            for name, (_, _, scale) in space.items()}
