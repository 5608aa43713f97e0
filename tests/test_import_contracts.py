"""The import contracts of pyproject.toml ([tool.importlinter]), and what they cannot see: the
imports of files that run in the student's kernel or as scripts."""
import ast
from pathlib import Path

from importlinter import configuration
from importlinter.application.use_cases import lint_imports

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "autograder"
SANDBOX = PACKAGE / "sandbox"
# Copied into the kernel (autograder.sandbox.site) or run as scripts (autograder.sandbox.provisioner).
KERNEL_FILES = sorted([*(SANDBOX / "in_kernel").glob("*.py"), *PACKAGE.glob("checks/*/probe.py"),
                       SANDBOX / "zygote.py", SANDBOX / "launcher.py"])
# In the kernel, ``autograder`` is the stub package: stub_init.py with channel.py as ``_remote``.
STUB_IMPORTS = {SANDBOX / "in_kernel" / "stub.py": {"autograder._remote"}}


def test_import_contracts_hold(capsys):
    configuration.configure()
    kept = lint_imports(config_filename=str(ROOT / "pyproject.toml"), cache_dir=None, no_logo=True)
    report = capsys.readouterr().out
    assert kept, f"an import breaks a contract of pyproject.toml [tool.importlinter]:\n{report}"


def imported_names(path):
    """(line, dotted name, relative) for every import of the file at ``path``; ``from a import b``
    gives ``a.b``."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            yield from ((node.lineno, alias.name, False) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            prefix = f"{node.module}." if node.module else ""
            yield from ((node.lineno, prefix + alias.name, node.level > 0) for alias in node.names)


def test_kernel_files_import_nothing_of_the_real_package():
    assert len(KERNEL_FILES) >= 6, KERNEL_FILES
    problems = []
    for path in KERNEL_FILES:
        siblings = {p.stem for p in path.parent.glob("*.py")} - {"__init__"}
        for line, name, relative in imported_names(path):
            where = f"{path.relative_to(ROOT)}:{line}: {name}"
            top = name.split(".")[0]
            if relative:
                problems.append(f"{where}: a relative import (the file is copied or run as a script)")
            elif top == "autograder" and name not in STUB_IMPORTS.get(path, ()):
                problems.append(f"{where}: in the kernel, autograder is the grading stub")
            elif top in siblings and path.parent / f"{top}.py" not in KERNEL_FILES:
                problems.append(f"{where}: a script-style import of a file that is not kernel-safe")
    assert not problems, "\n".join(problems)
