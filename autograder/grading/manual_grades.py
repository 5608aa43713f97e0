"""Scores, extra credit and comments that a person entered in formgrader, read from nbgrader's
gradebook (``OUT/gradebook.db``) and carried over when ``grade`` rebuilds it.

A manual grade belongs to the submission it was given for: the gradebook records the fingerprint
of each submission it was built from (a table of its own, so it moves with the file), and a
rebuild keeps the manual grades of a submission only while that fingerprint is unchanged. A
student who submits again gets graded by hand again.
"""
import contextlib
import sqlite3
from dataclasses import dataclass
from pathlib import Path

DIGEST_TABLE = "autograder_graded_submission"


@dataclass(frozen=True)
class ManualGrade:
    """What a person entered for one cell of one submission; None where nothing was entered."""

    student: str
    assignment: str
    notebook: str
    cell: str  # the cell's grade_id
    manual_score: float | None = None
    extra_credit: float | None = None
    comment: str | None = None


def read_manual_grades(gradebook_path):
    """Every cell of ``gradebook_path`` with a manual score, extra credit or comment."""
    from nbgrader.api import Gradebook

    if not Path(gradebook_path).exists():
        return []
    found = {}
    with Gradebook(f"sqlite:///{gradebook_path}") as gradebook:
        for assignment in gradebook.assignments:
            for submission in assignment.submissions:
                for notebook in submission.notebooks:
                    key = (submission.student.id, assignment.name, notebook.name)
                    for grade in notebook.grades:
                        if grade.manual_score is not None or grade.extra_credit is not None:
                            found[(*key, grade.name)] = ManualGrade(*key, grade.name, grade.manual_score,
                                                                    grade.extra_credit)
                    for comment in notebook.comments:
                        if comment.manual_comment:
                            earlier = found.get((*key, comment.name), ManualGrade(*key, comment.name))
                            found[(*key, comment.name)] = ManualGrade(
                                *key, comment.name, earlier.manual_score, earlier.extra_credit, comment.manual_comment)
    return sorted(found.values(), key=lambda g: (g.student, g.assignment, g.notebook, g.cell))


def restore_manual_grades(gradebook, grades):
    """Enter ``grades`` into the open nbgrader ``gradebook`` as formgrader would."""
    from nbgrader.api import MissingEntry

    for entry in grades:
        args = (entry.cell, entry.notebook, entry.assignment, entry.student)
        if entry.manual_score is not None or entry.extra_credit is not None:
            with contextlib.suppress(MissingEntry):  # a cell gone from the course
                grade = gradebook.find_grade(*args)
                grade.manual_score, grade.extra_credit = entry.manual_score, entry.extra_credit
                grade.needs_manual_grade = False
        if entry.comment:
            with contextlib.suppress(MissingEntry):
                gradebook.find_comment(*args).manual_comment = entry.comment
    gradebook.db.commit()


def record_digests(gradebook_path, digests):
    """Record in the gradebook file the fingerprint of every submission it holds:
    ``digests`` maps (student, assignment) to the submission's fingerprint."""
    with contextlib.closing(sqlite3.connect(gradebook_path)) as database, database:
        database.execute(f"DROP TABLE IF EXISTS {DIGEST_TABLE}")
        database.execute(f"CREATE TABLE {DIGEST_TABLE} (student TEXT, assignment TEXT, digest TEXT, "
                         "PRIMARY KEY (student, assignment))")
        database.executemany(f"INSERT INTO {DIGEST_TABLE} VALUES (?, ?, ?)",
                             [(s, a, d) for (s, a), d in sorted(digests.items())])


def recorded_digests(gradebook_path):
    """The fingerprints ``record_digests`` left in ``gradebook_path`` (none for an older gradebook)."""
    if not Path(gradebook_path).exists():
        return {}
    with contextlib.closing(sqlite3.connect(gradebook_path)) as database:
        try:
            rows = database.execute(f"SELECT student, assignment, digest FROM {DIGEST_TABLE}").fetchall()
        except sqlite3.OperationalError:
            return {}
    return {(s, a): d for s, a, d in rows}


def still_valid(grades, old_digests, new_digests):
    """The manual ``grades`` whose submission is unchanged, and the (student, assignment) pairs
    whose manual grades no longer apply."""
    kept, dropped = [], set()
    for entry in grades:
        key = (entry.student, entry.assignment)
        if key in new_digests and old_digests.get(key) == new_digests[key]:
            kept.append(entry)
        else:
            dropped.add(key)
    return kept, sorted(dropped)
