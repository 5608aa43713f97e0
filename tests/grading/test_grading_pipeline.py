"""Release, grade and selfcheck on a tiny course, as an instructor would run them."""
import json
import os
import shutil
import tempfile
from pathlib import Path

import nbformat
import pytest

from autograder import cli
from autograder.course import grading_code_digest
from autograder.grading.result_types import Status, SubmissionResult
from autograder.grading.results import store
from autograder.grading.run import grade
from autograder.grading.scratch import RUN_PREFIX
from autograder.commands.release import release
from autograder.commands.selfcheck import selfcheck
from tests import tiny_course as tc
from tests.grading.tiny_grading import OPTIONS, kernel_cgroups, tree_digest

# All but one test share the class that the tiny course's grading fixture grades (most of a minute).
pytestmark = pytest.mark.slow


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
    assert tree_digest(course["submissions"]) == course["digest_before"]


def test_every_status_of_the_run_is_a_member_of_the_enum(course):
    results = course["results"].values()
    statuses = [r.status for r in results] + [c.status for r in results for c in r.cells]
    assert all(type(status) is Status for status in statuses)
    assert set(statuses) >= {Status.OK, Status.INVALID_NOTEBOOK, Status.TIMEOUT, Status.MISSING, Status.KERNEL_DIED,
                             Status.PASSED, Status.FAILED, Status.MANUAL, Status.UNANSWERED}


def test_stderr_output_does_not_cost_points(course):
    # test_add writes a warning and a line to stderr before its assertions.
    cells = {c.grade_id: c for c in course["results"]["ada_complete"].cells}
    assert cells["test_add"].score == 2


def test_hidden_failure_message_is_reported(course, tmp_path):
    released = course["assignments"] / tc.ASSIGNMENT / tc.NOTEBOOK
    path = tmp_path / "subs" / "kim" / tc.ASSIGNMENT / tc.NOTEBOOK
    path.parent.mkdir(parents=True)
    nbformat.write(tc.student_notebook(released, "def add(a, b):\n    return a + b",
                                       "def mul(a, b):\n    return abs(a * b) if a > 0 else a * abs(b)"), path)
    results, _ = grade(tmp_path / "subs", tmp_path / "out", OPTIONS, course["solutions"])
    cells = {c.grade_id: c for c in results[0].cells}
    assert cells["test_mul"].message == "AssertionError: mul: the product of two negatives should be positive"
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
    fault = SubmissionResult(student="ada_complete", assignment=tc.ASSIGNMENT, status=Status.GRADER_ERROR)
    assert store(fault, out) is False
    stored = json.loads((out / "results" / "ada_complete" / f"{tc.ASSIGNMENT}.json").read_text())
    assert stored["status"] == "ok"


def _regraded(course, tmp_path, change_submission=False):
    """Grade ada again into a copy of the course's output; returns (students regraded, ada's score)."""
    out, subs = tmp_path / "out", tmp_path / "subs"
    shutil.copytree(course["out"], out)
    shutil.copytree(course["submissions"] / "ada_complete", subs / "ada_complete")
    if change_submission:
        path = subs / "ada_complete" / tc.ASSIGNMENT / tc.NOTEBOOK
        nbformat.write(tc.student_notebook(path, "def add(a, b):\n    return a - b"), path)
    results, rows = grade(subs, out, OPTIONS, course["solutions"])
    return [r.student for r in results], {r["student"]: r["score"] for r in rows}["ada_complete"]


def test_unchanged_submission_keeps_its_grade(course, tmp_path):
    assert _regraded(course, tmp_path) == ([], 5)


def test_changed_submission_is_regraded(course, tmp_path):
    assert _regraded(course, tmp_path, change_submission=True) == (["ada_complete"], 3)


def test_changed_grading_code_regrades(course, tmp_path, monkeypatch):
    """A fix to a hidden check or a reference changes the grading-code digest: stored grades are stale."""
    monkeypatch.setattr("autograder.grading.run.grading_code_digest", lambda: "a fixed hidden check")
    assert _regraded(course, tmp_path) == (["ada_complete"], 5)


def test_grading_code_digest_covers_checks_and_references(tmp_path):
    for folder in ("autograder/checks", "autograder/reference", "cs_utils"):
        (tmp_path / folder).mkdir(parents=True)
        (tmp_path / folder / "module.py").write_text("RTOL = 1e-6\n")
    before = grading_code_digest(tmp_path)
    for folder in ("autograder/checks", "autograder/reference", "cs_utils"):
        (tmp_path / folder / "module.py").write_text("RTOL = 1e-3\n")
        grading_code_digest.cache_clear()
        after = grading_code_digest(tmp_path)
        assert after != before, folder
        before = after


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


def test_release_removes_files_gone_from_the_source_but_not_files_it_did_not_write(course, tmp_path):
    solutions, target = tmp_path / "solutions", tmp_path / "release"
    shutil.copytree(course["solutions"], solutions)
    (solutions / tc.ASSIGNMENT / "old_data.csv").write_text("1,2\n")
    release(solutions, target, show_progress=False)
    stale, notes = target / tc.ASSIGNMENT / "old_data.csv", target / tc.ASSIGNMENT / "notes.txt"
    assert stale.read_text() == "1,2\n"
    notes.write_text("my notes\n")
    (solutions / tc.ASSIGNMENT / "old_data.csv").unlink()
    release(solutions, target, show_progress=False)
    assert not stale.exists()
    assert notes.read_text() == "my notes\n"


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
    assert kernel_cgroups() - course["cgroups_before"] == set()
    assert not list(Path(tempfile.gettempdir()).glob(f"{RUN_PREFIX}{os.getpid()}-*"))
