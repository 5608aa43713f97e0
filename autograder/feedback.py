"""Feedback that shows scores and failure messages, never hidden tests, solutions or tracebacks
of hidden tests."""
import html
import re

from nbgrader import utils
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import List, Unicode

SECRET_REGION = re.compile(r"### BEGIN (HIDDEN TESTS|SOLUTION)\n(.*?)### END \1", re.S)
MIN_SECRET_LENGTH = 16
REMOVED = "[output removed from the feedback: it quoted hidden tests or solutions]\n"
# Terminal escape sequences (colours, cursor moves) can split a quoted line; they go before matching.
TERMINAL_ESCAPE = re.compile(r"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[@-Z\\-_])")


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
        text = TERMINAL_ESCAPE.sub("", text)
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
            elif output.output_type == "error" and self._quotes_secret("\n".join([output.evalue, *output.traceback])):
                output.evalue, output.traceback = REMOVED, [REMOVED]
        return cell, resources


STATUS_WORDS = {
    "ok": "Your notebook was run and graded.",
    "invalid-notebook": "The file you submitted could not be read as a Jupyter notebook (it may be cut short or "
                        "corrupted), so nothing in it could be graded. Open it in Jupyter, save it, and submit again.",
    "too-large": "The file you submitted is larger than the grader accepts, so it was not opened. Clear the "
                 "outputs (Edit > Clear Outputs of All Cells), save, and submit again.",
    "wrong-notebook": "The notebook you submitted is not this assignment's notebook (none of its exercises are "
                      "in it). Check that you uploaded the right file.",
    "missing": "No notebook was found in your submission for this assignment.",
    "timeout": "Part of your notebook ran longer than the time limit and was stopped; look for a loop that "
               "never ends. The cells that finished were graded.",
    "kernel-died": "Your code made the Python process stop (for example with os._exit or a crash); it was "
                   "restarted and the rest of the notebook was graded.",
    "memory-limit": "Your code asked for more memory than the grader allows; the cells that ran were graded.",
    "process-limit": "Your code started more processes or threads than the grader allows; the cells that ran "
                     "were graded.",
    "file-size-limit": "Your code wrote a file larger than the grader allows; the cells that ran were graded.",
    "grader-error": "The grader itself failed on your notebook; your instructor has been told. This is not a "
                    "grade.",
}


def status_banner(result):
    """An HTML paragraph that explains the submission's status in plain words."""
    words = STATUS_WORDS.get(result["status"], "")
    detail = f" <em>{html.escape(result.get('message', ''))}</em>" if result.get("message") else ""
    return (f'<div style="border:2px solid #c60;padding:0.8em;margin:1em;font-family:sans-serif">'
            f'<strong>Grading status: {html.escape(result["status"])}.</strong> {html.escape(words)}{detail}</div>')


def status_page(result):
    """A feedback page for a submission nbgrader could not run: status, explanation, scores."""
    rows = "".join(f"<tr><td>{html.escape(c['grade_id'])}</td><td>{c['score']:g} / {c['max_score']:g}</td></tr>"
                   for c in result.get("cells", []))
    title = html.escape(f"{result['assignment']}: {result['student']}")
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}</title></head><body>"
            f"<h1>{title}</h1>{status_banner(result)}<table border='1' cellpadding='4'>"
            f"<tr><th>exercise</th><th>score</th></tr>{rows}</table></body></html>\n")


def with_banner(page, result):
    """The nbgrader feedback ``page`` with the status banner at the top of its body."""
    head, separator, tail = page.partition("<body")
    if not separator:
        return status_banner(result) + page
    opening, _, rest = tail.partition(">")
    return f"{head}<body{opening}>{status_banner(result)}{rest}"
