"""Hostile submissions aimed at the instructor rather than the grade: what ``grade`` writes (CSV
files, feedback pages) is safe to open, and no folder name or notebook file stops the run.

One class of the tiny course is graded once for the whole module. Every case here succeeded
against the grader before its defence was added (each test says what happened then).
"""
import csv
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from html.parser import HTMLParser

import nbformat
import pytest

from autograder import cli
from nbformat.v4 import new_code_cell, new_markdown_cell

from autograder.grading.options import Options

from autograder.grading.run import grade

from autograder.grading.submissions import MAX_CELLS
from autograder.spreadsheet import FORMULA_STARTS
from autograder.commands.release import release
from tests import tiny_course as tc

OPTIONS = Options(cell_timeout=10, budget=120, jobs=2, show_progress=False)
ADD, MUL = "def add(a, b):\n    return a + b", "def mul(a, b):\n    return a * b"
FORMULA_NAMES = ["@SUM(1+1)", "+cmd|' -C calc'!A0", '=HYPERLINK("evil.example","x")']
# The exception's class name starts the message of tests.csv: "=2+5: boom".
FORMULA_ERROR = "def mul(a, b):\n    raise type('=2+5', (Exception,), {})('boom')"


SCRIPTS = """from IPython.display import HTML, Javascript, Markdown, display
display(HTML('<script>document.title = "PWNED-html"</script><img src=x onerror="document.title = \\'PWNED-img\\'">'))
display(Javascript('document.title = "PWNED-js"'))
display(Markdown('<script>document.title = "PWNED-md-output"</script>'))"""
MARKDOWN = """The loss $L(w) = \\frac{1}{2}\\|w\\|^2$ and a table:

| step | loss |
|------|------|
| 1    | 0.5  |

<script>document.title = "PWNED-markdown"</script><iframe src="javascript:document.title = 'PWNED-frame'"></iframe>
<a href="javascript:document.title = 'PWNED-link'">click</a>"""
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def _with_scripts(notebook):
    """Outputs and markdown that run code in the browser of whoever opens the feedback."""
    notebook.cells.insert(1, new_markdown_cell(MARKDOWN))
    notebook.cells.insert(2, new_code_cell(SCRIPTS))


FLOOD = "import os\nfor _ in range(40):\n    os.write(1, b'x' * 2**20 + b'\\n')\nprint('after the flood')"


def _with_flood(notebook):
    """40 MB written to file descriptor 1 in 1 MB lines: the line limit does not cap bytes."""
    notebook.cells.insert(2, new_code_cell(FLOOD))


PATTERN_NAMES = ["glob[1]", "line\nbreak", "star*", "dollar$HOME"]
EMPTY_CELL = b'{"cell_type": "code", "execution_count": null, "metadata": {}, "outputs": [], "source": ""}'
FILES = {
    "deep_json": b"[" * 100_000 + b"]" * 100_000,
    "many_cells": (b'{"cells": [' + b", ".join([EMPTY_CELL] * (MAX_CELLS + 1))
                   + b'], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}'),
}


def _complete(released, mul=MUL, edit=None):
    return tc.student_notebook(released, ADD, mul, edit)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("instructor")
    solutions, assignments, submissions = root / "solutions", root / "assignments", root / "submitted"
    tc.write_solutions(solutions)
    release(solutions, assignments, show_progress=False)
    released = assignments / tc.ASSIGNMENT / tc.NOTEBOOK
    notebooks = {name: _complete(released) for name in FORMULA_NAMES}
    notebooks["formula_in_message"] = _complete(released, FORMULA_ERROR)
    notebooks["scripts_in_feedback"] = _complete(released, edit=_with_scripts)
    notebooks["output_flood"] = _complete(released, edit=_with_flood)
    notebooks.update({name: _complete(released) for name in PATTERN_NAMES})
    for student, notebook in notebooks.items():
        path = submissions / student / tc.ASSIGNMENT / tc.NOTEBOOK
        path.parent.mkdir(parents=True)
        nbformat.write(notebook, path)
    for student, content in FILES.items():
        path = submissions / student / tc.ASSIGNMENT / tc.NOTEBOOK
        path.parent.mkdir(parents=True)
        path.write_bytes(content)
    outside = root / "elsewhere" / tc.ASSIGNMENT
    outside.mkdir(parents=True)
    nbformat.write(_complete(released), outside / tc.NOTEBOOK)
    (submissions / "linked_folder").symlink_to(outside.parent, target_is_directory=True)
    (submissions / "linked_solution" / tc.ASSIGNMENT).mkdir(parents=True)
    (submissions / "linked_solution" / tc.ASSIGNMENT / tc.NOTEBOOK).symlink_to(
        solutions / tc.ASSIGNMENT / tc.NOTEBOOK)
    out = root / "out"
    results, rows = grade(submissions, out, OPTIONS, solutions)
    return {"root": root, "solutions": solutions, "submissions": submissions, "out": out, "results": {r.student: r for r in results},
            "rows": {r["student"]: r for r in rows}}


