"""``python -m cs_utils check NOTEBOOK``: run a notebook the way the grader does, quickly.

It runs a copy of the notebook top to bottom in a fresh kernel in grading mode (small data, few
iterations: seconds, where a full-size run trains for minutes) and reports every visible check
cell (nbgrader's test cells): passed, failed with the error, or not reached. The student's file
is only read: outputs go nowhere. Hidden tests are not in the student's notebook, so passing here
is necessary, not sufficient, for full marks.

nbclient (what nbgrader itself executes notebooks with) runs the kernel; it keeps going after an
error so that one unfinished exercise does not hide the verdicts of the others.
"""
import enum
import os
import time
from dataclasses import dataclass
from pathlib import Path

from cs_utils.mode import GRADING_ENV_VAR


class Verdict(enum.Enum):
    PASSED = "passed"
    FAILED = "failed"
    NOT_RUN = "not run"


@dataclass
class CellResult:
    grade_id: str
    verdict: Verdict
    message: str = ""


@dataclass
class CheckReport:
    notebook: Path
    cells: list  # of CellResult, the visible check cells in notebook order
    errors: int  # cells of any kind that raised
    seconds: float

    @property
    def passed(self):
        return bool(self.cells) and all(c.verdict is Verdict.PASSED for c in self.cells)


def _error_of(cell):
    """The first error output of an executed cell as one line, or ''."""
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            value = str(output.get("evalue", "")).strip().splitlines()
            return f"{output.get('ename', 'Error')}: {value[0] if value else ''}".rstrip(": ")
    return ""


def is_check_cell(cell):
    """nbgrader's autograded test cells: code cells marked grade and not solution."""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return cell.cell_type == "code" and meta.get("grade") and not meta.get("solution")


def check_notebook(path, cell_timeout=120, kernel_name="python3"):
    """Run the notebook at ``path`` in grading mode; returns a CheckReport."""
    import nbformat
    from nbclient import NotebookClient

    path = Path(path)
    notebook = nbformat.read(path, as_version=4)
    environment = dict(os.environ, **{GRADING_ENV_VAR: "1", "MPLBACKEND": "Agg"})
    started = time.monotonic()
    client = NotebookClient(notebook, timeout=cell_timeout, kernel_name=kernel_name, allow_errors=True,
                            resources={"metadata": {"path": str(path.parent.resolve())}})
    client.execute(env=environment)  # passed on to the kernel manager's start_kernel
    results = []
    for cell in notebook.cells:
        if not is_check_cell(cell):
            continue
        grade_id = cell.metadata["nbgrader"].get("grade_id", "?")
        error = _error_of(cell)
        if cell.get("execution_count") is None:
            results.append(CellResult(grade_id, Verdict.NOT_RUN))
        else:
            results.append(CellResult(grade_id, Verdict.FAILED if error else Verdict.PASSED, error))
    errors = sum(1 for cell in notebook.cells if cell.cell_type == "code" and _error_of(cell))
    return CheckReport(path, results, errors, time.monotonic() - started)


def format_report(report):
    """The text ``check`` prints."""
    width = max((len(c.grade_id) for c in report.cells), default=0)
    lines = [f"{report.notebook} (grading mode, {report.seconds:.1f} s):"]
    lines += [f"  {c.grade_id:<{width}}  {c.verdict.value:<7}  {c.message}".rstrip() for c in report.cells]
    passed = sum(c.verdict is Verdict.PASSED for c in report.cells)
    lines.append(f"{passed} of {len(report.cells)} visible checks passed; {report.errors} cell(s) raised an error.")
    if report.cells and not report.passed:
        lines.append("Fix the first failing exercise first: later cells often fail only because they use it.")
    elif report.cells:
        lines.append("All visible checks pass. The grader also runs hidden checks on fresh inputs.")
    return "\n".join(lines)
