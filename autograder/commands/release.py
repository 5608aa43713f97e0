"""``python -m autograder release``: regenerate the student release from ``solutions/``.

It first regenerates the solution notebooks from their text files (``autograder.commands.notebooks``),
refusing when one was edited directly. The release is written deterministically (no outputs, no
execution counts, nbgrader's own cell ids and checksums), so regenerating an unchanged course leaves
``git status`` clean. It replaces only files it wrote itself and nobody changed since
(``autograder.generated``): a notebook a student filled in under ``assignments/`` stops the release
instead of being wiped.
"""
import tempfile
from dataclasses import dataclass
from pathlib import Path

import nbformat

from autograder import generated
from autograder.commands.notebooks import notebook_bytes, regenerate
from autograder.course import RELEASE_DIR, SOLUTIONS_DIR, build_course, list_assignments
from autograder.progress import progress_bar

COMMAND = "release"


@dataclass
class Released:
    """What one release wrote: the assignments, and the solution notebooks it regenerated from their
    text files (paths relative to the solutions folder)."""

    assignments: list
    notebooks: list


def release(solutions_dir=SOLUTIONS_DIR, release_dir=RELEASE_DIR, assignments=None, show_progress=True,
            force=False, regenerate_solutions=True):
    """Generate ``release_dir/<assignment>/`` from ``solutions_dir/<assignment>/`` for each assignment.

    First, unless ``regenerate_solutions`` is false, the solution notebooks are regenerated from
    their text files (``notebooks.regenerate``, which refuses to replace a notebook edited directly,
    ``force`` or not); the text files are never released. Files the previous release wrote that are
    no longer in the source are removed. Raises ``generated.EditedFilesError``, changing nothing in
    ``release_dir``, when a file to replace or remove there was changed or put there by someone
    else, unless ``force``.
    """
    regenerated = regenerate(solutions_dir, assignments) if regenerate_solutions else []
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
    return Released(assignments, regenerated)