def _read_csv(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.slow
@pytest.mark.parametrize("table", ["grades.csv", "tests.csv"])
def test_no_csv_cell_starts_a_formula(graded, table):
    """Before: the student folder ``@SUM(1+1)`` was the first cell of its rows, and the message
    ``=2+5: boom`` of the student's exception a cell of tests.csv, both run by a spreadsheet."""
    rows = _read_csv(graded["out"] / table)
    cells = [value for row in rows for value in row.values()]
    assert not [value for value in cells if value.startswith(FORMULA_STARTS)]
    students = {row["student"] for row in rows}
    assert {f"'{name}" for name in FORMULA_NAMES} <= students
    if table == "tests.csv":
        assert "'=2+5: boom" in {row["message"] for row in rows}


@pytest.mark.slow
def test_formula_named_students_are_graded(graded):
    for name in FORMULA_NAMES:
        row = graded["rows"][name]
        assert (row["status"], row["score"]) == ("ok", 5)


def _feedback(graded, student):
    return (graded["out"] / "feedback" / student / tc.ASSIGNMENT / "tiny.html").read_text(encoding="utf-8")


class _Elements(HTMLParser):
    """Every start tag of a page with its attributes."""

    def __init__(self, page):
        super().__init__()
        self.elements = []
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))


@pytest.mark.slow
def test_feedback_keeps_no_script_of_the_student(graded):
    """Before: the page held the student's ``<script>``, ``onerror=``, ``display(Javascript)``,
    ``<iframe src=javascript:>`` and ``javascript:`` link as written."""
    elements = _Elements(_feedback(graded, "scripts_in_feedback")).elements
    scripts = [attrs for tag, attrs in elements if tag == "script"]
    assert scripts == [{"src": "../../../mathjax/course-config.js"}, {"src": "../../../mathjax/tex-svg.js"}]
    assert not [tag for tag, _ in elements if tag in ("iframe", "object", "embed", "svg", "form")]
    assert not [(tag, name) for tag, attrs in elements for name in attrs if name.startswith("on")]
    links = [value for _, attrs in elements for name, value in attrs.items() if name in ("href", "src")]
    assert not [link for link in links if not link.startswith(("#", "http", "data:image/", "../../../mathjax/"))]
    policy = [attrs["content"] for tag, attrs in elements if attrs.get("http-equiv") == "Content-Security-Policy"]
    assert policy and "script-src 'self';" in policy[0] and "default-src 'none'" in policy[0]


def _open_in_chromium(path):
    """The DOM of the page at ``path`` once a headless Chromium has run its scripts."""
    command = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run", "--virtual-time-budget=10000",
               "--dump-dom", path.as_uri()]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=True).stdout


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium)")
def test_in_a_browser_no_student_script_runs_and_formulas_render(graded):
    """Before: Chromium showed the title the student's script set, and the formula as raw
    ``$L(w)$`` (MathJax came from a CDN, out of reach offline)."""
    page = graded["out"] / "feedback" / "scripts_in_feedback" / tc.ASSIGNMENT / "tiny.html"
    dom = _open_in_chromium(page)
    assert "<title>00_tiny / tiny: scripts_in_feedback</title>" in dom
    assert "PWNED" not in dom.split("<title>", 1)[1].split("</title>", 1)[0]
    assert '<mjx-container class="MathJax' in dom and "$L(w)" not in dom
    assert "<td>0.5</td>" in dom


@pytest.mark.slow
def test_output_is_capped_in_bytes_with_a_note(graded):
    """Before: the 40 MB the kernel wrote with ``os.write`` were all kept (a 40 MB feedback page,
    and as much again in the grading process)."""
    row = graded["rows"]["output_flood"]
    assert (row["status"], row["score"]) == ("ok", 5)
    page = graded["out"] / "feedback" / "output_flood" / tc.ASSIGNMENT / "tiny.html"
    assert page.stat().st_size < 2 * OPTIONS.cell_output_mb * 2**20
    assert "output cut by the grader: this cell wrote more than 1 MB" in page.read_text(encoding="utf-8")


