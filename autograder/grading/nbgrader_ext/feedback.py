"""Feedback that shows scores and failure messages, never hidden tests, solutions or tracebacks
of hidden tests, and that runs nothing of the student's in the browser of whoever opens it.

A feedback page opens with the submission's status, its totals exactly as ``grades.csv`` gives
them, and one row per graded cell that links to it. Everything below comes from nbgrader's
feedback page, passed through an HTML sanitiser: the student controls the markdown, the outputs
and the notebook's metadata, so nothing of the page's body may keep a script, an event handler,
a frame or a ``javascript:`` link. A Content-Security-Policy allows only the page's own scripts:
MathJax, copied next to the feedback (``OUT/mathjax``), so formulas render offline.
"""
import filecmp
import html
import os
import re
import shutil
from pathlib import Path

# nh3 binds Ammonia, a maintained allow-list sanitiser built on a browser-grade HTML parser;
# bleach, the usual alternative, is deprecated. It cleans a page of megabytes in milliseconds.
import nh3
from nbgrader import utils
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import List, Unicode

from autograder.grading.result_types import Status

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


STATUS_WORDS = {  # a submission's every status (``result_types.SUBMISSION_STATUSES``), in plain words
    Status.OK: "Your notebook was run and graded.",
    Status.INVALID_NOTEBOOK: "The file you submitted could not be read as a Jupyter notebook (it may be cut short "
                             "or corrupted), so nothing in it could be graded. Open it in Jupyter, save it, and "
                             "submit again.",
    Status.TOO_LARGE: "The file you submitted is larger (or has more cells) than the grader accepts, so it was not "
                      "opened. Clear the outputs (Edit > Clear Outputs of All Cells), save, and submit again.",
    Status.OUTSIDE_LINK: "The notebook in your submission is a link to a file elsewhere, not a notebook, so it was "
                         "not opened. Submit the notebook file itself.",
    Status.WRONG_NOTEBOOK: "The notebook you submitted is not this assignment's notebook (none of its exercises "
                           "are in it). Check that you uploaded the right file.",
    Status.MISSING: "No notebook was found in your submission for this assignment.",
    Status.TIMEOUT: "Part of your notebook ran longer than the time limit and was stopped; look for a loop that "
                    "never ends. The cells that finished were graded.",
    Status.KERNEL_DIED: "Your code made the Python process stop (for example with os._exit or a crash); it was "
                        "restarted and the rest of the notebook was graded.",
    Status.MEMORY_LIMIT: "Your code asked for more memory than the grader allows; the cells that ran were graded.",
    Status.PROCESS_LIMIT: "Your code started more processes or threads than the grader allows; the cells that ran "
                          "were graded.",
    Status.FILE_SIZE_LIMIT: "Your code wrote a file larger than the grader allows; the cells that ran were graded.",
    Status.GRADER_ERROR: "The grader itself failed on your notebook; your instructor has been told. This is not a "
                         "grade.",
}


# Output types a feedback page shows; others (JavaScript, widgets, SVG that may hold scripts)
# are dropped before the page is made.
SHOWN_OUTPUTS = {"text/plain", "text/html", "text/markdown", "text/latex", "image/png", "image/jpeg", "image/gif"}
DROPPED = "[output not shown in the feedback: {kinds}]"


class DropActiveOutputs(NbGraderPreprocessor):
    """Remove outputs a page would run (``display(Javascript(...))``, widgets, SVG) from the notebook
    the feedback page is made of; a note says what was there."""

    def preprocess_cell(self, cell, resources, cell_index):
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            dropped = sorted(set(data) - SHOWN_OUTPUTS)
            for kind in dropped:
                del data[kind]
            if dropped and not data:
                data["text/plain"] = DROPPED.format(kinds=", ".join(dropped))
        return cell, resources


SAFE_TAGS = {"a", "abbr", "b", "blockquote", "br", "caption", "code", "col", "colgroup", "dd", "del", "details",
             "div", "dl", "dt", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li",
             "main", "mark", "ol", "p", "pre", "q", "s", "samp", "small", "span", "strong", "sub", "summary", "sup",
             "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul", "var"}
SAFE_ATTRIBUTES = {"*": {"class", "id", "title", "align"}, "a": {"href", "name"},
                   "img": {"src", "alt", "width", "height"}, "td": {"colspan", "rowspan"}, "th": {"colspan", "rowspan"},
                   "ol": {"start"}}
IMAGE_DATA = re.compile(r"data:image/(png|jpeg|gif);base64,[A-Za-z0-9+/=\s]*\Z")
# The page's own scripts only: MathJax from the folder next to the feedback; no inline script, no
# network. Inline styles stay (nbconvert's), and images may be data: URLs (plots).
CONTENT_SECURITY_POLICY = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                           "img-src 'self' data:; font-src 'self' data:; base-uri 'none'; form-action 'none'")
STYLE_BLOCK = re.compile(r"<style[^>]*>.*?</style>", re.S | re.I)
PAGE_CSS = """
body { font-family: sans-serif; }
.course-summary { margin: 1em; }
table { border-collapse: collapse; margin: 0.5em 0; }
.rendered_html table, .course-summary table { border: 1px solid #999; }
.rendered_html th, .rendered_html td, .course-summary th, .course-summary td {
  border: 1px solid #bbb; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
.rendered_html thead th, .course-summary th { background: #eee; }
.course-passed { color: #060; } .course-failed { color: #a00; }
"""
# MathJax 3 as a Python package (django-static-mathjax: the static files only, no Django needed),
# installed with the grader; its one-file TeX-to-SVG build needs nothing else: no fonts, no network.
MATHJAX_BUILD = ("mathjax", "static/mathjax/es5/tex-svg.js")
MATHJAX_CONFIG = r"""window.MathJax = {
  tex: {inlineMath: [["$", "$"], ["\\(", "\\)"]], displayMath: [["$$", "$$"], ["\\[", "\\]"]],
        processEscapes: true},
  options: {ignoreHtmlClass: "course-summary|input_prompt|prompt"},
  svg: {fontCache: "global"}
};
"""


