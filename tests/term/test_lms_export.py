"""The LMS files and the long table, cell by cell, from a small term built by hand."""
import csv
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograder.term.final_grades import AssignmentGrade, GradedAssignment, QuestionScore, Term
from autograder.term.lateness import Lateness
from autograder.term.lms_export import (LONG_COLUMNS, ExportFormat, canvas_rows, export_rows, long_rows, moodle_rows,
                                        points, write_csv)
from autograder.term.roster import Enrolment

SUBMITTED = datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc)
DEADLINE = datetime(2026, 3, 1, 23, 0, tzinfo=timezone.utc)
ON_TIME = Lateness(None, None, None, 0, 0.0, "")
LATE = Lateness(SUBMITTED, DEADLINE, SUBMITTED - DEADLINE, 1, 10.0, "1 day late: -10%")
ASSIGNMENTS = [GradedAssignment("00_basics", "Basics", "101", 10.0, (("basics", "q1", 4.0), ("basics", "q2", 6.0))),
               GradedAssignment("01_more", "More", "", 5.5, (("more", "only", 5.5),))]


def question(grade_id, score):
    return QuestionScore("nb", grade_id, score, 10.0, False, False)


def grade(person, assignment, on_roster=True, lateness=ON_TIME, note="", questions=(), scores=(6.0, 1.5, 0.5)):
    auto, manual, extra = scores
    return AssignmentGrade(person, on_roster, assignment, "graded", tuple(questions), auto, manual, extra, 10.0,
                           lateness, note)


ADA = Enrolment("ada", "A-1", "Ada Lovelace", "S1")
BOB = Enrolment("bob", "B-2", "", "S2")
EVE = Enrolment("eve", "", "", "")
TERM = Term(ASSIGNMENTS, [
    grade(ADA, "00_basics", lateness=LATE, questions=[question("q1", 3.0), question("q2", 4.456)]),
    grade(ADA, "01_more", note="no submission", scores=(0.0, 0.0, 0.0)),
    grade(BOB, "00_basics", questions=[question("q1", 4.0)]),
    grade(BOB, "01_more", scores=(5.5, 0.0, 0.0), questions=[question("only", 5.5)]),
    grade(EVE, "00_basics", on_roster=False, note="not on the roster"),
    grade(EVE, "01_more", on_roster=False),
])


@pytest.mark.parametrize("value, text", [(8.0, "8"), (7.5, "7.5"), (7.25, "7.25"), (7.256, "7.26"), (0.0, "0"),
                                         (10, "10"), (0.004, "0"), (-1.5, "-1.5"), (100.1, "100.1"),
                                         (0.1251, "0.13")])
def test_points_as_an_lms_reads_them(value, text):
    assert points(value) == text


def test_canvas_rows():
    rows = canvas_rows(TERM)
    assert rows == [
        ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Basics (101)", "More"],
        ["Points Possible", "", "", "", "", "10", "5.5"],
        ["Ada Lovelace", "", "A-1", "", "S1", "7.2", "0"],
        ["bob", "", "B-2", "", "S2", "8", "5.5"],
    ]


@pytest.mark.parametrize("column, index", [("ID", 1), ("SIS User ID", 2), ("SIS Login ID", 3)])
def test_canvas_puts_the_lms_id_in_the_course_files_column(column, index):
    ada = canvas_rows(TERM, column)[2]
    assert ada[index] == "A-1" and [ada[i] for i in (1, 2, 3) if i != index] == ["", ""]


def test_canvas_per_question_columns():
    rows = canvas_rows(TERM, per_question=True)
    assert rows[0][7:] == ["Basics (101): q1", "Basics (101): q2", "More: only"]
    assert rows[1][7:] == ["4", "6", "5.5"]
    assert rows[2][7:] == ["3", "4.46", ""]
    assert rows[3][7:] == ["4", "", "5.5"]


def test_moodle_rows():
    assert moodle_rows(TERM) == [
        ["lms_id", "Full name", "Section", "Basics", "Basics (Feedback)", "More", "More (Feedback)"],
        ["A-1", "Ada Lovelace", "S1", "7.2", "1 day late: -10%", "0", "no submission"],
        ["B-2", "bob", "S2", "8", "", "5.5", ""],
    ]
    rows = moodle_rows(TERM, per_question=True)
    assert rows[0][7:] == ["Basics: q1", "Basics: q2", "More: only"]
    assert rows[1][7:] == ["3", "4.46", ""]


