"""The tiny course graded once, with a student of each kind (``autograder/commands/samples.py``) and
a few more; shared by the pipeline and output-contract tests (``conftest.py``)."""
import hashlib
import os
from pathlib import Path

import nbformat

from autograder.commands.release import release
from autograder.commands.samples import write_samples
from autograder.grading.options import Options
from autograder.grading.run import grade
from autograder.grading.scratch import RUN_PREFIX
from autograder.sandbox.launcher import PIDS_CGROUP_ROOTS
from tests import tiny_course as tc

OPTIONS = Options(cell_timeout=10, budget=120, jobs=2, show_progress=False)


def tree_digest(folder):
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(folder)).encode() + path.read_bytes())
    return digest.hexdigest()


def kernel_cgroups():
    """The pids cgroups of the kernels of the grading runs of this process (not of other runs on
    the machine)."""
    pattern = f"course-kernel-{RUN_PREFIX}{os.getpid()}-*"
    return {group for root in PIDS_CGROUP_ROOTS if Path(root).is_dir() for group in Path(root).glob(pattern)}


def _drop_cell(grade_id):
    def edit(notebook):
        notebook.cells = [c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade_id") != grade_id]
    return edit


def _replace_test(grade_id, source):
    def edit(notebook):
        for cell in notebook.cells:
            if cell.metadata.get("nbgrader", {}).get("grade_id") == grade_id:
                cell.source = source
    return edit


def grade_tiny_course(root):
    """Release the tiny course under ``root``, write its sample class and a few more students, and
    grade them into ``root/out``."""
    solutions, assignments = root / "solutions", root / "assignments"
    tc.write_solutions(solutions)
    release(solutions, assignments, show_progress=False)
    submissions = write_samples(solutions, assignments, root / "samples")
    released = assignments / tc.ASSIGNMENT / tc.NOTEBOOK
    extra = {
        # Deleted test cell: restored from the gradebook, still grades the student's own mul.
        "gus_deleted_test": tc.student_notebook(released, "def add(a, b):\n    return a - b",
                                                "def mul(a, b):\n    return a * b", _drop_cell("test_mul")),
        # Edited test cell: overwritten by the gradebook copy, so the wrong add still fails.
        "hal_edited_test": tc.student_notebook(released, "def add(a, b):\n    return 0", None,
                                               _replace_test("test_add", "pass")),
        # The grading-mode variable reaches the kernel.
        "ivy_env": tc.student_notebook(
            released, "import os\ndef add(a, b):\n    return a + b if os.environ['CS_GRADING_MODE'] == '1' else 0"),
    }
    for student, notebook in extra.items():
        path = submissions / student / tc.ASSIGNMENT / tc.NOTEBOOK
        path.parent.mkdir(parents=True)
        nbformat.write(notebook, path)
    before, cgroups_before = tree_digest(submissions), kernel_cgroups()
    out = root / "out"
    results, rows = grade(submissions, out, OPTIONS, solutions)
    return {"root": root, "solutions": solutions, "assignments": assignments, "submissions": submissions,
            "out": out, "results": {r.student: r for r in results},
            "rows": {r["student"]: r for r in rows}, "digest_before": before, "cgroups_before": cgroups_before}
