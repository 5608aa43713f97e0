"""A class's submissions as grading tasks: found in nbgrader's collect layout
(``SUBMISSIONS/<student>/<assignment>/<notebook>.ipynb``), read, validated and fingerprinted.
Submissions are only read, never modified."""
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from autograder.course import SOLUTIONS_DIR, CourseError, cell_names, list_assignments, list_notebooks
from autograder.grading.result_types import Status, SubmissionResult


# The name of every student in the scratch course nbgrader grades in: nbgrader treats a student id
# as a glob pattern and a path part, which the student's folder name (``glob[1]``) must not be.
NBGRADER_STUDENT = "student"


# Limits checked before a notebook is validated (nbformat's validation takes minutes on 400,000 cells).
MAX_CELLS = 10_000


MAX_JSON_DEPTH = 64


@dataclass
class Task:
    """One student's submission of one assignment."""

    student: str
    assignment: str
    folder: Path
    notebooks: dict = field(default_factory=dict)  # expected notebook name -> submitted path or None
    digest: tuple = ()  # (submission, course, grading code) fingerprints
    root: Path = None  # the submissions folder: no notebook may lie outside it


def discover(submissions_dir, solutions_dir=SOLUTIONS_DIR, assignments=None):
    """The grading tasks found under ``submissions_dir``.

    Every student folder gets one task per assignment that any student submitted (or per
    assignment in ``assignments``), so a student who submitted nothing for it shows up as missing.
    """
    submissions_dir = Path(submissions_dir)
    if not submissions_dir.is_dir():
        raise CourseError(f"submissions folder not found: {submissions_dir}")
    known = list_assignments(solutions_dir)
    students = sorted(p for p in submissions_dir.iterdir() if p.is_dir() and not p.name.startswith("."))
    if assignments:
        unknown = sorted(set(assignments) - set(known))
        if unknown:
            raise CourseError(f"unknown assignment(s) {', '.join(unknown)}; the course has: {', '.join(known)}")
    else:
        submitted = {a.name for s in students for a in s.iterdir() if a.is_dir()}
        assignments = [a for a in known if a in submitted]
    tasks = []
    for student in students:
        for assignment in assignments:
            folder = student / assignment
            found = sorted(folder.glob("*.ipynb")) if folder.is_dir() else []
            notebooks = {}
            for expected in list_notebooks(assignment, solutions_dir):
                match = folder / expected
                if not match.is_file() and len(found) == 1 and len(list_notebooks(assignment, solutions_dir)) == 1:
                    match = found[0]  # a renamed download, e.g. "optimizers (1).ipynb"
                notebooks[expected] = match if match.is_file() else None
            tasks.append(Task(readable_name(student.name), assignment, folder, notebooks, root=submissions_dir))
    return tasks


def readable_name(name):
    """A folder name as text that any file, table or database takes: a name that is not UTF-8 gets
    its undecodable bytes written as escapes."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def json_depth(value):
    """How deeply lists and dicts nest in ``value`` (0 for a scalar), without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is not None:
            deepest = max(deepest, depth)
            stack.extend((child, depth + 1) for child in children)
    return deepest


def _cells_of(data):
    """The cell list of notebook JSON ``data`` (nbformat 4, or every worksheet's in nbformat 3)."""
    if not isinstance(data, dict):
        return []
    if isinstance(data.get("cells"), list):
        return data["cells"]
    worksheets = data.get("worksheets") if isinstance(data.get("worksheets"), list) else []
    return [cell for sheet in worksheets if isinstance(sheet, dict) and isinstance(sheet.get("cells"), list)
            for cell in sheet["cells"]]


