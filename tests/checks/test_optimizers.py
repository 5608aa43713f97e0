"""The hidden checks of 01 Optimizers: references pass, catalogued bugs fail, equivalents pass."""
import pytest

from autograder.checks import optimizers as checks
from autograder.reference import optimizers as reference
from tests.checks.bug_catalogue.optimizers import BUGS, DTYPE_SLIPS, EQUIVALENTS
from tests.checks.check_harness import shared_tests

EXERCISES = [
    "sgd", "sgd_momentum", "nesterov_momentum", "adagrad", "rmsprop", "adam",
    "step_decay", "exponential_decay", "inverse_time_decay", "cosine_annealing_warm_restarts",
    "newton_step", "lbfgs_direction",
]


def run_check(exercise, function, seed):
    getattr(checks, f"check_{exercise}")(function, seed=seed)


(test_reference_passes, test_catalogued_bug_fails, test_equivalent_formulation_passes,
 test_dtype_slip_keeps_the_points_with_a_note) = shared_tests(
    run_check, lambda exercise: getattr(reference, exercise), EXERCISES, BUGS, EQUIVALENTS, DTYPE_SLIPS)


def test_catalogue_covers_every_exercise():
    assert {exercise for exercise, _, _ in BUGS.values()} == set(EXERCISES)
    assert len(BUGS) >= 15


def test_seeds_are_fresh_by_default(capsys):
    checks.check_sgd(reference.sgd)
    checks.check_sgd(reference.sgd)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] != lines[1]


@pytest.mark.parametrize("exercise", ["sgd", "adam", "lbfgs_direction", "step_decay"])
def test_unimplemented_function_is_reported(exercise):
    def not_implemented(*args, **kwargs):
        raise NotImplementedError()

    with pytest.raises(AssertionError, match="not implemented"):
        run_check(exercise, not_implemented, 0)


def test_exception_in_student_code_names_the_error():
    def broken(w, dw, config=None):
        return config["learning_rate"]

    with pytest.raises(AssertionError, match="raised TypeError"):
        run_check("sgd", broken, 0)
