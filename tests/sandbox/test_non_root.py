"""The sandbox without root (``autograder/sandbox/launcher.py``): real gradings of the tiny course by
``python -m autograder grade`` run as an unprivileged user, where a kernel's processes and threads
are capped by RLIMIT_NPROC instead of a pids cgroup. Each grading runs once as the system allows,
once with namespaces refused and once with mounts refused (a seccomp filter, as some container
runtimes apply), so that the fallbacks of autograder/SECURITY.md run too: each must say what the
kernels got (``isolation``, the grade command's warning) and keep what it promises."""
import ctypes
import errno
import json
import os
import platform
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import pytest

import autograder
from autograder.commands.release import release
from tests import tiny_course as tc
from tests.sandbox.sandbox_harness import kernel_launcher

REPO = Path(autograder.__file__).resolve().parent.parent
PROCESSES = 64
MS_MOVE = 0x2000
PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 38, 22, 2
# (audit architecture, system call numbers) for a seccomp filter
SYSTEM_CALLS = {"x86_64": (0xC000003E, {"unshare": 272, "mount": 165}),
                "aarch64": (0xC00000B7, {"unshare": 97, "mount": 40})}
# mode: (the system call refused, the isolation the kernels then get at best)
MODES = {"as the system allows": (None, "isolated"), "namespaces refused": ("unshare", "not isolated"),
         "mounts refused": ("mount", "partly isolated")}
LEVELS = ["not isolated", "partly isolated", "isolated"]

# Forks until refused; each child becomes a long sleep whose name is MARKER, to be found if left behind.
BOMB = '''import os
forked = 0
try:
    while True:
        if os.fork() == 0:
            try:
                os.execv("/bin/sleep", [{marker!r}, "60"])
            finally:
                os._exit(0)
        forked += 1
finally:
    print("FORKED", forked)

def add(a, b):
    return a + b'''

# What an isolated kernel must not reach: a classmate's submission, this machine's network, other
# processes; and capabilities it must not hold.
SNOOP = '''import json, os, socket
try:
    with open({classmate!r}, "rb") as handle:
        classmate = len(handle.read(1)) == 1
except OSError:
    classmate = False
try:
    socket.create_connection(("127.0.0.1", {port}), timeout=2).close()
    network = True
except OSError:
    network = False
status = open("/proc/self/status").read()
print("SEEN", json.dumps({{"classmate": classmate, "network": network, "pid": os.getpid(),
                          "capabilities": int(status.split("CapEff:")[1].split()[0], 16)}}))

def add(a, b):
    return a + b'''
HONEST_MUL = "def mul(a, b):\n    return a * b"

# Exits 0 where this user may make the sandbox's namespaces and a /proc in them, 2 where only the
# namespaces, 1 where neither.
NAMESPACE_PROBE = f'''import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
uid, gid = os.getuid(), os.getgid()
if libc.unshare({kernel_launcher.CLONE_NEWUSER | kernel_launcher.CLONE_NEWNS | kernel_launcher.CLONE_NEWPID
                 | kernel_launcher.CLONE_NEWNET}) != 0:
    sys.exit(1)
for name, text in (("setgroups", "deny"), ("uid_map", f"{{uid}} {{uid}} 1"), ("gid_map", f"{{gid}} {{gid}} 1")):
    with open(f"/proc/self/{{name}}", "w") as handle:
        handle.write(text)
pid = os.fork()
if pid == 0:
    os._exit(libc.mount(b"proc", b"/proc", b"proc", {kernel_launcher.MS_NOSUID | kernel_launcher.MS_NODEV}, None))
sys.exit(2 if os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) else 0)'''