@pytest.mark.slow
@pytest.mark.parametrize("student", PATTERN_NAMES)
def test_any_folder_name_is_graded(graded, student):
    """Before: ``glob[1]`` and a name with a line break got ``grader-error`` (nbgrader takes the
    student id for a glob pattern and a path part), and the run exited non-zero."""
    row = graded["rows"][student]
    assert (row["status"], row["score"]) == ("ok", 5), row["message"]


@pytest.mark.parametrize("student, status, words", [
    ("deep_json", "invalid-notebook", "nests brackets"),
    ("many_cells", "too-large", f"{MAX_CELLS + 1:,} cells"),
    ("linked_folder", "outside-link", "outside the submissions folder"),
    ("linked_solution", "outside-link", "outside the submissions folder"),
])
@pytest.mark.slow
def test_hostile_files_are_refused_with_a_status(graded, student, status, words):
    """Before: 100,000 nested brackets raised RecursionError (``grader-error``); a notebook of many
    empty cells was validated in the grade command itself (400,000 took 77 s) and graded; a
    notebook that links to ``solutions/`` (or a student folder that links elsewhere) was followed
    and graded with full marks."""
    row = graded["rows"][student]
    assert (row["status"], row["score"]) == (status, 0)
    assert words in row["message"]


@pytest.mark.slow
def test_the_command_exits_zero_when_only_submissions_fail(graded, capsys):
    """Before: the ``grader-error`` of ``glob[1]`` made ``grade`` exit with status 1. (Run again on
    the same output, every grade is current and kept, so this grades nothing anew.)"""
    status = cli.main(["--solutions", str(graded["solutions"]), "grade", str(graded["submissions"]),
                       "--out", str(graded["out"]), "--quiet", "--jobs", "1"])
    table = capsys.readouterr().out
    assert status == 0
    assert "line\\nbreak" in table and "line\nbreak" not in table


@pytest.fixture(scope="module")
def small_class(tmp_path_factory):
    """Solutions of the tiny course and a class of one student, never graded."""
    root = tmp_path_factory.mktemp("errors")
    tc.write_solutions(root / "solutions")
    notebook = root / "submitted" / "ada" / tc.ASSIGNMENT / tc.NOTEBOOK
    notebook.parent.mkdir(parents=True)
    nbformat.write(tc.solution_notebook(), notebook)
    (root / "a_file").write_text("not a folder")
    return root


USER_ERRORS = {  # arguments after "grade SUBMISSIONS", the words of the error
    "tls_without_settings": (["--cluster", "tls://127.0.0.1:8786"], "needs the client's TLS settings"),
    "unreachable_scheduler": (["--cluster", "tcp://127.0.0.1:9"], "cannot reach the Dask scheduler"),
    "output_under_a_file": (["--out", "{root}/a_file/out"], "cannot use {root}/a_file/out: Not a directory"),
    "missing_submissions": (["--submissions", "{root}/nowhere"], "submissions folder not found"),
    "jobs_not_a_number": (["--jobs", "many"], "argument --jobs/-j: must be a whole number, got 'many'"),
    "negative_size": (["--max-size-mb", "-3"], "argument --max-size-mb: must be more than 0, got -3"),
    "unknown_assignment": (["--assignment", "99_nope"], "unknown assignment(s) 99_nope"),
    "unreadable_submissions": (["--unreadable"], "cannot use {root}/submitted: Permission denied"),
}


