"""What the hidden checks of 03 Data augmentation share: random images, the result's contract, calls
that must leave the input alone."""
import numpy as np

from autograder.checks._common import assert_unchanged, call, check_dtype, fail, snapshot


def images_between(rng, shape, low=0.1, high=1.0, dtype=np.float64):
    """Images (N, H, W, C) with pixel values uniform in [low, high]."""
    return rng.uniform(low, high, size=shape).astype(dtype)


def assert_result(name, value, shape, dtype, what="the result"):
    """Fail unless value is a numpy array of the given shape and dtype."""
    if not isinstance(value, np.ndarray):
        fail(name, f"{what} should be a numpy array, got {type(value).__name__}")
    if value.shape != tuple(shape):
        fail(name, f"{what} should have shape {tuple(shape)}, got {value.shape}")
    check_dtype(name, value, dtype, what, hint="; convert back with .astype(images.dtype)")
    if value.dtype.kind == "f" and not np.all(np.isfinite(value)):
        fail(name, f"{what} contains NaN or inf")


def call_unchanged(name, function, images, *args, **kwargs):
    """Call the student's function and fail if it modified the input images."""
    (before,) = snapshot(images)
    result = call(name, function, images, *args, **kwargs)
    assert_unchanged(name, [("images", before, images)])
    return result
