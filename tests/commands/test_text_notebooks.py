"""Solution notebooks edited as text: each notebook is what its text file generates, an edit to the
text reaches the notebook and the release, a notebook edited directly is never overwritten, and no
text file (solutions, hidden tests) is ever released."""
import shutil

import nbformat
import pytest

from autograder import cli, generated
from autograder.commands import notebooks
from autograder.commands.release import release
from autograder.course import RELEASE_DIR, SOLUTIONS_DIR, CourseError, course_digest, list_assignments, list_notebooks
from tests import tiny_course as tc

SMALLEST = "04_transfer_learning"


@pytest.mark.parametrize("assignment", list_assignments(SOLUTIONS_DIR))
def test_every_solution_notebook_is_what_its_text_file_generates(assignment):
    wanted = notebooks.generated_notebooks(SOLUTIONS_DIR, [assignment])
    expected = [f"{assignment}/{name}" for name in list_notebooks(assignment, SOLUTIONS_DIR)]
    assert sorted(wanted) == expected, \
        f"a notebook has no text file: run python -m autograder notebooks --from-ipynb --assignment {assignment}"
    recorded = generated.read_manifest(SOLUTIONS_DIR)
    for relative, data in wanted.items():
        on_disk = (SOLUTIONS_DIR / relative).read_bytes()
        assert on_disk == data, f"{relative} differs from its text file: run python -m autograder notebooks"
        assert recorded.get(relative) == generated.digest(on_disk), \
            f"{relative} was not written by the notebooks command: run python -m autograder notebooks"


def test_text_file_keeps_cell_ids_and_nbgrader_metadata():
    relative = f"{SMALLEST}/{list_notebooks(SMALLEST)[0]}"
    text = (SOLUTIONS_DIR / relative).with_suffix(".py").read_text(encoding="utf-8")
    original = nbformat.read(SOLUTIONS_DIR / relative, as_version=4)
    back = notebooks.from_text(text, relative)
    assert [c.id for c in back.cells] == [c.id for c in original.cells]
    assert [c.metadata for c in back.cells] == [c.metadata for c in original.cells]
    assert any("nbgrader" in c.metadata for c in back.cells)


def test_committed_release_holds_no_text_file():
    assert sorted(RELEASE_DIR.rglob("*.py")) == []


@pytest.fixture
def smallest_copy(tmp_path):
    solutions = tmp_path / "solutions"
    shutil.copytree(SOLUTIONS_DIR / SMALLEST, solutions / SMALLEST)
    shutil.copyfile(SOLUTIONS_DIR / generated.MANIFEST, solutions / generated.MANIFEST)
    name = list_notebooks(SMALLEST, solutions)[0]
    return solutions, solutions / SMALLEST / name, (solutions / SMALLEST / name).with_suffix(".py")


def test_an_edit_to_the_text_reaches_the_notebook_and_the_release(smallest_copy, tmp_path):
    solutions, notebook_path, text_path = smallest_copy
    ids_before = [c.id for c in nbformat.read(notebook_path, as_version=4).cells]
    text = text_path.read_text(encoding="utf-8")
    assert "# # Transfer learning in PyTorch\n" in text and "    ### BEGIN SOLUTION\n" in text
    text = text.replace("# # Transfer learning in PyTorch\n", "# # Transfer learning in PyTorch, edited as text\n")
    text = text.replace("    ### BEGIN SOLUTION\n", "    ### BEGIN SOLUTION\n    edited_solution_line = 1\n", 1)
    text_path.write_text(text, encoding="utf-8")

    released = release(solutions, tmp_path / "release", [SMALLEST], show_progress=False)

    assert released.notebooks == [notebook_path.relative_to(solutions).as_posix()]
    notebook = nbformat.read(notebook_path, as_version=4)
    assert notebook.cells[0].source.startswith("# Transfer learning in PyTorch, edited as text\n")
    assert any("edited_solution_line = 1" in c.source for c in notebook.cells)
    assert [c.id for c in notebook.cells] == ids_before
    handed_out = (tmp_path / "release" / SMALLEST / notebook_path.name).read_text(encoding="utf-8")
    assert "Transfer learning in PyTorch, edited as text" in handed_out
    assert "edited_solution_line" not in handed_out
    assert sorted(p.name for p in (tmp_path / "release").rglob("*") if p.is_file()) == sorted(
        [notebook_path.name, generated.MANIFEST])
    assert notebooks.out_of_date(solutions) == []


