"""Hidden checks of 03 Data augmentation.

The student's random functions draw from their own stream of random numbers, so they are never
compared with ours number by number. The checks verify properties instead: a flipped image is
exactly the mirror image of its input, a crop is a window of the zero-padded input at a valid
offset, jitter is one affine change of the pixel values per image, a PCA shift is one colour per
image along the eigenvectors, and so on; over a large batch the drawn parameters must cover
their whole range and differ between images. The deterministic functions (``warp_affine``,
``ten_crop``, ``predict_ten_crop``, ``fit_pca_color``) are compared with the reference.

Dtype policy (``autograder.checks._common``): float32 images that come back float64 with the right
values keep their points and the feedback notes it; integer images must come back in their own
dtype (a float result is not a picture of the same pixels for image tools).
"""
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from autograder.checks._common import (
    assert_unchanged,
    call,
    check_dtype,
    fail,
    fresh_rng,
    max_relative_error,
    passed,
    snapshot,
)
from autograder.reference import augmentation as reference
from cs_utils.images import bilinear_sample, resize_bilinear


def _images(rng, shape, low=0.1, high=1.0, dtype=np.float64):
    return rng.uniform(low, high, size=shape).astype(dtype)


def _result(name, value, shape, dtype, what="the result"):
    """Fail unless value is a numpy array of the given shape and dtype."""
    if not isinstance(value, np.ndarray):
        fail(name, f"{what} should be a numpy array, got {type(value).__name__}")
    if value.shape != tuple(shape):
        fail(name, f"{what} should have shape {tuple(shape)}, got {value.shape}")
    check_dtype(name, value, dtype, what, hint="; convert back with .astype(images.dtype)")
    if value.dtype.kind == "f" and not np.all(np.isfinite(value)):
        fail(name, f"{what} contains NaN or inf")


def _call_unchanged(name, function, images, *args, **kwargs):
    """Call the student's function and fail if it modified the input images."""
    (before,) = snapshot(images)
    result = call(name, function, images, *args, **kwargs)
    assert_unchanged(name, [("images", before, images)])
    return result


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


# --- random_horizontal_flip ------------------------------------------------------------------

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
    images = _images(rng, (num_images, 5, 6, 3))
    flipped = _call_unchanged(name, random_horizontal_flip, images, rng)
    _result(name, flipped, images.shape, images.dtype)
    mirrored = _flip_decisions(name, images, flipped)
    if mirrored.all() or not mirrored.any():
        fail(name, f"{'every' if mirrored.all() else 'no'} image of a batch of {num_images} was flipped with "
                   "p=0.5: draw one random decision per image, not one for the whole batch")
    if abs(mirrored.mean() - 0.5) > 0.08:
        fail(name, f"with p=0.5 a fraction {mirrored.mean():.2f} of {num_images} images was flipped; "
                   "each image should be flipped with probability p")

    p = float(rng.uniform(0.15, 0.3))
    mirrored = _flip_decisions(name, images, _call_unchanged(name, random_horizontal_flip, images, rng, p=p))
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
        result = _call_unchanged(name, random_horizontal_flip, typed, rng)
        _result(name, result, typed.shape, typed.dtype, f"the result for {np.dtype(dtype).name} images")
        _flip_decisions(name, typed, result)
    passed(name, 7, seed)


# --- random_crop -----------------------------------------------------------------------------

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
    images = _images(rng, (num_images, height, width, 2))

    padding = 2
    setting = f"padding={padding}, crop_size=None on {height}x{width} images"
    crops = _call_unchanged(name, random_crop, images, rng, padding=padding)
    _result(name, crops, images.shape, images.dtype, "the crops with crop_size=None (the input size)")
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
    crops = _call_unchanged(name, random_crop, images, rng, padding=0, crop_size=crop_size)
    _result(name, crops, (num_images, crop_size, crop_size, 2), images.dtype, f"the crops ({setting})")
    offsets, missing = _offsets_of(images, crops)
    if offsets is None:
        fail(name, f"crop {missing} is not a window of its image ({setting})")
    _check_crop_offsets(name, offsets, height - crop_size, width - crop_size, setting)

    same = call(name, random_crop, images, rng, padding=0)
    if not np.array_equal(same, images):
        fail(name, "with padding=0 and crop_size=None the only window is the image itself")

    for dtype in (np.uint8, np.float32):
        typed = (images[:50] * 255).astype(dtype)
        crops = _call_unchanged(name, random_crop, typed, rng, padding=1, crop_size=5)
        _result(name, crops, (50, 5, 5, 2), typed.dtype, f"the crops of {np.dtype(dtype).name} images")
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
        images = _images(rng, shape, dtype=dtype)
        setting = (f"{shape[1]}x{shape[2]} images, scale_range={scale_range}, crop_size={crop_size}, "
                   f"{np.dtype(dtype).name}")
        crops = _call_unchanged(name, random_scale_crop, images, rng, scale_range, crop_size)
        _result(name, crops, (shape[0], crop_size, crop_size, shape[3]), images.dtype, f"the crops ({setting})")
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


