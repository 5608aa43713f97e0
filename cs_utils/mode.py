"""Grading mode: a switch the autograder flips to keep every notebook fast.

Notebooks call `grading_mode()` to choose small datasets and few iterations; the
same code then runs at full size for students and in seconds for the grader.
"""

import os

GRADING_ENV_VAR = "CS_GRADING_MODE"

_TRUE_VALUES = {"1", "true", "yes"}


def grading_mode():
    """Return True when the environment variable CS_GRADING_MODE is "1", "true" or "yes".

    The comparison ignores case and surrounding whitespace; anything else (including an
    unset variable) means normal mode.

    Returns:
    - bool
    """
    return os.environ.get(GRADING_ENV_VAR, "").strip().lower() in _TRUE_VALUES
