"""The hidden checks of 00 Foundations: references pass, catalogued bugs fail, equivalents pass."""
import copy

import nbformat
import numpy as np
import pytest

from autograder.checks import foundations as checks
from autograder.course import SOLUTIONS_DIR
from autograder.reference import foundations as reference
from cs_utils.gradient_check import eval_numerical_gradient_array, rel_error
from tests.checks.bug_catalogue.foundations import BUGS, EQUIVALENTS, NEAR_MISSES
from tests.checks.check_harness import shared_tests

PAIRS = {
    "sigmoid": ("sigmoid_forward", "sigmoid_backward"),
    "tanh": ("tanh_forward", "tanh_backward"),
    "leaky_relu": ("leaky_relu_forward", "leaky_relu_backward"),
    "prelu": ("prelu_forward", "prelu_backward"),
    "elu": ("elu_forward", "elu_backward"),
    "maxout": ("maxout_forward", "maxout_backward"),
    "preprocessing": ("fit_preprocessing", "apply_preprocessing"),
}
SINGLE = {
    "xavier_init": "xavier_init", "he_init": "he_init", "update_ratio": "update_ratio",
    "early_stopping": "EarlyStopping", "sample_log_uniform": "sample_log_uniform",
    "grid_search": "grid_search", "random_search": "random_search", "coarse_to_fine": "coarse_to_fine",
}
EXERCISES = [*PAIRS, *SINGLE]


def _hidden_cell_adapter():
    """The code of the notebook's hidden early-stopping cell that wraps the class for the check."""
    notebook = nbformat.read(SOLUTIONS_DIR / "00_foundations" / "foundations.ipynb", as_version=4)
    source = next(cell.source for cell in notebook.cells if cell.get("id") == "test-early-stopping")
    return source.split("### BEGIN HIDDEN TESTS")[1].split("check_early_stopping(early_stopping_session)")[0]


ADAPTER = _hidden_cell_adapter()


def early_stopping_session(tracker_class):
    """The session the hidden cell builds around ``tracker_class``, built by that cell's own code."""
    namespace = {"EarlyStopping": tracker_class}
    exec(ADAPTER, namespace)  # our own notebook's hidden cell
    return namespace["early_stopping_session"]


def run_check(exercise, function, seed):
    """Run one check; pair exercises take a (forward, backward) or (fit, apply) pair, and the
    early-stopping class is wrapped as the hidden test cell wraps it."""
    check = getattr(checks, f"check_{exercise}")
    if exercise in PAIRS:
        check(*function, seed=seed)
    elif exercise == "early_stopping":
        check(early_stopping_session(function), seed=seed)
    else:
        check(function, seed=seed)


def reference_for(exercise):
    if exercise in PAIRS:
        return tuple(getattr(reference, name) for name in PAIRS[exercise])
    return getattr(reference, SINGLE[exercise])


globals().update(shared_tests(
    "foundations", run_check, reference_for, EXERCISES, BUGS, NEAR_MISSES, EQUIVALENTS))


# The success line tells the student how many hidden checks ran: one per input (and alpha) tried.
CHECK_COUNTS = {"sigmoid": 4, "tanh": 4, "leaky_relu": 7, "elu": 7, "prelu": 3, "maxout": 3, "preprocessing": 9,
                "xavier_init": 4, "he_init": 4, "update_ratio": 4, "early_stopping": 7, "sample_log_uniform": 3,
                "grid_search": 3, "random_search": 4, "coarse_to_fine": 3}


@pytest.mark.parametrize("exercise", EXERCISES)
def test_success_line_counts_the_checks(exercise, capsys):
    run_check(exercise, reference_for(exercise), 0)
    assert capsys.readouterr().out.splitlines()[-1].startswith(f"{exercise}: all {CHECK_COUNTS[exercise]} hidden ")


@pytest.mark.parametrize("exercise", ["xavier_init", "he_init", "sample_log_uniform", "random_search"])
def test_reference_passes_on_many_fresh_seeds(exercise):
    """The statistical checks must not fail a correct implementation by bad luck."""
    for _ in range(25):
        run_check(exercise, reference_for(exercise), None)


@pytest.mark.parametrize("exercise", ["xavier_init", "he_init", "sample_log_uniform", "random_search"])
def test_grading_seeds_hand_the_answer_other_generators(exercise):
    """Each grading seed seeds the generators the answer draws from, so answers cannot be fitted to fixed draws."""
    answer = reference_for(exercise)
    first_draws = {0: [], 1: []}
    for seed, draws in first_draws.items():
        def recording(*args, draws=draws):
            draws.append(copy.deepcopy(args[-1]).random())  # a copy: the answer's own draws stay as they were
            return answer(*args)
        run_check(exercise, recording, seed)
    assert first_draws[0][0] != first_draws[1][0]


# The checks compare backward passes with the reference, so the reference must be the true gradient.

@pytest.mark.parametrize("name, kwargs", [("sigmoid", {}), ("tanh", {}), ("leaky_relu", {"alpha": 0.2}),
                                          ("elu", {"alpha": 0.7})])
def test_reference_activation_gradients_are_numerical_gradients(name, kwargs):
    rng = np.random.default_rng(0)
    x, dout = rng.normal(scale=2.0, size=(6, 5)), rng.normal(size=(6, 5))
    forward, backward = getattr(reference, f"{name}_forward"), getattr(reference, f"{name}_backward")
    numerical = eval_numerical_gradient_array(lambda v: forward(v, **kwargs)[0], x, dout)
    assert rel_error(backward(dout, forward(x, **kwargs)[1]), numerical) < 1e-7


def test_reference_prelu_gradients_are_numerical_gradients():
    rng = np.random.default_rng(1)
    x, alpha, dout = rng.normal(size=(7, 4)), rng.uniform(0.1, 0.5, size=4), rng.normal(size=(7, 4))
    dx, dalpha = reference.prelu_backward(dout, reference.prelu_forward(x, alpha)[1])
    assert rel_error(dx, eval_numerical_gradient_array(lambda v: reference.prelu_forward(v, alpha)[0], x, dout)) < 1e-8
    assert rel_error(dalpha, eval_numerical_gradient_array(lambda v: reference.prelu_forward(x, v)[0],
                                                           alpha, dout)) < 1e-8


def test_reference_maxout_gradients_are_numerical_gradients():
    rng = np.random.default_rng(2)
    x, dout = rng.normal(size=(5, 3)), rng.normal(size=(5, 4))
    params = [rng.normal(size=(3, 4)), rng.normal(size=4), rng.normal(size=(3, 4)), rng.normal(size=4)]
    grads = reference.maxout_backward(dout, reference.maxout_forward(x, *params)[1])
    inputs = [x, *params]
    for index, grad in enumerate(grads):
        def forward(v, index=index):
            values = list(inputs)
            values[index] = v
            return reference.maxout_forward(*values)[0]
        assert rel_error(grad, eval_numerical_gradient_array(forward, inputs[index], dout)) < 1e-8


def test_reference_whitening_whitens_and_centring_uses_training_mean():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(2000, 4)) @ np.diag([3.0, 2.0, 1.0, 0.5]) @ np.linalg.qr(rng.normal(size=(4, 4)))[0] + 5
    white = reference.apply_preprocessing(X, reference.fit_preprocessing(X, "whiten"))
    assert np.allclose(np.cov(white, rowvar=False, bias=True), np.eye(4), atol=1e-3)
    stats = reference.fit_preprocessing(X, "center")
    assert np.allclose(reference.apply_preprocessing(X + 1, stats).mean(axis=0), 1)
