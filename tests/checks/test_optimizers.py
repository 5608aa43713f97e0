"""The hidden checks of 01 Optimizers: references pass, catalogued bugs fail, equivalents pass."""
import pytest

from autograder.checks import optimizers as checks
from autograder.reference import optimizers as reference
from tests.checks.bug_catalogue.optimizers import BUGS, DTYPE_SLIPS, EQUIVALENTS, NEAR_MISSES
from tests.checks.check_harness import shared_tests

EXERCISES = [
    "sgd", "sgd_momentum", "nesterov_momentum", "adagrad", "rmsprop", "adam",
    "step_decay", "exponential_decay", "inverse_time_decay", "cosine_annealing_warm_restarts",
    "newton_step", "lbfgs_direction",
]


def run_check(exercise, function, seed):
    getattr(checks, f"check_{exercise}")(function, seed=seed)


globals().update(shared_tests(
    "optimizers", run_check, lambda exercise: getattr(reference, exercise), EXERCISES, BUGS, NEAR_MISSES,
    EQUIVALENTS, DTYPE_SLIPS))


def test_exception_in_student_code_names_the_error():
    def broken(w, dw, config=None):
        return config["learning_rate"]

    with pytest.raises(AssertionError, match="raised TypeError"):
        run_check("sgd", broken, 0)
