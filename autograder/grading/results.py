"""What grading leaves in ``OUT``: one result per submission
(``OUT/results/<student>/<assignment>.json``) with its feedback pages, and what is rebuilt from all
of them: ``grades.csv``, ``tests.csv`` and nbgrader's gradebook. A re-run never loses an earlier
grade, and a grader fault never replaces one."""
import dataclasses
import io
import os
import shutil
import warnings
from datetime import datetime, timezone
from pathlib import Path

from autograder.course import GRADEBOOK
from autograder.grading.manual_grades import (read_manual_grades, record_digests, recorded_digests,
                                              restore_manual_grades, still_valid)
from autograder.grading.nbgrader_ext.feedback import feedback_page, install_mathjax
from autograder.grading.nbgrader_ext.formgrader import write_autograded
from autograder.grading.result_types import GRADER_FAULTS, CellResult, Status, SubmissionResult
from autograder.grading.submission_time import parse_submission_time, read_timestamp_text
from autograder.spreadsheet import SafeDictWriter


GRADE_COLUMNS = ["student", "assignment", "score", "max_score", "manual_max_score", "status", "message", "graded_at"]


TEST_COLUMNS = ["student", "assignment", "notebook", "grade_id", "score", "max_score", "status", "message"]


def ungraded_cells(cells, status, message):
    """Zero-score ``CellResult``s for the grade ``cells`` (dicts of ``autograder.course.grade_cells``)
    of a submission that could not be graded."""
    return [CellResult(notebook=cell["notebook"], grade_id=cell["grade_id"], score=0.0, max_score=cell["max_score"],
                       cell_type=cell["cell_type"], status=status, message=message) for cell in cells]


def add_ungraded_notebooks(result, cells):
    """Give the cells of every notebook the result does not grade a zero row, so the maximum is the
    assignment's whole maximum: a notebook left out of a multi-notebook submission costs its points."""
    graded = {cell.notebook for cell in result.cells}
    absent = [cell for cell in cells if cell["notebook"] not in graded]
    if not graded:
        result.cells = ungraded_cells(absent, result.status, result.message)
    elif absent:
        names = sorted({f"{cell['notebook']}.ipynb" for cell in absent})
        message = f"not submitted: {', '.join(names)}"
        result.cells += ungraded_cells(absent, Status.MISSING, message)
        result.message = "; ".join(m for m in (result.message, message) if m)


def summarise(result):
    """The grades.csv row of one result."""
    auto = [c for c in result.cells if not c.is_manual]
    return {
        "student": result.student,
        "assignment": result.assignment,
        "score": round(sum(c.score or 0 for c in auto), 4),
        "max_score": round(sum(c.max_score for c in auto), 4),
        "manual_max_score": round(sum(c.max_score for c in result.cells if c.is_manual), 4),
        "status": result.status,
        "message": result.message,
        "graded_at": result.graded_at or "",
    }


def store(result, out_dir):
    """Save one result, its executed notebooks and its feedback under ``out_dir``, unless it would
    replace a real grade with a grader fault. Returns True when stored; ``result`` then has its
    ``graded_at``, and its pages and notebooks, now in files of their own, are let go."""
    out_dir = Path(out_dir)
    path = result_path(out_dir, result.student, result.assignment)
    if result.status.is_grader_fault and path.exists():
        return False
    feedback, autograded = result.feedback or {}, result.autograded or {}
    result.feedback = result.autograded = None
    write_autograded(out_dir, result.student, result.assignment, autograded)
    result.graded_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_atomically(path, dataclasses.replace(result, log=None, error=None).to_json())
    feedback_dir = out_dir / "feedback" / result.student / result.assignment
    if feedback_dir.exists():
        shutil.rmtree(feedback_dir)
    feedback_dir.mkdir(parents=True)
    if not feedback:  # not run: a page per notebook with the status and the zero scores
        names = sorted({cell.notebook for cell in result.cells}) or [result.assignment]
        feedback = {f"{name}.html": None for name in names}
    mathjax = os.path.relpath(install_mathjax(out_dir), feedback_dir)
    row = summarise(result)
    for name, page in feedback.items():
        page = feedback_page(page, result, row, name.removesuffix(".html"), mathjax)
        (feedback_dir / name).write_text(page, encoding="utf-8")
    return True


