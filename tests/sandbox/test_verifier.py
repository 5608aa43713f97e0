"""The verifier: which checks a test cell expects, how each request is answered and recorded, and
when a cell's verdicts confirm its score."""
import copy
import os
import socket
import sys
import threading
import types

import pytest

from autograder.sandbox.in_kernel import channel as remote
from autograder.sandbox.in_kernel.channel import Channel, ChannelClosed
from autograder.sandbox.verifier import NOT_RUN, REFUSED, Verdict, Verifier, expected_checks


def test_expected_checks_are_the_check_calls_in_order():
    source = "from autograder.checks.optimizers import check_sgd, check_adam\ncheck_adam (adam)\n" \
             "check_sgd(sgd)  # check_later\nrecheck_sgd(x)\nmy_check_sgd(x)\ncheck_\n"
    assert expected_checks(source) == ["check_adam", "check_sgd"]
    assert expected_checks("check_a(x); check_b_2(y)") == ["check_a", "check_b_2"]
    assert expected_checks("print(check_sgd)") == []


@pytest.fixture
def checks(monkeypatch):
    """A check module of our own: passing, failing and broken checks."""
    module = types.ModuleType("autograder.checks.fake")

    def check_passes(value, scale=1):
        print(f"checked {value * scale}")

    def check_fails(value):
        print("before failing")
        raise AssertionError(f"fails: {value}")

    def check_broken(value):
        raise ValueError("boom")

    def check_disconnects(value):
        raise ChannelClosed("gone")

    for function in (check_passes, check_fails, check_broken, check_disconnects):
        setattr(module, function.__name__, function)
    module.helper = check_passes
    monkeypatch.setitem(sys.modules, module.__name__, module)
    return module


class FakeChannel:
    """A channel already holding one request; records what the verifier sends back."""

    def __init__(self, request=None, send_error=None):
        self.request, self.send_error, self.sent = request, send_error, []
        self.sock = types.SimpleNamespace(closed=False)
        self.sock.close = lambda: setattr(self.sock, "closed", True)

    def receive(self):
        if self.request is None:
            raise ChannelClosed("closed before asking")
        return self.request

    def decode(self, value):
        return value

    def send(self, message):
        if self.send_error:
            raise self.send_error
        self.sent.append(message)


def request(name, *args, module="autograder.checks.fake", op="check", **kwargs):
    return {"op": op, "module": module, "name": name, "args": list(args), "kwargs": kwargs}


def serve(message, cell="test_cell", **options):
    verifier = Verifier(call_timeout=5)
    channel = FakeChannel(message, **options)
    verifier._serve(channel, cell)
    return verifier, channel


def test_a_passing_check_is_recorded_with_its_printed_output(checks):
    verifier, channel = serve(request("check_passes", 2, scale=3))
    assert channel.sock.closed
    assert verifier.verdicts == [Verdict("test_cell", "check_passes", True, "")]
    assert channel.sent == [{"op": "verdict", "passed": True, "message": "", "output": "checked 6\n"}]


@pytest.mark.parametrize("name, message", [
    ("check_fails", "fails: 4"),
    ("check_broken", "the hidden check could not run: ValueError: boom"),
    ("check_disconnects", "the notebook stopped answering the hidden check (interrupted or crashed)"),
])
def test_a_check_that_does_not_pass_is_recorded_as_failed(checks, name, message):
    verifier, channel = serve(request(name, 4))
    assert verifier.verdicts == [Verdict("test_cell", name, False, message)]
    assert channel.sent[0]["passed"] is False and channel.sent[0]["message"] == message
    assert channel.sent[0]["output"] == ("before failing\n" if name == "check_fails" else "")


@pytest.mark.parametrize("message", [
    request("check_passes", 1, op="call"),
    request("check_passes", 1, op=None),
    request("helper", 1),
    request("check_passes", 1, module="os"),
    request("check_passes", 1, module="autograder.checks"),
    request("check_passes", 1, module="autograder.checks._common"),
    request("check_passes", 1, module="autograder.checks.fake.inner"),
    request("check_passes", 1, module="xautograder.checks.fake"),
    request("check_passes", 1, module="autograder.checks.Fake"),
    {"op": "check", "args": [], "kwargs": {}},
])
def test_only_check_functions_of_check_modules_run(checks, message):
    verifier, channel = serve(message)
    expected = f"unknown hidden check {message.get('module', '')}.{message.get('name', '')}"
    assert verifier.verdicts == [Verdict("test_cell", str(message.get("name", "")), False, expected)]
    assert channel.sent[0]["message"] == expected


def test_a_request_from_no_cell_is_refused_and_not_recorded(checks):
    verifier, channel = serve(request("check_passes", 1), cell=None)
    assert channel.sock.closed
    assert verifier.verdicts == []
    assert channel.sent == [{"op": "verdict", "passed": False, "message": REFUSED, "output": ""}]


def test_a_channel_closed_before_the_request_records_nothing(checks):
    verifier, channel = serve(None)
    assert verifier.verdicts == [] and channel.sent == []


@pytest.mark.parametrize("error", [OSError("broken pipe"), ChannelClosed("gone")])
def test_a_verdict_that_cannot_be_sent_is_still_recorded(checks, error):
    verifier, channel = serve(request("check_passes", 1), send_error=error)
    assert channel.sock.closed
    assert verifier.verdicts == [Verdict("test_cell", "check_passes", True, "")]


