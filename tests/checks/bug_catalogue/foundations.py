"""Typical student bugs in 00 Foundations, and correct formulations that differ from the reference.

``BUGS`` maps a bug name to (exercise, implementation, words the failure message should contain).
``NEAR_MISSES``, in the same form, holds wrong answers close to right, at least one per exercise, so
that a loosened tolerance or a skipped sub-check of the checks makes a test fail.
Activations and preprocessing are checked as pairs, so their entries hold (forward, backward) and
(fit, apply). ``EQUIVALENTS`` maps a name to (exercise, implementation) of a correct alternative.
"""
import copy
import itertools
import math

import numpy as np

from autograder.reference import foundations as reference


# --- sigmoid -------------------------------------------------------------------------------------

def sigmoid_exp_ratio_forward(x):
    out = np.exp(x) / (1 + np.exp(x))
    return out, out


def sigmoid_backward_from_x(dout, cache):
    x = cache
    return dout * x * (1 - x)


def sigmoid_forward_caches_x(x):
    return reference.sigmoid_forward(x)[0], x


def sigmoid_backward_without_dout(dout, cache):
    return cache * (1 - cache)


def sigmoid_forward_wrong_sign(x):
    out = 1 / (1 + np.exp(x))
    return out, out


# --- tanh ----------------------------------------------------------------------------------------

def tanh_from_exponentials(x):
    out = (np.exp(x) - np.exp(-x)) / (np.exp(x) + np.exp(-x))
    return out, out


def tanh_backward_missing_square(dout, cache):
    return dout * (1 - cache)


def tanh_backward_as_sigmoid(dout, cache):
    return dout * cache * (1 - cache)


# --- leaky ReLU ----------------------------------------------------------------------------------

def leaky_relu_hard_coded_alpha(x, alpha=0.01):
    return np.where(x > 0, x, 0.01 * x), (x, 0.01)


def leaky_relu_backward_zero_slope(dout, cache):
    x, _ = cache
    return dout * (x > 0)


def leaky_relu_forward_mutates_x(x, alpha=0.01):
    cache = (x.copy(), alpha)
    x[x < 0] *= alpha
    return x, cache


def leaky_relu_backward_mask_inverted(dout, cache):
    x, alpha = cache
    return np.where(x > 0, alpha * dout, dout)


_LAST_X = {}


def leaky_relu_forward_global(x, alpha=0.01):
    _LAST_X["x"], _LAST_X["alpha"] = x, alpha
    return reference.leaky_relu_forward(x, alpha)


def leaky_relu_backward_global(dout, cache):
    return np.where(_LAST_X["x"] > 0, dout, _LAST_X["alpha"] * dout)


# --- PReLU ---------------------------------------------------------------------------------------

def prelu_dalpha_over_all_entries(dout, cache):
    x, alpha = cache
    dx, _ = reference.prelu_backward(dout, cache)
    return dx, np.sum(dout * x, axis=0)


def prelu_dalpha_not_summed(dout, cache):
    x, alpha = cache
    dx, _ = reference.prelu_backward(dout, cache)
    return dx, dout * x * (x <= 0)


def prelu_dalpha_from_output(dout, cache):
    x, alpha = cache
    dx, _ = reference.prelu_backward(dout, cache)
    return dx, np.sum(dout * alpha * x * (x <= 0), axis=0)


def prelu_shared_slope(x, alpha):
    return np.where(x > 0, x, np.mean(alpha) * x), (x, alpha)


def prelu_dx_ignores_alpha(dout, cache):
    x, _ = cache
    _, dalpha = reference.prelu_backward(dout, cache)
    return dout * (x > 0), dalpha


def prelu_updates_alpha_in_place(x, alpha):
    out, cache = reference.prelu_forward(x, alpha)
    alpha *= 1.0 + 1e-3
    return out, cache


# --- ELU -----------------------------------------------------------------------------------------

def elu_hard_coded_alpha(x, alpha=1.0):
    return reference.elu_forward(x, 1.0)


def elu_backward_derivative_of_relu(dout, cache):
    x = cache[0]
    return dout * (x > 0)


def elu_forward_without_minus_one(x, alpha=1.0):
    out = np.where(x > 0, x, alpha * np.exp(np.minimum(x, 0)))
    return out, (x, out, alpha)


def elu_backward_without_alpha(dout, cache):
    x, out, alpha = cache
    return np.where(x > 0, dout, dout * np.exp(np.minimum(x, 0)))


# --- maxout --------------------------------------------------------------------------------------

def maxout_of_weights(x, w1, b1, w2, b2):
    out = x @ np.maximum(w1, w2) + np.maximum(b1, b2)
    return out, reference.maxout_forward(x, w1, b1, w2, b2)[1]


def maxout_backward_both_pieces(dout, cache):
    x, w1, w2, _ = cache
    return dout @ w1.T + dout @ w2.T, x.T @ dout, dout.sum(axis=0), x.T @ dout, dout.sum(axis=0)


def maxout_backward_mask_inverted(dout, cache):
    x, w1, w2, first = cache
    return reference.maxout_backward(dout, (x, w1, w2, ~first))


def maxout_backward_db_not_summed(dout, cache):
    dx, dw1, db1, dw2, db2 = reference.maxout_backward(dout, cache)
    return dx, dw1, db1.mean() * np.ones_like(db1), dw2, db2


def maxout_min(x, w1, b1, w2, b2):
    a1, a2 = x @ w1 + b1, x @ w2 + b2
    return np.minimum(a1, a2), (x, w1, w2, a1 <= a2)


# --- initialization ------------------------------------------------------------------------------

def xavier_divides_by_fan_out(fan_in, fan_out, rng):
    return rng.standard_normal((fan_in, fan_out)) / math.sqrt(fan_out)


def xavier_std_as_variance(fan_in, fan_out, rng):
    return rng.normal(0.0, 1.0 / fan_in, size=(fan_in, fan_out))


def xavier_global_random(fan_in, fan_out, rng):
    return np.random.randn(fan_in, fan_out) / math.sqrt(fan_in)


def xavier_float32(fan_in, fan_out, rng):
    return (rng.standard_normal((fan_in, fan_out)) / math.sqrt(fan_in)).astype(np.float32)


def xavier_transposed(fan_in, fan_out, rng):
    return rng.standard_normal((fan_out, fan_in)) / math.sqrt(fan_in)


def xavier_glorot_average(fan_in, fan_out, rng):
    limit = math.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, size=(fan_in, fan_out))


def xavier_fixed_seed(fan_in, fan_out, rng):
    return np.random.default_rng(0).standard_normal((fan_in, fan_out)) / math.sqrt(fan_in)


def he_is_xavier(fan_in, fan_out, rng):
    return reference.xavier_init(fan_in, fan_out, rng)


def he_uniform_missing_sqrt3(fan_in, fan_out, rng):
    limit = math.sqrt(2.0 / fan_in)
    return rng.uniform(-limit, limit, size=(fan_in, fan_out))


def he_positive_only(fan_in, fan_out, rng):
    return np.abs(rng.standard_normal((fan_in, fan_out))) * math.sqrt(2.0 / fan_in)


def he_small_constant(fan_in, fan_out, rng):
    return 0.01 * rng.standard_normal((fan_in, fan_out))


# --- preprocessing -------------------------------------------------------------------------------

def _fit(X_train, mode, epsilon=1e-5, **changes):
    stats = reference.fit_preprocessing(X_train, mode, epsilon)
    stats.update(changes)
    return stats


def fit_remembers_data(X_train, mode, epsilon=1e-5):
    return {"mode": mode, "epsilon": epsilon}


def apply_refits(X, stats):
    return reference.apply_preprocessing(X, reference.fit_preprocessing(X, stats["mode"], stats["epsilon"]))


def fit_global_std(X_train, mode, epsilon=1e-5):
    stats = reference.fit_preprocessing(X_train, mode, epsilon)
    if mode == "standardize":
        stats["scale"] = np.full(X_train.shape[1], X_train.std() + epsilon)
    return stats