# Starts THREADS threads in a process that is not dumpable (as a kernel is), then, in another
# process, applies the launcher's limit of COUNT and prints how many threads it could start.
LIMIT_PROBE = '''import ctypes, os, sys, threading, time
sys.path.insert(0, {sandbox!r})
import launcher
ready, go = os.pipe()
holder = os.fork()
if holder == 0:
    ctypes.CDLL(None).prctl(4, 0, 0, 0, 0)
    for _ in range({threads}):
        threading.Thread(target=time.sleep, args=(60,), daemon=True).start()
    os.write(go, b"x")
    time.sleep(60)
    os._exit(0)
os.read(ready, 1)
launcher.limit_processes({count}, None)
started = 0
try:
    while True:
        threading.Thread(target=time.sleep, args=(60,), daemon=True).start()
        started += 1
except RuntimeError:
    pass
print(started)
os.kill(holder, 9)
os._exit(0)'''


class _SocketFilter(ctypes.Structure):
    _fields_ = [("code", ctypes.c_uint16), ("jt", ctypes.c_uint8), ("jf", ctypes.c_uint8), ("k", ctypes.c_uint32)]


class _FilterProgram(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(_SocketFilter))]


def _check(result, what):
    if result != 0:
        raise OSError(ctypes.get_errno(), what)


def _refuse(name):
    """Make the system call ``name`` fail with EPERM in this process and all it starts."""
    architecture, numbers = SYSTEM_CALLS[platform.machine()]
    load, equal, answer = 0x20, 0x15, 0x06
    program = [(load, 0, 0, 4), (equal, 0, 3, architecture), (load, 0, 0, 0), (equal, 0, 1, numbers[name]),
               (answer, 0, 0, 0x00050000 | errno.EPERM), (answer, 0, 0, 0x7FFF0000)]
    filters = (_SocketFilter * len(program))(*program)
    libc = ctypes.CDLL(None, use_errno=True)
    _check(libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no new privileges")
    _check(libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(_FilterProgram(len(program), filters)), 0, 0),
           "seccomp")


def _enterable(folder, uid, gid):
    info = os.stat(folder)
    bit = 0o100 if info.st_uid == uid else 0o010 if info.st_gid == gid else 0o001
    return bool(info.st_mode & bit)


def _show(covered, stage):
    """In a mount namespace of its own (this process is root): cover each folder of ``covered``
    that the user may not enter with an empty one that holds only the paths listed for it, so that
    the user reaches them at their own paths (the Python environment often lies in /root)."""
    libc = ctypes.CDLL(None, use_errno=True)
    _check(libc.unshare(kernel_launcher.CLONE_NEWNS), "unshare")
    _check(libc.mount(None, b"/", None, kernel_launcher.MS_REC | kernel_launcher.MS_PRIVATE, None), "private")
    held = []
    for path in (path for paths in covered.values() for path in paths):
        place = stage / str(len(held))
        place.mkdir(parents=True)
        _check(libc.mount(path.encode(), str(place).encode(), None, kernel_launcher.MS_BIND | kernel_launcher.MS_REC,
                          None), f"hold {path}")
        held.append((place, path))
    for folder in covered:
        _check(libc.mount(b"tmpfs", folder.encode(), b"tmpfs", 0, b"mode=755"), f"cover {folder}")
    for place, path in held:
        os.makedirs(path, exist_ok=True)
        _check(libc.mount(str(place).encode(), path.encode(), None, MS_MOVE, None), f"show {path}")


