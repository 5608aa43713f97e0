"""Hostile submissions: each gets the status and score it deserves, honest students in the same
run keep their exact scores, and no feedback shows a hidden test."""
import os
import subprocess
import sys

import pytest

from autograder.course import REPO_ROOT
from autograder.grading.options import Options

from autograder.grading.run import grade
from tests.hostile import hostile_catalogue as catalogue

OPTIONS = Options(cell_timeout=10, budget=90, jobs=2, show_progress=False, max_size_mb=3,
                  memory_mb=3072, file_mb=16, processes=128)
HONEST = {"honest_complete": lambda: catalogue.full(), "honest_blank": lambda: 0}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    submissions = root / "submitted"
    builders = {name: case[0] for name, case in catalogue.CASES.items()}
    builders["honest_complete"] = lambda: catalogue.dump(catalogue.complete())
    builders["honest_blank"] = lambda: (catalogue.RELEASE_DIR / catalogue.ASSIGNMENT / catalogue.NOTEBOOK).read_bytes()
    for student, build in builders.items():
        folder = submissions / student / catalogue.ASSIGNMENT
        folder.mkdir(parents=True)
        content = build()
        if content is not None:
            (folder / catalogue.NOTEBOOK).write_bytes(content)
    _, rows = grade(submissions, root / "out", OPTIONS)
    return {"rows": {r["student"]: r for r in rows}, "out": root / "out"}


def _outside_the_sandbox(code):
    """What ``code`` prints when run as plain Python with the course importable, as it would in
    a grader without the sandbox."""
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd="/",
                          env={**os.environ, "PYTHONPATH": str(REPO_ROOT)}).stdout


def test_the_disk_attacks_reach_their_targets_outside_the_sandbox():
    """Control for the attacks that read the checkout: without the sandbox they get the reference
    and the hidden tests, so their 0 points in the graded run are the sandbox's doing."""
    assert "function" in _outside_the_sandbox(catalogue.READ_REFERENCE + "\nprint(type(adam).__name__)")
    stolen = _outside_the_sandbox(catalogue.PRINT_SECRETS)
    assert "### BEGIN HIDDEN TESTS" in stolen and "def check_sgd(" in stolen


def test_the_catalogue_is_large_enough():
    assert len(catalogue.CASES) >= 25


@pytest.mark.slow
@pytest.mark.parametrize("student", sorted(HONEST))
def test_honest_students_keep_their_exact_scores(graded, student):
    row = graded["rows"][student]
    assert (row["status"], row["score"]) == ("ok", HONEST[student]())


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(catalogue.CASES))
def test_hostile_submission_gets_its_status_and_score(graded, case):
    _, status, score = catalogue.CASES[case]
    row = graded["rows"][case]
    assert (row["status"], row["score"]) == (status, score()), row["message"]
    assert row["max_score"] == catalogue.full()


@pytest.mark.slow
def test_no_feedback_shows_hidden_tests(graded):
    for page in (graded["out"] / "feedback").rglob("*.html"):
        html = page.read_text()
        assert "HIDDEN TESTS" not in html and "check_sgd(sgd)" not in html, page
