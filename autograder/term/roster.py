"""The class roster (a CSV file the course file names): who is enrolled, how the LMS knows them,
and the extensions they were given.

Columns: ``student`` (the folder name of the student's submissions), ``lms_id`` (the LMS's
identifier: Canvas's SIS User ID or user ID, Moodle's ID number, username or email), ``name``,
``section``, and one optional ``extension:<assignment>`` column per assignment with the extension
in days (decimals allowed: 0.5 is twelve hours; empty is none).
"""
import csv
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from autograder.course import CourseError

REQUIRED_COLUMNS = ("student", "lms_id", "name", "section")
EXTENSION_PREFIX = "extension:"


@dataclass(frozen=True)
class Enrolment:
    """One student of the roster."""

    student: str
    lms_id: str
    name: str
    section: str
    extensions: dict = field(default_factory=dict)  # assignment -> timedelta

    def extension(self, assignment):
        return self.extensions.get(assignment, timedelta(0))


def load_roster(path, assignments):
    """The roster at ``path`` as {folder name: Enrolment}, in file order; ``assignments`` are the
    names an extension column may refer to."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")  # a spreadsheet's byte-order mark is fine
    except FileNotFoundError:
        raise CourseError(f"roster not found: {path}") from None
    reader = csv.DictReader(text.splitlines())
    columns = reader.fieldnames or []
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise CourseError(f"{path.name}: missing column(s) {', '.join(missing)}; expected "
                          f"{', '.join(REQUIRED_COLUMNS)} and extension:<assignment> columns")
    for column in columns:
        if column not in REQUIRED_COLUMNS and not column.startswith(EXTENSION_PREFIX):
            raise CourseError(f"{path.name}: unknown column {column!r}")
        if column.startswith(EXTENSION_PREFIX) and column[len(EXTENSION_PREFIX):] not in assignments:
            raise CourseError(f"{path.name}: column {column!r} names no assignment of the course file "
                              f"({', '.join(assignments)})")
    roster = {}
    for line, row in enumerate(reader, start=2):
        student = (row["student"] or "").strip()
        if not student:
            raise CourseError(f"{path.name} line {line}: empty student folder name")
        if student in roster:
            raise CourseError(f"{path.name} line {line}: {student} is listed twice")
        if not (row["lms_id"] or "").strip():
            raise CourseError(f"{path.name} line {line}: {student} has no lms_id")
        extensions = {}
        for column in columns:
            value = (row[column] or "").strip() if column.startswith(EXTENSION_PREFIX) else ""
            if not value:
                continue
            try:
                days = float(value)
            except ValueError:
                days = -1.0
            if not 0 <= days <= 365:
                raise CourseError(f"{path.name} line {line}: {column} must be a number of days, got {value!r}")
            extensions[column[len(EXTENSION_PREFIX):]] = timedelta(days=days)
        roster[student] = Enrolment(student, row["lms_id"].strip(), (row["name"] or "").strip(),
                                    (row["section"] or "").strip(), extensions)
    return roster
