"""Hidden checks of 02 Regularization: stochastic depth, forward and backward."""
import math

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
from autograder.checks.regularization._shared import (
    RTOL,
    assert_param_kept,
    assert_keep_rate,
    draw_seed,
    forward_for_backward,
    keep_probability,
    nonzero_inputs,
)


def _residual_inputs(rng, num_examples, num_features):
    """x, w, b with a branch relu(x @ w + b) that is nonzero in every row (b is positive)."""
    x = nonzero_inputs(rng, (num_examples, num_features))
    w = rng.normal(size=(num_features, num_features)) * 0.3 / math.sqrt(num_features)
    return x, w, rng.uniform(0.5, 1.0, size=num_features)


def _branch(x, w, b):
    return np.maximum(0, x @ w + b)


def _stochastic_depth_call(name, forward, x, w, b, sd_param):
    x_before, w_before, b_before, param_before = snapshot(x, w, b, sd_param)
    out, cache = unpack(name, call(name, forward, x, w, b, sd_param), 2, "(out, cache)")
    assert_unchanged(name, [("x", x_before, x), ("w", w_before, w), ("b", b_before, b)])
    assert_param_kept(name, "sd_param", param_before, sd_param, ("survival", "mode", "seed"))
    assert_array(name, out, x.shape, "out")
    return out, cache


def _gates(name, x, w, b, out, survival, where):
    """Per-example gate (1 kept, 0 dropped) read off a training-mode output; fail if it is neither."""
    branch = _branch(x, w, b)
    added = out - x
    kept = np.linalg.norm(added - branch, axis=1) < np.linalg.norm(added, axis=1)
    expected = x + kept[:, None] * branch
    if not close(out, expected, RTOL[np.float64]):
        rows_kept = np.linalg.norm(added, axis=1) > 1e-9 * np.linalg.norm(branch, axis=1)
        if close(out[rows_kept], (x + branch / survival)[rows_kept], RTOL[np.float64]):
            fail(name, f"{where}: the kept branch was divided by survival; stochastic depth leaves it unscaled "
                       "during training and scales it at test time")
        if np.any(np.all(out == 0, axis=1)):
            fail(name, f"{where}: some outputs are all zero: a dropped block still passes x through the identity "
                       "(skip) connection, out = x")
        fail(name, f"{where}: each example's output should be either x + relu(x @ w + b) (branch kept) or x "
                   "(branch dropped); the whole branch of an example is kept or dropped, not single units")
    return kept


def check_stochastic_depth_forward(stochastic_depth_forward, seed=None):
    """Check ``stochastic_depth_forward(x, w, b, sd_param) -> (out, cache)``."""
    name = "stochastic_depth_forward"
    rng, seed = fresh_rng(seed)
    survival = keep_probability(rng)
    x, w, b = _residual_inputs(rng, 4000, 6)
    out, _ = _stochastic_depth_call(name, stochastic_depth_forward, x, w, b, {"survival": survival, "mode": "train"})
    kept = _gates(name, x, w, b, out, survival, "training mode")
    if np.all(kept == kept[0]):
        fail(name, "every example of the batch made the same choice: draw one random number per example, so "
                   "that each example keeps or drops the branch on its own")
    assert_keep_rate(name, kept, survival, "survival", "of the examples kept the branch", "the branch")

    x, w, b = _residual_inputs(rng, 200, 5)
    seed_value = draw_seed(rng)
    param = {"survival": survival, "mode": "train", "seed": seed_value}
    first, _ = _stochastic_depth_call(name, stochastic_depth_forward, x, w, b, param)
    again, _ = _stochastic_depth_call(name, stochastic_depth_forward, x, w, b, dict(param))
    if not np.array_equal(first, again):
        fail(name, "two calls with the same sd_param['seed'] gave different outputs: draw the gates with "
                   "np.random.default_rng(sd_param.get('seed'))")
    unseeded = {"survival": survival, "mode": "train"}
    fresh_a, _ = _stochastic_depth_call(name, stochastic_depth_forward, x, w, b, dict(unseeded))
    fresh_b, _ = _stochastic_depth_call(name, stochastic_depth_forward, x, w, b, dict(unseeded))
    if np.array_equal(fresh_a, fresh_b):
        fail(name, "two calls without a seed made the same choices: every forward pass must draw fresh gates")

    x, w, b = _residual_inputs(rng, 30, 7)
    out, _ = _stochastic_depth_call(name, stochastic_depth_forward, x, w, b, {"survival": survival, "mode": "test"})
    again, _ = _stochastic_depth_call(name, stochastic_depth_forward, x, w, b, {"survival": survival, "mode": "test"})
    expected = x + survival * _branch(x, w, b)
    if not (close(out, expected, RTOL[np.float64]) and np.array_equal(out, again)):
        if not np.array_equal(out, again):
            fail(name, "test mode must be deterministic: no branch is dropped at test time")
        if close(out, x + _branch(x, w, b), RTOL[np.float64]):
            fail(name, "at test time the branch is scaled by survival, its probability of being used during "
                       "training, so that the output equals its expected training value")
        fail(name, "in test mode the output should be x + survival * relu(x @ w + b)")
    passed(name, 4, seed)


