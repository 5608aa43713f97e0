"""``python -m autograder release``: regenerate the student release from ``solutions/``.

The release is written deterministically (no outputs, no execution counts, nbgrader's own cell
ids and checksums), so regenerating an unchanged course leaves ``git status`` clean. It replaces
only files it wrote itself and nobody changed since (``autograder.generated``): a notebook a
student filled in under ``assignments/`` stops the release instead of being wiped.
"""
import tempfile
from pathlib import Path

import nbformat

from autograder import generated
from autograder.course import RELEASE_DIR, SOLUTIONS_DIR, build_course, list_assignments
from autograder.progress import progress_bar

COMMAND = "release"


def normalise(notebook):
    """Strip everything that changes between runs: outputs, execution counts, trust signatures."""
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    notebook.metadata.pop("signature", None)
    return notebook


def notebook_bytes(notebook):
    """The exact text a release notebook is written with."""
    return (nbformat.writes(normalise(notebook)) + "\n").encode("utf-8")


def release(solutions_dir=SOLUTIONS_DIR, release_dir=RELEASE_DIR, assignments=None, show_progress=True,
            force=False):
    """Generate ``release_dir/<assignment>/`` from ``solutions_dir/<assignment>/`` for each assignment.

    Returns the list of assignments written. Files the previous release wrote that are no longer
    in the source are removed. Raises ``generated.EditedFilesError``, changing nothing, when a file
    to replace or remove was changed or put there by someone else, unless ``force``.
    """
    assignments = list(assignments or list_assignments(solutions_dir))
    wanted = {}
    with tempfile.TemporaryDirectory(prefix="course-release-") as scratch:
        build_course(scratch, assignments, solutions_dir)
        for assignment in progress_bar(assignments, "release", show_progress):
            generated_dir = Path(scratch) / "release" / assignment
            for source in sorted(p for p in generated_dir.rglob("*") if p.is_file()):
                relative = f"{assignment}/{source.relative_to(generated_dir).as_posix()}"
                wanted[relative] = (notebook_bytes(nbformat.read(source, as_version=4)) if source.suffix == ".ipynb"
                                    else source.read_bytes())
    generated.apply(release_dir, wanted, lambda relative: relative.split("/")[0] in assignments, COMMAND, force)
    return assignments
