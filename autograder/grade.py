"""``python -m autograder grade SUBMISSIONS --out OUT``: autograde a class in parallel.

Input is nbgrader's layout ``SUBMISSIONS/<student>/<assignment>/<notebook>.ipynb``; submissions are
only read. Each submission is validated here, copied into its own scratch course directory with
a copy of the gradebook, and graded under a time budget by one of ``--jobs`` grading processes
(``autograder.worker``, a ``Slot`` here), which grade submission after submission, each in a fresh
kernel; one that overruns the budget is killed with its kernels and replaced. With ``--cluster``
the same grading runs on Dask workers (``autograder.distributed``). Results accumulate in
``OUT/results/<student>/<assignment>.json``; ``grades.csv`` and ``tests.csv`` are rebuilt from all
of them, so a re-run never loses an earlier grade.
"""
import contextlib
import hashlib
import io
import json
import os
import queue
import select
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import nbformat

from autograder.course import (
    GRADEBOOK,
    GRADING_ENVIRONMENT,
    SOLUTIONS_DIR,
    CourseError,
    build_course,
    cell_names,
    course_digest,
    grade_cells,
    grading_code_digest,
    imported_modules,
    list_assignments,
    list_notebooks,
)
from autograder.feedback import feedback_page, install_mathjax
from autograder.formgrader import AUTOGRADED_DIR, write_autograded, write_course_files
from autograder.grading_run import grading_run
from autograder.kernel_site import release_cgroup
from autograder.manual_grades import (read_manual_grades, record_digests, recorded_digests, restore_manual_grades,
                                      still_valid)
from autograder.progress import progress_bar
from autograder.spreadsheet import SafeDictWriter
from autograder.submission_time import parse_submission_time, read_timestamp_text

GRADE_COLUMNS = ["student", "assignment", "score", "max_score", "manual_max_score", "status", "message", "graded_at"]
TEST_COLUMNS = ["student", "assignment", "notebook", "grade_id", "score", "max_score", "status", "message"]
# The name of every student in the scratch course nbgrader grades in: nbgrader treats a student id
# as a glob pattern and a path part, which the student's folder name (``glob[1]``) must not be.
NBGRADER_STUDENT = "student"
# Limits checked before a notebook is validated (nbformat's validation takes minutes on 400,000 cells).
MAX_CELLS = 10_000
MAX_JSON_DEPTH = 64
# Statuses that describe the grader, not the submission: such a result never replaces an earlier one.
GRADER_FAULTS = {"grader-error"}
# A spreadsheet evaluates a cell that starts with one of these as a formula (OWASP "CSV injection").


@dataclass
class Task:
    """One student's submission of one assignment."""

    student: str
    assignment: str
    folder: Path
    notebooks: dict = field(default_factory=dict)  # expected notebook name -> submitted path or None
    digest: tuple = ()  # (submission, course, grading code) fingerprints
    root: Path = None  # the submissions folder: no notebook may lie outside it


@dataclass
class Options:
    cell_timeout: int = 60
    budget: int = 600
    max_size_mb: float = 50.0
    memory_mb: int = 4096
    file_mb: int = 256
    cell_output_mb: float = 1.0  # output a cell may keep (the rest is cut, with a note)
    notebook_output_mb: float = 10.0
    processes: int = 256
    jobs: int = os.cpu_count() or 1
    cluster: str = ""  # a Dask scheduler address, or "local" for a Dask cluster on this machine
    show_progress: bool = True
    regrade: bool = False


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
        return None, ("too-large", f"{path.name} is {size_mb:.1f} MB, over the {max_size_mb:g} MB limit")
    raw = path.read_bytes()
    # Every cell has one "cell_type" key (a quote inside a string would be escaped): counting them
    # takes milliseconds where parsing 400,000 cells takes seconds.
    cell_keys = raw.count(b'"cell_type"')
    if cell_keys > MAX_CELLS:
        return None, ("too-large", f"{path.name} has {cell_keys:,} cells, over the limit of {MAX_CELLS:,}")
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        return None, ("invalid-notebook", f"{path.name} is not a text file")
    except json.JSONDecodeError as error:
        return None, ("invalid-notebook", f"{path.name} is not valid JSON (line {error.lineno}, column "
                                          f"{error.colno}): truncated or corrupted?")
    except RecursionError:
        return None, ("invalid-notebook", f"{path.name} nests brackets more deeply than any notebook does")
    cells = _cells_of(data)
    if len(cells) > MAX_CELLS:
        return None, ("too-large", f"{path.name} has {len(cells):,} cells, over the limit of {MAX_CELLS:,}")
    for cell in cells:
        if isinstance(cell, dict) and "outputs" in cell:
            cell["outputs"] = []  # never graded, and they may be most of the file
    if json_depth(data) > MAX_JSON_DEPTH:
        return None, ("invalid-notebook", f"{path.name} nests its data more than {MAX_JSON_DEPTH} levels deep, "
                                          "which no notebook does")
    try:
        notebook = nbformat.reads(json.dumps(data), as_version=4)
        nbformat.validate(notebook)
    except Exception as error:  # noqa: BLE001 - any parse failure means "not a notebook"
        return None, ("invalid-notebook", f"{path.name} is not a Jupyter notebook ({type(error).__name__})")
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


