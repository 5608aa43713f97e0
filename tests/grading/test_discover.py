"""Finding the submissions of a class in nbgrader's collect layout, without grading them."""
import shutil

import nbformat

import pytest

from autograder.course import CourseError
from autograder.grading.submissions import discover
from tests import tiny_course as tc


@pytest.fixture
def course(tmp_path):
    solutions, submissions = tmp_path / "solutions", tmp_path / "submitted"
    tc.write_solutions(solutions)
    return solutions, submissions


def _submit(submissions, student, name, assignment=tc.ASSIGNMENT):
    path = submissions / student / assignment / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("{}")
    return path


def _found(tasks):
    return {(t.student, t.assignment): {k: (v.name if v else None) for k, v in t.notebooks.items()} for t in tasks}


def test_a_renamed_download_is_graded_when_it_is_the_only_notebook(course):
    solutions, submissions = course
    _submit(submissions, "ada", "tiny (1).ipynb")
    _submit(submissions, "ben", "tiny (1).ipynb")
    _submit(submissions, "ben", "notes.ipynb")
    assert _found(discover(submissions, solutions)) == {
        ("ada", tc.ASSIGNMENT): {tc.NOTEBOOK: "tiny (1).ipynb"},
        ("ben", tc.ASSIGNMENT): {tc.NOTEBOOK: None},  # two candidates: guessing could grade the wrong one
    }


def test_a_multi_notebook_assignment_finds_each_notebook_by_name(course):
    solutions, submissions = course
    shutil.copy(solutions / tc.ASSIGNMENT / tc.NOTEBOOK, solutions / tc.ASSIGNMENT / "second.ipynb")
    _submit(submissions, "ada", tc.NOTEBOOK)
    _submit(submissions, "ada", "second.ipynb")
    _submit(submissions, "ben", "second (1).ipynb")  # no renamed-download guess with two expected notebooks
    assert _found(discover(submissions, solutions)) == {
        ("ada", tc.ASSIGNMENT): {tc.NOTEBOOK: tc.NOTEBOOK, "second.ipynb": "second.ipynb"},
        ("ben", tc.ASSIGNMENT): {tc.NOTEBOOK: None, "second.ipynb": None},
    }


def test_a_student_without_the_assignment_is_listed_as_missing(course):
    solutions, submissions = course
    _submit(submissions, "ada", tc.NOTEBOOK)
    (submissions / "cy").mkdir()
    (submissions / ".hidden").mkdir()
    assert _found(discover(submissions, solutions)) == {
        ("ada", tc.ASSIGNMENT): {tc.NOTEBOOK: tc.NOTEBOOK}, ("cy", tc.ASSIGNMENT): {tc.NOTEBOOK: None}}


def test_unknown_assignments_and_missing_folders_are_refused(course, tmp_path):
    solutions, submissions = course
    _submit(submissions, "ada", tc.NOTEBOOK)
    with pytest.raises(CourseError, match="unknown assignment"):
        discover(submissions, solutions, ["99_nothing"])
    with pytest.raises(CourseError, match="not found"):
        discover(tmp_path / "nowhere", solutions)


@pytest.mark.slow
def test_a_multi_notebook_assignment_is_graded_notebook_by_notebook(course, tmp_path):
    from autograder.grading.options import Options
    from autograder.grading.run import grade
    from autograder.commands.release import release

    solutions, submissions = course
    shutil.copy(solutions / tc.ASSIGNMENT / tc.NOTEBOOK, solutions / tc.ASSIGNMENT / "second.ipynb")
    release(solutions, tmp_path / "release", show_progress=False)
    released = tmp_path / "release" / tc.ASSIGNMENT
    honest = tc.student_notebook(released / tc.NOTEBOOK, "def add(a, b):\n    return a + b",
                                 "def mul(a, b):\n    return a * b")
    wrong_mul = tc.student_notebook(released / "second.ipynb", "def add(a, b):\n    return a + b",
                                    "def mul(a, b):\n    return a + b")
    for student, notebooks in {"ada": {tc.NOTEBOOK: honest, "second.ipynb": wrong_mul},
                               "ben": {tc.NOTEBOOK: honest}}.items():
        for name, notebook in notebooks.items():
            nbformat.write(notebook, _submit(submissions, student, name))
    _, rows = grade(submissions, tmp_path / "out", Options(cell_timeout=10, budget=120, jobs=1, show_progress=False),
                    solutions)
    rows = {r["student"]: r for r in rows}
    assert (rows["ada"]["score"], rows["ada"]["max_score"], rows["ada"]["status"]) == (7, 10, "ok")
    assert (rows["ben"]["score"], rows["ben"]["max_score"], rows["ben"]["manual_max_score"]) == (5, 10, 2)
    assert rows["ben"]["message"] == "not submitted: second.ipynb"
