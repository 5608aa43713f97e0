import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from cs_utils.fc_net import FullyConnectedNet, flat_loss_and_grad, flatten_params, set_flat_params
from cs_utils.gradient_check import (eval_numerical_gradient, eval_numerical_gradient_array, grad_check_sparse,
                                     rel_error)
from cs_utils.layers import (affine_backward, affine_forward, affine_relu_backward, affine_relu_forward,
                             relu_backward, relu_forward, softmax_loss)


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def test_rel_error():
    assert rel_error(np.zeros(3), np.zeros(3)) == 0.0
    assert rel_error(np.array([1.0, 2.0]), np.array([1.0, 2.0])) == 0.0
    assert rel_error(np.array([1.0]), np.array([3.0])) == pytest.approx(0.5)
    assert isinstance(rel_error(1.0, 1.0 + 1e-9), float)


def test_rel_error_is_the_worst_entry_not_an_average():
    x = np.ones(100)
    y = x.copy()
    y[7] = 2.0
    assert rel_error(x, y) == pytest.approx(1 / 3)


@given(arrays(np.float64, st.integers(1, 20), elements=st.floats(-1e6, 1e6)),
       arrays(np.float64, st.integers(1, 20), elements=st.floats(-1e6, 1e6)))
def test_rel_error_bounds_every_entry_and_is_symmetric(x, y):
    n = min(x.size, y.size)
    x, y = x[:n], y[:n]
    error = rel_error(x, y)
    assert 0.0 <= error <= 1.0
    assert error == rel_error(y, x)
    for a, b in zip(x, y):
        assert abs(a - b) / max(1e-8, abs(a) + abs(b)) <= error


def test_numerical_gradient_of_known_function(rng):
    x = rng.standard_normal((3, 4))
    x_before = x.copy()
    grad = eval_numerical_gradient(lambda v: np.sum(v ** 3), x)
    assert rel_error(grad, 3 * x ** 2) < 1e-7
    np.testing.assert_array_equal(x, x_before)


def test_grad_check_sparse(rng):
    x = rng.standard_normal((20, 5))
    f = lambda v: np.sum(np.sin(v))  # noqa: E731
    assert grad_check_sparse(f, x, np.cos(x), num_checks=15, rng=0) < 1e-8
    assert grad_check_sparse(f, x, 2 * np.cos(x), num_checks=15, rng=0) > 0.1
    assert grad_check_sparse(f, x, np.cos(x), rng=1) == grad_check_sparse(f, x, np.cos(x), rng=1)


def test_affine_forward_shapes_and_values(rng):
    x = rng.standard_normal((4, 2, 3))
    w = rng.standard_normal((6, 5))
    b = rng.standard_normal(5)
    out, _ = affine_forward(x, w, b)
    assert out.shape == (4, 5)
    np.testing.assert_allclose(out, x.reshape(4, 6) @ w + b)


def test_affine_backward(rng):
    x = rng.standard_normal((10, 2, 3))
    w = rng.standard_normal((6, 5))
    b = rng.standard_normal(5)
    dout = rng.standard_normal((10, 5))
    _, cache = affine_forward(x, w, b)
    dx, dw, db = affine_backward(dout, cache)
    assert dx.shape == x.shape and dw.shape == w.shape and db.shape == b.shape
    assert rel_error(dx, eval_numerical_gradient_array(lambda v: affine_forward(v, w, b)[0], x, dout)) < 1e-8
    assert rel_error(dw, eval_numerical_gradient_array(lambda v: affine_forward(x, v, b)[0], w, dout)) < 1e-8
    assert rel_error(db, eval_numerical_gradient_array(lambda v: affine_forward(x, w, v)[0], b, dout)) < 1e-8


def test_relu_forward_and_backward(rng):
    x = rng.standard_normal((6, 7))
    out, cache = relu_forward(x)
    np.testing.assert_array_equal(out, np.where(x > 0, x, 0.0))
    dout = rng.standard_normal(x.shape)
    dx_num = eval_numerical_gradient_array(lambda v: relu_forward(v)[0], x, dout)
    assert rel_error(relu_backward(dout, cache), dx_num) < 1e-8


