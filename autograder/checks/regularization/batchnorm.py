"""Hidden checks of 02 Regularization: batch normalization (forward in both modes, both backward passes)."""
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
from autograder.checks.regularization._shared import RTOL, forward_for_backward
from autograder.reference import regularization as reference


def _batch(rng, num_examples, num_features):
    """Features with different means and scales, so that normalizing matters."""
    means = rng.uniform(-5.0, 5.0, size=num_features)
    scales = rng.uniform(0.5, 3.0, size=num_features)
    x = means + scales * rng.normal(size=(num_examples, num_features))
    gamma = rng.uniform(0.5, 2.0, size=num_features) * rng.choice([-1.0, 1.0], size=num_features)
    return x, gamma, rng.normal(size=num_features)


def _batchnorm_variants(x, gamma, beta, eps):
    """Outputs of typical wrong training-mode formulas, keyed by what went wrong."""
    mean = x.mean(axis=0)
    return {
        "divide by N, not N - 1: the batch variance is the biased one, np.var(x, axis=0)":
            gamma * (x - mean) / np.sqrt(x.var(axis=0, ddof=1) + eps) + beta,
        "epsilon goes inside the square root: (x - mean) / sqrt(var + eps)":
            gamma * (x - mean) / (x.std(axis=0) + eps) + beta,
        "normalize each feature (column) over the batch: statistics over axis 0, not axis 1":
            gamma * (x - x.mean(axis=1, keepdims=True)) / np.sqrt(x.var(axis=1, keepdims=True) + eps) + beta,
        "out = gamma * x_hat + beta (gamma scales, beta shifts)":
            beta * (x - mean) / np.sqrt(x.var(axis=0) + eps) + gamma,
    }


def _running_variants(running_mean, running_var, x, momentum):
    mean, var = x.mean(axis=0), x.var(axis=0)
    return {
        "running = momentum * running + (1 - momentum) * batch statistic (momentum weights the OLD value)":
            ((1 - momentum) * running_mean + momentum * mean, (1 - momentum) * running_var + momentum * var),
        "running_var is updated with the biased batch variance (the one used to normalize), as the docstring "
        "says, not with the unbiased one":
            (momentum * running_mean + (1 - momentum) * mean,
             momentum * running_var + (1 - momentum) * x.var(axis=0, ddof=1)),
        "running_var tracks the variance, not the standard deviation":
            (momentum * running_mean + (1 - momentum) * mean, momentum * running_var + (1 - momentum) * x.std(axis=0)),
    }


def _diagnose_batchnorm_train(name, out, x, gamma, beta, eps, where):
    for hint, variant in _batchnorm_variants(x, gamma, beta, eps).items():
        if close(out, variant, RTOL[np.float64]):
            fail(name, f"{where}: {hint}")
    fail(name, f"{where}: the output differs from gamma * (x - mean) / sqrt(var + eps) + beta with the batch "
               f"mean and (biased) variance of each feature (eps={eps:.3g})")


def _batchnorm_call(name, forward, x, gamma, beta, bn_param):
    x_before, gamma_before, beta_before = snapshot(x, gamma, beta)
    out, cache = unpack(name, call(name, forward, x, gamma, beta, bn_param), 2, "(out, cache)")
    assert_unchanged(name, [("x", x_before, x), ("gamma", gamma_before, gamma), ("beta", beta_before, beta)])
    assert_array(name, out, x.shape, "out")
    return out, cache


def _running_stat(name, bn_param, key, num_features):
    if key not in bn_param:
        fail(name, f'bn_param has no "{key}" after a training step: store the updated running statistics in '
                   "bn_param")
    value = np.asarray(bn_param[key], dtype=np.float64)
    if value.shape != (num_features,):
        fail(name, f'bn_param["{key}"] should have shape ({num_features},), got {value.shape}')
    return value


