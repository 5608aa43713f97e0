"""Redaction of hidden tests and solutions from feedback outputs, on cells built by hand."""
import nbformat
from nbformat.v4 import new_code_cell, new_output

from autograder.grading.nbgrader_ext.feedback import REMOVED, RedactTests, secret_lines

SOURCE = """### BEGIN HIDDEN TESTS
assert add(40, 2) == 42, "hidden-test-source-line"
### END HIDDEN TESTS"""
SECRET = 'assert add(40, 2) == 42, "hidden-test-source-line"'


def _solution_cell(*outputs):
    cell = new_code_cell("print(1)", metadata={"nbgrader": {"solution": True, "grade": False, "grade_id": "add"}})
    cell.outputs = list(outputs)
    return cell


def _redacted(cell):
    preprocessor = RedactTests(secrets=secret_lines([SOURCE]))
    return preprocessor.preprocess_cell(cell, {}, 0)[0]


def test_secret_lines_are_the_hidden_region():
    assert secret_lines([SOURCE]) == [SECRET]


def test_a_quoted_hidden_line_is_removed_from_a_stream():
    cell = _redacted(_solution_cell(new_output("stream", name="stdout", text=f"stolen: {SECRET}\n")))
    assert cell.outputs[0].text == REMOVED


def test_terminal_colours_inside_a_quoted_line_do_not_hide_it():
    """Before colour codes were stripped, this traceback (IPython colours its tokens) kept the line."""
    coloured = SECRET.replace("add", "\x1b[0;32madd\x1b[0m").replace("==", "\x1b[38;5;241m==\x1b[39m")
    error = new_output("error", ename="ValueError", evalue="x", traceback=[f"\x1b[0;31m----> 2\x1b[0m {coloured}"])
    cell = _redacted(_solution_cell(error, new_output("stream", name="stderr", text=coloured)))
    assert cell.outputs[0].traceback == [REMOVED]
    assert cell.outputs[1].text == REMOVED


def test_an_innocent_output_is_kept():
    cell = _redacted(_solution_cell(new_output("stream", name="stdout", text="\x1b[1mloss 0.25\x1b[0m\n")))
    assert "loss 0.25" in cell.outputs[0].text
    nbformat.validate(nbformat.v4.new_notebook(cells=[cell]))
