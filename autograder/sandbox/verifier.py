"""The grader's side of hidden checks: run them here, on calls answered by the student's kernel.

A hidden test cell asks (through ``autograder.sandbox.in_kernel.stub``) for a check such as
``autograder.checks.optimizers.check_sgd``; the verifier runs that check in this process with proxies
for the student's functions and records the verdict against the cell that was executing. Scores
of test cells are then capped by these verdicts, so nothing printed, raised or patched inside the
kernel can earn points.

Each kernel gets a channel of its own: a socket pair whose kernel end it inherits from the kernel
factory (``CS_GRADER_FD``; no path any other process could connect to). For each check the
kernel sends, over it, one end of a new socket pair, on which the check then runs. Requests are
tied to the kernel that sent them and the cell that runs: one from an earlier (restarted) kernel
or from outside any cell is refused, and never recorded.
"""
import contextlib
import importlib
import io
import os
import re
import socket
import threading
from dataclasses import dataclass

from autograder.sandbox.in_kernel.channel import Channel, ChannelClosed

REFUSED = "refused: the request came from no running cell of this notebook's kernel"
NOT_RUN = "the cell stopped before its hidden checks ran"
CHECK_CALL = re.compile(r"\b(check_\w+)\s*\(")
CHECK_MODULE = re.compile(r"^autograder\.checks\.[a-z][a-z0-9_]*$")


@dataclass
class Verdict:
    cell: str
    check: str
    passed: bool
    message: str


def expected_checks(source):
    """Names of the hidden checks a test cell's source calls, in order."""
    return CHECK_CALL.findall(source)


class Verifier:
    """Runs the checks that the kernels of one submission ask for, one kernel after the other."""

    def __init__(self, call_timeout):
        self.call_timeout = call_timeout
        self.verdicts = []
        self.current_cell = None
        self.kernel = None  # our end of the channel of the kernel that runs now
        self.channels = []

    def __deepcopy__(self, memo):
        # It reaches nbgrader's objects as configuration, which traitlets deep-copies into each
        # object it configures: they must all share this verifier, its threads and sockets.
        return self

    def open_kernel_channel(self):
        """The socket a new kernel inherits as its channel; requests on every earlier kernel's
        channel are refused from now on."""
        ours, theirs = socket.socketpair()
        self.kernel = ours
        self.channels.append(ours)
        threading.Thread(target=self._listen, args=(ours,), daemon=True).start()
        return theirs

    def _listen(self, kernel):
        while True:
            try:
                message, fds, _, _ = socket.recv_fds(kernel, 1, 1)
            except OSError:
                return
            if not message:
                return
            for number in fds[1:]:
                os.close(number)
            if not fds:
                continue
            try:
                connection = socket.socket(fileno=fds[0])
            except OSError:  # not a socket
                os.close(fds[0])
                continue
            connection.settimeout(self.call_timeout)
            self._serve(Channel(connection), self.current_cell if kernel is self.kernel else None)

    def _serve(self, channel, cell):
        try:
            request = channel.receive()
        except ChannelClosed:
            return
        name, module = str(request.get("name", "")), str(request.get("module", ""))
        output = io.StringIO()
        try:
            if cell is None:
                raise AssertionError(REFUSED)
            if request.get("op") != "check" or not CHECK_MODULE.match(module) or not name.startswith("check_"):
                raise AssertionError(f"unknown hidden check {module}.{name}")
            check = getattr(importlib.import_module(module), name)
            args, kwargs = channel.decode(request["args"]), channel.decode(request["kwargs"])
            with contextlib.redirect_stdout(output):
                check(*args, **kwargs)
            passed, message = True, ""
        except AssertionError as failure:
            passed, message = False, str(failure)
        except ChannelClosed:
            passed, message = False, "the notebook stopped answering the hidden check (interrupted or crashed)"
        except Exception as error:  # noqa: BLE001 - a check that cannot run is a failed check
            passed, message = False, f"the hidden check could not run: {type(error).__name__}: {error}"
        if cell is not None:
            self.verdicts.append(Verdict(cell, name, passed, message))
        with contextlib.suppress(OSError, ChannelClosed):
            channel.send({"op": "verdict", "passed": passed, "message": message, "output": output.getvalue()})
        channel.sock.close()

    def confirm(self, cell, names):
        """(confirmed, message): every expected check ran in ``cell`` and none of its runs failed."""
        runs = [v for v in self.verdicts if v.cell == cell and v.check in names]
        failed = [v for v in runs if not v.passed]
        if failed:
            return False, failed[0].message
        missing = [n for n in names if not any(v.check == n for v in runs)]
        if missing:
            return False, f"{NOT_RUN} ({missing[0]})"
        return True, ""

    def close(self):
        self.kernel = None
        for channel in self.channels:
            with contextlib.suppress(OSError):
                channel.close()