# --- color_jitter ----------------------------------------------------------------------------

def _jitter_parameters(name, images, jittered, setting):
    """Contrast factor and brightness offset of every image; fails unless out = m + c (x - m) + b."""
    axes = (1, 2, 3)
    x = images.astype(np.float64)
    y = jittered.astype(np.float64)
    x_dev = x - x.mean(axis=axes, keepdims=True)
    y_dev = y - y.mean(axis=axes, keepdims=True)
    factors = np.sum(x_dev * y_dev, axis=axes) / np.sum(x_dev * x_dev, axis=axes)
    residual = np.abs(y_dev - factors[:, None, None, None] * x_dev).max(axis=axes)
    tolerance = 1e-5 if images.dtype == np.float32 else 1e-9
    if (residual > tolerance).any():
        n = int(np.flatnonzero(residual > tolerance)[0])
        fail(name, f"image {n} is not one contrast change and one brightness shift of its input ({setting}): "
                   "use ONE factor c and ONE offset b per image, out = m + c * (x - m) + b, with m the "
                   "mean of that image over all its pixels AND channels (not per channel, not per pixel)")
    offsets = y.mean(axis=axes) - x.mean(axis=axes)
    return factors, offsets


def _check_uniform(name, values, low, high, what, setting):
    """Values of a uniform draw on [low, high] over a large batch: in range, spread out, centred."""
    width = high - low
    slack = 1e-6 * max(1.0, abs(high))
    if values.min() < low - slack or values.max() > high + slack:
        fail(name, f"the {what} ranged over [{values.min():.4f}, {values.max():.4f}], outside "
                   f"[{low:.4f}, {high:.4f}] ({setting})")
    if np.ptp(values) < 1e-9 * max(1.0, width):
        fail(name, f"every image got the same {what} ({setting}): draw it per image")
    if np.ptp(values) < 0.8 * width:
        fail(name, f"the {what} of {len(values)} images only covered [{values.min():.4f}, {values.max():.4f}]; "
                   f"it should be uniform on [{low:.4f}, {high:.4f}] ({setting})")
    if abs(values.mean() - (low + high) / 2) > 5 * width / np.sqrt(12 * len(values)):
        fail(name, f"the {what} averaged {values.mean():.4f} over {len(values)} images, expected "
                   f"{(low + high) / 2:.4f} ({setting}): draw it uniformly on [{low:.4f}, {high:.4f}]")


def check_color_jitter(color_jitter, seed=None):
    """Check ``color_jitter(images, rng, brightness=0.2, contrast=0.2) -> jittered``."""
    name = "color_jitter"
    rng, seed = fresh_rng(seed)
    num_images = 600
    images = _images(rng, (num_images, 4, 5, 3), 0.4, 0.6)
    brightness, contrast = float(rng.uniform(0.1, 0.15)), float(rng.uniform(0.25, 0.35))
    setting = f"brightness={brightness:.3f}, contrast={contrast:.3f}"
    jittered = _call_unchanged(name, color_jitter, images, rng, brightness=brightness, contrast=contrast)
    _result(name, jittered, images.shape, images.dtype)
    factors, offsets = _jitter_parameters(name, images, jittered, setting)
    _check_uniform(name, factors, 1 - contrast, 1 + contrast, "contrast factor", setting)
    _check_uniform(name, offsets, -brightness, brightness, "brightness offset", setting)

    # The average of many jittered copies of one image is the image itself.
    copies = np.repeat(images[:1], 3000, axis=0)
    average = call(name, color_jitter, copies, rng, brightness=brightness, contrast=contrast).mean(axis=0)
    deviation = images[0] - images[0].mean()
    spread = np.sqrt(brightness ** 2 / 3 + contrast ** 2 / 3 * deviation ** 2) / np.sqrt(len(copies))
    if np.any(np.abs(average - images[0]) > 5 * spread + 1e-12):
        fail(name, "the average of 3000 jittered copies of one image should be the image itself: "
                   "the factor should average 1 and the offset 0")

    default = _call_unchanged(name, color_jitter, images, rng)
    factors, offsets = _jitter_parameters(name, images, default, "default arguments")
    _check_uniform(name, factors, 0.8, 1.2, "contrast factor", "defaults brightness=0.2, contrast=0.2")
    _check_uniform(name, offsets, -0.2, 0.2, "brightness offset", "defaults brightness=0.2, contrast=0.2")

    unchanged = call(name, color_jitter, images, rng, brightness=0.0, contrast=0.0)
    if max_relative_error(unchanged, images) > 1e-9:
        fail(name, "with brightness=0 and contrast=0 the images should not change")

    wide = _images(rng, (200, 4, 5, 3), 0.0, 1.0, dtype=np.float32)
    clipped = _call_unchanged(name, color_jitter, wide, rng, brightness=0.5, contrast=0.5)
    _result(name, clipped, wide.shape, wide.dtype, "the result for float32 images")
    if clipped.min() < 0 or clipped.max() > 1:
        fail(name, f"the values ranged over [{clipped.min():.3f}, {clipped.max():.3f}]: clip them to [0, 1] "
                   "(np.clip) so the images stay valid")
    passed(name, 6, seed)


