"""The hidden checks of 04 Transfer learning: references pass, catalogued bugs fail, equivalents pass."""
import pytest
import torch

from autograder.checks import transfer as checks
from autograder.reference import transfer as reference
from tests.bug_catalogue.transfer import BUGS, EQUIVALENTS
from tests.check_harness import shared_tests

EXERCISES = ["get_device", "freeze_backbone", "replace_head", "make_finetune_optimizer", "train_one_epoch",
             "evaluate", "extract_features"]


pytestmark = pytest.mark.usefixtures("single_torch_thread")


def run_check(exercise, function, seed):
    getattr(checks, f"check_{exercise}")(function, seed=seed)


@pytest.fixture(autouse=True)
def _grad_mode_restored():
    yield
    torch.set_grad_enabled(True)


test_reference_passes, test_catalogued_bug_fails, test_equivalent_formulation_passes = shared_tests(
    run_check, lambda exercise: getattr(reference, exercise), EXERCISES, BUGS, EQUIVALENTS)


def test_catalogue_covers_every_exercise():
    assert {exercise for exercise, _, _ in BUGS.values()} == set(EXERCISES)
    assert len(BUGS) >= 8


def test_seeds_are_fresh_by_default(capsys):
    checks.check_freeze_backbone(reference.freeze_backbone)
    checks.check_freeze_backbone(reference.freeze_backbone)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] != lines[1]


def test_checks_leave_torch_random_state_alone():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    checks.check_train_one_epoch(reference.train_one_epoch, seed=0)
    checks.check_evaluate(reference.evaluate, seed=0)
    assert torch.equal(torch.rand(3), expected)


@pytest.mark.parametrize("exercise", EXERCISES)
def test_unimplemented_function_is_reported(exercise):
    def not_implemented(*args, **kwargs):
        raise NotImplementedError()

    with pytest.raises(AssertionError, match="not implemented"):
        run_check(exercise, not_implemented, 0)


def test_exception_in_student_code_names_the_error():
    def broken(model, loader, optimizer, device, scaler=None):
        return model.head

    with pytest.raises(AssertionError, match="raised AttributeError"):
        run_check("train_one_epoch", broken, 0)


def test_simulated_cuda_is_undone():
    available = torch.cuda.is_available()
    with pytest.raises(AssertionError):
        run_check("get_device", lambda: 1 / 0, 0)
    assert torch.cuda.is_available() == available
