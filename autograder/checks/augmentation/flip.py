"""Hidden checks of 03 Data augmentation: the random horizontal flip."""
import numpy as np

from autograder.checks._common import call, fail, fresh_rng, passed
from autograder.checks.augmentation._shared import call_unchanged, assert_result, images_between


def _flip_decisions(name, images, flipped):
    """Boolean (N,): which images were mirrored; fails when an image is neither kept nor mirrored."""
    same = np.all(flipped == images, axis=(1, 2, 3))
    mirrored = np.all(flipped == images[:, :, ::-1], axis=(1, 2, 3))
    bad = ~(same | mirrored)
    if bad.any():
        n = int(np.flatnonzero(bad)[0])
        if np.array_equal(flipped[n], images[n, ::-1]):
            fail(name, f"image {n} was flipped upside down (along the rows, axis 1); a horizontal flip "
                       "mirrors left and right: reverse the columns, axis 2 of (N, H, W, C)")
        if np.array_equal(flipped[n], images[n, :, :, ::-1]):
            fail(name, f"image {n} has its channels reversed; a horizontal flip reverses the columns "
                       "(axis 2 of (N, H, W, C))")
        fail(name, f"image {n} is neither its input nor the input mirrored left-right")
    return mirrored


def check_random_horizontal_flip(random_horizontal_flip, seed=None):
    """Check ``random_horizontal_flip(images, rng, p=0.5) -> flipped``."""
    name = "random_horizontal_flip"
    rng, seed = fresh_rng(seed)
    num_images = 1000
    images = images_between(rng, (num_images, 5, 6, 3))
    flipped = call_unchanged(name, random_horizontal_flip, images, rng)
    assert_result(name, flipped, images.shape, images.dtype)
    mirrored = _flip_decisions(name, images, flipped)
    if mirrored.all() or not mirrored.any():
        fail(name, f"{'every' if mirrored.all() else 'no'} image of a batch of {num_images} was flipped with "
                   "p=0.5: draw one random decision per image, not one for the whole batch")
    if abs(mirrored.mean() - 0.5) > 0.08:
        fail(name, f"with p=0.5 a fraction {mirrored.mean():.2f} of {num_images} images was flipped; "
                   "each image should be flipped with probability p")

    p = float(rng.uniform(0.15, 0.3))
    mirrored = _flip_decisions(name, images, call_unchanged(name, random_horizontal_flip, images, rng, p=p))
    if abs(mirrored.mean() - p) > 0.07:
        fail(name, f"with p={p:.3f} a fraction {mirrored.mean():.2f} of {num_images} images was flipped: "
                   "p is the probability of flipping (flip where rng.random(N) < p)")

    none = call(name, random_horizontal_flip, images, rng, p=0.0)
    if not np.array_equal(none, images):
        fail(name, "with p=0 no image may change")
    everything = call(name, random_horizontal_flip, images, rng, p=1.0)
    if not np.array_equal(everything, images[:, :, ::-1]):
        fail(name, "with p=1 every image should be mirrored left-right")
    twice = call(name, random_horizontal_flip, everything, rng, p=1.0)
    if not np.array_equal(twice, images):
        fail(name, "flipping twice with p=1 should give back the input (a flip is its own inverse)")

    for dtype in (np.uint8, np.float32):
        typed = (images * 255).astype(dtype)
        result = call_unchanged(name, random_horizontal_flip, typed, rng)
        assert_result(name, result, typed.shape, typed.dtype, f"the result for {np.dtype(dtype).name} images")
        _flip_decisions(name, typed, result)
    passed(name, 7, seed)
