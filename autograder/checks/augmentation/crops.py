"""Hidden checks of 03 Data augmentation: random crops, at one scale and at random scales.

A crop is checked as a window of the zero-padded (or resized) input at a valid offset; over a large
batch the offsets must cover their whole range and differ between images.
"""
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from autograder.checks._common import call, fail, fresh_rng, passed
from autograder.checks.augmentation._shared import call_unchanged, assert_result, images_between
from cs_utils.images import resize_bilinear


# --- random_crop -----------------------------------------------------------------------------

def _window_matches(sources, crops, atol=0.0):
    """Boolean array (N, R, C): crops[n] equals the window of sources[n] at (top, left)."""
    height, width = crops.shape[1:3]
    windows = np.moveaxis(sliding_window_view(sources, (height, width), axis=(1, 2)), 3, -1)
    if atol:
        return np.all(np.abs(windows - crops[:, None, None]) <= atol, axis=(3, 4, 5))
    return np.all(windows == crops[:, None, None], axis=(3, 4, 5))


def _offsets_of(sources, crops):
    """(top, left) of the window of each source that each crop equals, or (None, index of the first
    crop that equals no window)."""
    matches = _window_matches(sources, crops)
    found = matches.reshape(len(crops), -1).any(axis=1)
    if not found.all():
        return None, int(np.flatnonzero(~found)[0])
    first = matches.reshape(len(crops), -1).argmax(axis=1)
    return np.stack(np.unravel_index(first, matches.shape[1:]), axis=1), None


def _check_crop_offsets(name, offsets, max_top, max_left, setting):
    """Offsets cover 0..max in both directions, differ between images and are drawn independently."""
    tops, lefts = offsets[:, 0], offsets[:, 1]
    if len(np.unique(offsets, axis=0)) == 1:
        fail(name, f"every image was cropped at the same offset ({setting}): draw the offset per image")
    for values, largest, what in [(tops, max_top, "top"), (lefts, max_left, "left")]:
        if values.max() != largest:
            fail(name, f"no crop in a batch of {len(offsets)} used the largest valid {what} offset {largest} "
                       f"({setting}): off-by-one in the range? rng.integers(low, high) never returns high")
        if values.min() != 0:
            fail(name, f"no crop used the {what} offset 0 ({setting}): offsets run from 0 to "
                       "padded size - crop size, inclusive")
    if max_top == max_left and np.mean(tops == lefts) > 0.5:
        fail(name, f"the top and left offsets are equal for most images ({setting}): draw them independently")


def check_random_crop(random_crop, seed=None):
    """Check ``random_crop(images, rng, padding=4, crop_size=None) -> crops``."""
    name = "random_crop"
    rng, seed = fresh_rng(seed)
    num_images, height, width = 500, 6, 7
    images = images_between(rng, (num_images, height, width, 2))

    padding = 2
    setting = f"padding={padding}, crop_size=None on {height}x{width} images"
    crops = call_unchanged(name, random_crop, images, rng, padding=padding)
    assert_result(name, crops, images.shape, images.dtype, "the crops with crop_size=None (the input size)")
    padded = np.pad(images, ((0, 0), (padding, padding), (padding, padding), (0, 0)))
    offsets, missing = _offsets_of(padded, crops)
    if offsets is None:
        edge = np.pad(images, ((0, 0), (padding, padding), (padding, padding), (0, 0)), mode="edge")
        reflect = np.pad(images, ((0, 0), (padding, padding), (padding, padding), (0, 0)), mode="reflect")
        if (_offsets_of(edge, crops)[0] is not None
                or _offsets_of(reflect, crops)[0] is not None):
            fail(name, "the crops come from an image padded with copies of its border; pad with zeros")
        fail(name, f"crop {missing} is not a window of its zero-padded image ({setting}); pad every side by "
                   "`padding` zeros (np.pad) and cut the window [top:top+h, left:left+w] of the same image")
    _check_crop_offsets(name, offsets, 2 * padding, 2 * padding, setting)

    crop_size = 4
    setting = f"padding=0, crop_size={crop_size} on {height}x{width} images"
    crops = call_unchanged(name, random_crop, images, rng, padding=0, crop_size=crop_size)
    assert_result(name, crops, (num_images, crop_size, crop_size, 2), images.dtype, f"the crops ({setting})")
    offsets, missing = _offsets_of(images, crops)
    if offsets is None:
        fail(name, f"crop {missing} is not a window of its image ({setting})")
    _check_crop_offsets(name, offsets, height - crop_size, width - crop_size, setting)

    same = call(name, random_crop, images, rng, padding=0)
    if not np.array_equal(same, images):
        fail(name, "with padding=0 and crop_size=None the only window is the image itself")

    for dtype in (np.uint8, np.float32):
        typed = (images[:50] * 255).astype(dtype)
        crops = call_unchanged(name, random_crop, typed, rng, padding=1, crop_size=5)
        assert_result(name, crops, (50, 5, 5, 2), typed.dtype, f"the crops of {np.dtype(dtype).name} images")
        padded = np.pad(typed, ((0, 0), (1, 1), (1, 1), (0, 0)))
        if _offsets_of(padded, crops)[0] is None:
            fail(name, f"the crops of {np.dtype(dtype).name} images are not windows of the padded images")
    passed(name, 6, seed)


