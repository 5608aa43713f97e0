"""Hidden checks of 00 Foundations: activations (sigmoid, tanh, leaky ReLU, ELU, PReLU, maxout).

Each activation is checked as a forward/backward pair: the backward pass gets the cache of the
student's own forward pass, so any cache layout passes (the output for sigmoid, x and alpha for
leaky ReLU, ...). Inputs reach |x| = 800, where a formula that overflows exp() gives NaN.
"""
import numpy as np

from autograder.checks._common import (
    assert_array,
    assert_unchanged,
    call,
    close,
    fail,
    fresh_rng,
    passed,
    snapshot,
    unpack,
)
from autograder.checks.foundations._shared import RTOL, quiet_call
from autograder.reference import foundations as reference

EXTREME_X = np.array([-800.0, -60.0, -1.5, -1e-4, 1e-4, 1.5, 60.0, 800.0])


ACTIVATIONS = {
    "sigmoid": dict(formula="1 / (1 + exp(-x))", derivative="s * (1 - s) with s = sigmoid(x)",
                    alphas=None),
    "tanh": dict(formula="tanh(x)", derivative="1 - tanh(x)**2", alphas=None),
    "leaky_relu": dict(formula="x where x > 0, alpha * x elsewhere", derivative="1 where x > 0, alpha elsewhere",
                       alphas=(0.01, (0.05, 0.3))),
    "elu": dict(formula="x where x > 0, alpha * (exp(x) - 1) elsewhere",
                derivative="1 where x > 0, alpha * exp(x) elsewhere", alphas=(1.0, (0.2, 0.6))),
}


def _activation_inputs(rng):
    """Inputs of several shapes with no exact zeros, some far out in the tails."""
    cases = []
    for shape in [(40, 30), (17,), (4, 5, 6)]:
        x = rng.normal(scale=3.0, size=shape)
        x[np.abs(x) < 1e-6] = 0.5
        cases.append(x)
    return cases


def _activation_forward(name, forward, x, kwargs):
    x_before = x.copy()
    out, cache = unpack(name, quiet_call(name, forward, x, **kwargs), 2, "(out, cache) from the forward pass")
    assert_unchanged(name, [("x", x_before, x)])
    return out, cache


def _check_activation(name, forward, backward, seed):
    rng, seed = fresh_rng(seed)
    spec = ACTIVATIONS[name]
    ref_forward, ref_backward = getattr(reference, f"{name}_forward"), getattr(reference, f"{name}_backward")
    settings = [({}, "")]
    if spec["alphas"]:
        default, (low, high) = spec["alphas"]
        alpha = float(rng.uniform(low, high))
        settings = [({}, f"the default alpha={default}"), ({"alpha": alpha}, f"alpha={alpha:.4g}")]
    count = 0
    for kwargs, text in settings:
        for x in _activation_inputs(rng):
            where = f"x of shape {x.shape}" + (f" and {text}" if spec["alphas"] else "")
            out, cache = _activation_forward(name, forward, x, kwargs)
            assert_array(name, out, x.shape, "out")
            expected, ref_cache = ref_forward(x, **kwargs)
            if not close(out, expected, RTOL):
                if kwargs and close(out, ref_forward(x)[0], RTOL):
                    fail(name, f"the forward pass ignores its alpha argument ({where})")
                fail(name, f"out differs from {spec['formula']} ({where})")
            # Another forward pass before the backward one: the backward pass must use its own cache.
            other = rng.normal(scale=3.0, size=x.shape)
            _, other_cache = _activation_forward(name, forward, other, kwargs)
            dout = rng.normal(size=x.shape)
            dout_before = dout.copy()
            dx = quiet_call(name, backward, dout, cache)
            assert_unchanged(name, [("dout", dout_before, dout)])
            assert_array(name, dx, x.shape, "dx")
            expected_dx = ref_backward(dout, ref_cache)
            if not close(dx, expected_dx, RTOL):
                if close(dx, ref_backward(np.ones_like(dout), ref_cache), RTOL):
                    fail(name, f"dx is the local derivative alone: multiply it by dout (chain rule) ({where})")
                if close(dx, ref_backward(dout, ref_forward(other, **kwargs)[1]), RTOL):
                    fail(name, "the backward pass used the values of the latest forward pass instead of the cache "
                               "it was given: keep everything it needs in the cache (no global variables)")
                if kwargs and close(dx, ref_backward(dout, ref_forward(x)[1]), RTOL):
                    fail(name, f"the backward pass ignores alpha ({where}): store alpha in the cache")
                fail(name, f"dx differs from dout * ({spec['derivative']}) ({where})")
            count += 1
    out, cache = _activation_forward(name, forward, EXTREME_X, {})
    expected, ref_cache = ref_forward(EXTREME_X)
    if not close(out, expected, RTOL):
        if not np.all(np.isfinite(np.asarray(out, dtype=np.float64))):
            fail(name, "out has NaN or inf for inputs as large as |x| = 800: exp() overflowed; rewrite the "
                       "formula so that exp() only sees values <= 0 (or use np.tanh)")
        fail(name, f"out differs from {spec['formula']} for inputs as large as |x| = 800")
    dout = rng.normal(size=EXTREME_X.shape)
    if not close(quiet_call(name, backward, dout, cache), ref_backward(dout, ref_cache), RTOL):
        fail(name, "dx has NaN or is wrong for inputs as large as |x| = 800: exp() overflowed?")
    passed(name, count + 1, seed)


