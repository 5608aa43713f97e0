"""The hidden checks of 02 Regularization: references pass, catalogued bugs fail, equivalents pass."""
import math

import numpy as np
import pytest

from autograder.checks import regularization as checks
from autograder.checks.regularization._shared import assert_keep_rate
from autograder.reference import regularization as reference
from cs_utils.gradient_check import eval_numerical_gradient, eval_numerical_gradient_array, rel_error
from tests.checks.bug_catalogue.regularization import BUGS, DTYPE_SLIPS, EQUIVALENTS, NEAR_MISSES
from tests.checks.check_harness import shared_tests

FORWARD_OF = {
    "vanilla_dropout_backward": "vanilla_dropout_forward",
    "dropout_backward": "dropout_forward",
    "dropconnect_backward": "dropconnect_forward",
    "batchnorm_backward": "batchnorm_forward",
    "batchnorm_backward_alt": "batchnorm_forward",
    "stochastic_depth_backward": "stochastic_depth_forward",
}
EXERCISES = [
    "l2_penalty", "l1_penalty", "elastic_net_penalty",
    "vanilla_dropout_forward", "vanilla_dropout_backward", "dropout_forward", "dropout_backward",
    "dropconnect_forward", "dropconnect_backward",
    "batchnorm_forward", "batchnorm_backward", "batchnorm_backward_alt",
    "stochastic_depth_forward", "stochastic_depth_backward",
    "polyak_update", "ensemble_predict", "snapshot_epochs",
]


def run_check(exercise, function, seed):
    """Run one check; backward exercises take a (backward, forward) pair."""
    check = getattr(checks, f"check_{exercise}")
    if exercise in FORWARD_OF:
        backward, forward = function
        check(backward, forward, seed=seed)
    else:
        check(function, seed=seed)


def reference_for(exercise):
    if exercise in FORWARD_OF:
        return getattr(reference, exercise), getattr(reference, FORWARD_OF[exercise])
    return getattr(reference, exercise)


globals().update(shared_tests(
    "regularization", run_check, reference_for, EXERCISES, BUGS, NEAR_MISSES, EQUIVALENTS, DTYPE_SLIPS))


@pytest.mark.parametrize("exercise", ["dropout_forward", "dropconnect_forward", "stochastic_depth_forward",
                                      "dropout_backward", "batchnorm_forward"])
def test_reference_passes_on_many_fresh_seeds(exercise):
    """The statistical checks must not fail a correct implementation by bad luck."""
    for _ in range(40):
        run_check(exercise, reference_for(exercise), None)


@pytest.mark.parametrize("exercise", sorted(FORWARD_OF))
def test_backward_names_an_unimplemented_forward(exercise):
    def not_implemented(*args, **kwargs):
        raise NotImplementedError()

    with pytest.raises(AssertionError, match=f"your {FORWARD_OF[exercise]}, which is not implemented"):
        run_check(exercise, (getattr(reference, exercise), not_implemented), 0)


def test_exception_in_student_code_names_the_error():
    def broken(x, dropout_param):
        return x * dropout_param["keep"]

    with pytest.raises(AssertionError, match="raised KeyError"):
        run_check("dropout_forward", broken, 0)



def _kept_with_rate(count, rate):
    kept = np.zeros(count, dtype=bool)
    kept[:round(rate * count)] = True
    return kept


@pytest.mark.parametrize("p", [0.2, 0.8])
@pytest.mark.parametrize("sign", [1, -1])
def test_keep_rate_tolerance_is_six_standard_deviations(p, sign):
    count = 10_000
    sigma = math.sqrt(p * (1 - p) / count)
    assert_keep_rate("dropout_forward", _kept_with_rate(count, p + sign * 5.5 * sigma), p, "p", "kept", "a unit")
    with pytest.raises(AssertionError, match="it should be p"):
        assert_keep_rate("dropout_forward", _kept_with_rate(count, p + sign * 6.5 * sigma), p, "p", "kept", "a unit")


def test_keep_rate_within_a_thousandth_passes_however_large_the_tensor():
    # Six standard deviations of 10^7 draws are under 1e-3; the tolerance does not shrink below it.
    count = 10_000_000
    assert_keep_rate("dropout_forward", _kept_with_rate(count, 0.50098), 0.5, "p", "kept", "a unit")
    with pytest.raises(AssertionError, match="it should be p"):
        assert_keep_rate("dropout_forward", _kept_with_rate(count, 0.50102), 0.5, "p", "kept", "a unit")

# The checks compare backward passes with the reference, so the reference must be the true gradient.

