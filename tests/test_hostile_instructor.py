"""Hostile submissions aimed at the instructor rather than the grade: what ``grade`` writes (CSV
files, feedback pages) is safe to open, and no folder name or notebook file stops the run.

One class of the tiny course is graded once for the whole module. Every case here succeeded
against the grader before its defence was added (each test says what happened then).
"""
import csv
import json

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell

from autograder.grade import FORMULA_STARTS, Options, grade
from autograder.release import release
from tests import tiny_course as tc

OPTIONS = Options(cell_timeout=10, budget=120, jobs=2, show_progress=False)
ADD, MUL = "def add(a, b):\n    return a + b", "def mul(a, b):\n    return a * b"
FORMULA_NAMES = ["@SUM(1+1)", "+cmd|' -C calc'!A0", '=HYPERLINK("evil.example","x")']
# The exception's class name starts the message of tests.csv: "=2+5: boom".
FORMULA_ERROR = "def mul(a, b):\n    raise type('=2+5', (Exception,), {})('boom')"


def _complete(released, mul=MUL, edit=None):
    return tc.student_notebook(released, ADD, mul, edit)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("instructor")
    solutions, assignments, submissions = root / "solutions", root / "assignments", root / "submitted"
    tc.write_solutions(solutions)
    release(solutions, assignments, show_progress=False)
    released = assignments / tc.ASSIGNMENT / tc.NOTEBOOK
    notebooks = {name: _complete(released) for name in FORMULA_NAMES}
    notebooks["formula_in_message"] = _complete(released, FORMULA_ERROR)
    for student, notebook in notebooks.items():
        path = submissions / student / tc.ASSIGNMENT / tc.NOTEBOOK
        path.parent.mkdir(parents=True)
        nbformat.write(notebook, path)
    out = root / "out"
    results, rows = grade(submissions, out, OPTIONS, solutions)
    return {"root": root, "solutions": solutions, "out": out, "results": {r["student"]: r for r in results},
            "rows": {r["student"]: r for r in rows}}


def _read_csv(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.parametrize("table", ["grades.csv", "tests.csv"])
def test_no_csv_cell_starts_a_formula(graded, table):
    """Before: the student folder ``@SUM(1+1)`` was the first cell of its rows, and the message
    ``=2+5: boom`` of the student's exception a cell of tests.csv, both run by a spreadsheet."""
    rows = _read_csv(graded["out"] / table)
    cells = [value for row in rows for value in row.values()]
    assert not [value for value in cells if value.startswith(FORMULA_STARTS)]
    students = {row["student"] for row in rows}
    assert {f"'{name}" for name in FORMULA_NAMES} <= students
    if table == "tests.csv":
        assert "'=2+5: boom" in {row["message"] for row in rows}


def test_formula_named_students_are_graded(graded):
    for name in FORMULA_NAMES:
        row = graded["rows"][name]
        assert (row["status"], row["score"]) == ("ok", 5)
