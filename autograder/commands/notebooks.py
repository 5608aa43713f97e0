"""``python -m autograder notebooks``: the solution notebooks, generated from their text files.

Each ``solutions/<assignment>/<name>.ipynb`` has a twin, ``<name>.py``: the same notebook in
jupytext's percent format, a ``# %%`` line per cell, markdown as ``#`` comments. People edit and
review the text file, where a one-line change is a one-line diff; the notebook is generated from it
(``release`` does that first) and nobody edits it by hand. Jupytext, the maintained converter made
for this, rather than one of our own: its format is what editors (VS Code, PyCharm, Spyder) run cell
by cell, JupyterLab opens it as a notebook, and it reads back every cell's source exactly.

A cell's ``# %%`` line carries its metadata (jupytext leaves out editor state such as ``collapsed``
and ``scrolled``), nbgrader's included. Jupytext keeps no cell ids in its text formats (jupytext
issue 1263): read back, cells get random ones. nbgrader and our release rely on the ids, so each
cell's id goes on that line too, as an ``id`` entry of its metadata, and back into the cell's id
when the notebook is generated::

    # %% id="sigmoid" nbgrader={"grade": false, "grade_id": "sigmoid", ...}

The solutions folder records what this command wrote (``autograder.generated``), so a notebook
edited directly, whose edit regenerating would lose, stops it until the edit is carried into the
text (``--from-ipynb``) or discarded (``--force``).
"""
import copy
from pathlib import Path

import jupytext
import nbformat

from autograder import generated
from autograder.course import NOTEBOOK_TEXT_SUFFIX, SOLUTIONS_DIR, CourseError, is_notebook_text, list_notebooks

COMMAND = "notebooks"
# The header keeps the kernel and language of the notebook and no jupytext version, so that a newer
# jupytext does not change every text file.
TEXT_FORMAT = {
    "extension": NOTEBOOK_TEXT_SUFFIX,
    "format_name": "percent",
    "notebook_metadata_filter": "kernelspec,language_info,-jupytext.text_representation.jupytext_version",
}
EDITED_DIRECTLY = (
    "These notebooks were edited directly, but their text files (<name>.py next to each) are what they "
    "are generated from. Carry the edits into the text files with: python -m autograder notebooks --from-ipynb; "
    "or discard them with: python -m autograder notebooks --force")
BOTH_EDITED = (
    "Both these text files and their notebooks were changed since the notebooks were last generated. Carry the "
    "changes of one into the other by hand, or run again with --force to replace the text files with the notebooks.")


def normalise(notebook):
    """Strip everything that changes between runs: outputs, execution counts, trust signatures."""
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    notebook.metadata.pop("signature", None)
    return notebook


def notebook_bytes(notebook):
    """The exact text a generated notebook (solution or release) is written with."""
    return (nbformat.writes(normalise(notebook)) + "\n").encode("utf-8")


def to_text(notebook):
    """The text form of ``notebook``, cell ids included."""
    notebook = copy.deepcopy(notebook)
    for cell in notebook.cells:
        cell.metadata = {"id": cell.id, **cell.metadata}
    return jupytext.writes(notebook, fmt=TEXT_FORMAT)


def from_text(text, where):
    """The notebook whose text form is ``text``; ``where`` names the file in errors.

    Raises CourseError for a cell without an id, two cells with one id (nbformat would quietly
    replace the second) or anything else nbformat finds invalid.
    """
    notebook = jupytext.reads(text, fmt=TEXT_FORMAT)
    notebook.metadata.pop("jupytext", None)
    seen = set()
    for number, cell in enumerate(notebook.cells, 1):
        cell_id = cell.metadata.pop("id", None)
        first_line = cell.source.strip().split("\n")[0][:60]
        if cell_id is None:
            raise CourseError(f"{where}: cell {number} ({first_line!r}) has no id: name it on its '# %%' line, "
                              'e.g. # %% id="my-cell"')
        if cell_id in seen:
            raise CourseError(f"{where}: cell {number} ({first_line!r}) has the id {cell_id!r} of an earlier cell")
        seen.add(cell_id)
        cell.id = cell_id
    try:
        nbformat.validate(notebook)
    except nbformat.ValidationError as error:
        raise CourseError(f"{where}: not a valid notebook: {error.message}") from None
    return notebook


