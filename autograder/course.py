"""Where the course lives and how nbgrader is configured for it.

nbgrader works on a "course directory" (source/, release/, submitted/, autograded/, feedback/ and a
gradebook). We never grade in the repository itself: every command builds a scratch course
directory from ``solutions/`` so that the repository and the submissions stay untouched.
"""
import contextlib
import functools
import hashlib
import json
import os
import re
import shutil
import sqlite3
import sys
from pathlib import Path

from traitlets.config import Config

REPO_ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS_DIR = REPO_ROOT / "solutions"
RELEASE_DIR = REPO_ROOT / "assignments"
GRADEBOOK = "gradebook.db"
# Environment every grading kernel gets: grading mode, no GUI backend, one BLAS thread per
# kernel so that parallel jobs do not oversubscribe the cores.
GRADING_ENVIRONMENT = {
    "CS_GRADING_MODE": "1",
    "MPLBACKEND": "Agg",
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}


class CourseError(Exception):
    """A problem with the course files or the command line, reported to the user as is."""


def list_assignments(solutions_dir=SOLUTIONS_DIR):
    """Names of the assignment folders of ``solutions_dir`` that hold at least one notebook."""
    solutions_dir = Path(solutions_dir)
    if not solutions_dir.is_dir():
        raise CourseError(f"no solutions folder at {solutions_dir}")
    return sorted(p.name for p in solutions_dir.iterdir() if p.is_dir() and any(p.glob("*.ipynb")))


def list_notebooks(assignment, solutions_dir=SOLUTIONS_DIR):
    """File names of the notebooks of one assignment, e.g. ``["optimizers.ipynb"]``."""
    return sorted(p.name for p in (Path(solutions_dir) / assignment).glob("*.ipynb"))


NOTEBOOK_TEXT_SUFFIX = ".py"
NOTEBOOK_TEXT_HEADER = "# ---\n# jupyter:\n"


def is_notebook_text(path):
    """Whether ``path`` is the text form of a solution notebook (``autograder.commands.notebooks``):
    ``<name>.py`` next to ``<name>.ipynb``, or any ``.py`` that starts with jupytext's header. It holds
    the solutions and hidden tests, so it is never copied into a course and never released."""
    path = Path(path)
    if path.suffix != NOTEBOOK_TEXT_SUFFIX or not path.is_file():
        return False
    if path.with_suffix(".ipynb").is_file():
        return True
    with open(path, encoding="utf-8", errors="replace") as handle:
        return handle.read(len(NOTEBOOK_TEXT_HEADER)) == NOTEBOOK_TEXT_HEADER


def nbgrader_config(root):
    """The nbgrader configuration of a scratch course directory at ``root``: its folders and
    gradebook, and hidden tests found by their markers alone (release and feedback both clear
    them). Grading adds how notebooks run and what feedback shows
    (``autograder.grading.nbgrader_ext.config``)."""
    config = Config()
    config.CourseDirectory.root = str(root)
    config.CourseDirectory.db_url = f"sqlite:///{Path(root) / GRADEBOOK}"
    config.Exchange.root = str(Path(root) / "exchange")
    config.ClearHiddenTests.enforce_metadata = False
    return config


def put_interpreter_on_path():
    """nbgrader runs the ``alembic`` command of its own environment: make sure that is on PATH
    even when the interpreter was started by its full path without activating the venv."""
    scripts = str(Path(sys.executable).parent)
    if scripts not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = scripts + os.pathsep + os.environ.get("PATH", "")


def nbgrader_api(root, config=None):
    """An ``NbGraderAPI`` bound to the scratch course at ``root``, configured with ``config``
    (default: ``nbgrader_config(root)``)."""
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    put_interpreter_on_path()
    (Path(root) / "exchange").mkdir(parents=True, exist_ok=True)
    config = nbgrader_config(root) if config is None else config
    return NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)


def stamp_gradebook(path):
    """Start a new gradebook with its schema version recorded. nbgrader would find that version by
    running the ``alembic`` command, a second-long start-up on every grading run; it is read here
    from nbgrader's own migration scripts instead."""
    import nbgrader
    from alembic.script import ScriptDirectory

    head = ScriptDirectory(str(Path(nbgrader.__file__).parent / "alembic")).get_current_head()
    with contextlib.closing(sqlite3.connect(path)) as database, database:
        database.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)")
        database.execute("INSERT INTO alembic_version (version_num) VALUES (?)", (head,))


