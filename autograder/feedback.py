"""Feedback that shows scores and failure messages, never hidden tests or their tracebacks."""
from nbgrader.preprocessors import NbGraderPreprocessor
from nbgrader import utils


class RedactTests(NbGraderPreprocessor):
    """Reduce every error output of a test cell to its ``Name: message`` line.

    Tracebacks quote the source lines of hidden tests, so they go; ``ClearHiddenTests`` (run
    before this) already removed the hidden region from the cell source.
    """

    def preprocess_cell(self, cell, resources, cell_index):
        if cell.cell_type == "code" and utils.is_grade(cell) and not utils.is_solution(cell):
            for output in cell.get("outputs", []):
                if output.output_type == "error":
                    output.traceback = [f"{output.ename}: {output.evalue}"]
        return cell, resources