def fit_mean_over_rows(X_train, mode, epsilon=1e-5):
    stats = reference.fit_preprocessing(X_train, mode, epsilon)
    stats["mean"] = X_train.mean()
    return stats


def fit_no_epsilon(X_train, mode, epsilon=1e-5):
    if mode == "center":
        return reference.fit_preprocessing(X_train, mode)
    mean = X_train.mean(axis=0)
    if mode == "standardize":
        return {"mode": mode, "mean": mean, "scale": X_train.std(axis=0)}
    eigenvalues, eigenvectors = np.linalg.eigh(np.cov(X_train, rowvar=False, bias=True))
    order = np.argsort(eigenvalues)[::-1]
    return {"mode": mode, "mean": mean, "projection": eigenvectors[:, order] / np.sqrt(eigenvalues[order])}


def fit_eigh_increasing(X_train, mode, epsilon=1e-5):
    stats = reference.fit_preprocessing(X_train, mode, epsilon)
    if mode == "whiten":
        stats["projection"] = stats["projection"][:, ::-1]
    return stats


def fit_rotation_only(X_train, mode, epsilon=1e-5):
    stats = reference.fit_preprocessing(X_train, mode, epsilon)
    if mode == "whiten":
        stats["projection"] = stats["projection"] / np.linalg.norm(stats["projection"], axis=0)
    return stats


def fit_zca(X_train, mode, epsilon=1e-5):
    stats = reference.fit_preprocessing(X_train, mode, epsilon)
    if mode == "whiten":
        eigenvectors = stats["projection"] / np.linalg.norm(stats["projection"], axis=0)
        stats["projection"] = stats["projection"] @ eigenvectors.T
    return stats


def fit_hard_coded_epsilon(X_train, mode, epsilon=1e-5):
    return reference.fit_preprocessing(X_train, mode, 1e-5)


def fit_accepts_any_mode(X_train, mode, epsilon=1e-5):
    return reference.fit_preprocessing(X_train, mode if mode in reference.PREPROCESSING_MODES else "center", epsilon)


def apply_centres_in_place(X, stats):
    X -= stats["mean"]
    return reference.apply_preprocessing(X + stats["mean"], stats)


def fit_whiten_skips_centring(X_train, mode, epsilon=1e-5):
    stats = reference.fit_preprocessing(X_train, mode, epsilon)
    if mode == "whiten":
        stats["mean"] = np.zeros_like(stats["mean"])
    return stats


# --- update ratio --------------------------------------------------------------------------------

def ratio_inverted(w_before, w_after):
    return float(np.linalg.norm(w_before) / np.linalg.norm(w_after - w_before))


def ratio_over_new_weights(w_before, w_after):
    return float(np.linalg.norm(w_after - w_before) / np.linalg.norm(w_after))


def ratio_difference_of_norms(w_before, w_after):
    return float(abs(np.linalg.norm(w_after) - np.linalg.norm(w_before)) / np.linalg.norm(w_before))


def ratio_elementwise_mean(w_before, w_after):
    return float(np.mean(np.abs(w_after - w_before) / np.abs(w_before)))


def ratio_squared_norms(w_before, w_after):
    return float(np.sum((w_after - w_before) ** 2) / np.sum(w_before**2))


def ratio_spectral_norm(w_before, w_after):
    if np.ndim(w_before) == 2:
        return float(np.linalg.norm(w_after - w_before, 2) / np.linalg.norm(w_before, 2))
    return reference.update_ratio(w_before, w_after)


# --- early stopping ------------------------------------------------------------------------------

class _Tracker(reference.EarlyStopping):
    """The reference with one rule changed by a subclass."""


class StopsOneStepLate(_Tracker):
    def step(self, value, params):
        super().step(value, params)
        return self.bad_steps > self.patience


class CounterNeverReset(_Tracker):
    def step(self, value, params):
        bad, improved = self.bad_steps, self._improves(value)
        super().step(value, params)
        if improved:
            self.bad_steps = bad
        return self.bad_steps >= self.patience


class TiesCountAsImprovement(_Tracker):
    def _improves(self, value):
        if self.best_value is None:
            return True
        if self.mode == "max":
            return value >= self.best_value + self.min_delta
        return value <= self.best_value - self.min_delta


class IgnoresMinDelta(_Tracker):
    def _improves(self, value):
        if self.best_value is None:
            return True
        return value > self.best_value if self.mode == "max" else value < self.best_value


class AlwaysMaximizes(_Tracker):
    def _improves(self, value):
        return self.best_value is None or value > self.best_value + self.min_delta


class ShallowCopy(_Tracker):
    def step(self, value, params):
        improved = self._improves(value)
        stop = super().step(value, params)
        if improved:
            self.best_params = dict(params)
        return stop


class KeepsReference(_Tracker):
    def step(self, value, params):
        improved = self._improves(value)
        stop = super().step(value, params)
        if improved:
            self.best_params = params
        return stop


class BestEpochOneBased(_Tracker):
    def step(self, value, params):
        improved = self._improves(value)
        stop = super().step(value, params)
        if improved:
            self.best_epoch = self.epoch
        return stop


class BestValueIsLatest(_Tracker):
    def step(self, value, params):
        stop = super().step(value, params)
        self.best_value = value
        return stop


class ClassLevelState(reference.EarlyStopping):
    """Every attribute lives in one dict on the class, shared by all trackers."""
    state = {}

    def __init__(self, *args, **kwargs):
        ClassLevelState.state.clear()
        super().__init__(*args, **kwargs)

    def __setattr__(self, name, value):
        ClassLevelState.state[name] = value

    def __getattr__(self, name):
        try:
            return ClassLevelState.state[name]
        except KeyError:
            raise AttributeError(name) from None


# --- log-uniform sampling and searches -----------------------------------------------------------

def log_uniform_is_linear(low, high, size, rng):
    return rng.uniform(low, high, size=size)


def log_uniform_mixed_bases(low, high, size, rng):
    return 10 ** rng.uniform(math.log(low), math.log(high), size=size)


def log_uniform_global_random(low, high, size, rng):
    return np.exp(np.random.uniform(math.log(low), math.log(high), size=size))


def log_uniform_log10_of_bounds(low, high, size, rng):
    return np.exp(rng.uniform(math.log10(low), math.log10(high), size=size))


def grid_zips_lists(objective, grid):
    names = list(grid)
    configs = [dict(zip(names, values)) for values in zip(*(grid[n] for n in names))]
    return sorted(((c, objective(c)) for c in configs), key=lambda pair: pair[1], reverse=True)


def grid_worst_first(objective, grid):
    return reference.grid_search(objective, grid)[::-1]


def grid_reuses_config(objective, grid):
    names, config, results = list(grid), {}, []
    for values in itertools.product(*(grid[n] for n in names)):
        config.update(zip(names, values))
        results.append((config, objective(config)))
    return sorted(results, key=lambda pair: pair[1], reverse=True)


def grid_scores_sorted_apart(objective, grid):
    results = reference.grid_search(objective, grid)
    configs = [c for c, _ in results]
    scores = sorted((s for _, s in results), reverse=True)
    return list(zip(configs[::-1], scores))


def grid_one_at_a_time(objective, grid):
    base = {name: values[0] for name, values in grid.items()}
    configs = [base] + [{**base, name: value} for name, values in grid.items() for value in values[1:]]
    return sorted(((c, objective(c)) for c in configs), key=lambda pair: pair[1], reverse=True)


def random_log_dims_linear(objective, space, num_trials, rng):
    linear = {name: (low, high, "linear") for name, (low, high, _) in space.items()}
    return reference.random_search(objective, linear, num_trials, rng)


def random_one_draw_per_trial(objective, space, num_trials, rng):
    results = []
    for _ in range(num_trials):
        u = rng.uniform()
        config = {}
        for name, (low, high, scale) in space.items():
            if scale == "log":
                config[name] = float(math.exp(math.log(low) + u * (math.log(high) - math.log(low))))
            else:
                config[name] = float(low + u * (high - low))
        results.append((config, objective(config)))
    return sorted(results, key=lambda pair: pair[1], reverse=True)


