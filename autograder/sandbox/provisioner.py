"""Grading kernels forked from a warm kernel factory instead of started from scratch.

``KernelFactory`` runs ``zygote.py`` next to a grading worker; ``ForkProvisioner`` is the
jupyter_client provisioner (entry point ``course-fork``) that the grading kernelspec names, so
nbclient and nbgrader start, interrupt, restart and kill forked kernels as they would any other.

jupyter_client builds the provisioner with the kernel manager as its parent, and nbclient builds
the kernel manager with the configuration of the preprocessor that runs the notebook: so the
factory, the verifier and the log of one grading job reach the provisioner as traitlets
configuration (``ForkProvisioner.factory`` ...), set where the job's nbgrader API is made. The
kernelspec's own ``kernel_provisioner.config`` could carry only what a JSON file holds, not a
running factory.
"""
import contextlib
import json
import os
import select
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

from jupyter_client.provisioning import LocalProvisioner
from traitlets import Instance, Unicode

from autograder.sandbox.verifier import Verifier

ZYGOTE_SCRIPT = Path(__file__).resolve().parent / "zygote.py"
PROVISIONER_NAME = "course-fork"


class KernelFactory:
    """A ``zygote.py`` process with ``modules`` imported, answering on a private socket pair
    (no path a kernel could connect to); it logs where this process logs. One that died is
    replaced on the next request."""

    def __init__(self, modules):
        self.modules = list(modules)
        self.lock = threading.Lock()
        self._start()

    def __deepcopy__(self, memo):
        # Configuration that names it is deep-copied into each object it configures (traitlets):
        # every provisioner must ask this one running factory.
        return self

    def _start(self):
        # Message boundaries kept, so a request and the descriptor sent with it arrive together.
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.process = subprocess.Popen([sys.executable, str(ZYGOTE_SCRIPT), str(theirs.fileno()), *self.modules],
                                        pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL)
        theirs.close()
        self.socket = ours

    def fork(self, argv, env, cwd, log=os.devnull, kernel_channel=None):
        """Start a kernel confined by ``argv`` (see ``autograder.sandbox.zygote``), writing its
        stdout and stderr to ``log``; returns its pid. ``kernel_channel``, when given, makes the
        socket the kernel inherits as its verifier channel (see ``autograder.sandbox.verifier``)."""
        request = json.dumps({"argv": list(argv), "env": dict(env), "cwd": str(cwd), "log": str(log)})
        with self.lock:
            for attempt in range(2):
                if attempt:
                    self.close()
                    self._start()
                channel = kernel_channel() if kernel_channel else None
                try:
                    socket.send_fds(self.socket, [request.encode()], [channel.fileno()] if channel else [])
                    reply = self.socket.recv(4096)
                except OSError:
                    continue
                finally:
                    if channel is not None:
                        channel.close()  # the kernel holds the only copy now
                if reply:
                    return json.loads(reply)["pid"]
        raise RuntimeError(f"the kernel factory exited (status {self.process.poll()})")

    def close(self):
        with contextlib.suppress(OSError):
            self.socket.close()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class ForkedProcess:
    """The part of ``subprocess.Popen`` that jupyter_client uses, for a kernel that is the
    factory's child, not ours: watched and signalled through a pidfd, so a reused pid is never hit."""

    stdin = stdout = stderr = None
    # The factory reaps its kernels, so their exit status never reaches us.
    EXITED = -1

    def __init__(self, pid):
        self.pid, self.returncode = pid, None
        try:
            self.pidfd = os.pidfd_open(pid)
        except ProcessLookupError:
            self.pidfd, self.returncode = None, self.EXITED

    def poll(self):
        if self.returncode is None and select.select([self.pidfd], [], [], 0)[0]:
            self._exited()
        return self.returncode

    def wait(self, timeout=None):
        if self.returncode is None:
            if not select.select([self.pidfd], [], [], timeout)[0]:
                raise subprocess.TimeoutExpired(f"kernel {self.pid}", timeout)
            self._exited()
        return self.returncode

    def _exited(self):
        os.close(self.pidfd)
        self.pidfd, self.returncode = None, self.EXITED

    def send_signal(self, number):
        if self.poll() is None:
            try:
                signal.pidfd_send_signal(self.pidfd, number)
            except ProcessLookupError:
                pass

    def kill(self):
        self.send_signal(signal.SIGKILL)

    def terminate(self):
        self.send_signal(signal.SIGTERM)


class ForkProvisioner(LocalProvisioner):
    """Launches the kernel by asking ``factory`` for a fork."""

    factory = Instance(KernelFactory, allow_none=True, help="the kernel factory that forks the kernels").tag(
        config=True)
    verifier = Instance(Verifier, allow_none=True,
                        help="gives each new kernel its channel for hidden checks").tag(config=True)
    kernel_log = Unicode(os.devnull, help="where the kernels write their stdout and stderr").tag(config=True)

    async def launch_kernel(self, cmd, **kwargs):
        if self.factory is None:
            raise RuntimeError("no kernel factory configured (ForkProvisioner.factory)")
        cwd = kwargs.get("cwd") or os.getcwd()
        env = kwargs.get("env") or os.environ
        channel = self.verifier.open_kernel_channel if self.verifier else None
        self.process = ForkedProcess(self.factory.fork(cmd[1:], env, cwd, self.kernel_log, channel))
        # The child calls setsid() first thing: its group is its pid.
        self.pid = self.pgid = self.process.pid
        self.cwd = cwd
        return self.connection_info

    async def send_signal(self, signum):
        # Once the kernel is gone its pid, and so its group id, may belong to another kernel.
        if self.process is not None and self.process.poll() is None:
            await super().send_signal(signum)
