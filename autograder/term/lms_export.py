"""Grade files a learning management system imports, and a plain long table, from a ``Term``.

- ``canvas``: Canvas's gradebook import CSV (Grades > Import). The header is ``Student, ID,
  SIS User ID, SIS Login ID, Section`` and one column per assignment, named ``Title (canvas_id)``
  to update an existing Canvas assignment or ``Title`` to match one by title (a title Canvas does
  not know creates an assignment); the second row, ``Points Possible``, gives each column's
  maximum. Canvas finds the student by ``ID`` (its user id), else ``SIS User ID``, else
  ``SIS Login ID``: the roster's ``lms_id`` goes in the column the course file names.
- ``moodle``: Moodle's CSV grade import (Grades > Import > CSV file): one identifier column
  (``lms_id``; at import map it to the user field it holds: ID number, username or email), then
  a grade column and a ``(Feedback)`` column per assignment, each mapped to its grade item and to
  "Feedback for" that item.
- ``long``: one row per student and assignment with every figure (submitted time, lateness,
  penalty, autograded, manual, final) and the notes, for the instructor's own records.

Only roster students go into the LMS files; ``per_question`` adds one column per graded cell.
"""
import enum
import io
import os
from pathlib import Path

from autograder.spreadsheet import SafeWriter


class ExportFormat(enum.Enum):
    LONG = "long"
    CANVAS = "canvas"
    MOODLE = "moodle"


def points(value):
    """A score as an LMS reads it: up to two decimals, no trailing zeros."""
    return f"{round(value, 2):.2f}".rstrip("0").rstrip(".")


def _question_columns(term, title_of):
    """(assignment, grade_id, column name, maximum) of every graded cell."""
    return [(assignment.name, grade_id, f"{title_of(assignment)}: {grade_id}", maximum)
            for assignment in term.assignments for _, grade_id, maximum in assignment.cells]


def _question_scores(grade):
    return {(grade.assignment, q.grade_id): points(q.score) for q in grade.questions}


def _by_student(term):
    table = {}
    for grade in term.grades:
        table.setdefault(grade.student, {})[grade.assignment] = grade
    return table


def canvas_rows(term, id_column="SIS User ID", per_question=False):
    """The rows of a Canvas gradebook import file."""
    title_of = lambda a: f"{a.title} ({a.canvas_id})" if a.canvas_id else a.title  # noqa: E731
    student_columns = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    columns = [(a.name, title_of(a), a.max_score) for a in term.assignments]
    questions = _question_columns(term, title_of) if per_question else []
    rows = [student_columns + [name for _, name, _ in columns] + [name for *_, name, _ in questions],
            ["Points Possible", "", "", "", ""] + [points(m) for *_, m in columns] + [points(m) for *_, m in questions]]
    for grades in _by_student(term).values():
        first = next(iter(grades.values()))
        if not first.on_roster:
            continue
        person = first.enrolment
        ids = {column: person.lms_id if column == id_column else "" for column in student_columns[1:4]}
        scores = _question_scores_all(grades)
        rows.append([person.name or person.student, ids["ID"], ids["SIS User ID"], ids["SIS Login ID"], person.section]
                    + [points(grades[a].final_score) for a, _, _ in columns]
                    + [scores.get((a, g), "") for a, g, _, _ in questions])
    return rows


def _question_scores_all(grades):
    scores = {}
    for grade in grades.values():
        scores.update(_question_scores(grade))
    return scores


def moodle_rows(term, per_question=False):
    """The rows of a Moodle CSV grade import file."""
    questions = _question_columns(term, lambda a: a.title) if per_question else []
    header = ["lms_id", "Full name", "Section"]
    for assignment in term.assignments:
        header += [assignment.title, f"{assignment.title} (Feedback)"]
    rows = [header + [name for *_, name, _ in questions]]
    for grades in _by_student(term).values():
        first = next(iter(grades.values()))
        if not first.on_roster:
            continue
        person = first.enrolment
        row = [person.lms_id, person.name or person.student, person.section]
        for assignment in term.assignments:
            grade = grades[assignment.name]
            row += [points(grade.final_score), grade.feedback]
        scores = _question_scores_all(grades)
        rows.append(row + [scores.get((a, g), "") for a, g, _, _ in questions])
    return rows


LONG_COLUMNS = ["student", "lms_id", "name", "section", "on_roster", "assignment", "status", "submitted_at",
                "deadline", "late_hours", "days_late", "penalty_percent", "auto_score", "manual_score",
                "extra_credit", "score", "max_score", "penalty_points", "final_score", "pending_answers", "note",
                "late_rule"]


def long_rows(term, per_question=False):
    """The rows of the long table: one per student and assignment."""
    questions = _question_columns(term, lambda a: a.name) if per_question else []
    rows = [LONG_COLUMNS + [name for *_, name, _ in questions]]
    for grade in term.grades:
        late = grade.lateness
        person = grade.enrolment
        scores = _question_scores(grade)
        rows.append([
            person.student, person.lms_id, person.name, person.section, "yes" if grade.on_roster else "no",
            grade.assignment, grade.status,
            late.submitted.isoformat() if late.submitted else "",
            late.deadline.isoformat() if late.deadline else "",
            points(late.late_by.total_seconds() / 3600) if late.late_by is not None else "",
            str(late.days_late), points(late.penalty_percent), points(grade.auto_score), points(grade.manual_score),
            points(grade.extra_credit), points(grade.score), points(grade.max_score), points(grade.penalty_points),
            points(grade.final_score), str(grade.pending), grade.note, grade.lateness.rule,
        ] + [scores.get((a, g), "") for a, g, _, _ in questions])
    return rows


def export_rows(term, export_format, canvas_id_column="SIS User ID", per_question=False):
    if export_format is ExportFormat.CANVAS:
        return canvas_rows(term, canvas_id_column, per_question)
    if export_format is ExportFormat.MOODLE:
        return moodle_rows(term, per_question)
    return long_rows(term, per_question)


def write_csv(path, rows):
    """Write ``rows`` to ``path`` (UTF-8, as both LMSs read it) so that a reader sees the old file
    or the new one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = io.StringIO()
    SafeWriter(text, lineterminator="\r\n").writerows(rows)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text.getvalue(), encoding="utf-8")
    os.replace(partial, path)
    return path