def random_config_drawn_once(objective, space, num_trials, rng):
    config = reference.random_search(lambda c: 0.0, space, 1, rng)[0][0]
    return sorted(((dict(config), objective(dict(config))) for _ in range(num_trials)),
                  key=lambda pair: pair[1], reverse=True)


def random_global_random(objective, space, num_trials, rng):
    return reference.random_search(objective, space, num_trials, np.random.default_rng())


def random_worst_first(objective, space, num_trials, rng):
    return reference.random_search(objective, space, num_trials, rng)[::-1]


def random_array_values(objective, space, num_trials, rng):
    results = []
    for _ in range(num_trials):
        config = {name: (reference.sample_log_uniform(low, high, 1, rng) if scale == "log"
                         else rng.uniform(low, high, 1))
                  for name, (low, high, scale) in space.items()}
        results.append((config, objective(config)))
    return sorted(results, key=lambda pair: pair[1], reverse=True)


def coarse_from_worst(results, space, top_k):
    return reference.coarse_to_fine(results[::-1], space, top_k)


def coarse_from_all(results, space, top_k):
    return reference.coarse_to_fine(results, space, len(results))


def coarse_drops_scale(results, space, top_k):
    narrowed = reference.coarse_to_fine(results, space, top_k)
    return {name: (low, high, "linear") for name, (low, high, _) in narrowed.items()}


def coarse_one_too_many(results, space, top_k):
    return reference.coarse_to_fine(results, space, top_k + 1)


def coarse_in_place(results, space, top_k):
    space.update(reference.coarse_to_fine(results, space, top_k))
    return dict(space)


BUGS = {
    "sigmoid_exp_ratio_overflows": ("sigmoid", (sigmoid_exp_ratio_forward, reference.sigmoid_backward),
                                    "out has NaN or inf for inputs as large as |x| = 800"),
    "sigmoid_backward_from_x": ("sigmoid", (sigmoid_forward_caches_x, sigmoid_backward_from_x), "dx differs"),
    "sigmoid_backward_without_dout": ("sigmoid", (reference.sigmoid_forward, sigmoid_backward_without_dout),
                                      "chain rule"),
    "sigmoid_wrong_sign": ("sigmoid", (sigmoid_forward_wrong_sign, reference.sigmoid_backward), "out differs"),
    "tanh_from_exponentials": ("tanh", (tanh_from_exponentials, reference.tanh_backward),
                               "out has NaN or inf for inputs as large as |x| = 800"),
    "tanh_backward_missing_square": ("tanh", (reference.tanh_forward, tanh_backward_missing_square), "1 - tanh(x)**2"),
    "tanh_backward_as_sigmoid": ("tanh", (reference.tanh_forward, tanh_backward_as_sigmoid), "dx differs"),
    "leaky_relu_hard_coded_alpha": ("leaky_relu", (leaky_relu_hard_coded_alpha, reference.leaky_relu_backward),
                                    "ignores its alpha"),
    "leaky_relu_backward_zero_slope": ("leaky_relu", (reference.leaky_relu_forward, leaky_relu_backward_zero_slope),
                                       "alpha elsewhere"),
    "leaky_relu_mutates_x": ("leaky_relu", (leaky_relu_forward_mutates_x, reference.leaky_relu_backward),
                             "modified in place"),
    "leaky_relu_mask_inverted": ("leaky_relu", (reference.leaky_relu_forward, leaky_relu_backward_mask_inverted),
                                 "dx differs"),
    "leaky_relu_global_state": ("leaky_relu", (leaky_relu_forward_global, leaky_relu_backward_global),
                                "latest forward pass"),
    "prelu_dalpha_over_all_entries": ("prelu", (reference.prelu_forward, prelu_dalpha_over_all_entries),
                                      "dalpha took every example"),
    "prelu_dalpha_not_summed": ("prelu", (reference.prelu_forward, prelu_dalpha_not_summed), "shape"),
    "prelu_dalpha_from_output": ("prelu", (reference.prelu_forward, prelu_dalpha_from_output), "instead of x"),
    "prelu_shared_slope": ("prelu", (prelu_shared_slope, reference.prelu_backward), "same slope"),
    "prelu_dx_ignores_alpha": ("prelu", (reference.prelu_forward, prelu_dx_ignores_alpha), "dx differs"),
    "prelu_updates_alpha_in_place": ("prelu", (prelu_updates_alpha_in_place, reference.prelu_backward),
                                     "alpha was modified"),
    "elu_hard_coded_alpha": ("elu", (elu_hard_coded_alpha, reference.elu_backward), "ignores its alpha"),
    "elu_backward_of_relu": ("elu", (reference.elu_forward, elu_backward_derivative_of_relu), "alpha * exp(x)"),
    "elu_without_minus_one": ("elu", (elu_forward_without_minus_one, reference.elu_backward), "exp(x) - 1"),
    "elu_backward_without_alpha": ("elu", (reference.elu_forward, elu_backward_without_alpha), "ignores alpha"),
    "maxout_of_weights": ("maxout", (maxout_of_weights, reference.maxout_backward), "np.maximum"),
    "maxout_min": ("maxout", (maxout_min, reference.maxout_backward), "larger of the two"),
    "maxout_backward_both_pieces": ("maxout", (reference.maxout_forward, maxout_backward_both_pieces),
                                    "only into the piece"),
    "maxout_backward_mask_inverted": ("maxout", (reference.maxout_forward, maxout_backward_mask_inverted),
                                      "dx differs"),
    "maxout_backward_db_not_summed": ("maxout", (reference.maxout_forward, maxout_backward_db_not_summed), "db1"),
    "xavier_divides_by_fan_out": ("xavier_init", xavier_divides_by_fan_out, "1 / fan_out"),
    "xavier_std_as_variance": ("xavier_init", xavier_std_as_variance, "mixed up"),
    "xavier_global_random": ("xavier_init", xavier_global_random, "rng argument"),
    "xavier_float32": ("xavier_init", xavier_float32, "float64"),
    "xavier_transposed": ("xavier_init", xavier_transposed, "shape"),
    "xavier_glorot_average": ("xavier_init", xavier_glorot_average, "2 / (fan_in + fan_out)"),
    "xavier_fixed_seed": ("xavier_init", xavier_fixed_seed, "different seeds"),
    "he_is_xavier": ("he_init", he_is_xavier, "1 / fan_in (Xavier)"),
    "he_uniform_missing_sqrt3": ("he_init", he_uniform_missing_sqrt3, "variance"),
    "he_positive_only": ("he_init", he_positive_only, "mean 0"),
    "he_small_constant": ("he_init", he_small_constant, "variance"),
    "preprocessing_apply_refits": ("preprocessing", (fit_remembers_data, apply_refits), "leaks"),
    "preprocessing_global_std": ("preprocessing", (fit_global_std, reference.apply_preprocessing), "axis=0"),
    "preprocessing_mean_over_everything": ("preprocessing", (fit_mean_over_rows, reference.apply_preprocessing),
                                           "differs from the expected"),
    "preprocessing_no_epsilon": ("preprocessing", (fit_no_epsilon, reference.apply_preprocessing), "epsilon"),
    "preprocessing_eigh_increasing": ("preprocessing", (fit_eigh_increasing, reference.apply_preprocessing),
                                      "decreasing"),
    "preprocessing_rotation_only": ("preprocessing", (fit_rotation_only, reference.apply_preprocessing), "not scaled"),
    "preprocessing_zca": ("preprocessing", (fit_zca, reference.apply_preprocessing), "ZCA"),
    "preprocessing_hard_coded_epsilon": ("preprocessing", (fit_hard_coded_epsilon, reference.apply_preprocessing),
                                         'mode "standardize": the output differs'),
    "preprocessing_accepts_any_mode": ("preprocessing", (fit_accepts_any_mode, reference.apply_preprocessing),
                                       "ValueError"),
    "preprocessing_apply_in_place": ("preprocessing", (reference.fit_preprocessing, apply_centres_in_place),
                                     "modified in place"),
    "preprocessing_whiten_skips_centring": ("preprocessing", (fit_whiten_skips_centring, reference.apply_preprocessing),
                                            "whiten"),
    "ratio_inverted": ("update_ratio", ratio_inverted, "inverted"),
    "ratio_over_new_weights": ("update_ratio", ratio_over_new_weights,
                               "divide by the norm of the weights before the update (w_before)"),
    "ratio_difference_of_norms": ("update_ratio", ratio_difference_of_norms, "difference of the two norms"),
    "ratio_elementwise_mean": ("update_ratio", ratio_elementwise_mean, "elementwise"),
    "ratio_squared_norms": ("update_ratio", ratio_squared_norms, "squares"),
    "ratio_spectral_norm": ("update_ratio", ratio_spectral_norm, "matrix 2-norm"),
    "early_stopping_one_step_late": ("early_stopping", StopsOneStepLate, "step returned"),
    "early_stopping_counter_never_reset": ("early_stopping", CounterNeverReset, "step returned"),
    "early_stopping_ties_improve": ("early_stopping", TiesCountAsImprovement, "EarlyStopping("),
    "early_stopping_ignores_min_delta": ("early_stopping", IgnoresMinDelta, "min_delta=0.07"),
    "early_stopping_always_maximizes": ("early_stopping", AlwaysMaximizes, "mode='min'"),
    "early_stopping_shallow_copy": ("early_stopping", ShallowCopy, "deep copy"),
    "early_stopping_keeps_reference": ("early_stopping", KeepsReference, "deep copy"),
    "early_stopping_best_epoch_one_based": ("early_stopping", BestEpochOneBased, "epoch 0"),
    "early_stopping_best_value_is_latest": ("early_stopping", BestValueIsLatest, "best_value"),
    "early_stopping_class_level_state": ("early_stopping", ClassLevelState, ""),
    "log_uniform_is_linear": ("sample_log_uniform", log_uniform_is_linear, "EXPONENT"),
    "log_uniform_mixed_bases": ("sample_log_uniform", log_uniform_mixed_bases, "outside"),
    "log_uniform_global_random": ("sample_log_uniform", log_uniform_global_random, "rng argument"),
    "log_uniform_log10_of_bounds": ("sample_log_uniform", log_uniform_log10_of_bounds, "high="),
    "grid_zips_lists": ("grid_search", grid_zips_lists, "every combination"),
    "grid_worst_first": ("grid_search", grid_worst_first, "worst first"),
    "grid_reuses_config": ("grid_search", grid_reuses_config, "several results hold the same config"),
    "grid_scores_sorted_apart": ("grid_search", grid_scores_sorted_apart, "own score"),
    "grid_one_at_a_time": ("grid_search", grid_one_at_a_time, "every combination"),
    "random_log_dims_linear": ("random_search", random_log_dims_linear, "EXPONENT"),
    "random_one_draw_per_trial": ("random_search", random_one_draw_per_trial, "independently"),
    "random_config_drawn_once": ("random_search", random_config_drawn_once, "new config for every trial"),
    "random_global_random": ("random_search", random_global_random, "rng argument"),
    "random_worst_first": ("random_search", random_worst_first, "worst first"),
    "random_array_values": ("random_search", random_array_values, "should be a number"),
    "coarse_from_worst": ("coarse_to_fine", coarse_from_worst, "WORST"),
    "coarse_from_all": ("coarse_to_fine", coarse_from_all, "all results"),
    "coarse_drops_scale": ("coarse_to_fine", coarse_drops_scale, "keep its scale"),
    "coarse_one_too_many": ("coarse_to_fine", coarse_one_too_many, "top_k="),
    "coarse_in_place": ("coarse_to_fine", coarse_in_place, "modified"),
}