def _write_atomically(path, text):
    """Write ``text`` to ``path`` so that a reader (or a crash) sees the old file or the new one."""
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)


def result_path(out_dir, student, assignment):
    """Where the result of ``student``'s ``assignment`` is stored under ``out_dir``."""
    return Path(out_dir) / "results" / student / f"{assignment}.json"


def stored_results(out_dir):
    """Every ``SubmissionResult`` stored under ``out_dir``, by file name."""
    return [SubmissionResult.from_json(path.read_text()) for path in sorted(Path(out_dir).glob("results/*/*.json"))]


def stored_result(out_dir, task):
    """The ``SubmissionResult`` stored for ``task`` under ``out_dir``, or None."""
    path = result_path(out_dir, task.student, task.assignment)
    return SubmissionResult.from_json(path.read_text()) if path.exists() else None


def is_current(stored, task):
    return stored is not None and stored.digest == tuple(task.digest) and not stored.status.is_grader_fault


def refresh_timestamp(out_dir, task):
    stored, timestamp = stored_result(out_dir, task), read_timestamp_text(task.folder)
    if stored.timestamp != timestamp:
        path = result_path(out_dir, task.student, task.assignment)
        _write_atomically(path, dataclasses.replace(stored, timestamp=timestamp).to_json())


def write_tables(out_dir):
    """Rebuild grades.csv and tests.csv from every stored result; returns the grade rows."""
    out_dir = Path(out_dir)
    results = stored_results(out_dir)
    grade_rows = [summarise(r) for r in results]
    grades, tests = io.StringIO(), io.StringIO()
    writer = SafeDictWriter(grades, GRADE_COLUMNS)
    writer.writeheader()
    writer.writerows(grade_rows)
    writer = SafeDictWriter(tests, TEST_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    for result in results:
        for cell in result.cells:
            writer.writerow({"student": result.student, "assignment": result.assignment, **dataclasses.asdict(cell)})
    _write_atomically(out_dir / "grades.csv", grades.getvalue())
    _write_atomically(out_dir / "tests.csv", tests.getvalue())
    return grade_rows


def write_gradebook(out_dir, course_root):
    """Rebuild ``OUT/gradebook.db`` (nbgrader's own format, for ``nbgrader export`` or manual
    grading in formgrader) from every stored result, so that it always matches grades.csv; the
    manual grades of unchanged submissions are carried over (``autograder.grading.manual_grades``).
    Returns the (student, assignment) pairs whose manual grades were dropped."""
    from nbgrader.api import Gradebook
    from sqlalchemy.exc import SAWarning

    out_dir = Path(out_dir)
    partial = out_dir / "gradebook.db.partial"
    shutil.copyfile(Path(course_root) / GRADEBOOK, partial)
    digests = {}
    # nbgrader's add_submission trips SQLAlchemy's autoflush warnings; they say nothing to a user.
    with warnings.catch_warnings(), Gradebook(f"sqlite:///{partial}") as gradebook:
        warnings.simplefilter("ignore", SAWarning)
        known = {assignment.name for assignment in gradebook.assignments}
        for result in stored_results(out_dir):
            if result.assignment not in known or result.status in {Status.MISSING} | GRADER_FAULTS:
                continue
            gradebook.update_or_create_student(result.student)
            gradebook.add_submission(result.assignment, result.student,
                                     timestamp=parse_submission_time(result.timestamp).at)
            digests[result.student, result.assignment] = (result.digest or ("",))[0]
            for cell in result.cells:
                grade = gradebook.find_grade(cell.grade_id, cell.notebook, result.assignment, result.student)
                manual = cell.status is Status.MANUAL
                grade.auto_score, grade.needs_manual_grade = (None if manual else cell.score), manual
            gradebook.db.commit()
        kept, dropped = still_valid(read_manual_grades(out_dir / GRADEBOOK), recorded_digests(out_dir / GRADEBOOK),
                                    digests)
        restore_manual_grades(gradebook, kept)
    record_digests(partial, digests)
    os.replace(partial, out_dir / GRADEBOOK)
    return dropped
