"""What grading leaves in ``OUT``: one result per submission
(``OUT/results/<student>/<assignment>.json``) with its feedback pages, and what is rebuilt from all
of them: ``grades.csv``, ``tests.csv`` and nbgrader's gradebook. A re-run never loses an earlier
grade, and a grader fault never replaces one."""
import io
import json
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
from autograder.grading.submission_time import parse_submission_time, read_timestamp_text
from autograder.spreadsheet import SafeDictWriter


GRADE_COLUMNS = ["student", "assignment", "score", "max_score", "manual_max_score", "status", "message", "graded_at"]


TEST_COLUMNS = ["student", "assignment", "notebook", "grade_id", "score", "max_score", "status", "message"]


# Statuses that describe the grader, not the submission: such a result never replaces an earlier one.
GRADER_FAULTS = {"grader-error"}


def is_manual(cell):
    """Markdown answers are graded by hand; their points are reported apart from the autograded ones."""
    return cell.get("cell_type") == "markdown"


def ungraded_cells(cells, status, message):
    """Zero-score rows for every grade cell of a submission that could not be graded."""
    return [{**cell, "score": 0.0, "status": status, "message": message} for cell in cells]


def add_ungraded_notebooks(result, cells):
    """Give the cells of every notebook the result does not grade a zero row, so the maximum is the
    assignment's whole maximum: a notebook left out of a multi-notebook submission costs its points."""
    graded = {cell["notebook"] for cell in result["cells"]}
    absent = [cell for cell in cells if cell["notebook"] not in graded]
    if not graded:
        result["cells"] = ungraded_cells(absent, result["status"], result["message"])
    elif absent:
        names = sorted({f"{cell['notebook']}.ipynb" for cell in absent})
        message = f"not submitted: {', '.join(names)}"
        result["cells"] += ungraded_cells(absent, "missing", message)
        result["message"] = "; ".join(m for m in (result["message"], message) if m)


def summarise(result):
    """The grades.csv row of one result."""
    cells = result.get("cells", [])
    auto = [c for c in cells if not is_manual(c)]
    return {
        "student": result["student"],
        "assignment": result["assignment"],
        "score": round(sum(c["score"] or 0 for c in auto), 4),
        "max_score": round(sum(c["max_score"] for c in auto), 4),
        "manual_max_score": round(sum(c["max_score"] for c in cells if is_manual(c)), 4),
        "status": result["status"],
        "message": result.get("message", ""),
        "graded_at": result.get("graded_at", ""),
    }


def store(result, out_dir):
    """Save one result and its feedback under ``out_dir``, unless it would replace a real grade
    with a grader fault. Returns True when stored."""
    out_dir = Path(out_dir)
    path = out_dir / "results" / result["student"] / f"{result['assignment']}.json"
    if result["status"] in GRADER_FAULTS and path.exists():
        return False
    feedback = result.pop("feedback", {})
    write_autograded(out_dir, result["student"], result["assignment"], result.pop("autograded", {}))
    result["graded_at"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_atomically(path, json.dumps({k: v for k, v in result.items() if k not in ("log", "error")}, indent=1))
    feedback_dir = out_dir / "feedback" / result["student"] / result["assignment"]
    if feedback_dir.exists():
        shutil.rmtree(feedback_dir)
    feedback_dir.mkdir(parents=True)
    if not feedback:  # not run: a page per notebook with the status and the zero scores
        names = sorted({cell["notebook"] for cell in result.get("cells", [])}) or [result["assignment"]]
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


def stored_result(out_dir, task):
    """The result stored for ``task`` under ``out_dir``, or None."""
    path = Path(out_dir) / "results" / task.student / f"{task.assignment}.json"
    return json.loads(path.read_text()) if path.exists() else None


def is_current(stored, task):
    return bool(stored) and stored.get("digest") == list(task.digest) and stored["status"] not in GRADER_FAULTS


def refresh_timestamp(out_dir, task):
    stored, timestamp = stored_result(out_dir, task), read_timestamp_text(task.folder)
    if stored.get("timestamp") != timestamp:
        path = Path(out_dir) / "results" / task.student / f"{task.assignment}.json"
        _write_atomically(path, json.dumps({**stored, "timestamp": timestamp}, indent=1))


def write_tables(out_dir):
    """Rebuild grades.csv and tests.csv from every stored result; returns the grade rows."""
    out_dir = Path(out_dir)
    results = [json.loads(p.read_text()) for p in sorted((out_dir / "results").glob("*/*.json"))]
    grade_rows = [summarise(r) for r in results]
    grades, tests = io.StringIO(), io.StringIO()
    writer = SafeDictWriter(grades, GRADE_COLUMNS)
    writer.writeheader()
    writer.writerows(grade_rows)
    writer = SafeDictWriter(tests, TEST_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    for result in results:
        for cell in result.get("cells", []):
            writer.writerow({"student": result["student"], "assignment": result["assignment"], **cell})
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
        for path in sorted(out_dir.glob("results/*/*.json")):
            result = json.loads(path.read_text())
            if result["assignment"] not in known or result["status"] in {"missing"} | GRADER_FAULTS:
                continue
            gradebook.update_or_create_student(result["student"])
            gradebook.add_submission(result["assignment"], result["student"],
                                     timestamp=parse_submission_time(result.get("timestamp")).at)
            digests[result["student"], result["assignment"]] = result.get("digest", [""])[0]
            for cell in result["cells"]:
                grade = gradebook.find_grade(cell["grade_id"], cell["notebook"], result["assignment"],
                                             result["student"])
                manual = cell["status"] == "manual"
                grade.auto_score, grade.needs_manual_grade = (None if manual else cell["score"]), manual
            gradebook.db.commit()
        kept, dropped = still_valid(read_manual_grades(out_dir / GRADEBOOK), recorded_digests(out_dir / GRADEBOOK),
                                    digests)
        restore_manual_grades(gradebook, kept)
    record_digests(partial, digests)
    os.replace(partial, out_dir / GRADEBOOK)
    return dropped