# --- correct alternatives ------------------------------------------------------------------------

def sigmoid_naive(x):
    out = 1 / (1 + np.exp(-x))
    return out, out


def sigmoid_via_tanh(x):
    out = 0.5 * (1 + np.tanh(x / 2))
    return out, x


def sigmoid_backward_from_x_cache(dout, cache):
    s = 0.5 * (1 + np.tanh(cache / 2))
    return dout * s * (1 - s)


def sigmoid_piecewise_masks(x):
    out = np.empty_like(x)
    positive = x >= 0
    out[positive] = 1 / (1 + np.exp(-x[positive]))
    e = np.exp(x[~positive])
    out[~positive] = e / (1 + e)
    return out, out


def tanh_via_sigmoid(x):
    out = 2 * sigmoid_naive(2 * x)[0] - 1
    return out, x


def tanh_backward_from_x(dout, cache):
    return dout / np.cosh(np.clip(cache, -300, 300)) ** 2


def leaky_relu_maximum(x, alpha=0.01):
    return np.maximum(x, alpha * x), {"x": x, "alpha": alpha}


def leaky_relu_backward_mask(dout, cache):
    dx = dout.copy()
    dx[cache["x"] <= 0] *= cache["alpha"]
    return dx


def prelu_mask_form(x, alpha):
    mask = (x > 0).astype(x.dtype)
    return x * mask + alpha * x * (1 - mask), (x, alpha, mask)


def prelu_backward_mask_form(dout, cache):
    x, alpha, mask = cache
    return dout * (mask + alpha * (1 - mask)), (dout * x * (1 - mask)).sum(0)


def elu_naive_where(x, alpha=1.0):
    return np.where(x > 0, x, alpha * (np.exp(x) - 1)), (x, alpha)


def elu_backward_naive_where(dout, cache):
    x, alpha = cache
    return dout * np.where(x > 0, 1.0, alpha * np.exp(x))


def maxout_stacked(x, w1, b1, w2, b2):
    pieces = np.stack([x @ w1 + b1, x @ w2 + b2])
    return pieces.max(axis=0), (x, w1, w2, pieces.argmax(axis=0))


def maxout_backward_stacked(dout, cache):
    x, w1, w2, winner = cache
    d1, d2 = dout * (winner == 0), dout * (winner == 1)
    return d1 @ w1.T + d2 @ w2.T, x.T @ d1, d1.sum(0), x.T @ d2, d2.sum(0)


def xavier_uniform(fan_in, fan_out, rng):
    limit = math.sqrt(3.0 / fan_in)
    return rng.uniform(-limit, limit, size=(fan_in, fan_out))


def xavier_normal_with_scale(fan_in, fan_out, rng):
    return rng.normal(0.0, math.sqrt(1.0 / fan_in), size=(fan_in, fan_out))


def he_uniform(fan_in, fan_out, rng):
    limit = math.sqrt(6.0 / fan_in)
    return rng.uniform(-limit, limit, size=(fan_in, fan_out))


def fit_with_np_cov_and_svd(X_train, mode, epsilon=1e-5):
    if mode not in ("center", "standardize", "whiten"):
        raise ValueError(mode)
    mean = np.mean(X_train, axis=0)
    stats = {"mode": mode, "mean": mean}
    if mode == "standardize":
        stats["std"] = np.sqrt(np.var(X_train, axis=0, ddof=1) + epsilon)
    if mode == "whiten":
        U, S, _ = np.linalg.svd(np.cov(X_train, rowvar=False))
        stats["U"], stats["S"] = U, S
        stats["epsilon"] = epsilon
    return stats


def apply_with_np_cov_and_svd(X, stats):
    out = X - stats["mean"]
    if stats["mode"] == "standardize":
        out = out / stats["std"]
    elif stats["mode"] == "whiten":
        out = (out @ stats["U"]) / (np.sqrt(stats["S"]) + stats["epsilon"])
    return out


def ratio_explicit_sums(w_before, w_after):
    return math.sqrt(np.sum((w_after - w_before) ** 2)) / math.sqrt(np.sum(w_before**2))