class User:
    """An unprivileged user to run commands as: this process's own user where it is not root,
    else ``nobody``."""

    def __init__(self, stage):
        self.switch = os.geteuid() == 0
        if not self.switch:
            self.uid, self.gid = os.getuid(), os.getgid()
            self.name = os.environ.get("USER") or str(self.uid)  # a container's user may have no entry
            self.covered = {}
            return
        try:
            entry = pwd.getpwnam("nobody")
        except KeyError:
            pytest.skip("running as root, and there is no user 'nobody' to grade as")
        self.uid, self.gid, self.name = entry.pw_uid, entry.pw_gid, entry.pw_name
        self.stage = stage
        needed = sorted({os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, REPO)})
        needed = [p for p in needed if not any(p.startswith(q + os.sep) for q in needed)]
        self.covered = {}
        for path in needed:
            if not os.stat(path).st_mode & 0o005:
                pytest.skip(f"{path} cannot be read by {self.name}")
            for folder in reversed(Path(path).parents):
                if not _enterable(folder, self.uid, self.gid):
                    self.covered.setdefault(str(folder), []).append(path)
                    break

    def own(self, path):
        if self.switch:
            os.chown(path, self.uid, self.gid)
        return path

    def run(self, command, refuse=None, **kwargs):
        """``subprocess.run`` of ``command`` as this user, with the system call ``refuse`` refused."""
        def become():
            if self.covered:
                _show(self.covered, self.stage / f"held-{os.getpid()}")
            if self.switch:
                os.setgroups([])
                os.setresgid(self.gid, self.gid, self.gid)
                os.setresuid(self.uid, self.uid, self.uid)
            if refuse:
                _refuse(refuse)

        return subprocess.run(command, check=False, preexec_fn=become, capture_output=True, text=True, **kwargs)


