import warnings

import numpy as np
import pytest

from cs_utils.gradient_check import eval_numerical_gradient, rel_error
from cs_utils.toy_losses import ToyLoss, noisy, run_optimizer, saddle, taco_shell

LOSSES = [taco_shell(), taco_shell(condition=100.0), saddle()]


def sgd(w, dw, config=None):
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-2)
    return w - config["learning_rate"] * dw, config


@pytest.mark.parametrize("loss", LOSSES, ids=lambda loss: loss.name)
def test_gradient_and_hessian_match_numerical(loss):
    rng = np.random.default_rng(0)
    x_min, x_max, y_min, y_max = loss.extent
    for _ in range(5):
        p = rng.uniform([x_min, y_min], [x_max, y_max])
        assert rel_error(loss.grad(p), eval_numerical_gradient(loss.value, p.copy())) < 1e-7
        hessian_rows = [eval_numerical_gradient(lambda q: loss.grad(q)[i], p.copy()) for i in range(2)]
        assert rel_error(loss.hessian(p), np.array(hessian_rows)) < 1e-6


@pytest.mark.parametrize("loss", LOSSES, ids=lambda loss: loss.name)
def test_attributes_and_grid(loss):
    assert loss.start.shape == (2,) and loss.grad(loss.start).dtype == np.float64
    assert len(loss.extent) == 4 and isinstance(loss.name, str)
    np.testing.assert_allclose(loss.grad(loss.minimum), 0.0, atol=1e-12)
    assert np.all(np.linalg.eigvalsh(loss.hessian(loss.minimum)) > 0)
    X, Y = np.meshgrid(np.linspace(-1, 1, 4), np.linspace(-2, 2, 3))
    grid = loss.value_grid(X, Y)
    assert grid.shape == (3, 4)
    assert grid[1, 2] == pytest.approx(loss.value(np.array([X[1, 2], Y[1, 2]])))


def test_taco_condition_and_saddle_shape():
    eigenvalues = np.linalg.eigvalsh(taco_shell(condition=25.0).hessian(np.zeros(2)))
    assert eigenvalues.max() / eigenvalues.min() == pytest.approx(25.0)
    hessian_at_origin = saddle().hessian(np.zeros(2))
    np.testing.assert_allclose(saddle().grad(np.zeros(2)), 0.0)
    assert np.linalg.eigvalsh(hessian_at_origin).min() < 0 < np.linalg.eigvalsh(hessian_at_origin).max()


def test_toy_loss_without_hessian():
    loss = ToyLoss("bowl", lambda x, y: x ** 2 + y ** 2, lambda x, y: (2 * x, 2 * y))
    with pytest.raises(NotImplementedError):
        loss.hessian(np.zeros(2))


def test_run_optimizer_path():
    loss = taco_shell()
    config = {"learning_rate": 0.05}
    path = run_optimizer(sgd, loss, num_steps=200, config=config)
    assert path.shape == (201, 2) and path.dtype == np.float64
    np.testing.assert_array_equal(path[0], loss.start)
    assert config == {"learning_rate": 0.05}
    assert loss.value(path[-1]) < 1e-2 * loss.value(path[0])
    custom = run_optimizer(sgd, loss, start=(1.0, 1.0), num_steps=3)
    np.testing.assert_array_equal(custom[0], [1.0, 1.0])
    np.testing.assert_allclose(custom[1], [1.0, 1.0] - 1e-2 * loss.grad(np.array([1.0, 1.0])))


def test_run_optimizer_divergence_gives_nan_rows_quietly():
    loss = taco_shell()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        path = run_optimizer(sgd, loss, num_steps=500, config={"learning_rate": 1.0})
    assert path.shape == (501, 2)
    assert np.all(np.isfinite(path[:10])) and np.all(np.isnan(path[-1]))


def test_noisy_loss_is_seeded_and_unbiased():
    base = taco_shell()
    first = run_optimizer(sgd, noisy(base, 1.0, np.random.default_rng(0)), num_steps=50)
    again = run_optimizer(sgd, noisy(base, 1.0, np.random.default_rng(0)), num_steps=50)
    other = run_optimizer(sgd, noisy(base, 1.0, np.random.default_rng(1)), num_steps=50)
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)

    noisy_loss = noisy(base, 0.5, 0)
    p = np.array([1.0, -0.5])
    assert noisy_loss.value(p) == base.value(p)
    np.testing.assert_array_equal(noisy_loss.hessian(p), base.hessian(p))
    samples = np.array([noisy_loss.grad(p) for _ in range(4000)])
    np.testing.assert_allclose(samples.mean(axis=0), base.grad(p), atol=0.05)
    np.testing.assert_allclose(samples.std(axis=0), 0.5, rtol=0.1)
    assert "noisy" in noisy_loss.name


def test_rotated_taco_shell_is_the_same_valley_turned():
    aligned, rotated = taco_shell(condition=100.0), taco_shell(condition=100.0, angle=45.0)
    assert np.allclose(np.linalg.eigvalsh(rotated.hessian(np.zeros(2))), [1.0, 100.0])
    assert not np.allclose(rotated.hessian(np.zeros(2)), np.diag([1.0, 100.0]))
    assert rotated.value(rotated.start) == pytest.approx(aligned.value(aligned.start))
    # Plain gradient descent does not see the axes: the same distances step by step.
    step = lambda w, dw, config: (w - 0.01 * dw, config)  # noqa: E731
    distances = [np.linalg.norm(run_optimizer(step, loss, num_steps=30), axis=1) for loss in (aligned, rotated)]
    assert np.allclose(*distances)
