"""Hidden checks of 03 Data augmentation: colour jitter and PCA colour augmentation.

Jitter is checked as one affine change of the pixel values per image, a PCA shift as one colour
per image along the eigenvectors; ``fit_pca_color`` is compared with the reference.
"""
import numpy as np

from autograder.checks._common import assert_unchanged, call, fail, fresh_rng, max_relative_error, passed, snapshot
from autograder.checks.augmentation._shared import call_unchanged, assert_result, images_between
from autograder.reference import augmentation as reference


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
    images = images_between(rng, (num_images, 4, 5, 3), 0.4, 0.6)
    brightness, contrast = float(rng.uniform(0.1, 0.15)), float(rng.uniform(0.25, 0.35))
    setting = f"brightness={brightness:.3f}, contrast={contrast:.3f}"
    jittered = call_unchanged(name, color_jitter, images, rng, brightness=brightness, contrast=contrast)
    assert_result(name, jittered, images.shape, images.dtype)
    factors, offsets = _jitter_parameters(name, images, jittered, setting)
    _check_uniform(name, factors, 1 - contrast, 1 + contrast, "contrast factor", setting)
    _check_uniform(name, offsets, -brightness, brightness, "brightness offset", setting)
    if abs(np.corrcoef(factors, offsets)[0, 1]) > 0.3:
        fail(name, f"the contrast factor and the brightness offset of an image are correlated ({setting}): draw "
                   "them independently")

    # The average of many jittered copies of one image is the image itself.
    copies = np.repeat(images[:1], 3000, axis=0)
    average = call(name, color_jitter, copies, rng, brightness=brightness, contrast=contrast).mean(axis=0)
    deviation = images[0] - images[0].mean()
    spread = np.sqrt(brightness ** 2 / 3 + contrast ** 2 / 3 * deviation ** 2) / np.sqrt(len(copies))
    if np.any(np.abs(average - images[0]) > 5 * spread + 1e-12):
        fail(name, "the average of 3000 jittered copies of one image should be the image itself: "
                   "the factor should average 1 and the offset 0")

    default = call_unchanged(name, color_jitter, images, rng)
    factors, offsets = _jitter_parameters(name, images, default, "default arguments")
    _check_uniform(name, factors, 0.8, 1.2, "contrast factor", "defaults brightness=0.2, contrast=0.2")
    _check_uniform(name, offsets, -0.2, 0.2, "brightness offset", "defaults brightness=0.2, contrast=0.2")

    unchanged = call(name, color_jitter, images, rng, brightness=0.0, contrast=0.0)
    if max_relative_error(unchanged, images) > 1e-9:
        fail(name, "with brightness=0 and contrast=0 the images should not change")

    wide = images_between(rng, (200, 4, 5, 3), 0.0, 1.0, dtype=np.float32)
    clipped = call_unchanged(name, color_jitter, wide, rng, brightness=0.5, contrast=0.5)
    assert_result(name, clipped, wide.shape, wide.dtype, "the result for float32 images")
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
        result = call_unchanged(name, fit_pca_color, images)
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
    images = images_between(rng, (num_images, 3, 4, 3), 0.4, 0.6)
    # Away from 1, so that sigma**2 (the variance) used as the standard deviation shows.
    sigma = float(rng.choice([rng.uniform(0.3, 0.7), rng.uniform(1.4, 1.6)]))
    setting = f"sigma={sigma:.3f}, eigenvalues {np.round(eigvals, 5)}"
    (vals_before, vecs_before) = snapshot(eigvals, eigvecs)
    augmented = call_unchanged(name, pca_color_augment, images, eigvals, eigvecs, rng, sigma=sigma)
    assert_unchanged(name, [("eigvals", vals_before, eigvals), ("eigvecs", vecs_before, eigvecs)])
    assert_result(name, augmented, images.shape, images.dtype)

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

    bright = images_between(rng, (100, 3, 4, 3), 0.9, 1.0, dtype=np.float32)
    clipped = call_unchanged(name, pca_color_augment, bright, eigvals, eigvecs, rng, sigma=5.0)
    assert_result(name, clipped, bright.shape, bright.dtype, "the result for float32 images")
    if clipped.min() < 0 or clipped.max() > 1:
        fail(name, f"the values ranged over [{clipped.min():.3f}, {clipped.max():.3f}]: clip them to [0, 1]")

    gray = images_between(rng, (50, 3, 4, 1), 0.4, 0.6)
    gray_vals, gray_vecs = reference.fit_pca_color(_colour_data(rng, 5, 8, 1))
    assert_result(name, call(name, pca_color_augment, gray, gray_vals, gray_vecs, rng), gray.shape, gray.dtype,
                  "the result for one-channel images")

    # The shifts of the default stay far inside [0, 1] for these images, so none is clipped.
    default = call(name, pca_color_augment, images, eigvals, eigvecs, rng)
    default_stds = (((default - images).mean(axis=(1, 2)) @ eigvecs) / eigvals).std(axis=0)
    if np.any(np.abs(default_stds / 0.1 - 1) > 0.15):
        fail(name, f"without a sigma argument the alphas have standard deviations {np.round(default_stds, 4)}: "
                   "the default sigma=0.1 should be used")
    passed(name, 6, seed)