class ListHistoryTracker:
    """Keeps the whole history and derives everything from it."""

    def __init__(self, patience, min_delta=0.0, mode="max"):
        self.patience, self.min_delta, self.mode = patience, min_delta, mode
        self.history = []
        self.best_value = self.best_epoch = self.best_params = None

    def step(self, value, params):
        sign = 1 if self.mode == "max" else -1
        if self.best_value is None or sign * (value - self.best_value) > self.min_delta:
            self.best_value, self.best_epoch = value, len(self.history)
            self.best_params = {k: np.copy(v) for k, v in params.items()}
        self.history.append(value)
        return len(self.history) - 1 - self.best_epoch >= self.patience


def log_uniform_base10(low, high, size, rng):
    return 10 ** rng.uniform(np.log10(low), np.log10(high), size=size)


def grid_nested_loops(objective, grid):
    configs = [{}]
    for name, values in grid.items():
        configs = [{**config, name: value} for config in configs for value in values]
    scores = [objective(config) for config in configs]
    order = np.argsort(scores)[::-1]
    return [(configs[i], scores[i]) for i in order]


def random_dims_in_one_array(objective, space, num_trials, rng):
    names = list(space)
    u = rng.random((num_trials, len(names)))
    results = []
    for row in u:
        config = {}
        for name, value in zip(names, row):
            low, high, scale = space[name]
            if scale == "log":
                config[name] = float(np.exp(np.log(low) + value * (np.log(high) - np.log(low))))
            else:
                config[name] = float(low + value * (high - low))
        results.append((config, objective(config)))
    results.sort(key=lambda pair: -pair[1])
    return results


def coarse_with_numpy(results, space, top_k):
    best = sorted(results, key=lambda pair: pair[1], reverse=True)[:top_k]
    narrowed = {}
    for name, (_, _, scale) in space.items():
        values = np.array([config[name] for config, _ in best])
        narrowed[name] = (values.min(), values.max(), scale)
    return narrowed


EQUIVALENTS = {
    "sigmoid_naive": ("sigmoid", (sigmoid_naive, reference.sigmoid_backward)),
    "sigmoid_via_tanh": ("sigmoid", (sigmoid_via_tanh, sigmoid_backward_from_x_cache)),
    "sigmoid_piecewise_masks": ("sigmoid", (sigmoid_piecewise_masks, reference.sigmoid_backward)),
    "tanh_via_sigmoid": ("tanh", (tanh_via_sigmoid, tanh_backward_from_x)),
    "leaky_relu_maximum": ("leaky_relu", (leaky_relu_maximum, leaky_relu_backward_mask)),
    "prelu_mask_form": ("prelu", (prelu_mask_form, prelu_backward_mask_form)),
    "elu_naive_where": ("elu", (elu_naive_where, elu_backward_naive_where)),
    "maxout_stacked": ("maxout", (maxout_stacked, maxout_backward_stacked)),
    "xavier_uniform": ("xavier_init", xavier_uniform),
    "xavier_normal_with_scale": ("xavier_init", xavier_normal_with_scale),
    "he_uniform": ("he_init", he_uniform),
    "preprocessing_np_cov_and_svd": ("preprocessing", (fit_with_np_cov_and_svd, apply_with_np_cov_and_svd)),
    "ratio_explicit_sums": ("update_ratio", ratio_explicit_sums),
    "early_stopping_list_history": ("early_stopping", ListHistoryTracker),
    "log_uniform_base10": ("sample_log_uniform", log_uniform_base10),
    "grid_nested_loops": ("grid_search", grid_nested_loops),
    "random_dims_in_one_array": ("random_search", random_dims_in_one_array),
    "coarse_with_numpy": ("coarse_to_fine", coarse_with_numpy),
}


# --- near misses: close to right, caught only by tight tolerances or one specific sub-check ------

def sigmoid_clipped_at_15(x):
    out = 1 / (1 + np.exp(-np.clip(x, -15, 15)))
    return out, out


def tanh_in_float32(x):
    out = np.tanh(x.astype(np.float32)).astype(x.dtype)
    return out, out


def leaky_relu_default_alpha_002(x, alpha=0.02):
    return reference.leaky_relu_forward(x, alpha)


def elu_default_alpha_of_selu(x, alpha=1.6732632423543772):
    return reference.elu_forward(x, alpha)


def prelu_dalpha_averaged(dout, cache):
    dx, dalpha = reference.prelu_backward(dout, cache)
    return dx, dalpha / len(dout)


def maxout_dx_through_first_piece_only(dout, cache):
    _, dw1, db1, dw2, db2 = reference.maxout_backward(dout, cache)
    _, w1, _, first = cache
    return (dout * first) @ w1.T, dw1, db1, dw2, db2


def xavier_with_tanh_gain(fan_in, fan_out, rng):
    return rng.standard_normal((fan_in, fan_out)) * (5 / 3) / math.sqrt(fan_in)


def he_clipped_at_two_sigma(fan_in, fan_out, rng):
    return np.clip(rng.standard_normal((fan_in, fan_out)), -2, 2) * math.sqrt(2.0 / fan_in)


def fit_default_epsilon_1e2(X_train, mode, epsilon=1e-2):
    return reference.fit_preprocessing(X_train, mode, epsilon)


def fit_sorts_eigenvalues_only(X_train, mode, epsilon=1e-5):
    if mode != "whiten":
        return reference.fit_preprocessing(X_train, mode, epsilon)
    mean = X_train.mean(axis=0)
    eigenvalues, eigenvectors = np.linalg.eigh((X_train - mean).T @ (X_train - mean) / len(X_train))
    eigenvalues = np.clip(eigenvalues[::-1], 0.0, None)
    return {"mode": mode, "mean": mean, "projection": eigenvectors / np.sqrt(eigenvalues + epsilon)}


def ratio_guarded_by_epsilon(w_before, w_after):
    return float(np.linalg.norm(w_after - w_before) / (np.linalg.norm(w_before) + 1e-7))


class BestValueIgnoresMinDelta(_Tracker):
    """best_value follows every improvement, however small; patience and best_params honour min_delta."""

    def step(self, value, params):
        better = self.best_value is not None and (value > self.best_value if self.mode == "max"
                                                  else value < self.best_value)
        stop = super().step(value, params)
        if better:
            self.best_value = value
        return stop


def log_uniform_float_for_size_one(low, high, size, rng):
    samples = np.exp(rng.uniform(math.log(low), math.log(high), size=size))
    return float(samples[0]) if size == 1 else samples


def grid_scores_each_config_twice(objective, grid):
    names = list(grid)
    configs = [dict(zip(names, values)) for values in itertools.product(*(grid[name] for name in names))]
    return [(config, objective(config)) for config in sorted(configs, key=objective, reverse=True)]


def random_one_trial_short(objective, space, num_trials, rng):
    return reference.random_search(objective, space, num_trials - 1, rng)


def coarse_at_least_two_configs(results, space, top_k):
    return reference.coarse_to_fine(results, space, max(top_k, 2))


