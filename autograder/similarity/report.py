"""The similarity report: ``similarity.html`` (ranked pairs, side-by-side answers with the matching
code marked) and ``similarity.csv`` (the same pairs, per notebook and per exercise).

The page holds no script at all and forbids any (Content-Security-Policy); every piece of student
text goes through ``html.escape``. The CSV neutralises cells a spreadsheet would read as a formula.
"""
import html
from pathlib import Path

from autograder.spreadsheet import SafeWriter

EXPLANATION = (
    "Each score is the share of two students' answer code that the other one also holds, after "
    "removing the released starter code, comments, the names of variables and the values of "
    "literals, and after discounting code that most of the class writes the same way. The notebook "
    "score weighs every exercise by the length of its answers, so short answers that everybody "
    "writes alike count for little. A high score is evidence for a person to look at, not a verdict: "
    "shared study, a common source or a very constrained exercise can also make answers alike. Click "
    "a score to read the two answers side by side (matching code is marked) before concluding anything.")
CSV_COLUMNS = ["rank", "assignment", "notebook", "student_a", "student_b", "exercise", "score",
               "matched_chars", "compared_chars", "same_text"]
STYLE = """
body { font-family: system-ui, sans-serif; margin: 1.5em; color: #222; }
.note { max-width: 60em; background: #fff8e1; border-left: 4px solid #f0b400; padding: .6em 1em; }
table.pairs { border-collapse: collapse; margin: .5em 0 1.5em; }
.pairs th, .pairs td { border-bottom: 1px solid #ddd; padding: .25em .7em; text-align: left; }
.pairs td.num { text-align: right; font-variant-numeric: tabular-nums; }
.bar { display: inline-block; height: .7em; background: #c0392b; vertical-align: middle; }
section.pair { display: none; border: 1px solid #ccc; border-radius: 4px; margin: .6em 0; padding: .3em .8em; }
section.pair:target { display: block; }
section.pair h3 { margin: .3em 0; }
.exercise h4 { margin: .8em 0 .2em; font-weight: 600; }
.side { display: grid; grid-template-columns: 1fr 1fr; gap: .8em; }
.side pre { margin: 0; padding: .5em; background: #f6f6f6; overflow-x: auto; font-size: 85%; min-height: 1.5em;
            line-height: 1.45; }
mark { background: #ffb3a7; }
.muted { color: #777; }
"""


