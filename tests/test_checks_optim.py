"""The hidden checks of 01 Optimizers: references pass, catalogued bugs fail, equivalents pass."""
import pytest

from autograder.checks import optim as checks
from autograder.reference import optim as reference
from tests.bug_catalogue.optim import BUGS, EQUIVALENTS

EXERCISES = [
    "sgd", "sgd_momentum", "nesterov_momentum", "adagrad", "rmsprop", "adam",
    "step_decay", "exponential_decay", "inverse_time_decay", "cosine_annealing_warm_restarts",
    "newton_step", "lbfgs_direction",
]
SEEDS = [0, 1, 2, 12345, 2**32 - 1]


def run_check(exercise, function, seed):
    getattr(checks, f"check_{exercise}")(function, seed=seed)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("exercise", EXERCISES)
def test_reference_passes(exercise, seed, capsys):
    run_check(exercise, getattr(reference, exercise), seed)
    assert f"{exercise}: all" in capsys.readouterr().out


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("bug", sorted(BUGS))
def test_catalogued_bug_fails(bug, seed):
    exercise, function, words = BUGS[bug]
    with pytest.raises(AssertionError) as failure:
        run_check(exercise, function, seed)
    message = str(failure.value)
    assert message.startswith(f"{exercise}: ")
    assert words in message


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("name", sorted(EQUIVALENTS))
def test_equivalent_formulation_passes(name, seed):
    exercise, function = EQUIVALENTS[name]
    run_check(exercise, function, seed)


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
