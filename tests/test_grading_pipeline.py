"""Release, grade and selfcheck on a tiny course, as an instructor would run them."""
import csv
import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

import nbformat
import pytest

from autograder import cli
from autograder.grade import Options, grade, store
from autograder.grading_run import RUN_PREFIX
from autograder.kernel_launcher import PIDS_CGROUP_ROOTS
from autograder.release import release
from autograder.sample_class import write_samples
from autograder.selfcheck import selfcheck
from tests import tiny_course as tc

OPTIONS = Options(cell_timeout=10, budget=120, jobs=2, show_progress=False)


def _tree_digest(folder):
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(folder)).encode() + path.read_bytes())
    return digest.hexdigest()


def _kernel_cgroups():
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


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = tmp_path_factory.mktemp("course")
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
    before, cgroups_before = _tree_digest(submissions), _kernel_cgroups()
    out = root / "out"
    results, rows = grade(submissions, out, OPTIONS, solutions)
    return {"root": root, "solutions": solutions, "assignments": assignments, "submissions": submissions,
            "out": out, "results": {r["student"]: r for r in results},
            "rows": {r["student"]: r for r in rows}, "digest_before": before, "cgroups_before": cgroups_before}


@pytest.mark.parametrize("student, score, status", [
    ("ada_complete", 5, "ok"),
    ("ben_partial", 2, "ok"),
    ("cy_blank", 0, "ok"),
    ("dee_corrupted", 0, "invalid-notebook"),
    ("eli_infinite_loop", 3, "timeout"),
    ("fay_missing", 0, "missing"),
    ("gus_silenced_errors", 3, "ok"),
    ("hal_crashing_kernel", 3, "kernel-died"),
    ("gus_deleted_test", 3, "ok"),
    ("hal_edited_test", 0, "ok"),
    ("ivy_env", 2, "ok"),
])
def test_each_student_gets_the_expected_score_and_status(course, student, score, status):
    row = course["rows"][student]
    assert (row["score"], row["max_score"], row["manual_max_score"], row["status"]) == (score, 5, 1, status)


def test_status_messages_name_the_problem(course):
    assert "test_add" in course["rows"]["eli_infinite_loop"]["message"]
    assert "not valid JSON" in course["rows"]["dee_corrupted"]["message"]
    assert "no submission" in course["rows"]["fay_missing"]["message"]


def test_submissions_are_never_modified(course):
    assert _tree_digest(course["submissions"]) == course["digest_before"]


def test_csv_files_have_the_contract_columns(course):
    with open(course["out"] / "grades.csv") as handle:
        grades = list(csv.DictReader(handle))
    assert {"student", "assignment", "score", "max_score", "status"} <= set(grades[0])
    assert len(grades) == 11
    with open(course["out"] / "tests.csv") as handle:
        tests = list(csv.DictReader(handle))
    assert set(tests[0]) >= {"student", "assignment", "grade_id", "score", "max_score", "status", "message"}
    ben = {t["grade_id"]: t for t in tests if t["student"] == "ben_partial"}
    assert ben["test_add"]["status"] == "passed"
    assert ben["test_mul"]["status"] == "failed" and "NotImplementedError" in ben["test_mul"]["message"]
    assert ben["answer_why"]["status"] == "manual"
    blank = {t["grade_id"]: t for t in tests if t["student"] == "cy_blank"}
    assert blank["answer_why"]["status"] == "unanswered"
    corrupted = [t for t in tests if t["student"] == "dee_corrupted"]
    assert {t["status"] for t in corrupted} == {"invalid-notebook"} and len(corrupted) == 3


def test_stderr_output_does_not_cost_points(course):
    # test_add writes a warning and a line to stderr before its assertions.
    cells = {c["grade_id"]: c for c in course["results"]["ada_complete"]["cells"]}
    assert cells["test_add"]["score"] == 2


def test_hidden_failure_message_is_reported(course, tmp_path):
    released = course["assignments"] / tc.ASSIGNMENT / tc.NOTEBOOK
    path = tmp_path / "subs" / "kim" / tc.ASSIGNMENT / tc.NOTEBOOK
    path.parent.mkdir(parents=True)
    nbformat.write(tc.student_notebook(released, "def add(a, b):\n    return a + b",
                                       "def mul(a, b):\n    return abs(a * b) if a > 0 else a * abs(b)"), path)
    results, _ = grade(tmp_path / "subs", tmp_path / "out", OPTIONS, course["solutions"])
    cells = {c["grade_id"]: c for c in results[0]["cells"]}
    assert cells["test_mul"]["message"] == "AssertionError: mul: the product of two negatives should be positive"
    html = (tmp_path / "out" / "feedback" / "kim" / tc.ASSIGNMENT / "tiny.html").read_text()
    assert "the product of two negatives should be positive" in html
    assert "hidden-test-source-line" not in html and "HIDDEN TESTS" not in html
    assert "mul(-2, -3)" not in html


