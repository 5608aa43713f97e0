"""Typical student bugs in 01 Optimizers, and correct formulations that differ from the reference.

``BUGS`` maps a bug name to (exercise, implementation, words the failure message should contain).
``NEAR_MISSES``, in the same form, holds wrong answers close to right, at least one per exercise, so
that a loosened tolerance or a skipped sub-check of the checks makes a test fail.
``EQUIVALENTS`` maps a name to (exercise, implementation) of a correct alternative.
``DTYPE_SLIPS`` maps a name to (exercise, implementation, words of the note) of a correct rule whose
update of float32 weights comes back float64: it keeps the points, and the note names the cause.
"""
import math

import numpy as np

from autograder.reference import optimizers as reference


def _defaults(config, **defaults):
    config = {} if config is None else config
    for key, value in defaults.items():
        config.setdefault(key, value)
    return config


# --- sgd -------------------------------------------------------------------------------------

def sgd_plus_sign(w, dw, config=None):
    config = _defaults(config, learning_rate=1e-2)
    return w + config["learning_rate"] * dw, config


def sgd_mutates_w(w, dw, config=None):
    config = _defaults(config, learning_rate=1e-2)
    w -= config["learning_rate"] * dw
    return w, config


def sgd_constant_learning_rate(w, dw, config=None):
    config = _defaults(config, learning_rate=1e-2)
    return w - 1e-2 * dw, config


def sgd_returns_only_weights(w, dw, config=None):
    config = _defaults(config, learning_rate=1e-2)
    return w - config["learning_rate"] * dw


# --- momentum --------------------------------------------------------------------------------

def momentum_velocity_not_stored(w, dw, config=None):
    config = _defaults(config, learning_rate=1e-2, momentum=0.9)
    velocity = config["momentum"] * config.get("velocity", np.zeros_like(w)) - config["learning_rate"] * dw
    return w + velocity, config


def momentum_sign_error(w, dw, config=None):
    config = _defaults(config, learning_rate=1e-2, momentum=0.9)
    velocity = config["momentum"] * config.get("velocity", np.zeros_like(w)) + config["learning_rate"] * dw
    config["velocity"] = velocity
    return w + velocity, config


def momentum_constant_rho(w, dw, config=None):
    config = _defaults(config, learning_rate=1e-2, momentum=0.9)
    velocity = 0.9 * config.get("velocity", np.zeros_like(w)) - config["learning_rate"] * dw
    config["velocity"] = velocity
    return w + velocity, config


_GLOBAL_VELOCITY = {}


def momentum_global_state(w, dw, config=None):
    config = _defaults(config, learning_rate=1e-2, momentum=0.9)
    velocity = _GLOBAL_VELOCITY.get(w.shape, np.zeros_like(w))
    velocity = config["momentum"] * velocity - config["learning_rate"] * dw
    _GLOBAL_VELOCITY[w.shape] = velocity
    return w + velocity, config


def momentum_float64_state(w, dw, config=None):
    config = _defaults(config, learning_rate=1e-2, momentum=0.9)
    velocity = config["momentum"] * config.get("velocity", np.zeros(w.shape)) - config["learning_rate"] * dw
    config["velocity"] = velocity
    return w + velocity, config


def momentum_mutates_dw(w, dw, config=None):
    config = _defaults(config, learning_rate=1e-2, momentum=0.9)
    dw *= config["learning_rate"]
    velocity = config["momentum"] * config.get("velocity", np.zeros_like(w)) - dw
    config["velocity"] = velocity
    return w + velocity, config


# --- nesterov --------------------------------------------------------------------------------

def nesterov_is_plain_momentum(w, dw, config=None):
    return reference.sgd_momentum(w, dw, config)


def nesterov_missing_lookahead_factor(w, dw, config=None):
    config = _defaults(config, learning_rate=1e-2, momentum=0.9)
    old_velocity = config.get("velocity", np.zeros_like(w))
    velocity = config["momentum"] * old_velocity - config["learning_rate"] * dw
    config["velocity"] = velocity
    return w - config["momentum"] * old_velocity + velocity, config


def nesterov_stores_old_velocity(w, dw, config=None):
    config = _defaults(config, learning_rate=1e-2, momentum=0.9)
    mu = config["momentum"]
    old_velocity = config.get("velocity", np.zeros_like(w))
    velocity = mu * old_velocity - config["learning_rate"] * dw
    config["velocity"] = old_velocity
    return w - mu * old_velocity + (1 + mu) * velocity, config


# --- adagrad / rmsprop -----------------------------------------------------------------------

def adagrad_not_accumulated(w, dw, config=None):
    config = _defaults(config, learning_rate=1e-2, epsilon=1e-7)
    config["grad_squared"] = dw * dw
    return w - config["learning_rate"] * dw / (np.sqrt(config["grad_squared"]) + config["epsilon"]), config


def adagrad_no_sqrt(w, dw, config=None):
    config = _defaults(config, learning_rate=1e-2, epsilon=1e-7)
    config["grad_squared"] = config.get("grad_squared", np.zeros_like(w)) + dw * dw
    return w - config["learning_rate"] * dw / (config["grad_squared"] + config["epsilon"]), config


