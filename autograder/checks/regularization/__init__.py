"""Hidden checks of 02 Regularization.

Randomness cannot be compared draw by draw: a student may draw masks with any generator, in any
order. So the checks on random layers are statistical where they must be (the keep rate over a
large tensor, fresh masks per call and per example) and exact where they can be: zeros exactly
where units were dropped, kept units scaled by exactly 1/p, test mode deterministic, and each
backward pass exact given the cache of the student's own forward pass. The mask a forward pass
used is read off its output (x has no zero entries, so a dropped unit is exactly zero), which
accepts every way of storing it in the cache. Keep probabilities are drawn away from 0.5, so that
mixing up the keep and the drop probability always shows.

Dtype policy (``autograder.checks._common``): a result for float32 inputs that comes back float64
with the right values keeps its points; the feedback names the value and the float64 array in the
cache that promoted it, if there is one.
"""
import math

import numpy as np

from autograder.checks._common import (
    assert_array,
    assert_unchanged,
    call,
    check_dtype,
    fail,
    fresh_rng,
    passed,
    scaled_error,
    snapshot,
)
from autograder.reference import regularization as reference

# Scale-relative tolerances: max |actual - expected| / max |expected|.
RTOL = {np.float64: 1e-9, np.float32: 1e-5}
# How many standard deviations a measured keep rate may stray from p.
RATE_SIGMAS = 6.0


def _close(actual, expected, dtype=np.float64):
    return scaled_error(actual, expected) <= RTOL[dtype]


def _keep_probability(rng):
    """A keep probability at least 0.15 away from 0.5, so that p and 1 - p differ by >= 0.3."""
    return float(rng.uniform(0.15, 0.35) if rng.random() < 0.5 else rng.uniform(0.65, 0.9))


def _nonzero(rng, shape, dtype=np.float64):
    """Entries with magnitudes in [0.1, 2] and random signs: a dropped unit is the only zero."""
    magnitude = rng.uniform(0.1, 2.0, size=shape)
    return (magnitude * rng.choice([-1.0, 1.0], size=shape)).astype(dtype)


def _seed(rng):
    return int(rng.integers(2**31 - 1))


def _rate_tolerance(p, count):
    return max(RATE_SIGMAS * math.sqrt(p * (1 - p) / count), 1e-3)


def _check_keep_rate(name, kept, probability, parameter, outcome, kept_thing, hint=""):
    """Fail unless the fraction of True in ``kept`` is ``probability`` within sampling noise,
    naming a swap of the keep and drop probabilities when that is what the rate shows."""
    rate, tolerance = float(np.mean(kept)), _rate_tolerance(probability, np.size(kept))
    if abs(rate - probability) <= tolerance:
        return
    observed = f"with {parameter}={probability:.3f} a fraction {rate:.3f} {outcome}"
    if abs(rate - (1 - probability)) <= tolerance:
        fail(name, f"{observed}, about 1 - {parameter}: {parameter} is the probability of KEEPING {kept_thing}")
    fail(name, f"{observed}; it should be {parameter}{hint}")


def _unpack(name, result, count, what):
    """Fail unless ``result`` is a tuple (or list) of ``count`` items; return it as a tuple."""
    if not (isinstance(result, (tuple, list)) and len(result) == count):
        fail(name, f"should return a tuple {what}, got {type(result).__name__}")
    return tuple(result)


def _assert_dtype(name, value, dtype, what, holders=()):
    """The dtype policy of ``autograder.checks._common``: a wider float is noted, not failed."""
    check_dtype(name, value, dtype, what, holders)


def _assert_param_kept(name, label, before, after, keys):
    """The caller's parameter dict must still hold the same values under ``keys``."""
    for key in keys:
        if key in before and (key not in after or not np.array_equal(before[key], after[key])):
            fail(name, f'{label}["{key}"] was changed; read the parameters, do not modify them')


def _forward_for_backward(name, forward_name, forward, *args):
    """Run the student's forward pass to get a cache for the backward check."""
    try:
        result = forward(*args)
    except Exception as error:  # noqa: BLE001 - any failure means the backward cannot be checked
        kind = "is not implemented yet" if isinstance(error, NotImplementedError) else \
            f"raised {type(error).__name__}: {error}"
        fail(name, f"the backward pass is checked with the cache of your {forward_name}, which {kind}")
    return _unpack(name, result, 2, f"(out, cache) from {forward_name}")


# --- penalties -----------------------------------------------------------------------------------

