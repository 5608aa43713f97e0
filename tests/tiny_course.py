"""A two-exercise nbgrader course that grades in seconds, for testing the grading pipeline."""
import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ASSIGNMENT = "00_tiny"
NOTEBOOK = "tiny.ipynb"


def _meta(grade_id, *, grade, solution, locked, points=None):
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3,
            "solution": solution, "task": False}
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


ADD_SOLUTION = '''def add(a, b):
    """Return a + b."""
    ### BEGIN SOLUTION
    return a + b
    ### END SOLUTION'''

ADD_TEST = '''import sys, warnings
warnings.warn("a warning on stderr must not cost points")
print("a line on stderr", file=sys.stderr)
assert add(1, 2) == 3
### BEGIN HIDDEN TESTS
assert add(-5, 5) == 0, "add: opposite numbers should sum to zero"
### END HIDDEN TESTS'''

MUL_SOLUTION = '''def mul(a, b):
    """Return a * b."""
    ### BEGIN SOLUTION
    return a * b
    ### END SOLUTION'''

MUL_TEST = '''assert mul(2, 3) == 6
### BEGIN HIDDEN TESTS
SECRET_MARKER = "hidden-test-source-line"
assert mul(-2, -3) == 6, "mul: the product of two negatives should be positive"
### END HIDDEN TESTS'''


def solution_notebook():
    """The instructor source of the tiny assignment (5 auto points, 1 manual point)."""
    cells = [
        new_markdown_cell("# Tiny assignment", id="intro"),
        new_code_cell(ADD_SOLUTION, id="add", metadata=_meta("add", grade=False, solution=True, locked=False)),
        new_code_cell(ADD_TEST, id="test-add", metadata=_meta("test_add", grade=True, solution=False, locked=True, points=2)),
        new_code_cell(MUL_SOLUTION, id="mul", metadata=_meta("mul", grade=False, solution=True, locked=False)),
        new_code_cell(MUL_TEST, id="test-mul", metadata=_meta("test_mul", grade=True, solution=False, locked=True, points=3)),
        new_markdown_cell("Why?", id="q-why"),
        new_markdown_cell("Because.", id="answer-why",
                          metadata=_meta("answer_why", grade=True, solution=True, locked=False, points=1)),
        new_code_cell("print('the end')", id="end"),
    ]
    notebook = new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return notebook


def write_solutions(solutions_dir):
    """Write the tiny assignment under ``solutions_dir``; returns the notebook path."""
    path = solutions_dir / ASSIGNMENT / NOTEBOOK
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(solution_notebook(), path)
    return path


def student_notebook(release_path, add_source=None, mul_source=None, edit=None):
    """A submission made from the released notebook with the given function bodies filled in."""
    notebook = nbformat.read(release_path, as_version=4)
    for cell in notebook.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id == "add" and add_source is not None:
            cell.source = add_source
        if grade_id == "mul" and mul_source is not None:
            cell.source = mul_source
    if edit:
        edit(notebook)
    return notebook
