"""When a student submitted: the ``timestamp.txt`` that nbgrader writes beside the notebooks.

``nbgrader collect`` copies the one ``nbgrader submit`` wrote ("2026-10-09 21:58:02.123456 UTC",
nbgrader's ``Exchange.timestamp_format``), and ``nbgrader zip_collect`` writes one from the
archive's file names ("2026-10-09 21:58:02", UTC).
The rule when the file is missing or unreadable (a folder copied by hand, for instance): the
submission counts as on time, and the grade tables and feedback say so.
"""
import contextlib
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

TIMESTAMP_FILE = "timestamp.txt"
MAX_TIMESTAMP_BYTES = 200


def read_timestamp_text(folder):
    """The text of ``folder/timestamp.txt``, stripped, or None when there is none."""
    path = Path(folder) / TIMESTAMP_FILE
    if not path.is_file():
        return None
    with open(path, "rb") as handle:
        return handle.read(MAX_TIMESTAMP_BYTES).decode("utf-8", errors="replace").strip()


@dataclass(frozen=True)
class SubmissionTime:
    """A submission's time in UTC, or None with the reason it is unknown."""

    at: datetime | None
    problem: str = ""


def _zone(name, course_zone):
    """The timezone a timestamp's last word names, or None."""
    if name in ("UTC", "GMT", "Z"):
        return timezone.utc
    if re.fullmatch(r"[+-]\d{4}", name):
        sign = -1 if name[0] == "-" else 1
        return timezone(sign * timedelta(hours=int(name[1:3]), minutes=int(name[3:5])))
    with contextlib.suppress(ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(name)
    return None


def parse_submission_time(text, course_zone=None):
    """The ``SubmissionTime`` of a ``timestamp.txt`` text (None: no file). An abbreviation such as
    "CEST" (what ``Exchange.timezone = "Europe/Berlin"`` makes nbgrader write) is understood when
    it is the course timezone's at that moment; nbgrader's own ``parse_utc`` would take it for UTC."""
    if text is None:
        return SubmissionTime(None, f"no {TIMESTAMP_FILE}: submission time unknown")
    if not text:
        return SubmissionTime(None, f"empty {TIMESTAMP_FILE}: submission time unknown")
    unreadable = SubmissionTime(None, f"unreadable {TIMESTAMP_FILE} ({text[:40]!r}): submission time unknown")
    parts = text.split()
    try:
        moment = datetime.fromisoformat(" ".join(parts[:2]))
    except ValueError:
        return unreadable
    if len(parts) == 3 and moment.tzinfo is None:
        zone = _zone(parts[2], course_zone)
        if zone is None and course_zone is not None and moment.replace(tzinfo=course_zone).tzname() == parts[2]:
            zone = course_zone
        if zone is None:
            return SubmissionTime(None, f"{TIMESTAMP_FILE} names an unknown time zone {parts[2]!r}: submission "
                                        "time unknown")
        moment = moment.replace(tzinfo=zone)
    elif len(parts) > 2:
        return unreadable
    return SubmissionTime((moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).astimezone(timezone.utc))
