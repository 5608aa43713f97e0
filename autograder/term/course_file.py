"""The course file (``course.toml``): each assignment's due date and LMS name, the late policy and
where the roster is. One small TOML file, read with the standard library's ``tomllib``; every
mistake in it is reported with the key it concerns. ``autograder/term_example/course.toml`` is a
documented example.
"""
import tomllib
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from autograder.course import CourseError

CANVAS_ID_COLUMNS = ("SIS User ID", "ID", "SIS Login ID")


@dataclass(frozen=True)
class LatePolicy:
    """Points off a late submission: ``percent_per_day`` of its score for every started day past
    the deadline, at most ``max_percent``; a submission within ``grace_minutes`` is on time."""

    percent_per_day: float = 0.0
    max_percent: float = 100.0
    grace_minutes: float = 0.0

    @property
    def grace(self):
        return timedelta(minutes=self.grace_minutes)

    def describe(self):
        """The policy in one sentence, as students read it in their feedback."""
        grace = f" after a grace period of {self.grace_minutes:g} minutes" if self.grace_minutes else ""
        return (f"{self.percent_per_day:g}% of the score is deducted for each started day late{grace}, "
                f"at most {self.max_percent:g}%.")


@dataclass(frozen=True)
class AssignmentTerms:
    """One assignment's due date (timezone-aware) and how the LMS names it."""

    name: str
    due: datetime | None
    title: str
    canvas_id: str = ""


@dataclass(frozen=True)
class CourseFile:
    path: Path
    assignments: dict = field(default_factory=dict)  # assignment folder name -> AssignmentTerms, in file order
    late_policy: LatePolicy = LatePolicy()
    timezone: ZoneInfo = ZoneInfo("UTC")
    roster: Path | None = None
    canvas_id_column: str = "SIS User ID"


def _number(table, key, default, where, low=0.0, high=None):
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < low or (high is not None and value > high):
        bounds = f"between {low:g} and {high:g}" if high is not None else f"at least {low:g}"
        raise CourseError(f"{where}: {key} must be a number {bounds}, got {value!r}")
    return float(value)


def _unknown_keys(table, allowed, where):
    unknown = sorted(set(table) - set(allowed))
    if unknown:
        raise CourseError(f"{where}: unknown key(s) {', '.join(unknown)}; expected: {', '.join(allowed)}")


def _due_date(value, zone, where):
    """A TOML date-time; one written without an offset is in the course's timezone."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise CourseError(f"{where}: due must be a date and time such as 2026-10-09T23:59:00, got {value!r}") from None
    if not isinstance(value, datetime):
        raise CourseError(f"{where}: due must be a date and time such as 2026-10-09T23:59:00, got {value!r}")
    return value if value.tzinfo else value.replace(tzinfo=zone)


def load_course_file(path, known_assignments=None):
    """Read and validate the course file at ``path``; ``known_assignments`` (the course's
    assignment folders) catches a misspelt assignment name."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CourseError(f"course file not found: {path}") from None
    except tomllib.TOMLDecodeError as error:
        raise CourseError(f"{path} is not valid TOML: {error}") from None
    _unknown_keys(data, ["timezone", "roster", "canvas_id_column", "late_policy", "assignments"], path.name)
    try:
        zone = ZoneInfo(data.get("timezone", "UTC"))
    except (ZoneInfoNotFoundError, ValueError):
        raise CourseError(f"{path.name}: unknown timezone {data.get('timezone')!r} (use a name such as "
                          "Europe/Berlin or America/New_York)") from None
    policy_table = data.get("late_policy", {})
    _unknown_keys(policy_table, ["percent_per_day", "max_percent", "grace_minutes"], f"{path.name} [late_policy]")
    where = f"{path.name} [late_policy]"
    policy = LatePolicy(_number(policy_table, "percent_per_day", 0, where, 0, 100),
                        _number(policy_table, "max_percent", 100, where, 0, 100),
                        _number(policy_table, "grace_minutes", 0, where))
    assignments = {}
    for name, table in data.get("assignments", {}).items():
        where = f"{path.name} [assignments.{name}]"
        if not isinstance(table, dict):
            raise CourseError(f"{where}: expected a table with due, title, canvas_id")
        _unknown_keys(table, ["due", "title", "canvas_id"], where)
        if known_assignments is not None and name not in known_assignments:
            raise CourseError(f"{where}: no such assignment; the course has: {', '.join(known_assignments)}")
        due = _due_date(table["due"], zone, where) if "due" in table else None
        assignments[name] = AssignmentTerms(name, due.astimezone(timezone.utc) if due else None,
                                            str(table.get("title", name)), str(table.get("canvas_id", "")))
    canvas_id_column = data.get("canvas_id_column", "SIS User ID")
    if canvas_id_column not in CANVAS_ID_COLUMNS:
        raise CourseError(f"{path.name}: canvas_id_column must be one of {', '.join(CANVAS_ID_COLUMNS)}")
    roster = path.parent / data["roster"] if "roster" in data else None
    return CourseFile(path, assignments, policy, zone, roster, canvas_id_column)