def check_sigmoid(sigmoid_forward, sigmoid_backward, seed=None):
    """Check ``sigmoid_forward(x) -> (out, cache)`` and ``sigmoid_backward(dout, cache) -> dx``."""
    _check_activation("sigmoid", sigmoid_forward, sigmoid_backward, seed)


def check_tanh(tanh_forward, tanh_backward, seed=None):
    """Check ``tanh_forward(x) -> (out, cache)`` and ``tanh_backward(dout, cache) -> dx``."""
    _check_activation("tanh", tanh_forward, tanh_backward, seed)


def check_leaky_relu(leaky_relu_forward, leaky_relu_backward, seed=None):
    """Check ``leaky_relu_forward(x, alpha=0.01) -> (out, cache)`` and ``leaky_relu_backward(dout, cache)``."""
    _check_activation("leaky_relu", leaky_relu_forward, leaky_relu_backward, seed)


def check_elu(elu_forward, elu_backward, seed=None):
    """Check ``elu_forward(x, alpha=1.0) -> (out, cache)`` and ``elu_backward(dout, cache) -> dx``."""
    _check_activation("elu", elu_forward, elu_backward, seed)


def check_prelu(prelu_forward, prelu_backward, seed=None):
    """Check ``prelu_forward(x, alpha) -> (out, cache)`` and ``prelu_backward(dout, cache) -> (dx, dalpha)``."""
    name = "prelu"
    rng, seed = fresh_rng(seed)
    for num_examples, num_features in [(30, 6), (1, 4), (50, 11)]:
        x = rng.normal(scale=2.0, size=(num_examples, num_features))
        alpha = rng.uniform(0.05, 0.6, size=num_features)
        x_before, alpha_before = snapshot(x, alpha)
        out, cache = unpack(name, call(name, prelu_forward, x, alpha), 2, "(out, cache) from prelu_forward")
        assert_unchanged(name, [("x", x_before, x), ("alpha", alpha_before, alpha)])
        assert_array(name, out, x.shape, "out")
        expected, ref_cache = reference.prelu_forward(x, alpha)
        if not close(out, expected, RTOL):
            if close(out, reference.prelu_forward(x, np.full_like(alpha, alpha.mean()))[0], RTOL):
                fail(name, "every feature used the same slope: alpha has one slope per feature (column of x)")
            fail(name, f"out differs from x where x > 0, alpha * x elsewhere, with alpha[j] the slope of feature j "
                       f"(x of shape {x.shape})")
        call(name, prelu_forward, rng.normal(size=x.shape), rng.uniform(0.05, 0.6, size=num_features))
        dout = rng.normal(size=x.shape)
        dout_before = dout.copy()
        dx, dalpha = unpack(name, call(name, prelu_backward, dout, cache), 2, "(dx, dalpha)")
        assert_unchanged(name, [("dout", dout_before, dout)])
        assert_array(name, dx, x.shape, "dx")
        assert_array(name, dalpha, alpha.shape, "dalpha (one gradient per slope, summed over the examples)")
        expected_dx, expected_dalpha = reference.prelu_backward(dout, ref_cache)
        if not close(dx, expected_dx, RTOL):
            fail(name, "dx differs from dout where x > 0 and alpha * dout elsewhere")
        if not close(dalpha, expected_dalpha, RTOL):
            if close(dalpha, np.sum(dout * x, axis=0), RTOL):
                fail(name, "dalpha took every example: the slope only acts where x <= 0, so sum dout * x over "
                           "those entries only")
            if close(dalpha, np.sum(dout * expected * (x <= 0), axis=0), RTOL):
                fail(name, "dalpha used the output alpha * x instead of x: d(alpha * x)/d(alpha) = x")
            fail(name, "dalpha differs from the sum over the examples of dout * x where x <= 0")
    passed(name, 3, seed)