def check_stochastic_depth_backward(stochastic_depth_backward, stochastic_depth_forward, seed=None):
    """Check ``stochastic_depth_backward(dout, cache) -> (dx, dw, db)`` with caches of the student's forward."""
    name, forward_name = "stochastic_depth_backward", "stochastic_depth_forward"
    rng, seed = fresh_rng(seed)
    for mode, seeded in [("train", True), ("train", False), ("test", False)]:
        survival = keep_probability(rng)
        x, w, b = _residual_inputs(rng, 200, 6)
        param = {"survival": survival, "mode": mode, **({"seed": draw_seed(rng)} if seeded else {})}
        out, cache = forward_for_backward(name, forward_name, stochastic_depth_forward, x, w, b, param)
        forward_for_backward(name, forward_name, stochastic_depth_forward, x, w, b,
                             {"survival": survival, "mode": mode})
        if mode == "train":
            gate = _gates(name, x, w, b, np.asarray(out, dtype=np.float64), survival,
                          f"the cache comes from your {forward_name}, whose training-mode output is wrong")
        else:
            gate = np.full(x.shape[0], survival)
        dout = rng.normal(size=x.shape)
        dout_before = dout.copy()
        grads = unpack(name, call(name, stochastic_depth_backward, dout, cache), 3, "(dx, dw, db)")
        assert_unchanged(name, [("dout", dout_before, dout)])
        for grad, like, label in zip(grads, (x, w, b), ("dx", "dw", "db")):
            assert_array(name, grad, like.shape, label)
        dx, dw, _ = grads
        active = (x @ w + b) > 0
        dpre = gate[:, None] * dout * active
        expected = (dout + dpre @ w.T, x.T @ dpre, dpre.sum(axis=0))
        if all(close(g, e, RTOL[np.float64]) for g, e in zip(grads, expected)):
            continue
        if close(dx, dpre @ w.T, RTOL[np.float64]):
            fail(name, "dx is missing the skip connection: out = x + gate * branch, so dx = dout + (gradient "
                       "through the branch)")
        ungated = dout * active
        if close(dw, x.T @ ungated, RTOL[np.float64]):
            if mode == "train":
                fail(name, "examples whose branch was dropped must get no gradient through the branch: use the "
                           "gates stored in the cache")
            fail(name, "at test time the branch was scaled by survival, so its gradients are scaled by survival too")
        fail(name, f"the gradients differ from those of out = x + gate * relu(x @ w + b) ({mode} mode), with the "
                   "gate of each example taken from the cache")
    passed(name, 3, seed)
