"""A whole term on the tiny course, as an instructor runs it: release, collect, grade, grade the
written answers by hand in nbgrader's gradebook (its Python API and formgrader's own web API),
export for the LMS; every number checked against a hand computation."""
import csv
import html
import io
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from zoneinfo import ZoneInfo

import nbformat
import pytest

from autograder import cli
from autograder.course import CourseError
from autograder.term.course_file import load_course_file
from autograder.grading.options import Options
from autograder.grading.run import grade
from autograder.commands.release import release
from autograder.term.roster import load_roster
from autograder.grading.submission_time import parse_submission_time
from tests import tiny_course as tc

OPTIONS = Options(cell_timeout=10, budget=120, jobs=2, show_progress=False)
A = tc.ASSIGNMENT
RIGHT_ADD, RIGHT_MUL = "def add(a, b):\n    return a + b", "def mul(a, b):\n    return a * b"

# Due 2026-10-09 23:59 in Berlin (CEST, UTC+2) = 21:59 UTC; 10% per started day, at most 30%, 15 min grace.
COURSE_TOML = f'''
timezone = "Europe/Berlin"
roster = "roster.csv"
canvas_id_column = "SIS User ID"

[late_policy]
percent_per_day = 10
max_percent = 30
grace_minutes = 15

[assignments.{A}]
due = 2026-10-09T23:59:00
title = "Tiny"
canvas_id = "4242"
'''
ROSTER_CSV = f'''student,lms_id,name,section,extension:{A}
ada_complete,1001,Ada Lovelace,A,
ben_partial,1002,"Turing, Ben",A,
cy_extended,1003,Cy Young,B,2
dee_late,1004,Dee Dee,B,
eve_missing,1005,Eve Noether,B,
'''
HOSTILE_ANSWER = """<img src=x onerror="stolen('answer')">"""
HOSTILE_OUTPUT = """
from IPython.display import HTML, Javascript, display
display(HTML("<script>stolen('html')</script>"))
display(Javascript("stolen('javascript')"))"""
# student: (add, mul, written answer, timestamp.txt in nbgrader's format or None)
SUBMITTED = {
    "ada_complete": (RIGHT_ADD, RIGHT_MUL, "Because a gradient points uphill.", "2026-10-09 21:00:00.000000 UTC"),
    # 10 minutes after the deadline: inside the grace period. Ben also tries to run script in the
    # grader's browser, from his written answer and from an output.
    "ben_partial": (RIGHT_ADD + HOSTILE_OUTPUT, None, "Not sure. " + HOSTILE_ANSWER, "2026-10-09 22:09:00.000000 UTC"),
    # Two days after the due date, but with a two-day extension (deadline 2026-10-11 21:59 UTC).
    "cy_extended": (RIGHT_ADD, RIGHT_MUL, "Momentum averages gradients.", "2026-10-11 20:00:00.000000 UTC"),
    # 3 days 14 h 1 min late: 4 started days, 40% capped at 30%.
    "dee_late": (RIGHT_ADD, RIGHT_MUL, "Late but right.", "2026-10-13 12:00:00.000000 UTC"),
    # Not on the roster, and no timestamp.txt (copied by hand): counts as on time.
    "zed_unlisted": (RIGHT_ADD, None, "Who am I?", None),
}
ADA_RECOLLECTED = "2026-10-09 21:30:00.000000 UTC"
# Entered by hand: (manual score of the written answer, extra credit, comment)
MANUAL = {
    "ada_complete": (1.0, None, "Exactly."),
    "cy_extended": (0.75, 0.5, "Good; see the lecture on Nesterov."),
    "dee_late": (0.5, None, "Half right."),
    "zed_unlisted": (1.0, None, ""),
}
BEN_BY_FORMGRADER = 0.5  # entered through formgrader's web API
# Hand-computed: auto (test_add 2 + test_mul 3), manual, extra; total; late %; final = total * (1 - %/100).
EXPECTED = {  # student: (auto, manual, extra, total, penalty %, final, status)
    "ada_complete": (5, 1, 0, 6, 0, 6, "ok"),
    "ben_partial": (2, 0.5, 0, 2.5, 0, 2.5, "ok"),
    "cy_extended": (5, 0.75, 0.5, 6.25, 0, 6.25, "ok"),
    "dee_late": (5, 0.5, 0, 5.5, 30, 3.85, "ok"),
    "eve_missing": (0, 0, 0, 0, 0, 0, "missing"),
}


