"""Numerical gradients and the relative error that the notebooks' gradient checks print."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cs_utils.gradient_check import eval_numerical_gradient, eval_numerical_gradient_array, grad_check_sparse, rel_error

finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)


@given(finite, finite)
def test_rel_error_is_symmetric_and_at_most_one(x, y):
    error = rel_error(x, y)
    assert error == rel_error(y, x)
    assert 0.0 <= error <= 1.0
    assert (error == 0.0) == (x == y)


@given(st.floats(min_value=1e-6, max_value=1e6), st.floats(min_value=-0.5, max_value=0.5))
def test_rel_error_of_a_relative_change(x, change):
    assert rel_error(x, x * (1 + change)) == pytest.approx(abs(change) / (2 + change), rel=1e-6, abs=1e-12)


def test_rel_error_known_values():
    assert rel_error(np.array([1.0, 3.0]), np.array([1.0, 1.0])) == pytest.approx(0.5)
    assert rel_error(0.0, 0.0) == 0.0
    assert rel_error(1e-9, 0.0) == pytest.approx(0.1)  # below 1e-8 the denominator is 1e-8
    assert rel_error(1e-9, -1e-9) == pytest.approx(0.2)
    assert rel_error(np.float32(2.0), 1) == pytest.approx(1 / 3)
    assert type(rel_error(np.ones(2), np.ones(2))) is float


def cubic(x):
    return float(np.sum(x ** 3 + 2 * x))


def test_eval_numerical_gradient_of_a_cubic(capsys):
    x = np.random.default_rng(0).standard_normal((3, 2))
    before = x.copy()
    grad = eval_numerical_gradient(cubic, x)
    np.testing.assert_allclose(grad, 3 * before ** 2 + 2, rtol=1e-8)
    np.testing.assert_array_equal(x, before)
    assert grad.dtype == np.float64 and grad.shape == x.shape
    assert capsys.readouterr().out == ""
    coarse = eval_numerical_gradient(cubic, x, verbose=True, h=0.1)
    np.testing.assert_allclose(coarse, 3 * before ** 2 + 2 + 0.01, rtol=1e-8)  # centred error of x**3: h**2
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"(0, 0) {coarse[0, 0]}" and len(lines) == 6 and lines[-1].startswith("(2, 1) ")


def test_eval_numerical_gradient_of_a_falling_function():
    x = np.linspace(2.0, 4.0, 5)  # sin falls here: f(x + h) < f(x - h), both positive
    np.testing.assert_allclose(eval_numerical_gradient(lambda v: float(np.sum(np.sin(v))) + 10, x), np.cos(x),
                               rtol=1e-7)
    np.testing.assert_allclose(eval_numerical_gradient_array(lambda v: np.sin(v) + 10, x, np.ones(5)), np.cos(x),
                               rtol=1e-7)


def test_eval_numerical_gradient_array_of_a_product():
    rng = np.random.default_rng(1)
    x, c, df = rng.standard_normal((2, 3)), rng.standard_normal((2, 3)), rng.standard_normal((2, 3))
    before = x.copy()
    grad = eval_numerical_gradient_array(lambda v: c * v ** 3, x, df)  # exact for no h but a small one
    np.testing.assert_allclose(grad, 3 * c * before ** 2 * df, rtol=1e-7)
    np.testing.assert_array_equal(x, before)
    cubed = eval_numerical_gradient_array(lambda v: v ** 3, x, df, h=0.1)
    np.testing.assert_allclose(cubed, (3 * before ** 2 + 0.01) * df, rtol=1e-8)
    # f returns x itself: its values must be copied before x changes again
    np.testing.assert_allclose(eval_numerical_gradient_array(lambda v: v, x, df), df, rtol=1e-8)
    summed = eval_numerical_gradient_array(lambda v: np.array([v.sum(), (v * v).sum()]), x, np.array([1.0, 0.5]))
    np.testing.assert_allclose(summed, 1 + before, rtol=1e-7)


def test_grad_check_sparse():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((4, 5))
    before = x.copy()
    calls = []

    def counted(v):
        calls.append(1)
        return cubic(v)

    exact = 3 * x ** 2 + 2
    assert grad_check_sparse(counted, x, exact, rng=0) < 1e-8
    assert len(calls) == 20
    np.testing.assert_array_equal(x, before)
    assert grad_check_sparse(cubic, x, exact * 1.5, num_checks=3, rng=0) == pytest.approx(0.2, rel=1e-6)
    assert grad_check_sparse(cubic, x, exact, num_checks=0) == 0.0
    coarse = grad_check_sparse(cubic, x, exact, num_checks=1, h=0.5, rng=np.random.default_rng(0))
    picker = np.random.default_rng(0)
    index = tuple(int(picker.integers(n)) for n in x.shape)
    assert coarse == pytest.approx(rel_error(exact[index] + 0.25, exact[index]), rel=1e-6)


def test_grad_check_sparse_looks_at_the_entries_its_rng_picks():
    x = np.zeros((6, 7))
    wrong = np.zeros_like(x)
    wrong[5, 6] = 1.0  # one wrong entry, found only when the corner is picked
    errors = [grad_check_sparse(lambda v: float(np.sum(v)), x, np.ones_like(x) - wrong, num_checks=5, rng=seed)
              for seed in range(30)]
    assert set(errors) == {0.0, 1.0}
    assert errors == [grad_check_sparse(lambda v: float(np.sum(v)), x, np.ones_like(x) - wrong, num_checks=5,
                                        rng=seed) for seed in range(30)]