def test_a_notebook_edited_directly_stops_release_until_carried_into_the_text(smallest_copy, tmp_path):
    solutions, notebook_path, text_path = smallest_copy
    edited = notebook_path.read_text(encoding="utf-8").replace("# Transfer learning in PyTorch",
                                                               "# Transfer learning, edited in Jupyter")
    notebook_path.write_text(edited, encoding="utf-8")

    with pytest.raises(generated.EditedFilesError) as refused:
        release(solutions, tmp_path / "release", show_progress=False)
    assert "--from-ipynb" in str(refused.value) and str(notebook_path) in str(refused.value)
    assert notebook_path.read_text(encoding="utf-8") == edited
    assert not (tmp_path / "release").exists()

    assert notebooks.write_texts(solutions) == [text_path.relative_to(solutions).as_posix()]
    assert "# # Transfer learning, edited in Jupyter\n" in text_path.read_text(encoding="utf-8")
    assert notebooks.out_of_date(solutions) == []
    assert release(solutions, tmp_path / "release", show_progress=False).notebooks == []


def test_text_and_notebook_both_edited_are_not_overwritten_either_way(smallest_copy):
    solutions, notebook_path, text_path = smallest_copy
    notebook_path.write_text(notebook_path.read_text(encoding="utf-8").replace("# Transfer learning", "# In Jupyter"),
                             encoding="utf-8")
    text = text_path.read_text(encoding="utf-8").replace("# # Transfer learning", "# # In the text")
    text_path.write_text(text, encoding="utf-8")

    with pytest.raises(generated.EditedFilesError, match="edited directly"):
        notebooks.regenerate(solutions)
    with pytest.raises(generated.EditedFilesError, match="Both these text files and their notebooks"):
        notebooks.write_texts(solutions)
    assert text_path.read_text(encoding="utf-8") == text
    assert "# In Jupyter" in notebook_path.read_text(encoding="utf-8")

    notebooks.regenerate(solutions, force=True)
    assert "# In the text" in notebook_path.read_text(encoding="utf-8")


def test_a_new_notebook_gets_its_text_and_no_text_is_released(tmp_path):
    solutions, target = tmp_path / "solutions", tmp_path / "release"
    tc.write_solutions(solutions)
    folder = solutions / tc.ASSIGNMENT
    (folder / "helpers.py").write_text("HELPER = 1\n")

    assert notebooks.write_texts(solutions) == [f"{tc.ASSIGNMENT}/tiny.py"]
    digest = course_digest(tc.ASSIGNMENT, solutions)
    # A text whose notebook is not generated yet is recognised by jupytext's header.
    (folder / "draft.py").write_text((folder / "tiny.py").read_text())
    (folder / "tiny.py").write_text((folder / "tiny.py").read_text() + "\n# %% id=\"more\"\nprint(1)\n")
    assert course_digest(tc.ASSIGNMENT, solutions) == digest  # grading reads the notebook, not its text
    release(solutions, target, show_progress=False, regenerate_solutions=False)

    assert sorted(p.name for p in (target / tc.ASSIGNMENT).iterdir()) == ["helpers.py", tc.NOTEBOOK]
    assert not any("BEGIN SOLUTION" in p.read_text() for p in target.rglob("*") if p.is_file())


@pytest.mark.parametrize("edit, error", [
    (lambda text: text.replace(' id="add"', ""), r"cell 2 \('def add\(a, b\):'\) has no id"),
    (lambda text: text.replace(' id="mul"', ' id="add"'), "has the id 'add' of an earlier cell"),
    (lambda text: text.replace(' id="mul"', ' id="not an id"'), "not a valid notebook"),
])
def test_a_text_with_bad_cell_ids_is_refused(tmp_path, edit, error):
    tc.write_solutions(tmp_path)
    notebooks.write_texts(tmp_path)
    text_path = tmp_path / tc.ASSIGNMENT / "tiny.py"
    text_path.write_text(edit(text_path.read_text()))
    with pytest.raises(CourseError, match=error):
        notebooks.regenerate(tmp_path)


def test_cli_checks_and_regenerates_notebooks(tmp_path, capsys):
    tc.write_solutions(tmp_path)
    notebooks.write_texts(tmp_path)
    text_path = tmp_path / tc.ASSIGNMENT / "tiny.py"
    text_path.write_text(text_path.read_text().replace("# # Tiny assignment", "# # Tiny, edited"))
    base = ["--solutions", str(tmp_path), "notebooks"]

    assert cli.main(base + ["--check"]) == 1
    assert "run: python -m autograder notebooks" in capsys.readouterr().err
    assert cli.main(base) == 0
    assert f"wrote {tmp_path / tc.ASSIGNMENT / tc.NOTEBOOK}" in capsys.readouterr().out
    assert cli.main(base + ["--check"]) == 0
    assert nbformat.read(tmp_path / tc.ASSIGNMENT / tc.NOTEBOOK, as_version=4).cells[0].source == "# Tiny, edited"
