"""Grading one submission: its validated notebooks copied into a scratch course directory with
a copy of the gradebook, and graded there under a time budget by a grading process (a ``Slot``)."""
import dataclasses
import json
import shutil
import tempfile
import time
from pathlib import Path

import nbformat

from autograder.course import GRADEBOOK
from autograder.grading.nbgrader_ext.formgrader import AUTOGRADED_DIR
from autograder.grading.result_types import Status, SubmissionResult
from autograder.grading.submissions import NBGRADER_STUDENT, read_submission
from autograder.sandbox.site import release_cgroup


def grade_task(task, course_root, options, slot, hidden=()):
    """Grade one task with the grading process ``slot``; returns its ``SubmissionResult`` (never
    raises for student faults). ``hidden`` folders (the class's submissions, the grading output)
    stay out of the kernel's sight."""
    notebooks, early = read_submission(task, course_root, options)
    if early:
        return early
    return grade_notebooks(task.student, task.assignment, notebooks, course_root, options, slot, hidden)


def grade_notebooks(student, assignment, notebooks, course_root, options, slot, hidden=()):
    """Grade the validated ``notebooks`` (by name) of one submission in a scratch course."""
    started = time.monotonic()
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
            return SubmissionResult(student=student, assignment=assignment, status=Status.TIMEOUT,
                                    message=f"grading exceeded the budget of {options.budget} s per submission")
        if not (scratch / "result.json").exists():
            log = scratch / "worker.log" if (scratch / "worker.log").exists() else slot.log_path
            tail = log.read_text(errors="replace")[-2000:]
            return SubmissionResult(student=student, assignment=assignment, status=Status.GRADER_ERROR,
                                    message=f"the grading process failed: {tail}")
        graded = SubmissionResult.from_json((scratch / "result.json").read_text())
        feedback_dir = scratch / "feedback" / NBGRADER_STUDENT / assignment
        feedback = {p.name: p.read_text(encoding="utf-8") for p in sorted(feedback_dir.glob("*.html"))}
        executed_dir = scratch / AUTOGRADED_DIR / NBGRADER_STUDENT / assignment
        autograded = {p.name: p.read_text(encoding="utf-8") for p in sorted(executed_dir.glob("*.ipynb"))}
    message = graded.message
    if graded.status is Status.KERNEL_DIED and not message:
        message = "the kernel died while running the notebook"
    elif graded.status is Status.GRADER_ERROR:
        message = ((graded.error or "").strip() or "nbgrader failed").splitlines()[-1]
    return dataclasses.replace(graded, student=student, message=message, feedback=feedback, autograded=autograded,
                               seconds=round(time.monotonic() - started, 2))
