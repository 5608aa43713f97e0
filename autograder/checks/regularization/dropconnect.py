"""Hidden checks of 02 Regularization: DropConnect, forward and backward."""
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


def _affine_inputs(rng, x_shape, num_outputs):
    x = rng.normal(size=x_shape)
    num_inputs = int(np.prod(x_shape[1:]))
    return x, nonzero_inputs(rng, (num_inputs, num_outputs)), rng.normal(size=num_outputs)


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
    out, cache = unpack(name, call(name, forward, x, w, b, param), 2, "(out, cache)")
    assert_unchanged(name, [("x", x_before, x), ("w", w_before, w), ("b", b_before, b)])
    assert_param_kept(name, "param", param_before, param, ("p", "mode", "seed"))
    assert_array(name, out, (x.shape[0], w.shape[1]), "out")
    return out, cache


def check_dropconnect_forward(dropconnect_forward, seed=None):
    """Check ``dropconnect_forward(x, w, b, param) -> (out, cache)``."""
    name = "dropconnect_forward"
    rng, seed = fresh_rng(seed)
    p = keep_probability(rng)
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
    assert_keep_rate(name, masks, p, "p", "of the weights was kept", "a weight")

    x, w, b = _affine_inputs(rng, (60, 12), 15)
    seed_value = draw_seed(rng)
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
        if not close(out, expected, RTOL[np.float64]):
            if close(out, p * (expected - b) + b, RTOL[np.float64]):
                fail(name, "inverted DropConnect uses the full weights at test time: out = x @ w + b (the 1/p "
                           "during training already matches the expectation)")
            fail(name, f"in test mode the output should be x @ w + b (x of shape {x_shape} reshaped to (N, D))")
    passed(name, 4, seed)


def check_dropconnect_backward(dropconnect_backward, dropconnect_forward, seed=None):
    """Check ``dropconnect_backward(dout, cache) -> (dx, dw, db)`` with caches of the student's forward."""
    name, forward_name = "dropconnect_backward", "dropconnect_forward"
    rng, seed = fresh_rng(seed)
    for x_shape, mode, seeded in [((70, 15), "train", True), ((70, 3, 5), "train", False), ((9, 2, 4), "test", False)]:
        p = keep_probability(rng)
        x, w, b = _affine_inputs(rng, x_shape, 11)
        param = {"p": p, "mode": mode, **({"seed": draw_seed(rng)} if seeded else {})}
        out, cache = forward_for_backward(name, forward_name, dropconnect_forward, x, w, b, param)
        forward_for_backward(name, forward_name, dropconnect_forward, x, w, b, {"p": p, "mode": mode})
        if mode == "train":
            w_used = _effective_weights(name, x, b, out, f"the output of your {forward_name}")
            scale = (np.abs(w_used) > 1e-6 * np.abs(w)) / p
        else:
            scale = np.ones_like(w)
        dout = rng.normal(size=(x.shape[0], w.shape[1]))
        dout_before = dout.copy()
        grads = unpack(name, call(name, dropconnect_backward, dout, cache), 3, "(dx, dw, db)")
        assert_unchanged(name, [("dout", dout_before, dout)])
        for grad, like, label in zip(grads, (x, w, b), ("dx", "dw", "db")):
            assert_array(name, grad, like.shape, label)
        dx, dw, db = grads
        x2d = x.reshape(x.shape[0], -1)
        expected_dx = (dout @ (w * scale).T).reshape(x.shape)
        expected_dw = (x2d.T @ dout) * scale
        if not close(db, dout.sum(axis=0), RTOL[np.float64]):
            fail(name, "db should be dout summed over the batch")
        if not close(dw, expected_dw, RTOL[np.float64]):
            if mode == "train" and close(dw, x2d.T @ dout, RTOL[np.float64]):
                fail(name, "dropped weights took no part in the forward pass, so their gradient is 0: multiply "
                           "x.T @ dout by the mask from the cache (and by 1/p)")
            if mode == "train" and close(dw, expected_dw * p, RTOL[np.float64]):
                fail(name, "the kept weights were divided by p in the forward pass, so dw = (x.T @ dout) * mask / p")
            fail(name, f"dw should be (x.T @ dout) * mask / p in training mode and x.T @ dout in test mode ({mode} "
                       "mode failed)")
        if not close(dx, expected_dx, RTOL[np.float64]):
            if mode == "train" and close(dx, (dout @ w.T).reshape(x.shape), RTOL[np.float64]):
                fail(name, "dx must use the masked, scaled weights of the forward pass: dx = dout @ (w * mask / p).T")
            fail(name, f"dx should be dout @ W.T with the weights W the forward pass used ({mode} mode failed), "
                       "reshaped to x's shape")
    passed(name, 3, seed)