def test_confirm_needs_every_expected_check_run_and_none_failed():
    verifier = Verifier(call_timeout=5)
    verifier.verdicts = [Verdict("a", "check_x", True, ""), Verdict("a", "check_y", False, "y is wrong"),
                         Verdict("a", "check_y", False, "y again"), Verdict("b", "check_x", False, "b only"),
                         Verdict("a", "check_z", True, ""), Verdict("c", "check_x", True, "")]
    assert verifier.confirm("a", ["check_x"]) == (True, "")
    assert verifier.confirm("a", ["".join(["check_", "x"])]) == (True, "")  # equal names, not the same object
    assert verifier.confirm("a", ["check_x", "check_y"]) == (False, "y is wrong")
    assert verifier.confirm("a", ["check_x", "check_w", "check_v"]) == (False, f"{NOT_RUN} (check_w)")
    assert verifier.confirm("a", []) == (True, "")
    assert verifier.confirm("b", ["check_x", "check_w"]) == (False, "b only")
    assert verifier.confirm("c", ["check_z"]) == (False, f"{NOT_RUN} (check_z)")
    assert verifier.confirm("d", ["check_x"]) == (False, f"{NOT_RUN} (check_x)")
    assert verifier.confirm("c", ["check_x", "check_y"]) == (False, f"{NOT_RUN} (check_y)")
    assert verifier.confirm("c", ["check_w", "check_x"]) == (False, f"{NOT_RUN} (check_w)")
    verifier.verdicts.append(Verdict("cell_two", "check_x", True, ""))
    assert verifier.confirm("".join(["cell_", "two"]), ["check_x"]) == (True, "")  # equal, not the same object
    verifier.verdicts.append(Verdict("a", "check_x", False, "x failed later"))
    assert verifier.confirm("a", ["check_x"]) == (False, "x failed later")


def ask(kernel_end, name="check_passes"):
    """A check request over the kernel's channel, as the kernel's stub sends it."""
    channel = remote.connect(kernel_end.fileno(), timeout=5)
    try:
        channel.send({"op": "check", "module": "autograder.checks.fake", "name": name,
                      "args": channel.encode([5]), "kwargs": channel.encode({})})
        return channel.serve_until_reply()
    finally:
        channel.sock.close()


def test_noise_on_the_kernel_channel_is_dropped_and_the_next_request_served(checks):
    verifier = Verifier(call_timeout=7)
    kernel_end = verifier.open_kernel_channel()
    verifier.current_cell = "cell"
    kernel_end.send(b"no descriptor")
    read_end, write_end = os.pipe()
    socket.send_fds(kernel_end, [b"x"], [read_end])  # not a socket: closed, not served
    os.close(read_end)
    first, second = socket.socketpair()
    extra_read, extra_write = os.pipe()
    socket.send_fds(kernel_end, [b"c"], [second.fileno(), extra_read])  # a socket, then extra descriptors
    second.close()
    os.close(extra_read)
    channel = Channel(first)
    channel.send({"op": "check", "module": "autograder.checks.fake", "name": "check_passes",
                  "args": channel.encode([1]), "kwargs": channel.encode({})})
    assert channel.serve_until_reply()["output"] == "checked 1\n"
    first.close()
    with pytest.raises(BrokenPipeError):
        os.write(write_end, b"?")  # the verifier closed its copy of the pipe's read end
    with pytest.raises(BrokenPipeError):
        os.write(extra_write, b"?")
    assert ask(kernel_end)["passed"] is True
    assert [v.cell for v in verifier.verdicts] == ["cell", "cell"]
    verifier.close()
    os.close(write_end)
    os.close(extra_write)


def test_a_check_connection_that_sends_nothing_is_given_up_after_the_call_timeout(checks):
    verifier = Verifier(call_timeout=0.3)
    kernel_end = verifier.open_kernel_channel()
    verifier.current_cell = "cell"
    silent, second = socket.socketpair()
    socket.send_fds(kernel_end, [b"c"], [second.fileno()])
    second.close()
    assert ask(kernel_end)["passed"] is True  # served once the silent one timed out
    assert verifier.verdicts == [Verdict("cell", "check_passes", True, "")]
    silent.close()
    verifier.close()


def listener_threads():
    return [thread for thread in threading.enumerate() if thread.name.endswith("(_listen)")]


def test_a_closed_verifier_stops_listening_without_an_error(checks, monkeypatch):
    errors = []
    monkeypatch.setattr(threading, "excepthook", errors.append)
    started, release = threading.Event(), threading.Event()
    checks.check_waits = lambda value: (started.set(), release.wait(5))
    verifier = Verifier(call_timeout=5)
    before = set(listener_threads())
    kernel_end = verifier.open_kernel_channel()
    (listener,) = set(listener_threads()) - before
    assert listener.daemon  # never keeps the grader from exiting
    verifier.current_cell = "cell"
    asking = threading.Thread(target=ask, args=(kernel_end, "check_waits"))
    asking.start()
    assert started.wait(5)
    verifier.close()  # while the check runs
    release.set()
    asking.join(5)
    listener.join(5)
    assert not listener.is_alive() and errors == []
    kernel_end.close()


def test_close_closes_every_kernel_channel():
    verifier = Verifier(call_timeout=5)
    ends = [verifier.open_kernel_channel() for _ in range(2)]
    assert verifier.kernel is verifier.channels[1] and len(verifier.channels) == 2
    verifier.close()
    assert verifier.kernel is None
    assert all(channel.fileno() == -1 for channel in verifier.channels)
    for end in ends:
        end.close()


def test_a_deep_copy_is_the_verifier_itself():
    verifier = Verifier(call_timeout=5)
    assert copy.deepcopy({"verifier": verifier})["verifier"] is verifier