def _kill_tree(process):
    """Kill a worker and everything it started (its kernel factory and kernels included)."""
    import psutil

    try:
        parent = psutil.Process(process.pid)
        victims = parent.children(recursive=True) + [parent]
    except psutil.NoSuchProcess:
        return
    for victim in victims:
        try:
            victim.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(victims, timeout=10)


class Slot:
    """One grading process (``autograder.worker``) that grades job after job; the pool starts it
    ahead of the first job, and it is killed and started afresh when a submission overruns its
    budget. Its start-up (imports) does not count against any submission's budget."""

    STARTUP_LIMIT = 120  # seconds a grading process may take to start

    def __init__(self, modules=(), environment=None):
        self.modules, self.environment = list(modules), environment
        self.process = self.done = None
        self.ready = self.closed = False
        self.lock = threading.Lock()
        self.folder = Path(tempfile.mkdtemp(prefix="course-worker-"))
        self.log_path = self.folder / "worker.log"

    def start(self):
        """Start the grading process unless it runs."""
        with self.lock:
            if self.closed:
                raise RuntimeError("grading was stopped")
            if self.process is not None:
                return
            ready, control = os.pipe()
            with open(self.log_path, "ab") as log:
                self.process = subprocess.Popen(
                    [sys.executable, "-m", "autograder.worker", str(control), *self.modules], cwd=self.folder,
                    env=self.environment, stdin=subprocess.PIPE, stdout=log, stderr=subprocess.STDOUT,
                    pass_fds=[control], start_new_session=True, text=True)
            os.close(control)
            self.done, self.ready = os.fdopen(ready, "r"), False

    def run(self, job_path, budget):
        """Grade the job at ``job_path``; False when it took more than ``budget`` seconds. A job
        that gets no result file (the process died) is the caller's to report."""
        self.start()
        process, done = self.process, self.done
        if not self.ready:
            if not (select.select([done], [], [], self.STARTUP_LIMIT)[0] and done.readline() == "ready\n"):
                self.stop()
                return True
            self.ready = True
        try:
            process.stdin.write(f"{job_path}\n")
            process.stdin.flush()
        except OSError:
            self.stop()
            return True
        finished = bool(select.select([done], [], [], budget)[0])
        if not finished or not done.readline():
            self.stop()
        return finished

    def stop(self):
        """Kill the process, its kernel factory and kernels, whatever they are doing."""
        with self.lock:
            process, done, self.process, self.done = self.process, self.done, None, None
        if process is not None:
            _kill_tree(process)
            for handle in (process.stdin, done):
                with contextlib.suppress(OSError):
                    handle.close()

    def close(self):
        """End the process (it exits when its stdin closes) and remove the slot's folder."""
        with self.lock:
            self.closed = True
            process, done, self.process, self.done = self.process, self.done, None, None
        if process is not None:
            with contextlib.suppress(OSError):
                process.stdin.close()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                _kill_tree(process)
            done.close()
        shutil.rmtree(self.folder, ignore_errors=True)


def grading_pool(course_root, options, assignments, solutions_dir, hidden, size):
    """The context manager of ``submit(task) -> Future`` that grades ``size`` tasks: on this
    machine, or on the Dask cluster of ``options.cluster``."""
    if options.cluster:
        try:
            from autograder.distributed import dask_pool
        except ModuleNotFoundError as error:
            if error.name not in ("distributed", "dask"):
                raise
            raise CourseError("--cluster needs Dask: pip install '.[distributed]'") from None
        return dask_pool(course_root, options, assignments, solutions_dir, hidden)
    return local_pool(course_root, options, preloaded_modules(assignments, solutions_dir), hidden,
                      min(options.jobs, size))


