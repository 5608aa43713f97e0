"""What grading keeps of each submission (its stored result and feedback pages) and what is rebuilt
from all of them: the two CSV tables and nbgrader's gradebook (here on a gradebook made through
nbgrader's API instead of a built course)."""
import csv
import dataclasses
import io
import json
import os
from datetime import datetime, timezone
from types import SimpleNamespace

import pytest

from autograder.course import stamp_gradebook
from autograder.grading.manual_grades import recorded_digests
from autograder.grading.result_types import CellResult, Status, SubmissionResult
from autograder.grading.results import (GRADE_COLUMNS, TEST_COLUMNS, add_ungraded_notebooks, is_current,
                                        refresh_timestamp, store, stored_result, summarise, ungraded_cells,
                                        write_gradebook, write_tables)


def cell(notebook, grade_id, score, max_score, cell_type="code", status="passed", message=""):
    return CellResult(notebook=notebook, grade_id=grade_id, score=score, max_score=max_score, cell_type=cell_type,
                      status=Status(status), message=message)


CELLS = [cell("one", "a", 1.0, 2.0), cell("one", "essay", None, 3.0, "markdown", "manual"),
         cell("two", "b", 0.5, 1.5, status="partial")]
# The grade cells of the assignment, as autograder.course.grade_cells lists them.
GRADE_CELLS = [{"notebook": c.notebook, "grade_id": c.grade_id, "max_score": c.max_score, "cell_type": c.cell_type}
               for c in CELLS]


def result(student="ada", status="ok", message="", cells=None, assignment="00_tiny", **more):
    return SubmissionResult(student=student, assignment=assignment, status=Status(status), message=message,
                            cells=list(CELLS if cells is None else cells), **more)


def test_ungraded_cells_get_zero_and_the_reason():
    assert ungraded_cells(GRADE_CELLS[:2], Status.TIMEOUT, "ran too long") == [
        cell("one", "a", 0.0, 2.0, status="timeout", message="ran too long"),
        cell("one", "essay", 0.0, 3.0, "markdown", status="timeout", message="ran too long")]


def test_a_result_without_graded_cells_gets_every_cell_at_zero():
    graded = result(status="timeout", message="ran too long", cells=[])
    add_ungraded_notebooks(graded, GRADE_CELLS)
    assert [(c.grade_id, c.score, c.status, c.message) for c in graded.cells] == \
        [("a", 0.0, "timeout", "ran too long"), ("essay", 0.0, "timeout", "ran too long"),
         ("b", 0.0, "timeout", "ran too long")]
    assert graded.message == "ran too long"


def test_a_notebook_left_out_costs_its_points():
    graded = result(cells=CELLS[:2], message="")
    add_ungraded_notebooks(graded, GRADE_CELLS)
    assert graded.cells == CELLS[:2] + [cell("two", "b", 0.0, 1.5, status="missing",
                                             message="not submitted: two.ipynb")]
    assert graded.message == "not submitted: two.ipynb"
    earlier = result(cells=CELLS[2:], message="slow")
    add_ungraded_notebooks(earlier, GRADE_CELLS)
    assert earlier.message == "slow; not submitted: one.ipynb"
    assert [c.status for c in earlier.cells] == ["partial", "missing", "missing"]
    complete = result()
    add_ungraded_notebooks(complete, GRADE_CELLS)
    assert complete == result()


def test_summarise_keeps_manual_points_apart():
    row = summarise(result(message="note", graded_at="2026-01-01T00:00:00+00:00",
                           cells=CELLS + [cell("two", "c", 0.33333, 0.33333)]))
    assert row == {"student": "ada", "assignment": "00_tiny", "score": 1.8333, "max_score": 3.8333,
                   "manual_max_score": 3.0, "status": "ok", "message": "note", "graded_at": "2026-01-01T00:00:00+00:00"}
    assert list(row) == GRADE_COLUMNS
    unscored = summarise(result(cells=[cell("one", "a", None, 2.0), cell("one", "b", 0.5, 1.0),
                                       cell("one", "essay", None, 0.123456, "markdown")]))
    assert (unscored["score"], unscored["max_score"], unscored["manual_max_score"]) == (0.5, 3.0, 0.1235)
    bare = summarise(SubmissionResult(student="bob", assignment="00_tiny", status=Status.KERNEL_DIED))
    assert (bare["score"], bare["max_score"], bare["manual_max_score"], bare["message"], bare["graded_at"]) == \
        (0, 0, 0, "", "")


@pytest.fixture(scope="module")
def out_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("out")


def stored(out_dir, student):
    return json.loads((out_dir / "results" / student / "00_tiny.json").read_text())