# --- fit_pca_color ---------------------------------------------------------------------------

def _colour_data(rng, num_images, size, channels):
    """Images whose pixel colours have a known covariance with well separated eigenvalues."""
    stds = np.sort(rng.uniform(0.02, 0.25, size=channels))[::-1] * np.geomspace(1.0, 0.3, channels)
    basis, _ = np.linalg.qr(rng.normal(size=(channels, channels)))
    colours = rng.normal(size=(num_images, size, size, channels)) * stds @ basis.T
    return 0.5 + colours + rng.uniform(-0.1, 0.1, size=channels)


def check_fit_pca_color(fit_pca_color, seed=None):
    """Check ``fit_pca_color(images) -> (eigvals, eigvecs)``."""
    name = "fit_pca_color"
    rng, seed = fresh_rng(seed)
    for channels, dtype in [(3, np.float64), (2, np.float32), (1, np.float64)]:
        images = _colour_data(rng, 40, 16, channels).astype(dtype)
        setting = f"{channels} channel(s), {np.dtype(dtype).name}"
        result = _call_unchanged(name, fit_pca_color, images)
        if not (isinstance(result, tuple) and len(result) == 2):
            fail(name, "should return a tuple (eigvals, eigvecs)")
        eigvals, eigvecs = (np.asarray(value, dtype=np.float64) for value in result)
        if eigvals.shape != (channels,) or eigvecs.shape != (channels, channels):
            fail(name, f"eigvals should have shape ({channels},) and eigvecs ({channels}, {channels}) for "
                       f"{setting}; got {eigvals.shape} and {eigvecs.shape}")
        expected_vals, expected_vecs = reference.fit_pca_color(images)
        if channels > 1 and np.all(np.diff(eigvals) > 0):
            fail(name, "the eigenvalues should be sorted from the largest to the smallest (np.linalg.eigh "
                       "returns them in increasing order)")
        if max_relative_error(eigvals, expected_vals) > 2e-3:
            uncentred = images.reshape(-1, channels).astype(np.float64)
            if max_relative_error(np.sort(eigvals)[::-1],
                                  np.sort(np.linalg.eigvalsh(uncentred.T @ uncentred / len(uncentred)))[::-1]) < 1e-2:
                fail(name, "the eigenvalues are those of the raw second moments: subtract the mean colour "
                           "from every pixel before computing the covariance")
            fail(name, f"the eigenvalues {np.round(eigvals, 6)} differ from those of the covariance of all "
                       f"pixel colours, {np.round(expected_vals, 6)} ({setting}): reshape to (N*H*W, C), "
                       "subtract the mean colour, covariance = X^T X / (number of pixels)")
        alignment = np.abs(np.sum(eigvecs * expected_vecs, axis=0))
        if np.any(np.abs(alignment - 1) > 1e-3):
            if np.all(np.abs(np.abs(np.sum(eigvecs.T * expected_vecs, axis=0)) - 1) < 1e-3):
                fail(name, "the eigenvectors are the rows of eigvecs; they should be its COLUMNS "
                           "(eigvecs[:, i] belongs to eigvals[i])")
            fail(name, f"eigvecs[:, i] should be the unit eigenvector of eigenvalue eigvals[i] ({setting})")
    passed(name, 3, seed)