def _folders(solutions_dir, assignments):
    solutions_dir = Path(solutions_dir)
    if not assignments:
        return sorted(p for p in solutions_dir.iterdir() if p.is_dir() and not p.name.startswith("."))
    missing = [name for name in assignments if not (solutions_dir / name).is_dir()]
    if missing:
        raise CourseError(f"no assignment {missing[0]!r} in {solutions_dir}")
    return [solutions_dir / name for name in assignments]


def notebook_texts(solutions_dir=SOLUTIONS_DIR, assignments=None):
    """The text forms of the notebooks of ``assignments`` (default: every folder), as paths relative
    to ``solutions_dir`` (``00_foundations/foundations.py``)."""
    return sorted(path.relative_to(solutions_dir).as_posix() for folder in _folders(solutions_dir, assignments)
                  for path in folder.glob(f"*{NOTEBOOK_TEXT_SUFFIX}") if is_notebook_text(path))


def notebook_of(text_relative):
    """The notebook generated from a text form: ``a/b.py`` -> ``a/b.ipynb``."""
    return text_relative.removesuffix(NOTEBOOK_TEXT_SUFFIX) + ".ipynb"


def generated_notebooks(solutions_dir=SOLUTIONS_DIR, assignments=None):
    """What each notebook of ``assignments`` that has a text form is to hold: relative path -> bytes."""
    solutions_dir = Path(solutions_dir)
    return {notebook_of(relative): notebook_bytes(from_text((solutions_dir / relative).read_text(encoding="utf-8"),
                                                            solutions_dir / relative))
            for relative in notebook_texts(solutions_dir, assignments)}


def out_of_date(solutions_dir=SOLUTIONS_DIR, assignments=None):
    """Notebooks (relative paths) that are missing or differ from what their text forms generate."""
    solutions_dir = Path(solutions_dir)
    return [relative for relative, data in generated_notebooks(solutions_dir, assignments).items()
            if not (solutions_dir / relative).is_file() or (solutions_dir / relative).read_bytes() != data]


def regenerate(solutions_dir=SOLUTIONS_DIR, assignments=None, force=False):
    """Write each notebook of ``assignments`` that has a text form from it; returns the relative paths
    written. Raises ``generated.EditedFilesError``, writing nothing, when a notebook to replace was
    changed since this command wrote it (or it never did), unless ``force``. Notebooks without a text
    form are left as they are."""
    wanted = generated_notebooks(solutions_dir, assignments)
    if not wanted:
        return []
    # Never deletes: a notebook whose text form is gone is left for its owner to remove.
    result = generated.apply(solutions_dir, wanted, lambda relative: False, COMMAND, force, advice=EDITED_DIRECTLY)
    return sorted(result.write)


def write_texts(solutions_dir=SOLUTIONS_DIR, assignments=None, force=False):
    """Write the text form of every notebook of ``assignments`` from the notebook, then the notebook
    from its new text (no outputs); returns the relative paths of the text files written.

    For a notebook edited in Jupyter, and for a new notebook. Raises ``generated.EditedFilesError``,
    writing nothing, when a text file to replace was changed since its notebook was generated
    (both were edited), unless ``force``.
    """
    solutions_dir = Path(solutions_dir)
    recorded = generated.read_manifest(solutions_dir)
    texts, conflicts = {}, {}
    for folder in _folders(solutions_dir, assignments):
        for name in list_notebooks(folder.name, solutions_dir):
            relative = f"{folder.name}/{name}"
            text_relative = relative.removesuffix(".ipynb") + NOTEBOOK_TEXT_SUFFIX
            text = to_text(nbformat.read(solutions_dir / relative, as_version=4))
            path = solutions_dir / text_relative
            if path.is_file() and path.read_text(encoding="utf-8") != text and not force:
                try:
                    unchanged = generated.digest(notebook_bytes(from_text(path.read_text(encoding="utf-8"), path))) \
                        == recorded.get(relative)
                except CourseError:
                    unchanged = False
                if not unchanged:
                    conflicts[text_relative] = "changed since its notebook was generated from it"
            texts[text_relative] = text
    if conflicts:
        lines = "\n".join(f"  {solutions_dir / relative}: {why}" for relative, why in conflicts.items())
        raise generated.EditedFilesError(f"{COMMAND} --from-ipynb would overwrite {len(conflicts)} text file(s):\n"
                                         f"{lines}\nNothing was changed. {BOTH_EDITED}")
    written = []
    for relative, text in texts.items():
        path = solutions_dir / relative
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            written.append(relative)
    regenerate(solutions_dir, [folder.name for folder in _folders(solutions_dir, assignments)], force=True)
    return written
