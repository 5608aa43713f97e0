"""Hidden checks of 02 Regularization: the weight penalties (L2, L1, elastic net)."""
import math

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
    unpack,
)
from autograder.checks.regularization._shared import RTOL, nonzero_inputs
from autograder.reference import regularization as reference

# Relative tolerance of a penalty's loss, by the dtype of w.
LOSS_RTOL = {np.float64: 1e-9, np.float32: 1e-5}


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
        loss, grad = unpack(name, call(name, student, w, reg, **kwargs), 2, "(loss, grad)")
        assert_unchanged(name, [("w", w_before, w)])
        expected_loss, expected_grad = ref(w, reg, **kwargs)
        if isinstance(loss, np.ndarray) and loss.size == 1:
            loss = loss.item()
        if not isinstance(loss, (float, int, np.floating, np.integer)):
            fail(name, f"the loss should be a number, got {type(loss).__name__}")
        loss_error = abs(float(loss) - expected_loss)
        if not math.isfinite(float(loss)) or loss_error > LOSS_RTOL[w.dtype.type] * max(abs(expected_loss), 1e-12):
            ratio = float(loss) / expected_loss if expected_loss else float("nan")
            hint = f" (it is {ratio:.3g} times the expected value)" if math.isfinite(ratio) else ""
            fail(name, f"the loss should be {formula} (with {text}): got {float(loss):.6g}, expected "
                       f"{expected_loss:.6g}{hint}")
        assert_array(name, grad, w.shape, "grad")
        check_dtype(name, grad, w.dtype, "grad")
        nonzero = w != 0
        if not close(grad[nonzero], expected_grad[nonzero], RTOL[w.dtype.type]):
            ratio = grad[nonzero] / expected_grad[nonzero]
            # A factor of about 1 is a precision slip, not a missing or extra constant.
            if np.allclose(ratio, ratio.flat[0], rtol=1e-4) and abs(ratio.flat[0] - 1) > 1e-4:
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
    w = nonzero_inputs(rng, (5, 3))
    loss, grad = unpack(name, call(name, elastic_net_penalty, w, 0.1), 2, "(loss, grad)")
    expected_loss, expected_grad = reference.elastic_net_penalty(w, 0.1)
    if (abs(float(loss) - expected_loss) > LOSS_RTOL[np.float64] * expected_loss
            or not close(grad, expected_grad, RTOL[np.float64])):
        fail(name, "without a beta argument the default beta=0.5 should be used")
    passed(name, count + 1, seed)
