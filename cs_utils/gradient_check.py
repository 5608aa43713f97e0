"""Numerical gradients by centered differences, to check analytic backward passes."""

import numpy as np


def rel_error(x, y):
    """Return the maximum elementwise relative error between two arrays.

    |x - y| / max(1e-8, |x| + |y|), so entries that are both zero count as equal.

    Inputs:
    - x, y: float arrays of the same shape (or scalars)

    Returns:
    - float
    """
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    return float(np.max(np.abs(x - y) / np.maximum(1e-8, np.abs(x) + np.abs(y))))


def eval_numerical_gradient(f, x, verbose=False, h=1e-5):
    """Numerical gradient of a scalar function f at x.

    x is perturbed in place one entry at a time and restored afterwards.

    Inputs:
    - f: callable, f(x) -> float
    - x: float64 array of any shape, the point
    - verbose: bool, print every entry's index and gradient
    - h: float, half the finite-difference step

    Returns:
    - grad: float64 array, same shape as x
    """
    grad = np.zeros_like(x, dtype=np.float64)
    it = np.nditer(x, flags=["multi_index"], op_flags=["readwrite"])
    while not it.finished:
        ix = it.multi_index
        old_value = x[ix]
        x[ix] = old_value + h
        f_plus = f(x)
        x[ix] = old_value - h
        f_minus = f(x)
        x[ix] = old_value
        grad[ix] = (f_plus - f_minus) / (2 * h)
        if verbose:
            print(ix, grad[ix])
        it.iternext()
    return grad


def eval_numerical_gradient_array(f, x, df, h=1e-5):
    """Numerical gradient of sum(f(x) * df) with respect to x, for array-valued f.

    This is what a backward pass computes: df is the upstream gradient dL/df(x).

    Inputs:
    - f: callable, f(x) -> array of any shape
    - x: float64 array of any shape, perturbed in place and restored
    - df: float64 array of f(x)'s shape
    - h: float, half the finite-difference step

    Returns:
    - grad: float64 array, same shape as x
    """
    grad = np.zeros_like(x, dtype=np.float64)
    it = np.nditer(x, flags=["multi_index"], op_flags=["readwrite"])
    while not it.finished:
        ix = it.multi_index
        old_value = x[ix]
        x[ix] = old_value + h
        f_plus = np.array(f(x), dtype=np.float64)  # copy: f may return a view of x
        x[ix] = old_value - h
        f_minus = np.array(f(x), dtype=np.float64)
        x[ix] = old_value
        grad[ix] = np.sum((f_plus - f_minus) * df) / (2 * h)
        it.iternext()
    return grad


def grad_check_sparse(f, x, analytic_grad, num_checks=10, h=1e-5, rng=None):
    """Compare an analytic gradient with numerical ones at a few random entries.

    Cheaper than a full numerical gradient for large parameter arrays.

    Inputs:
    - f: callable, f(x) -> float
    - x: float64 array of any shape, perturbed in place and restored
    - analytic_grad: float64 array, same shape as x
    - num_checks: int, how many random entries to check
    - h: float, half the finite-difference step
    - rng: numpy.random.Generator or int seed (None: fresh entropy) picking the entries

    Returns:
    - float, the largest relative error over the checked entries
    """
    rng = np.random.default_rng(rng)
    worst = 0.0
    for _ in range(num_checks):
        ix = tuple(int(rng.integers(n)) for n in x.shape)
        old_value = x[ix]
        x[ix] = old_value + h
        f_plus = f(x)
        x[ix] = old_value - h
        f_minus = f(x)
        x[ix] = old_value
        numerical = (f_plus - f_minus) / (2 * h)
        worst = max(worst, rel_error(numerical, analytic_grad[ix]))
    return worst