# --- pca_color_augment -----------------------------------------------------------------------

def check_pca_color_augment(pca_color_augment, seed=None):
    """Check ``pca_color_augment(images, eigvals, eigvecs, rng, sigma=0.1) -> augmented``."""
    name = "pca_color_augment"
    rng, seed = fresh_rng(seed)
    eigvals, eigvecs = reference.fit_pca_color(_colour_data(rng, 20, 16, 3))
    num_images = 1500
    images = _images(rng, (num_images, 3, 4, 3), 0.4, 0.6)
    # Away from 1, so that sigma**2 (the variance) used as the standard deviation shows.
    sigma = float(rng.choice([rng.uniform(0.3, 0.7), rng.uniform(1.4, 1.6)]))
    setting = f"sigma={sigma:.3f}, eigenvalues {np.round(eigvals, 5)}"
    (vals_before, vecs_before) = snapshot(eigvals, eigvecs)
    augmented = _call_unchanged(name, pca_color_augment, images, eigvals, eigvecs, rng, sigma=sigma)
    assert_unchanged(name, [("eigvals", vals_before, eigvals), ("eigvecs", vecs_before, eigvecs)])
    _result(name, augmented, images.shape, images.dtype)

    shifts = augmented - images
    inside = np.all((augmented > 0) & (augmented < 1), axis=(1, 2, 3))
    if inside.mean() < 0.5:
        fail(name, f"most images were pushed out of [0, 1] ({setting}): the shifts are far too large; "
                   "multiply each alpha_i by its eigenvalue")
    per_image = shifts.mean(axis=(1, 2))
    spread = np.abs(shifts - per_image[:, None, None, :]).max(axis=(1, 2, 3))
    if np.any(spread[inside] > 1e-9):
        fail(name, "the colour shift differs between the pixels of one image: draw alpha once per image "
                   "and add the same RGB shift to every pixel of that image")
    alphas = (per_image[inside] @ eigvecs) / eigvals
    if np.ptp(alphas[:, 0]) < 1e-12:
        fail(name, "every image got the same colour shift: draw alpha per image")
    if alphas.shape[1] > 1 and abs(np.corrcoef(alphas[:, 0], alphas[:, 1])[0, 1]) > 0.3:
        fail(name, "the shifts along different eigenvectors are correlated: draw an independent alpha_i "
                   "for every eigenvector, and take the eigenvectors from the columns of eigvecs")
    stds = alphas.std(axis=0)
    if np.all(np.abs(stds / sigma**2 - 1) <= 0.15):
        fail(name, f"the alphas have standard deviation sigma**2 = {sigma**2:.4f}, expected sigma={sigma:.4f} "
                   f"({setting}): rng.normal(0, sigma) takes the standard deviation, not the variance")
    if np.any(np.abs(stds / sigma - 1) > 0.15):
        fail(name, f"expressed in the eigenvector basis and divided by the eigenvalues, the shifts have "
                   f"standard deviations {np.round(stds, 4)}, expected sigma={sigma:.4f} for every component "
                   f"({setting}): the shift is sum_i alpha_i * eigvals[i] * eigvecs[:, i] with "
                   "alpha_i ~ N(0, sigma^2); the eigenvectors are the columns, and alpha multiplies the "
                   "eigenvalue itself (not its square root)")
    if np.any(np.abs(alphas.mean(axis=0)) > 5 * sigma / np.sqrt(len(alphas))):
        fail(name, "the shifts should average zero: alpha ~ N(0, sigma^2)")

    unchanged = call(name, pca_color_augment, images, eigvals, eigvecs, rng, sigma=0.0)
    if max_relative_error(unchanged, images) > 1e-12:
        fail(name, "with sigma=0 the images should not change")

    bright = _images(rng, (100, 3, 4, 3), 0.9, 1.0, dtype=np.float32)
    clipped = _call_unchanged(name, pca_color_augment, bright, eigvals, eigvecs, rng, sigma=5.0)
    _result(name, clipped, bright.shape, bright.dtype, "the result for float32 images")
    if clipped.min() < 0 or clipped.max() > 1:
        fail(name, f"the values ranged over [{clipped.min():.3f}, {clipped.max():.3f}]: clip them to [0, 1]")

    gray = _images(rng, (50, 3, 4, 1), 0.4, 0.6)
    gray_vals, gray_vecs = reference.fit_pca_color(_colour_data(rng, 5, 8, 1))
    _result(name, call(name, pca_color_augment, gray, gray_vals, gray_vecs, rng), gray.shape, gray.dtype,
            "the result for one-channel images")
    passed(name, 5, seed)


