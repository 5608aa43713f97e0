"""Typed grading results: their one JSON round trip, the stored files of earlier versions, and a
``Status`` member for every status grading can produce."""
import json

import nbformat
import pytest
from hypothesis import given
from hypothesis import strategies as st
from nbformat.v4 import new_code_cell, new_notebook, new_output

from autograder.grading import submissions as submissions_module
from autograder.grading.nbgrader_ext.execute import KERNEL_DIED
from autograder.grading.nbgrader_ext.feedback import STATUS_WORDS
from autograder.grading.options import Options
from autograder.grading.result_types import (GRADER_FAULTS, SUBMISSION_STATUSES, CellResult, Status,
                                             SubmissionResult)
from autograder.grading.results import add_ungraded_notebooks, write_tables
from autograder.grading.submissions import Task, load_submission, read_submission
from autograder.grading.task import grade_notebooks
from autograder.grading.worker import cell_outcomes, resource_status
from autograder.term.final_grades import load_results

text = st.text(max_size=20)
maybe = lambda strategy: st.none() | strategy  # noqa: E731
score = st.floats(allow_nan=False, allow_infinity=False)
cells = st.builds(CellResult, notebook=text, grade_id=text, score=maybe(score), max_score=score,
                  needs_manual_grade=maybe(st.booleans()), auto_graded=maybe(st.booleans()),
                  cell_type=st.sampled_from(["code", "markdown"]), status=st.sampled_from(Status), message=text)
results = st.builds(
    SubmissionResult, student=text, assignment=text, cells=st.lists(cells, max_size=4), message=text,
    cells_not_run=maybe(st.integers(0, 10**6)), status=st.sampled_from(Status), seconds=maybe(score),
    isolation=maybe(text), feedback_error=maybe(text), digest=maybe(st.tuples(text, text, text)),
    timestamp=maybe(text), graded_at=maybe(text), log=maybe(text), error=maybe(text),
    feedback=maybe(st.dictionaries(text, text, max_size=2)), autograded=maybe(st.dictionaries(text, text, max_size=2)))


@given(results)
def test_a_result_comes_back_from_its_json_as_it_was(result):
    again = SubmissionResult.from_json(result.to_json())
    assert again == result
    assert type(again.status) is Status and all(type(cell.status) is Status for cell in again.cells)


# What the grade command of the version before these classes stored, byte for byte: a graded
# submission (its cells have nbgrader's flags) and one that could not be read (its cells are the
# course's, with the keys in another order; no timestamp.txt).
STORED_GRADED = """{
 "student": "ben_partial",
 "assignment": "00_tiny",
 "cells": [
  {
   "notebook": "tiny",
   "grade_id": "test_mul",
   "score": 0.0,
   "max_score": 3.0,
   "needs_manual_grade": false,
   "auto_graded": true,
   "cell_type": "code",
   "status": "failed",
   "message": "NotImplementedError"
  },
  {
   "notebook": "tiny",
   "grade_id": "answer_why",
   "score": 0.0,
   "max_score": 1.0,
   "needs_manual_grade": true,
   "auto_graded": false,
   "cell_type": "markdown",
   "status": "manual",
   "message": "graded by hand"
  }
 ],
 "message": "",
 "cells_not_run": 0,
 "status": "ok",
 "seconds": 15.8,
 "isolation": "isolated",
 "digest": [
  "87b0b2a848d07ce7911623caca21a4e284caae0eda534171b1f9987af6419418",
  "86af987b8f2d860a6cae50841e3e70708e117bf1f9aad4a3c9221e4c323bf90d",
  "992bca6015c7cc58f35d8395195f9d46889aa65ee6fc27845f3257e11255197b"
 ],
 "timestamp": "2026-10-09 22:09:00.000000 UTC",
 "graded_at": "2026-12-01T16:53:52+00:00"
}"""
STORED_UNREADABLE = """{
 "student": "dee_corrupted",
 "assignment": "00_tiny",
 "cells": [
  {
   "notebook": "tiny",
   "grade_id": "test_mul",
   "max_score": 3.0,
   "cell_type": "code",
   "score": 0.0,
   "status": "invalid-notebook",
   "message": "tiny.ipynb is not valid JSON (line 97, column 4): truncated or corrupted?"
  }
 ],
 "message": "tiny.ipynb is not valid JSON (line 97, column 4): truncated or corrupted?",
 "status": "invalid-notebook",
 "digest": [
  "1",
  "2",
  "3"
 ],
 "timestamp": null,
 "graded_at": "2026-12-01T16:53:52+00:00"
}"""


