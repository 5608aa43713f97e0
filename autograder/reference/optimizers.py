"""Reference update rules, learning-rate schedules and second-order steps for 01 Optimizers.

Every update rule follows the config-dict convention ``next_w, config = rule(w, dw, config)``:
``w`` and ``dw`` are arrays of the same shape and dtype, ``config`` holds the hyperparameters and
the rule's state, and neither ``w`` nor ``dw`` is modified.
"""
import math

import numpy as np


def sgd(w, dw, config=None):
    """Vanilla SGD. Config: learning_rate (1e-2)."""
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-2)
    return w - config["learning_rate"] * dw, config


def sgd_momentum(w, dw, config=None):
    """SGD with momentum. Config: learning_rate (1e-2), momentum (0.9), velocity (zeros)."""
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    velocity = config.get("velocity", np.zeros_like(w))
    velocity = config["momentum"] * velocity - config["learning_rate"] * dw
    config["velocity"] = velocity
    return w + velocity, config


def nesterov_momentum(w, dw, config=None):
    """Nesterov momentum in the change-of-variables form that needs only the gradient at w."""
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    old_velocity = config.get("velocity", np.zeros_like(w))
    mu = config["momentum"]
    velocity = mu * old_velocity - config["learning_rate"] * dw
    config["velocity"] = velocity
    return w - mu * old_velocity + (1 + mu) * velocity, config


def adagrad(w, dw, config=None):
    """AdaGrad. Config: learning_rate (1e-2), epsilon (1e-7), grad_squared (zeros)."""
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("epsilon", 1e-7)
    grad_squared = config.get("grad_squared", np.zeros_like(w)) + dw * dw
    config["grad_squared"] = grad_squared
    return w - config["learning_rate"] * dw / (np.sqrt(grad_squared) + config["epsilon"]), config


def rmsprop(w, dw, config=None):
    """RMSProp. Config: learning_rate (1e-2), decay_rate (0.99), epsilon (1e-8), cache (zeros)."""
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("decay_rate", 0.99)
    config.setdefault("epsilon", 1e-8)
    decay = config["decay_rate"]
    cache = decay * config.get("cache", np.zeros_like(w)) + (1 - decay) * dw * dw
    config["cache"] = cache
    return w - config["learning_rate"] * dw / (np.sqrt(cache) + config["epsilon"]), config


def adam(w, dw, config=None):
    """Adam with bias correction. Config: learning_rate (1e-3), beta1 (0.9), beta2 (0.999),
    epsilon (1e-8), m, v (zeros), t (0, incremented before use)."""
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-3)
    config.setdefault("beta1", 0.9)
    config.setdefault("beta2", 0.999)
    config.setdefault("epsilon", 1e-8)
    beta1, beta2 = config["beta1"], config["beta2"]
    t = config.get("t", 0) + 1
    m = beta1 * config.get("m", np.zeros_like(w)) + (1 - beta1) * dw
    v = beta2 * config.get("v", np.zeros_like(w)) + (1 - beta2) * dw * dw
    config.update(m=m, v=v, t=t)
    m_hat = m / (1 - beta1**t)
    v_hat = v / (1 - beta2**t)
    return w - config["learning_rate"] * m_hat / (np.sqrt(v_hat) + config["epsilon"]), config


def step_decay(learning_rate0, t, drop=0.5, steps_per_drop=10):
    """Multiply the rate by ``drop`` every ``steps_per_drop`` steps."""
    return learning_rate0 * drop ** (t // steps_per_drop)


def exponential_decay(learning_rate0, t, k=0.1):
    """``learning_rate0 * exp(-k t)``."""
    return learning_rate0 * math.exp(-k * t)


def inverse_time_decay(learning_rate0, t, k=0.1):
    """``learning_rate0 / (1 + k t)``."""
    return learning_rate0 / (1 + k * t)


def cosine_annealing_warm_restarts(learning_rate0, t, period=10, period_mult=1, min_lr=0.0):
    """SGDR: cosine from learning_rate0 down to min_lr, restarting after each cycle;
    cycle i lasts ``period * period_mult**i`` steps."""
    cycle_length, t_cur = period, t
    while t_cur >= cycle_length:
        t_cur -= cycle_length
        cycle_length *= period_mult
    return min_lr + 0.5 * (learning_rate0 - min_lr) * (1 + math.cos(math.pi * t_cur / cycle_length))


def newton_step(w, dw, hessian):
    """``w - H^{-1} dw`` for w, dw of shape (D,) and hessian of shape (D, D)."""
    return w - np.linalg.solve(hessian, dw)


def lbfgs_direction(grad, s_history, y_history):
    """L-BFGS two-loop recursion: ``-H_k grad`` from the (s, y) pairs, oldest first.

    The initial inverse Hessian is ``(s.y / y.y) I`` of the newest pair; no pairs give ``-grad``.
    """
    q = np.array(grad, dtype=np.float64)
    rhos = [1.0 / np.dot(y, s) for s, y in zip(s_history, y_history)]
    alphas = []
    for s, y, rho in reversed(list(zip(s_history, y_history, rhos))):
        alpha = rho * np.dot(s, q)
        q = q - alpha * y
        alphas.append(alpha)
    if s_history:
        s, y = s_history[-1], y_history[-1]
        q = q * (np.dot(s, y) / np.dot(y, y))
    for (s, y, rho), alpha in zip(zip(s_history, y_history, rhos), reversed(alphas)):
        beta = rho * np.dot(y, q)
        q = q + (alpha - beta) * s
    return -q
