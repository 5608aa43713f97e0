"""A student's work survives every course command: the workspace, the release's record of what it
generated, the student JupyterLab configuration and the quick grading-mode check."""
import shutil
import subprocess

import nbformat
import pytest

from autograder import cli, generated
from autograder.course import RELEASE_DIR
from autograder.grading.options import Options
from autograder.grading.run import grade
from autograder.commands.release import release
from autograder.commands.samples import SAMPLES_DIR, write_samples
from cs_utils import workspace
from cs_utils.__main__ import main as cs_main
from cs_utils.check import Verdict, check_notebook
from tests import tiny_course as tc

FILLED_IN = "def add(a, b):\n    return a + b  # my own work"


def _snapshot(folder):
    """Every file under ``folder`` with its bytes and modification time."""
    return {p.relative_to(folder): (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(folder.rglob("*"))
            if p.is_file()}


def _fill_in(path, source=FILLED_IN):
    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "add":
            cell.source = source
    nbformat.write(notebook, path)


@pytest.fixture()
def course(tmp_path):
    solutions, assignments = tmp_path / "solutions", tmp_path / "assignments"
    tc.write_solutions(solutions)
    release(solutions, assignments, show_progress=False)
    return {"root": tmp_path, "solutions": solutions, "assignments": assignments,
            "released": assignments / tc.ASSIGNMENT / tc.NOTEBOOK}


def test_start_copies_the_release_and_the_student_config_and_never_overwrites(course, tmp_path):
    folder = tmp_path / "mine"
    report = workspace.start(folder, course["assignments"])
    notebook = folder / tc.ASSIGNMENT / tc.NOTEBOOK
    assert notebook.read_bytes() == course["released"].read_bytes()
    assert not (folder / generated.MANIFEST).exists()
    assert (folder / ".jupyter" / "labconfig" / "page_config.json").is_file()
    assert notebook in report.copied
    _fill_in(notebook)
    (folder / tc.ASSIGNMENT / "notes.txt").write_text("mine\n")
    before = _snapshot(folder)
    again = workspace.start(folder, course["assignments"])
    assert again.copied == [] and notebook in again.kept
    assert _snapshot(folder) == before


def test_start_refuses_folders_that_course_commands_write(capsys):
    for folder in [RELEASE_DIR, RELEASE_DIR / "01_optimizers", SAMPLES_DIR / "me"]:
        with pytest.raises(workspace.WorkspaceError, match="regenerate"):
            workspace.start(folder)
    assert cs_main(["start", str(RELEASE_DIR)]) == 2
    assert "choose a folder of your own" in capsys.readouterr().err


def test_default_workspace_is_ignored_by_git():
    result = subprocess.run(["git", "check-ignore", "-q", str(workspace.DEFAULT_WORKSPACE / "a" / "b.ipynb")],
                            cwd=workspace.COURSE_ROOT)
    assert result.returncode == 0, "add /workspace/ to .gitignore"


def test_release_refuses_to_overwrite_an_edited_notebook_unless_forced(course, capsys):
    released, assignments = course["released"], course["assignments"]
    original = released.read_bytes()
    _fill_in(released)
    edited = released.read_bytes()
    notes = released.parent / "notes.txt"
    notes.write_text("mine\n")
    checkpoint = released.parent / ".ipynb_checkpoints" / "tiny-checkpoint.ipynb"
    checkpoint.parent.mkdir()
    checkpoint.write_bytes(edited)
    argv = ["--solutions", str(course["solutions"]), "release", "--release-dir", str(assignments), "--quiet"]
    assert cli.main(argv) == 2
    message = capsys.readouterr().err
    assert f"{released}: changed since release wrote it" in message and "--force" in message
    assert "python -m cs_utils start" in message
    assert released.read_bytes() == edited
    assert cli.main(argv + ["--force"]) == 0
    assert released.read_bytes() == original
    assert notes.read_text() == "mine\n" and checkpoint.read_bytes() == edited


def test_release_refuses_to_overwrite_a_file_it_did_not_write(course):
    assignments = course["root"] / "fresh"
    target = assignments / tc.ASSIGNMENT / tc.NOTEBOOK
    target.parent.mkdir(parents=True)
    target.write_text("{}")
    with pytest.raises(generated.EditedFilesError, match="release did not write it"):
        release(course["solutions"], assignments, show_progress=False)
    assert target.read_text() == "{}"


@pytest.mark.slow
def test_no_course_command_changes_a_student_workspace_or_an_edited_release_notebook(course, tmp_path):
    """The demo's steps (release, grade the sample class), samples and release again, run after a
    student filled in a workspace notebook, added notes and has checkpoints, and after somebody
    filled in a release notebook: none of those files changes."""
    folder = tmp_path / "workspace"
    workspace.start(folder, course["assignments"])
    _fill_in(folder / tc.ASSIGNMENT / tc.NOTEBOOK)
    (folder / tc.ASSIGNMENT / "notes.txt").write_text("mine\n")
    (folder / tc.ASSIGNMENT / ".ipynb_checkpoints").mkdir()
    (folder / tc.ASSIGNMENT / ".ipynb_checkpoints" / "tiny-checkpoint.ipynb").write_text("{}")
    _fill_in(course["released"])
    workspace_before, release_before = _snapshot(folder), _snapshot(course["assignments"])

    common = ["--solutions", str(course["solutions"])]
    assert cli.main(common + ["release", "--release-dir", str(course["assignments"]), "--quiet"]) == 2
    samples = write_samples(course["solutions"], course["assignments"], tmp_path / "samples")
    submissions = tmp_path / "submitted"
    for student in ["ada_complete", "cy_blank"]:
        shutil.copytree(samples / student, submissions / student)
    _, rows = grade(submissions, tmp_path / "grades", Options(cell_timeout=10, budget=60, jobs=2, show_progress=False),
                    course["solutions"])
    assert {r["student"]: r["status"] for r in rows} == {"ada_complete": "ok", "cy_blank": "ok"}
    write_samples(course["solutions"], course["assignments"], samples)
    with pytest.raises(generated.EditedFilesError):
        release(course["solutions"], course["assignments"], show_progress=False)

    assert _snapshot(folder) == workspace_before
    assert _snapshot(course["assignments"]) == release_before


def test_samples_refuse_to_overwrite_an_edited_sample_unless_forced(course, tmp_path):
    samples = write_samples(course["solutions"], course["assignments"], tmp_path / "samples")
    edited = samples / "cy_blank" / tc.ASSIGNMENT / tc.NOTEBOOK
    edited.write_text("{}")
    extra = samples / "zoe_added_by_hand" / tc.ASSIGNMENT / tc.NOTEBOOK
    extra.parent.mkdir(parents=True)
    extra.write_text("{}")
    with pytest.raises(generated.EditedFilesError, match="changed since samples wrote it"):
        write_samples(course["solutions"], course["assignments"], samples)
    write_samples(course["solutions"], course["assignments"], samples, force=True)
    assert edited.read_text() != "{}" and extra.read_text() == "{}"


@pytest.mark.parametrize("folder", [RELEASE_DIR, SAMPLES_DIR], ids=lambda p: p.name)
def test_committed_record_matches_the_committed_files(folder):
    recorded = generated.read_manifest(folder)
    files = {p.relative_to(folder).as_posix(): generated.digest(p.read_bytes()) for p in folder.rglob("*")
             if p.is_file() and p.name != generated.MANIFEST}
    assert recorded == files, "regenerate with python -m autograder release / samples and commit the record"


def test_student_jupyter_config_switches_off_nbgrader(tmp_path, monkeypatch):
    """What JupyterLab started by ``python -m cs_utils lab`` loads: no nbgrader server extension,
    none of nbgrader's lab plugins (the venv's own config enables them all)."""
    from jupyter_server.serverapp import ServerApp
    from jupyterlab_server.config import get_static_page_config

    workspace.start(tmp_path / "w", RELEASE_DIR)
    _, environment = workspace.lab_command(tmp_path / "w")
    monkeypatch.setenv("JUPYTER_CONFIG_DIR", environment["JUPYTER_CONFIG_DIR"])
    app = ServerApp()
    app.load_config_file()
    app.find_server_extensions()
    nbgrader = {name: on for name, on in app.jpserver_extensions.items() if name.startswith("nbgrader")}
    assert "nbgrader.server_extensions.formgrader" in nbgrader and not any(nbgrader.values())
    disabled = get_static_page_config(level="all")["disabledExtensions"]
    for plugin in ["formgrader", "course-list", "create-assignment", "assignment-list", "validate-assignment"]:
        assert disabled[f"@jupyter/nbgrader:{plugin}"] is True


def test_check_runs_in_grading_mode_and_reports_each_visible_check(course, tmp_path, capsys):
    blank = check_notebook(course["released"], cell_timeout=30)
    assert [(c.grade_id, c.verdict) for c in blank.cells] == [("test_add", Verdict.FAILED),
                                                              ("test_mul", Verdict.FAILED)]
    assert "NotImplementedError" in blank.cells[0].message or "NameError" in blank.cells[0].message
    mine = tmp_path / tc.NOTEBOOK
    shutil.copyfile(course["released"], mine)
    _fill_in(mine, "import os\nassert os.environ['CS_GRADING_MODE'] == '1'\ndef add(a, b):\n    return a + b")
    before = mine.read_bytes()
    assert cs_main(["check", str(mine), "--timeout", "30"]) == 1
    out = capsys.readouterr().out
    assert "test_add  passed" in out and "test_mul  failed" in out and "1 of 2 visible checks passed" in out
    assert mine.read_bytes() == before