# --- warp_affine -----------------------------------------------------------------------------

def _variant_warp(images, matrices, inverse=True, centred=True):
    """The reference warp, or a typical misreading of it, for diagnosis."""
    num_images, height, width, _ = images.shape
    centre = np.array([(height - 1) / 2, (width - 1) / 2]) if centred else np.zeros(2)
    linear, translation = matrices[:, :, :2], matrices[:, :, 2]
    rows, cols = np.meshgrid(np.arange(height), np.arange(width), indexing="ij")
    targets = np.stack([rows, cols], axis=-1).reshape(-1, 2) - centre
    if inverse:
        sources = np.einsum("nij,npj->npi", np.linalg.inv(linear), targets[None] - translation[:, None, :])
    else:
        sources = np.einsum("nij,npj->npi", linear, targets[None]) + translation[:, None, :]
    sources = (sources + centre).reshape(num_images, height, width, 2)
    return bilinear_sample(images, sources[..., 0], sources[..., 1])


def _random_matrices(rng, num_images):
    angles = rng.uniform(-0.5, 0.5, num_images)
    cos, sin = np.cos(angles), np.sin(angles)
    linear = np.stack([np.stack([cos, -sin], -1), np.stack([sin, cos], -1)], axis=1)
    linear = linear @ (np.eye(2) + rng.uniform(-0.2, 0.2, size=(num_images, 2, 2)))
    translation = rng.uniform(-1.5, 1.5, size=(num_images, 2, 1))
    return np.concatenate([linear, translation], axis=2)


def check_warp_affine(warp_affine, seed=None):
    """Check ``warp_affine(images, matrices) -> warped``."""
    name = "warp_affine"
    rng, seed = fresh_rng(seed)
    num_images, height, width = 4, 7, 9
    images = _images(rng, (num_images, height, width, 2))

    identity = np.tile(np.hstack([np.eye(2), np.zeros((2, 1))]), (num_images, 1, 1))
    warped = _call_unchanged(name, warp_affine, images, identity)
    _result(name, warped, images.shape, images.dtype)
    if max_relative_error(warped, images) > 1e-10:
        fail(name, "the identity matrices [[1, 0, 0], [0, 1, 0]] should return the input unchanged")

    shift = (1, -2)
    translation = identity.copy()
    translation[:, :, 2] = shift
    (matrices_before,) = snapshot(translation)
    warped = _call_unchanged(name, warp_affine, images, translation)
    assert_unchanged(name, [("matrices", matrices_before, translation)])
    expected = np.zeros_like(images)
    expected[:, 1:, :-2] = images[:, :-1, 2:]
    if max_relative_error(warped, expected) > 1e-10:
        backwards = np.zeros_like(images)
        backwards[:, :-1, 2:] = images[:, 1:, :-2]
        if max_relative_error(warped, backwards) < 1e-8:
            fail(name, f"a translation by t = {shift} (rows, cols) moved the content by {(-shift[0], -shift[1])}: "
                       "the matrix maps input to output positions, so read every output pixel p from the "
                       "input at the INVERSE map A^-1 (p - t) (inverse mapping), not at A p + t")
        swapped = np.zeros_like(images)
        swapped[:, :-2, 1:] = images[:, 2:, :-1]
        if max_relative_error(warped, swapped) < 1e-8:
            fail(name, "rows and columns are swapped: the matrices act on (row, col) positions")
        fail(name, f"a translation by t = {shift} (rows, cols) should move the content down by 1 pixel and "
                   "left by 2, filling the uncovered pixels with zeros")

    matrices = _random_matrices(rng, num_images)
    warped = _call_unchanged(name, warp_affine, images, matrices)
    expected = reference.warp_affine(images, matrices)
    if np.abs(warped - expected).max() > 1e-8:
        if np.abs(warped - _variant_warp(images, matrices, inverse=False)).max() < 1e-8:
            fail(name, "the output samples the input at A p + t (forward mapping); read every output pixel p "
                       "from the input at the inverse map A^-1 (p - t)")
        if np.abs(warped - _variant_warp(images, matrices, centred=False)).max() < 1e-8:
            fail(name, "the transformation acts about the top-left pixel; positions are measured from the "
                       "image centre ((H - 1) / 2, (W - 1) / 2)")
        same = np.abs(warped - reference.warp_affine(images, np.repeat(matrices[:1], num_images, 0))).max()
        if same < 1e-8:
            fail(name, "every image was warped with the first matrix; image n uses matrices[n]")
        fail(name, "a general affine map (rotation, shear, stretch and translation) gives a different result "
                   f"than expected (max abs error {np.abs(warped - expected).max():.2e}); sample with "
                   "bilinear_sample at the positions A^-1 (p - t) measured from the image centre")

    single = images.astype(np.float32)
    warped = _call_unchanged(name, warp_affine, single, matrices)
    _result(name, warped, single.shape, single.dtype, "the result for float32 images")
    if np.abs(warped - expected).max() > 1e-5:
        fail(name, "the result for float32 images differs from the float64 one")
    passed(name, 4, seed)


