"""A grading process: ``python -m autograder.grading.worker CONTROL_FD [MODULE ...]``.

The parent (``autograder.grading.task``) prepares a scratch course directory per submission, holding a
copy of the gradebook and the submission, and writes the path of its JOB.json on this process's
stdin. This process grades it with nbgrader, writes the JSON result the job names and answers
"done" on CONTROL_FD; then it waits for the next job. nbgrader and the hidden checks are imported
once per process, and kernels are forked from a kernel factory that imported MODULEs once
(``autograder.sandbox.provisioner``), so a submission pays for little more than its own cells.
What belongs to one submission (its verifier, its output limits, where its kernels log) reaches
the objects nbgrader builds through the configuration given to nbgrader's API, never through
state of this process. A hung submission is handled by the parent, which kills this process (and
its kernels) and starts another.
"""
import contextlib
import json
import os
import select
import signal
import sys
import threading
import traceback
from pathlib import Path

import nbformat
from traitlets.config import Config

from autograder.sandbox import site as kernel_site
from autograder import checks
from autograder.course import GRADEBOOK, source_texts
from autograder.grading.nbgrader_ext.config import grading_api
from autograder.grading.nbgrader_ext.execute import KERNEL_DIED
from autograder.grading.nbgrader_ext.feedback import TERMINAL_ESCAPE, secret_lines
from autograder.grading.result_types import CellResult, Status, SubmissionResult
from autograder.sandbox.provisioner import KernelFactory
from autograder.sandbox.verifier import NOT_RUN, Verifier, expected_checks

TIMEOUT_ERRORS = {"CellTimeoutError", "TimeoutError"}
DEAD_KERNEL_MARKERS = ("DeadKernelError", "Kernel died", "kernel died")


def _error_message(output):
    text = f"{output.ename}: {output.evalue}" if output.evalue else output.ename
    return TERMINAL_ESCAPE.sub("", text).strip()


def cell_label(cell, index):
    """How a status message names a cell: its grade_id, else its position in the notebook."""
    grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
    return f"'{grade_id}'" if grade_id else str(index + 1)


def cell_outcomes(notebook):
    """Map grade_id -> (Status, message) from the errors in an executed notebook, name the first
    cells (grade_id, cell id or index) that hit the timeout and that killed the kernel, if any,
    and count the code cells that did not run."""
    outcomes, timed_out_cell, crashed_cell, not_run = {}, None, None, 0
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        not_run += cell.source.strip() != "" and cell.get("execution_count") is None
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        errors = [o for o in cell.get("outputs", []) if o.output_type == "error"]
        timed_out = any(o.ename in TIMEOUT_ERRORS for o in errors)
        crashed = any(o.ename == KERNEL_DIED for o in errors)
        if timed_out and timed_out_cell is None:
            timed_out_cell = cell_label(cell, index)
        if crashed and crashed_cell is None:
            crashed_cell = cell_label(cell, index)
        if grade_id:
            if crashed:
                outcomes[grade_id] = (Status.KERNEL_DIED, "the kernel died while running this cell")
            elif timed_out:
                outcomes[grade_id] = (Status.TIMEOUT, "the cell did not finish within the time limit")
            elif errors:
                outcomes[grade_id] = (Status.FAILED, _error_message(errors[-1]))
    return outcomes, timed_out_cell, crashed_cell, not_run


def read_grades(root, assignment, student):
    """Per-cell grades of the submission from the nbgrader gradebook at ``root``: the fields of its
    ``CellResult``s but their status and message."""
    from nbgrader.api import Gradebook

    rows = []
    with Gradebook(f"sqlite:///{Path(root) / GRADEBOOK}") as gradebook:
        submission = gradebook.find_submission(assignment, student)
        for notebook in submission.notebooks:
            for grade in notebook.grades:
                rows.append({
                    "notebook": notebook.name,
                    "grade_id": grade.name,
                    "score": grade.score,
                    "max_score": grade.max_score,
                    "needs_manual_grade": bool(grade.needs_manual_grade),
                    "auto_graded": grade.auto_score is not None,
                    "cell_type": grade.cell.cell_type,
                })
    return rows


