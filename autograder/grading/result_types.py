"""What grading gives: a ``Status`` for every way grading a submission or one of its cells can go,
the result of each graded cell (``CellResult``) and of a whole submission (``SubmissionResult``).

A ``SubmissionResult`` travels as JSON (``to_json`` / ``from_json``): from a grading process to
its pool (``result.json``), from a Dask worker to the machine that runs ``grade``, and into
``OUT/results/<student>/<assignment>.json``, which the CSV tables, the gradebook, the feedback pages
and the term's final grades read. The JSON has the keys and values of the files written before
these classes existed (and their order, but within the cells of a submission that was not run): a
field only some results have (``OPTIONAL``) is left out when it has no value, as it was then, and
those files read back as they were.
"""
import dataclasses
import enum
import json
from dataclasses import dataclass, field


class Status(enum.StrEnum):
    """How grading went, in the words ``grades.csv``, ``tests.csv``, the stored results and the
    feedback pages show (a ``StrEnum``: each member is that very string)."""

    # A submission's status; a cell that was not graded shows its submission's.
    OK = "ok"
    MISSING = "missing"
    INVALID_NOTEBOOK = "invalid-notebook"
    TOO_LARGE = "too-large"
    OUTSIDE_LINK = "outside-link"
    WRONG_NOTEBOOK = "wrong-notebook"
    TIMEOUT = "timeout"  # a cell's too: the cell ran past its time limit
    KERNEL_DIED = "kernel-died"  # a cell's too: the kernel died while the cell ran
    MEMORY_LIMIT = "memory-limit"
    PROCESS_LIMIT = "process-limit"
    FILE_SIZE_LIMIT = "file-size-limit"
    GRADER_ERROR = "grader-error"
    # A graded cell's only.
    PASSED = "passed"
    PARTIAL = "partial"  # ran without an error but earned part of its points
    FAILED = "failed"
    MANUAL = "manual"  # a written answer, graded by hand
    UNANSWERED = "unanswered"  # a written answer left empty

    @property
    def is_grader_fault(self):
        """Whether the status describes the grader, not the submission: such a result never
        replaces an earlier one and makes ``grade`` exit with an error."""
        return self is Status.GRADER_ERROR

    @property
    def is_cell_only(self):
        """Whether only a graded cell, never a whole submission, has this status."""
        return self in (Status.PASSED, Status.PARTIAL, Status.FAILED, Status.MANUAL, Status.UNANSWERED)


GRADER_FAULTS = frozenset(status for status in Status if status.is_grader_fault)
SUBMISSION_STATUSES = frozenset(status for status in Status if not status.is_cell_only)
OPTIONAL = {"optional": True}  # field metadata: the key is left out of the JSON when the value is None


@dataclass(frozen=True, kw_only=True)
class CellResult:
    """One graded cell (an nbgrader grade cell) of a submission. Fields in the order of the JSON."""

    notebook: str  # the notebook's name without ``.ipynb``
    grade_id: str
    score: float | None
    max_score: float
    # nbgrader's flags, for a cell that ran.
    needs_manual_grade: bool | None = field(default=None, metadata=OPTIONAL)
    auto_graded: bool | None = field(default=None, metadata=OPTIONAL)
    cell_type: str  # "code", or "markdown" for a written answer
    status: Status
    message: str = ""

    @property
    def is_manual(self):
        """Written answers are graded by hand; their points are reported apart from the autograded ones."""
        return self.cell_type == "markdown"


@dataclass(kw_only=True)
class SubmissionResult:
    """One student's submission of one assignment, graded or not. Fields in the order of the JSON."""

    student: str
    assignment: str
    cells: list[CellResult] = field(default_factory=list)  # in the gradebook's order
    message: str = ""  # what went wrong, in words; empty when the status says all
    cells_not_run: int | None = field(default=None, metadata=OPTIONAL)  # code cells with code that never ran
    status: Status
    seconds: float | None = field(default=None, metadata=OPTIONAL)  # how long grading took
    # The kernel launcher's record of the sandbox: "isolated" when it was whole.
    isolation: str | None = field(default=None, metadata=OPTIONAL)
    feedback_error: str | None = field(default=None, metadata=OPTIONAL)  # why nbgrader made no feedback pages
    # Fingerprints of the submission, the assignment's source and the grading code.
    digest: tuple[str, ...] | None = field(default=None, metadata=OPTIONAL)
    timestamp: str | None = None  # the submission's timestamp.txt as written, None without one
    graded_at: str | None = field(default=None, metadata=OPTIONAL)  # when it was stored (ISO 8601, UTC)
    # On their way from the grading process to ``store``, never in OUT/results: nbgrader's log and
    # error, the feedback pages (HTML by file name) and the executed notebooks (text by file name).
    log: str | None = field(default=None, metadata=OPTIONAL)
    error: str | None = field(default=None, metadata=OPTIONAL)
    feedback: dict[str, str] | None = field(default=None, metadata=OPTIONAL)
    autograded: dict[str, str] | None = field(default=None, metadata=OPTIONAL)

    def to_json(self):
        """This result as JSON text."""
        return json.dumps({**_json_fields(self), "cells": [_json_fields(cell) for cell in self.cells]}, indent=1)

    @classmethod
    def from_json(cls, text):
        """The result that ``to_json`` wrote, or that a file of an earlier version holds."""
        data = json.loads(text)
        cells = [CellResult(**{**_known(CellResult, cell), "status": Status(cell["status"])})
                 for cell in data.get("cells", [])]
        digest = data.get("digest")
        return cls(**{**_known(cls, data), "status": Status(data["status"]), "cells": cells,
                      "digest": None if digest is None else tuple(digest)})


def _json_fields(instance):
    """The fields of ``instance`` by name, in order, but an ``OPTIONAL`` one that is None."""
    values = ((spec, getattr(instance, spec.name)) for spec in dataclasses.fields(instance))
    return {spec.name: value for spec, value in values if value is not None or not spec.metadata.get("optional")}


def _known(cls, data):
    """The values of ``data`` that fields of ``cls`` hold (a key no field has is ignored)."""
    names = {spec.name for spec in dataclasses.fields(cls)}
    return {name: value for name, value in data.items() if name in names}
