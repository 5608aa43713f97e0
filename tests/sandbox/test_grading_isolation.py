"""Nothing one student's kernel does reaches the next student's, although one grading process and
one warm kernel factory grade them one after the other."""
import nbformat
import pytest
from nbformat.v4 import new_code_cell

from autograder.grading.pools import local as grading
from autograder.grading.options import Options
from autograder.grading.run import grade
from autograder.commands.release import release
from tests import tiny_course as tc

# Every test grades a class, or reads the one that the module's fixture grades.
pytestmark = pytest.mark.slow

# Student A changes everything a kernel can reach: builtins, the environment, a module the kernel
# factory imported before forking (numpy), a course module, sys.modules, its own globals, and,
# files that a later kernel would run at start-up (where the kernel has a private home folder and a
# read-only Python environment, as it does whenever hiding works). Its own mul only works through
# the patched builtins, its add only if the environment was read-only and its confinement held.
POLLUTER_ADD = '''import builtins, os, sys, types
import numpy
import cs_utils.gradient_check

builtins.mul = lambda a, b: a * b
os.environ["LEAKED_BY_A"] = "1"
numpy.LEAKED_BY_A = True
numpy.allclose = lambda *args, **kwargs: True
cs_utils.gradient_check.rel_error = lambda x, y: 0.0
sys.modules["leaked_by_a"] = types.ModuleType("leaked_by_a")
LEAKED_GLOBAL = 1

startup = os.path.expanduser("~/.ipython/profile_default/startup")
if os.path.ismount(os.path.expanduser("~")):  # a private home: safe to write there
    os.makedirs(startup, exist_ok=True)
    with open(os.path.join(startup, "00-leak.py"), "w") as handle:
        handle.write("import builtins\\nbuiltins.mul = lambda a, b: a * b\\n")
# The scratch course's gradebook, three folders up from the notebook's: absent from a sandboxed
# kernel's file system.
HIDDEN = not os.path.exists(os.path.join(os.getcwd(), "..", "..", "..", "gradebook.db"))
try:  # an empty .pth file: harmless, but proof that the environment was writable
    open(os.path.join(sys.prefix, "leaked_by_a.pth"), "w").close()
    os.remove(os.path.join(sys.prefix, "leaked_by_a.pth"))
    PREFIX_WRITABLE = True
except OSError:
    PREFIX_WRITABLE = False
# Nor may the kernel hold capabilities or undo the mount that hides the temporary folder.
import ctypes, re, tempfile
CAPABILITIES = int(re.search(r"CapEff:\\s*(\\w+)", open("/proc/self/status").read()).group(1), 16)
UNMOUNTED = ctypes.CDLL(None).umount2(tempfile.gettempdir().encode(), 2) == 0

def add(a, b):
    return a + b if not (PREFIX_WRITABLE and HIDDEN) and not CAPABILITIES and not UNMOUNTED else 0'''

CALLS_BUILTIN_MUL = '''def mul(a, b):
    import builtins
    return builtins.mul(a, b)'''

# Student B scores on add only if it sees none of A's changes, and on mul only if A's builtins leaked.
VICTIM_ADD = '''import builtins, os, sys
import numpy
import cs_utils.gradient_check

LEAKS = {
    "builtins": hasattr(builtins, "mul"),
    "environment": "LEAKED_BY_A" in os.environ,
    "numpy attribute": hasattr(numpy, "LEAKED_BY_A"),
    "numpy function": numpy.allclose(1.0, 2.0),
    "course module": cs_utils.gradient_check.rel_error(1.0, 2.0) == 0.0,
    "sys.modules": "leaked_by_a" in sys.modules,
    "globals": "LEAKED_GLOBAL" in globals(),
}
print(LEAKS)

def add(a, b):
    return a + b if not any(LEAKS.values()) else 0'''


# Kills the kernel factory (the kernel's parent), and with it its own kernel; a sandboxed kernel
# has no parent in sight (os.getppid() is 0) and only signals its own process group.
FACTORY_KILLER_ADD = '''import os, signal
os.kill(os.getppid(), signal.SIGKILL)

def add(a, b):
    return a + b'''