RESOURCE_ERRORS = [  # (status, ename, words in the message)
    (Status.MEMORY_LIMIT, "MemoryError", ""),
    (Status.FILE_SIZE_LIMIT, "OSError", "File too large"),
    (Status.PROCESS_LIMIT, "BlockingIOError", "Resource temporarily unavailable"),
    (Status.PROCESS_LIMIT, "OSError", "Resource temporarily unavailable"),
    (Status.PROCESS_LIMIT, "RuntimeError", "can't start new thread"),
]


def resource_status(notebook):
    """The resource limit a submission ran into, from the errors its executed notebook's cells
    raised, or None."""
    for index, cell in enumerate(notebook.cells):
        for output in cell.get("outputs", []):
            if output.output_type != "error":
                continue
            for status, ename, words in RESOURCE_ERRORS:
                if output.ename == ename and words in str(output.evalue):
                    return status, f"cell {cell_label(cell, index)} hit the {status.replace('-', ' ')}"
    return None


def confirm_with_verifier(root, assignment, student, verifier):
    """Cap every test cell that calls hidden checks by the verifier's verdicts, in the gradebook.

    Returns {grade_id: failure message} for the cells the verifier did not confirm.
    """
    from nbgrader.api import Gradebook

    unconfirmed = {}
    with Gradebook(f"sqlite:///{Path(root) / GRADEBOOK}") as gradebook:
        submission = gradebook.find_submission(assignment, student)
        for notebook in submission.notebooks:
            for grade in notebook.grades:
                if grade.cell.cell_type != "code":
                    continue
                source = gradebook.find_source_cell(grade.name, notebook.name, assignment).source
                names = expected_checks(source)
                if not names:
                    continue
                confirmed, message = verifier.confirm(grade.name, names)
                if not confirmed:
                    unconfirmed[grade.name] = message
                    if grade.auto_score:
                        grade.auto_score = 0.0
        gradebook.db.commit()
    return unconfirmed


def job_config(job, verifier, factory):
    """What nbgrader's objects need of ``job`` beyond the course's configuration: the preprocessor
    that runs the notebook gets the verifier and the output limits, the provisioner that starts
    its kernels gets the kernel factory, the verifier (each new kernel's channel) and the log."""
    config = Config()
    config.GradedExecute.verifier = verifier
    config.GradedExecute.cell_output_bytes = int(job["cell_output_mb"] * 2**20)
    config.GradedExecute.notebook_output_bytes = int(job["notebook_output_mb"] * 2**20)
    config.ForkProvisioner.factory = factory
    config.ForkProvisioner.verifier = verifier
    config.ForkProvisioner.kernel_log = str(Path(job["root"]) / "worker.log")
    return config