def _check_running_statistics(name, bn_param, expected_param, before_mean, before_var, x, momentum, where):
    """Compare the running statistics a training step left in bn_param with the reference's."""
    num_features = x.shape[1]
    running_mean = _running_stat(name, bn_param, "running_mean", num_features)
    running_var = _running_stat(name, bn_param, "running_var", num_features)
    if (close(running_mean, expected_param["running_mean"], RTOL[np.float64])
            and close(running_var, expected_param["running_var"], RTOL[np.float64])):
        return
    if np.array_equal(running_mean, before_mean) and np.array_equal(running_var, before_var):
        fail(name, f"{where} did not update the running statistics in bn_param")
    for hint, (variant_mean, variant_var) in _running_variants(before_mean, before_var, x, momentum).items():
        if close(running_mean, variant_mean, RTOL[np.float64]) and close(running_var, variant_var, RTOL[np.float64]):
            fail(name, f"{where}: {hint}")
    fail(name, f"after {where} the running statistics differ from momentum * running + (1 - momentum) * batch "
               "statistic")


def check_batchnorm_forward(batchnorm_forward, seed=None):
    """Check ``batchnorm_forward(x, gamma, beta, bn_param) -> (out, cache)`` in train and test mode."""
    name = "batchnorm_forward"
    rng, seed = fresh_rng(seed)

    # Defaults: eps 1e-5, momentum 0.9, running statistics starting at zero.
    num_features = int(rng.integers(3, 9))
    x, gamma, beta = _batch(rng, int(rng.integers(20, 60)), num_features)
    bn_param = {"mode": "train"}
    out, _ = _batchnorm_call(name, batchnorm_forward, x, gamma, beta, bn_param)
    expected_param = {"mode": "train"}
    expected, _ = reference.batchnorm_forward(x, gamma, beta, expected_param)
    if not close(out, expected, RTOL[np.float64]):
        _diagnose_batchnorm_train(name, out, x, gamma, beta, 1e-5, "training mode with the default eps=1e-5")
    zeros = np.zeros(num_features)
    _check_running_statistics(name, bn_param, expected_param, zeros, zeros, x, 0.9,
                              "the first training step (from zero, default momentum=0.9)")

    # Several steps with a given momentum and a large eps, on small and large batches.
    momentum, eps = float(rng.uniform(0.5, 0.95)), float(rng.uniform(0.05, 0.5))
    num_features = int(rng.integers(3, 9))
    bn_param = {"mode": "train", "momentum": momentum, "eps": eps}
    expected_param = dict(bn_param)
    for step, num_examples in enumerate([4, 5, 40, 7], start=1):
        x, gamma, beta = _batch(rng, num_examples, num_features)
        before_mean = np.array(bn_param.get("running_mean", np.zeros(num_features)), dtype=np.float64)
        before_var = np.array(bn_param.get("running_var", np.zeros(num_features)), dtype=np.float64)
        out, _ = _batchnorm_call(name, batchnorm_forward, x, gamma, beta, bn_param)
        expected, _ = reference.batchnorm_forward(x, gamma, beta, expected_param)
        if not close(out, expected, RTOL[np.float64]):
            _diagnose_batchnorm_train(name, out, x, gamma, beta, eps,
                                      f"training step {step} (batch of {num_examples}, eps={eps:.3g})")
        _check_running_statistics(name, bn_param, expected_param, before_mean, before_var, x, momentum,
                                  f"training step {step} (momentum={momentum:.3g})")
        bn_param["running_mean"], bn_param["running_var"] = (np.array(expected_param["running_mean"]),
                                                             np.array(expected_param["running_var"]))

    # Test mode: normalize with the running statistics, leave them unchanged, same output every time.
    x, gamma, beta = _batch(rng, int(rng.integers(5, 30)), num_features)
    running_mean = rng.normal(size=num_features)
    running_var = rng.uniform(0.5, 4.0, size=num_features)
    bn_param = {"mode": "test", "eps": eps, "momentum": momentum,
                "running_mean": running_mean.copy(), "running_var": running_var.copy()}
    out, _ = _batchnorm_call(name, batchnorm_forward, x, gamma, beta, bn_param)
    again, _ = _batchnorm_call(name, batchnorm_forward, x, gamma, beta, bn_param)
    if not (np.array_equal(np.asarray(bn_param["running_mean"]), running_mean)
            and np.array_equal(np.asarray(bn_param["running_var"]), running_var)):
        fail(name, "test mode must not change the running statistics (they are only updated in training mode)")
    expected = gamma * (x - running_mean) / np.sqrt(running_var + eps) + beta
    if not (close(out, expected, RTOL[np.float64]) and np.array_equal(out, again)):
        batch_stats = gamma * (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + eps) + beta
        if close(out, batch_stats, RTOL[np.float64]):
            fail(name, "test mode must normalize with bn_param's running_mean and running_var, not with the "
                       "statistics of the test batch")
        if close(out, gamma * (x - running_mean) / np.sqrt(running_var) + beta, RTOL[np.float64]):
            fail(name, "test mode also adds eps to the running variance: sqrt(running_var + eps)")
        fail(name, "in test mode the output should be gamma * (x - running_mean) / sqrt(running_var + eps) + beta")
    passed(name, 6, seed)