@contextlib.contextmanager
def local_pool(course_root, options, modules, hidden, workers):
    """``submit(task) -> Future``: grading on this machine by ``workers`` grading processes."""
    slots = Slots(max(0, workers), modules)

    def grade_in_slot(task):
        with slots.borrow() as slot:
            return grade_task(task, course_root, options, slot, hidden)

    pool = ThreadPoolExecutor(max_workers=max(1, workers))
    try:
        yield lambda task: pool.submit(grade_in_slot, task)
    except BaseException:  # an interrupted run: no new submissions, end the ones being graded
        pool.shutdown(wait=False, cancel_futures=True)
        slots.stop()
        raise
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
        slots.close()


def preloaded_modules(assignments, solutions_dir=SOLUTIONS_DIR):
    """What grading kernels start with already imported: ipykernel, the notebooks' imports, and
    scikit-learn's datasets, which ``cs_utils.data`` imports on first use for the digits."""
    return ["ipykernel.kernelapp", *imported_modules(assignments, solutions_dir), "sklearn.datasets"]


class Slots:
    """``count`` grading processes, started now, each lent to one job at a time."""

    def __init__(self, count, modules):
        self.slots = [Slot(modules, grading_environment()) for _ in range(count)]
        self.idle = queue.SimpleQueue()
        for slot in self.slots:
            slot.start()
            self.idle.put(slot)

    @contextlib.contextmanager
    def borrow(self):
        """An idle slot (waiting for one), given back afterwards."""
        slot = self.idle.get()
        try:
            yield slot
        finally:
            self.idle.put(slot)

    def stop(self):
        for slot in self.slots:
            slot.stop()

    def close(self):
        for slot in self.slots:
            slot.close()


def grading_environment():
    """The environment of grading processes and their kernels."""
    # The grader's own environment provides the kernel, whatever kernelspecs the user has.
    jupyter_path = os.pathsep.join(filter(None, [str(Path(sys.prefix) / "share" / "jupyter"),
                                                 os.environ.get("JUPYTER_PATH")]))
    environment = {**os.environ, **GRADING_ENVIRONMENT, "JUPYTER_PATH": jupyter_path}
    # ipykernel stops capturing what is written to file descriptors 1 and 2 under pytest; kernels
    # graded from a test must capture it as in any other run.
    environment.pop("PYTEST_CURRENT_TEST", None)
    return environment


def submission_digest(task):
    """A fingerprint of what the student submitted for ``task``."""
    digest = hashlib.sha256()
    for name, path in sorted(task.notebooks.items()):
        digest.update(name.encode() + b"\0" + (path.read_bytes() if path is not None else b""))
    return digest.hexdigest()


def belongs_to(notebook, names):
    """Whether ``notebook`` has any nbgrader cell of the assignment (else it is another notebook)."""
    return any(cell.metadata.get("nbgrader", {}).get("grade_id") in names for cell in notebook.cells)


def read_submission(task, course_root, options):
    """The validated notebooks of ``task`` by name, and None; or None and the result of a
    submission that cannot be graded (missing, too large, not a notebook, another assignment's)."""
    result = {"student": task.student, "assignment": task.assignment, "cells": [], "message": ""}
    present = {name: path for name, path in task.notebooks.items() if path is not None}
    if not present:
        names = ", ".join(task.notebooks)
        return None, {**result, "status": "missing", "message": f"no submission found (expected {names})"}
    notebooks = {}
    for name, path in present.items():
        if task.root is not None and not path.resolve().is_relative_to(Path(task.root).resolve()):
            return None, {**result, "status": "outside-link",
                          "message": f"{path.name} is a link to a file outside the submissions folder; submit "
                                     "the notebook itself"}
        notebook, problem = load_submission(path, options.max_size_mb)
        if problem:
            return None, {**result, "status": problem[0], "message": problem[1]}
        if not belongs_to(notebook, cell_names(course_root, task.assignment)):
            return None, {**result, "status": "wrong-notebook",
                          "message": f"{path.name} has none of the cells of {task.assignment}: another assignment's "
                                     "notebook?"}
        notebooks[name] = notebook
    return notebooks, None


def grade_task(task, course_root, options, slot, hidden=()):
    """Grade one task with the grading process ``slot``; returns the result dict (never raises for
    student faults). ``hidden`` folders (the class's submissions, the grading output) stay out of
    the kernel's sight."""
    notebooks, early = read_submission(task, course_root, options)
    if early:
        return early
    return grade_notebooks(task.student, task.assignment, notebooks, course_root, options, slot, hidden)