def adagrad_no_epsilon(w, dw, config=None):
    config = _defaults(config, learning_rate=1e-2, epsilon=1e-7)
    config["grad_squared"] = config.get("grad_squared", np.zeros_like(w)) + dw * dw
    return w - config["learning_rate"] * dw / np.sqrt(config["grad_squared"]), config


def rmsprop_is_adagrad(w, dw, config=None):
    config = _defaults(config, learning_rate=1e-2, decay_rate=0.99, epsilon=1e-8)
    config["cache"] = config.get("cache", np.zeros_like(w)) + dw * dw
    return w - config["learning_rate"] * dw / (np.sqrt(config["cache"]) + config["epsilon"]), config


def rmsprop_decay_swapped(w, dw, config=None):
    config = _defaults(config, learning_rate=1e-2, decay_rate=0.99, epsilon=1e-8)
    decay = config["decay_rate"]
    config["cache"] = (1 - decay) * config.get("cache", np.zeros_like(w)) + decay * dw * dw
    return w - config["learning_rate"] * dw / (np.sqrt(config["cache"]) + config["epsilon"]), config


def rmsprop_constant_decay(w, dw, config=None):
    config = _defaults(config, learning_rate=1e-2, decay_rate=0.99, epsilon=1e-8)
    config["cache"] = 0.99 * config.get("cache", np.zeros_like(w)) + 0.01 * dw * dw
    return w - config["learning_rate"] * dw / (np.sqrt(config["cache"]) + config["epsilon"]), config


# --- adam ------------------------------------------------------------------------------------

def _adam(w, dw, config, correct_first=True, correct_second=True, increment_after=False, swap_betas=False):
    config = _defaults(config, learning_rate=1e-3, beta1=0.9, beta2=0.999, epsilon=1e-8)
    beta1, beta2 = config["beta1"], config["beta2"]
    t = config.get("t", 0) + (0 if increment_after else 1)
    m = beta1 * config.get("m", np.zeros_like(w)) + (1 - beta1) * dw
    v = beta2 * config.get("v", np.zeros_like(w)) + (1 - beta2) * dw * dw
    config.update(m=m, v=v, t=t + (1 if increment_after else 0))
    first, second = (beta2, beta1) if swap_betas else (beta1, beta2)
    m_hat = m / (1 - first**t) if correct_first else m
    v_hat = v / (1 - second**t) if correct_second else v
    return w - config["learning_rate"] * m_hat / (np.sqrt(v_hat) + config["epsilon"]), config


def adam_no_bias_correction(w, dw, config=None):
    return _adam(w, dw, config, correct_first=False, correct_second=False)


def adam_only_first_moment_corrected(w, dw, config=None):
    return _adam(w, dw, config, correct_second=False)


def adam_t_incremented_after_use(w, dw, config=None):
    return _adam(w, dw, config, increment_after=True)


def adam_betas_swapped_in_correction(w, dw, config=None):
    return _adam(w, dw, config, swap_betas=True)


def adam_t_not_stored(w, dw, config=None):
    next_w, config = _adam(w, dw, config)
    config["t"] = 0
    return next_w, config


# --- schedules -------------------------------------------------------------------------------

def step_decay_float_division(learning_rate0, t, drop=0.5, steps_per_drop=10):
    return learning_rate0 * drop ** (t / steps_per_drop)