def test_results_stored_by_the_earlier_version_still_read(tmp_path):
    graded, unreadable = SubmissionResult.from_json(STORED_GRADED), SubmissionResult.from_json(STORED_UNREADABLE)
    assert (graded.status, graded.cells_not_run, graded.isolation, graded.digest[2][:6]) == (
        Status.OK, 0, "isolated", "992bca")
    assert [(c.grade_id, c.status, c.score, c.is_manual) for c in graded.cells] == [
        ("test_mul", Status.FAILED, 0.0, False), ("answer_why", Status.MANUAL, 0.0, True)]
    assert (unreadable.status, unreadable.timestamp, unreadable.cells[0].needs_manual_grade) == (
        Status.INVALID_NOTEBOOK, None, None)
    # Written again, a graded result is the same file; the other has the same content.
    assert graded.to_json() == STORED_GRADED
    assert json.loads(unreadable.to_json()) == json.loads(STORED_UNREADABLE)
    for result, stored in ((graded, STORED_GRADED), (unreadable, STORED_UNREADABLE)):
        path = tmp_path / "results" / result.student / "00_tiny.json"
        path.parent.mkdir(parents=True)
        path.write_text(stored)
    # The tables, as the earlier version wrote them from these files (its output, byte for byte).
    write_tables(tmp_path)
    assert (tmp_path / "grades.csv").read_text().splitlines() == [
        "student,assignment,score,max_score,manual_max_score,status,message,graded_at",
        "ben_partial,00_tiny,0,3.0,1.0,ok,,2026-12-01T16:53:52+00:00",
        'dee_corrupted,00_tiny,0,3.0,0,invalid-notebook,"tiny.ipynb is not valid JSON (line 97, column 4): '
        'truncated or corrupted?",2026-12-01T16:53:52+00:00']
    assert (tmp_path / "tests.csv").read_text().splitlines() == [
        "student,assignment,notebook,grade_id,score,max_score,status,message",
        "ben_partial,00_tiny,tiny,test_mul,0.0,3.0,failed,NotImplementedError",
        "ben_partial,00_tiny,tiny,answer_why,0.0,1.0,manual,graded by hand",
        'dee_corrupted,00_tiny,tiny,test_mul,0.0,3.0,invalid-notebook,"tiny.ipynb is not valid JSON (line 97, '
        'column 4): truncated or corrupted?"']
    assert load_results(tmp_path)["ben_partial", "00_tiny"] == graded


def test_the_feedback_explains_every_status_a_submission_can_have():
    assert set(STATUS_WORDS) == SUBMISSION_STATUSES
    assert GRADER_FAULTS == {Status.GRADER_ERROR} and all(isinstance(s, Status) for s in STATUS_WORDS)


def _problem(path, content, **limits):
    path.write_bytes(content)
    return load_submission(path, limits.get("max_size_mb", 50))[1][0]


def test_every_failure_of_reading_a_submission_is_a_status(tmp_path, monkeypatch):
    path = tmp_path / "tiny.ipynb"
    with monkeypatch.context() as limits:
        limits.setattr(submissions_module, "MAX_CELLS", 2)
        limits.setattr(submissions_module, "MAX_JSON_DEPTH", 3)
        found = [
            _problem(path, b"{}" + b" " * 2**20, max_size_mb=0.5),
            _problem(path, b'{"cells": [{"cell_type": 1}, {"cell_type": 1}, {"cell_type": 1}]}'),
            _problem(path, b"\xff\xfe"),
            _problem(path, b'{"cells": ['),
            _problem(path, b'{"cells": [], "a": [[[[1]]]]}'),
            _problem(path, b'["not", "a", "notebook"]'),
        ]
    assert found == [Status.TOO_LARGE] * 2 + [Status.INVALID_NOTEBOOK] * 4
    assert all(type(status) is Status for status in found)

    options = Options()
    folder = tmp_path / "submitted" / "ann" / "00_tiny"
    folder.mkdir(parents=True)
    missing = Task("ann", "00_tiny", folder, {"tiny.ipynb": None}, root=tmp_path / "submitted")
    outside = Task("ann", "00_tiny", folder, {"tiny.ipynb": path}, root=tmp_path / "submitted")
    nbformat.write(new_notebook(cells=[new_code_cell("1")]), folder / "tiny.ipynb")
    wrong = Task("ann", "00_tiny", folder, {"tiny.ipynb": folder / "tiny.ipynb"}, root=tmp_path / "submitted")
    monkeypatch.setattr(submissions_module, "cell_names", lambda root, assignment: {"test_add"})
    statuses = [read_submission(task, tmp_path, options)[1].status for task in (missing, outside, wrong)]
    assert statuses == [Status.MISSING, Status.OUTSIDE_LINK, Status.WRONG_NOTEBOOK]
    assert all(type(status) is Status for status in statuses)


