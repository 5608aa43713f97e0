"""What the hidden checks of 00 Foundations share: tolerances and safe calls."""
import numpy as np

from autograder.checks._common import call, fail

RTOL = 1e-9
# Statistical checks allow this many standard errors.
SIGMAS = 6.0


def quiet_call(name, function, *args, **kwargs):
    """``call`` with numpy's overflow warnings silenced (the values are what is checked)."""
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        return call(name, function, *args, **kwargs)


def number(name, value, what):
    """``value`` as a float; fail unless it is a real number (a 0-d array counts, a bool does not)."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        fail(name, f"{what} should be a number, got {type(value).__name__}")
    return float(value)