def install_mathjax(out_dir):
    """Copy MathJax and the configuration feedback pages load into ``out_dir/mathjax``; returns
    that folder. Pages find it there, so formulas render without a network."""
    import importlib.util

    package, build = MATHJAX_BUILD
    source = Path(importlib.util.find_spec(package).origin).parent / build
    target = Path(out_dir) / "mathjax"
    target.mkdir(parents=True, exist_ok=True)
    config = target / "course-config.js"
    current = (target / "tex-svg.js").exists() and filecmp.cmp(source, target / "tex-svg.js")  # size and time
    if not (current and config.exists() and config.read_text(encoding="utf-8") == MATHJAX_CONFIG):
        for name, copy in (("tex-svg.js", lambda path: shutil.copy2(source, path)),
                           ("course-config.js", lambda path: path.write_text(MATHJAX_CONFIG, encoding="utf-8"))):
            partial = target / f"{name}.partial"
            copy(partial)
            os.replace(partial, target / name)
    return target


def _safe_attribute(element, attribute, value):
    if attribute == "src":
        return value if IMAGE_DATA.match(value) else None
    if attribute == "href":
        return value if value.startswith("#") or re.match(r"(https?|mailto):", value, re.I) else None
    return value


def sanitise_html(fragment):
    """``fragment`` with only the tags and attributes of ``SAFE_TAGS`` and ``SAFE_ATTRIBUTES``: no
    script, style, frame, form, event handler, or link that is not to a web page or this page."""
    return nh3.clean(fragment, tags=SAFE_TAGS, attributes=SAFE_ATTRIBUTES, attribute_filter=_safe_attribute,
                     clean_content_tags={"script", "style", "iframe", "object", "embed", "svg", "math",
                                         "template", "noscript", "textarea", "select"},
                     url_schemes={"http", "https", "mailto", "data"}, link_rel="noopener noreferrer nofollow")


def summary_table(cells, link):
    """One row per graded cell (``CellResult``): its name, points, status and message, linked to
    the cell when ``link``."""
    rows = []
    for cell in cells:
        name = html.escape(cell.grade_id)
        if link:
            name = f'<a href="#{html.escape(cell.grade_id, quote=True)}">{name}</a>'
        css = ("course-passed" if cell.status is Status.PASSED else
               "course-failed" if cell.status in (Status.FAILED, Status.TIMEOUT, Status.KERNEL_DIED) else "")
        score = "" if cell.score is None else f"{cell.score:g}"
        rows.append(f"<tr><td>{name}</td><td>{score} / {cell.max_score:g}</td>"
                    f'<td class="{css}">{html.escape(cell.status)}</td><td>{html.escape(cell.message)}</td></tr>')
    return ("<table><thead><tr><th>exercise</th><th>points</th><th>result</th><th>message</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>")


def totals_line(row):
    """The totals of a ``grades.csv`` row in words: the autograded score out of the autograded
    maximum, and the points graded by hand apart."""
    text = f"Autograded score: {row['score']:g} / {row['max_score']:g}."
    if row.get("manual_max_score"):
        text += (f" Written answers worth {row['manual_max_score']:g} more point(s) are graded by hand and are not "
                 "included.")
    return f"<p><strong>{html.escape(text)}</strong></p>"


def feedback_page(page, result, row, notebook, mathjax_url):
    """The safe feedback page of ``notebook`` (a name without extension): nbgrader's ``page`` (or
    None: the submission was not run), sanitised, under the status of ``result`` (a
    ``SubmissionResult``), the totals of ``row`` (its grades.csv row) and a summary of its graded
    cells; MathJax loads from ``mathjax_url``."""
    title = html.escape(f"{result.assignment} / {notebook}: {result.student}")
    cells = [c for c in result.cells if c.notebook == notebook]
    body, styles = "", ""
    if page is not None:
        head, _, rest = page.partition("<body")
        styles = "".join(STYLE_BLOCK.findall(head))
        body = rest.partition(">")[2].rpartition("</body>")[0]
        # nbgrader's own heading (a total that mixes in the hand-graded points, an index of
        # anonymous links) gives way to the summary.
        before, found, after = body.partition('<div class="panel-body">')
        body = sanitise_html(after if found else body)
    banner = status_banner(result) if result.status is not Status.OK else ""
    mathjax = html.escape(mathjax_url, quote=True)
    return (f'<!DOCTYPE html>\n<html><head><meta charset="utf-8">'
            f'<meta http-equiv="Content-Security-Policy" content="{CONTENT_SECURITY_POLICY}">'
            f"<title>{title}</title>{styles}<style>{PAGE_CSS}</style>"
            f'<script src="{mathjax}/course-config.js"></script><script src="{mathjax}/tex-svg.js"></script>'
            f'</head><body><a name="top" id="top"></a><div class="course-summary"><h1>{title}</h1>{banner}'
            f"{totals_line(row)}{summary_table(cells, link=page is not None)}</div>\n{body}</body></html>\n")


def status_banner(result):
    """An HTML paragraph that explains the status of ``result`` in plain words."""
    words = STATUS_WORDS.get(result.status, "")
    detail = f" <em>{html.escape(result.message)}</em>" if result.message else ""
    return (f'<div style="border:2px solid #c60;padding:0.8em;margin:1em;font-family:sans-serif">'
            f'<strong>Grading status: {html.escape(result.status)}.</strong> {html.escape(words)}{detail}</div>')
