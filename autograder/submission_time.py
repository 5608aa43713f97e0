"""When a student submitted: the ``timestamp.txt`` that nbgrader writes beside the notebooks.

``nbgrader collect`` copies the one ``nbgrader submit`` wrote ("2026-10-09 21:58:02.123456 UTC",
nbgrader's ``Exchange.timestamp_format``), and ``nbgrader zip_collect`` writes one from the
archive's file names ("2026-10-09 21:58:02", UTC). Both are read with nbgrader's own parser.
The rule when the file is missing or unreadable (a folder copied by hand, for instance): the
submission counts as on time, and the grade tables and feedback say so.
"""
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

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


def parse_submission_time(text):
    """The ``SubmissionTime`` of a ``timestamp.txt`` text (None: no file)."""
    from nbgrader.utils import parse_utc

    if text is None:
        return SubmissionTime(None, f"no {TIMESTAMP_FILE}: submission time unknown")
    try:
        naive_utc = parse_utc(text)
    except (ValueError, OverflowError, TypeError):
        return SubmissionTime(None, f"unreadable {TIMESTAMP_FILE} ({text[:40]!r}): submission time unknown")
    if naive_utc is None:
        return SubmissionTime(None, f"empty {TIMESTAMP_FILE}: submission time unknown")
    return SubmissionTime(naive_utc.replace(tzinfo=timezone.utc))