def write_report(run, out, shown=50):
    """Write ``out/similarity.html`` and ``out/similarity.csv`` for a ``SimilarityRun``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "similarity.html").write_text(report_html(run, shown), encoding="utf-8")
    with open(out / "similarity.csv", "w", newline="", encoding="utf-8") as stream:
        writer = SafeWriter(stream)
        writer.writerow(CSV_COLUMNS)
        for rank, pair in enumerate(run.pairs, 1):
            rows = [("", pair.score, pair.matched, pair.compared, f"{pair.verbatim:.3f}")]
            rows += [(m.grade_id, m.score, m.matched, m.compared, "") for m in pair.exercises if m.compared]
            for exercise, score, matched, compared, same in rows:
                writer.writerow([rank, pair.assignment, pair.notebook, pair.a.student, pair.b.student, exercise,
                                 f"{score:.3f}", f"{matched:g}", f"{compared:g}", same])
    return out / "similarity.html", out / "similarity.csv"




def report_html(run, shown=50):
    """The whole page: explanation, then per notebook a ranked table and the side-by-side views of
    its ``shown`` best pairs, each shown when its score is clicked (CSS ``:target``, no script)."""
    e = html.escape
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
             "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">",
             "<title>Similarity report</title>", f"<style>{STYLE}</style></head><body>",
             "<h1>Similarity report</h1>", f'<p class="note">{e(EXPLANATION)}</p>',
             f"<p>{run.notebooks} notebook(s) read, {len(run.pairs)} pair(s) compared.</p>"]
    if run.skipped:
        parts.append("<p>Not read:</p><ul>" + "".join(f"<li>{e(path)}: {e(reason)}</li>"
                                                      for path, reason in run.skipped) + "</ul>")
    counter = 0
    for (assignment, notebook), exercises in run.exercises.items():
        pairs = [pair for pair in run.pairs if (pair.assignment, pair.notebook) == (assignment, notebook)]
        shown_pairs = [pair for pair in pairs[:shown] if pair.score > 0]
        parts.append(f"<h2>{e(assignment)} / {e(notebook)}</h2>"
                     f"<p>{run.read[(assignment, notebook)]} submission(s), {len(pairs)} pair(s).</p>")
        if run.read[(assignment, notebook)] < 2:
            continue
        if not shown_pairs:
            parts.append('<p class="muted">No pair shares any distinctive code.</p>')
            continue
        parts.append('<table class="pairs"><tr><th>#</th><th>student A</th><th>student B</th>'
                     '<th>score</th><th></th><th>same text</th><th>most similar exercises</th></tr>')
        anchors = []
        for rank, pair in enumerate(shown_pairs, 1):
            counter += 1
            anchors.append(f"pair-{counter}")
            parts.append(f'<tr id="pair-{counter}-row"><td class="num">{rank}</td><td>{e(pair.a.student)}</td><td>{e(pair.b.student)}</td>'
                         f'<td class="num"><a href="#pair-{counter}">{pair.score:.0%}</a></td>'
                         f'<td><span class="bar" style="width:{round(pair.score * 120)}px"></span></td>'
                         f'<td class="num">{pair.verbatim:.0%}</td>'
                         f"<td>{e(_top_exercises(pair))}</td></tr>")
        parts.append("</table>")
        if len(pairs) > len(shown_pairs):
            parts.append(f'<p class="muted">{len(pairs) - len(shown_pairs)} more pair(s) in similarity.csv.</p>')
        for anchor, pair in zip(anchors, shown_pairs):
            parts.append(_side_by_side(anchor, pair))
    parts.append("</body></html>")
    return "\n".join(parts)


def _top_exercises(pair, count=3):
    best = sorted((m for m in pair.exercises if m.matched), key=lambda m: -m.matched)[:count]
    return ", ".join(f"{m.grade_id} {m.score:.0%}" for m in best)


def _side_by_side(anchor, pair):
    e = html.escape
    parts = [f'<section class="pair" id="{anchor}"><h3>{e(pair.a.student)} (left) and {e(pair.b.student)} (right): '
             f"{pair.score:.0%}</h3><p>{e(pair.assignment)} / {e(pair.notebook)}, answer code of each exercise "
             f'as typed, starter code left out. <a href="#{anchor}-row">back to the table</a></p>']
    for match in pair.exercises:
        first, second = pair.a.answers.get(match.grade_id), pair.b.answers.get(match.grade_id)
        if not ((first and first.code) or (second and second.code)):
            continue
        parts.append(f'<div class="exercise"><h4>{e(match.grade_id)}: {match.score:.0%}'
                     f' <span class="muted">({match.matched:g} of {match.compared:g} distinctive characters)'
                     f"</span></h4><div class=\"side\">")
        for answer, spans in ((first, match.spans_a), (second, match.spans_b)):
            text = marked(answer.code, spans) if answer and answer.code else '<span class="muted">not answered</span>'
            parts.append(f"<pre>{text}</pre>")
        parts.append("</div></div>")
    parts.append("</section>")
    return "\n".join(parts)


def marked(code, spans):
    """``code`` escaped for HTML, the character ranges ``spans`` inside ``<mark>``."""
    pieces, position = [], 0
    for start, end in sorted(spans):
        start = max(start, position)
        if end <= start:
            continue
        pieces += [html.escape(code[position:start]), "<mark>", html.escape(code[start:end]), "</mark>"]
        position = end
    pieces.append(html.escape(code[position:]))
    return "".join(pieces)
