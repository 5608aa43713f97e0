"""Hidden checks of 01 Optimizers: the second-order steps (Newton, the L-BFGS direction)."""
import math

import numpy as np

from autograder.checks._common import (
    assert_array,
    assert_unchanged,
    call,
    fail,
    fresh_rng,
    max_relative_error,
    passed,
    snapshot,
)
from autograder.reference import optimizers as reference

# Relative tolerance of a step or direction (float64 throughout).
RTOL = 1e-6


def _random_spd(rng, dim, condition=50.0):
    """A random symmetric positive-definite (dim, dim) matrix with the given condition number."""
    basis, _ = np.linalg.qr(rng.normal(size=(dim, dim)))
    eigenvalues = np.exp(rng.uniform(0.0, math.log(condition), size=dim))
    return basis @ np.diag(eigenvalues) @ basis.T


def check_newton_step(newton_step, seed=None):
    """Check ``newton_step(w, dw, hessian) -> next_w``."""
    name = "newton_step"
    rng, seed = fresh_rng(seed)
    for dim in [1, 2, 6]:
        hessian = _random_spd(rng, dim)
        w_star = rng.normal(size=dim)
        w = rng.normal(size=dim)
        dw = hessian @ (w - w_star)
        before = snapshot(w, dw, hessian)
        next_w = call(name, newton_step, w, dw, hessian)
        assert_unchanged(name, zip(["w", "dw", "hessian"], before, [w, dw, hessian]))
        assert_array(name, next_w, (dim,), "next_w")
        if max_relative_error(next_w, w_star) > RTOL:
            if max_relative_error(next_w, w - dw) < 1e-6:
                fail(name, "the step ignores the Hessian: next_w = w - H^{-1} dw")
            fail(name, f"on a quadratic with a non-diagonal Hessian ({dim}-D) one Newton step should land "
                       "exactly on the minimum: is the step w - H^{-1} dw (np.linalg.solve(hessian, dw))?")
    passed(name, 3, seed)


def _secant_pairs(rng, hessian, count):
    """(s, y) pairs of a quadratic with the given Hessian: y = H s, so s.y > 0."""
    dim = hessian.shape[0]
    s_history = [rng.normal(size=dim) for _ in range(count)]
    return s_history, [hessian @ s for s in s_history]


def check_lbfgs_direction(lbfgs_direction, seed=None):
    """Check ``lbfgs_direction(grad, s_history, y_history) -> direction``."""
    name = "lbfgs_direction"
    rng, seed = fresh_rng(seed)
    dim = 8
    hessian = _random_spd(rng, dim)

    grad = rng.normal(size=dim)
    direction = call(name, lbfgs_direction, grad, [], [])
    assert_array(name, direction, (dim,), "the direction")
    if max_relative_error(direction, -grad) > 1e-9:
        fail(name, "with an empty history the direction should be -grad (steepest descent)")

    for count in [1, 3, 5]:
        s_history, y_history = _secant_pairs(rng, hessian, count)
        grad = rng.normal(size=dim)
        before = snapshot(grad, s_history, y_history)
        direction = call(name, lbfgs_direction, grad, s_history, y_history)
        assert_unchanged(name, zip(["grad", "s_history", "y_history"], before, [grad, s_history, y_history]))
        assert_array(name, direction, (dim,), "the direction")
        if np.dot(direction, grad) >= 0:
            fail(name, f"with {count} pair(s) the direction is not a descent direction (direction . grad >= 0): "
                       "did you return +H grad instead of -H grad?")
        newest_s, newest_y = s_history[-1], y_history[-1]
        secant = call(name, lbfgs_direction, newest_y, s_history, y_history)
        if max_relative_error(secant, -newest_s) > RTOL:
            fail(name, f"with {count} pair(s) the secant condition fails: for grad = y_k (newest pair) the "
                       "direction should be exactly -s_k. Check the order of the two loops (newest pair first "
                       "in the first loop) and that rho = 1 / (y . s)")
        expected = reference.lbfgs_direction(grad, s_history, y_history)
        if max_relative_error(direction, expected) > RTOL:
            fail(name, f"with {count} pairs the direction differs from the two-loop recursion: is the initial "
                       "scaling gamma = (s.y)/(y.y) taken from the NEWEST pair, and are the alphas of the "
                       "first loop used in reverse order in the second?")
    passed(name, 4, seed)