NEAR_MISSES = {
    "sigmoid_clipped_at_15": ("sigmoid", (sigmoid_clipped_at_15, reference.sigmoid_backward),
                              "out differs from 1 / (1 + exp(-x)) for inputs as large as |x| = 800"),
    "tanh_in_float32": ("tanh", (tanh_in_float32, reference.tanh_backward), "out differs from tanh(x)"),
    "leaky_relu_default_alpha_002": ("leaky_relu", (leaky_relu_default_alpha_002, reference.leaky_relu_backward),
                                     "the default alpha=0.01"),
    "elu_default_alpha_of_selu": ("elu", (elu_default_alpha_of_selu, reference.elu_backward), "the default alpha=1.0"),
    "prelu_dalpha_averaged": ("prelu", (reference.prelu_forward, prelu_dalpha_averaged),
                              "dalpha differs from the sum over the examples"),
    "maxout_dx_through_first_piece_only": ("maxout", (reference.maxout_forward, maxout_dx_through_first_piece_only),
                                           "dx differs from the gradient of the max"),
    "xavier_with_tanh_gain": ("xavier_init", xavier_with_tanh_gain, "the variance of the weights is"),
    "he_clipped_at_two_sigma": ("he_init", he_clipped_at_two_sigma, "the variance of the weights is"),
    "preprocessing_default_epsilon_1e2": ("preprocessing", (fit_default_epsilon_1e2, reference.apply_preprocessing),
                                          'mode "standardize"'),
    "preprocessing_sorts_eigenvalues_only": ("preprocessing", (fit_sorts_eigenvalues_only,
                                                               reference.apply_preprocessing), 'mode "whiten"'),
    "ratio_guarded_by_epsilon": ("update_ratio", ratio_guarded_by_epsilon,
                                 "expected ||w_after - w_before|| / ||w_before||"),
    "early_stopping_best_value_ignores_min_delta": ("early_stopping", BestValueIgnoresMinDelta, "best_value is"),
    "log_uniform_float_for_size_one": ("sample_log_uniform", log_uniform_float_for_size_one,
                                       "the samples for size=1 should be a numpy array"),
    "grid_scores_each_config_twice": ("grid_search", grid_scores_each_config_twice,
                                      "every combination should be evaluated once"),
    "random_one_trial_short": ("random_search", random_one_trial_short,
                               "should call the objective 1000 times, got 999"),
    "coarse_at_least_two_configs": ("coarse_to_fine", coarse_at_least_two_configs, "with top_k=1"),
}


# --- bugs that only one sub-check reports (malformed results, mutated inputs, state in globals) ---

def leaky_relu_returns_cache_first(x, alpha=0.01):
    out, cache = reference.leaky_relu_forward(x, alpha)
    return cache, out


def tanh_backward_in_place(dout, cache):
    dout *= 1 - cache**2
    return dout


def tanh_backward_trailing_comma(dout, cache):
    return reference.tanh_backward(dout, cache),


def sigmoid_backward_exp_ratio_of_x(dout, cache):
    with np.errstate(over="ignore", invalid="ignore"):
        s = np.exp(cache) / (1 + np.exp(cache))
    return dout * s * (1 - s)


def prelu_returns_cache_first(x, alpha):
    out, cache = reference.prelu_forward(x, alpha)
    return cache, out


def prelu_backward_scales_dout_in_place(dout, cache):
    x, alpha = cache
    dalpha = np.sum(dout * x * (x <= 0), axis=0)
    dout[x <= 0] *= np.broadcast_to(alpha, x.shape)[x <= 0]
    return dout, dalpha


def prelu_backward_swapped_order(dout, cache):
    dx, dalpha = reference.prelu_backward(dout, cache)
    return dalpha, dx


_LAST_PRELU = {}


def prelu_forward_global(x, alpha):
    _LAST_PRELU["cache"] = (x, alpha)
    return reference.prelu_forward(x, alpha)


def prelu_backward_global(dout, cache):
    return reference.prelu_backward(dout, _LAST_PRELU["cache"])


def maxout_reshapes_b1_in_place(x, w1, b1, w2, b2):
    b1.shape = (1, -1)
    return reference.maxout_forward(x, w1, b1.reshape(-1), w2, b2)


def maxout_returns_cache_first(x, w1, b1, w2, b2):
    out, cache = reference.maxout_forward(x, w1, b1, w2, b2)
    return cache, out


def maxout_backward_masks_dout_in_place(dout, cache):
    x, w1, w2, first = cache
    d2 = dout * ~first
    dout *= first
    return dout @ w1.T + d2 @ w2.T, x.T @ dout, dout.sum(axis=0), x.T @ d2, d2.sum(axis=0)


def maxout_backward_db_per_example(dout, cache):
    dx, dw1, _, dw2, _ = reference.maxout_backward(dout, cache)
    _, _, _, first = cache
    return dx, dw1, dout * first, dw2, dout * ~first


_LAST_MAXOUT = {}


def maxout_forward_global(x, w1, b1, w2, b2):
    out, cache = reference.maxout_forward(x, w1, b1, w2, b2)
    _LAST_MAXOUT["cache"] = cache
    return out, cache


def maxout_backward_global(dout, cache):
    return reference.maxout_backward(dout, _LAST_MAXOUT["cache"])


def he_rounded_to_two_decimals(fan_in, fan_out, rng):
    return np.round(rng.standard_normal((fan_in, fan_out)), 2) * math.sqrt(2.0 / fan_in)


def fit_centres_x_train_in_place(X_train, mode, epsilon=1e-5):
    stats = reference.fit_preprocessing(X_train, mode, epsilon)
    X_train -= stats["mean"]
    return stats


def apply_returns_stats_too(X, stats):
    return reference.apply_preprocessing(X, stats), stats


def apply_adds_epsilon_to_stored_scale(X, stats):
    if stats["mode"] == "standardize":
        stats["scale"] += 1e-5
    return reference.apply_preprocessing(X, stats)


def fit_dispatch_table(X_train, mode, epsilon=1e-5):
    known = {name: name for name in reference.PREPROCESSING_MODES}
    return reference.fit_preprocessing(X_train, known[mode], epsilon)


def ratio_subtracts_in_place(w_before, w_after):
    w_after -= w_before
    return float(np.linalg.norm(w_after) / np.linalg.norm(w_before))


class ReturnsNoneWhileTraining(_Tracker):
    def step(self, value, params):
        if super().step(value, params):
            return True


def log_uniform_as_a_list(low, high, size, rng):
    return [math.exp(rng.uniform(math.log(low), math.log(high))) for _ in range(size)]


def log_uniform_fixed_generator(low, high, size, rng):
    return reference.sample_log_uniform(low, high, size, np.random.default_rng(0))


def grid_returns_a_tuple(objective, grid):
    return tuple(reference.grid_search(objective, grid))


def grid_keeps_the_best_ten(objective, grid):
    return reference.grid_search(objective, grid)[:10]


def grid_configs_as_value_tuples(objective, grid):
    return [(tuple(config.values()), score) for config, score in reference.grid_search(objective, grid)]


def grid_score_stored_in_config(objective, grid):
    results = reference.grid_search(objective, grid)
    for config, score in results:
        config["score"] = score
    return results


def grid_sorts_the_value_lists(objective, grid):
    for values in grid.values():
        values.sort(key=str)
    return reference.grid_search(objective, grid)


def grid_numbers_each_trial(objective, grid):
    names = list(grid)
    configs = [dict(zip(names, values), trial=index)
               for index, values in enumerate(itertools.product(*(grid[name] for name in names)))]
    return sorted(((config, objective(config)) for config in configs), key=lambda pair: pair[1], reverse=True)


def random_stores_log_bounds_in_space(objective, space, num_trials, rng):
    for name, (low, high, scale) in space.items():
        if scale == "log":
            space[name] = (math.log(low), math.log(high), "log")
    log_space = {name: ((math.exp(low), math.exp(high), scale) if scale == "log" else (low, high, scale))
                 for name, (low, high, scale) in space.items()}
    return reference.random_search(objective, log_space, num_trials, rng)


def random_numbers_each_trial(objective, space, num_trials, rng):
    results = []
    for index, (config, _) in enumerate(reference.random_search(lambda c: 0.0, space, num_trials, rng)):
        config["trial"] = index
        results.append((config, objective(config)))
    return sorted(results, key=lambda pair: pair[1], reverse=True)


def coarse_as_a_list_of_items(results, space, top_k):
    return list(reference.coarse_to_fine(results, space, top_k).items())