def _check_batchnorm_backward(name, backward, forward, seed):
    forward_name = "batchnorm_forward"
    rng, seed = fresh_rng(seed)
    for num_examples, num_features in [(4, 3), (int(rng.integers(10, 40)), int(rng.integers(3, 8))), (3, 5)]:
        x, gamma, beta = _batch(rng, num_examples, num_features)
        eps = float(rng.choice([1e-5, 0.1]))
        out, cache = forward_for_backward(name, forward_name, forward, x, gamma, beta,
                                          {"mode": "train", "eps": eps})
        expected_out, ref_cache = reference.batchnorm_forward(x, gamma, beta, {"mode": "train", "eps": eps})
        if not close(out, expected_out, RTOL[np.float64]):
            fail(name, f"the backward pass is checked through the cache of your {forward_name}, whose training-mode "
                       f"output is wrong: fix {forward_name} first")
        other_x, _, _ = _batch(rng, num_examples, num_features)
        forward_for_backward(name, forward_name, forward, other_x, gamma, beta, {"mode": "train", "eps": eps})
        dout = rng.normal(size=x.shape)
        dout_before = dout.copy()
        grads = unpack(name, call(name, backward, dout, cache), 3, "(dx, dgamma, dbeta)")
        assert_unchanged(name, [("dout", dout_before, dout)])
        for grad, like, label in zip(grads, (x, gamma, beta), ("dx", "dgamma", "dbeta")):
            assert_array(name, grad, like.shape, label)
        dx, dgamma, dbeta = grads
        expected_dx, expected_dgamma, expected_dbeta = reference.batchnorm_backward(dout, ref_cache)
        if not close(dbeta, expected_dbeta, RTOL[np.float64]):
            fail(name, "dbeta should be dout summed over the batch (axis 0)")
        if not close(dgamma, expected_dgamma, RTOL[np.float64]):
            fail(name, "dgamma should be sum over the batch of dout * x_hat, with x_hat the normalized input")
        if not close(dx, expected_dx, RTOL[np.float32]):
            inv_std = ref_cache[2]
            if close(dx, dout * gamma * inv_std, RTOL[np.float32]):
                fail(name, "dx treats the batch mean and variance as constants; they depend on x too, which adds "
                           "two terms to dx")
            fail(name, f"dx differs from the gradient of batch normalization (batch of {num_examples}, "
                       f"eps={eps:.3g}); check it numerically against batchnorm_forward")
        if not close(dx, expected_dx, RTOL[np.float64]):
            fail(name, f"dx is close to but not within {RTOL[np.float64]:g} of the exact gradient: is eps used in "
                       "exactly the same place as in batchnorm_forward?")
    passed(name, 3, seed)


def check_batchnorm_backward(batchnorm_backward, batchnorm_forward, seed=None):
    """Check ``batchnorm_backward(dout, cache) -> (dx, dgamma, dbeta)`` with caches of the student's forward."""
    _check_batchnorm_backward("batchnorm_backward", batchnorm_backward, batchnorm_forward, seed)


def check_batchnorm_backward_alt(batchnorm_backward_alt, batchnorm_forward, seed=None):
    """Check ``batchnorm_backward_alt(dout, cache) -> (dx, dgamma, dbeta)`` like batchnorm_backward."""
    _check_batchnorm_backward("batchnorm_backward_alt", batchnorm_backward_alt, batchnorm_forward, seed)