def test_feedback_never_shows_hidden_tests(course):
    feedback = sorted((course["out"] / "feedback").rglob("*.html"))
    assert {p.parts[-3] for p in feedback} >= {"ada_complete", "ben_partial", "cy_blank", "eli_infinite_loop",
                                               "dee_corrupted", "fay_missing"}
    for page in feedback:
        html = page.read_text()
        assert "hidden-test-source-line" not in html
        assert "HIDDEN TESTS" not in html
        assert "add(-5, 5)" not in html


def test_rerun_keeps_earlier_grades_and_grader_faults_never_replace_them(course, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(course["out"], out)
    only_ada = tmp_path / "subs"
    shutil.copytree(course["submissions"] / "ada_complete", only_ada / "ada_complete")
    _, rows = grade(only_ada, out, OPTIONS, course["solutions"])
    assert len(rows) == 11 and {r["student"]: r["score"] for r in rows}["ben_partial"] == 2
    fault = {"student": "ada_complete", "assignment": tc.ASSIGNMENT, "cells": [], "status": "grader-error"}
    assert store(fault, out) is False
    stored = json.loads((out / "results" / "ada_complete" / f"{tc.ASSIGNMENT}.json").read_text())
    assert stored["status"] == "ok"


def test_release_is_deterministic_and_strips_solutions(course, tmp_path):
    again = tmp_path / "again"
    release(course["solutions"], again, show_progress=False)
    released = course["assignments"] / tc.ASSIGNMENT / tc.NOTEBOOK
    assert (again / tc.ASSIGNMENT / tc.NOTEBOOK).read_bytes() == released.read_bytes()
    text = released.read_text()
    assert "BEGIN SOLUTION" not in text and "HIDDEN" not in text and "return a + b" not in text
    assert "YOUR CODE HERE" in text and '"outputs": []' in text
    notebook = nbformat.read(released, as_version=4)
    assert [c.id for c in notebook.cells] == [c.id for c in tc.solution_notebook().cells]


def test_release_removes_files_gone_from_the_source(course, tmp_path):
    target = tmp_path / "release"
    shutil.copytree(course["assignments"], target)
    stale = target / tc.ASSIGNMENT / "old_data.csv"
    stale.write_text("1,2\n")
    release(course["solutions"], target, show_progress=False)
    assert not stale.exists()


def test_selfcheck_passes_on_a_correct_course_and_fails_on_a_broken_one(course, tmp_path):
    problems, _ = selfcheck(course["solutions"], course["assignments"], OPTIONS)
    assert problems == []
    broken = tmp_path / "solutions"
    shutil.copytree(course["solutions"], broken)
    path = broken / tc.ASSIGNMENT / tc.NOTEBOOK
    path.write_text(path.read_text().replace("return a * b", "return a + b").replace("# Tiny", "# Small"))
    problems, _ = selfcheck(broken, course["assignments"], OPTIONS)
    assert any("test_mul scored 0" in p for p in problems)
    assert any("release out of date" in p for p in problems)


def test_cli_reports_bad_input_clearly(course, tmp_path, capsys):
    assert cli.main(["--solutions", str(course["solutions"]), "grade", str(tmp_path / "nowhere"),
                     "--out", str(tmp_path / "o")]) == 2
    assert "submissions folder not found" in capsys.readouterr().err
    assert cli.main(["--solutions", str(course["solutions"]), "grade", str(course["submissions"]),
                     "--out", str(tmp_path / "o"), "--assignment", "99_nope"]) == 2
    assert "unknown assignment" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli.main(["grade", str(course["submissions"]), "--out", str(tmp_path / "o"), "--jobs", "0"])


@pytest.mark.parametrize("student, words", [
    ("dee_corrupted", "could not be read as a Jupyter notebook"),
    ("fay_missing", "No notebook was found"),
    ("eli_infinite_loop", "ran longer than the time limit"),
])
def test_every_status_is_explained_in_the_feedback(course, student, words):
    pages = list((course["out"] / "feedback" / student / tc.ASSIGNMENT).glob("*.html"))
    assert [p.name for p in pages] == ["tiny.html"]
    html = pages[0].read_text()
    assert "Grading status" in html and words in html


@pytest.mark.skipif(os.geteuid() != 0, reason="pids cgroups are made only as root")
def test_no_kernel_cgroup_is_left_behind(course):
    # Restarted kernels (the crash, the infinite loop) each had a pids cgroup of their own.
    assert _kernel_cgroups() - course["cgroups_before"] == set()
    assert not list(Path(tempfile.gettempdir()).glob(f"{RUN_PREFIX}{os.getpid()}-*"))


def test_gradebook_in_out_matches_grades_csv(course):
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course['out'] / 'gradebook.db'}") as gradebook:
        for student, row in course["rows"].items():
            if row["status"] == "missing":
                continue
            submission = gradebook.find_submission(tc.ASSIGNMENT, student)
            assert submission.code_score == row["score"], student
