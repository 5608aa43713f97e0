"""The solution notebook's own implementations, to hold the references to: the function and class
definitions of its solution cells, given those imports of its set-up cell that they use (no notebook
executes)."""
import ast
import json
from pathlib import Path

import numpy as np

SOLUTIONS_DIR = Path(__file__).resolve().parents[2] / "solutions"


def _code(cell):
    """The cell's Python, without IPython's magics."""
    source = "".join(cell["source"])
    return "\n".join(line for line in source.splitlines() if not line.lstrip().startswith(("%", "!")))


def solution_definitions(key):
    """name -> function or class defined in a solution cell of solutions/NN_<key>/<key>.ipynb."""
    (path,) = SOLUTIONS_DIR.glob(f"*_{key}/{key}.ipynb")
    code_cells = [cell for cell in json.loads(path.read_text(encoding="utf-8"))["cells"] if cell["cell_type"] == "code"]
    definitions = [node for cell in code_cells if cell["metadata"].get("nbgrader", {}).get("solution")
                   for node in ast.parse(_code(cell)).body if isinstance(node, (ast.FunctionDef, ast.ClassDef))]
    used = {node.id for definition in definitions for node in ast.walk(definition) if isinstance(node, ast.Name)}
    imports = [node for node in ast.parse(_code(code_cells[0])).body if isinstance(node, (ast.Import, ast.ImportFrom))
               and any((alias.asname or alias.name.split(".")[0]) in used for alias in node.names)]
    namespace = {}
    exec(compile(ast.Module(imports + definitions, type_ignores=[]), str(path), "exec"), namespace)
    return {node.name: namespace[node.name] for node in definitions}


def assert_same(actual, expected, rtol=1e-10, atol=1e-12):
    """Equal structure (tuples, lists, dicts), dtypes and values, up to round-off."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict) and sorted(actual) == sorted(expected), (actual, expected)
        for key in expected:
            assert_same(actual[key], expected[key], rtol, atol)
    elif isinstance(expected, (tuple, list)):
        assert type(actual) is type(expected) and len(actual) == len(expected), (actual, expected)
        for a, e in zip(actual, expected):
            assert_same(a, e, rtol, atol)
    elif isinstance(expected, np.ndarray):
        assert isinstance(actual, np.ndarray) and actual.dtype == expected.dtype, (actual, expected)
        np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol)
    elif expected is None or isinstance(expected, str):
        assert actual == expected
    else:
        np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol)