def _submission(released, add, mul, answer):
    notebook = tc.student_notebook(released, add, mul)
    for cell in notebook.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "answer_why":
            cell.source = answer
    return notebook


def _collect(submissions, released):
    """The layout ``nbgrader collect`` leaves: submitted/<student>/<assignment>/ with timestamp.txt."""
    for student, (add, mul, answer, stamp) in SUBMITTED.items():
        folder = submissions / student / A
        folder.mkdir(parents=True)
        nbformat.write(_submission(released, add, mul, answer), folder / tc.NOTEBOOK)
        if stamp:
            (folder / "timestamp.txt").write_text(stamp)


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Formgrader:
    """nbgrader's formgrader, served by a Jupyter server started in OUT as the README says."""

    def __init__(self, out):
        self.port, self.token = _free_port(), "term-test-token"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "jupyter_server", "--no-browser", f"--port={self.port}", "--ip=127.0.0.1",
             f"--IdentityProvider.token={self.token}", "--allow-root"],
            cwd=out, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, "JUPYTER_PLATFORM_DIRS": "1"})
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                self.get("/api/status")
                return
            except OSError:
                time.sleep(0.3)
        self.close()
        raise RuntimeError("the Jupyter server did not start")

    def request(self, path, data=None, method="GET"):
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", method=method,
                                         data=None if data is None else json.dumps(data).encode(),
                                         headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.read().decode()

    def get(self, path):
        return self.request(path)

    def close(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def _enter_manual_grades(out, grades):
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{out / 'gradebook.db'}") as gradebook:
        for student, (score, extra, comment) in grades.items():
            grade = gradebook.find_grade("answer_why", tc.NOTEBOOK[:-6], A, student)
            grade.manual_score, grade.extra_credit, grade.needs_manual_grade = score, extra, False
            if comment:
                gradebook.find_comment("answer_why", tc.NOTEBOOK[:-6], A, student).manual_comment = comment
        gradebook.db.commit()


@pytest.fixture(scope="module")
def term(tmp_path_factory):
    root = tmp_path_factory.mktemp("term")
    solutions, assignments, submissions, out = root / "solutions", root / "assignments", root / "submitted", root / "out"
    tc.write_solutions(solutions)
    release(solutions, assignments, show_progress=False)
    _collect(submissions, assignments / A / tc.NOTEBOOK)
    (root / "course.toml").write_text(COURSE_TOML)
    (root / "roster.csv").write_text(ROSTER_CSV)
    _, rows = grade(submissions, out, OPTIONS, solutions)
    formgrader = Formgrader(out)
    try:
        assignments_page = json.loads(formgrader.get("/formgrader/api/assignments"))
        notebooks_page = json.loads(formgrader.get(f"/formgrader/api/notebooks/{A}"))
        listed = json.loads(formgrader.get(f"/formgrader/api/submitted_notebooks/{A}/tiny"))
        ben = next(s for s in listed if s["student"] == "ben_partial")
        page = formgrader.get(f"/formgrader/submissions/{ben['id']}/")
        ben_grades = json.loads(formgrader.get(f"/formgrader/api/grades?submission_id={ben['id']}"))
        answer = next(g for g in ben_grades if g["name"] == "answer_why")
        saved = json.loads(formgrader.request(f"/formgrader/api/grade/{answer['id']}",
                                              {"manual_score": BEN_BY_FORMGRADER, "extra_credit": None}, "PUT"))
    finally:
        formgrader.close()
    _enter_manual_grades(out, MANUAL)
    # Zed submits again: his notebook is graded again and his manual grade no longer applies; a
    # re-run keeps everybody else's manual grades.
    changed = submissions / "zed_unlisted" / A / tc.NOTEBOOK
    nbformat.write(_submission(assignments / A / tc.NOTEBOOK, RIGHT_ADD, RIGHT_MUL, "Now complete."), changed)
    # Ada's unchanged notebook collected again later: kept, with its new time.
    (submissions / "ada_complete" / A / "timestamp.txt").write_text(ADA_RECOLLECTED)
    grade(submissions, out, OPTIONS, solutions)
    exports = {}
    for export_format in ("long", "canvas", "moodle"):
        assert cli.main(["--solutions", str(solutions), "export", str(out), "--course", str(root / "course.toml"),
                         "--format", export_format]) == 0
        exports[export_format] = (out / f"grades-{export_format}.csv").read_text(encoding="utf-8")
    assert cli.main(["--solutions", str(solutions), "export", str(out), "--course", str(root / "course.toml"),
                     "--format", "canvas", "--per-question", "--output", str(root / "per_question.csv")]) == 0
    return {"root": root, "out": out, "solutions": solutions, "rows": {r["student"]: r for r in rows},
            "assignments_page": assignments_page, "notebooks_page": notebooks_page, "listed": listed, "page": page, "saved": saved, "exports": exports,
            "per_question": (root / "per_question.csv").read_text(encoding="utf-8")}


def _table(text):
    return list(csv.reader(io.StringIO(text)))


@pytest.mark.slow
def test_formgrader_lists_every_submission_with_its_written_answer(term):
    # Manual Grading: the assignment, its notebook with every submission, each with its written answer.
    assert [a["name"] for a in term["assignments_page"]] == [A]
    assert [(n["name"], n["num_submissions"]) for n in term["notebooks_page"]] == [("tiny", len(SUBMITTED))]
    assert sorted(s["student"] for s in term["listed"]) == sorted(SUBMITTED)
    # Ben's answer with its score box, beside the autograded test cells with theirs.
    assert "Not sure." in term["page"] and 'id="answer_why"' in term["page"] and 'id="test_mul"' in term["page"]
    assert term["saved"]["manual_score"] == BEN_BY_FORMGRADER and term["saved"]["needs_manual_grade"] is False
    config = (term["out"] / "nbgrader_config.py").read_text()
    assert "CourseDirectory.root" in config


@pytest.mark.slow
def test_formgrader_runs_nothing_of_the_students(term):
    """Before the autograded notebooks were sanitised, Ben's page held a live <img onerror> from his
    answer and <script> elements from his HTML and Javascript outputs (run and seen failing)."""
    page = term["page"]
    assert not re.search(r"<img[^>]*onerror", page)
    assert not re.search(r"<script[^>]*>[^<]*stolen", page)
    assert "stolen('answer')" in html.unescape(page)  # shown as text for the grader to see


@pytest.mark.slow
def test_autograded_points_before_manual_grading(term):
    assert {s: r["score"] for s, r in term["rows"].items()} == {
        "ada_complete": 5, "ben_partial": 2, "cy_extended": 5, "dee_late": 5, "zed_unlisted": 2}


@pytest.mark.slow
def test_manual_grades_survive_a_rebuild_unless_the_submission_changed(term):
    from autograder.grading.manual_grades import read_manual_grades

    kept = {(g.student, g.cell): g for g in read_manual_grades(term["out"] / "gradebook.db")}
    assert kept["cy_extended", "answer_why"].manual_score == 0.75
    assert kept["cy_extended", "answer_why"].extra_credit == 0.5
    assert kept["cy_extended", "answer_why"].comment == "Good; see the lecture on Nesterov."
    assert kept["ben_partial", "answer_why"].manual_score == BEN_BY_FORMGRADER
    assert ("zed_unlisted", "answer_why") not in kept


@pytest.mark.slow
def test_long_export_has_every_figure(term):
    rows = _table(term["exports"]["long"])
    _header, body = rows[0], [dict(zip(rows[0], r)) for r in rows[1:]]
    assert [r["student"] for r in body] == [*EXPECTED, "zed_unlisted"]
    for row in body[:5]:
        auto, manual, extra, total, percent, final, status = EXPECTED[row["student"]]
        assert (float(row["auto_score"]), float(row["manual_score"]), float(row["extra_credit"]),
                float(row["score"]), float(row["penalty_percent"]), float(row["final_score"]), row["status"]) == \
               (auto, manual, extra, total, percent, final, status), row["student"]
        assert row["max_score"] == "6" and row["on_roster"] == "yes"
    by = {r["student"]: r for r in body}
    assert by["ada_complete"]["submitted_at"] == "2026-10-09T21:30:00+00:00"  # the time of the second collect
    assert by["dee_late"]["days_late"] == "4" and by["dee_late"]["late_hours"] == "86.02"  # 3 d 14 h 1 min
    assert by["dee_late"]["penalty_points"] == "1.65"
    assert by["ben_partial"]["late_hours"] == "0.17" and by["ben_partial"]["days_late"] == "0"  # in the grace
    assert by["cy_extended"]["deadline"] == "2026-10-11T21:59:00+00:00" and by["cy_extended"]["late_hours"] == "0"
    assert (by["eve_missing"]["note"], by["eve_missing"]["late_rule"]) == ("no submission: 0", "")
    zed = by["zed_unlisted"]
    # Graded again after his new submission: 5 autograded, his answer waits for a person.
    assert (zed["on_roster"], zed["auto_score"], zed["manual_score"], zed["pending_answers"]) == ("no", "5", "0", "1")
    assert "not on the roster" in zed["note"] and "no timestamp.txt" in zed["late_rule"]
    assert "counts as on time" in zed["late_rule"] and zed["penalty_percent"] == "0"


@pytest.mark.slow
def test_canvas_export_imports_as_canvas_reads_it(term):
    assert _table(term["exports"]["canvas"]) == [
        ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Tiny (4242)"],
        ["Points Possible", "", "", "", "", "6"],
        ["Ada Lovelace", "", "1001", "", "A", "6"],
        ["Turing, Ben", "", "1002", "", "A", "2.5"],
        ["Cy Young", "", "1003", "", "B", "6.25"],
        ["Dee Dee", "", "1004", "", "B", "3.85"],
        ["Eve Noether", "", "1005", "", "B", "0"],
    ]


@pytest.mark.slow
def test_canvas_per_question_columns(term):
    rows = _table(term["per_question"])
    assert rows[0][5:] == ["Tiny (4242)", "Tiny (4242): test_add", "Tiny (4242): test_mul", "Tiny (4242): answer_why"]
    assert rows[1][5:] == ["6", "2", "3", "1"]
    assert rows[3][5:] == ["2.5", "2", "0", "0.5"]  # Ben: mul not done, answer 0.5 by hand


@pytest.mark.slow
def test_moodle_export_has_grades_and_feedback(term):
    rows = _table(term["exports"]["moodle"])
    assert rows[0] == ["lms_id", "Full name", "Section", "Tiny", "Tiny (Feedback)"]
    grades = {r[0]: r[3] for r in rows[1:]}
    assert grades == {"1001": "6", "1002": "2.5", "1003": "6.25", "1004": "3.85", "1005": "0"}
    feedback = {r[0]: r[4] for r in rows[1:]}
    assert feedback["1001"] == "Submitted 2026-10-09 23:30 CEST, deadline 2026-10-09 23:59 CEST: on time."
    assert "within the grace period" in feedback["1002"]
    assert "extended by 2 days" in feedback["1003"] and "on time" in feedback["1003"]
    assert "30% is deducted" in feedback["1004"] and "4 started days" in feedback["1004"]
    assert feedback["1005"] == "no submission: 0"


@pytest.mark.slow
def test_feedback_pages_carry_the_final_grade_and_the_rule(term):
    page = (term["out"] / "feedback" / "dee_late" / A / "tiny.html").read_text()
    assert page.count('id="final-grade"') == 1  # exported three times, one notice
    assert "3.85 / 6" in page and "30% is deducted" in page and "Late policy: 10% of the score" in page
    assert "<strong>answer_why</strong>: Half right." in page  # the grader's comment reaches the student


@pytest.mark.slow
def test_cli_reports_folders_not_on_the_roster(term, capsys):
    assert cli.main(["--solutions", str(term["solutions"]), "export", str(term["out"]), "--course",
                     str(term["root"] / "course.toml"), "--format", "moodle", "--output",
                     str(term["root"] / "again.csv")]) == 0
    err = capsys.readouterr().err
    assert "zed_unlisted: submissions found but not on the roster" in err
    assert "zed_unlisted/00_tiny: 1 written answer(s) not graded by hand yet" in err


@pytest.mark.slow
def test_lms_export_without_a_roster_is_refused(term, capsys):
    assert cli.main(["--solutions", str(term["solutions"]), "export", str(term["out"]), "--format", "canvas"]) == 2
    assert "needs a roster" in capsys.readouterr().err


@pytest.mark.parametrize("text, words", [
    ("[assignments.99_nope]\ndue = 2026-10-09T23:59:00\n", "no such assignment"),
    ("[late_policy]\npercent_per_day = -5\n", "percent_per_day must be a number between 0 and 100"),
    ("timezone = \"Mars/Olympus\"\n", "unknown timezone"),
    ("[late_policy]\npercent_per_dya = 5\n", "unknown key(s) percent_per_dya"),
    ("due = \n", "not valid TOML"),
])
def test_course_file_mistakes_are_named(tmp_path, text, words):
    path = tmp_path / "course.toml"
    path.write_text(text)
    with pytest.raises(CourseError, match=words.replace("(", r"\(").replace(")", r"\)")):
        load_course_file(path, [A])


@pytest.mark.parametrize("text, words", [
    ("student,lms_id,name\n", "missing column"),
    (f"student,lms_id,name,section,extension:{A}\nada,1,Ada,A,soon\n", "number of days"),
    ("student,lms_id,name,section\nada,1,Ada,A\nada,2,Ada,A\n", "listed twice"),
    ("student,lms_id,name,section,extension:99_nope\n", "names no assignment"),
])
def test_roster_mistakes_are_named(tmp_path, text, words):
    path = tmp_path / "roster.csv"
    path.write_text(text)
    with pytest.raises(CourseError, match=words):
        load_roster(path, [A])


def test_example_course_file_and_roster_are_valid():
    example = Path(__file__).resolve().parents[2] / "autograder" / "term_example"
    course = load_course_file(example / "course.toml")
    roster = load_roster(course.roster, list(course.assignments))
    assert course.late_policy.percent_per_day > 0 and roster


@pytest.mark.parametrize("text, expected", [
    ("2026-10-09 21:58:02.123456 UTC", "2026-10-09T21:58:02.123456+00:00"),  # nbgrader collect
    ("2026-10-09 23:58:02.000000 CEST", "2026-10-09T21:58:02+00:00"),  # collect with Exchange.timezone set
    ("2026-10-09 23:58:02.000000 Europe/Berlin", "2026-10-09T21:58:02+00:00"),
    ("2026-10-09 23:58:02.000000 +0200", "2026-10-09T21:58:02+00:00"),
    ("2026-10-09 21:58:02", "2026-10-09T21:58:02+00:00"),  # nbgrader zip_collect (UTC)
])
def test_nbgrader_timestamps_are_read_in_utc(text, expected):
    assert parse_submission_time(text, ZoneInfo("Europe/Berlin")).at.isoformat() == expected


@pytest.mark.parametrize("text, words", [(None, "no timestamp.txt"), ("yesterday-ish", "unreadable"),
                                         ("", "empty"), ("2026-10-09 23:58:02 XYZT", "unknown time zone")])
def test_unknown_submission_times_say_why(text, words):
    time_ = parse_submission_time(text)
    assert time_.at is None and words in time_.problem
