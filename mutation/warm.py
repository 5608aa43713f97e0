"""pytest in a fork of a process that has already imported the heavy libraries.

Cosmic Ray runs the test command once per mutant; a fresh interpreter spends more time importing
numpy, torch, pytest and nbgrader than most mutants' tests take. ``serve`` imports those once and
forks for every request; ``run`` is the test command: it hands its own stdout to the fork and exits
with pytest's status. The server never imports the project, so each fork imports the mutated files.

    python mutation/warm.py serve SOCKET [MODULE ...]
    python mutation/warm.py run SOCKET [PYTEST ARGUMENT ...]
"""
import gc
import json
import os
import select
import signal
import socket
import sys


def serve(path, preload):
    import importlib

    for name in preload:
        importlib.import_module(name)
    import pytest

    # The imported objects move to a permanent generation: a fork's garbage collections skip them
    # instead of touching, and so copying, every page the server holds.
    gc.freeze()

    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen()
    while True:
        connection, _ = listener.accept()
        with connection:
            message, fds, _, _ = socket.recv_fds(connection, 1 << 16, 1)
            pid = os.fork()
            if pid == 0:
                listener.close()
                os.setpgid(0, 0)
                os.dup2(fds[0], 1)
                os.dup2(fds[0], 2)
                status = pytest.main(json.loads(message))
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(int(status))
            os.close(fds[0])
            status = _wait(pid, connection)
            if status is not None:
                connection.sendall(str(status).encode())


def _wait(pid, connection):
    """The fork's exit status, or None when the client went away first (Cosmic Ray's timeout
    killed it): then the fork and whatever it started are killed too."""
    child = os.pidfd_open(pid)
    try:
        ready, _, _ = select.select([connection, child], [], [])
    finally:
        os.close(child)
    if child not in ready:
        os.killpg(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        return None
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def run(path, arguments):
    """pytest's exit status; a server that answers nothing counts as a failed run, and the
    driver's unmutated runs before and after each module catch a broken server."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
        connection.connect(path)
        socket.send_fds(connection, [json.dumps(arguments).encode()], [sys.stdout.fileno()])
        reply = connection.recv(16)
    return int(reply) if reply else 1


if __name__ == "__main__":
    command, socket_path, *rest = sys.argv[1:]
    if command == "serve":
        serve(socket_path, rest)
    else:
        sys.exit(run(socket_path, rest))
