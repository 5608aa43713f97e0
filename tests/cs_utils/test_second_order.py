import numpy as np
import pytest

from cs_utils.fc_net import FullyConnectedNet, flat_loss_and_grad
from cs_utils.second_order import backtracking_line_search, lbfgs_minimize


def _two_loop_direction(grad, s_history, y_history):
    """Test-only L-BFGS two-loop recursion (histories oldest first), to drive lbfgs_minimize."""
    if not s_history:
        return -grad
    q = grad.copy()
    rhos = [1.0 / (y @ s) for s, y in zip(s_history, y_history)]
    alphas = []
    for s, y, rho in reversed(list(zip(s_history, y_history, rhos))):
        alpha = rho * (s @ q)
        q -= alpha * y
        alphas.append(alpha)
    s, y = s_history[-1], y_history[-1]
    r = (s @ y) / (y @ y) * q
    for (s, y, rho), alpha in zip(zip(s_history, y_history, rhos), reversed(alphas)):
        beta = rho * (y @ r)
        r += (alpha - beta) * s
    return -r


def _quadratic(dim=10, condition=100.0, seed=0):
    rng = np.random.default_rng(seed)
    basis, _ = np.linalg.qr(rng.standard_normal((dim, dim)))
    A = basis @ np.diag(np.logspace(0, np.log10(condition), dim)) @ basis.T
    b = rng.standard_normal(dim)

    def fun(w):
        return 0.5 * w @ A @ w - b @ w, A @ w - b

    return fun, np.linalg.solve(A, b)


def _rosenbrock(w):
    x, y = w
    value = (1 - x) ** 2 + 100 * (y - x ** 2) ** 2
    grad = np.array([-2 * (1 - x) - 400 * x * (y - x ** 2), 200 * (y - x ** 2)])
    return value, grad


def test_line_search_accepts_newton_step_and_backtracks():
    fun, w_star = _quadratic(dim=4, condition=10.0)
    w = np.zeros(4)
    loss, grad = fun(w)
    assert backtracking_line_search(fun, w, loss, grad, w_star - w) == 1.0
    step = backtracking_line_search(fun, w, loss, grad, -grad * 100.0)
    assert step < 1.0
    assert fun(w - step * grad * 100.0)[0] <= loss + 1e-4 * step * grad @ (-grad * 100.0)


def test_line_search_rejects_ascent_direction():
    fun, _ = _quadratic(dim=3)
    w = np.ones(3)
    loss, grad = fun(w)
    with pytest.raises(ValueError, match="descent"):
        backtracking_line_search(fun, w, loss, grad, grad)


def test_lbfgs_solves_quadratic():
    fun, w_star = _quadratic()
    w0 = np.zeros(10)
    w, losses = lbfgs_minimize(fun, w0, _two_loop_direction, memory=10, num_iters=60)
    np.testing.assert_allclose(w, w_star, atol=1e-6)
    np.testing.assert_array_equal(w0, 0.0)
    assert all(later <= earlier + 1e-12 for earlier, later in zip(losses, losses[1:]))


def test_lbfgs_beats_gradient_descent_on_rosenbrock():
    w0 = np.array([-1.2, 1.0])
    w, losses = lbfgs_minimize(_rosenbrock, w0, _two_loop_direction, num_iters=100)
    np.testing.assert_allclose(w, [1.0, 1.0], atol=1e-4)
    _, losses_gd = lbfgs_minimize(_rosenbrock, w0, lambda grad, s, y: -grad, num_iters=100)
    assert losses[-1] < 1e-3 * losses_gd[-1]


def test_history_bookkeeping():
    fun, _ = _quadratic(dim=6)
    seen = []
    points = [np.zeros(6)]

    def spy(grad, s_history, y_history):
        seen.append((list(s_history), list(y_history)))
        s_history.clear()  # must not affect the stored memory
        return _two_loop_direction(grad, seen[-1][0], seen[-1][1])

    lbfgs_minimize(fun, points[0], spy, memory=3, num_iters=6, callback=points.append)
    assert [len(s) for s, _ in seen] == [0, 1, 2, 3, 3, 3]
    assert len(points) == 7
    s_history, y_history = seen[-1]
    np.testing.assert_allclose(s_history[-1], points[-2] - points[-3])  # newest pair last
    np.testing.assert_allclose(s_history[0], points[-4] - points[-5])
    np.testing.assert_allclose(y_history[-1], fun(points[-2])[1] - fun(points[-3])[1])


def test_pairs_without_positive_curvature_are_skipped():
    # Noisy gradients (as from minibatches) give pairs with s . y <= 0 now and then.
    quadratic, _ = _quadratic(dim=4, condition=10.0)
    rng = np.random.default_rng(0)

    def noisy_fun(w):
        loss, grad = quadratic(w)
        return loss, grad + 0.5 * rng.standard_normal(4)

    seen = []

    def spy(grad, s_history, y_history):
        seen.append(len(s_history))
        assert all(s @ y > 0 for s, y in zip(s_history, y_history))
        return _two_loop_direction(grad, s_history, y_history)

    _, losses = lbfgs_minimize(noisy_fun, np.ones(4), spy, memory=100, num_iters=40)
    assert len(losses) == 41
    assert seen[-1] < len(seen) - 1  # at least one pair was dropped


@pytest.mark.parametrize("bad_direction", [lambda grad, s, y: grad, lambda grad, s, y: np.full_like(grad, np.nan),
                                           lambda grad, s, y: np.zeros(1)])
def test_bad_directions_fall_back_to_gradient_descent(bad_direction):
    fun, _ = _quadratic(dim=5, condition=5.0)
    _, losses = lbfgs_minimize(fun, np.zeros(5), bad_direction, num_iters=20)
    assert losses[-1] < losses[0]
    assert all(later <= earlier for earlier, later in zip(losses, losses[1:]))


def test_stops_at_a_stationary_point():
    fun, w_star = _quadratic(dim=3)
    w, losses = lbfgs_minimize(fun, w_star, _two_loop_direction, num_iters=10)
    assert len(losses) == 1
    np.testing.assert_array_equal(w, w_star)


def test_lbfgs_trains_a_net_full_batch_and_minibatch():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 8))
    y = (X[:, 0] > 0).astype(np.int64) + (X[:, 1] > 0)
    model = FullyConnectedNet([16], input_dim=8, num_classes=3, weight_scale=0.1, seed=0)
    fun, w0 = flat_loss_and_grad(model, X, y)
    _, losses = lbfgs_minimize(fun, w0, _two_loop_direction, num_iters=40)
    assert len(losses) <= 41 and losses[-1] < 0.2 * losses[0]

    fresh_model = FullyConnectedNet([16], input_dim=8, num_classes=3, weight_scale=0.1, seed=0)
    noisy_fun, w0 = flat_loss_and_grad(fresh_model, X, y, batch_size=10, rng=0)
    w, noisy_losses = lbfgs_minimize(noisy_fun, w0, _two_loop_direction, num_iters=20)
    assert len(noisy_losses) == 21 and np.all(np.isfinite(w))