def test_affine_relu_backward(rng):
    x = rng.standard_normal((5, 4))
    w = rng.standard_normal((4, 6))
    b = rng.standard_normal(6)
    dout = rng.standard_normal((5, 6))
    _, cache = affine_relu_forward(x, w, b)
    dx, dw, db = affine_relu_backward(dout, cache)
    assert rel_error(dx, eval_numerical_gradient_array(lambda v: affine_relu_forward(v, w, b)[0], x, dout)) < 1e-7
    assert rel_error(dw, eval_numerical_gradient_array(lambda v: affine_relu_forward(x, v, b)[0], w, dout)) < 1e-7
    assert rel_error(db, eval_numerical_gradient_array(lambda v: affine_relu_forward(x, w, v)[0], b, dout)) < 1e-7


def test_softmax_loss(rng):
    num_classes, num_examples = 10, 50
    x = 0.001 * rng.standard_normal((num_examples, num_classes))
    y = rng.integers(num_classes, size=num_examples)
    loss, dx = softmax_loss(x, y)
    assert isinstance(loss, float)
    assert loss == pytest.approx(np.log(num_classes), rel=1e-2)
    assert rel_error(dx, eval_numerical_gradient(lambda v: softmax_loss(v, y)[0], x)) < 1e-7
    # Large scores must not overflow.
    big_loss, big_dx = softmax_loss(1000.0 * x + 1e4, y)
    assert np.isfinite(big_loss) and np.all(np.isfinite(big_dx))


@pytest.mark.parametrize("reg", [0.0, 0.7])
def test_fully_connected_net_gradients(rng, reg):
    N, D, C = 3, 5, 7
    X = rng.standard_normal((N, D))
    y = rng.integers(C, size=N)
    model = FullyConnectedNet([4, 6], input_dim=D, num_classes=C, weight_scale=5e-1, reg=reg, seed=0)
    assert sorted(model.params) == ["W1", "W2", "W3", "b1", "b2", "b3"]
    assert model.params["W2"].shape == (4, 6) and model.params["b3"].shape == (C,)
    # Nonzero biases keep pre-activations off the ReLU kink at exactly 0 (a dead first layer
    # would otherwise feed exact zeros into the second).
    for name in ("b1", "b2", "b3"):
        model.params[name] = 0.1 * rng.standard_normal(model.params[name].shape)
    loss, grads = model.loss(X, y)
    for name, value in model.params.items():
        numerical = eval_numerical_gradient(lambda _: model.loss(X, y)[0], value)
        assert rel_error(numerical, grads[name]) < 1e-6, name


def test_fully_connected_net_scores_and_seed(rng):
    X = rng.standard_normal((8, 2, 2, 2))
    model = FullyConnectedNet([10], input_dim=8, num_classes=3, seed=1)
    scores = model.loss(X)
    assert scores.shape == (8, 3) and scores.dtype == np.float64
    same = FullyConnectedNet([10], input_dim=8, num_classes=3, seed=1)
    np.testing.assert_array_equal(same.params["W1"], model.params["W1"])
    single = FullyConnectedNet([10], input_dim=8, num_classes=3, dtype=np.float32, seed=1)
    assert single.loss(X).dtype == np.float32
    assert all(value.dtype == np.float32 for value in single.params.values())


def test_flat_loss_and_grad(rng):
    X = rng.standard_normal((6, 4))
    y = rng.integers(3, size=6)
    model = FullyConnectedNet([5], input_dim=4, num_classes=3, weight_scale=0.5, reg=0.1, seed=0)
    fun, w0 = flat_loss_and_grad(model, X, y)
    assert w0.shape == (4 * 5 + 5 + 5 * 3 + 3,) and w0.dtype == np.float64
    loss, grad = fun(w0)
    assert loss == pytest.approx(model.loss(X, y)[0])
    assert rel_error(grad, eval_numerical_gradient(lambda w: fun(w)[0], w0.copy())) < 1e-6

    shifted = w0 + 0.1
    set_flat_params(model, shifted)
    np.testing.assert_array_equal(flatten_params(model), shifted)
    with pytest.raises(ValueError):
        set_flat_params(model, w0[:-1])


def test_flat_loss_and_grad_minibatches_are_seeded(rng):
    X = rng.standard_normal((40, 4))
    y = rng.integers(3, size=40)
    model = FullyConnectedNet([5], input_dim=4, num_classes=3, seed=0)
    fun_a, w0 = flat_loss_and_grad(model, X, y, batch_size=8, rng=3)
    fun_b, _ = flat_loss_and_grad(model, X, y, batch_size=8, rng=3)
    losses_a = [fun_a(w0)[0] for _ in range(3)]
    assert losses_a == [fun_b(w0)[0] for _ in range(3)]
    assert len(set(losses_a)) > 1  # a fresh minibatch per call