def grade_notebooks(student, assignment, notebooks, course_root, options, slot, hidden=()):
    """Grade the validated ``notebooks`` (by name) of one submission in a scratch course."""
    started = time.monotonic()
    result = {"student": student, "assignment": assignment, "cells": [], "message": ""}
    with tempfile.TemporaryDirectory(prefix="course-grade-") as scratch:
        scratch = Path(scratch)
        shutil.copyfile(Path(course_root) / GRADEBOOK, scratch / GRADEBOOK)
        destination = scratch / "submitted" / NBGRADER_STUDENT / assignment
        destination.mkdir(parents=True)
        for name, notebook in notebooks.items():
            nbformat.write(notebook, destination / name)
        job = {"root": str(scratch), "assignment": assignment, "student": NBGRADER_STUDENT,
               "cell_timeout": options.cell_timeout, "result": str(scratch / "result.json"),
               "memory_mb": options.memory_mb, "file_mb": options.file_mb, "processes": options.processes,
               "cell_output_mb": options.cell_output_mb, "notebook_output_mb": options.notebook_output_mb,
               "hidden": [str(Path(p).resolve()) for p in (course_root, *hidden)]}
        (scratch / "job.json").write_text(json.dumps(job))
        try:
            finished = slot.run(scratch / "job.json", options.budget)
        finally:
            release_cgroup(scratch)  # also ends processes the kernel detached from its tree
        if not finished:
            return {**result, "status": "timeout",
                    "message": f"grading exceeded the budget of {options.budget} s per submission"}
        if not (scratch / "result.json").exists():
            log = scratch / "worker.log" if (scratch / "worker.log").exists() else slot.log_path
            tail = log.read_text(errors="replace")[-2000:]
            return {**result, "status": "grader-error", "message": f"the grading process failed: {tail}"}
        graded = json.loads((scratch / "result.json").read_text())
        feedback_dir = scratch / "feedback" / NBGRADER_STUDENT / assignment
        result["feedback"] = {p.name: p.read_text(encoding="utf-8") for p in sorted(feedback_dir.glob("*.html"))}
        executed_dir = scratch / AUTOGRADED_DIR / NBGRADER_STUDENT / assignment
        result["autograded"] = {p.name: p.read_text(encoding="utf-8") for p in sorted(executed_dir.glob("*.ipynb"))}
    result.update(graded)
    result.setdefault("message", "")
    if result["status"] == "kernel-died" and not result["message"]:
        result["message"] = "the kernel died while running the notebook"
    elif result["status"] == "grader-error":
        result["message"] = (result.get("error") or "nbgrader failed").strip().splitlines()[-1]
    result["seconds"] = round(time.monotonic() - started, 2)
    return result


def is_manual(cell):
    """Markdown answers are graded by hand; their points are reported apart from the autograded ones."""
    return cell.get("cell_type") == "markdown"


def ungraded_cells(cells, status, message):
    """Zero-score rows for every grade cell of a submission that could not be graded."""
    return [{**cell, "score": 0.0, "status": status, "message": message} for cell in cells]


def _add_ungraded_notebooks(result, cells):
    """Give the cells of every notebook the result does not grade a zero row, so the maximum is the
    assignment's whole maximum: a notebook left out of a multi-notebook submission costs its points."""
    graded = {cell["notebook"] for cell in result["cells"]}
    absent = [cell for cell in cells if cell["notebook"] not in graded]
    if not graded:
        result["cells"] = ungraded_cells(absent, result["status"], result["message"])
    elif absent:
        names = sorted({f"{cell['notebook']}.ipynb" for cell in absent})
        message = f"not submitted: {', '.join(names)}"
        result["cells"] += ungraded_cells(absent, "missing", message)
        result["message"] = "; ".join(m for m in (result["message"], message) if m)


def summarise(result):
    """The grades.csv row of one result."""
    cells = result.get("cells", [])
    auto = [c for c in cells if not is_manual(c)]
    return {
        "student": result["student"],
        "assignment": result["assignment"],
        "score": round(sum(c["score"] or 0 for c in auto), 4),
        "max_score": round(sum(c["max_score"] for c in auto), 4),
        "manual_max_score": round(sum(c["max_score"] for c in cells if is_manual(c)), 4),
        "status": result["status"],
        "message": result.get("message", ""),
        "graded_at": result.get("graded_at", ""),
    }