# --- random_affine ---------------------------------------------------------------------------

def _affine_result(name, result, images, setting):
    if not (isinstance(result, tuple) and len(result) == 2):
        fail(name, "should return a tuple (warped, matrices)")
    warped, matrices = result
    _result(name, warped, images.shape, images.dtype, "warped")
    if not isinstance(matrices, np.ndarray) or matrices.shape != (len(images), 2, 3):
        fail(name, f"matrices should be a numpy array of shape ({len(images)}, 2, 3), "
                   f"got {getattr(matrices, 'shape', type(matrices).__name__)}")
    matrices = matrices.astype(np.float64)
    tolerance = 1e-5 if images.dtype == np.float32 else 1e-8
    if np.abs(warped - reference.warp_affine(images.astype(np.float64), matrices)).max() > tolerance:
        fail(name, f"the warped images are not warp_affine(images, matrices) of the returned matrices ({setting})")
    return matrices


def check_random_affine(random_affine, seed=None):
    """Check ``random_affine(images, rng, max_translation=0.1, max_rotation=15.0, max_shear=0.2,
    max_stretch=0.1) -> (warped, matrices)``."""
    name = "random_affine"
    rng, seed = fresh_rng(seed)
    num_images, height, width = 300, 6, 12
    images = _images(rng, (num_images, height, width, 1))
    nothing = dict(max_translation=0.0, max_rotation=0.0, max_shear=0.0, max_stretch=0.0)

    def run(setting, **kwargs):
        return _affine_result(name, _call_unchanged(name, random_affine, images, rng, **{**nothing, **kwargs}),
                              images, setting)

    matrices = run("every range 0")
    if not np.allclose(matrices, np.hstack([np.eye(2), np.zeros((2, 1))])):
        fail(name, "with every range 0 the matrices should be the identity [[1, 0, 0], [0, 1, 0]]")

    max_rotation = float(rng.uniform(15, 30))
    setting = f"rotation only, max_rotation={max_rotation:.1f} degrees"
    matrices = run(setting, max_rotation=max_rotation)
    linear = matrices[:, :, :2]
    if not (np.allclose(linear @ np.transpose(linear, (0, 2, 1)), np.eye(2), atol=1e-9)
            and np.allclose(np.linalg.det(linear), 1) and np.allclose(matrices[:, :, 2], 0)):
        fail(name, f"with {setting} every matrix should be a pure rotation [[cos, -sin], [sin, cos]] "
                   "with zero translation")
    angles = np.degrees(np.arctan2(linear[:, 1, 0], linear[:, 0, 0]))
    _check_spread(name, angles, max_rotation, "rotation angle (degrees)", setting,
                  " (np.deg2rad converts the degrees drawn to the radians cos and sin expect)")

    max_translation = float(rng.uniform(0.15, 0.3))
    setting = f"translation only, max_translation={max_translation:.3f} on {height}x{width} images"
    matrices = run(setting, max_translation=max_translation)
    if not np.allclose(matrices[:, :, :2], np.eye(2)):
        fail(name, f"with {setting} the linear part of every matrix should be the identity")
    for axis, size, what in [(0, height, "row translation (pixels)"), (1, width, "column translation (pixels)")]:
        _check_spread(name, matrices[:, axis, 2], max_translation * size, what, setting,
                      " (max_translation is a fraction of the height for rows and of the width for columns)")
    if abs(np.corrcoef(matrices[:, 0, 2], matrices[:, 1, 2])[0, 1]) > 0.5:
        fail(name, f"the row and column translations are correlated ({setting}): draw them independently")

    max_shear = float(rng.uniform(0.2, 0.4))
    setting = f"shear only, max_shear={max_shear:.3f}"
    linear = run(setting, max_shear=max_shear)[:, :, :2]
    off_diagonal = np.stack([linear[:, 0, 1], linear[:, 1, 0]], axis=1)
    if not (np.allclose(np.diagonal(linear, axis1=1, axis2=2), 1)
            and np.allclose(np.min(np.abs(off_diagonal), axis=1), 0)):
        fail(name, f"with {setting} every matrix should be a shear [[1, 0], [s, 1]]")
    _check_spread(name, off_diagonal[np.arange(len(off_diagonal)), np.argmax(np.abs(off_diagonal), axis=1)],
                  max_shear, "shear factor", setting)

    max_stretch = float(rng.uniform(0.15, 0.3))
    setting = f"stretch only, max_stretch={max_stretch:.3f}"
    linear = run(setting, max_stretch=max_stretch)[:, :, :2]
    if not np.allclose(linear[:, [0, 1], [1, 0]], 0):
        fail(name, f"with {setting} every matrix should be diagonal [[s_row, 0], [0, s_col]]")
    factors = np.stack([linear[:, 0, 0], linear[:, 1, 1]], axis=1)
    _check_spread(name, factors.ravel() - 1, max_stretch, "stretch factor - 1", setting)
    if np.allclose(factors[:, 0], factors[:, 1]):
        fail(name, f"the row and column stretch factors are always equal ({setting}): draw them independently")

    matrices = _affine_result(name, _call_unchanged(name, random_affine, images, rng), images, "default arguments")
    determinants = np.linalg.det(matrices[:, :, :2])
    if determinants.min() < 0.9 ** 2 - 1e-9 or determinants.max() > 1.1 ** 2 + 1e-9:
        fail(name, "with the defaults (max_stretch=0.1) the area scale det(A) should stay within [0.81, 1.21]")
    _affine_result(name, call(name, random_affine, images[:20].astype(np.float32), rng), images[:20].astype(np.float32),
                   "float32 images")
    passed(name, 7, seed)


