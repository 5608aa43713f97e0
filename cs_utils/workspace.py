"""A student's own copy of the assignments, which no course command ever writes.

``python -m cs_utils start [FOLDER]`` copies the release (``assignments/``) into FOLDER, by
default ``workspace/`` at the root of the course (ignored by git), and never overwrites a file
that is already there: run it again after a new assignment comes out and only the new files
arrive. It also writes a Jupyter configuration for students into ``FOLDER/.jupyter/``, which
``python -m cs_utils lab`` uses: nbgrader's instructor tools switched off (see
``DISABLED_LAB_PLUGINS``) and an nbgrader configuration so that nbgrader has nothing to
complain about.
"""
import json
import os
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

COURSE_ROOT = Path(__file__).resolve().parent.parent
RELEASE_DIR = COURSE_ROOT / "assignments"
DEFAULT_WORKSPACE = COURSE_ROOT / "workspace"
# Folders that course commands write (release, samples, the demo's grades): a workspace inside
# one of them would not be safe.
COURSE_OUTPUTS = ("assignments", "solutions", "autograder", "cs_utils", "grades")
JUPYTER_DIR = ".jupyter"
# Copied from the release: notebooks and their data files, not the release's own bookkeeping.
NOT_COPIED = {".generated.json", ".ipynb_checkpoints", "__pycache__"}

# nbgrader's JupyterLab plugins, all for instructors or for a course exchange students here do
# not use. Validate is off too: it runs a notebook at full size (not in grading mode), which
# trains for minutes; ``python -m cs_utils check NOTEBOOK`` is the quick check instead.
DISABLED_LAB_PLUGINS = (
    "@jupyter/nbgrader:formgrader",
    "@jupyter/nbgrader:course-list",
    "@jupyter/nbgrader:create-assignment",
    "@jupyter/nbgrader:assignment-list",
    "@jupyter/nbgrader:validate-assignment",
    "@jupyter/nbgrader:menu",
    # Works offline: no pop-up asking to fetch Jupyter's news and update checks.
    "@jupyterlab/apputils-extension:announcements",
)
# The server side of the same tools (nbgrader registers them both as one module and one by one).
DISABLED_SERVER_EXTENSIONS = (
    "nbgrader",
    "nbgrader.server_extensions.formgrader",
    "nbgrader.server_extensions.course_list",
    "nbgrader.server_extensions.assignment_list",
    "nbgrader.server_extensions.validate_assignment",
)


class WorkspaceError(Exception):
    """A workspace that cannot be made where asked; the message says why."""


@dataclass
class StartReport:
    """What ``start`` did: files copied, and files kept because the student already has them."""

    folder: Path
    copied: list = field(default_factory=list)
    kept: list = field(default_factory=list)


def jupyter_files(folder):
    """The student Jupyter configuration of ``folder``: relative path -> text."""
    folder = Path(folder).resolve()
    server = {"ServerApp": {"jpserver_extensions": {name: False for name in DISABLED_SERVER_EXTENSIONS}}}
    page = {"disabledExtensions": {name: True for name in DISABLED_LAB_PLUGINS}}
    nbgrader = (
        "# A student workspace, not an nbgrader course: nbgrader's tools are off in this JupyterLab\n"
        "# (python -m cs_utils lab); this file only gives nbgrader a folder so that it does not warn.\n"
        "c = get_config()  # noqa: F821 (defined by traitlets when it loads this file)\n"
        f"c.CourseDirectory.root = {str(folder)!r}\n"
        f"c.Exchange.assignment_dir = {str(folder)!r}\n"
    )
    return {
        f"{JUPYTER_DIR}/jupyter_server_config.json": json.dumps(server, indent=1) + "\n",
        f"{JUPYTER_DIR}/labconfig/page_config.json": json.dumps(page, indent=1) + "\n",
        f"{JUPYTER_DIR}/nbgrader_config.py": nbgrader,
    }


def check_location(folder):
    """Refuse a workspace inside a folder that course commands write."""
    folder = Path(folder).resolve()
    for name in COURSE_OUTPUTS:
        owned = COURSE_ROOT / name
        if folder == owned or owned in folder.parents:
            raise WorkspaceError(f"{folder} is inside {name}/, which course commands regenerate; "
                                 f"choose a folder of your own, e.g. {DEFAULT_WORKSPACE}")


def _copy_new(source, destination, report):
    """Copy ``source`` to ``destination`` unless a file is already there (then keep it)."""
    if destination.exists():
        report.kept.append(destination)
        return
    destination.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(source, destination)
    report.copied.append(destination)


def start(folder=DEFAULT_WORKSPACE, release_dir=RELEASE_DIR):
    """Copy every file of ``release_dir`` and the student Jupyter configuration into ``folder``,
    skipping files that exist. Returns a StartReport."""
    folder, release_dir = Path(folder), Path(release_dir)
    check_location(folder)
    if not release_dir.is_dir():
        raise WorkspaceError(f"no release folder at {release_dir}")
    report = StartReport(folder)
    for source in sorted(release_dir.rglob("*")):
        relative = source.relative_to(release_dir)
        if source.is_file() and not NOT_COPIED & set(relative.parts):
            _copy_new(source, folder / relative, report)
    for relative, text in jupyter_files(folder).items():
        path = folder / relative
        if path.exists():
            report.kept.append(path)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            report.copied.append(path)
    return report


def lab_command(folder, extra_args=()):
    """The command line and environment that start JupyterLab on ``folder`` with its student config."""
    folder = Path(folder).resolve()
    environment = dict(os.environ, JUPYTER_CONFIG_DIR=str(folder / JUPYTER_DIR))
    # Containers and fresh cloud VMs often run as root, where JupyterLab refuses to start without it.
    as_root = ["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []
    command = [sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={folder}", *as_root, *extra_args]
    return command, environment