@pytest.fixture(scope="module")
def scratch():
    # Not pytest's temporary folder: its root is readable by its owner only.
    folder = Path(tempfile.mkdtemp(prefix="non-root-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder)


@pytest.fixture(scope="module")
def user(scratch):
    return User(scratch)


@pytest.fixture(scope="module")
def course(scratch):
    solutions, assignments, submissions = scratch / "solutions", scratch / "assignments", scratch / "submitted"
    tc.write_solutions(solutions)
    release(solutions, assignments, show_progress=False)
    released = assignments / tc.ASSIGNMENT / tc.NOTEBOOK
    bomb = submissions / "a_bomb" / tc.ASSIGNMENT / tc.NOTEBOOK
    listener = socket.create_server(("127.0.0.1", 0))
    marker = f"left-by-fork-bomb-{scratch.name}"
    sources = {"a_bomb": BOMB.format(marker=marker),
               "b_snoop": SNOOP.format(classmate=str(bomb), port=listener.getsockname()[1])}
    for student, source in sources.items():
        path = submissions / student / tc.ASSIGNMENT / tc.NOTEBOOK
        path.parent.mkdir(parents=True)
        nbformat.write(tc.student_notebook(released, source, HONEST_MUL), path)
    for folder, _, files in os.walk(scratch):
        for path in [folder, *(os.path.join(folder, name) for name in files)]:
            os.chmod(path, 0o755 if os.path.isdir(path) else 0o644)
    yield {"solutions": solutions, "submissions": submissions, "marker": marker}
    listener.close()


def _level(record):
    return next(level for level in LEVELS if record == level or record.startswith((level + ":", level + " (")))


def _printed(out, student, word):
    """What the student's notebook printed after ``word``, as JSON."""
    notebook = nbformat.read(out / "autograded" / student / tc.ASSIGNMENT / tc.NOTEBOOK, as_version=4)
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            if output.get("name") == "stdout" and output.text.startswith(word):
                return json.loads(output.text.split(maxsplit=1)[1])
    raise AssertionError(f"{student} printed no {word}")


def _processes_named(name):
    found = []
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as handle:
                if handle.read().split(b"\0")[0] == name.encode():
                    found.append(int(entry))
        except OSError:
            pass
    return found


@pytest.fixture(scope="module")
def allowed(user):
    """The isolation this system allows the user's kernels: a probe of its own, not the launcher's."""
    probe = user.run([sys.executable, "-c", NAMESPACE_PROBE], cwd="/")
    return {0: "isolated", 2: "partly isolated", 1: "not isolated"}[probe.returncode]


@pytest.fixture(scope="module", params=sorted(MODES))
def graded(request, scratch, user, course, allowed):
    refuse, best = MODES[request.param]
    if refuse and platform.machine() not in SYSTEM_CALLS:
        pytest.skip(f"no seccomp filter written for {platform.machine()}")
    expected = min(best, allowed, key=LEVELS.index)
    name = request.param.replace(" ", "-")
    out, home = scratch / f"out-{name}", scratch / f"home-{name}"
    for folder in (out, home):
        folder.mkdir()
        user.own(folder)
    env = {**os.environ, "HOME": str(home), "USER": user.name, "LOGNAME": user.name,
           "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    command = [sys.executable, "-m", "autograder", "--solutions", str(course["solutions"]), "grade",
               str(course["submissions"]), "--out", str(out), "--jobs", "1", "--timeout", "20", "--budget", "120",
               "--processes", str(PROCESSES), "--quiet"]
    run = user.run(command, refuse=refuse, env=env, cwd=str(scratch), timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
    results = {p.parent.name: json.loads(p.read_text()) for p in (out / "results").glob(f"*/{tc.ASSIGNMENT}.json")}
    return {"mode": request.param, "expected": expected, "run": run, "out": out, "results": results,
            "marker": course["marker"]}


def test_the_run_reports_the_isolation_its_kernels_got(graded):
    records = {result["isolation"] for result in graded["results"].values()}
    assert len(records) == 1, records
    record = records.pop()
    assert _level(record) == graded["expected"], record
    refused = MODES[graded["mode"]][0]
    if refused and graded["expected"] == MODES[graded["mode"]][1]:
        assert refused in record  # the reason names what the system refused
    warned = "warning: kernels were not isolated" in graded["run"].stderr
    assert warned == (record != "isolated"), graded["run"].stderr
    if warned:
        assert record in graded["run"].stderr and "autograder/SECURITY.md" in graded["run"].stderr


def test_a_fork_bomb_is_stopped_by_the_process_limit_and_the_notebook_still_grades(graded):
    result = graded["results"]["a_bomb"]
    assert (result["status"], result["message"]) == ("process-limit", "cell 'add' hit the process limit")
    forked = int(next(
        output.text.split()[1]
        for cell in nbformat.read(graded["out"] / "autograded" / "a_bomb" / tc.ASSIGNMENT / tc.NOTEBOOK, 4).cells
        for output in cell.get("outputs", []) if output.get("text", "").startswith("FORKED")))
    assert 0 < forked < PROCESSES  # the kernel's own threads count too
    scores = {cell["grade_id"]: cell["score"] for cell in result["cells"]}
    assert scores == {"test_add": 0, "test_mul": 3, "answer_why": 0}
    assert (graded["results"]["b_snoop"]["status"],
            sum(cell["score"] for cell in graded["results"]["b_snoop"]["cells"])) == ("ok", 5)


def test_no_process_of_the_fork_bomb_outlives_the_grading(graded):
    for _ in range(50):
        left = _processes_named(graded["marker"])
        if not left:
            break
        time.sleep(0.1)
    assert left == []


def test_what_a_kernel_reaches_is_what_its_isolation_promises(graded):
    """Isolated: nothing of the classmate, the network or other processes. Partly isolated: its own
    processes and network, but the whole file system, classmates' submissions included. Not
    isolated: all the grader's user may reach. Never a capability."""
    level = _level(graded["results"]["b_snoop"]["isolation"])
    seen = _printed(graded["out"], "b_snoop", "SEEN")
    assert seen["classmate"] == (level != "isolated")
    assert seen["network"] == (seen["pid"] != 1) == (level == "not isolated")
    assert seen["capabilities"] == 0


def test_the_process_limit_counts_the_threads_the_user_already_runs(user, scratch):
    """RLIMIT_NPROC counts every thread of the user's processes, kernels graded alongside (not
    dumpable) included: a kernel gets its count on top of all of them, not fewer."""
    script = LIMIT_PROBE.format(sandbox=os.path.dirname(kernel_launcher.__file__), threads=100, count=32)
    probe = user.run([sys.executable, "-c", script], cwd="/", timeout=60)
    assert probe.returncode == 0, probe.stderr
    assert int(probe.stdout) == 32