def _check_spread(name, values, largest, what, setting, hint=""):
    """Values of a symmetric uniform draw on [-largest, largest]: bounded, per image, covering the
    range on both sides of zero."""
    magnitudes = np.abs(values)
    if magnitudes.max() > largest * (1 + 1e-6) + 1e-9:
        fail(name, f"the {what} reached {magnitudes.max():.4f}, beyond the maximum {largest:.4f} ({setting}){hint}")
    if np.ptp(magnitudes) < 1e-9 * max(1.0, largest):
        fail(name, f"every image got the same {what} ({setting}): draw it per image")
    if magnitudes.max() < 0.8 * largest:
        fail(name, f"the {what} of {len(magnitudes)} images never exceeded {magnitudes.max():.4f}; it should be "
                   f"uniform on [-{largest:.4f}, {largest:.4f}] ({setting}){hint}")
    for side, extreme in (("negative", values.min()), ("positive", values.max())):
        if abs(extreme) < 0.5 * largest or (side == "negative") != (extreme < 0):
            fail(name, f"the {what} of {len(values)} images ranged over [{values.min():.4f}, {values.max():.4f}]: "
                       f"it is never clearly {side}, but it should be uniform on [-{largest:.4f}, {largest:.4f}] "
                       f"({setting}){hint}")


# --- ten_crop --------------------------------------------------------------------------------

TEN_CROP_NAMES = ["top-left", "top-right", "bottom-left", "bottom-right", "centre"]


def _describe_crop(images, crop, crop_size):
    """Which window (and orientation) of images a crop (N, h, w, C) is, as words."""
    _, height, width, _ = images.shape
    for top in range(height - crop_size + 1):
        for left in range(width - crop_size + 1):
            window = images[:, top:top + crop_size, left:left + crop_size]
            if np.array_equal(crop, window):
                return f"the window at (top, left) = ({top}, {left})"
            if np.array_equal(crop, window[:, :, ::-1]):
                return f"the mirrored window at (top, left) = ({top}, {left})"
            if np.array_equal(crop, window[:, ::-1]):
                return f"the window at ({top}, {left}) flipped upside down"
    return "no window of the image"