def store(result, out_dir):
    """Save one result and its feedback under ``out_dir``, unless it would replace a real grade
    with a grader fault. Returns True when stored."""
    out_dir = Path(out_dir)
    path = out_dir / "results" / result["student"] / f"{result['assignment']}.json"
    if result["status"] in GRADER_FAULTS and path.exists():
        return False
    feedback = result.pop("feedback", {})
    write_autograded(out_dir, result["student"], result["assignment"], result.pop("autograded", {}))
    result["graded_at"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_atomically(path, json.dumps({k: v for k, v in result.items() if k not in ("log", "error")}, indent=1))
    feedback_dir = out_dir / "feedback" / result["student"] / result["assignment"]
    if feedback_dir.exists():
        shutil.rmtree(feedback_dir)
    feedback_dir.mkdir(parents=True)
    if not feedback:  # not run: a page per notebook with the status and the zero scores
        names = sorted({cell["notebook"] for cell in result.get("cells", [])}) or [result["assignment"]]
        feedback = {f"{name}.html": None for name in names}
    mathjax = os.path.relpath(install_mathjax(out_dir), feedback_dir)
    row = summarise(result)
    for name, page in feedback.items():
        page = feedback_page(page, result, row, name.removesuffix(".html"), mathjax)
        (feedback_dir / name).write_text(page, encoding="utf-8")
    return True


def _write_atomically(path, text):
    """Write ``text`` to ``path`` so that a reader (or a crash) sees the old file or the new one."""
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)


def stored_result(out_dir, task):
    """The result stored for ``task`` under ``out_dir``, or None."""
    path = Path(out_dir) / "results" / task.student / f"{task.assignment}.json"
    return json.loads(path.read_text()) if path.exists() else None


def _is_current(stored, task):
    return bool(stored) and stored.get("digest") == list(task.digest) and stored["status"] not in GRADER_FAULTS


def _refresh_timestamp(out_dir, task):
    stored, timestamp = stored_result(out_dir, task), read_timestamp_text(task.folder)
    if stored.get("timestamp") != timestamp:
        path = Path(out_dir) / "results" / task.student / f"{task.assignment}.json"
        _write_atomically(path, json.dumps({**stored, "timestamp": timestamp}, indent=1))


