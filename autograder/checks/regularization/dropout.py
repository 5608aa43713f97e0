"""Hidden checks of 02 Regularization: vanilla and inverted dropout, forward and backward."""
import numpy as np

from autograder.checks._common import (
    assert_array,
    assert_unchanged,
    call,
    check_dtype,
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


def _dropout_call(name, forward, x, param):
    """Call a dropout forward pass, check the returned pair, x and the param dict; return out, cache."""
    x_before, param_before = snapshot(x, param)
    out, cache = unpack(name, call(name, forward, x, param), 2, "(out, cache)")
    assert_unchanged(name, [("x", x_before, x)])
    assert_param_kept(name, "dropout_param", param_before, param, ("p", "mode", "seed"))
    assert_array(name, out, x.shape, "out")
    return out, cache


def _check_dropout_forward(name, forward, inverted, seed):
    rng, seed = fresh_rng(seed)
    train_scale = "1 / p" if inverted else "1 (no scaling)"

    # Training mode on large tensors: keep rate, exact zeros, exact scale, one mask entry per element.
    for dtype, shape in [(np.float64, (400, 500)), (np.float32, (25, 40, 200))]:
        p = keep_probability(rng)
        x = nonzero_inputs(rng, shape, dtype)
        out, cache = _dropout_call(name, forward, x, {"p": p, "mode": "train"})
        check_dtype(name, out, dtype, "out", [("cache", cache)])
        kept = out != 0
        rows = kept.reshape(shape[0], -1)
        if np.all(rows == rows[0]):
            fail(name, "every example got the same mask: draw one random number per element of x "
                       "(a mask of shape x.shape), not one per feature")
        if np.all(rows == rows[:, :1]):
            fail(name, "whole examples are kept or dropped together: draw one random number per element of x "
                       "(a mask of shape x.shape)")
        assert_keep_rate(name, kept, p, "p", "of the units was kept",
                         "a unit, so keep where rand < p", " (each unit kept independently with probability p)")
        values = out[kept].astype(np.float64) / x[kept].astype(np.float64)
        expected_scale = 1 / p if inverted else 1.0
        if np.max(np.abs(values - expected_scale)) > RTOL[dtype] * expected_scale:
            observed = float(np.median(values))
            if inverted and abs(observed - 1) < 1e-3:
                fail(name, "kept units were not scaled: inverted dropout divides them by p at training time")
            if not inverted and abs(observed - 1 / p) < 1e-3 * observed:
                fail(name, "kept units were divided by p: vanilla dropout leaves them unchanged at training "
                           "time and multiplies by p at test time instead")
            if abs(observed - 1 / (1 - p)) < 1e-3 * observed:
                fail(name, "kept units were divided by 1 - p: divide by the KEEP probability p")
            fail(name, f"kept units should be multiplied by exactly {train_scale} in training mode, got factors "
                       f"between {values.min():.4g} and {values.max():.4g}")

    # p = 1 keeps everything.
    x = nonzero_inputs(rng, (20, 30))
    out, _ = _dropout_call(name, forward, x, {"p": 1.0, "mode": "train"})
    if not close(out, x, RTOL[np.float64]):
        fail(name, "with p=1 every unit is kept and the output equals x")

    # Seeds: the same seed repeats the mask, another seed or no seed draws a new one.
    x = nonzero_inputs(rng, (40, 50))
    p, seed_value = keep_probability(rng), draw_seed(rng)
    first, _ = _dropout_call(name, forward, x, {"p": p, "mode": "train", "seed": seed_value})
    again, _ = _dropout_call(name, forward, x, {"p": p, "mode": "train", "seed": seed_value})
    if not np.array_equal(first, again):
        fail(name, "two calls with the same dropout_param['seed'] gave different outputs: draw the mask with "
                   "np.random.default_rng(dropout_param.get('seed'))")
    other, _ = _dropout_call(name, forward, x, {"p": p, "mode": "train", "seed": seed_value + 1})
    if np.array_equal(first != 0, other != 0):
        fail(name, "two different seeds gave the same mask")
    fresh_a, _ = _dropout_call(name, forward, x, {"p": p, "mode": "train"})
    fresh_b, _ = _dropout_call(name, forward, x, {"p": p, "mode": "train"})
    if np.array_equal(fresh_a != 0, fresh_b != 0):
        fail(name, "two calls without a seed gave the same mask: every forward pass must draw a fresh mask")

    # Test mode: deterministic, identity (inverted) or times p (vanilla).
    for dtype in (np.float64, np.float32):
        x = nonzero_inputs(rng, (30, 20), dtype)
        p = keep_probability(rng)
        out, _ = _dropout_call(name, forward, x, {"p": p, "mode": "test"})
        check_dtype(name, out, dtype, "out in test mode")
        again, _ = _dropout_call(name, forward, x, {"p": p, "mode": "test"})
        expected = x if inverted else p * x
        if not (close(out, expected, RTOL[dtype]) and np.array_equal(out, again)):
            if not np.array_equal(out, again) or np.any(out == 0):
                fail(name, "test mode must be deterministic: no units are dropped at test time")
            if inverted and close(out, p * x, RTOL[dtype]):
                fail(name, "inverted dropout is the identity at test time: the division by p during training "
                           "already matches the expected output (scaling at both train and test time?)")
            if not inverted and close(out, x, RTOL[dtype]):
                fail(name, "vanilla dropout must multiply the activations by p at test time, so that they equal "
                           "their expected value during training")
            fail(name, f"in test mode the output should be {'x' if inverted else 'p * x'} (p={p:.3f})")
    passed(name, 6, seed)


def _check_dropout_backward(name, backward, forward, forward_name, inverted, seed):
    rng, seed = fresh_rng(seed)
    cases = [((60, 40), np.float64, True), ((8, 5, 30), np.float64, False), ((50, 20), np.float32, False)]
    for shape, dtype, seeded in cases:
        p = keep_probability(rng)
        x = nonzero_inputs(rng, shape, dtype)
        param = {"p": p, "mode": "train", **({"seed": draw_seed(rng)} if seeded else {})}
        out, cache = forward_for_backward(name, forward_name, forward, x, param)
        # A second forward pass before the backward one: the backward pass must use its own cache.
        forward_for_backward(name, forward_name, forward, x, {"p": p, "mode": "train"})
        kept = np.asarray(out) != 0
        dout = rng.normal(size=shape).astype(dtype)
        dout_before = dout.copy()
        dx = call(name, backward, dout, cache)
        assert_unchanged(name, [("dout", dout_before, dout)])
        assert_array(name, dx, shape, "dx")
        check_dtype(name, dx, dtype, "dx", [("cache", cache)])
        expected = dout * kept / p if inverted else dout * kept
        if not close(dx, expected, RTOL[dtype]):
            if close(dx, dout, RTOL[dtype]):
                fail(name, "the gradient flows through every unit: multiply dout by the mask stored in the cache")
            if np.any((dx != 0) != kept):
                fail(name, "dx is nonzero where the forward pass dropped units, or zero where it kept them: reuse "
                           "the mask from the cache instead of drawing a new one")
            if inverted and close(dx, dout * kept, RTOL[dtype]):
                fail(name, "kept units were divided by p in the forward pass, so their gradient is dout / p")
            if not inverted and close(dx, dout * kept / p, RTOL[dtype]):
                fail(name, "vanilla dropout does not scale during training, so dx = dout * mask (no 1/p)")
            fail(name, f"dx should be dout * mask{' / p' if inverted else ''} with the mask of the forward pass")

    x = nonzero_inputs(rng, (20, 10))
    p = keep_probability(rng)
    _, cache = forward_for_backward(name, forward_name, forward, x, {"p": p, "mode": "test"})
    dout = rng.normal(size=x.shape)
    dx = call(name, backward, dout, cache)
    assert_array(name, dx, x.shape, "dx in test mode")
    expected = dout if inverted else p * dout
    if not close(dx, expected, RTOL[np.float64]):
        if inverted and close(dx, p * dout, RTOL[np.float64]):
            fail(name, "inverted dropout is the identity at test time, so dx = dout there")
        if not inverted and close(dx, dout, RTOL[np.float64]):
            fail(name, "vanilla dropout multiplies by p at test time, so dx = p * dout there")
        fail(name, f"in test mode dx should be {'dout' if inverted else 'p * dout'}")
    passed(name, 4, seed)


def check_vanilla_dropout_forward(vanilla_dropout_forward, seed=None):
    """Check ``vanilla_dropout_forward(x, dropout_param) -> (out, cache)``."""
    _check_dropout_forward("vanilla_dropout_forward", vanilla_dropout_forward, False, seed)


def check_vanilla_dropout_backward(vanilla_dropout_backward, vanilla_dropout_forward, seed=None):
    """Check ``vanilla_dropout_backward(dout, cache) -> dx`` with caches of the student's forward pass."""
    _check_dropout_backward("vanilla_dropout_backward", vanilla_dropout_backward, vanilla_dropout_forward,
                            "vanilla_dropout_forward", False, seed)


def check_dropout_forward(dropout_forward, seed=None):
    """Check the inverted ``dropout_forward(x, dropout_param) -> (out, cache)``."""
    _check_dropout_forward("dropout_forward", dropout_forward, True, seed)


def check_dropout_backward(dropout_backward, dropout_forward, seed=None):
    """Check ``dropout_backward(dout, cache) -> dx`` with caches of the student's forward pass."""
    _check_dropout_backward("dropout_backward", dropout_backward, dropout_forward, "dropout_forward", True, seed)