def check_ten_crop(ten_crop, seed=None):
    """Check ``ten_crop(images, crop_size) -> crops`` of shape (N, 10, crop_size, crop_size, C)."""
    name = "ten_crop"
    rng, seed = fresh_rng(seed)
    for shape, crop_size, dtype in [((3, 7, 9, 2), 4, np.float64), ((2, 8, 8, 3), 5, np.uint8),
                                    ((2, 6, 5, 1), 5, np.float32)]:
        images = _images(rng, shape, dtype=np.float64)
        images = (images * 255).astype(dtype) if dtype == np.uint8 else images.astype(dtype)
        crops = _call_unchanged(name, ten_crop, images, crop_size)
        _result(name, crops, (shape[0], 10, crop_size, crop_size, shape[3]), images.dtype,
                f"the crops of {shape[1]}x{shape[2]} images")
        expected = reference.ten_crop(images, crop_size)
        offsets = reference.ten_crop_offsets(shape[1], shape[2], crop_size, crop_size)
        for k in range(10):
            if not np.array_equal(crops[:, k], expected[:, k]):
                top, left = offsets[k % 5]
                wanted = f"the {TEN_CROP_NAMES[k % 5]} window at (top, left) = ({top}, {left})"
                if k >= 5:
                    wanted = f"the mirror image (columns reversed) of {wanted}"
                fail(name, f"crops[:, {k}] of {shape[1]}x{shape[2]} images with crop_size={crop_size} should be "
                           f"{wanted}, got {_describe_crop(images, crops[:, k], crop_size)}; the centre window "
                           "starts at ((H - crop_size) // 2, (W - crop_size) // 2)")
    passed(name, 3, seed)


# --- predict_ten_crop ------------------------------------------------------------------------

def _linear_softmax(rng, crop_shape, num_classes):
    """A fixed linear classifier of crops returning probabilities, recording the shapes it was called with."""
    weights = rng.normal(scale=3.0, size=(int(np.prod(crop_shape)), num_classes))

    def predict_proba(X):
        predict_proba.shapes.append(np.shape(X))
        if tuple(np.shape(X)[1:]) != tuple(crop_shape):
            raise ValueError(f"predict_proba takes a batch of crops of shape (M, {', '.join(map(str, crop_shape))}), "
                             f"got {np.shape(X)}: call it on the crops")
        scores = np.asarray(X, dtype=np.float64).reshape(len(X), -1) @ weights
        scores -= scores.max(axis=1, keepdims=True)
        exp = np.exp(scores)
        return exp / exp.sum(axis=1, keepdims=True)

    predict_proba.shapes = []
    return predict_proba


def check_predict_ten_crop(predict_ten_crop, seed=None):
    """Check ``predict_ten_crop(predict_proba, images, crop_size) -> probabilities`` (N, K)."""
    name = "predict_ten_crop"
    rng, seed = fresh_rng(seed)
    num_images, height, width, channels, crop_size, num_classes = 6, 7, 8, 2, 5, 4
    images = _images(rng, (num_images, height, width, channels))
    predict_proba = _linear_softmax(rng, (crop_size, crop_size, channels), num_classes)
    probabilities = _call_unchanged(name, predict_ten_crop, predict_proba, images, crop_size)
    if not isinstance(probabilities, np.ndarray) or probabilities.shape != (num_images, num_classes):
        fail(name, f"should return an array of shape (N, K) = ({num_images}, {num_classes}), "
                   f"got {getattr(probabilities, 'shape', type(probabilities).__name__)}")
    if sum(shape[0] for shape in predict_proba.shapes) != 10 * num_images:
        fail(name, f"predict_proba should see all 10 crops of each of the {num_images} images "
                   f"({10 * num_images} crops), saw {sum(shape[0] for shape in predict_proba.shapes)}")
    expected = reference.predict_ten_crop(predict_proba, images, crop_size)
    if max_relative_error(probabilities, expected) > 1e-9:
        crops = reference.ten_crop(images, crop_size)
        per_crop = predict_proba(crops.reshape(-1, crop_size, crop_size, channels))
        per_image = per_crop.reshape(num_images, 10, -1)
        if any(max_relative_error(probabilities, per_image[:, k]) < 1e-9 for k in range(10)):
            fail(name, "the result uses a single crop; average the probabilities of all 10 crops")
        mixed = per_crop.reshape(10, num_images, -1).mean(axis=0)
        if max_relative_error(probabilities, mixed) < 1e-9:
            fail(name, "the probabilities of one image are averaged with those of crops of other images: "
                       "ten_crop gives (N, 10, ...), so reshape the predictions to (N, 10, K) before averaging")
        fail(name, "the result should be the mean over the 10 crops of predict_proba (average the "
                   "probabilities, not the predicted labels or the log-probabilities)")
    if not np.allclose(probabilities.sum(axis=1), 1):
        fail(name, "every row should sum to 1 (an average of probability vectors)")
    passed(name, 4, seed)
