"""``python -m autograder export OUT [--course course.toml] [--format long|canvas|moodle]``: the
term's final grades, manual scores and late penalties included, as a file an LMS imports.

It reads the grading output (``OUT/results``, ``OUT/gradebook.db`` with what formgrader saved),
the course file and its roster, writes ``OUT/grades-<format>.csv`` and the final-grade notice
into every feedback page, and says what the instructor must look at: folders not on the roster,
written answers not graded yet, submissions without a time, assignments not graded yet.
"""
from dataclasses import dataclass
from pathlib import Path

from autograder.course import SOLUTIONS_DIR, CourseError, list_assignments
from autograder.grading.result_types import Status
from autograder.term.course_file import load_course_file
from autograder.term.final_grades import term_grades
from autograder.term.grade_notice import annotate_feedback
from autograder.term.lms_export import ExportFormat, export_rows, write_csv
from autograder.term.roster import load_roster

COURSE_FILE_NAME = "course.toml"


@dataclass
class ExportReport:
    path: Path
    rows: int
    warnings: list


def find_course_file(out_dir, course_path):
    """The course file to use: the one given, else ``OUT/course.toml`` when there is one."""
    if course_path:
        return Path(course_path)
    default = Path(out_dir) / COURSE_FILE_NAME
    return default if default.exists() else None


def export(out_dir, course_path=None, export_format=ExportFormat.LONG, output=None, per_question=False,
           assignments=None, solutions_dir=SOLUTIONS_DIR):
    """Write the export of ``out_dir``; returns an ``ExportReport``."""
    out_dir = Path(out_dir)
    if not (out_dir / "results").is_dir():
        raise CourseError(f"no grading output in {out_dir} (run python -m autograder grade SUBMISSIONS --out {out_dir})")
    course_path = find_course_file(out_dir, course_path)
    course = load_course_file(course_path, list_assignments(solutions_dir)) if course_path else None
    roster = None
    if course and course.roster:
        roster = load_roster(course.roster, list(course.assignments))
    if export_format is not ExportFormat.LONG and roster is None:
        raise CourseError(f"--format {export_format.value} needs a roster: name it in the course file "
                          "(roster = \"roster.csv\") and pass --course")
    term = term_grades(out_dir, course, roster, assignments)
    if not term.assignments:
        raise CourseError("nothing to export: none of the assignments has been graded yet")
    rows = export_rows(term, export_format, course.canvas_id_column if course else "SIS User ID", per_question)
    path = write_csv(output or out_dir / f"grades-{export_format.value}.csv", rows)
    annotate_feedback(out_dir, term.grades)
    warnings = [f"{s}: submissions found but not on the roster, left out of LMS files" for s in term.not_on_roster]
    warnings += [f"{a}: in the course file but not graded yet, left out" for a in term.not_graded_yet]
    warnings += [f"{a}: graded but not in the course file, left out" for a in term.not_in_course_file]
    warnings += [f"{g.student}/{g.assignment}: {g.pending} written answer(s) not graded by hand yet, counted 0"
                 for g in term.grades if g.pending]
    warnings += [f"{g.student}/{g.assignment}: {g.lateness.rule}" for g in term.grades
                 if g.lateness.deadline and g.lateness.submitted is None and g.status is not Status.MISSING]
    return ExportReport(path, len(rows) - 1, warnings)