# --- random_scale_crop -----------------------------------------------------------------------

def _scaled_sizes(height, width, length):
    """Every (height, width) a correct resize to short side `length` may produce (rounded either way)."""
    short = min(height, width)

    def options(side):
        if side == short:
            return [length]
        exact = side * length / short
        return sorted({int(np.floor(exact)), int(np.ceil(exact))})

    return [(h, w) for h in options(height) for w in options(width)]


def _scale_crop_lengths(name, images, crops, scale_range, setting):
    """Short side L and (top, left) of every crop; fails when a crop matches no resize and window."""
    num_images, height, width, _ = images.shape
    lengths = np.full(num_images, -1)
    tops, lefts, limits = np.zeros(num_images, int), np.zeros(num_images, int), np.zeros((num_images, 2), int)
    atol = 1e-5 if images.dtype == np.float32 else 1e-9
    for length in range(scale_range[0], scale_range[1] + 1):
        for size in _scaled_sizes(height, width, length):
            resized = resize_bilinear(images, *size)
            matches = _window_matches(resized, crops.astype(resized.dtype), atol)
            found = matches.reshape(num_images, -1).any(axis=1) & (lengths < 0)
            first = matches.reshape(num_images, -1).argmax(axis=1)
            top, left = np.unravel_index(first, matches.shape[1:])
            lengths[found], tops[found], lefts[found] = length, top[found], left[found]
            limits[found] = np.array(size) - crops.shape[1]
    if (lengths < 0).any():
        n = int(np.flatnonzero(lengths < 0)[0])
        fail(name, f"crop {n} is not a window of its image resized with resize_bilinear to short side L for "
                   f"any L in {scale_range} ({setting}); resize so that the SHORTER side is L and the other "
                   "side keeps the aspect ratio, then crop")
    return lengths, tops, lefts, limits


def check_random_scale_crop(random_scale_crop, seed=None):
    """Check ``random_scale_crop(images, rng, scale_range, crop_size) -> crops``."""
    name = "random_scale_crop"
    rng, seed = fresh_rng(seed)
    for shape, scale_range, crop_size, dtype in [((300, 6, 9, 3), (6, 9), 5, np.float64),
                                                 ((200, 10, 7, 1), (7, 8), 6, np.float32)]:
        images = images_between(rng, shape, dtype=dtype)
        setting = (f"{shape[1]}x{shape[2]} images, scale_range={scale_range}, crop_size={crop_size}, "
                   f"{np.dtype(dtype).name}")
        crops = call_unchanged(name, random_scale_crop, images, rng, scale_range, crop_size)
        assert_result(name, crops, (shape[0], crop_size, crop_size, shape[3]), images.dtype, f"the crops ({setting})")
        lengths, tops, lefts, limits = _scale_crop_lengths(name, images, crops, scale_range, setting)
        if len(np.unique(lengths)) == 1:
            fail(name, f"every image got the same short side L ({setting}): draw L per image")
        if lengths.max() != scale_range[1] or lengths.min() != scale_range[0]:
            fail(name, f"the short sides L of {shape[0]} images ran from {lengths.min()} to {lengths.max()} "
                       f"({setting}); L should cover scale_range inclusive at both ends: "
                       "rng.integers(low, high) never returns high")
        for values, column, what in [(tops, 0, "top"), (lefts, 1, "left")]:
            if not np.any((values == limits[:, column]) & (limits[:, column] > 0)):
                fail(name, f"no crop used the largest valid {what} offset of its resized image ({setting}): "
                           "off-by-one in the crop range?")
            if not np.any((values == 0) & (limits[:, column] > 0)):
                fail(name, f"no crop used the {what} offset 0 ({setting})")
    passed(name, 2, seed)