def load_submission(path, max_size_mb):
    """Read and validate a submitted notebook; returns (notebook, None) or (None, (status, message)).

    The cheap limits come first (size, then cell count and nesting once the JSON is read), and
    saved outputs are dropped before nbformat validates what is left, so no file keeps the grade
    command busy for long."""
    size_mb = path.stat().st_size / 2**20
    if size_mb > max_size_mb:
        return None, (Status.TOO_LARGE, f"{path.name} is {size_mb:.1f} MB, over the {max_size_mb:g} MB limit")
    raw = path.read_bytes()
    # Every cell has one "cell_type" key (a quote inside a string would be escaped): counting them
    # takes milliseconds where parsing 400,000 cells takes seconds.
    cell_keys = raw.count(b'"cell_type"')
    if cell_keys > MAX_CELLS:
        return None, (Status.TOO_LARGE, f"{path.name} has {cell_keys:,} cells, over the limit of {MAX_CELLS:,}")
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        return None, (Status.INVALID_NOTEBOOK, f"{path.name} is not a text file")
    except json.JSONDecodeError as error:
        return None, (Status.INVALID_NOTEBOOK, f"{path.name} is not valid JSON (line {error.lineno}, column "
                                               f"{error.colno}): truncated or corrupted?")
    except RecursionError:
        return None, (Status.INVALID_NOTEBOOK, f"{path.name} nests brackets more deeply than any notebook does")
    cells = _cells_of(data)
    if len(cells) > MAX_CELLS:
        return None, (Status.TOO_LARGE, f"{path.name} has {len(cells):,} cells, over the limit of {MAX_CELLS:,}")
    for cell in cells:
        if isinstance(cell, dict) and "outputs" in cell:
            cell["outputs"] = []  # never graded, and they may be most of the file
    if json_depth(data) > MAX_JSON_DEPTH:
        return None, (Status.INVALID_NOTEBOOK, f"{path.name} nests its data more than {MAX_JSON_DEPTH} levels "
                                               "deep, which no notebook does")
    try:
        notebook = nbformat.reads(json.dumps(data), as_version=4)
        nbformat.validate(notebook)
    except Exception as error:  # noqa: BLE001 - any parse failure means "not a notebook"
        return None, (Status.INVALID_NOTEBOOK, f"{path.name} is not a Jupyter notebook ({type(error).__name__})")
    return sanitise(notebook), None


def sanitise(notebook):
    """Drop saved outputs (they may be huge) and nbgrader metadata that nbgrader itself trips
    over: a duplicated grade_id (only the first cell keeps it) or metadata without a grade_id."""
    seen = set()
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        meta = cell.metadata.get("nbgrader")
        if meta is None:
            continue
        grade_id = meta.get("grade_id") if isinstance(meta, dict) else None
        if not isinstance(grade_id, str) or grade_id in seen:
            del cell.metadata["nbgrader"]
        else:
            seen.add(grade_id)
    return notebook


def submission_digest(task):
    """A fingerprint of what the student submitted for ``task``: each expected notebook's name with
    its length (-1 when missing) ahead of its bytes, so that no two submissions run together."""
    digest = hashlib.sha256()
    for name, path in sorted(task.notebooks.items()):
        content = path.read_bytes() if path is not None else b""
        digest.update(json.dumps([name, len(content) if path is not None else -1]).encode() + b"\0" + content)
    return digest.hexdigest()


def belongs_to(notebook, names):
    """Whether ``notebook`` has any nbgrader cell of the assignment (else it is another notebook)."""
    return any(cell.metadata.get("nbgrader", {}).get("grade_id") in names for cell in notebook.cells)


def read_submission(task, course_root, options):
    """The validated notebooks of ``task`` by name, and None; or None and the ``SubmissionResult`` of
    a submission that cannot be graded (missing, too large, not a notebook, another assignment's)."""
    def ungradable(status, message):
        return None, SubmissionResult(student=task.student, assignment=task.assignment, status=status, message=message)

    present = {name: path for name, path in task.notebooks.items() if path is not None}
    if not present:
        return ungradable(Status.MISSING, f"no submission found (expected {', '.join(task.notebooks)})")
    notebooks = {}
    for name, path in present.items():
        if task.root is not None and not path.resolve().is_relative_to(Path(task.root).resolve()):
            return ungradable(Status.OUTSIDE_LINK, f"{path.name} is a link to a file outside the submissions "
                                                   "folder; submit the notebook itself")
        notebook, problem = load_submission(path, options.max_size_mb)
        if problem:
            return ungradable(*problem)
        if not belongs_to(notebook, cell_names(course_root, task.assignment)):
            return ungradable(Status.WRONG_NOTEBOOK, f"{path.name} has none of the cells of {task.assignment}: "
                                                     "another assignment's notebook?")
        notebooks[name] = notebook
    return notebooks, None
