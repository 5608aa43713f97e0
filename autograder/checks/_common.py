"""Helpers shared by the hidden checks: fresh randomness, safe calls, comparisons."""
import copy
import secrets

import numpy as np


def fresh_rng(seed=None):
    """A new ``numpy.random.Generator`` and the seed that reproduces it.

    Every grading run draws a new seed so that answers cannot be fitted to fixed inputs.
    """
    seed = secrets.randbits(32) if seed is None else seed
    return np.random.default_rng(seed), seed


def fail(name, message):
    """Raise the check failure for exercise ``name``."""
    raise AssertionError(f"{name}: {message}")


def call(name, function, *args, **kwargs):
    """Call the student's function, turning any exception into a failure that names the call."""
    try:
        return function(*args, **kwargs)
    except NotImplementedError:
        fail(name, "not implemented yet (the function raised NotImplementedError)")
    except Exception as error:  # noqa: BLE001 - any student exception is a failed check
        fail(name, f"raised {type(error).__name__}: {error}")


def max_relative_error(actual, expected):
    """Largest elementwise ``|a - e| / max(|a| + |e|, 1e-12)``; inf on shape mismatch."""
    actual, expected = np.asarray(actual, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    if actual.shape != expected.shape:
        return np.inf
    if not np.all(np.isfinite(actual)):
        return np.inf
    return float(np.max(np.abs(actual - expected) / np.maximum(np.abs(actual) + np.abs(expected), 1e-12), initial=0.0))


def scaled_error(actual, expected):
    """Largest ``|a - e|`` relative to the largest ``|e|``; inf on shape mismatch or non-finite values.

    Unlike ``max_relative_error`` it does not blow up where an expected entry is near zero.
    """
    actual, expected = np.asarray(actual, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    if actual.shape != expected.shape or not np.all(np.isfinite(actual)):
        return np.inf
    scale = max(float(np.max(np.abs(expected), initial=0.0)), 1e-30)
    return float(np.max(np.abs(actual - expected), initial=0.0)) / scale


def snapshot(*arrays):
    """Deep copies of the inputs, to detect mutation afterwards."""
    return [copy.deepcopy(a) for a in arrays]


def assert_unchanged(name, labelled_before_after):
    """Fail if any input differs from its snapshot; ``labelled_before_after`` is [(label, before, after)]."""
    for label, before, after in labelled_before_after:
        if isinstance(before, list):
            same = len(before) == len(after) and all(np.array_equal(b, a) for b, a in zip(before, after))
        else:
            same = np.array_equal(before, after)
        if not same:
            fail(name, f"the input {label} was modified in place; compute a new array instead")


def assert_array(name, value, shape, what="the result"):
    """Fail unless ``value`` is a real numpy array of the given shape with finite entries."""
    if not isinstance(value, np.ndarray):
        fail(name, f"{what} should be a numpy array, got {type(value).__name__}")
    if value.shape != tuple(shape):
        fail(name, f"{what} should have shape {tuple(shape)}, got {value.shape}")
    if value.dtype.kind != "f":
        fail(name, f"{what} should be a floating-point array, got dtype {value.dtype}")
    if not np.all(np.isfinite(value)):
        fail(name, f"{what} contains NaN or inf")


def passed(name, count, seed):
    """Print the success line shown under the test cell."""
    print(f"{name}: all {count} hidden checks passed (seed {seed})")