BUGS.update({
    "leaky_relu_returns_cache_first": ("leaky_relu", (leaky_relu_returns_cache_first, reference.leaky_relu_backward),
                                       "out should be a numpy array"),
    "tanh_backward_in_place": ("tanh", (reference.tanh_forward, tanh_backward_in_place), "modified in place"),
    "tanh_backward_trailing_comma": ("tanh", (reference.tanh_forward, tanh_backward_trailing_comma),
                                     "dx should be a numpy array"),
    "sigmoid_backward_exp_ratio_of_x": ("sigmoid", (sigmoid_forward_caches_x, sigmoid_backward_exp_ratio_of_x),
                                        "dx has NaN or is wrong for inputs as large as |x| = 800"),
    "prelu_returns_cache_first": ("prelu", (prelu_returns_cache_first, reference.prelu_backward),
                                  "out should be a numpy array"),
    "prelu_backward_scales_dout_in_place": ("prelu", (reference.prelu_forward, prelu_backward_scales_dout_in_place),
                                            "the input dout was modified in place"),
    "prelu_backward_swapped_order": ("prelu", (reference.prelu_forward, prelu_backward_swapped_order),
                                     "dx should have shape"),
    "prelu_global_state": ("prelu", (prelu_forward_global, prelu_backward_global), "dx differs"),
    "maxout_reshapes_b1_in_place": ("maxout", (maxout_reshapes_b1_in_place, reference.maxout_backward),
                                    "the input b1 was modified in place"),
    "maxout_returns_cache_first": ("maxout", (maxout_returns_cache_first, reference.maxout_backward),
                                   "out should be a numpy array"),
    "maxout_backward_masks_dout_in_place": ("maxout", (reference.maxout_forward, maxout_backward_masks_dout_in_place),
                                            "the input dout was modified in place"),
    "maxout_backward_db_per_example": ("maxout", (reference.maxout_forward, maxout_backward_db_per_example),
                                       "db1 should have shape"),
    "maxout_global_state": ("maxout", (maxout_forward_global, maxout_backward_global), "dx differs"),
    "he_rounded_to_two_decimals": ("he_init", he_rounded_to_two_decimals, "independent random draws"),
    "preprocessing_fit_centres_x_train_in_place": ("preprocessing", (fit_centres_x_train_in_place,
                                                                     reference.apply_preprocessing),
                                                   "the input X_train was modified in place"),
    "preprocessing_apply_returns_stats_too": ("preprocessing", (reference.fit_preprocessing, apply_returns_stats_too),
                                              "should be a numpy array"),
    "preprocessing_apply_adds_epsilon_to_stored_scale": ("preprocessing", (reference.fit_preprocessing,
                                                                           apply_adds_epsilon_to_stored_scale),
                                                         "modified the statistics"),
    "preprocessing_unknown_mode_raises_key_error": ("preprocessing",
                                                    (fit_dispatch_table, reference.apply_preprocessing),
                                                    "should raise ValueError, got KeyError"),
    "ratio_subtracts_in_place": ("update_ratio", ratio_subtracts_in_place, "the input w_after was modified in place"),
    "early_stopping_returns_none_while_training": ("early_stopping", ReturnsNoneWhileTraining,
                                                   "step should return True or False, got NoneType"),
    "log_uniform_as_a_list": ("sample_log_uniform", log_uniform_as_a_list, "the samples should be a numpy array"),
    "log_uniform_fixed_generator": ("sample_log_uniform", log_uniform_fixed_generator, "different seeds"),
    "grid_returns_a_tuple": ("grid_search", grid_returns_a_tuple, "should return a list"),
    "grid_keeps_the_best_ten": ("grid_search", grid_keeps_the_best_ten, "one per evaluated config"),
    "grid_configs_as_value_tuples": ("grid_search", grid_configs_as_value_tuples, "should be a dict"),
    "grid_score_stored_in_config": ("grid_search", grid_score_stored_in_config, "never passed to the objective"),
    "grid_sorts_the_value_lists": ("grid_search", grid_sorts_the_value_lists, "the grid was modified"),
    "grid_numbers_each_trial": ("grid_search", grid_numbers_each_trial, "one value for each name of the grid"),
    "random_stores_log_bounds_in_space": ("random_search", random_stores_log_bounds_in_space,
                                          "the space was modified"),
    "random_numbers_each_trial": ("random_search", random_numbers_each_trial, "one value for each name of the space"),
    "coarse_as_a_list_of_items": ("coarse_to_fine", coarse_as_a_list_of_items, "should return a dict"),
})


# --- wrong answers that only one diagnostic branch names, and a scalar in another form -----------

def elu_alpha_outside_parentheses(x, alpha=1.0):
    out = np.where(x > 0, x, alpha * np.exp(np.minimum(x, 0)) - 1)
    return out, (x, out, alpha)


def elu_backward_out_plus_one(dout, cache):
    x, out, _ = cache
    return np.where(x > 0, dout, dout * (out + 1))


def prelu_slope_on_positive_side(x, alpha):
    return np.where(x > 0, alpha * x, x), (x, alpha)


def maxout_backward_weight_grads_unmasked(dout, cache):
    dx, _, db1, _, db2 = reference.maxout_backward(dout, cache)
    x = cache[0]
    return dx, x.T @ dout, db1, x.T @ dout, db2


def ratio_as_a_zero_d_array(w_before, w_after):
    return np.array(reference.update_ratio(w_before, w_after))


def ratio_smoothed_square_roots(w_before, w_after):
    return math.sqrt(np.sum((w_after - w_before) ** 2) + 1e-10) / math.sqrt(np.sum(w_before**2) + 1e-10)


class KeepsWeightMatricesOnly(_Tracker):
    """Saves only the arrays of two or more dimensions as best_params, dropping the biases."""

    def step(self, value, params):
        improved = self._improves(value)
        stop = super().step(value, params)
        if improved:
            self.best_params = {key: array.copy() for key, array in params.items() if np.ndim(array) > 1}
        return stop


def xavier_with_he_scaling(fan_in, fan_out, rng):
    return rng.standard_normal((fan_in, fan_out)) * math.sqrt(2.0 / fan_in)


def he_unscaled(fan_in, fan_out, rng):
    return rng.standard_normal((fan_in, fan_out))


def he_divides_by_fan_out(fan_in, fan_out, rng):
    return rng.standard_normal((fan_in, fan_out)) * math.sqrt(2.0 / fan_out)


def fit_whiten_by_svd_without_epsilon(X_train, mode, epsilon=1e-5):
    if mode != "whiten":
        return reference.fit_preprocessing(X_train, mode, epsilon)
    mean = X_train.mean(axis=0)
    _, singular_values, vt = np.linalg.svd((X_train - mean) / math.sqrt(len(X_train)), full_matrices=False)
    return {"mode": mode, "mean": mean, "projection": vt.T / singular_values}


def log_uniform_from_a_grid_of_five(low, high, size, rng):
    return rng.choice(np.geomspace(low, high, 5), size=size)


def random_linear_dims_log_uniform(objective, space, num_trials, rng):
    log_space = {name: (low, high, "log") for name, (low, high, _) in space.items()}
    return reference.random_search(objective, log_space, num_trials, rng)


def grid_in_evaluation_order(objective, grid):
    names = list(grid)
    configs = [dict(zip(names, values)) for values in itertools.product(*(grid[name] for name in names))]
    return [(config, objective(config)) for config in configs]


def coarse_swaps_low_and_high(results, space, top_k):
    narrowed = reference.coarse_to_fine(results, space, top_k)
    return {name: (high, low, scale) for name, (low, high, scale) in narrowed.items()}


def coarse_sorts_results_in_place(results, space, top_k):
    results.sort(key=lambda pair: pair[1])
    return reference.coarse_to_fine(results[::-1], space, top_k)


def fit_standardize_ignores_epsilon(X_train, mode, epsilon=1e-5):
    return reference.fit_preprocessing(X_train, mode, 1e-5 if mode == "standardize" else epsilon)


def ratio_sums_of_absolute_values(w_before, w_after):
    return float(np.abs(w_after - w_before).sum() / np.abs(w_before).sum())


_GRID_RESULTS = []


def grid_appends_to_a_global_list(objective, grid):
    names = list(grid)
    for values in itertools.product(*(grid[name] for name in names)):
        config = dict(zip(names, values))
        _GRID_RESULTS.append((config, objective(config)))
    return sorted(_GRID_RESULTS, key=lambda pair: pair[1], reverse=True)