def step_decay_constant_drop(learning_rate0, t, drop=0.5, steps_per_drop=10):
    return learning_rate0 * 0.5 ** (t // steps_per_drop)


def exponential_decay_wrong_sign(learning_rate0, t, k=0.1):
    return learning_rate0 * math.exp(k * t)


def inverse_time_decay_without_one(learning_rate0, t, k=0.1):
    return learning_rate0 / (k * t) if t else learning_rate0


def inverse_time_decay_ignores_k(learning_rate0, t, k=0.1):
    return learning_rate0 / (1 + 0.1 * t)


def cosine_without_restart(learning_rate0, t, period=10, period_mult=1, min_lr=0.0):
    return min_lr + 0.5 * (learning_rate0 - min_lr) * (1 + math.cos(math.pi * t / period))


def cosine_ignores_period_mult(learning_rate0, t, period=10, period_mult=1, min_lr=0.0):
    return reference.cosine_annealing_warm_restarts(learning_rate0, t, period, 1, min_lr)


def cosine_ignores_min_lr(learning_rate0, t, period=10, period_mult=1, min_lr=0.0):
    return reference.cosine_annealing_warm_restarts(learning_rate0, t, period, period_mult, 0.0)


# --- second order ----------------------------------------------------------------------------

def newton_ignores_hessian(w, dw, hessian):
    return w - dw


def newton_multiplies_by_hessian(w, dw, hessian):
    return w - hessian @ dw


def newton_diagonal_only(w, dw, hessian):
    return w - dw / np.diag(hessian)


def lbfgs_gamma_from_oldest_pair(grad, s_history, y_history):
    if not s_history:
        return -np.asarray(grad, dtype=float)
    s_old, y_old = s_history[0], y_history[0]
    return _lbfgs(grad, s_history, y_history, gamma=np.dot(s_old, y_old) / np.dot(y_old, y_old))


def _lbfgs(grad, s_history, y_history, gamma=None, newest_first_in_second_loop=False):
    q = np.array(grad, dtype=np.float64)
    alphas = []
    for s, y in reversed(list(zip(s_history, y_history))):
        alpha = np.dot(s, q) / np.dot(y, s)
        q = q - alpha * y
        alphas.append(alpha)
    if gamma is None and s_history:
        gamma = np.dot(s_history[-1], y_history[-1]) / np.dot(y_history[-1], y_history[-1])
    q = q * (1.0 if gamma is None else gamma)
    pairs = list(zip(s_history, y_history, reversed(alphas)))
    for s, y, alpha in (reversed(pairs) if newest_first_in_second_loop else pairs):
        q = q + (alpha - np.dot(y, q) / np.dot(y, s)) * s
    return -q


def lbfgs_no_initial_scaling(grad, s_history, y_history):
    return _lbfgs(grad, s_history, y_history, gamma=1.0)


def lbfgs_ascent_direction(grad, s_history, y_history):
    return -reference.lbfgs_direction(grad, s_history, y_history)


def lbfgs_second_loop_reversed(grad, s_history, y_history):
    return _lbfgs(grad, s_history, y_history, newest_first_in_second_loop=True)


def lbfgs_pops_history(grad, s_history, y_history):
    direction = reference.lbfgs_direction(grad, s_history, y_history)
    if len(s_history) > 1:
        s_history.pop(0)
        y_history.pop(0)
    return direction


BUGS = {
    "sgd_plus_sign": ("sgd", sgd_plus_sign, "sign"),
    "sgd_mutates_w": ("sgd", sgd_mutates_w, "modified in place"),
    "sgd_constant_learning_rate": ("sgd", sgd_constant_learning_rate, "learning_rate="),
    "sgd_returns_only_weights": ("sgd", sgd_returns_only_weights, "tuple"),
    "momentum_velocity_not_stored": ("sgd_momentum", momentum_velocity_not_stored, "state"),
    "momentum_sign_error": ("sgd_momentum", momentum_sign_error, "sign"),
    "momentum_constant_rho": ("sgd_momentum", momentum_constant_rho, "momentum="),
    "momentum_global_state": ("sgd_momentum", momentum_global_state, ""),
    "momentum_mutates_dw": ("sgd_momentum", momentum_mutates_dw, "modified in place"),
    "nesterov_is_plain_momentum": ("nesterov_momentum", nesterov_is_plain_momentum, "first update"),
    "nesterov_missing_lookahead_factor": ("nesterov_momentum", nesterov_missing_lookahead_factor, "first update"),
    "nesterov_stores_old_velocity": ("nesterov_momentum", nesterov_stores_old_velocity, "state"),
    "adagrad_not_accumulated": ("adagrad", adagrad_not_accumulated, "state"),
    "adagrad_no_sqrt": ("adagrad", adagrad_no_sqrt, "first update"),
    "adagrad_no_epsilon": ("adagrad", adagrad_no_epsilon, "NaN"),
    "rmsprop_is_adagrad": ("rmsprop", rmsprop_is_adagrad, "0.1 times the expected one"),
    "rmsprop_decay_swapped": ("rmsprop", rmsprop_decay_swapped, "first update"),
    "rmsprop_constant_decay": ("rmsprop", rmsprop_constant_decay, "decay_rate="),
    "adam_no_bias_correction": ("adam", adam_no_bias_correction, "bias correction"),
    "adam_only_first_moment_corrected": ("adam", adam_only_first_moment_corrected, "bias correction"),
    "adam_t_incremented_after_use": ("adam", adam_t_incremented_after_use, "NaN or inf"),
    "adam_betas_swapped_in_correction": ("adam", adam_betas_swapped_in_correction, "bias correction"),
    "adam_t_not_stored": ("adam", adam_t_not_stored, "state"),
    "step_decay_float_division": ("step_decay", step_decay_float_division, "integer division"),
    "step_decay_constant_drop": ("step_decay", step_decay_constant_drop, "drop"),
    "exponential_decay_wrong_sign": ("exponential_decay", exponential_decay_wrong_sign, "exp"),
    "inverse_time_decay_without_one": ("inverse_time_decay", inverse_time_decay_without_one, "default k=0.1"),
    "inverse_time_decay_ignores_k": ("inverse_time_decay", inverse_time_decay_ignores_k, "k"),
    "cosine_without_restart": ("cosine_annealing_warm_restarts", cosine_without_restart, "restart"),
    "cosine_ignores_period_mult": ("cosine_annealing_warm_restarts", cosine_ignores_period_mult, "period_mult"),
    "cosine_ignores_min_lr": ("cosine_annealing_warm_restarts", cosine_ignores_min_lr, "min_lr"),
    "newton_ignores_hessian": ("newton_step", newton_ignores_hessian, "ignores the Hessian"),
    "newton_multiplies_by_hessian": ("newton_step", newton_multiplies_by_hessian, "minimum"),
    "newton_diagonal_only": ("newton_step", newton_diagonal_only, "non-diagonal"),
    "lbfgs_gamma_from_oldest_pair": ("lbfgs_direction", lbfgs_gamma_from_oldest_pair, "NEWEST"),
    "lbfgs_no_initial_scaling": ("lbfgs_direction", lbfgs_no_initial_scaling, "differs from the two-loop recursion"),
    "lbfgs_ascent_direction": ("lbfgs_direction", lbfgs_ascent_direction, "descent"),
    "lbfgs_second_loop_reversed": ("lbfgs_direction", lbfgs_second_loop_reversed, "with 3 pair(s) the secant condition fails"),
    "lbfgs_pops_history": ("lbfgs_direction", lbfgs_pops_history, "modified in place"),
}


# --- correct alternatives --------------------------------------------------------------------

def momentum_accumulate_gradient_form(w, dw, config=None):
    config = _defaults(config, learning_rate=1e-2, momentum=0.9)
    config["velocity"] = config["momentum"] * config.get("velocity", np.zeros_like(w)) + dw
    return w - config["learning_rate"] * config["velocity"], config


def nesterov_pytorch_form(w, dw, config=None):
    config = _defaults(config, learning_rate=1e-2, momentum=0.9)
    mu = config["momentum"]
    config["buffer"] = mu * config.get("buffer", np.zeros_like(w)) + dw
    return w - config["learning_rate"] * (dw + mu * config["buffer"]), config


def nesterov_rearranged_form(w, dw, config=None):
    config = _defaults(config, learning_rate=1e-2, momentum=0.9)
    old_velocity = config.get("velocity", np.zeros_like(w))
    velocity = config["momentum"] * old_velocity - config["learning_rate"] * dw
    config["velocity"] = velocity
    return w + velocity + config["momentum"] * (velocity - old_velocity), config


def adagrad_epsilon_inside_sqrt(w, dw, config=None):
    config = _defaults(config, learning_rate=1e-2, epsilon=1e-7)
    config["grad_squared"] = config.get("grad_squared", np.zeros_like(w)) + dw**2
    return w - config["learning_rate"] * dw / np.sqrt(config["grad_squared"] + config["epsilon"]), config


def rmsprop_epsilon_inside_sqrt(w, dw, config=None):
    config = _defaults(config, learning_rate=1e-2, decay_rate=0.99, epsilon=1e-8)
    decay = config["decay_rate"]
    config["cache"] = decay * config.get("cache", np.zeros_like(w)) + (1 - decay) * dw**2
    return w - config["learning_rate"] * dw / np.sqrt(config["cache"] + config["epsilon"]), config


def adam_paper_step_size_form(w, dw, config=None):
    config = _defaults(config, learning_rate=1e-3, beta1=0.9, beta2=0.999, epsilon=1e-8)
    beta1, beta2 = config["beta1"], config["beta2"]
    config["t"] = config.get("t", 0) + 1
    config["m"] = beta1 * config.get("m", np.zeros_like(w)) + (1 - beta1) * dw
    config["v"] = beta2 * config.get("v", np.zeros_like(w)) + (1 - beta2) * dw**2
    step = config["learning_rate"] * math.sqrt(1 - beta2 ** config["t"]) / (1 - beta1 ** config["t"])
    return w - step * config["m"] / (np.sqrt(config["v"]) + config["epsilon"]), config


def adam_in_place_state(w, dw, config=None):
    config = _defaults(config, learning_rate=1e-3, beta1=0.9, beta2=0.999, epsilon=1e-8)
    m = config.setdefault("m", np.zeros_like(w))
    v = config.setdefault("v", np.zeros_like(w))
    config["t"] = config.get("t", 0) + 1
    m *= config["beta1"]
    m += (1 - config["beta1"]) * dw
    v *= config["beta2"]
    v += (1 - config["beta2"]) * dw * dw
    m_hat = m / (1 - config["beta1"] ** config["t"])
    v_hat = v / (1 - config["beta2"] ** config["t"])
    next_w = w.copy()
    next_w -= config["learning_rate"] * m_hat / (np.sqrt(v_hat) + config["epsilon"])
    return next_w, config


def step_decay_floor(learning_rate0, t, drop=0.5, steps_per_drop=10):
    return learning_rate0 * math.pow(drop, math.floor(t / steps_per_drop))


def cosine_closed_form(learning_rate0, t, period=10, period_mult=1, min_lr=0.0):
    if period_mult == 1:
        cycle, t_cur = period, t % period
    else:
        index = int(math.floor(math.log(t / period * (period_mult - 1) + 1, period_mult)))
        start = period * (period_mult**index - 1) // (period_mult - 1)
        cycle, t_cur = period * period_mult**index, t - start
    return min_lr + (learning_rate0 - min_lr) * (1 + np.cos(np.pi * t_cur / cycle)) / 2


def newton_with_inverse(w, dw, hessian):
    return w - np.linalg.inv(hessian) @ dw


def lbfgs_explicit_matrix(grad, s_history, y_history):
    dim = len(grad)
    if not s_history:
        return -np.asarray(grad, dtype=float)
    s, y = s_history[-1], y_history[-1]
    inverse_hessian = np.eye(dim) * (s @ y) / (y @ y)
    for s, y in zip(s_history, y_history):
        rho = 1.0 / (y @ s)
        left = np.eye(dim) - rho * np.outer(s, y)
        inverse_hessian = left @ inverse_hessian @ left.T + rho * np.outer(s, s)
    return -inverse_hessian @ grad


EQUIVALENTS = {
    "momentum_accumulate_gradient_form": ("sgd_momentum", momentum_accumulate_gradient_form),
    "nesterov_pytorch_form": ("nesterov_momentum", nesterov_pytorch_form),
    "nesterov_rearranged_form": ("nesterov_momentum", nesterov_rearranged_form),
    "adagrad_epsilon_inside_sqrt": ("adagrad", adagrad_epsilon_inside_sqrt),
    "rmsprop_epsilon_inside_sqrt": ("rmsprop", rmsprop_epsilon_inside_sqrt),
    "adam_paper_step_size_form": ("adam", adam_paper_step_size_form),
    "adam_in_place_state": ("adam", adam_in_place_state),
    "step_decay_floor": ("step_decay", step_decay_floor),
    "cosine_closed_form": ("cosine_annealing_warm_restarts", cosine_closed_form),
    "newton_with_inverse": ("newton_step", newton_with_inverse),
    "lbfgs_explicit_matrix": ("lbfgs_direction", lbfgs_explicit_matrix),
}


# --- right values, promoted dtype ----------------------------------------------------------------

def sgd_numpy_float64_rate(w, dw, config=None):
    config = _defaults(config, learning_rate=1e-2)
    return w - np.float64(config["learning_rate"]) * dw, config


def adam_np_power(w, dw, config=None):
    config = _defaults(config, learning_rate=1e-3, beta1=0.9, beta2=0.999, epsilon=1e-8)
    beta1, beta2 = config["beta1"], config["beta2"]
    config["t"] = config.get("t", 0) + 1
    config["m"] = beta1 * config.get("m", np.zeros_like(w)) + (1 - beta1) * dw
    config["v"] = beta2 * config.get("v", np.zeros_like(w)) + (1 - beta2) * dw**2
    m_hat = config["m"] / (1 - np.power(beta1, config["t"]))
    v_hat = config["v"] / (1 - np.power(beta2, config["t"]))
    return w - config["learning_rate"] * m_hat / (np.sqrt(v_hat) + config["epsilon"]), config


DTYPE_SLIPS = {
    "sgd_numpy_float64_rate": ("sgd", sgd_numpy_float64_rate, "next_w came back float64 for float32 inputs (an operand"),
    "momentum_float64_state": ("sgd_momentum", momentum_float64_state, "config['velocity'] is float64"),
    "adam_np_power": ("adam", adam_np_power, "np.power(x, t)"),
}


# --- further bugs, written from the contract before reading the checks ---------------------------

def sgd_returns_no_config(w, dw, config=None):
    config = _defaults(config, learning_rate=1e-2)
    return w - config["learning_rate"] * dw, None


def momentum_applies_stale_velocity(w, dw, config=None):
    config = _defaults(config, learning_rate=1e-2, momentum=0.9)
    old = config.get("velocity", np.zeros_like(w))
    config["velocity"] = config["momentum"] * old - config["learning_rate"] * dw
    return w + old, config


def nesterov_lookahead_sign(w, dw, config=None):
    config = _defaults(config, learning_rate=1e-2, momentum=0.9)
    mu = config["momentum"]
    old = config.get("velocity", np.zeros_like(w))
    v = mu * old - config["learning_rate"] * dw
    config["velocity"] = v
    return w + mu * old + (1 + mu) * v, config


def adagrad_state_under_other_key(w, dw, config=None):
    config = _defaults(config, learning_rate=1e-2, epsilon=1e-7)
    config["cache"] = config.get("cache", np.zeros_like(w)) + dw * dw
    return w - config["learning_rate"] * dw / (np.sqrt(config["cache"]) + config["epsilon"]), config


def rmsprop_no_sqrt(w, dw, config=None):
    config = _defaults(config, learning_rate=1e-2, decay_rate=0.99, epsilon=1e-8)
    d = config["decay_rate"]
    config["cache"] = d * config.get("cache", np.zeros_like(w)) + (1 - d) * dw * dw
    return w - config["learning_rate"] * dw / (config["cache"] + config["epsilon"]), config


def adam_stores_corrected_moments(w, dw, config=None):
    config = _defaults(config, learning_rate=1e-3, beta1=0.9, beta2=0.999, epsilon=1e-8)
    b1, b2 = config["beta1"], config["beta2"]
    t = config.get("t", 0) + 1
    m = (b1 * config.get("m", np.zeros_like(w)) + (1 - b1) * dw) / (1 - b1**t)
    v = (b2 * config.get("v", np.zeros_like(w)) + (1 - b2) * dw * dw) / (1 - b2**t)
    config.update(m=m, v=v, t=t)
    return w - config["learning_rate"] * m / (np.sqrt(v) + config["epsilon"]), config


def adam_default_learning_rate_1e2(w, dw, config=None):
    config = _defaults(config, learning_rate=1e-2, beta1=0.9, beta2=0.999, epsilon=1e-8)
    b1, b2 = config["beta1"], config["beta2"]
    t = config.get("t", 0) + 1
    m = b1 * config.get("m", np.zeros_like(w)) + (1 - b1) * dw
    v = b2 * config.get("v", np.zeros_like(w)) + (1 - b2) * dw * dw
    config.update(m=m, v=v, t=t)
    return w - config["learning_rate"] * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + config["epsilon"]), config


