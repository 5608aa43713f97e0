"""Driver for quasi-Newton minimization: a line search and an L-BFGS loop.

The L-BFGS direction itself (the two-loop recursion) is written in the 01 Optimizers
notebook and passed in as direction_fn; this module only does the bookkeeping around it.
"""

import numpy as np


def backtracking_line_search(fun, w, loss, grad, direction, step0=1.0, shrink=0.5, c1=1e-4, c2=None,
                             max_tries=30):
    """Find a step length along a descent direction with sufficient decrease (Armijo).

    Tries step0, step0 * shrink, step0 * shrink^2, ... and returns the first step with
    fun(w + step * direction) <= loss + c1 * step * grad . direction.

    With c2 it also asks for the (weak Wolfe) curvature condition
    grad(w + step * direction) . direction >= c2 * grad . direction: a step that is still
    steeply downhill is too short, so the search grows it (step / shrink) until a step
    fails the decrease test, then bisects between the two. L-BFGS needs this: it
    guarantees s . y > 0 for the new pair, so its memory stays usable.

    Inputs:
    - fun: callable, fun(w) -> (loss float, grad float64 array (D,))
    - w: float64 array (D,), the current point
    - loss: float, fun's loss at w
    - grad: float64 array (D,), fun's gradient at w
    - direction: float64 array (D,), with grad . direction < 0
    - step0: float, the first step tried (1 suits quasi-Newton directions)
    - shrink: float in (0, 1), factor between tries
    - c1: float in (0, 1), fraction of the linear decrease required
    - c2: float in (c1, 1), or None for the decrease condition alone
    - max_tries: int, evaluations of fun before giving up

    Returns:
    - step: float. When no step passes within max_tries (for example when fun is a noisy
      minibatch loss), the longest step that passed the decrease test, else the shortest
      step tried.

    Raises:
    - ValueError when direction is not a descent direction
    """
    slope = float(grad @ direction)
    if not slope < 0:
        raise ValueError(f"not a descent direction: grad . direction = {slope}")
    too_short, too_long = 0.0, np.inf
    step = step0
    # A long trial step may overflow; such a step counts as too long.
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(max_tries):
            trial_loss, trial_grad = fun(w + step * direction)
            if not (np.isfinite(trial_loss) and trial_loss <= loss + c1 * step * slope):
                too_long = step
            elif c2 is not None and trial_grad @ direction < c2 * slope:
                too_short = step
            else:
                return step
            if np.isinf(too_long):
                step = step / shrink
            else:
                step = too_short + shrink * (too_long - too_short)
    return too_short if too_short > 0 else too_long


def lbfgs_minimize(fun, w0, direction_fn, memory=10, num_iters=50, callback=None, grad_tol=1e-10):
    """Minimize fun with L-BFGS: direction from direction_fn, step from a weak Wolfe line search.

    Each iteration asks direction_fn for a direction from the current gradient and the
    stored pairs s_k = w_{k+1} - w_k, y_k = g_{k+1} - g_k (lists, oldest first, at most
    `memory` of them). A direction that is not finite or not downhill is replaced by
    -grad; a pair with s . y <= 0 (no positive curvature, e.g. from a noisy gradient) is
    not stored, because it would make the implied inverse Hessian indefinite.

    Inputs:
    - fun: callable, fun(w) -> (loss float, grad float64 array (D,)); may be stochastic
    - w0: float array (D,), the start point (not modified)
    - direction_fn: callable (grad (D,), s_history list of (D,), y_history list of (D,))
      -> direction float array (D,)
    - memory: int, number of (s, y) pairs kept
    - num_iters: int, maximum number of iterations
    - callback: callable, callback(w) with the new point after every iteration, or None
    - grad_tol: float, stop early once the gradient norm is at most this

    Returns a tuple of:
    - w: float64 array (D,), the last point
    - loss_history: list of float, fun's loss at w0 and after each iteration
      (num_iters + 1 entries unless it stopped early)
    """
    w = np.array(w0, dtype=np.float64)
    loss, grad = fun(w)
    loss_history = [float(loss)]
    s_history, y_history = [], []
    for _ in range(num_iters):
        if np.linalg.norm(grad) <= grad_tol:
            break
        # Copies, so a direction_fn that edits its lists cannot corrupt the memory.
        direction = np.asarray(direction_fn(grad, list(s_history), list(y_history)), dtype=np.float64)
        if direction.shape != grad.shape or not np.all(np.isfinite(direction)) or not grad @ direction < 0:
            direction = -grad
        step = backtracking_line_search(fun, w, loss, grad, direction, c2=0.9)
        w_next = w + step * direction
        loss_next, grad_next = fun(w_next)
        s, y = w_next - w, grad_next - grad
        # Relative threshold: s . y that is positive only by rounding is no curvature either.
        if s @ y > 1e-10 * np.linalg.norm(s) * np.linalg.norm(y):
            s_history.append(s)
            y_history.append(y)
            if len(s_history) > memory:
                s_history.pop(0)
                y_history.pop(0)
        w, loss, grad = w_next, float(loss_next), grad_next
        loss_history.append(loss)
        if callback is not None:
            callback(w.copy())
    return w, loss_history
