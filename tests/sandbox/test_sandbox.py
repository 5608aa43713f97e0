"""The kernel sandbox on its own (``autograder/sandbox/launcher.py``), without a grading run: what a
process sees once ``confine`` returns, and that it ends with its supervisor."""
import json
import os
import signal
import socket
import subprocess
import sys
import time

import pytest

from autograder.sandbox import site as kernel_site
from tests.sandbox.sandbox_harness import confined, kernel_launcher, make_scratch


@pytest.fixture
def scratch(tmp_path):
    yield make_scratch(tmp_path)
    kernel_site.release_cgroup(tmp_path)


def require_isolation(scratch):
    record = (scratch / "kernel.isolation").read_text()
    if record != "isolated":
        pytest.skip(f"no namespaces for kernels on this system: {record}")


def inside(port):
    status = open("/proc/self/status").read()
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
        reached = True
    except OSError:
        reached = False
    return {"pid": os.getpid(), "uid": os.getuid(), "processes": [p for p in os.listdir("/proc") if p.isdigit()],
            "root": sorted(os.listdir("/")), "capabilities": status.split("CapEff:")[1].split()[0],
            "reached": reached, "gradebook": os.path.exists("../../../kernel.isolation")}


def test_a_confined_process_sees_only_itself_and_its_allowlist(scratch):
    listener = socket.create_server(("127.0.0.1", 0))
    try:
        pid, answer = confined(scratch, lambda: inside(listener.getsockname()[1]))
        seen = json.loads(answer.read())
        os.waitpid(pid, 0)
    finally:
        listener.close()
    require_isolation(scratch)
    assert (seen["pid"], seen["processes"]) == (1, ["1"])
    assert seen["capabilities"] == "0000000000000000"
    assert not seen["reached"] and not seen["gradebook"]
    assert set(seen["root"]) <= {"bin", "dev", "etc", "lib", "lib32", "lib64", "proc", "sbin", "sys", "tmp", "usr",
                                 *[part for part in (sys.prefix.split("/")[1], os.path.expanduser("~").split("/")[1])]}
    if os.geteuid() == 0:
        assert seen["uid"] == kernel_launcher.KERNEL_UID_BASE + pid


def test_a_kernel_ends_with_its_supervisor(scratch):
    pid, answer = confined(scratch, lambda: time.sleep(60))
    time.sleep(1)
    require_isolation(scratch)
    kernel = int(subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    for _ in range(50):
        if not os.path.exists(f"/proc/{kernel}"):
            break
        time.sleep(0.1)
    assert not os.path.exists(f"/proc/{kernel}")
    answer.close()
