"""The rule that keeps hidden test cells worthless to steal.

A grading kernel runs every hidden test cell, and IPython keeps the source of whatever it ran, so a
submission can always read the cells it is graded with. They may therefore hold nothing worth
stealing: no expected values, no solution code, only imports of checks, adapters that hold no
value (they drive the student's objects through plain calls) and calls that hand the student's own
functions to checks that run in the grader (autograder/SECURITY.md).
"""
import ast
import re

import nbformat
import pytest

from autograder.course import SOLUTIONS_DIR

HIDDEN_REGION = re.compile(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", re.S)
CHECK_MODULE = re.compile(r"^autograder\.checks\.[a-z][a-z0-9_]*$")


def hidden_regions(notebook_path):
    notebook = nbformat.read(notebook_path, as_version=4)
    return [(cell.metadata.get("nbgrader", {}).get("grade_id"), region)
            for cell in notebook.cells for region in HIDDEN_REGION.findall(cell.source)]


def rule_breaks(region):
    """What in ``region`` goes beyond importing checks and calling them on the student's names."""
    problems = []
    for statement in ast.parse(region).body:
        if isinstance(statement, ast.ImportFrom):
            if not CHECK_MODULE.match(statement.module or "") or any(
                    not alias.name.startswith("check_") or alias.asname for alias in statement.names):
                problems.append(f"import other than a check: {ast.unparse(statement)}")
        elif isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call):
            call = statement.value
            if not (isinstance(call.func, ast.Name) and call.func.id.startswith("check_")):
                problems.append(f"call of something other than a check: {ast.unparse(statement)}")
            if call.keywords or not all(isinstance(arg, ast.Name) for arg in call.args):
                problems.append(f"a check given more than the student's names: {ast.unparse(statement)}")
        elif isinstance(statement, ast.FunctionDef):
            # An adapter that drives the student's objects for a check (e.g. a class through plain
            # calls) is allowed while it holds no value at all: no constant beyond docstrings.
            docstrings = {id(node.body[0].value) for node in ast.walk(statement)
                          if isinstance(node, ast.FunctionDef) and ast.get_docstring(node) is not None}
            constants = [node for node in ast.walk(statement)
                         if isinstance(node, ast.Constant) and id(node) not in docstrings]
            if constants:
                problems.append(f"an adapter holding values {[c.value for c in constants]}: {statement.name}")
        else:
            problems.append(f"statement other than a check call: {ast.unparse(statement)}")
    return problems


NOTEBOOKS = sorted(SOLUTIONS_DIR.glob("*/*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.parent.name)
def test_hidden_test_cells_only_call_checks_in_the_grader(path):
    regions = hidden_regions(path)
    assert regions, "every assignment has hidden tests"
    problems = {grade_id: rule_breaks(region) for grade_id, region in regions}
    assert {k: v for k, v in problems.items() if v} == {}


@pytest.mark.parametrize("region", [
    "assert adam(w, dw)[0][0] == 0.0999",
    "from autograder.checks.optimizers import check_sgd\ncheck_sgd(sgd, expected=[0.1, 0.2])",
    "import numpy as np\ncheck_sgd(sgd)",
    "check_sgd(lambda w, dw, config=None: (w - 0.1 * dw, config))",
    "def sgd(w, dw, config=None):\n    return w - dw, config",
    "from autograder.reference.optimizers import sgd",
    "def session(kwargs):\n    return EarlyStopping(patience=2).step(0.8, {})\ncheck_early_stopping(session)",
])
def test_the_rule_rejects_a_cell_worth_stealing(region):
    assert rule_breaks(region)
