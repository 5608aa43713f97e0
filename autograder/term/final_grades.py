"""Each student's final grade per assignment: the autograded points of ``OUT/results``, the points
entered by hand in formgrader (``OUT/gradebook.db``), and the late penalty of the course file.

The total is the autograded points plus the manual points (a manual score replaces the
autograder's for its cell) plus extra credit, out of the autograded and manual maximum together;
the late penalty takes its percentage off that total. A written answer not graded by hand yet
counts 0 and is reported. Every student of the roster gets a grade for every assignment (0 with a
note when nothing was submitted); a folder that is not on the roster is reported.
"""
import dataclasses
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from autograder.course import GRADEBOOK
from autograder.grading.result_types import Status, SubmissionResult
from autograder.grading.results import stored_results
from autograder.term.course_file import LatePolicy
from autograder.term.lateness import Lateness, assess
from autograder.grading.manual_grades import read_manual_grades
from autograder.term.roster import Enrolment
from autograder.grading.submission_time import SubmissionTime, parse_submission_time


@dataclass(frozen=True)
class QuestionScore:
    """One graded cell: its points, and whether a person gave them or still has to."""

    notebook: str
    grade_id: str
    score: float
    max_score: float
    by_hand: bool
    pending: bool
    comment: str = ""  # the grader's comment on the cell


@dataclass(frozen=True)
class AssignmentGrade:
    enrolment: Enrolment  # a stand-in with empty fields for a folder not on the roster
    on_roster: bool
    assignment: str
    status: Status
    questions: tuple
    auto_score: float
    manual_score: float
    extra_credit: float
    max_score: float
    lateness: Lateness
    note: str  # status, unfinished manual grading, roster; the late rule is in ``lateness.rule``

    @property
    def feedback(self):
        """The note and the late rule, as the student reads them."""
        return "; ".join(filter(None, [self.note, self.lateness.rule]))

    @property
    def student(self):
        return self.enrolment.student

    @property
    def score(self):
        """Points before the late penalty."""
        return round(self.auto_score + self.manual_score + self.extra_credit, 2)

    @property
    def penalty_points(self):
        return round(self.score * self.lateness.penalty_percent / 100, 2)

    @property
    def final_score(self):
        return round(self.score - self.penalty_points, 2)

    @property
    def pending(self):
        return sum(q.pending for q in self.questions)


@dataclass(frozen=True)
class GradedAssignment:
    """An assignment as the exports show it: its LMS names, maximum and graded cells."""

    name: str
    title: str
    canvas_id: str
    max_score: float
    cells: tuple  # (notebook, grade_id, max_score) of every graded cell


@dataclass
class Term:
    """The grades of the whole term and what the instructor must hear about."""

    assignments: list  # GradedAssignment, in the course file's order
    grades: list = field(default_factory=list)  # AssignmentGrade, roster order then the unlisted folders
    not_on_roster: list = field(default_factory=list)
    not_graded_yet: list = field(default_factory=list)  # assignments of the course file without any result
    not_in_course_file: list = field(default_factory=list)  # graded assignments the course file does not list


def _question_scores(result, manual):
    questions, auto, by_hand, extra = [], 0.0, 0.0, 0.0
    for cell in result.cells:
        entry = manual.get((result.student, result.assignment, cell.notebook, cell.grade_id))
        extra += (entry.extra_credit or 0.0) if entry else 0.0
        if entry and entry.manual_score is not None:
            score, hand, pending = entry.manual_score, True, False
            by_hand += score
        else:
            score, hand, pending = (cell.score or 0.0), False, cell.status is Status.MANUAL
            auto += 0.0 if pending else score
        questions.append(QuestionScore(cell.notebook, cell.grade_id, score if not pending else 0.0,
                                       cell.max_score, hand, pending, (entry.comment or "") if entry else ""))
    return tuple(questions), round(auto, 4), round(by_hand, 4), round(extra, 4)


def _note(status, message, questions, on_roster):
    parts = []
    if status is Status.MISSING:
        parts.append("no submission: 0")
    elif status is not Status.OK:
        parts.append(f"{status}: {message}" if message else status)
    pending = sum(q.pending for q in questions)
    if pending:
        parts.append(f"{pending} written answer(s) not graded by hand yet, counted 0")
    if not on_roster:
        parts.append("not on the roster")
    return "; ".join(parts)


def load_results(out_dir):
    """Every stored ``SubmissionResult`` under ``OUT/results`` by (student, assignment)."""
    return {(result.student, result.assignment): result for result in stored_results(out_dir)}


def term_grades(out_dir, course=None, roster=None, assignments=None):
    """The ``Term`` of the grading output ``out_dir``: for ``course`` (a ``CourseFile``, or None for
    no due dates) and ``roster`` ({folder: Enrolment}, or None for the folders found), limited to
    ``assignments`` when given."""
    results = load_results(out_dir)
    manual = {(g.student, g.assignment, g.notebook, g.cell): g for g in read_manual_grades(Path(out_dir) / GRADEBOOK)}
    graded = sorted({a for _, a in results})
    listed = list(course.assignments) if course else graded
    wanted = [a for a in listed if assignments is None or a in assignments]
    folders = sorted({s for s, _ in results})
    roster = roster if roster is not None else {s: Enrolment(s, "", "", "") for s in folders}
    term = Term([], not_on_roster=[s for s in folders if s not in roster],
                not_graded_yet=[a for a in wanted if a not in graded],
                not_in_course_file=[a for a in graded if course and a not in course.assignments
                                    and (assignments is None or a in assignments)])
    policy = course.late_policy if course else LatePolicy()
    zone = course.timezone if course else None
    students = [(e, True) for e in roster.values()] + [(Enrolment(s, "", "", ""), False) for s in term.not_on_roster]
    for assignment in [a for a in wanted if a in graded]:
        terms = course.assignments.get(assignment) if course else None
        template = next(r for (_, a), r in results.items() if a == assignment)
        cells = tuple((c.notebook, c.grade_id, c.max_score) for c in template.cells)
        term.assignments.append(GradedAssignment(assignment, terms.title if terms else assignment,
                                                 terms.canvas_id if terms else "", round(sum(m for *_, m in cells), 4),
                                                 cells))
        for enrolment, on_roster in students:
            result = results.get((enrolment.student, assignment))
            if result is None:
                result = SubmissionResult(student=enrolment.student, assignment=assignment, status=Status.MISSING,
                                          cells=[dataclasses.replace(c, score=0.0, status=Status.MISSING, message="")
                                                 for c in template.cells])
            questions, auto, by_hand, extra = _question_scores(result, manual)
            time = (parse_submission_time(result.timestamp, zone) if result.status is not Status.MISSING
                    else SubmissionTime(None, "no submission"))
            lateness = assess(time, terms, enrolment.extension(assignment) if on_roster else timedelta(0), policy,
                              zone)
            if result.status is Status.MISSING:
                lateness = Lateness(None, lateness.deadline, None, 0, 0.0, "")
            term.grades.append(AssignmentGrade(
                enrolment, on_roster, assignment, result.status, questions, auto, by_hand, extra,
                round(sum(q.max_score for q in questions), 4), lateness,
                _note(result.status, result.message, questions, on_roster)))
    return term