def write_tables(out_dir):
    """Rebuild grades.csv and tests.csv from every stored result; returns the grade rows."""
    out_dir = Path(out_dir)
    results = [json.loads(p.read_text()) for p in sorted((out_dir / "results").glob("*/*.json"))]
    grade_rows = [summarise(r) for r in results]
    grades, tests = io.StringIO(), io.StringIO()
    writer = SafeDictWriter(grades, GRADE_COLUMNS)
    writer.writeheader()
    writer.writerows(grade_rows)
    writer = SafeDictWriter(tests, TEST_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    for result in results:
        for cell in result.get("cells", []):
            writer.writerow({"student": result["student"], "assignment": result["assignment"], **cell})
    _write_atomically(out_dir / "grades.csv", grades.getvalue())
    _write_atomically(out_dir / "tests.csv", tests.getvalue())
    return grade_rows


def printable(text):
    """``text`` on one terminal line: line breaks and other control characters escaped."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def format_table(rows):
    """A plain-text grade table for the terminal."""
    header = ["student", "assignment", "score", "status", "message"]
    lines = [[printable(r["student"]), r["assignment"], f"{r['score']:g} / {r['max_score']:g}", r["status"],
              printable(r["message"][:90])]
             for r in rows]
    widths = [max(len(str(x)) for x in column) for column in zip(header, *lines)]
    render = lambda values: "  ".join(str(v).ljust(w) for v, w in zip(values, widths)).rstrip()  # noqa: E731
    return "\n".join([render(header), render(["-" * w for w in widths])] + [render(line) for line in lines])


def grade(submissions_dir, out_dir, options=None, solutions_dir=SOLUTIONS_DIR, assignments=None):
    """Grade every submission under ``submissions_dir`` into ``out_dir``.

    Returns (results of this run, all grade rows in out_dir).
    """
    options = options or Options()
    tasks = discover(submissions_dir, solutions_dir, assignments)
    if not tasks:
        raise CourseError(f"no submissions found under {submissions_dir} "
                          "(expected SUBMISSIONS/<student>/<assignment>/<notebook>.ipynb)")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    results = []
    with grading_run(), tempfile.TemporaryDirectory(prefix="course-master-") as course_root:
        known = list_assignments(solutions_dir)
        stored = {p.stem for p in out_dir.glob("results/*/*.json")} & set(known)
        assignment_names = sorted({t.assignment for t in tasks} | stored)
        # A stored grade stays current only while the submission, the assignment's source and the
        # code that grades it (checks, references, the grader itself) are all unchanged.
        digests = {a: (course_digest(a, solutions_dir), grading_code_digest()) for a in assignment_names}
        for task in tasks:
            task.digest = (submission_digest(task), *digests[task.assignment])
        if not options.regrade:
            # Resume: a submission graded before, unchanged, against the same course, keeps its grade.
            done = [t for t in tasks if _is_current(stored_result(out_dir, t), t)]
            tasks = [t for t in tasks if t not in done]
            for task in done:  # a collect that brought the same notebook again brought a new time
                _refresh_timestamp(out_dir, task)
            if done and options.show_progress:
                print(f"{len(done)} submission(s) unchanged since their last grading: kept", file=sys.stderr)
        bar = progress_bar(total=len(tasks), description="grading", enabled=options.show_progress)
        # The grading processes start now and warm up while the master course is built.
        pool = grading_pool(course_root, options, sorted({t.assignment for t in tasks}), solutions_dir,
                            (submissions_dir, out_dir), len(tasks))
        with bar, pool as submit:
            build_course(course_root, assignment_names, solutions_dir)
            cells = {a: grade_cells(course_root, a) for a in assignment_names}
            futures = {submit(task): task for task in tasks}
            for future in as_completed(futures):
                task = futures[future]
                try:
                    result = future.result()
                except Exception as error:  # noqa: BLE001 - one failure must not stop the class
                    result = {"student": task.student, "assignment": task.assignment, "cells": [],
                              "status": "grader-error", "message": f"{type(error).__name__}: {error}"}
                _add_ungraded_notebooks(result, cells[task.assignment])
                result["digest"] = list(task.digest)
                result["timestamp"] = read_timestamp_text(task.folder)
                store(result, out_dir)
                results.append(result)
                bar.set_postfix_str(f"{task.student}/{task.assignment}: {result['status']}")
                bar.update()
        for student, assignment in write_gradebook(out_dir, course_root):
            print(f"{student}/{assignment} changed since it was graded by hand: grade its written answers again",
                  file=sys.stderr)
        write_course_files(out_dir, course_root, assignment_names)
    return results, write_tables(out_dir)


def write_gradebook(out_dir, course_root):
    """Rebuild ``OUT/gradebook.db`` (nbgrader's own format, for ``nbgrader export`` or manual
    grading in formgrader) from every stored result, so that it always matches grades.csv; the
    manual grades of unchanged submissions are carried over (``autograder.manual_grades``).
    Returns the (student, assignment) pairs whose manual grades were dropped."""
    from nbgrader.api import Gradebook
    from sqlalchemy.exc import SAWarning

    out_dir = Path(out_dir)
    partial = out_dir / "gradebook.db.partial"
    shutil.copyfile(Path(course_root) / GRADEBOOK, partial)
    digests = {}
    # nbgrader's add_submission trips SQLAlchemy's autoflush warnings; they say nothing to a user.
    with warnings.catch_warnings(), Gradebook(f"sqlite:///{partial}") as gradebook:
        warnings.simplefilter("ignore", SAWarning)
        known = {assignment.name for assignment in gradebook.assignments}
        for path in sorted(out_dir.glob("results/*/*.json")):
            result = json.loads(path.read_text())
            if result["assignment"] not in known or result["status"] in {"missing"} | GRADER_FAULTS:
                continue
            gradebook.update_or_create_student(result["student"])
            gradebook.add_submission(result["assignment"], result["student"],
                                     timestamp=parse_submission_time(result.get("timestamp")).at)
            digests[result["student"], result["assignment"]] = result.get("digest", [""])[0]
            for cell in result["cells"]:
                grade = gradebook.find_grade(cell["grade_id"], cell["notebook"], result["assignment"],
                                             result["student"])
                manual = cell["status"] == "manual"
                grade.auto_score, grade.needs_manual_grade = (None if manual else cell["score"]), manual
            gradebook.db.commit()
        kept, dropped = still_valid(read_manual_grades(out_dir / GRADEBOOK), recorded_digests(out_dir / GRADEBOOK),
                                    digests)
        restore_manual_grades(gradebook, kept)
    record_digests(partial, digests)
    os.replace(partial, out_dir / GRADEBOOK)
    return dropped