def _cell(grade_id, *errors):
    cell = new_code_cell("x", metadata={"nbgrader": {"grade_id": grade_id}})
    cell.outputs = [new_output("error", ename=ename, evalue=evalue, traceback=[]) for ename, evalue in errors]
    return cell


def test_every_way_a_cell_can_fail_is_a_status():
    notebook = new_notebook(cells=[_cell("crash", (KERNEL_DIED, "")), _cell("slow", ("CellTimeoutError", "")),
                                   _cell("wrong", ("AssertionError", "no"))])
    outcomes, timed_out, crashed, _ = cell_outcomes(notebook)
    assert {grade_id: status for grade_id, (status, _) in outcomes.items()} == {
        "crash": Status.KERNEL_DIED, "slow": Status.TIMEOUT, "wrong": Status.FAILED}
    limits = [resource_status(new_notebook(cells=[_cell("a", error)]))[0]
              for error in (("MemoryError", ""), ("OSError", "[Errno 27] File too large"),
                            ("BlockingIOError", "[Errno 11] Resource temporarily unavailable"))]
    assert limits == [Status.MEMORY_LIMIT, Status.FILE_SIZE_LIMIT, Status.PROCESS_LIMIT]
    assert all(type(status) is Status for status, _ in outcomes.values())
    assert all(type(status) is Status for status in limits)


class StoppedSlot:
    """A grading process that overran the budget (``finished`` False) or died without a result."""

    def __init__(self, finished, log_path):
        self.finished, self.log_path = finished, log_path

    def run(self, job_path, budget):
        return self.finished


def test_a_grading_process_that_fails_gives_a_status(tmp_path):
    (tmp_path / "gradebook.db").write_bytes(b"")
    (tmp_path / "worker.log").write_text("Traceback ...\nRuntimeError: boom\n")
    notebook = new_notebook(cells=[new_code_cell("1")])
    graded = [grade_notebooks("ann", "00_tiny", {"tiny.ipynb": notebook}, tmp_path, Options(budget=7),
                              StoppedSlot(finished, tmp_path / "worker.log"))
              for finished in (False, True)]
    assert [(r.status, r.message) for r in graded] == [
        (Status.TIMEOUT, "grading exceeded the budget of 7 s per submission"),
        (Status.GRADER_ERROR, "the grading process failed: Traceback ...\nRuntimeError: boom\n")]
    assert all(type(result.status) is Status for result in graded)


def test_a_notebook_left_out_of_a_submission_costs_its_points():
    course = [{"notebook": name, "grade_id": f"test_{name}", "max_score": 2.0, "cell_type": "code"}
              for name in ("first", "second")]
    result = SubmissionResult(student="ann", assignment="00_two", status=Status.OK, cells=[
        CellResult(notebook="first", grade_id="test_first", score=2.0, max_score=2.0, cell_type="code",
                   status=Status.PASSED)])
    add_ungraded_notebooks(result, course)
    assert [(c.grade_id, c.score, c.status) for c in result.cells] == [
        ("test_first", 2.0, Status.PASSED), ("test_second", 0.0, Status.MISSING)]
    assert result.message == "not submitted: second.ipynb" and type(result.cells[1].status) is Status


@pytest.mark.parametrize("status", list(Status))
def test_a_status_is_the_very_word_the_files_show(status):
    assert status == status.value and f"{status}" == str(status) == status.value
    assert json.dumps({"status": status}) == json.dumps({"status": status.value})