def test_long_rows_hold_every_student_and_figure():
    rows = long_rows(TERM)
    assert rows[0] == LONG_COLUMNS and len(rows) == 7
    ada = dict(zip(LONG_COLUMNS, rows[1]))
    assert ada == {
        "student": "ada", "lms_id": "A-1", "name": "Ada Lovelace", "section": "S1", "on_roster": "yes",
        "assignment": "00_basics", "status": "graded", "submitted_at": "2026-03-02T12:00:00+00:00",
        "deadline": "2026-03-01T23:00:00+00:00", "late_hours": "13", "days_late": "1", "penalty_percent": "10",
        "auto_score": "6", "manual_score": "1.5", "extra_credit": "0.5", "score": "8", "max_score": "10",
        "penalty_points": "0.8", "final_score": "7.2", "pending_answers": "0", "note": "",
        "late_rule": "1 day late: -10%"}
    eve = dict(zip(LONG_COLUMNS, rows[5]))
    assert (eve["on_roster"], eve["submitted_at"], eve["deadline"], eve["late_hours"], eve["note"]) == \
        ("no", "", "", "", "not on the roster")
    with_questions = long_rows(TERM, per_question=True)
    assert with_questions[0][len(LONG_COLUMNS):] == ["00_basics: q1", "00_basics: q2", "01_more: only"]
    assert with_questions[1][len(LONG_COLUMNS):] == ["3", "4.46", ""]


@pytest.mark.parametrize("late_by, hours", [(timedelta(minutes=90), "1.5"), (timedelta(hours=100), "100")])
def test_late_hours(late_by, hours):
    lateness = Lateness(SUBMITTED, SUBMITTED - late_by, late_by, 1, 0.0, "")
    row = long_rows(Term(ASSIGNMENTS[:1], [grade(ADA, "00_basics", lateness=lateness)]))[1]
    assert row[LONG_COLUMNS.index("late_hours")] == hours


def test_only_roster_students_go_into_the_lms_files_wherever_they_are_listed():
    term = Term(ASSIGNMENTS, TERM.grades[4:] + TERM.grades[:4])
    assert canvas_rows(term)[2:] == canvas_rows(TERM)[2:]
    assert moodle_rows(term)[1:] == moodle_rows(TERM)[1:]


@pytest.mark.parametrize("export_format, rows", [
    (ExportFormat.CANVAS, canvas_rows(TERM, "ID", True)),
    (ExportFormat.MOODLE, moodle_rows(TERM, True)),
    (ExportFormat.LONG, long_rows(TERM, True)),
])
def test_export_rows_picks_the_format(export_format, rows):
    assert export_rows(TERM, export_format, "ID", per_question=True) == rows


def test_export_rows_defaults():
    assert export_rows(TERM, ExportFormat.CANVAS) == canvas_rows(TERM)
    assert export_rows(TERM, ExportFormat.MOODLE) == moodle_rows(TERM)
    assert export_rows(TERM, ExportFormat.LONG) == long_rows(TERM)


def test_write_csv_writes_crlf_utf8_in_place_of_the_old_file(tmp_path):
    path = tmp_path / "new" / "folder" / "grades.csv"
    assert write_csv(path, [["Élodie", "=1+1"], ["b", 2]]) == path
    assert path.read_bytes() == "Élodie,'=1+1\r\nb,2\r\n".encode()
    write_csv(str(path), [["x"]])
    assert path.read_bytes() == b"x\r\n"
    assert sorted(p.name for p in path.parent.iterdir()) == ["grades.csv"]


@given(st.lists(st.lists(st.text(st.characters(blacklist_categories=("Cs",))), min_size=1, max_size=4), max_size=4))
def test_write_csv_round_trips_through_the_csv_module(tmp_path_factory, rows):
    path = write_csv(tmp_path_factory.mktemp("csv") / "rows.csv", rows)
    with open(path, newline="", encoding="utf-8") as handle:
        read = list(csv.reader(handle))
    assert read == [[("'" + cell) if cell.startswith(("=", "+", "-", "@", "\t", "\r")) else cell for cell in row]
                    for row in rows]