def check_maxout(maxout_forward, maxout_backward, seed=None):
    """Check ``maxout_forward(x, w1, b1, w2, b2) -> (out, cache)`` and ``maxout_backward(dout, cache)``."""
    name = "maxout"
    rng, seed = fresh_rng(seed)
    for num_examples, num_inputs, num_outputs in [(25, 7, 6), (1, 3, 4), (40, 5, 9)]:
        x = rng.normal(size=(num_examples, num_inputs))
        params = [rng.normal(size=(num_inputs, num_outputs)), rng.normal(size=num_outputs),
                  rng.normal(size=(num_inputs, num_outputs)), rng.normal(size=num_outputs)]
        before = snapshot(x, *params)
        out, cache = unpack(name, call(name, maxout_forward, x, *params), 2, "(out, cache) from maxout_forward")
        assert_unchanged(name, zip(["x", "w1", "b1", "w2", "b2"], before, [x, *params]))
        assert_array(name, out, (num_examples, num_outputs), "out")
        expected, ref_cache = reference.maxout_forward(x, *params)
        if not close(out, expected, RTOL):
            fail(name, "out differs from np.maximum(x @ w1 + b1, x @ w2 + b2), the larger of the two affine "
                       "pieces for each unit")
        call(name, maxout_forward, rng.normal(size=x.shape), *params)
        dout = rng.normal(size=out.shape)
        dout_before = dout.copy()
        grads = unpack(name, call(name, maxout_backward, dout, cache), 5, "(dx, dw1, db1, dw2, db2)")
        assert_unchanged(name, [("dout", dout_before, dout)])
        labels = ["dx", "dw1", "db1", "dw2", "db2"]
        for grad, like, label in zip(grads, [x, *params], labels):
            assert_array(name, grad, like.shape, label)
        expected_grads = reference.maxout_backward(dout, ref_cache)
        for grad, expected_grad, label in zip(grads, expected_grads, labels):
            if not close(grad, expected_grad, RTOL):
                if label == "dw1" and close(grad, x.T @ dout, RTOL):
                    fail(name, "dw1 got the gradient of every unit: only the piece that won the max gets it, "
                               "the other piece's gradient is 0 there")
                fail(name, f"{label} differs from the gradient of the max: dout flows only into the piece that "
                           "was larger in the forward pass")
    passed(name, 3, seed)
