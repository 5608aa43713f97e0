"""How late a submission was and what the late policy takes off, with the rule in words.

The deadline is the assignment's due date plus the student's extension. A submission later than
the deadline by no more than the grace period is on time; otherwise every started day (24 hours)
past the deadline costs ``percent_per_day`` of the score, never more than ``max_percent``.
A submission whose time is unknown (no readable ``timestamp.txt``) counts as on time, and an
assignment without a due date has no late penalty.
"""
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

DAY = timedelta(days=1)


@dataclass(frozen=True)
class Lateness:
    submitted: datetime | None  # UTC
    deadline: datetime | None  # UTC, extension included
    late_by: timedelta | None  # None when the submission time or the deadline is unknown
    days_late: int  # started days counted by the policy (0 when on time)
    penalty_percent: float
    rule: str  # what was applied, in words for the student


def _when(moment, zone):
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")


def _duration(delta):
    """``delta`` in words, to the minute: "1 day 3 h 5 min"."""
    minutes = round(delta.total_seconds() / 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = [f"{days} day{'s' * (days != 1)}"] * (days > 0) + [f"{hours} h"] * (hours > 0) + [f"{minutes} min"] * (minutes > 0)
    return " ".join(parts) or "0 min"


def assess(time, terms, extension, policy, zone):
    """The ``Lateness`` of a submission at ``time`` (a ``SubmissionTime``) for an assignment with
    ``terms`` (its ``AssignmentTerms``, or None), given the student's ``extension`` and the course's
    late ``policy``; times are written in the course's timezone ``zone``."""
    due = terms.due if terms else None
    if due is None:
        return Lateness(time.at, None, None, 0, 0.0, "This assignment has no due date: no late penalty.")
    deadline = due + extension
    granted = f" (due {_when(due, zone)}, extended by {_duration(extension)})" if extension else ""
    if time.at is None:
        return Lateness(None, deadline, None, 0, 0.0,
                        f"Deadline {_when(deadline, zone)}{granted}; {time.problem}, so it counts as on time.")
    late_by = time.at - deadline
    submitted = f"Submitted {_when(time.at, zone)}, deadline {_when(deadline, zone)}{granted}"
    if late_by <= timedelta(0):
        return Lateness(time.at, deadline, timedelta(0), 0, 0.0, f"{submitted}: on time.")
    if late_by <= policy.grace:
        return Lateness(time.at, deadline, late_by, 0, 0.0,
                        f"{submitted}: {_duration(late_by)} late, within the grace period, so on time.")
    days = math.ceil(late_by / DAY)
    percent = min(policy.max_percent, days * policy.percent_per_day)
    return Lateness(time.at, deadline, late_by, days, percent,
                    f"{submitted}: {_duration(late_by)} late, {days} started day{'s' * (days != 1)}, "
                    f"so {percent:g}% is deducted. Late policy: {policy.describe()}")