def fit_floors_std_at_epsilon(X_train, mode, epsilon=1e-5):
    stats = reference.fit_preprocessing(X_train, mode, epsilon)
    if mode == "standardize":
        stats["scale"] = np.maximum(X_train.std(axis=0), epsilon)
    return stats


class ClassLevelBestParams(reference.EarlyStopping):
    """best_params is one dict on the class, emptied by every new tracker and updated in place."""
    best_params = {}

    def __init__(self, patience, min_delta=0.0, mode="max"):
        self.best_params.clear()
        self.patience, self.min_delta, self.mode = patience, min_delta, mode
        self.best_value, self.best_epoch, self.epoch, self.bad_steps = None, None, 0, 0

    def step(self, value, params):
        if self._improves(value):
            self.best_value, self.best_epoch = value, self.epoch
            self.best_params.update(copy.deepcopy(params))
            self.bad_steps = 0
        else:
            self.bad_steps += 1
        self.epoch += 1
        return self.bad_steps >= self.patience


class BestStartsAtMinusInfinity(_Tracker):
    """best_value starts at -inf, which only suits mode "max"."""

    def __init__(self, patience, min_delta=0.0, mode="max"):
        super().__init__(patience, min_delta, mode)
        self.best_value = -np.inf

    def _improves(self, value):
        if self.mode == "max":
            return value > self.best_value + self.min_delta
        return value < self.best_value - self.min_delta


class EpochCountedOnlyOnImprovement(_Tracker):
    """The epoch counter moves inside the improvement branch, so best_epoch lags behind."""

    def step(self, value, params):
        if self._improves(value):
            self.best_value, self.best_epoch = value, self.epoch
            self.best_params = copy.deepcopy(params)
            self.bad_steps = 0
            self.epoch += 1
        else:
            self.bad_steps += 1
        return self.bad_steps >= self.patience


class ImprovementFlagsTracker:
    """Keeps a NumPy array of improvement flags; best_epoch is a NumPy integer."""

    def __init__(self, patience, min_delta=0.0, mode="max"):
        self.patience, self.min_delta, self.mode = patience, min_delta, mode
        self.improved = np.zeros(0, dtype=bool)
        self.best_value = self.best_epoch = self.best_params = None

    def step(self, value, params):
        sign = 1 if self.mode == "max" else -1
        better = self.best_value is None or sign * (value - self.best_value) > self.min_delta
        self.improved = np.append(self.improved, better)
        if better:
            self.best_value = value
            self.best_params = {key: np.copy(array) for key, array in params.items()}
        self.best_epoch = np.flatnonzero(self.improved)[-1]
        return self.improved.size - 1 - self.best_epoch >= self.patience


def fit_whiten_without_epsilon(X_train, mode, epsilon=1e-5):
    if mode != "whiten":
        return reference.fit_preprocessing(X_train, mode, epsilon)
    return fit_no_epsilon(X_train, mode, epsilon)


NEAR_MISSES.update({
    # Right for the default alpha = 1, where alpha * exp(x) - 1 = alpha * (exp(x) - 1).
    "elu_alpha_outside_parentheses": ("elu", (elu_alpha_outside_parentheses, reference.elu_backward),
                                      "out differs from x where x > 0, alpha * (exp(x) - 1) elsewhere (x of shape "
                                      "(40, 30) and alpha="),
    "elu_backward_out_plus_one": ("elu", (reference.elu_forward, elu_backward_out_plus_one),
                                  "dx differs from dout * (1 where x > 0, alpha * exp(x) elsewhere) (x of shape "
                                  "(40, 30) and alpha="),
    # The epsilon under the root only shows where the update is small (a ratio of about 1e-3).
    "ratio_smoothed_square_roots": ("update_ratio", ratio_smoothed_square_roots,
                                    "expected ||w_after - w_before|| / ||w_before|| = "),
    # Only a feature whose spread is below epsilon tells std + epsilon from np.maximum(std, epsilon).
    "preprocessing_standardize_ignores_epsilon": ("preprocessing", (fit_standardize_ignores_epsilon,
                                                                    reference.apply_preprocessing),
                                                  'mode "standardize": the output differs'),
})

BUGS.update({
    "prelu_slope_on_positive_side": ("prelu", (prelu_slope_on_positive_side, reference.prelu_backward),
                                     "out differs from x where x > 0, alpha * x elsewhere, with alpha[j] the slope "
                                     "of feature j (x of shape (30, 6))"),
    "maxout_backward_weight_grads_unmasked": ("maxout", (reference.maxout_forward,
                                                         maxout_backward_weight_grads_unmasked),
                                              "dw1 got the gradient of every unit"),
    "early_stopping_keeps_weight_matrices_only": ("early_stopping", KeepsWeightMatricesOnly,
                                                  "best_params should be the params passed with the best value"),
    "xavier_with_he_scaling": ("xavier_init", xavier_with_he_scaling, "about 2 / fan_in (He)"),
    "he_unscaled": ("he_init", he_unscaled, "about 1 (no scaling)"),
    "he_divides_by_fan_out": ("he_init", he_divides_by_fan_out, "about 2 / fan_out"),
    # Singular values of a rank-deficient matrix are tiny but positive: a finite blow-up, not NaN.
    "preprocessing_whiten_by_svd_without_epsilon": ("preprocessing", (fit_whiten_by_svd_without_epsilon,
                                                                      reference.apply_preprocessing),
                                                    'mode "whiten": where a feature has (almost) zero variance'),
    "log_uniform_from_a_grid_of_five": ("sample_log_uniform", log_uniform_from_a_grid_of_five,
                                        "the values are not uniform on a log scale between low and high"),
    "random_linear_dims_log_uniform": ("random_search", random_linear_dims_log_uniform,
                                       'the values are log-uniform, but a "linear" dimension is uniform'),
    "grid_in_evaluation_order": ("grid_search", grid_in_evaluation_order,
                                 "the results should be sorted best first (highest score first)"),
    "coarse_swaps_low_and_high": ("coarse_to_fine", coarse_swaps_low_and_high,
                                  '"learning_rate": low and high are swapped'),
    "coarse_sorts_results_in_place": ("coarse_to_fine", coarse_sorts_results_in_place,
                                      "the space or the results were modified"),
    "ratio_sums_of_absolute_values": ("update_ratio", ratio_sums_of_absolute_values,
                                      "not the sum of absolute values"),
    # The second grid (or the next run) returns the results of the earlier ones too.
    "grid_appends_to_a_global_list": ("grid_search", grid_appends_to_a_global_list,
                                      "(config, score) pairs, one per evaluated config, got"),
    # Every run of the check uses the same names, so only two trackers used in turn tell.
    "early_stopping_class_level_best_params": ("early_stopping", ClassLevelBestParams,
                                               "two trackers share their best_params"),
    # Fails at the first value of mode "min": the failure shows the values up to that one.
    "early_stopping_best_starts_at_minus_infinity": ("early_stopping", BestStartsAtMinusInfinity,
                                                     "mode='min') after the values [-"),
    # The covariance of the rank-deficient data has eigenvalues of 0 or just below: sqrt gives NaN.
    "preprocessing_whiten_without_epsilon": ("preprocessing", (fit_whiten_without_epsilon,
                                                               reference.apply_preprocessing),
                                             'mode "whiten": the output has NaN or inf'),
    "early_stopping_epoch_counted_only_on_improvement": ("early_stopping", EpochCountedOnlyOnImprovement,
                                                         "best_epoch is"),
})

EQUIVALENTS.update({
    "ratio_as_a_zero_d_array": ("update_ratio", ratio_as_a_zero_d_array),
    "early_stopping_improvement_flags": ("early_stopping", ImprovementFlagsTracker),
    "preprocessing_floors_std_at_epsilon": ("preprocessing", (fit_floors_std_at_epsilon,
                                                              reference.apply_preprocessing)),
})