def _not_for_nbgrader(folder, names):
    """What ``build_course`` leaves out of nbgrader's source: editor caches and the notebooks' text
    forms, which nbgrader would otherwise copy into the student release like any other file."""
    return {name for name in names
            if name in (".ipynb_checkpoints", "__pycache__") or is_notebook_text(Path(folder) / name)}


def build_course(root, assignments, solutions_dir=SOLUTIONS_DIR):
    """Copy ``assignments`` from ``solutions_dir`` into ``root/source`` and generate their release.

    Returns the API of the new course; its gradebook knows every grade cell, which is what
    autograding compares submissions against.
    """
    root = Path(root)
    stamp_gradebook(root / GRADEBOOK)
    for assignment in assignments:
        shutil.copytree(Path(solutions_dir) / assignment, root / "source" / assignment, ignore=_not_for_nbgrader)
    api = nbgrader_api(root)
    for assignment in assignments:
        result = api.generate_assignment(assignment, force=True, create=True)
        if not result["success"]:
            raise CourseError(f"nbgrader could not generate {assignment}:\n{result.get('error') or result.get('log')}")
    return api


def grade_cells(root, assignment):
    """The grade cells of ``assignment`` in the gradebook at ``root``: dicts with notebook,
    grade_id, max_score and cell_type (markdown cells are graded by hand)."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{Path(root) / GRADEBOOK}") as gradebook:
        return [{"notebook": notebook.name, "grade_id": cell.name, "max_score": cell.max_score,
                 "cell_type": cell.cell_type}
                for notebook in gradebook.find_assignment(assignment).notebooks
                for cell in notebook.grade_cells]


def cell_names(root, assignment):
    """Every nbgrader cell name (grade_id) of ``assignment`` in the gradebook at ``root``."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{Path(root) / GRADEBOOK}") as gradebook:
        return {cell.name for notebook in gradebook.find_assignment(assignment).notebooks
                for cell in notebook.source_cells}


def source_texts(root, assignment):
    """The instructor source of every nbgrader cell of ``assignment`` (hidden tests included)."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{Path(root) / GRADEBOOK}") as gradebook:
        return [cell.source for notebook in gradebook.find_assignment(assignment).notebooks
                for cell in notebook.source_cells]


IMPORT_LINE = re.compile(r"^\s*(?:from\s+([\w.]+)\s+import\b|import\s+([\w.]+(?:\s*,\s*[\w.]+)*))", re.M)


def imported_modules(assignments, solutions_dir=SOLUTIONS_DIR):
    """Modules the notebooks of ``assignments`` import (but ``autograder``, the grading stub), in order;
    grading kernels start with them already imported."""
    modules = []
    for assignment in assignments:
        for name in list_notebooks(assignment, solutions_dir):
            notebook = json.loads((Path(solutions_dir) / assignment / name).read_text(encoding="utf-8"))
            for cell in notebook["cells"]:
                source = "".join(cell["source"]) if cell["cell_type"] == "code" else ""
                for match in IMPORT_LINE.finditer(source):
                    for module in (match.group(1) or match.group(2)).split(","):
                        module = module.strip()
                        if module.split(".")[0] != "autograder" and module not in modules:
                            modules.append(module)
    return modules


def tree_digest(root, folders, skipped, left_out=lambda path: False):
    """A fingerprint of the files under ``folders`` of ``root`` (their paths relative to ``root``
    and contents), leaving out those inside a folder named in ``skipped`` and those ``left_out``."""
    digest = hashlib.sha256()
    for folder in folders:
        for path in sorted(Path(root, folder).rglob("*")):
            relative = path.relative_to(root)
            if path.is_file() and not set(skipped) & set(relative.parts) and not left_out(path):
                digest.update(str(relative).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


@functools.cache
def grading_code_digest(root=REPO_ROOT):
    """A fingerprint of the code that grading runs: the ``autograder`` and ``cs_utils`` packages
    under ``root`` (hidden checks, references, course helpers, weights), sample class aside."""
    return tree_digest(root, ["autograder", "cs_utils"], {"__pycache__", "samples"})


def course_digest(assignment, solutions_dir=SOLUTIONS_DIR):
    """A fingerprint of the source of ``assignment``: a stored grade is current only while it holds.
    The notebooks' text forms are left out: grading reads the notebooks generated from them."""
    return tree_digest(solutions_dir, [assignment], {"__pycache__", ".ipynb_checkpoints"}, is_notebook_text)
