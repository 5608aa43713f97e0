"""What nbgrader's formgrader needs in the grading output ``OUT`` to grade written answers by hand.

formgrader (nbgrader's own grading pages, the tool instructors know) lists a notebook submission
only when ``OUT/autograded/<student>/<assignment>/<notebook>.ipynb`` exists beside the gradebook,
lists an assignment only when its ``source/<assignment>`` exists, and finds all of them through the
``nbgrader_config.py`` of the folder the Jupyter server starts in. ``grade`` writes the executed
notebooks, the source and that file, so starting Jupyter in ``OUT`` is enough.
"""
import shutil
from pathlib import Path

import nbformat

AUTOGRADED_DIR = "autograded"
CONFIG_NAME = "nbgrader_config.py"
SOURCE_DIR = "source"
EXCHANGE_DIR = "exchange"
# The course root is this file's folder, wherever OUT is moved to.
CONFIG_TEXT = '''"""nbgrader's formgrader on this grading output: start Jupyter here (`jupyter lab` or
`jupyter server`) and open /formgrader. Written by `python -m autograder grade`."""
import os

c = get_config()  # noqa: F821 - provided by Jupyter's configuration loader
c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
# Nothing is released or collected from here; a folder of its own keeps nbgrader from asking for a shared one.
c.Exchange.root = os.path.join(c.CourseDirectory.root, "exchange")
'''


def write_autograded(out_dir, student, assignment, notebooks):
    """Replace the executed notebooks of one submission with ``notebooks`` (file name -> text);
    no notebooks (a submission that never ran) leaves none behind."""
    folder = Path(out_dir) / AUTOGRADED_DIR / student / assignment
    if folder.exists():
        shutil.rmtree(folder)
    if not notebooks:
        return
    folder.mkdir(parents=True)
    for name, text in notebooks.items():
        (folder / name).write_text(sanitised(text), encoding="utf-8")


def sanitised(text):
    """The notebook ``text`` with nothing in it that runs in the grader's browser: formgrader shows
    markdown answers and outputs as HTML in the Jupyter server's own pages, where a student's
    script would act with the instructor's rights. nbconvert's ``SanitizeHTML`` (bleach, the
    sanitiser nbconvert maintains for this) escapes unsafe HTML in markdown and HTML outputs and
    drops JavaScript and other active outputs."""
    from nbconvert.preprocessors.sanitize import SanitizeHTML

    notebook = nbformat.reads(text, as_version=4)
    notebook, _ = SanitizeHTML().preprocess(notebook, {})
    return nbformat.writes(notebook)


def write_course_files(out_dir, course_root, assignments):
    """Give ``OUT`` the rest of a course directory that formgrader reads: ``nbgrader_config.py``
    (unless the instructor already has one there), the instructor source of ``assignments``
    (formgrader lists an assignment only when ``source/<assignment>`` exists) and an exchange folder
    of its own."""
    out_dir = Path(out_dir)
    config = out_dir / CONFIG_NAME
    if not config.exists():
        config.write_text(CONFIG_TEXT, encoding="utf-8")
    for assignment in assignments:
        source = out_dir / SOURCE_DIR / assignment
        if source.exists():
            shutil.rmtree(source)
        shutil.copytree(Path(course_root) / SOURCE_DIR / assignment, source)
    (out_dir / EXCHANGE_DIR).mkdir(exist_ok=True)
    return config