def step_decay_drops_at_start(learning_rate0, t, drop=0.5, steps_per_drop=10):
    return learning_rate0 * drop ** (t // steps_per_drop + 1)


def exponential_decay_discrete(learning_rate0, t, k=0.1):
    return learning_rate0 * (1 - k) ** t


def inverse_time_decay_sqrt(learning_rate0, t, k=0.1):
    return learning_rate0 / math.sqrt(1 + k * t)


def cosine_restart_one_step_late(learning_rate0, t, period=10, period_mult=1, min_lr=0.0):
    length, cur = period, t
    while cur > length:
        cur -= length
        length *= period_mult
    return min_lr + 0.5 * (learning_rate0 - min_lr) * (1 + math.cos(math.pi * cur / length))


def newton_plus_sign(w, dw, hessian):
    return w + np.linalg.solve(hessian, dw)


def lbfgs_gamma_inverted(grad, s_history, y_history):
    q = np.array(grad, dtype=np.float64)
    rhos = [1.0 / np.dot(y, s) for s, y in zip(s_history, y_history)]
    alphas = []
    for s, y, rho in reversed(list(zip(s_history, y_history, rhos))):
        a = rho * np.dot(s, q)
        q = q - a * y
        alphas.append(a)
    if s_history:
        s, y = s_history[-1], y_history[-1]
        q = q * (np.dot(y, y) / np.dot(s, y))
    for (s, y, rho), a in zip(zip(s_history, y_history, rhos), reversed(alphas)):
        q = q + (a - rho * np.dot(y, q)) * s
    return -q


def lbfgs_empty_history_returns_grad(grad, s_history, y_history):
    if not s_history:
        return np.array(grad, dtype=np.float64)
    return reference.lbfgs_direction(grad, s_history, y_history)


BUGS.update({
    "sgd_returns_no_config": ("sgd", sgd_returns_no_config, 'should be a dict'),
    "momentum_applies_stale_velocity": ("sgd_momentum", momentum_applies_stale_velocity, 'leaves the weights where they were'),
    "nesterov_lookahead_sign": ("nesterov_momentum", nesterov_lookahead_sign, 'step 1 matched but step 2'),
    "adagrad_state_under_other_key": ("adagrad", adagrad_state_under_other_key, "no state under 'grad_squared'"),
    "rmsprop_no_sqrt": ("rmsprop", rmsprop_no_sqrt, 'first update differs'),
    "adam_stores_corrected_moments": ("adam", adam_stores_corrected_moments, "config['m'] differs"),
    "adam_default_learning_rate_1e2": ("adam", adam_default_learning_rate_1e2, '10 times the expected one'),
    "step_decay_drops_at_start": ("step_decay", step_decay_drops_at_start, 'at t=0 the rate is learning_rate0'),
    "exponential_decay_discrete": ("exponential_decay", exponential_decay_discrete, 'default k=0.1'),
    "inverse_time_decay_sqrt": ("inverse_time_decay", inverse_time_decay_sqrt, 'default k=0.1'),
    "cosine_restart_one_step_late": ("cosine_annealing_warm_restarts", cosine_restart_one_step_late, 'restarts at t=10'),
    "newton_plus_sign": ("newton_step", newton_plus_sign, 'land exactly on the minimum'),
    "lbfgs_gamma_inverted": ("lbfgs_direction", lbfgs_gamma_inverted, 'differs from the two-loop recursion'),
    "lbfgs_empty_history_returns_grad": ("lbfgs_direction", lbfgs_empty_history_returns_grad, 'should be -grad'),
})


# --- near misses: close to right, caught only by tight tolerances or one specific sub-check ------

def sgd_hidden_weight_decay(w, dw, config=None):
    config = _defaults(config, learning_rate=1e-2)
    return w - config["learning_rate"] * (dw + 1e-4 * w), config


def momentum_default_095(w, dw, config=None):
    config = _defaults(config, learning_rate=1e-2, momentum=0.95)
    config["velocity"] = config["momentum"] * config.get("velocity", np.zeros_like(w)) - config["learning_rate"] * dw
    return w + config["velocity"], config


def nesterov_plain_first_step(w, dw, config=None):
    if config is None or "velocity" not in config:
        config = _defaults(config, learning_rate=1e-2, momentum=0.9)
        config["velocity"] = -config["learning_rate"] * dw
        return w + config["velocity"], config
    return reference.nesterov_momentum(w, dw, config)


def adagrad_guarded_division_fills_ones(w, dw, config=None):
    config = _defaults(config, learning_rate=1e-2, epsilon=1e-7)
    config["grad_squared"] = config.get("grad_squared", np.zeros_like(w)) + dw * dw
    root = np.sqrt(config["grad_squared"])
    step = np.divide(dw, root, out=np.ones_like(dw), where=root > 0)
    return w - config["learning_rate"] * step, config


def rmsprop_hard_coded_epsilon_1e6(w, dw, config=None):
    config = _defaults(config, learning_rate=1e-2, decay_rate=0.99, epsilon=1e-8)
    d = config["decay_rate"]
    config["cache"] = d * config.get("cache", np.zeros_like(w)) + (1 - d) * dw * dw
    return w - config["learning_rate"] * dw / (np.sqrt(config["cache"]) + 1e-6), config


def adam_correction_one_step_ahead(w, dw, config=None):
    config = _defaults(config, learning_rate=1e-3, beta1=0.9, beta2=0.999, epsilon=1e-8)
    b1, b2 = config["beta1"], config["beta2"]
    t = config.get("t", 0) + 1
    m = b1 * config.get("m", np.zeros_like(w)) + (1 - b1) * dw
    v = b2 * config.get("v", np.zeros_like(w)) + (1 - b2) * dw * dw
    config.update(m=m, v=v, t=t)
    m_hat, v_hat = m / (1 - b1 ** (t + 1)), v / (1 - b2 ** (t + 1))
    return w - config["learning_rate"] * m_hat / (np.sqrt(v_hat) + config["epsilon"]), config


def step_decay_drops_one_step_early(learning_rate0, t, drop=0.5, steps_per_drop=10):
    return learning_rate0 * drop ** ((t + 1) // steps_per_drop)


def exponential_decay_typed_e(learning_rate0, t, k=0.1):
    return learning_rate0 * 2.7182818 ** (-k * t)


def inverse_time_decay_default_k_001(learning_rate0, t, k=0.01):
    return learning_rate0 / (1 + k * t)


def cosine_reaches_min_lr_at_cycle_end(learning_rate0, t, period=10, period_mult=1, min_lr=0.0):
    length, cur = period, t
    while cur >= length:
        cur -= length
        length *= period_mult
    return min_lr + 0.5 * (learning_rate0 - min_lr) * (1 + math.cos(math.pi * cur / (length - 1)))


def newton_damped_hessian(w, dw, hessian):
    return w - np.linalg.solve(hessian + 1e-4 * np.eye(len(w)), dw)


def lbfgs_gamma_other_barzilai_borwein(grad, s_history, y_history):
    if not s_history:
        return -np.asarray(grad, dtype=float)
    s, y = s_history[-1], y_history[-1]
    return _lbfgs(grad, s_history, y_history, gamma=np.dot(s, s) / np.dot(s, y))


def lbfgs_float32_copy_of_grad(grad, s_history, y_history):
    return reference.lbfgs_direction(np.array(grad, dtype=np.float32), s_history, y_history)


def lbfgs_rho_guarded_by_epsilon(grad, s_history, y_history):
    q = np.array(grad, dtype=np.float64)
    rhos = [1.0 / (np.dot(y, s) + 1e-3) for s, y in zip(s_history, y_history)]
    alphas = []
    for s, y, rho in reversed(list(zip(s_history, y_history, rhos))):
        alphas.append(rho * np.dot(s, q))
        q = q - alphas[-1] * y
    if s_history:
        q = q * (np.dot(s_history[-1], y_history[-1]) / np.dot(y_history[-1], y_history[-1]))
    for (s, y, rho), alpha in zip(zip(s_history, y_history, rhos), reversed(alphas)):
        q = q + (alpha - rho * np.dot(y, q)) * s
    return -q


NEAR_MISSES = {
    "sgd_hidden_weight_decay": ("sgd", sgd_hidden_weight_decay, "first update differs"),
    "momentum_default_095": ("sgd_momentum", momentum_default_095,
                             "step 1 matched but step 2 did not (with config=None"),
    "nesterov_plain_first_step": ("nesterov_momentum", nesterov_plain_first_step, "times the expected one"),
    "adagrad_guarded_division_fills_ones": ("adagrad", adagrad_guarded_division_fills_ones,
                                            "zero gradient from a fresh config should not move the weights"),
    "rmsprop_hard_coded_epsilon_1e6": ("rmsprop", rmsprop_hard_coded_epsilon_1e6, "first update differs"),
    "adam_correction_one_step_ahead": ("adam", adam_correction_one_step_ahead, "0.7441 times the expected one"),
    "step_decay_drops_one_step_early": ("step_decay", step_decay_drops_one_step_early, "t=9 is still before"),
    "exponential_decay_typed_e": ("exponential_decay", exponential_decay_typed_e, "with the default k=0.1"),
    "inverse_time_decay_default_k_001": ("inverse_time_decay", inverse_time_decay_default_k_001, "default k=0.1"),
    "cosine_reaches_min_lr_at_cycle_end": ("cosine_annealing_warm_restarts", cosine_reaches_min_lr_at_cycle_end,
                                           "half way down the cosine"),
    "newton_damped_hessian": ("newton_step", newton_damped_hessian, "land exactly on the minimum"),
    "lbfgs_gamma_other_barzilai_borwein": ("lbfgs_direction", lbfgs_gamma_other_barzilai_borwein,
                                           "differs from the two-loop recursion"),
    "lbfgs_float32_copy_of_grad": ("lbfgs_direction", lbfgs_float32_copy_of_grad, "with an empty history"),
    "lbfgs_rho_guarded_by_epsilon": ("lbfgs_direction", lbfgs_rho_guarded_by_epsilon, "secant condition fails"),
}


# --- malformed results and mutated inputs that only one sub-check reports -----------------------

def sgd_flattens_weights(w, dw, config=None):
    config = _defaults(config, learning_rate=1e-2)
    return (w - config["learning_rate"] * dw).ravel(), config


def exponential_decay_one_element_array(learning_rate0, t, k=0.1):
    return learning_rate0 * np.exp(-k * np.array([t]))


def newton_updates_w_in_place(w, dw, hessian):
    w -= np.linalg.solve(hessian, dw)
    return w


def newton_column_vector_solve(w, dw, hessian):
    return w - np.linalg.solve(hessian, dw[:, None])


def lbfgs_two_loop_returns_plus_hg(grad, s_history, y_history):
    if not s_history:
        return -np.asarray(grad, dtype=float)
    return -reference.lbfgs_direction(grad, s_history, y_history)


BUGS.update({
    "sgd_flattens_weights": ("sgd", sgd_flattens_weights, "next_w should have shape (4, 5), got (20,)"),
    "exponential_decay_one_element_array": ("exponential_decay", exponential_decay_one_element_array,
                                            "should return a number, got ndarray"),
    "newton_updates_w_in_place": ("newton_step", newton_updates_w_in_place, "modified in place"),
    "newton_column_vector_solve": ("newton_step", newton_column_vector_solve, "should have shape"),
    "lbfgs_two_loop_returns_plus_hg": ("lbfgs_direction", lbfgs_two_loop_returns_plus_hg, "not a descent direction"),
})


# --- wrong answers that only one diagnostic of the update rules explains -------------------------

def sgd_decays_learning_rate_in_config(w, dw, config=None):
    config = _defaults(config, learning_rate=1e-2)
    next_w = w - config["learning_rate"] * dw
    config["learning_rate"] *= 0.99
    return next_w, config


def momentum_velocity_not_decayed(w, dw, config=None):
    config = _defaults(config, learning_rate=1e-2, momentum=0.9)
    config["velocity"] = config.get("velocity", np.zeros_like(w)) - config["learning_rate"] * dw
    return w + config["velocity"], config


def momentum_returns_velocity_too(w, dw, config=None):
    next_w, config = reference.sgd_momentum(w, dw, config)
    return next_w, config, config["velocity"]


def nesterov_returns_one_tuple(w, dw, config=None):
    next_w, config = reference.nesterov_momentum(w, dw, config)
    return next_w,  # config dropped, the trailing comma left: a 1-tuple


def rmsprop_cache_not_decayed(w, dw, config=None):
    config = _defaults(config, learning_rate=1e-2, decay_rate=0.99, epsilon=1e-8)
    config["cache"] = config.get("cache", np.zeros_like(w)) + (1 - config["decay_rate"]) * dw * dw
    return w - config["learning_rate"] * dw / (np.sqrt(config["cache"]) + config["epsilon"]), config


def adam_only_second_moment_corrected(w, dw, config=None):
    return _adam(w, dw, config, correct_first=False)


def momentum_global_state_reset_on_fresh_config(w, dw, config=None):
    # Resetting when config is None makes every single run right, so only interleaved runs show it.
    if config is None:
        _GLOBAL_VELOCITY.clear()
    return momentum_global_state(w, dw, config)


def adagrad_default_learning_rate_1e3(w, dw, config=None):
    config = _defaults(config, learning_rate=1e-3, epsilon=1e-7)
    config["grad_squared"] = config.get("grad_squared", np.zeros_like(w)) + dw * dw
    return w - config["learning_rate"] * dw / (np.sqrt(config["grad_squared"]) + config["epsilon"]), config


BUGS.update({
    "sgd_decays_learning_rate_in_config": ("sgd", sgd_decays_learning_rate_in_config, "plain SGD has no state"),
    "momentum_velocity_not_decayed": ("sgd_momentum", momentum_velocity_not_decayed,
                                      "step 1 starts from zero state, so what differs is the state carried"),
    "momentum_returns_velocity_too": ("sgd_momentum", momentum_returns_velocity_too,
                                      "should return a tuple (next_w, config)"),
    "nesterov_returns_one_tuple": ("nesterov_momentum", nesterov_returns_one_tuple,
                                   "should return a tuple (next_w, config)"),
    "rmsprop_cache_not_decayed": ("rmsprop", rmsprop_cache_not_decayed,
                                  "step 1 starts from zero state, so what differs is the state carried"),
    "adam_only_second_moment_corrected": ("adam", adam_only_second_moment_corrected, "bias correction missing"),
    "momentum_global_state_reset_on_fresh_config": ("sgd_momentum", momentum_global_state_reset_on_fresh_config,
                                                    "two independent runs with separate config dicts interfere"),
})


def lbfgs_two_loop_left_as_zeros(grad, s_history, y_history):
    if not s_history:
        return -np.asarray(grad, dtype=float)
    return np.zeros_like(grad, dtype=float)


# A zero direction is not a descent direction either (direction . grad = 0).
BUGS["lbfgs_two_loop_left_as_zeros"] = ("lbfgs_direction", lbfgs_two_loop_left_as_zeros, "not a descent direction")

# Adam's default rate in AdaGrad: a step-size ratio of 0.1, which is also one of Adam's bias-correction
# factors, so the message must come from the generic ratio branch, not Adam's.
NEAR_MISSES.update({
    "adagrad_default_learning_rate_1e3": ("adagrad", adagrad_default_learning_rate_1e3,
                                          "the first update is 0.1 times the expected one"),
})
