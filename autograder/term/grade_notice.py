"""The final-grade notice at the top of each student's feedback page: autograded and manual
points, the submission time, the late rule as applied, and the final score.

``export`` writes it into ``OUT/feedback/<student>/<assignment>/*.html`` (replacing an earlier
one), so the pages handed back always show the grade that went into the LMS.
"""
import html
import re
from pathlib import Path

from autograder.term.lms_export import points

BODY = re.compile(r"<body[^>]*>", re.I)
NOTICE = re.compile(r'<div id="final-grade".*?</div><!-- /final-grade -->', re.S)


def notice(grade):
    """The notice of one ``AssignmentGrade`` as an HTML block."""
    rows = [("Autograded", points(grade.auto_score)), ("Graded by hand", points(grade.manual_score))]
    if grade.extra_credit:
        rows.append(("Extra credit", points(grade.extra_credit)))
    rows += [("Total", f"{points(grade.score)} / {points(grade.max_score)}"),
             ("Late penalty", f"{points(grade.lateness.penalty_percent)}% ({points(grade.penalty_points)} points)"),
             ("Final score", f"{points(grade.final_score)} / {points(grade.max_score)}")]
    table = "".join(f"<tr><th style='text-align:left'>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>"
                    for k, v in rows)
    pending = (f"<p>{grade.pending} written answer(s) are not graded yet and count 0 for now.</p>"
               if grade.pending else "")
    comments = "".join(f"<li><strong>{html.escape(q.grade_id)}</strong>: {html.escape(q.comment)}</li>"
                       for q in grade.questions if q.comment)
    comments = f"<p>Comments from your grader:</p><ul>{comments}</ul>" if comments else ""
    return (f'<div id="final-grade" style="border:2px solid #36c;padding:0.8em;margin:1em;font-family:sans-serif">'
            f"<strong>Your grade for {html.escape(grade.assignment)}</strong><table>{table}</table>"
            f"<p>{html.escape(grade.lateness.rule)}</p>{pending}{comments}"
            "<p>The scores further down are the autograder's; this box has the final grade.</p>"
            "</div><!-- /final-grade -->")


def with_notice(page, block):
    """``page`` with ``block`` at the top of its body, in place of an earlier notice."""
    page = NOTICE.sub("", page)
    placed, count = BODY.subn(lambda match: match.group(0) + block, page, count=1)
    return placed if count else block + page


def annotate_feedback(out_dir, grades):
    """Put the notice of every grade into its student's feedback pages; returns the pages written."""
    written = []
    for grade in grades:
        for page in sorted((Path(out_dir) / "feedback" / grade.student / grade.assignment).glob("*.html")):
            page.write_text(with_notice(page.read_text(encoding="utf-8"), notice(grade)), encoding="utf-8")
            written.append(page)
    return written