def _penalty_cases(rng):
    """(w, reg) pairs: a few shapes and dtypes, with exact zeros in w for the L1 subgradient."""
    cases = []
    for shape, dtype in [((6, 4), np.float64), ((17,), np.float64), ((3, 2, 5), np.float32)]:
        w = rng.normal(size=shape).astype(dtype)
        w.flat[:: max(1, w.size // 4)] = 0.0
        cases.append((w, float(math.exp(rng.uniform(math.log(1e-3), math.log(1.0))))))
    return cases


def _check_penalty(name, student, formula, seed, has_kink, draw_kwargs=None):
    """Compare ``student(w, reg, **kwargs) -> (loss, grad)`` with the reference on a few cases.

    ``has_kink``: the penalty has |w| in it, so at w = 0 any gradient within reg of the smooth
    part's (zero) is a valid subgradient; otherwise it must be exactly 0 there.
    """
    rng, seed = fresh_rng(seed)
    ref = getattr(reference, name)
    count = 0
    for w, reg in _penalty_cases(rng):
        kwargs = draw_kwargs(rng) if draw_kwargs else {}
        text = f"reg={reg:.4g}" + "".join(f", {k}={v:.4g}" for k, v in kwargs.items())
        w_before = w.copy()
        loss, grad = _unpack(name, call(name, student, w, reg, **kwargs), 2, "(loss, grad)")
        assert_unchanged(name, [("w", w_before, w)])
        expected_loss, expected_grad = ref(w, reg, **kwargs)
        if isinstance(loss, np.ndarray) and loss.size == 1:
            loss = loss.item()
        if not isinstance(loss, (float, int, np.floating, np.integer)):
            fail(name, f"the loss should be a number, got {type(loss).__name__}")
        loss_tol = 1e-9 if w.dtype == np.float64 else 1e-5
        loss_error = abs(float(loss) - expected_loss)
        if not math.isfinite(float(loss)) or loss_error > loss_tol * max(abs(expected_loss), 1e-12):
            ratio = float(loss) / expected_loss if expected_loss else float("nan")
            hint = f" (it is {ratio:.3g} times the expected value)" if math.isfinite(ratio) else ""
            fail(name, f"the loss should be {formula} (with {text}): got {float(loss):.6g}, expected "
                       f"{expected_loss:.6g}{hint}")
        assert_array(name, grad, w.shape, "grad")
        _assert_dtype(name, grad, w.dtype, "grad")
        nonzero = w != 0
        if not _close(grad[nonzero], expected_grad[nonzero], w.dtype.type):
            ratio = grad[nonzero] / expected_grad[nonzero]
            if np.allclose(ratio, ratio.flat[0], rtol=1e-4):
                fail(name, f"the gradient is {ratio.flat[0]:.3g} times what it should be (with {text}): "
                           f"differentiate {formula} exactly")
            fail(name, f"the gradient does not match the derivative of {formula} (with {text})")
        if np.any(np.abs(grad[~nonzero]) > (reg if has_kink else 0.0) * (1 + 1e-6)):
            fail(name, "at w = 0 the gradient should be a subgradient of the penalty (the usual choice "
                       "is sign(0) = 0)")
        count += 1
    return count, seed


def check_l2_penalty(l2_penalty, seed=None):
    """Check ``l2_penalty(w, reg) -> (loss, grad)``."""
    count, seed = _check_penalty("l2_penalty", l2_penalty, "0.5 * reg * sum(w**2)", seed, has_kink=False)
    passed("l2_penalty", count, seed)


def check_l1_penalty(l1_penalty, seed=None):
    """Check ``l1_penalty(w, reg) -> (loss, grad)``."""
    count, seed = _check_penalty("l1_penalty", l1_penalty, "reg * sum(|w|)", seed, has_kink=True)
    passed("l1_penalty", count, seed)


def check_elastic_net_penalty(elastic_net_penalty, seed=None):
    """Check ``elastic_net_penalty(w, reg, beta=0.5) -> (loss, grad)``."""
    name = "elastic_net_penalty"
    count, seed = _check_penalty(name, elastic_net_penalty, "reg * sum(beta * w**2 + |w|)", seed, has_kink=True,
                                 draw_kwargs=lambda rng: {"beta": float(rng.uniform(0.05, 3.0))})
    rng, _ = fresh_rng(seed)
    w = _nonzero(rng, (5, 3))
    loss, grad = _unpack(name, call(name, elastic_net_penalty, w, 0.1), 2, "(loss, grad)")
    expected_loss, expected_grad = reference.elastic_net_penalty(w, 0.1)
    if abs(float(loss) - expected_loss) > 1e-9 * expected_loss or not _close(grad, expected_grad):
        fail(name, "without a beta argument the default beta=0.5 should be used")
    passed(name, count + 1, seed)


# --- dropout -------------------------------------------------------------------------------------

def _dropout_call(name, forward, x, param):
    """Call a dropout forward pass, check the returned pair, x and the param dict; return out, cache."""
    x_before, param_before = snapshot(x, param)
    out, cache = _unpack(name, call(name, forward, x, param), 2, "(out, cache)")
    assert_unchanged(name, [("x", x_before, x)])
    _assert_param_kept(name, "dropout_param", param_before, param, ("p", "mode", "seed"))
    assert_array(name, out, x.shape, "out")
    return out, cache


def _check_dropout_forward(name, forward, inverted, seed):
    rng, seed = fresh_rng(seed)
    train_scale = "1 / p" if inverted else "1 (no scaling)"

    # Training mode on large tensors: keep rate, exact zeros, exact scale, one mask entry per element.
    for dtype, shape in [(np.float64, (400, 500)), (np.float32, (25, 40, 200))]:
        p = _keep_probability(rng)
        x = _nonzero(rng, shape, dtype)
        out, cache = _dropout_call(name, forward, x, {"p": p, "mode": "train"})
        _assert_dtype(name, out, dtype, "out", [("cache", cache)])
        kept = out != 0
        rows = kept.reshape(shape[0], -1)
        if np.all(rows == rows[0]):
            fail(name, "every example got the same mask: draw one random number per element of x "
                       "(a mask of shape x.shape), not one per feature")
        if np.all(rows == rows[:, :1]):
            fail(name, "whole examples are kept or dropped together: draw one random number per element of x "
                       "(a mask of shape x.shape)")
        _check_keep_rate(name, kept, p, "p", "of the units was kept",
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
    x = _nonzero(rng, (20, 30))
    out, _ = _dropout_call(name, forward, x, {"p": 1.0, "mode": "train"})
    if not _close(out, x):
        fail(name, "with p=1 every unit is kept and the output equals x")

    # Seeds: the same seed repeats the mask, another seed or no seed draws a new one.
    x = _nonzero(rng, (40, 50))
    p, seed_value = _keep_probability(rng), _seed(rng)
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
        x = _nonzero(rng, (30, 20), dtype)
        p = _keep_probability(rng)
        out, _ = _dropout_call(name, forward, x, {"p": p, "mode": "test"})
        _assert_dtype(name, out, dtype, "out in test mode")
        again, _ = _dropout_call(name, forward, x, {"p": p, "mode": "test"})
        expected = x if inverted else p * x
        if not (_close(out, expected, dtype) and np.array_equal(out, again)):
            if not np.array_equal(out, again) or np.any(out == 0):
                fail(name, "test mode must be deterministic: no units are dropped at test time")
            if inverted and _close(out, p * x, dtype):
                fail(name, "inverted dropout is the identity at test time: the division by p during training "
                           "already matches the expected output (scaling at both train and test time?)")
            if not inverted and _close(out, x, dtype):
                fail(name, "vanilla dropout must multiply the activations by p at test time, so that they equal "
                           "their expected value during training")
            fail(name, f"in test mode the output should be {'x' if inverted else 'p * x'} (p={p:.3f})")
    passed(name, 6, seed)


def _check_dropout_backward(name, backward, forward, forward_name, inverted, seed):
    rng, seed = fresh_rng(seed)
    cases = [((60, 40), np.float64, True), ((8, 5, 30), np.float64, False), ((50, 20), np.float32, False)]
    for shape, dtype, seeded in cases:
        p = _keep_probability(rng)
        x = _nonzero(rng, shape, dtype)
        param = {"p": p, "mode": "train", **({"seed": _seed(rng)} if seeded else {})}
        out, cache = _forward_for_backward(name, forward_name, forward, x, param)
        # A second forward pass before the backward one: the backward pass must use its own cache.
        _forward_for_backward(name, forward_name, forward, x, {"p": p, "mode": "train"})
        kept = np.asarray(out) != 0
        dout = rng.normal(size=shape).astype(dtype)
        dout_before = dout.copy()
        dx = call(name, backward, dout, cache)
        assert_unchanged(name, [("dout", dout_before, dout)])
        assert_array(name, dx, shape, "dx")
        _assert_dtype(name, dx, dtype, "dx", [("cache", cache)])
        expected = dout * kept / p if inverted else dout * kept
        if not _close(dx, expected, dtype):
            if _close(dx, dout, dtype):
                fail(name, "the gradient flows through every unit: multiply dout by the mask stored in the cache")
            if np.any((dx != 0) != kept):
                fail(name, "dx is nonzero where the forward pass dropped units, or zero where it kept them: reuse "
                           "the mask from the cache instead of drawing a new one")
            if inverted and _close(dx, dout * kept, dtype):
                fail(name, "kept units were divided by p in the forward pass, so their gradient is dout / p")
            if not inverted and _close(dx, dout * kept / p, dtype):
                fail(name, "vanilla dropout does not scale during training, so dx = dout * mask (no 1/p)")
            fail(name, f"dx should be dout * mask{' / p' if inverted else ''} with the mask of the forward pass")

    x = _nonzero(rng, (20, 10))
    p = _keep_probability(rng)
    _, cache = _forward_for_backward(name, forward_name, forward, x, {"p": p, "mode": "test"})
    dout = rng.normal(size=x.shape)
    dx = call(name, backward, dout, cache)
    assert_array(name, dx, x.shape, "dx in test mode")
    expected = dout if inverted else p * dout
    if not _close(dx, expected):
        if inverted and _close(dx, p * dout):
            fail(name, "inverted dropout is the identity at test time, so dx = dout there")
        if not inverted and _close(dx, dout):
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


# --- DropConnect ---------------------------------------------------------------------------------

def _affine_inputs(rng, x_shape, num_outputs):
    x = rng.normal(size=x_shape)
    num_inputs = int(np.prod(x_shape[1:]))
    return x, _nonzero(rng, (num_inputs, num_outputs)), rng.normal(size=num_outputs)


def _effective_weights(name, x, b, out, what):
    """The single matrix W' with out = x @ W' + b, by least squares; fail if there is none."""
    x2d = x.reshape(x.shape[0], -1)
    target = np.asarray(out, dtype=np.float64) - b
    w_used = np.linalg.lstsq(x2d, target, rcond=None)[0]
    residual = np.linalg.norm(x2d @ w_used - target) / max(np.linalg.norm(target), 1e-30)
    if residual > 1e-8:
        fail(name, f"{what} is not x @ W' + b for one weight matrix W': use one mask of w's shape (D, M) for "
                   "the whole minibatch, applied to the weights (not to x or to the output)")
    return w_used


def _dropconnect_call(name, forward, x, w, b, param):
    x_before, w_before, b_before, param_before = snapshot(x, w, b, param)
    out, cache = _unpack(name, call(name, forward, x, w, b, param), 2, "(out, cache)")
    assert_unchanged(name, [("x", x_before, x), ("w", w_before, w), ("b", b_before, b)])
    _assert_param_kept(name, "param", param_before, param, ("p", "mode", "seed"))
    assert_array(name, out, (x.shape[0], w.shape[1]), "out")
    return out, cache


def check_dropconnect_forward(dropconnect_forward, seed=None):
    """Check ``dropconnect_forward(x, w, b, param) -> (out, cache)``."""
    name = "dropconnect_forward"
    rng, seed = fresh_rng(seed)
    p = _keep_probability(rng)
    masks = []
    for x_shape in [(80, 20), (80, 4, 5), (80, 20), (80, 20), (80, 20), (80, 20), (80, 20), (80, 20)]:
        x, w, b = _affine_inputs(rng, x_shape, 30)
        out, _ = _dropconnect_call(name, dropconnect_forward, x, w, b, {"p": p, "mode": "train"})
        ratio = _effective_weights(name, x, b, out, "the training-mode output") / w
        kept = np.abs(ratio - 1 / p) < np.abs(ratio)
        distance = np.where(kept, np.abs(ratio - 1 / p) * p, np.abs(ratio))
        if np.max(distance) > 1e-6:
            observed = float(np.median(ratio[np.abs(ratio) > 1e-3])) if np.any(np.abs(ratio) > 1e-3) else 0.0
            if abs(observed - 1) < 1e-3:
                fail(name, "kept weights were not scaled: divide them by p during training (inverted "
                           "DropConnect, as the docstring says)")
            if abs(observed - 1 / (1 - p)) < 1e-3 * observed:
                fail(name, "kept weights were divided by 1 - p: divide by the KEEP probability p")
            fail(name, "each weight should be either dropped (0) or kept and divided by p during training")
        masks.append(kept)
    masks = np.stack(masks)
    if all(np.array_equal(mask, masks[0]) for mask in masks[1:]):
        fail(name, "every forward pass used the same weight mask: draw a fresh mask in each call")
    _check_keep_rate(name, masks, p, "p", "of the weights was kept", "a weight")

    x, w, b = _affine_inputs(rng, (60, 12), 15)
    seed_value = _seed(rng)
    first, _ = _dropconnect_call(name, dropconnect_forward, x, w, b, {"p": p, "mode": "train", "seed": seed_value})
    again, _ = _dropconnect_call(name, dropconnect_forward, x, w, b, {"p": p, "mode": "train", "seed": seed_value})
    if not np.array_equal(first, again):
        fail(name, "two calls with the same param['seed'] gave different outputs: draw the mask with "
                   "np.random.default_rng(param.get('seed'))")
    other, _ = _dropconnect_call(name, dropconnect_forward, x, w, b, {"p": p, "mode": "train", "seed": seed_value + 1})
    if np.array_equal(first, other):
        fail(name, "two different seeds gave the same mask")

    for x_shape in [(10, 12), (7, 3, 4)]:
        x, w, b = _affine_inputs(rng, x_shape, 9)
        out, _ = _dropconnect_call(name, dropconnect_forward, x, w, b, {"p": p, "mode": "test"})
        expected = x.reshape(x.shape[0], -1) @ w + b
        if not _close(out, expected):
            if _close(out, p * (expected - b) + b):
                fail(name, "inverted DropConnect uses the full weights at test time: out = x @ w + b (the 1/p "
                           "during training already matches the expectation)")
            fail(name, f"in test mode the output should be x @ w + b (x of shape {x_shape} reshaped to (N, D))")
    passed(name, 4, seed)


def check_dropconnect_backward(dropconnect_backward, dropconnect_forward, seed=None):
    """Check ``dropconnect_backward(dout, cache) -> (dx, dw, db)`` with caches of the student's forward."""
    name, forward_name = "dropconnect_backward", "dropconnect_forward"
    rng, seed = fresh_rng(seed)
    for x_shape, mode, seeded in [((70, 15), "train", True), ((70, 3, 5), "train", False), ((9, 2, 4), "test", False)]:
        p = _keep_probability(rng)
        x, w, b = _affine_inputs(rng, x_shape, 11)
        param = {"p": p, "mode": mode, **({"seed": _seed(rng)} if seeded else {})}
        out, cache = _forward_for_backward(name, forward_name, dropconnect_forward, x, w, b, param)
        _forward_for_backward(name, forward_name, dropconnect_forward, x, w, b, {"p": p, "mode": mode})
        if mode == "train":
            w_used = _effective_weights(name, x, b, out, f"the output of your {forward_name}")
            scale = (np.abs(w_used) > 1e-6 * np.abs(w)) / p
        else:
            scale = np.ones_like(w)
        dout = rng.normal(size=(x.shape[0], w.shape[1]))
        dout_before = dout.copy()
        grads = _unpack(name, call(name, dropconnect_backward, dout, cache), 3, "(dx, dw, db)")
        assert_unchanged(name, [("dout", dout_before, dout)])
        for grad, like, label in zip(grads, (x, w, b), ("dx", "dw", "db")):
            assert_array(name, grad, like.shape, label)
        dx, dw, db = grads
        x2d = x.reshape(x.shape[0], -1)
        expected_dx = (dout @ (w * scale).T).reshape(x.shape)
        expected_dw = (x2d.T @ dout) * scale
        if not _close(db, dout.sum(axis=0)):
            fail(name, "db should be dout summed over the batch")
        if not _close(dw, expected_dw):
            if mode == "train" and _close(dw, x2d.T @ dout):
                fail(name, "dropped weights took no part in the forward pass, so their gradient is 0: multiply "
                           "x.T @ dout by the mask from the cache (and by 1/p)")
            if mode == "train" and _close(dw, expected_dw * p):
                fail(name, "the kept weights were divided by p in the forward pass, so dw = (x.T @ dout) * mask / p")
            fail(name, f"dw should be (x.T @ dout) * mask / p in training mode and x.T @ dout in test mode ({mode} "
                       "mode failed)")
        if not _close(dx, expected_dx):
            if mode == "train" and _close(dx, (dout @ w.T).reshape(x.shape)):
                fail(name, "dx must use the masked, scaled weights of the forward pass: dx = dout @ (w * mask / p).T")
            fail(name, f"dx should be dout @ W.T with the weights W the forward pass used ({mode} mode failed), "
                       "reshaped to x's shape")
    passed(name, 3, seed)


# --- batch normalization -------------------------------------------------------------------------

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
        if _close(out, variant):
            fail(name, f"{where}: {hint}")
    fail(name, f"{where}: the output differs from gamma * (x - mean) / sqrt(var + eps) + beta with the batch "
               f"mean and (biased) variance of each feature (eps={eps:.3g})")


def _batchnorm_call(name, forward, x, gamma, beta, bn_param):
    x_before, gamma_before, beta_before = snapshot(x, gamma, beta)
    out, cache = _unpack(name, call(name, forward, x, gamma, beta, bn_param), 2, "(out, cache)")
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
    if _close(running_mean, expected_param["running_mean"]) and _close(running_var, expected_param["running_var"]):
        return
    if np.array_equal(running_mean, before_mean) and np.array_equal(running_var, before_var):
        fail(name, f"{where} did not update the running statistics in bn_param")
    for hint, (variant_mean, variant_var) in _running_variants(before_mean, before_var, x, momentum).items():
        if _close(running_mean, variant_mean) and _close(running_var, variant_var):
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
    if not _close(out, expected):
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
        if not _close(out, expected):
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
    if not (_close(out, expected) and np.array_equal(out, again)):
        batch_stats = gamma * (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + eps) + beta
        if _close(out, batch_stats):
            fail(name, "test mode must normalize with bn_param's running_mean and running_var, not with the "
                       "statistics of the test batch")
        if _close(out, gamma * (x - running_mean) / np.sqrt(running_var) + beta):
            fail(name, "test mode also adds eps to the running variance: sqrt(running_var + eps)")
        fail(name, "in test mode the output should be gamma * (x - running_mean) / sqrt(running_var + eps) + beta")
    passed(name, 6, seed)


def _check_batchnorm_backward(name, backward, forward, seed):
    forward_name = "batchnorm_forward"
    rng, seed = fresh_rng(seed)
    for num_examples, num_features in [(4, 3), (int(rng.integers(10, 40)), int(rng.integers(3, 8))), (3, 5)]:
        x, gamma, beta = _batch(rng, num_examples, num_features)
        eps = float(rng.choice([1e-5, 0.1]))
        out, cache = _forward_for_backward(name, forward_name, forward, x, gamma, beta,
                                           {"mode": "train", "eps": eps})
        expected_out, ref_cache = reference.batchnorm_forward(x, gamma, beta, {"mode": "train", "eps": eps})
        if not _close(out, expected_out):
            fail(name, f"the backward pass is checked through the cache of your {forward_name}, whose training-mode "
                       f"output is wrong: fix {forward_name} first")
        other_x, _, _ = _batch(rng, num_examples, num_features)
        _forward_for_backward(name, forward_name, forward, other_x, gamma, beta, {"mode": "train", "eps": eps})
        dout = rng.normal(size=x.shape)
        dout_before = dout.copy()
        grads = _unpack(name, call(name, backward, dout, cache), 3, "(dx, dgamma, dbeta)")
        assert_unchanged(name, [("dout", dout_before, dout)])
        for grad, like, label in zip(grads, (x, gamma, beta), ("dx", "dgamma", "dbeta")):
            assert_array(name, grad, like.shape, label)
        dx, dgamma, dbeta = grads
        expected_dx, expected_dgamma, expected_dbeta = reference.batchnorm_backward(dout, ref_cache)
        if not _close(dbeta, expected_dbeta):
            fail(name, "dbeta should be dout summed over the batch (axis 0)")
        if not _close(dgamma, expected_dgamma):
            fail(name, "dgamma should be sum over the batch of dout * x_hat, with x_hat the normalized input")
        if not _close(dx, expected_dx, np.float32):
            inv_std = ref_cache[2]
            if _close(dx, dout * gamma * inv_std, np.float32):
                fail(name, "dx treats the batch mean and variance as constants; they depend on x too, which adds "
                           "two terms to dx")
            fail(name, f"dx differs from the gradient of batch normalization (batch of {num_examples}, "
                       f"eps={eps:.3g}); check it numerically against batchnorm_forward")
        if not _close(dx, expected_dx):
            fail(name, f"dx is close to but not within {RTOL[np.float64]:g} of the exact gradient: is eps used in "
                       "exactly the same place as in batchnorm_forward?")
    passed(name, 3, seed)


def check_batchnorm_backward(batchnorm_backward, batchnorm_forward, seed=None):
    """Check ``batchnorm_backward(dout, cache) -> (dx, dgamma, dbeta)`` with caches of the student's forward."""
    _check_batchnorm_backward("batchnorm_backward", batchnorm_backward, batchnorm_forward, seed)


def check_batchnorm_backward_alt(batchnorm_backward_alt, batchnorm_forward, seed=None):
    """Check ``batchnorm_backward_alt(dout, cache) -> (dx, dgamma, dbeta)`` like batchnorm_backward."""
    _check_batchnorm_backward("batchnorm_backward_alt", batchnorm_backward_alt, batchnorm_forward, seed)


# --- stochastic depth ----------------------------------------------------------------------------

def _residual_inputs(rng, num_examples, num_features):
    """x, w, b with a branch relu(x @ w + b) that is nonzero in every row (b is positive)."""
    x = _nonzero(rng, (num_examples, num_features))
    w = rng.normal(size=(num_features, num_features)) * 0.3 / math.sqrt(num_features)
    return x, w, rng.uniform(0.5, 1.0, size=num_features)


def _branch(x, w, b):
    return np.maximum(0, x @ w + b)


def _stochastic_depth_call(name, forward, x, w, b, sd_param):
    x_before, w_before, b_before, param_before = snapshot(x, w, b, sd_param)
    out, cache = _unpack(name, call(name, forward, x, w, b, sd_param), 2, "(out, cache)")
    assert_unchanged(name, [("x", x_before, x), ("w", w_before, w), ("b", b_before, b)])
    _assert_param_kept(name, "sd_param", param_before, sd_param, ("survival", "mode", "seed"))
    assert_array(name, out, x.shape, "out")
    return out, cache


def _gates(name, x, w, b, out, survival, where):
    """Per-example gate (1 kept, 0 dropped) read off a training-mode output; fail if it is neither."""
    branch = _branch(x, w, b)
    added = out - x
    kept = np.linalg.norm(added - branch, axis=1) < np.linalg.norm(added, axis=1)
    expected = x + kept[:, None] * branch
    if not _close(out, expected):
        rows_kept = np.linalg.norm(added, axis=1) > 1e-9 * np.linalg.norm(branch, axis=1)
        if _close(out[rows_kept], (x + branch / survival)[rows_kept]):
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
    survival = _keep_probability(rng)
    x, w, b = _residual_inputs(rng, 4000, 6)
    out, _ = _stochastic_depth_call(name, stochastic_depth_forward, x, w, b, {"survival": survival, "mode": "train"})
    kept = _gates(name, x, w, b, out, survival, "training mode")
    if np.all(kept == kept[0]):
        fail(name, "every example of the batch made the same choice: draw one random number per example, so "
                   "that each example keeps or drops the branch on its own")
    _check_keep_rate(name, kept, survival, "survival", "of the examples kept the branch", "the branch")

    x, w, b = _residual_inputs(rng, 200, 5)
    seed_value = _seed(rng)
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
    if not (_close(out, expected) and np.array_equal(out, again)):
        if not np.array_equal(out, again):
            fail(name, "test mode must be deterministic: no branch is dropped at test time")
        if _close(out, x + _branch(x, w, b)):
            fail(name, "at test time the branch is scaled by survival, its probability of being used during "
                       "training, so that the output equals its expected training value")
        fail(name, "in test mode the output should be x + survival * relu(x @ w + b)")
    passed(name, 4, seed)


def check_stochastic_depth_backward(stochastic_depth_backward, stochastic_depth_forward, seed=None):
    """Check ``stochastic_depth_backward(dout, cache) -> (dx, dw, db)`` with caches of the student's forward."""
    name, forward_name = "stochastic_depth_backward", "stochastic_depth_forward"
    rng, seed = fresh_rng(seed)
    for mode, seeded in [("train", True), ("train", False), ("test", False)]:
        survival = _keep_probability(rng)
        x, w, b = _residual_inputs(rng, 200, 6)
        param = {"survival": survival, "mode": mode, **({"seed": _seed(rng)} if seeded else {})}
        out, cache = _forward_for_backward(name, forward_name, stochastic_depth_forward, x, w, b, param)
        _forward_for_backward(name, forward_name, stochastic_depth_forward, x, w, b,
                              {"survival": survival, "mode": mode})
        if mode == "train":
            gate = _gates(name, x, w, b, np.asarray(out, dtype=np.float64), survival,
                          f"the cache comes from your {forward_name}, whose training-mode output is wrong")
        else:
            gate = np.full(x.shape[0], survival)
        dout = rng.normal(size=x.shape)
        dout_before = dout.copy()
        grads = _unpack(name, call(name, stochastic_depth_backward, dout, cache), 3, "(dx, dw, db)")
        assert_unchanged(name, [("dout", dout_before, dout)])
        for grad, like, label in zip(grads, (x, w, b), ("dx", "dw", "db")):
            assert_array(name, grad, like.shape, label)
        dx, dw, _ = grads
        active = (x @ w + b) > 0
        dpre = gate[:, None] * dout * active
        expected = (dout + dpre @ w.T, x.T @ dpre, dpre.sum(axis=0))
        if all(_close(g, e) for g, e in zip(grads, expected)):
            continue
        if _close(dx, dpre @ w.T):
            fail(name, "dx is missing the skip connection: out = x + gate * branch, so dx = dout + (gradient "
                       "through the branch)")
        ungated = dout * active
        if _close(dw, x.T @ ungated):
            if mode == "train":
                fail(name, "examples whose branch was dropped must get no gradient through the branch: use the "
                           "gates stored in the cache")
            fail(name, "at test time the branch was scaled by survival, so its gradients are scaled by survival too")
        fail(name, f"the gradients differ from those of out = x + gate * relu(x @ w + b) ({mode} mode), with the "
                   "gate of each example taken from the cache")
    passed(name, 3, seed)


# --- averaging and ensembles ---------------------------------------------------------------------

def check_polyak_update(polyak_update, seed=None):
    """Check ``polyak_update(w_avg, w, decay=0.995) -> next_w_avg``."""
    name = "polyak_update"
    rng, seed = fresh_rng(seed)
    for shape, dtype in [((5, 4), np.float64), ((9,), np.float32)]:
        decay = float(rng.uniform(0.5, 0.99))
        w = rng.normal(size=shape).astype(dtype)
        first = call(name, polyak_update, None, w, decay)
        assert_array(name, first, shape, "the average started from w_avg=None")
        _assert_dtype(name, first, dtype, "the average started from w_avg=None")
        if not np.array_equal(first, w):
            if np.allclose(first, (1 - decay) * w):
                fail(name, "with w_avg=None the average should start at w itself (a copy), not at zero")
            fail(name, "with w_avg=None the function should return a copy of w")
        if np.shares_memory(first, w):
            fail(name, "with w_avg=None return a copy of w, not w itself: updating the average later would "
                       "change the weights")
        w_avg, expected = first, first.astype(np.float64)
        for step in range(1, 6):
            w = rng.normal(size=shape).astype(dtype)
            w_avg_before, w_before = snapshot(w_avg, w)
            kwargs = {} if step == 1 else {"decay": decay}
            result = call(name, polyak_update, w_avg, w, **kwargs)
            assert_unchanged(name, [("w_avg", w_avg_before, w_avg), ("w", w_before, w)])
            assert_array(name, result, shape, "the new average")
            _assert_dtype(name, result, dtype, "the new average")
            used_decay = 0.995 if step == 1 else decay
            expected = used_decay * expected + (1 - used_decay) * w.astype(np.float64)
            if not _close(result, expected, dtype):
                previous = w_avg.astype(np.float64)
                if _close(result, (1 - used_decay) * previous + used_decay * w, dtype):
                    fail(name, "decay weights the OLD average: decay * w_avg + (1 - decay) * w")
                where = "with the default decay=0.995" if step == 1 else f"with decay={decay:.3g}"
                fail(name, f"step {step} {where}: the new average should be decay * w_avg + (1 - decay) * w")
            w_avg = result
    passed(name, 3, seed)


def _random_probabilities(rng, num_models, num_examples, num_classes):
    scores = rng.normal(size=(num_models, num_examples, num_classes)) * rng.uniform(0.5, 3.0, size=(num_models, 1, 1))
    exp = np.exp(scores - scores.max(axis=2, keepdims=True))
    probabilities = exp / exp.sum(axis=2, keepdims=True)
    # Two models mildly prefer class 0, one is sure of class 1: the vote says 0, the average says 1.
    if num_models == 3:
        probabilities[:, 0, :] = 0.0
        probabilities[0, 0, :2] = probabilities[1, 0, :2] = [0.5, 0.4]
        probabilities[2, 0, :2] = [0.0, 0.95]
        probabilities[:, 0, 2] = 1.0 - probabilities[:, 0, :2].sum(axis=1)
    return probabilities


def check_ensemble_predict(ensemble_predict, seed=None):
    """Check ``ensemble_predict(probabilities) -> (mean_probabilities, labels)``."""
    name = "ensemble_predict"
    rng, seed = fresh_rng(seed)
    for num_models, as_array in [(3, False), (int(rng.integers(4, 7)), True), (1, False)]:
        num_examples, num_classes = int(rng.integers(50, 200)), int(rng.integers(3, 11))
        stacked = _random_probabilities(rng, num_models, num_examples, num_classes)
        probabilities = stacked.copy() if as_array else [p.copy() for p in stacked]
        before = snapshot(probabilities)[0]
        mean, labels = _unpack(name, call(name, ensemble_predict, probabilities), 2, "(mean_probabilities, labels)")
        if as_array:
            assert_unchanged(name, [("probabilities", before, probabilities)])
        else:
            assert_unchanged(name, [("probabilities", list(before), list(probabilities))])
        what = f"{num_models} model(s) given as {'an array (M, N, C)' if as_array else 'a list of (N, C) arrays'}"
        assert_array(name, mean, (num_examples, num_classes), f"the mean probabilities ({what})")
        expected = stacked.mean(axis=0)
        if not _close(mean, expected):
            if _close(mean, stacked.sum(axis=0)):
                fail(name, f"with {what}: average the probabilities (divide the sum by the number of models)")
            fail(name, f"with {what}: the mean probabilities should be the average of the models' probabilities")
        labels = np.asarray(labels)
        if labels.shape != (num_examples,) or labels.dtype.kind not in "iu":
            fail(name, f"the labels should be an integer array of shape ({num_examples},), got dtype {labels.dtype} "
                       f"and shape {labels.shape}")
        if not np.array_equal(labels, expected.argmax(axis=1)):
            votes = np.array([np.bincount(column, minlength=num_classes).argmax()
                              for column in stacked.argmax(axis=2).T])
            if np.array_equal(labels, votes):
                fail(name, "the labels are a majority vote of the models; they should be the class with the highest "
                           "AVERAGE probability, which also counts how sure each model is")
            fail(name, "the labels should be the class with the highest average probability of each example")
    passed(name, 3, seed)


def check_snapshot_epochs(snapshot_epochs, seed=None):
    """Check ``snapshot_epochs(num_epochs, period, period_mult=1) -> list of int``."""
    name = "snapshot_epochs"
    rng, seed = fresh_rng(seed)
    period = int(rng.integers(2, 9))
    cases = [
        ({"num_epochs": 4 * period, "period": period}, "equal cycles (default period_mult=1), the last one ending "
                                                       "exactly at num_epochs"),
        ({"num_epochs": 3 * period + 1, "period": period}, "the incomplete last cycle gives no snapshot"),
        ({"num_epochs": period - 1, "period": period}, "no cycle is complete yet"),
        ({"num_epochs": 7 * period, "period": period, "period_mult": 2}, "cycles of period, 2 period, 4 period"),
        ({"num_epochs": 13 * period - 1, "period": period, "period_mult": 3}, "cycles of period, 3 period, 9 period"),
        ({"num_epochs": int(rng.integers(20, 60)), "period": int(rng.integers(1, 6)),
          "period_mult": int(rng.integers(1, 4))}, "random case"),
    ]
    for kwargs, description in cases:
        result = call(name, snapshot_epochs, **kwargs)
        try:
            values = [int(v) for v in result]
            integral = all(float(v) == int(v) for v in result)
        except (TypeError, ValueError):
            fail(name, f"should return a list of int, got {type(result).__name__}")
        expected = reference.snapshot_epochs(**kwargs)
        args = ", ".join(f"{k}={v}" for k, v in kwargs.items())
        if not integral or values != expected:
            if values == [e - 1 for e in expected]:
                fail(name, f"snapshot_epochs({args}) returned {values}, one less than expected: count completed "
                           "epochs, so the first cycle ends after `period` epochs")
            fail(name, f"{description}: snapshot_epochs({args}) returned {values}, expected {expected}")
    passed(name, len(cases), seed)
