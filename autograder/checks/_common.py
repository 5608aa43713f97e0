"""Helpers shared by the hidden checks: fresh randomness, safe calls, comparisons, the dtype policy.

Dtype policy of every NumPy check (00-03): a result whose values are right but whose dtype is a
wider float than the contract's (float32 inputs, float64 result) keeps its points, and the feedback
notes the slip, naming the value that came back wider and, where the student's function left it
in view (a state array in config, an array in the cache), the float64 array that promoted it.
NumPy's promotion rules make this easy to do by accident (``np.power(beta1, t)`` is a NumPy
float64 scalar, ``np.zeros(shape)`` a float64 array) and it wastes memory, but it is not a wrong
answer. Any other dtype (a narrower float, an integer result, a float for integer images) fails.
"""
import copy
import math
import secrets

import numpy as np


_NOTES = []


def fresh_rng(seed=None):
    """A new ``numpy.random.Generator`` and the seed that reproduces it; a check starts with it.

    Every grading run draws a new seed so that answers cannot be fitted to fixed inputs.
    """
    _NOTES.clear()
    seed = secrets.randbits(32) if seed is None else seed
    return np.random.default_rng(seed), seed


def fail(name, message):
    """Raise the check failure for exercise ``name`` (notes of slips are dropped: the failure counts)."""
    _NOTES.clear()
    raise AssertionError(f"{name}: {message}")


def float64_arrays(value, where):
    """Descriptions of the float64 arrays and NumPy float64 scalars inside ``value`` (dicts, lists
    and tuples searched), each named by its path from ``where``, e.g. ``config['m']``."""
    if isinstance(value, (np.ndarray, np.floating)) and value.dtype == np.float64:
        return [where]
    if isinstance(value, dict):
        return [found for key, item in value.items() for found in float64_arrays(item, f"{where}[{key!r}]")]
    if isinstance(value, (list, tuple)):
        return [found for index, item in enumerate(value) for found in float64_arrays(item, f"{where}[{index}]")]
    return []


def check_dtype(name, value, dtype, what, holders=(), hint=""):
    """Apply the dtype policy (see the module docstring) to the array ``value``, expected in ``dtype``.

    A wider float records a note, printed with the verdict if the check passes; ``holders`` are
    (label, object) pairs the student's function returned alongside (config, cache), searched for
    the float64 arrays that caused it. Any other mismatch fails, with ``hint`` appended.
    """
    expected = np.dtype(dtype)
    if value.dtype == expected:
        return
    if value.dtype.kind == "f" and expected.kind == "f" and value.dtype.itemsize > expected.itemsize:
        causes = [found for label, holder in holders for found in float64_arrays(holder, label)]
        cause = (f"{', '.join(causes[:3])} {'is' if len(causes) == 1 else 'are'} {value.dtype} and promoted it"
                 if causes else f"an operand in {value.dtype} (a NumPy float64 scalar such as np.power(x, t) or "
                                "np.float64(...), or a float64 array) promoted it")
        note = (f"{name}: note: {what} came back {value.dtype} for {expected.name} inputs ({cause}); the values "
                f"are right, so no points are lost, but keep the input's dtype (.astype({expected.name}) or "
                "arrays made with np.zeros_like)")
        if note not in _NOTES:
            _NOTES.append(note)
        return
    fail(name, f"{what} should keep the input's dtype ({expected.name}), got {value.dtype}{hint}")


def call(name, function, *args, **kwargs):
    """Call the student's function, turning any exception into a failure that names the call."""
    try:
        return function(*args, **kwargs)
    except NotImplementedError:
        fail(name, "not implemented yet (the function raised NotImplementedError)")
    except Exception as error:  # noqa: BLE001 - any student exception is a failed check
        # An exception of a kind that only exists in the kernel arrives as a RemoteError whose
        # message starts with its own type name.
        fail(name, f"raised {error}" if hasattr(error, "type_name") else f"raised {type(error).__name__}: {error}")


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


def close(actual, expected, rtol):
    """Whether ``actual`` is within ``rtol`` of ``expected`` by ``scaled_error``."""
    return scaled_error(actual, expected) <= rtol


def log_uniform(rng, low, high):
    """A float whose logarithm is uniform between log(low) and log(high)."""
    return float(math.exp(rng.uniform(math.log(low), math.log(high))))


def signed_magnitudes(rng, shape, low, high, dtype=np.float64):
    """Entries with magnitudes uniform in [low, high] and random signs: never zero, never tiny."""
    magnitude = rng.uniform(low, high, size=shape)
    return (magnitude * rng.choice([-1.0, 1.0], size=shape)).astype(dtype)


def unpack(name, result, count, what):
    """Fail unless ``result`` is a tuple (or list) of ``count`` items; return it as a tuple."""
    if not (isinstance(result, (tuple, list)) and len(result) == count):
        fail(name, f"should return a tuple {what}, got {type(result).__name__}")
    return tuple(result)


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
    """Print the notes of dtype slips, then the success line shown under the test cell."""
    for note in _NOTES:
        print(note)
    _NOTES.clear()
    print(f"{name}: all {count} hidden checks passed (seed {seed})")
