"""``python -m autograder selfcheck``: the course grades itself before students see it.

1. Every solution notebook is what its text file generates, and the committed release is what
   ``release`` would generate from ``solutions/`` now.
2. Every solution notebook, submitted as is, scores full marks on every autograded cell.
3. Every untouched release notebook runs to its last cell and scores 0 without grader errors.
"""
import filecmp
import shutil
import tempfile
from pathlib import Path

from autograder.course import RELEASE_DIR, SOLUTIONS_DIR, list_assignments, list_notebooks
from autograder.commands.grade import format_table
from autograder.grading.options import Options
from autograder.grading.result_types import Status
from autograder.grading.run import grade
from autograder.commands.notebooks import out_of_date
from autograder.commands.release import release


def release_differences(solutions_dir, release_dir, assignments, show_progress):
    """Files of the committed release that differ from a fresh release (missing, extra or changed)."""
    with tempfile.TemporaryDirectory(prefix="course-selfcheck-release-") as fresh:
        release(solutions_dir, fresh, assignments, show_progress=show_progress, regenerate_solutions=False)
        differences = []
        for assignment in assignments:
            fresh_dir, committed_dir = Path(fresh) / assignment, Path(release_dir) / assignment
            fresh_files = {p.relative_to(fresh_dir) for p in fresh_dir.rglob("*") if p.is_file()}
            committed = {p.relative_to(committed_dir) for p in committed_dir.rglob("*") if p.is_file()} \
                if committed_dir.is_dir() else set()
            for relative in sorted(fresh_files | committed):
                a, b = fresh_dir / relative, committed_dir / relative
                if not (a.exists() and b.exists() and filecmp.cmp(a, b, shallow=False)):
                    differences.append(f"{assignment}/{relative}")
    return differences


def problems_of(result):
    """What is wrong with one selfcheck ``SubmissionResult``, as sentences (empty when it is as
    expected)."""
    where = f"{result.assignment} ({result.student})"
    if result.status is not Status.OK:
        return [f"{where}: status {result.status}: {result.message}"]
    problems = []
    auto = [c for c in result.cells if not c.is_manual]
    if result.student == "solution":
        for cell in auto:
            if cell.score != cell.max_score:
                problems.append(f"{where}: {cell.grade_id} scored {cell.score} of {cell.max_score}: {cell.message}")
    else:
        for cell in auto:
            if cell.score:
                problems.append(f"{where}: {cell.grade_id} scored {cell.score} without any work")
        if result.cells_not_run:
            problems.append(f"{where}: {result.cells_not_run} code cell(s) did not run")
    return problems


def selfcheck(solutions_dir=SOLUTIONS_DIR, release_dir=RELEASE_DIR, options=None, assignments=None):
    """Run the three checks; returns (list of problems, grade rows)."""
    options = options or Options()
    assignments = list(assignments or list_assignments(solutions_dir))
    problems = [f"solution notebook out of date with its text file: {path} (run: python -m autograder notebooks)"
                for path in out_of_date(solutions_dir, assignments)]
    problems += [f"release out of date: {path} (run: python -m autograder release)"
                 for path in release_differences(solutions_dir, release_dir, assignments, options.show_progress)]
    with tempfile.TemporaryDirectory(prefix="course-selfcheck-") as scratch:
        submissions = Path(scratch) / "submitted"
        for assignment in assignments:
            for student, folder in [("solution", Path(solutions_dir)), ("blank", Path(release_dir))]:
                target = submissions / student / assignment
                target.mkdir(parents=True)
                for name in list_notebooks(assignment, solutions_dir):
                    if (folder / assignment / name).exists():
                        shutil.copyfile(folder / assignment / name, target / name)
        results, rows = grade(submissions, Path(scratch) / "out", options, solutions_dir, assignments)
    for result in sorted(results, key=lambda r: (r.assignment, r.student)):
        problems += problems_of(result)
    return problems, rows


def report(problems, rows):
    """The text selfcheck prints."""
    lines = [format_table(rows), ""]
    if problems:
        lines += ["selfcheck FAILED:"] + [f"  - {p}" for p in problems]
    else:
        lines.append("selfcheck passed: release in sync, solutions score full marks, blank notebooks score 0.")
    return "\n".join(lines)