def _with_imports(notebook):
    """The tiny notebook with numpy and a course module imported first, as the real notebooks do,
    so that the kernel factory imports them before forking."""
    notebook.cells.insert(1, new_code_cell("import numpy\nimport cs_utils.gradient_check", id="imports"))
    return notebook


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("isolation")
    solutions, assignments, submissions = root / "solutions", root / "assignments", root / "submitted"
    path = solutions / tc.ASSIGNMENT / tc.NOTEBOOK
    path.parent.mkdir(parents=True)
    nbformat.write(_with_imports(tc.solution_notebook()), path)
    release(solutions, assignments, show_progress=False)
    released = assignments / tc.ASSIGNMENT / tc.NOTEBOOK
    honest = ("def add(a, b):\n    return a + b", "def mul(a, b):\n    return a * b")
    students = {"a_polluter": (POLLUTER_ADD, CALLS_BUILTIN_MUL), "b_victim": (VICTIM_ADD, CALLS_BUILTIN_MUL),
                "c_factory_killer": (FACTORY_KILLER_ADD, honest[1]), "d_honest": honest}
    for student, (add_source, mul_source) in students.items():
        target = submissions / student / tc.ASSIGNMENT / tc.NOTEBOOK
        target.parent.mkdir(parents=True)
        nbformat.write(tc.student_notebook(released, add_source, mul_source), target)

    processes = set()
    original_start = grading.Slot.start

    def counted_start(slot):
        original_start(slot)
        processes.add(slot.process.pid)

    grading.Slot.start = counted_start
    try:
        # One job: every student goes through the same grading process, in name order.
        results, rows = grade(submissions, root / "out",
                              Options(cell_timeout=20, budget=120, jobs=1, show_progress=False), solutions)
    finally:
        grading.Slot.start = original_start
    return {"rows": {r["student"]: r for r in rows}, "results": {r.student: r for r in results},
            "processes": processes}


def test_every_student_was_graded_by_one_grading_process(graded):
    assert len(graded["processes"]) == 1
    statuses = {student: row["status"] for student, row in graded["rows"].items()}
    sandboxed = graded["results"]["c_factory_killer"].isolation == "isolated"
    killer = "ok" if sandboxed else "kernel-died"
    assert statuses == {"a_polluter": "ok", "b_victim": "ok", "c_factory_killer": killer, "d_honest": "ok"}


def test_a_killed_kernel_factory_is_replaced_for_the_next_kernels(graded):
    # The killer's own kernel dies with the factory (when exactly is up to the system, so its
    # score varies); the next student's kernels come from a new factory.
    assert graded["rows"]["d_honest"]["score"] == 5


def test_kernels_were_confined(graded):
    isolation = {r.isolation for r in graded["results"].values()}
    if isolation != {"isolated"}:
        pytest.skip(f"no namespaces for kernels on this system: {isolation}")
    # The polluter's add is right only if the environment was read-only, no capability was left
    # and the mount hiding the temporary folder could not be undone.
    cells = {c.grade_id: c for c in graded["results"]["a_polluter"].cells}
    assert cells["test_add"].score == 2


def test_the_polluter_changes_took_effect_in_its_own_kernel(graded):
    # mul works only through the patched builtins; add only if the environment was read-only.
    assert graded["rows"]["a_polluter"]["score"] == 5


def test_nothing_leaks_into_the_next_students_kernel(graded):
    cells = {c.grade_id: c for c in graded["results"]["b_victim"].cells}
    assert cells["test_add"].score == 2, cells["test_add"].message
    assert cells["test_mul"].score == 0
    assert graded["rows"]["b_victim"]["score"] == 2


def test_a_submission_over_its_budget_is_stopped_and_the_next_one_still_graded(tmp_path):
    solutions, assignments, submissions = tmp_path / "solutions", tmp_path / "assignments", tmp_path / "submitted"
    tc.write_solutions(solutions)
    release(solutions, assignments, show_progress=False)
    released = assignments / tc.ASSIGNMENT / tc.NOTEBOOK
    # Each slow cell alone outlasts the budget but not the cell limit, so only the budget can stop it;
    # the honest student needs a fraction of the budget even on a loaded machine.
    slow = "import time\ntime.sleep(40)\ndef add(a, b):\n    return a + b"
    students = {"a_slow": tc.student_notebook(released, slow, slow.replace("add", "mul").replace("+", "*")),
                "b_honest": tc.student_notebook(released, "def add(a, b):\n    return a + b",
                                                "def mul(a, b):\n    return a * b")}
    for student, notebook in students.items():
        target = submissions / student / tc.ASSIGNMENT / tc.NOTEBOOK
        target.parent.mkdir(parents=True)
        nbformat.write(notebook, target)
    _, rows = grade(submissions, tmp_path / "out", Options(cell_timeout=60, budget=15, jobs=1, show_progress=False),
                    solutions)
    rows = {r["student"]: r for r in rows}
    assert rows["a_slow"]["status"] == "timeout" and "budget of 15 s" in rows["a_slow"]["message"]
    assert (rows["b_honest"]["status"], rows["b_honest"]["score"]) == ("ok", 5)
