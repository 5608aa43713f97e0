"""A kernel factory: import the heavy modules once, then fork one fresh grading kernel per request.

Run as a script by ``autograder.sandbox.provisioner`` (``python zygote.py CONTROL_FD MODULE...``),
so it imports nothing from ``autograder``: inside the kernel that name is the grading stub.

A kernel started the usual way spends about a second importing ipykernel, numpy, matplotlib and
the course's helpers before the first cell runs. Here they are imported once, before any student
code exists; each kernel is a fork of this clean state, so nothing one student does (globals,
monkeypatches, a patched numpy) can reach the next one. The child confines itself exactly like
``launcher`` describes and then runs ipykernel.

Requests arrive on the inherited socket CONTROL_FD (a SOCK_SEQPACKET socket), one JSON message
each: ``{"argv": [...], "env": {...}, "cwd": ..., "log": ...}``, with at most one descriptor
attached: the kernel's end of its verifier channel, which the kernel inherits as the descriptor
named by ``CS_GRADER_FD``. The answer is ``{"pid": ...}``. The factory exits when the socket
closes.
"""
import ctypes
import importlib
import json
import os
import signal
import socket
import sys
import traceback

import launcher

FACTORY_DIR = os.path.dirname(os.path.abspath(__file__))
PR_SET_PDEATHSIG = 1
CHANNEL_ENV = "CS_GRADER_FD"
MAX_REQUEST_BYTES = 1 << 20


def preload(modules):
    """Import ``modules``; one that fails is left for the kernel to import (and report) itself."""
    for name in modules:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - the student's kernel will show the real error
            pass


def become_kernel(request, control_fd, factory_pid, channel_fd):
    """In the forked child: take the submission's environment, confine, run ipykernel; never returns."""
    status = 1
    try:
        os.close(control_fd)  # the kernel must not be able to ask for kernels of its own
        # Ends with the factory (which ends with its grading process), even if nobody shuts it down.
        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != factory_pid:
            return
        os.setsid()  # its own process group, which jupyter_client signals on interrupt and kill
        for number in (signal.SIGCHLD, signal.SIGTERM, signal.SIGHUP):
            signal.signal(number, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        log = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.close(log)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        if channel_fd is not None:
            os.environ[CHANNEL_ENV] = str(channel_fd)
        split = request["argv"].index("--")
        kernel_args = request["argv"][split + 1:]
        launcher.confine(launcher.parse(request["argv"][:split]),
                                kernel_args[kernel_args.index("-f") + 1])
        # What `python -m ipykernel_launcher` would see: the notebook's folder, PYTHONPATH, the rest.
        python_path = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
        sys.path[:] = [os.getcwd(), *python_path, *sys.path]
        sys.argv = ["ipykernel_launcher", *kernel_args]
        reseed()
        from ipykernel import kernelapp

        kernelapp.launch_new_instance(argv=kernel_args)
        status = 0
    except SystemExit as exit_:
        status = exit_.code if isinstance(exit_.code, int) else 1
    except BaseException:  # noqa: BLE001 - shown in the submission's log; the grader sees a dead kernel
        traceback.print_exc()
    finally:
        os._exit(status)


def reseed():
    """A new process seeds numpy's global generator from the OS; a fork would copy the factory's."""
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        numpy.random.seed()


def serve(control):
    """Answer fork requests until the socket closes."""
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # kernels are reaped as they exit
    while True:
        message, fds, _, _ = socket.recv_fds(control, MAX_REQUEST_BYTES, 1)
        if not message:
            return
        request, channel_fd = json.loads(message), (fds[0] if fds else None)
        factory_pid = os.getpid()
        pid = os.fork()
        if pid == 0:
            become_kernel(request, control.fileno(), factory_pid, channel_fd)
        if channel_fd is not None:
            os.close(channel_fd)
        control.send(json.dumps({"pid": pid}).encode())


def main(argv):
    control = socket.socket(fileno=int(argv[0]))
    # Neither this folder (the real autograder package's files) nor the helper reach the kernels.
    sys.path[:] = [p for p in sys.path if os.path.realpath(p or ".") != os.path.realpath(FACTORY_DIR)]
    del sys.modules["launcher"]
    preload(argv[1:])
    serve(control)


if __name__ == "__main__":
    main(sys.argv[1:])
