"""Every assignment of solutions/ has its hidden checks, its reference and its bug catalogue, the
checks its hidden cells import exist where the grader looks them up, and every function a hidden
check is called on has the same signature in the solution notebook as in the reference (which the
checks compare it with). Notebooks are parsed, never run."""
import ast
import importlib
import inspect
import pkgutil
import re

import nbformat
import pytest

from autograder.course import REPO_ROOT, SOLUTIONS_DIR, list_assignments
from tests.checks.test_hidden_test_cells import HIDDEN_REGION

ASSIGNMENTS = list_assignments()


def key_of(assignment):
    """``01_optimizers`` -> ``optimizers``: checks, references and catalogues drop the number."""
    return re.fullmatch(r"\d+_(\w+)", assignment).group(1)


def notebook_cells(assignment):
    """(solution sources, hidden-test sources) of the assignment's notebooks."""
    solutions, hidden = [], []
    for path in sorted((SOLUTIONS_DIR / assignment).glob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type != "code":
                continue
            if cell.metadata.get("nbgrader", {}).get("solution"):
                solutions.append(cell.source)
            hidden += HIDDEN_REGION.findall(cell.source)
    return solutions, hidden


def definitions(sources):
    """Top-level functions and classes of ``sources`` by name (the last definition wins, as in a kernel)."""
    return {node.name: node for source in sources for node in ast.parse(source).body
            if isinstance(node, (ast.FunctionDef, ast.ClassDef))}


def _default(node):
    try:
        return repr(ast.literal_eval(node))
    except ValueError:
        return ast.unparse(node)


def signature(function):
    """A FunctionDef's parameters as (kind, name, default) triples: positional, *args, keyword-only, **kwargs."""
    arguments = function.args
    positional = arguments.posonlyargs + arguments.args
    defaults = [None] * (len(positional) - len(arguments.defaults)) + arguments.defaults
    triples = [("positional", a.arg, None if d is None else _default(d)) for a, d in zip(positional, defaults)]
    if arguments.vararg:
        triples.append(("*", arguments.vararg.arg, None))
    triples += [("keyword", a.arg, None if d is None else _default(d))
                for a, d in zip(arguments.kwonlyargs, arguments.kw_defaults)]
    if arguments.kwarg:
        triples.append(("**", arguments.kwarg.arg, None))
    return triples


def signatures(node):
    """A function's signature, or a class's: that of each method, by name."""
    if isinstance(node, ast.FunctionDef):
        return signature(node)
    return {item.name: signature(item) for item in node.body if isinstance(item, ast.FunctionDef)}


def checked_names(hidden, solution_definitions):
    """The solution's functions and classes the hidden checks are called on: the arguments of each
    ``check_*`` call, and for an adapter the hidden cell defines, the solution names it uses."""
    names = set()
    for region in hidden:
        tree = ast.parse(region)
        adapters = {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}
        calls = [node for node in ast.walk(tree) if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)]
        for call in calls:
            if not call.func.id.startswith("check_"):
                continue
            for argument in call.args:
                if argument.id in adapters:
                    names |= {node.id for node in ast.walk(adapters[argument.id])
                              if isinstance(node, ast.Name) and node.id in solution_definitions}
                else:
                    names.add(argument.id)
    return names


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_assignment_has_checks_reference_and_bug_catalogue(assignment):
    key = key_of(assignment)
    assert (REPO_ROOT / "autograder" / "checks" / key / "__init__.py").is_file()
    assert (REPO_ROOT / "autograder" / "reference" / f"{key}.py").is_file()
    assert (REPO_ROOT / "tests" / "checks" / "bug_catalogue" / f"{key}.py").is_file()


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_hidden_cells_import_checks_the_grader_finds(assignment):
    """The verifier runs ``getattr(importlib.import_module(module), name)`` for each imported check."""
    _, hidden = notebook_cells(assignment)
    imports = [node for region in hidden for node in ast.walk(ast.parse(region)) if isinstance(node, ast.ImportFrom)]
    assert imports
    for node in imports:
        assert node.module == f"autograder.checks.{key_of(assignment)}"
        module = importlib.import_module(node.module)
        for alias in node.names:
            assert callable(getattr(module, alias.name)), alias.name


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_check_of_a_topic_module_is_exported_by_its_package(assignment):
    package = importlib.import_module(f"autograder.checks.{key_of(assignment)}")
    defined = {name for info in pkgutil.iter_modules(package.__path__)
               for name, value in vars(importlib.import_module(f"{package.__name__}.{info.name}")).items()
               if name.startswith("check_") and inspect.isfunction(value) and value.__module__.endswith(info.name)}
    assert defined <= set(package.__all__) and all(hasattr(package, name) for name in defined)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_checked_functions_have_the_reference_signatures(assignment):
    solutions, hidden = notebook_cells(assignment)
    solution = definitions(solutions)
    reference = definitions([(REPO_ROOT / "autograder" / "reference" / f"{key_of(assignment)}.py").read_text()])
    names = checked_names(hidden, solution)
    assert names
    for name in sorted(names):
        assert name in solution, f"{name} is checked but no solution cell defines it"
        assert name in reference, f"{name} is checked but the reference has no {name}"
        expected = signatures(reference[name])
        if isinstance(expected, dict):
            expected = {method: value for method, value in expected.items()
                        if method == "__init__" or not method.startswith("_")}
            assert {method: signatures(solution[name]).get(method) for method in expected} == expected, name
        else:
            assert signatures(solution[name]) == expected, name