def grade(job, factory):
    """Autograde and generate feedback for ``job`` (a dict, see ``autograder.grading.task``) with
    kernels forked by ``factory``."""
    root, assignment, student = Path(job["root"]), job["assignment"], job["student"]
    verifier = Verifier(call_timeout=job["cell_timeout"] + 5)
    jupyter_dir = kernel_site.prepare(root, job["memory_mb"], job["file_mb"], job["processes"], job["hidden"])
    api = grading_api(root, job["cell_timeout"], job_config=job_config(job, verifier, factory))
    try:
        jupyter_path = os.pathsep.join(filter(None, [str(jupyter_dir), os.environ.get("JUPYTER_PATH")]))
        with _environment(JUPYTER_PATH=jupyter_path):
            autograde = api.autograde(assignment, student, force=True, create=True)
    finally:
        kernel_site.release_cgroup(root)
        verifier.close()
    log, error = autograde.get("log", ""), autograde.get("error", "")
    if not autograde["success"]:
        status = Status.KERNEL_DIED if any(m in f"{log}\n{error}" for m in DEAD_KERNEL_MARKERS) else Status.GRADER_ERROR
        return SubmissionResult(student=student, assignment=assignment, status=status, log=log, error=error)
    unconfirmed = confirm_with_verifier(root, assignment, student, verifier)
    cells, problems, cells_not_run = [], [], 0
    grades = read_grades(root, assignment, student)
    for notebook_path in sorted((root / "autograded" / student / assignment).glob("*.ipynb")):
        notebook = nbformat.read(notebook_path, as_version=4)
        outcomes, timed_out, crashed, not_run = cell_outcomes(notebook)
        cells_not_run += not_run
        if crashed:
            problems.append((Status.KERNEL_DIED, f"the kernel died in cell {crashed} and was restarted"))
        if timed_out:
            problems.append((Status.TIMEOUT, f"cell {timed_out} exceeded the {job['cell_timeout']} s limit"))
        limit = resource_status(notebook)
        if limit:
            problems.append(limit)
        for row in grades:
            if row["notebook"] != notebook_path.stem:
                continue
            status, message = outcomes.get(row["grade_id"], (Status.PASSED, ""))
            if row["grade_id"] in unconfirmed:
                verdict = unconfirmed[row["grade_id"]]
                # A check that never ran leaves the cell's own error as the useful message.
                if status is Status.PASSED or not verdict.startswith(NOT_RUN):
                    status, message = (Status.FAILED if status is Status.PASSED else status), verdict
            if row["cell_type"] == "markdown":
                status, message = (Status.MANUAL, "graded by hand") if row["needs_manual_grade"] else (
                    Status.UNANSWERED, "")
            elif status is Status.PASSED and row["score"] < row["max_score"]:
                status = Status.PARTIAL
            cells.append(CellResult(**row, status=status, message=message))
    status, message = problems[0] if problems else (Status.OK, "")
    isolation = root / "kernel.isolation"
    result = SubmissionResult(
        student=student, assignment=assignment, cells=cells, message=message, cells_not_run=cells_not_run,
        status=status, log=log, error=error,
        isolation=isolation.read_text() if isolation.exists() else "not isolated: no launcher record")
    secrets = secret_lines(source_texts(root, assignment))
    feedback = grading_api(root, job["cell_timeout"], secrets).generate_feedback(assignment, student, force=True)
    if not feedback["success"]:
        result.feedback_error = feedback.get("error") or feedback.get("log", "")
    return result


CURRENT_JOB = {}  # the root of the job being graded, for ``exit_with_parent``


def exit_with_parent():
    """End this process, its kernel factory, kernels and the processes of the kernel's cgroup as
    soon as the process that started it ends, however it ends (``kill -9`` included): a watcher
    thread waits on a pidfd of the parent. (``PR_SET_PDEATHSIG`` would fire when the parent's
    thread that started us ends, which a thread pool's threads do.)"""
    parent = os.getppid()
    handle = os.pidfd_open(parent)
    if os.getppid() != parent:  # the parent died before we could watch it
        os._exit(1)

    def watch():
        select.select([handle], [], [])
        if "root" in CURRENT_JOB:
            kernel_site.release_cgroup(CURRENT_JOB["root"])
        os.killpg(0, signal.SIGKILL)  # this process and its kernel factory, whose kernels die with it

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


@contextlib.contextmanager
def _environment(**values):
    """Set environment variables for the duration of the block."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def run_job(job_path, factory):
    """Grade the job at ``job_path`` into the result file it names, logging to its worker.log."""
    job = json.loads(Path(job_path).read_text())
    CURRENT_JOB["root"] = job["root"]
    log_path = Path(job["root"]) / "worker.log"
    saved = [os.dup(1), os.dup(2)]
    log = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    for number in (1, 2):
        os.dup2(log, number)
    os.close(log)
    try:
        Path(job["result"]).write_text(grade(job, factory).to_json())
    except Exception:  # noqa: BLE001 - no result file: the parent reports the log as a grader error
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        for number, original in zip((1, 2), saved):
            os.dup2(original, number)
            os.close(original)


def serve(control_fd, modules):
    """Grade the jobs named on stdin, one per line: say "ready" on ``control_fd`` once started (the
    kernel factory goes on importing in the background), then "done" after each job."""
    exit_with_parent()
    factory = KernelFactory(modules)
    if "torch" in modules:
        # Hidden checks run in this process; only notebooks that use PyTorch have checks worth warming.
        threading.Thread(target=checks.warm_up, daemon=True).start()
    try:
        with os.fdopen(control_fd, "w", buffering=1) as control:
            control.write("ready\n")
            for line in sys.stdin:
                run_job(line.strip(), factory)
                control.write("done\n")
    finally:
        factory.close()


if __name__ == "__main__":
    serve(int(sys.argv[1]), sys.argv[2:])