def _seeded(param, seed=7):
    return {**param, "seed": seed}


@pytest.mark.parametrize("mode", ["train", "test"])
@pytest.mark.parametrize("variant", ["vanilla_dropout", "dropout"])
def test_reference_dropout_gradients_are_numerical_gradients(variant, mode):
    rng = np.random.default_rng(0)
    x, dout = rng.normal(size=(6, 5)), rng.normal(size=(6, 5))
    forward, backward = getattr(reference, f"{variant}_forward"), getattr(reference, f"{variant}_backward")
    param = _seeded({"p": 0.6, "mode": mode})
    _, cache = forward(x, param)
    numerical = eval_numerical_gradient_array(lambda v: forward(v, param)[0], x, dout)
    assert rel_error(backward(dout, cache), numerical) < 1e-8


@pytest.mark.parametrize("mode", ["train", "test"])
def test_reference_dropconnect_gradients_are_numerical_gradients(mode):
    rng = np.random.default_rng(1)
    x, w, b = rng.normal(size=(4, 2, 3)), rng.normal(size=(6, 5)), rng.normal(size=5)
    dout = rng.normal(size=(4, 5))
    param = _seeded({"p": 0.7, "mode": mode})
    _, cache = reference.dropconnect_forward(x, w, b, param)
    dx, dw, db = reference.dropconnect_backward(dout, cache)
    assert rel_error(dx, eval_numerical_gradient_array(lambda v: reference.dropconnect_forward(v, w, b, param)[0],
                                                       x, dout)) < 1e-8
    assert rel_error(dw, eval_numerical_gradient_array(lambda v: reference.dropconnect_forward(x, v, b, param)[0],
                                                       w, dout)) < 1e-8
    assert rel_error(db, eval_numerical_gradient_array(lambda v: reference.dropconnect_forward(x, w, v, param)[0],
                                                       b, dout)) < 1e-8


@pytest.mark.parametrize("backward", [reference.batchnorm_backward, reference.batchnorm_backward_alt])
def test_reference_batchnorm_gradients_are_numerical_gradients(backward):
    rng = np.random.default_rng(2)
    x = 3 + 2 * rng.normal(size=(7, 4))
    gamma, beta, dout = rng.normal(size=4), rng.normal(size=4), rng.normal(size=(7, 4))
    bn_param = {"mode": "train", "eps": 0.1}

    def forward(x_, gamma_, beta_):
        return reference.batchnorm_forward(x_, gamma_, beta_, dict(bn_param))[0]

    _, cache = reference.batchnorm_forward(x, gamma, beta, dict(bn_param))
    dx, dgamma, dbeta = backward(dout, cache)
    assert rel_error(dx, eval_numerical_gradient_array(lambda v: forward(v, gamma, beta), x, dout)) < 1e-7
    assert rel_error(dgamma, eval_numerical_gradient_array(lambda v: forward(x, v, beta), gamma, dout)) < 1e-8
    assert rel_error(dbeta, eval_numerical_gradient_array(lambda v: forward(x, gamma, v), beta, dout)) < 1e-8


@pytest.mark.parametrize("mode", ["train", "test"])
def test_reference_stochastic_depth_gradients_are_numerical_gradients(mode):
    rng = np.random.default_rng(3)
    x, w, b = rng.normal(size=(12, 4)), rng.normal(size=(4, 4)), rng.uniform(0.2, 0.5, size=4)
    dout = rng.normal(size=(12, 4))
    param = _seeded({"survival": 0.6, "mode": mode})
    _, cache = reference.stochastic_depth_forward(x, w, b, param)
    dx, dw, db = reference.stochastic_depth_backward(dout, cache)
    forward = reference.stochastic_depth_forward
    assert rel_error(dx, eval_numerical_gradient_array(lambda v: forward(v, w, b, param)[0], x, dout)) < 1e-8
    assert rel_error(dw, eval_numerical_gradient_array(lambda v: forward(x, v, b, param)[0], w, dout)) < 1e-8
    assert rel_error(db, eval_numerical_gradient_array(lambda v: forward(x, w, v, param)[0], b, dout)) < 1e-8


@pytest.mark.parametrize("name", ["l2_penalty", "l1_penalty", "elastic_net_penalty"])
def test_reference_penalty_gradients_are_numerical_gradients(name):
    w = np.random.default_rng(4).normal(size=(5, 3))
    penalty = getattr(reference, name)
    _, grad = penalty(w, 0.3)
    assert rel_error(grad, eval_numerical_gradient(lambda v: penalty(v, 0.3)[0], w)) < 1e-8
