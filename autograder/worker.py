"""Grade one prepared submission with nbgrader; run as ``python -m autograder.worker JOB.json``.

The parent (``autograder.grade``) prepares a scratch course directory holding a copy of the
gradebook and the submission, runs this module in its own process group under a time budget, and
reads the JSON result this module writes. Keeping each submission in its own process means a
hung or crashing submission can be killed without touching the others.
"""
import json
import re
import sys
import time
from pathlib import Path

import nbformat

from autograder.course import GRADEBOOK, nbgrader_api

ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
TIMEOUT_ERRORS = {"CellTimeoutError", "TimeoutError"}
DEAD_KERNEL_MARKERS = ("DeadKernelError", "Kernel died", "kernel died")


def _error_message(output):
    text = f"{output.ename}: {output.evalue}" if output.evalue else output.ename
    return ANSI_ESCAPE.sub("", text).strip()


def cell_outcomes(notebook_path):
    """Map grade_id -> (status, message) from the errors in an executed notebook, name the first
    cell (grade_id, cell id or index) that hit the timeout, if any, and count the code cells that
    did not run."""
    notebook = nbformat.read(notebook_path, as_version=4)
    outcomes, timed_out_cell, not_run = {}, None, 0
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        not_run += cell.source.strip() != "" and cell.get("execution_count") is None
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        errors = [o for o in cell.get("outputs", []) if o.output_type == "error"]
        timed_out = any(o.ename in TIMEOUT_ERRORS for o in errors)
        if timed_out and timed_out_cell is None:
            timed_out_cell = grade_id or cell.get("id") or f"cell {index}"
        if grade_id:
            if timed_out:
                outcomes[grade_id] = ("timeout", "the cell did not finish within the time limit")
            elif errors:
                outcomes[grade_id] = ("failed", _error_message(errors[-1]))
    return outcomes, timed_out_cell, not_run


def read_grades(root, assignment, student):
    """Per-cell grades of the submission from the nbgrader gradebook at ``root``."""
    from nbgrader.api import Gradebook

    rows = []
    with Gradebook(f"sqlite:///{Path(root) / GRADEBOOK}") as gradebook:
        submission = gradebook.find_submission(assignment, student)
        for notebook in submission.notebooks:
            for grade in notebook.grades:
                rows.append({
                    "notebook": notebook.name,
                    "grade_id": grade.name,
                    "score": grade.score,
                    "max_score": grade.max_score,
                    "needs_manual_grade": bool(grade.needs_manual_grade),
                    "auto_graded": grade.auto_score is not None,
                    "cell_type": grade.cell.cell_type,
                })
    return rows


def grade(job):
    """Autograde and generate feedback for ``job`` (a dict, see ``autograder.grade``)."""
    root, assignment, student = Path(job["root"]), job["assignment"], job["student"]
    api = nbgrader_api(root, job["cell_timeout"])
    started = time.monotonic()
    autograde = api.autograde(assignment, student, force=True, create=True)
    result = {"log": autograde.get("log", ""), "error": autograde.get("error", ""), "cells": []}
    if not autograde["success"]:
        text = f"{result['log']}\n{result['error']}"
        result["status"] = "kernel-died" if any(m in text for m in DEAD_KERNEL_MARKERS) else "grader-error"
        return result
    timed_out_cell, result["cells_not_run"] = None, 0
    for notebook_path in sorted((root / "autograded" / student / assignment).glob("*.ipynb")):
        outcomes, timed_out, not_run = cell_outcomes(notebook_path)
        timed_out_cell = timed_out_cell or timed_out
        result["cells_not_run"] += not_run
        for row in read_grades(root, assignment, student):
            if row["notebook"] != notebook_path.stem:
                continue
            status, message = outcomes.get(row["grade_id"], ("passed", ""))
            if row["cell_type"] == "markdown":
                status, message = ("manual", "graded by hand") if row["needs_manual_grade"] else ("unanswered", "")
            elif status == "passed" and row["score"] < row["max_score"]:
                status = "partial"
            result["cells"].append({**row, "status": status, "message": message})
    result["status"] = "timeout" if timed_out_cell else "ok"
    result["message"] = f"cell '{timed_out_cell}' exceeded the {job['cell_timeout']} s limit" if timed_out_cell else ""
    result["seconds"] = round(time.monotonic() - started, 2)
    feedback = api.generate_feedback(assignment, student, force=True)
    if not feedback["success"]:
        result["feedback_error"] = feedback.get("error") or feedback.get("log", "")
    return result


def main(argv=None):
    job_path = Path((argv or sys.argv[1:])[0])
    job = json.loads(job_path.read_text())
    result = grade(job)
    Path(job["result"]).write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
