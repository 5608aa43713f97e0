"""Feedback that shows scores and failure messages, never hidden tests, solutions or tracebacks
of hidden tests."""
import re

from nbgrader import utils
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import List, Unicode

SECRET_REGION = re.compile(r"### BEGIN (HIDDEN TESTS|SOLUTION)\n(.*?)### END \1", re.S)
MIN_SECRET_LENGTH = 16
REMOVED = "[output removed from the feedback: it quoted hidden tests or solutions]\n"


def secret_lines(sources):
    """The lines of hidden-test and solution regions in ``sources`` long enough to be telling."""
    lines = set()
    for source in sources:
        for _, region in SECRET_REGION.findall(source):
            lines.update(line.strip() for line in region.splitlines() if len(line.strip()) >= MIN_SECRET_LENGTH)
    return sorted(lines)


class RedactTests(NbGraderPreprocessor):
    """Reduce every error output of a test cell to its ``Name: message`` line, and remove any
    output that quotes a hidden test or a solution (a submission that read them from disk).

    Tracebacks quote the source lines of hidden tests, so they go; ``ClearHiddenTests`` (run
    before this) already removed the hidden region from the cell source.
    """

    secrets = List(Unicode(), help="lines that must not appear in any output").tag(config=True)

    def _quotes_secret(self, text):
        return any(secret in text for secret in self.secrets)

    def preprocess_cell(self, cell, resources, cell_index):
        if cell.cell_type != "code":
            return cell, resources
        is_test = utils.is_grade(cell) and not utils.is_solution(cell)
        for output in cell.get("outputs", []):
            if output.output_type == "error" and is_test:
                output.traceback = [f"{output.ename}: {output.evalue}"]
            if output.output_type == "stream" and self._quotes_secret(output.text):
                output.text = REMOVED
            elif output.output_type in ("execute_result", "display_data"):
                if any(self._quotes_secret(str(value)) for value in output.get("data", {}).values()):
                    output.data = {"text/plain": REMOVED}
            elif output.output_type == "error" and self._quotes_secret(f"{output.evalue}\n{output.traceback}"):
                output.evalue, output.traceback = REMOVED, [REMOVED]
        return cell, resources
