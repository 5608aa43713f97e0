"""``python -m autograder release``: regenerate the student release from ``solutions/``.

The release is written deterministically (no outputs, no execution counts, nbgrader's own cell
ids and checksums), so regenerating an unchanged course leaves ``git status`` clean.
"""
import shutil
import tempfile
from pathlib import Path

import nbformat

from autograder.course import RELEASE_DIR, SOLUTIONS_DIR, build_course, list_assignments
from autograder.progress import progress_bar


def normalise(notebook):
    """Strip everything that changes between runs: outputs, execution counts, trust signatures."""
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    notebook.metadata.pop("signature", None)
    return notebook


def write_notebook(notebook, path):
    """Write ``notebook`` to ``path`` only if its text changed, so timestamps stay put too."""
    text = nbformat.writes(notebook) + "\n"
    path = Path(path)
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


def release(solutions_dir=SOLUTIONS_DIR, release_dir=RELEASE_DIR, assignments=None, show_progress=True):
    """Generate ``release_dir/<assignment>/`` from ``solutions_dir/<assignment>/`` for each assignment.

    Returns the list of assignments written. Files of an assignment that are no longer in the
    source are removed from its release folder.
    """
    assignments = list(assignments or list_assignments(solutions_dir))
    release_dir = Path(release_dir)
    with tempfile.TemporaryDirectory(prefix="course-release-") as scratch:
        build_course(scratch, assignments, solutions_dir)
        for assignment in progress_bar(assignments, "release", show_progress):
            generated = Path(scratch) / "release" / assignment
            target = release_dir / assignment
            target.mkdir(parents=True, exist_ok=True)
            produced = {p.relative_to(generated) for p in generated.rglob("*") if p.is_file()}
            for stale in [p for p in target.rglob("*") if p.is_file() and p.relative_to(target) not in produced]:
                stale.unlink()
            for relative in sorted(produced):
                source, destination = generated / relative, target / relative
                destination.parent.mkdir(parents=True, exist_ok=True)
                if source.suffix == ".ipynb":
                    write_notebook(normalise(nbformat.read(source, as_version=4)), destination)
                elif not destination.exists() or destination.read_bytes() != source.read_bytes():
                    shutil.copyfile(source, destination)
    return assignments