@pytest.mark.parametrize("case", sorted(USER_ERRORS))
def test_every_user_error_is_one_plain_sentence(small_class, case, capsys, monkeypatch):
    """Before: ``--cluster tls://...`` without the client's keys ended in distributed's TypeError
    traceback ("TLS expects a `ssl_context` argument"), an output folder that cannot be made and an
    unreadable submissions folder in OSError tracebacks, ``--jobs many`` in "invalid _positive_int
    value", and a negative ``--max-size-mb`` was taken."""
    pytest.importorskip("distributed")
    from autograder.grading.pools import dask as cluster

    arguments, words = USER_ERRORS[case]
    arguments = [a.format(root=small_class) for a in arguments]
    submissions, out = small_class / "submitted", small_class / f"out-{case}"
    if "--submissions" in arguments:
        submissions = arguments.pop(arguments.index("--submissions") + 1)
        arguments.remove("--submissions")
    unreadable = "--unreadable" in arguments
    if unreadable:
        arguments.remove("--unreadable")
        submissions.chmod(0)
    for name in ("CA_FILE", "CLIENT__CERT", "CLIENT__KEY"):
        monkeypatch.delenv(f"DASK_DISTRIBUTED__COMM__TLS__{name}", raising=False)
    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT", 2)
    command = ["--solutions", str(small_class / "solutions"), "grade", str(submissions), "--out", str(out),
               "--quiet", *arguments]
    try:
        if unreadable and os.geteuid() == 0:  # root reads every folder, unless it gives up that right
            if not shutil.which("setpriv"):
                pytest.skip("root reads every folder, and setpriv (util-linux) is missing")
            drop = "-dac_override,-dac_read_search"
            finished = subprocess.run(["setpriv", f"--bounding-set={drop}", f"--inh-caps={drop}", sys.executable,
                                       "-m", "autograder", *command], capture_output=True, text=True, timeout=300)
            status, error = finished.returncode, finished.stderr
        else:
            try:
                status = cli.main(command)
            except SystemExit as exit_:  # argparse's own errors
                status = exit_.code
            error = capsys.readouterr().err
    finally:
        (small_class / "submitted").chmod(0o755)
    assert status == 2
    assert "Traceback" not in error
    last = error.strip().splitlines()[-1]
    assert last.startswith(("error: ", "python -m autograder grade: error: ")) and words.format(root=small_class) in last


SLEEPER = "import time\nfor _ in range(600):\n    time.sleep(0.1)"


def _wait_for(condition, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.2)
    return None


@pytest.mark.slow
def test_nothing_outlives_a_killed_grade_command(small_class, tmp_path):
    """Before: after ``kill -9`` of ``grade``, its grading process, kernel factory and kernel went
    on until the submission's budget ran out, and its ``course-*`` folders stayed in the temporary
    directory for good."""
    import psutil

    from autograder.grading.scratch import RUN_PREFIX, kernel_cgroups, remove_abandoned_runs

    released = small_class / "solutions" / tc.ASSIGNMENT / tc.NOTEBOOK
    notebook = tc.student_notebook(released, edit=lambda nb: nb.cells.insert(1, new_code_cell(SLEEPER)))
    path = tmp_path / "submitted" / "slow" / tc.ASSIGNMENT / tc.NOTEBOOK
    path.parent.mkdir(parents=True)
    nbformat.write(notebook, path)
    command = [sys.executable, "-m", "autograder", "--solutions", str(small_class / "solutions"), "grade",
               str(tmp_path / "submitted"), "--out", str(tmp_path / "out"), "--quiet", "--jobs", "1",
               "--timeout", "120", "--budget", "300"]
    grader = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    temporary = Path(tempfile.gettempdir())
    try:
        # The kernel has started once its launcher wrote where it is confined.
        assert _wait_for(lambda: list(temporary.glob(f"{RUN_PREFIX}{grader.pid}-*/course-grade-*/kernel.isolation")),
                         120), "the kernel did not start"
        processes = psutil.Process(grader.pid).children(recursive=True)
        run = next(temporary.glob(f"{RUN_PREFIX}{grader.pid}-*"))
    finally:
        grader.send_signal(signal.SIGKILL)
        grader.wait()
    assert len(processes) >= 3  # grading process, kernel factory, kernel
    _, alive = psutil.wait_procs(processes, timeout=15)
    assert alive == []
    assert run.name in remove_abandoned_runs()  # what the next run does first
    assert not run.exists() and kernel_cgroups(run.name) == []


@pytest.mark.slow
def test_feedback_opens_with_the_totals_of_grades_csv_and_a_summary(graded):
    """Before: the page said "tiny (Score: 2.0 / 6.0)" (hand-graded points in the maximum) where
    grades.csv says 2 / 5 with 1 manual point, and its index was anonymous "Test cell" links."""
    row = {r["student"]: r for r in _read_csv(graded["out"] / "grades.csv")}["formula_in_message"]
    assert (row["score"], row["max_score"], row["manual_max_score"]) == ("2.0", "5.0", "1.0")
    page = _feedback(graded, "formula_in_message")
    summary, _, notebook = page.partition("</table>")
    assert "Autograded score: 2 / 5." in summary and "1 more point(s) are graded by hand" in summary
    assert "/ 6" not in page and "Test cell" not in page
    assert '<a href="#test_add">test_add</a></td><td>2 / 2</td><td class="course-passed">passed</td>' in summary
    assert ('<a href="#test_mul">test_mul</a></td><td>0 / 3</td><td class="course-failed">failed</td>'
            "<td>=2+5: boom</td>") in summary
    for grade_id in ("test_add", "test_mul", "answer_why"):
        assert f'<a name="{grade_id}"' in notebook  # where each summary link leads