def test_store_saves_the_result_and_its_feedback(out_dir):
    before = datetime.now(timezone.utc).replace(microsecond=0)
    given = result(student="ada", log="kernel log", error="trace", digest=("abc",),
                   feedback={"one.html": "<html><head></head><body><p>ada's page</p></body></html>"},
                   autograded={"one.ipynb": json.dumps({"cells": [], "metadata": {}, "nbformat": 4,
                                                        "nbformat_minor": 5})})
    assert store(given, out_dir) is True
    saved = stored(out_dir, "ada")
    assert "log" not in saved and "error" not in saved and "feedback" not in saved and "autograded" not in saved
    assert saved["digest"] == ["abc"]
    assert SubmissionResult.from_json(json.dumps(saved)).cells == CELLS
    assert given.feedback is None and given.autograded is None and given.graded_at == saved["graded_at"]
    graded_at = datetime.fromisoformat(saved["graded_at"])
    assert before <= graded_at <= datetime.now(timezone.utc) and saved["graded_at"].endswith("+00:00")
    assert "." not in saved["graded_at"]
    pages = sorted(p.name for p in (out_dir / "feedback" / "ada" / "00_tiny").iterdir())
    assert pages == ["one.html"]
    page = (out_dir / "feedback" / "ada" / "00_tiny" / "one.html").read_text()
    assert "<p>ada" in page and "s page</p>" in page
    assert '"../../../mathjax/tex-svg.js"' in page
    assert (out_dir / "autograded" / "ada" / "00_tiny" / "one.ipynb").exists()
    assert not list(out_dir.rglob("*.partial"))


def test_a_result_that_was_not_run_gets_a_page_per_notebook(out_dir):
    assert store(result(student="bob", status="timeout", message="ran too long"), out_dir)
    folder = out_dir / "feedback" / "bob" / "00_tiny"
    assert sorted(p.name for p in folder.iterdir()) == ["one.html", "two.html"]
    assert "ran too long" in (folder / "one.html").read_text()
    assert store(result(student="bob", status="kernel-died", cells=[]), out_dir)
    assert sorted(p.name for p in folder.iterdir()) == ["00_tiny.html"]


def test_a_grader_fault_never_replaces_a_grade(out_dir):
    assert store(result(student="cy", digest=("one",)), out_dir)
    first = stored(out_dir, "cy")
    assert store(result(student="cy", status="grader-error", digest=("two",)), out_dir) is False
    assert stored(out_dir, "cy") == first
    assert store(result(student="dee", status="grader-error"), out_dir) is True
    assert stored(out_dir, "dee")["status"] == "grader-error"


def task(out_dir, student, digest=("abc",), folder=None):
    return SimpleNamespace(student=student, assignment="00_tiny", digest=digest, folder=folder or out_dir)


def test_stored_results_and_whether_they_are_current(out_dir):
    store(result(student="eve", digest=("abc",)), out_dir)
    assert stored_result(out_dir, task(out_dir, "eve")).digest == ("abc",)
    assert stored_result(out_dir, task(out_dir, "nobody")) is None
    assert is_current(stored_result(out_dir, task(out_dir, "eve")), task(out_dir, "eve"))
    assert not is_current(stored_result(out_dir, task(out_dir, "eve")), task(out_dir, "eve", digest=("abd",)))
    assert not is_current(None, task(out_dir, "eve"))
    assert not is_current(result(), task(out_dir, "eve"))
    assert not is_current(result(digest=("abc",), status="grader-error"), task(out_dir, "eve"))
    assert is_current(result(digest=("abc",), status="timeout"), task(out_dir, "eve"))
    assert not is_current(result(digest=("abc",)), task(out_dir, "eve", digest=("abb",)))


def test_refresh_timestamp_rewrites_only_a_changed_time(out_dir, tmp_path):
    store(result(student="fay", digest=("abc",), timestamp="2026-01-01 10:00:00 UTC"), out_dir)
    path = out_dir / "results" / "fay" / "00_tiny.json"
    (tmp_path / "timestamp.txt").write_text("2026-01-02 09:00:00 UTC\n")
    refresh_timestamp(out_dir, task(out_dir, "fay", folder=tmp_path))
    assert stored(out_dir, "fay")["timestamp"] == "2026-01-02 09:00:00 UTC"
    assert stored(out_dir, "fay")["digest"] == ["abc"]
    os.utime(path, (0, 0))
    refresh_timestamp(out_dir, task(out_dir, "fay", folder=tmp_path))
    assert path.stat().st_mtime == 0
    (tmp_path / "timestamp.txt").unlink()
    refresh_timestamp(out_dir, task(out_dir, "fay", folder=tmp_path))
    assert stored(out_dir, "fay")["timestamp"] is None


