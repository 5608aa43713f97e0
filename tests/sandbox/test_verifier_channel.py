"""The verifier's channel: only the kernel that runs now, inside a cell, gets its requests recorded."""
import pytest

from autograder.sandbox.in_kernel import channel as remote
from autograder.sandbox.verifier import REFUSED, Verifier


def wrong_sgd(w, dw, config=None):
    return w + dw, config or {}


def ask(kernel_end, function=wrong_sgd):
    """What the stub in a kernel does: a check request over the inherited channel."""
    channel = remote.connect(kernel_end.fileno(), timeout=20)
    try:
        channel.send({"op": "check", "module": "autograder.checks.optimizers", "name": "check_sgd",
                      "args": channel.encode([function]), "kwargs": channel.encode({})})
        return channel.serve_until_reply()
    finally:
        channel.sock.close()


@pytest.fixture
def verifier():
    verifier = Verifier(call_timeout=20)
    yield verifier
    verifier.close()


def test_a_request_in_a_cell_is_run_and_recorded(verifier):
    kernel_end = verifier.open_kernel_channel()
    verifier.current_cell = "test_sgd"
    verdict = ask(kernel_end)
    assert not verdict["passed"] and "sgd" in verdict["message"]
    assert [(v.cell, v.check, v.passed) for v in verifier.verdicts] == [("test_sgd", "check_sgd", False)]


def test_a_request_outside_any_cell_is_refused_and_not_recorded(verifier):
    kernel_end = verifier.open_kernel_channel()
    verdict = ask(kernel_end)
    assert (verdict["passed"], verdict["message"]) == (False, REFUSED)
    assert verifier.verdicts == []


def test_a_request_from_an_earlier_kernel_is_refused_and_not_recorded(verifier):
    earlier = verifier.open_kernel_channel()
    verifier.open_kernel_channel()  # the kernel was restarted
    verifier.current_cell = "test_sgd"
    assert ask(earlier)["message"] == REFUSED
    assert verifier.verdicts == []
