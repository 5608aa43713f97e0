"""The hidden checks of 04 Transfer learning: references pass, catalogued bugs fail, equivalents pass,
also over the grader-kernel channel; forged observations fail; the kernel gets no check code."""
import contextlib
import hashlib
import json
import os
import socket
import subprocess
import sys
import threading

import pytest
import torch

from autograder.checks import transfer_learning as checks
from autograder.sandbox.site import write_stub_package
from autograder.reference import transfer_learning as reference
from autograder.sandbox.in_kernel.channel import Channel, ChannelClosed
from autograder.checks.transfer_learning.probe import Probe
from tests.checks.bug_catalogue.transfer_learning import BUGS, EQUIVALENTS, NEAR_MISSES
from tests.checks.check_harness import SEEDS, shared_tests
from tests.checks.check_traces import assert_recorded, fingerprint
from tests.hostile.hostile_transfer_catalogue import FORGED_OBSERVATIONS

EXERCISES = ["get_device", "freeze_backbone", "replace_head", "make_finetune_optimizer", "train_one_epoch",
             "evaluate", "extract_features"]


pytestmark = pytest.mark.usefixtures("single_torch_thread")


def run_check(exercise, function, seed):
    getattr(checks, f"check_{exercise}")(function, seed=seed)


@pytest.fixture(autouse=True)
def _grad_mode_restored():
    yield
    torch.set_grad_enabled(True)


globals().update(shared_tests(
    "transfer_learning", run_check, lambda exercise: getattr(reference, exercise), EXERCISES, BUGS, NEAR_MISSES,
    EQUIVALENTS))


def test_checks_leave_torch_random_state_alone():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    checks.check_train_one_epoch(reference.train_one_epoch, seed=0)
    checks.check_evaluate(reference.evaluate, seed=0)
    assert torch.equal(torch.rand(3), expected)


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


@pytest.fixture
def kernel_side():
    """exported(function) -> a grader-side proxy of the kernel's Probe of ``function``, over a real
    plain-data channel served by a thread, as during grading."""
    grader_socket, kernel_socket = socket.socketpair()
    grader, kernel = Channel(grader_socket), Channel(kernel_socket)

    def serve():
        with contextlib.suppress(ChannelClosed):
            kernel.serve_until_reply()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield lambda function: grader.decode(kernel.encode(Probe(function)))
    grader_socket.close()
    kernel_socket.close()
    thread.join(timeout=5)


@pytest.mark.parametrize("exercise", EXERCISES)
def test_checks_run_over_the_plain_data_channel(exercise, kernel_side, capsys):
    run_check(exercise, kernel_side(getattr(reference, exercise)), 7)
    assert capsys.readouterr().out.splitlines()[-1].startswith(f"{exercise}: all")


# Over the channel the observations are decoded afresh: strings compared by value, not identity.
@pytest.mark.parametrize("bug", [pytest.param(bug, id=f"{BUGS[bug][0]}-{bug}") for bug in (
    "missing zero_grad", "loss returned as a tensor", "accuracy as a count", "features_as_lists",
    "new head in float32")])
def test_a_bug_fails_over_the_channel_with_its_message(bug, kernel_side):
    exercise, function, words = BUGS[bug]
    with pytest.raises(AssertionError) as failure:
        run_check(exercise, kernel_side(function), 7)
    assert words in str(failure.value)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("exercise", EXERCISES)
def test_recorded_scenarios(exercise, seed, monkeypatch):
    """The recorded inputs see the probe's loader as an object only: the scenarios the check sends
    (batches and their labels, model sizes and flags, seeds) are recorded as well."""
    scenarios = []
    honest = Probe.__call__

    def recording(self, scenario):
        scenarios.append(fingerprint(scenario))
        return honest(self, scenario)

    monkeypatch.setattr(Probe, "__call__", recording)
    run_check(exercise, getattr(reference, exercise), seed)
    digest = hashlib.sha256(json.dumps(scenarios, sort_keys=True).encode()).hexdigest()[:24]
    assert_recorded("transfer_learning", f"{exercise} scenarios", seed, digest)


def test_evaluate_gives_no_batch_mean_hint_for_another_wrong_accuracy():
    exercise, function, words = NEAR_MISSES["evaluate_accuracy_in_float32"]
    with pytest.raises(AssertionError) as failure:
        run_check(exercise, function, 0)
    assert words in str(failure.value) and "per-batch" not in str(failure.value)


def test_warm_up_builds_an_optimizer():
    checks.warm_up()


@pytest.mark.parametrize("exercise", [exercise for exercise in EXERCISES if exercise != "get_device"])
def test_forged_observations_fail(exercise, monkeypatch):
    """The hostile catalogue's forger: observations that claim success without running anything.
    (get_device is left out: its observation, the device chosen and the text printed, is the whole
    answer, so writing the right one into it is writing get_device.)"""
    monkeypatch.setattr(Probe, "__call__", Probe.__call__)  # restored after the test
    namespace = {}
    exec(FORGED_OBSERVATIONS.replace('forged_exercises = {"train_one_epoch"}', f"forged_exercises = {{{exercise!r}}}"), namespace)
    with pytest.raises(AssertionError):
        run_check(exercise, getattr(reference, exercise), 3)


def test_the_kernel_gets_no_check_or_reference_code(tmp_path):
    write_stub_package(tmp_path)
    files = {path.relative_to(tmp_path).as_posix(): path.read_text() for path in tmp_path.rglob("*.py")}
    assert "autograder/checks/transfer_learning/probe.py" in files
    assert not any("reference" in path or "def check_" in text or "autograder.reference" in text
                   for path, text in files.items())
    probe_source = files["autograder/checks/transfer_learning/probe.py"]
    assert "from autograder" not in probe_source and "import autograder" not in probe_source
    script = ("from autograder.checks.transfer_learning import check_train_one_epoch\n"
              "try:\n    import autograder.reference.transfer_learning\nexcept ModuleNotFoundError as error:\n"
              "    print('refused:', error)\n")
    result = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True,
                            env={**os.environ, "PYTHONPATH": str(tmp_path)}, timeout=120)
    assert "refused: autograder.reference" in result.stdout, result.stderr


def test_evaluate_names_no_swap_when_the_loss_is_returned_twice():
    def loss_twice(model, loader, device):
        loss, _ = reference.evaluate(model, loader, device)
        return loss, loss

    for seed in SEEDS:
        with pytest.raises(AssertionError) as failure:
            run_check("evaluate", loss_twice, seed)
        assert "accuracy" in str(failure.value) and "swapped" not in str(failure.value)