def test_write_tables_rebuilds_both_csv_files(tmp_path):
    store(result(student="=cmd", message="-1 point"), tmp_path)
    store(result(student="ada", cells=CELLS[:1]), tmp_path)
    rows = write_tables(tmp_path)
    assert [(r["student"], r["score"]) for r in rows] == [("=cmd", 1.5), ("ada", 1.0)]
    grades = list(csv.reader(io.StringIO((tmp_path / "grades.csv").read_text())))
    assert grades[0] == GRADE_COLUMNS
    assert grades[1][:7] == ["'=cmd", "00_tiny", "1.5", "3.5", "3.0", "ok", "'-1 point"]
    assert grades[2][:3] == ["ada", "00_tiny", "1.0"]
    tests = list(csv.reader(io.StringIO((tmp_path / "tests.csv").read_text())))
    assert tests[0] == TEST_COLUMNS
    assert tests[1:] == [["'=cmd", "00_tiny", "one", "a", "1.0", "2.0", "passed", ""],
                         ["'=cmd", "00_tiny", "one", "essay", "", "3.0", "manual", ""],
                         ["'=cmd", "00_tiny", "two", "b", "0.5", "1.5", "partial", ""],
                         ["ada", "00_tiny", "one", "a", "1.0", "2.0", "passed", ""]]
    assert not list(tmp_path.glob("*.partial"))
    store(result(student="ada", cells=CELLS[1:2]), tmp_path)
    assert [r["score"] for r in write_tables(tmp_path)] == [1.5, 0]


def course_gradebook(root):
    """The gradebook of a course whose assignment 00_tiny has the notebooks and cells of CELLS."""
    from nbgrader.api import Gradebook

    root.mkdir()
    stamp_gradebook(root / "gradebook.db")  # as build_course does; nbgrader would run alembic
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gradebook:
        gradebook.update_or_create_assignment("00_tiny")
        for c in CELLS:
            gradebook.update_or_create_notebook(c.notebook, "00_tiny")
            gradebook.update_or_create_grade_cell(c.grade_id, c.notebook, "00_tiny", max_score=c.max_score,
                                                  cell_type=c.cell_type)
            if c.is_manual:
                gradebook.update_or_create_solution_cell(c.grade_id, c.notebook, "00_tiny")
    return root


def gradebook_grades(out_dir):
    """(student, notebook, cell) -> (auto score, needs manual grade, manual score) in OUT/gradebook.db."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{out_dir / 'gradebook.db'}") as gradebook:
        return {(submission.student.id, notebook.name, grade.name):
                (grade.auto_score, grade.needs_manual_grade, grade.manual_score)
                for submission in gradebook.find_assignment("00_tiny").submissions
                for notebook in submission.notebooks for grade in notebook.grades}


def test_write_gradebook_holds_every_graded_submission_and_keeps_manual_grades(tmp_path):
    from nbgrader.api import Gradebook

    root, out_dir = course_gradebook(tmp_path / "course"), tmp_path / "out"
    # a digest is the submission's own, then the grading code's
    store(result(student="ada", digest=("d-ada", "code"), timestamp="2026-03-01 10:00:00 UTC"), out_dir)
    store(result(student="bob", digest=("d-bob", "code"),
                 cells=[dataclasses.replace(CELLS[0], status=Status.FAILED, score=0.0),
                        dataclasses.replace(CELLS[2], score=1.5)]), out_dir)
    store(result(student="abe", status="missing"), out_dir)  # skipped results come before and after the others
    store(result(student="cy", status="missing"), out_dir)
    store(result(student="dee", status="grader-error"), out_dir)
    store(result(student="eve", assignment="99_unknown"), out_dir)
    assert write_gradebook(out_dir, root) == []
    grades = gradebook_grades(out_dir)
    assert {student for student, _, _ in grades} == {"ada", "bob"}
    assert grades["ada", "one", "a"] == (1.0, False, None)
    assert grades["ada", "one", "essay"] == (None, True, None)
    assert grades["ada", "two", "b"] == (0.5, False, None)
    assert grades["bob", "two", "b"] == (1.5, False, None)
    assert grades["bob", "one", "a"] == (0.0, False, None)
    assert recorded_digests(out_dir / "gradebook.db") == {("ada", "00_tiny"): "d-ada", ("bob", "00_tiny"): "d-bob"}
    with Gradebook(f"sqlite:///{out_dir / 'gradebook.db'}") as gradebook:
        assert str(gradebook.find_submission("00_tiny", "ada").timestamp) == "2026-03-01 10:00:00"
        gradebook.find_grade("essay", "one", "00_tiny", "ada").manual_score = 2.5
        gradebook.find_grade("essay", "one", "00_tiny", "bob").manual_score = 1.0
        gradebook.db.commit()
    store(result(student="bob", digest=("d-bob-2", "code")), out_dir)  # bob submitted again
    assert write_gradebook(out_dir, root) == [("bob", "00_tiny")]
    grades = gradebook_grades(out_dir)
    assert grades["ada", "one", "essay"] == (None, False, 2.5)
    assert grades["bob", "one", "essay"] == (None, True, None)
    assert sorted(p.name for p in out_dir.glob("gradebook*")) == ["gradebook.db"]
