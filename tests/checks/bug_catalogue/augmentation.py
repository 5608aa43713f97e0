"""Typical student bugs in 03 Data augmentation, and correct formulations that differ from the reference.

``BUGS`` maps a bug name to (exercise, implementation, words the failure message should contain).
``NEAR_MISSES``, in the same form, holds wrong answers close to right, at least one per exercise, so
that a loosened tolerance or a skipped sub-check of the checks makes a test fail.
``EQUIVALENTS`` maps a name to (exercise, implementation) of a correct alternative.
``DTYPE_SLIPS`` maps a name to (exercise, implementation, words of the note) of a correct answer
whose result for float32 inputs comes back float64: it keeps the points, and the note names it.
"""
import numpy as np

from autograder.reference import augmentation as reference
from cs_utils.images import bilinear_sample, resize_bilinear

# --- random_horizontal_flip ------------------------------------------------------------------


def flip_vertical(images, rng, p=0.5):
    flip = rng.random(len(images)) < p
    flipped = images.copy()
    flipped[flip] = images[flip, ::-1]
    return flipped


def flip_one_coin_for_the_batch(images, rng, p=0.5):
    return images[:, :, ::-1].copy() if rng.random() < p else images.copy()


def flip_probability_inverted(images, rng, p=0.5):
    flip = rng.random(len(images)) > p
    flipped = images.copy()
    flipped[flip] = images[flip, :, ::-1]
    return flipped


def flip_in_place(images, rng, p=0.5):
    flip = rng.random(len(images)) < p
    images[flip] = images[flip, :, ::-1]
    return images


# --- random_crop -----------------------------------------------------------------------------

def _crop_windows(padded, tops, lefts, height, width):
    rows = tops[:, None] + np.arange(height)
    cols = lefts[:, None] + np.arange(width)
    return padded[np.arange(len(padded))[:, None, None], rows[:, :, None], cols[:, None, :]]


def _crop_size(images, crop_size):
    return images.shape[1:3] if crop_size is None else (crop_size, crop_size)


def crop_exclusive_range(images, rng, padding=4, crop_size=None):
    height, width = _crop_size(images, crop_size)
    padded = np.pad(images, ((0, 0), (padding, padding), (padding, padding), (0, 0)))
    tops = rng.integers(0, padded.shape[1] - height, size=len(images))
    lefts = rng.integers(0, padded.shape[2] - width, size=len(images))
    return _crop_windows(padded, tops, lefts, height, width)


def crop_one_offset_for_the_batch(images, rng, padding=4, crop_size=None):
    height, width = _crop_size(images, crop_size)
    padded = np.pad(images, ((0, 0), (padding, padding), (padding, padding), (0, 0)))
    top = rng.integers(0, padded.shape[1] - height + 1)
    left = rng.integers(0, padded.shape[2] - width + 1)
    return padded[:, top:top + height, left:left + width]


def crop_edge_padding(images, rng, padding=4, crop_size=None):
    height, width = _crop_size(images, crop_size)
    padded = np.pad(images, ((0, 0), (padding, padding), (padding, padding), (0, 0)), mode="edge")
    tops = rng.integers(0, padded.shape[1] - height + 1, size=len(images))
    lefts = rng.integers(0, padded.shape[2] - width + 1, size=len(images))
    return _crop_windows(padded, tops, lefts, height, width)


def crop_same_offset_both_axes(images, rng, padding=4, crop_size=None):
    height, width = _crop_size(images, crop_size)
    padded = np.pad(images, ((0, 0), (padding, padding), (padding, padding), (0, 0)))
    limit = min(padded.shape[1] - height, padded.shape[2] - width)
    offsets = rng.integers(0, limit + 1, size=len(images))
    return _crop_windows(padded, offsets, offsets, height, width)


# --- random_scale_crop -----------------------------------------------------------------------

def scale_crop_exclusive_range(images, rng, scale_range, crop_size):
    lengths = rng.integers(scale_range[0], scale_range[1], size=len(images))
    return _scale_crops(images, rng, lengths, crop_size, reference.scaled_size)


def scale_crop_square_resize(images, rng, scale_range, crop_size):
    lengths = rng.integers(scale_range[0], scale_range[1] + 1, size=len(images))
    return _scale_crops(images, rng, lengths, crop_size, lambda height, width, length: (length, length))


def scale_crop_crops_before_resizing(images, rng, scale_range, crop_size):
    short = min(images.shape[1:3])
    crops = np.empty((len(images), crop_size, crop_size, images.shape[3]), dtype=images.dtype)
    for n, length in enumerate(rng.integers(scale_range[0], scale_range[1] + 1, size=len(images))):
        window = reference.random_crop(images[n:n + 1], rng, padding=0, crop_size=round(crop_size * short / length))
        crops[n] = resize_bilinear(window, crop_size, crop_size)[0]
    return crops


def scale_crop_one_length(images, rng, scale_range, crop_size):
    lengths = np.full(len(images), rng.integers(scale_range[0], scale_range[1] + 1))
    return _scale_crops(images, rng, lengths, crop_size, reference.scaled_size)


def _scale_crops(images, rng, lengths, crop_size, size_of):
    crops = np.empty((len(images), crop_size, crop_size, images.shape[3]), dtype=images.dtype)
    for n, length in enumerate(lengths):
        resized = resize_bilinear(images[n:n + 1], *size_of(images.shape[1], images.shape[2], length))
        crops[n] = reference.random_crop(resized, rng, padding=0, crop_size=crop_size)[0]
    return crops


# --- color_jitter ----------------------------------------------------------------------------

def jitter_per_channel_mean(images, rng, brightness=0.2, contrast=0.2):
    shape = (len(images), 1, 1, 1)
    factor = rng.uniform(1 - contrast, 1 + contrast, size=shape)
    offset = rng.uniform(-brightness, brightness, size=shape)
    mean = images.mean(axis=(1, 2), keepdims=True)
    return np.clip(mean + factor * (images - mean) + offset, 0, 1).astype(images.dtype)


def jitter_multiplicative_brightness(images, rng, brightness=0.2, contrast=0.2):
    shape = (len(images), 1, 1, 1)
    factor = rng.uniform(1 - contrast, 1 + contrast, size=shape)
    scale = rng.uniform(1 - brightness, 1 + brightness, size=shape)
    mean = images.mean(axis=(1, 2, 3), keepdims=True)
    return np.clip((mean + factor * (images - mean)) * scale, 0, 1).astype(images.dtype)


def jitter_without_clipping(images, rng, brightness=0.2, contrast=0.2):
    shape = (len(images), 1, 1, 1)
    factor = rng.uniform(1 - contrast, 1 + contrast, size=shape)
    offset = rng.uniform(-brightness, brightness, size=shape)
    mean = images.mean(axis=(1, 2, 3), keepdims=True)
    return (mean + factor * (images - mean) + offset).astype(images.dtype)


def jitter_one_draw_for_the_batch(images, rng, brightness=0.2, contrast=0.2):
    factor = rng.uniform(1 - contrast, 1 + contrast)
    offset = rng.uniform(-brightness, brightness)
    mean = images.mean(axis=(1, 2, 3), keepdims=True)
    return np.clip(mean + factor * (images - mean) + offset, 0, 1).astype(images.dtype)


def jitter_brightness_per_pixel(images, rng, brightness=0.2, contrast=0.2):
    factor = rng.uniform(1 - contrast, 1 + contrast, size=(len(images), 1, 1, 1))
    offset = rng.uniform(-brightness, brightness, size=images.shape)
    mean = images.mean(axis=(1, 2, 3), keepdims=True)
    return np.clip(mean + factor * (images - mean) + offset, 0, 1).astype(images.dtype)


def jitter_contrast_range_halved(images, rng, brightness=0.2, contrast=0.2):
    return reference.color_jitter(images, rng, brightness=brightness, contrast=contrast / 2)


# --- fit_pca_color ---------------------------------------------------------------------------

def pca_fit_not_centred(images):
    pixels = images.reshape(-1, images.shape[-1]).astype(np.float64)
    eigvals, eigvecs = np.linalg.eigh(pixels.T @ pixels / len(pixels))
    return eigvals[::-1], eigvecs[:, ::-1]


def pca_fit_ascending(images):
    pixels = images.reshape(-1, images.shape[-1]).astype(np.float64)
    centred = pixels - pixels.mean(axis=0)
    return np.linalg.eigh(centred.T @ centred / len(pixels))


def pca_fit_eigenvectors_as_rows(images):
    eigvals, eigvecs = reference.fit_pca_color(images)
    return eigvals, eigvecs.T


# --- pca_color_augment -----------------------------------------------------------------------

def pca_shift_per_pixel(images, eigvals, eigvecs, rng, sigma=0.1):
    alphas = rng.normal(0.0, sigma, size=images.shape)
    return np.clip(images + (alphas * eigvals) @ eigvecs.T, 0, 1).astype(images.dtype)


def pca_eigenvalues_unscaled(images, eigvals, eigvecs, rng, sigma=0.1):
    alphas = rng.normal(0.0, sigma, size=(len(images), len(eigvals)))
    return np.clip(images + (alphas @ eigvecs.T)[:, None, None, :], 0, 1).astype(images.dtype)


def pca_square_root_of_eigenvalues(images, eigvals, eigvecs, rng, sigma=0.1):
    alphas = rng.normal(0.0, sigma, size=(len(images), len(eigvals)))
    shifts = (alphas * np.sqrt(eigvals)) @ eigvecs.T
    return np.clip(images + shifts[:, None, None, :], 0, 1).astype(images.dtype)


def pca_one_alpha_for_the_batch(images, eigvals, eigvecs, rng, sigma=0.1):
    alphas = rng.normal(0.0, sigma, size=len(eigvals))
    return np.clip(images + (alphas * eigvals) @ eigvecs.T, 0, 1).astype(images.dtype)


def pca_one_alpha_for_all_components(images, eigvals, eigvecs, rng, sigma=0.1):
    alphas = rng.normal(0.0, sigma, size=(len(images), 1))
    shifts = (alphas * eigvals) @ eigvecs.T
    return np.clip(images + shifts[:, None, None, :], 0, 1).astype(images.dtype)


def pca_eigenvectors_transposed(images, eigvals, eigvecs, rng, sigma=0.1):
    alphas = rng.normal(0.0, sigma, size=(len(images), len(eigvals)))
    shifts = (alphas * eigvals) @ eigvecs
    return np.clip(images + shifts[:, None, None, :], 0, 1).astype(images.dtype)


# --- warp_affine -----------------------------------------------------------------------------

def _warp(images, matrices, inverse=True, centred=True, swap=False):
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
    if swap:
        sources = sources[..., ::-1]
    return bilinear_sample(images, sources[..., 0], sources[..., 1]).astype(images.dtype)


def warp_forward_mapping(images, matrices):
    return _warp(images, matrices, inverse=False)


def warp_about_the_corner(images, matrices):
    return _warp(images, matrices, centred=False)


def warp_first_matrix_for_all(images, matrices):
    return _warp(images, np.repeat(matrices[:1], len(images), axis=0))


def warp_returns_float64(images, matrices):
    return _warp(images, matrices).astype(np.float64)


def warp_translation_in_x_y_order(images, matrices):
    swapped = matrices.copy()
    swapped[:, :, 2] = matrices[:, ::-1, 2]
    return _warp(images, swapped)


# --- random_affine ---------------------------------------------------------------------------

def _affine_matrices(num_images, height, width, rng, max_translation, max_rotation, max_shear, max_stretch,
                     radians=False, translation_scale=None, equal_stretch=False):
    angles = rng.uniform(-max_rotation, max_rotation, size=num_images)
    angles = angles if radians else np.deg2rad(angles)
    shears = rng.uniform(-max_shear, max_shear, size=num_images)
    stretches = rng.uniform(1 - max_stretch, 1 + max_stretch, size=(num_images, 2))
    if equal_stretch:
        stretches[:, 1] = stretches[:, 0]
    scale = [height, width] if translation_scale is None else translation_scale
    translations = rng.uniform(-max_translation, max_translation, size=(num_images, 2)) * scale
    cos, sin = np.cos(angles), np.sin(angles)
    rotation = np.stack([np.stack([cos, -sin], -1), np.stack([sin, cos], -1)], axis=1)
    shear = np.tile(np.eye(2), (num_images, 1, 1))
    shear[:, 1, 0] = shears
    stretch = np.zeros((num_images, 2, 2))
    stretch[:, 0, 0], stretch[:, 1, 1] = stretches[:, 0], stretches[:, 1]
    return np.concatenate([rotation @ shear @ stretch, translations[:, :, None]], axis=2)


def affine_degrees_used_as_radians(images, rng, max_translation=0.1, max_rotation=15.0, max_shear=0.2,
                                   max_stretch=0.1):
    matrices = _affine_matrices(len(images), *images.shape[1:3], rng, max_translation, max_rotation, max_shear,
                                max_stretch, radians=True)
    return reference.warp_affine(images, matrices), matrices


def affine_translation_in_pixels(images, rng, max_translation=0.1, max_rotation=15.0, max_shear=0.2,
                                 max_stretch=0.1):
    matrices = _affine_matrices(len(images), *images.shape[1:3], rng, max_translation, max_rotation, max_shear,
                                max_stretch, translation_scale=[1, 1])
    return reference.warp_affine(images, matrices), matrices


def affine_translation_scaled_by_height(images, rng, max_translation=0.1, max_rotation=15.0, max_shear=0.2,
                                        max_stretch=0.1):
    height = images.shape[1]
    matrices = _affine_matrices(len(images), *images.shape[1:3], rng, max_translation, max_rotation, max_shear,
                                max_stretch, translation_scale=[height, height])
    return reference.warp_affine(images, matrices), matrices


def affine_equal_stretch(images, rng, max_translation=0.1, max_rotation=15.0, max_shear=0.2, max_stretch=0.1):
    matrices = _affine_matrices(len(images), *images.shape[1:3], rng, max_translation, max_rotation, max_shear,
                                max_stretch, equal_stretch=True)
    return reference.warp_affine(images, matrices), matrices


def affine_returns_other_matrices(images, rng, max_translation=0.1, max_rotation=15.0, max_shear=0.2,
                                  max_stretch=0.1):
    args = (len(images), *images.shape[1:3], rng, max_translation, max_rotation, max_shear, max_stretch)
    warped = reference.warp_affine(images, _affine_matrices(*args))
    return warped, _affine_matrices(*args)


def affine_one_draw_for_the_batch(images, rng, max_translation=0.1, max_rotation=15.0, max_shear=0.2,
                                  max_stretch=0.1):
    matrices = _affine_matrices(1, *images.shape[1:3], rng, max_translation, max_rotation, max_shear, max_stretch)
    matrices = np.repeat(matrices, len(images), axis=0)
    return reference.warp_affine(images, matrices), matrices


# --- ten_crop --------------------------------------------------------------------------------

def ten_crop_vertical_flips(images, crop_size):
    crops = reference.ten_crop(images, crop_size)[:, :5]
    return np.concatenate([crops, crops[:, :, ::-1]], axis=1)


def ten_crop_centre_rounded_up(images, crop_size):
    _, height, width, _ = images.shape
    bottom, right = height - crop_size, width - crop_size
    offsets = [(0, 0), (0, right), (bottom, 0), (bottom, right), (-(-bottom // 2), -(-right // 2))]
    crops = np.stack([images[:, top:top + crop_size, left:left + crop_size] for top, left in offsets], axis=1)
    return np.concatenate([crops, crops[:, :, :, ::-1]], axis=1)


def ten_crop_interleaved_flips(images, crop_size):
    crops = reference.ten_crop(images, crop_size)
    order = [0, 5, 1, 6, 2, 7, 3, 8, 4, 9]
    return crops[:, order]


def ten_crop_corners_swapped(images, crop_size):
    crops = reference.ten_crop(images, crop_size)
    return crops[:, [0, 2, 1, 3, 4, 5, 7, 6, 8, 9]]


# --- predict_ten_crop ------------------------------------------------------------------------

def predict_mixes_images(predict_proba, images, crop_size):
    crops = reference.ten_crop(images, crop_size)
    probabilities = predict_proba(crops.reshape(-1, *crops.shape[2:]))
    return probabilities.reshape(10, len(images), -1).mean(axis=0)


def predict_centre_crop_only(predict_proba, images, crop_size):
    crops = reference.ten_crop(images, crop_size)
    return predict_proba(crops[:, 4])


def predict_majority_vote(predict_proba, images, crop_size):
    crops = reference.ten_crop(images, crop_size)
    probabilities = predict_proba(crops.reshape(-1, *crops.shape[2:])).reshape(len(images), 10, -1)
    votes = np.eye(probabilities.shape[-1])[probabilities.argmax(axis=-1)]
    return votes.mean(axis=1)


def predict_on_full_images(predict_proba, images, crop_size):
    return predict_proba(images)


BUGS = {
    "flip_vertical": ("random_horizontal_flip", flip_vertical, "upside down"),
    "flip_one_coin_for_the_batch": ("random_horizontal_flip", flip_one_coin_for_the_batch, "whole batch"),
    "flip_probability_inverted": ("random_horizontal_flip", flip_probability_inverted, "probability"),
    "flip_in_place": ("random_horizontal_flip", flip_in_place, "modified in place"),
    "crop_exclusive_range": ("random_crop", crop_exclusive_range, "off-by-one"),
    "crop_one_offset_for_the_batch": ("random_crop", crop_one_offset_for_the_batch, "same offset"),
    "crop_edge_padding": ("random_crop", crop_edge_padding, "copies of its border"),
    "crop_same_offset_both_axes": ("random_crop", crop_same_offset_both_axes, "independently"),
    "scale_crop_exclusive_range": ("random_scale_crop", scale_crop_exclusive_range, "inclusive"),
    "scale_crop_square_resize": ("random_scale_crop", scale_crop_square_resize, "aspect ratio"),
    "scale_crop_crops_before_resizing": ("random_scale_crop", scale_crop_crops_before_resizing, "SHORTER"),
    "scale_crop_one_length": ("random_scale_crop", scale_crop_one_length, "per image"),
    "jitter_per_channel_mean": ("color_jitter", jitter_per_channel_mean, "not per channel"),
    "jitter_multiplicative_brightness": ("color_jitter", jitter_multiplicative_brightness, "outside"),
    "jitter_without_clipping": ("color_jitter", jitter_without_clipping, "clip"),
    "jitter_one_draw_for_the_batch": ("color_jitter", jitter_one_draw_for_the_batch, "per image"),
    "jitter_brightness_per_pixel": ("color_jitter", jitter_brightness_per_pixel, "ONE offset"),
    "jitter_contrast_range_halved": ("color_jitter", jitter_contrast_range_halved, "contrast factor"),
    "pca_fit_not_centred": ("fit_pca_color", pca_fit_not_centred, "raw second moments"),
    "pca_fit_ascending": ("fit_pca_color", pca_fit_ascending, "largest to the smallest"),
    "pca_fit_eigenvectors_as_rows": ("fit_pca_color", pca_fit_eigenvectors_as_rows, "COLUMNS"),
    "pca_shift_per_pixel": ("pca_color_augment", pca_shift_per_pixel, "every pixel"),
    "pca_eigenvalues_unscaled": ("pca_color_augment", pca_eigenvalues_unscaled, "eigenvalue"),
    "pca_square_root_of_eigenvalues": ("pca_color_augment", pca_square_root_of_eigenvalues, "square root"),
    "pca_one_alpha_for_the_batch": ("pca_color_augment", pca_one_alpha_for_the_batch, "per image"),
    "pca_one_alpha_for_all_components": ("pca_color_augment", pca_one_alpha_for_all_components, "independent"),
    "pca_eigenvectors_transposed": ("pca_color_augment", pca_eigenvectors_transposed, "columns"),
    "warp_forward_mapping": ("warp_affine", warp_forward_mapping, "moved the content by (-1, 2)"),
    "warp_about_the_corner": ("warp_affine", warp_about_the_corner, "acts about the top-left pixel"),
    "warp_first_matrix_for_all": ("warp_affine", warp_first_matrix_for_all, "matrices[n]"),
    "warp_translation_in_x_y_order": ("warp_affine", warp_translation_in_x_y_order, "swapped"),
    "affine_degrees_used_as_radians": ("random_affine", affine_degrees_used_as_radians, "deg2rad"),
    "affine_translation_in_pixels": ("random_affine", affine_translation_in_pixels, "fraction"),
    "affine_translation_scaled_by_height": ("random_affine", affine_translation_scaled_by_height, "fraction"),
    "affine_equal_stretch": ("random_affine", affine_equal_stretch, "independently"),
    "affine_returns_other_matrices": ("random_affine", affine_returns_other_matrices, "returned matrices"),
    "affine_one_draw_for_the_batch": ("random_affine", affine_one_draw_for_the_batch, "per image"),
    "ten_crop_vertical_flips": ("ten_crop", ten_crop_vertical_flips, "upside down"),
    "ten_crop_centre_rounded_up": ("ten_crop", ten_crop_centre_rounded_up, "// 2"),
    "ten_crop_interleaved_flips": ("ten_crop", ten_crop_interleaved_flips, "crops[:, 1]"),
    "ten_crop_corners_swapped": ("ten_crop", ten_crop_corners_swapped, "top-right"),
    "predict_mixes_images": ("predict_ten_crop", predict_mixes_images, "(N, 10, K)"),
    "predict_centre_crop_only": ("predict_ten_crop", predict_centre_crop_only, "all 10 crops"),
    "predict_majority_vote": ("predict_ten_crop", predict_majority_vote, "not the predicted labels"),
    "predict_on_full_images": ("predict_ten_crop", predict_on_full_images, "call it on the crops"),
}


# --- correct alternatives --------------------------------------------------------------------

def flip_with_where(images, rng, p=0.5):
    flip = (rng.random(len(images)) < p)[:, None, None, None]
    return np.where(flip, images[:, :, ::-1], images)


def flip_loop(images, rng, p=0.5):
    flipped = images.copy()
    for n in range(len(images)):
        if rng.uniform() < p:
            flipped[n] = np.fliplr(images[n])
    return flipped


def crop_loop(images, rng, padding=4, crop_size=None):
    height, width = _crop_size(images, crop_size)
    padded = np.pad(images, ((0, 0), (padding, padding), (padding, padding), (0, 0)), constant_values=0)
    crops = []
    for image in padded:
        top = rng.integers(padded.shape[1] - height + 1)
        left = rng.integers(padded.shape[2] - width + 1)
        crops.append(image[top:top + height, left:left + width])
    return np.stack(crops)


def scale_crop_per_image_floor_rounding(images, rng, scale_range, crop_size):
    def floor_size(height, width, length):
        short = min(height, width)
        return height * length // short, width * length // short

    lengths = rng.integers(scale_range[0], scale_range[1] + 1, size=len(images))
    return _scale_crops(images, rng, lengths, crop_size, floor_size)


def jitter_brightness_first(images, rng, brightness=0.2, contrast=0.2):
    offset = rng.uniform(-brightness, brightness, size=(len(images), 1, 1, 1))
    brighter = images + offset
    factor = rng.uniform(1 - contrast, 1 + contrast, size=(len(images), 1, 1, 1))
    mean = brighter.mean(axis=(1, 2, 3), keepdims=True)
    return np.clip(mean + factor * (brighter - mean), 0, 1).astype(images.dtype)


def pca_fit_np_cov_and_flipped_signs(images):
    pixels = images.reshape(-1, images.shape[-1]).astype(np.float64)
    covariance = np.atleast_2d(np.cov(pixels, rowvar=False))
    eigvals, eigvecs = np.linalg.eigh(covariance)
    return eigvals[::-1], -eigvecs[:, ::-1]


def pca_fit_svd(images):
    pixels = images.reshape(-1, images.shape[-1]).astype(np.float64)
    centred = pixels - pixels.mean(axis=0)
    _, singular_values, vt = np.linalg.svd(centred, full_matrices=False)
    return singular_values ** 2 / len(pixels), vt.T


def pca_augment_einsum(images, eigvals, eigvecs, rng, sigma=0.1):
    alphas = rng.normal(size=(len(images), len(eigvals))) * sigma
    shifts = np.einsum("ci,ni->nc", eigvecs, alphas * eigvals)
    return np.clip(images + shifts[:, None, None, :], 0.0, 1.0).astype(images.dtype)


def warp_loop_with_solve(images, matrices):
    _, height, width, _ = images.shape
    centre_row, centre_col = (height - 1) / 2, (width - 1) / 2
    rows, cols = np.meshgrid(np.arange(height) - centre_row, np.arange(width) - centre_col, indexing="ij")
    warped = np.empty_like(images)
    for n in range(len(images)):
        targets = np.stack([rows.ravel(), cols.ravel()]) - matrices[n, :, 2:]
        source_rows, source_cols = np.linalg.solve(matrices[n, :, :2], targets)
        warped[n] = bilinear_sample(images[n:n + 1], (source_rows + centre_row).reshape(1, height, width),
                                    (source_cols + centre_col).reshape(1, height, width))[0]
    return warped


def affine_other_composition_order(images, rng, max_translation=0.1, max_rotation=15.0, max_shear=0.2,
                                   max_stretch=0.1):
    num_images, height, width, _ = images.shape
    angles = np.radians(rng.uniform(-max_rotation, max_rotation, size=num_images))
    matrices = np.zeros((num_images, 2, 3))
    for n, angle in enumerate(angles):
        rotation = np.array([[np.cos(angle), np.sin(angle)], [-np.sin(angle), np.cos(angle)]])
        shear = np.array([[1.0, rng.uniform(-max_shear, max_shear)], [0.0, 1.0]])
        stretch = np.diag(rng.uniform(1 - max_stretch, 1 + max_stretch, size=2))
        matrices[n, :, :2] = stretch @ shear @ rotation
        matrices[n, :, 2] = rng.uniform(-max_translation, max_translation, size=2) * [height, width]
    return reference.warp_affine(images, matrices), matrices


def ten_crop_loops(images, crop_size):
    _, height, width, _ = images.shape
    centre = ((height - crop_size) // 2, (width - crop_size) // 2)
    corners = [(0, 0), (0, width - crop_size), (height - crop_size, 0), (height - crop_size, width - crop_size)]
    crops = [images[:, top:top + crop_size, left:left + crop_size] for top, left in corners + [centre]]
    crops += [np.flip(crop, axis=2) for crop in crops]
    return np.stack(crops, axis=1)


def predict_one_call_per_crop(predict_proba, images, crop_size):
    crops = reference.ten_crop(images, crop_size)
    return sum(predict_proba(crops[:, k]) for k in range(10)) / 10


EQUIVALENTS = {
    "flip_with_where": ("random_horizontal_flip", flip_with_where),
    "flip_loop": ("random_horizontal_flip", flip_loop),
    "crop_loop": ("random_crop", crop_loop),
    "scale_crop_per_image_floor_rounding": ("random_scale_crop", scale_crop_per_image_floor_rounding),
    "jitter_brightness_first": ("color_jitter", jitter_brightness_first),
    "pca_fit_np_cov_and_flipped_signs": ("fit_pca_color", pca_fit_np_cov_and_flipped_signs),
    "pca_fit_svd": ("fit_pca_color", pca_fit_svd),
    "pca_augment_einsum": ("pca_color_augment", pca_augment_einsum),
    "warp_loop_with_solve": ("warp_affine", warp_loop_with_solve),
    "affine_other_composition_order": ("random_affine", affine_other_composition_order),
    "ten_crop_loops": ("ten_crop", ten_crop_loops),
    "predict_one_call_per_crop": ("predict_ten_crop", predict_one_call_per_crop),
}


# --- right values, promoted dtype ----------------------------------------------------------------

def jitter_returns_float64(images, rng, brightness=0.2, contrast=0.2):
    shape = (len(images), 1, 1, 1)
    factor = rng.uniform(1 - contrast, 1 + contrast, size=shape)
    offset = rng.uniform(-brightness, brightness, size=shape)
    mean = images.mean(axis=(1, 2, 3), keepdims=True)
    return np.clip(mean + factor * (images - mean) + offset, 0.0, 1.0)


DTYPE_SLIPS = {
    "warp_returns_float64": ("warp_affine", warp_returns_float64, "came back float64 for float32 inputs"),
    "jitter_returns_float64": ("color_jitter", jitter_returns_float64, "came back float64 for float32 inputs"),
}


# --- further bugs, written from the contract before reading the checks ---------------------------

def flip_both_axes(images, rng, p=0.5):
    flip = rng.random(len(images)) < p
    out = images.copy()
    out[flip] = images[flip, ::-1, ::-1]
    return out


def flip_ignores_p(images, rng, p=0.5):
    return reference.random_horizontal_flip(images, rng, 0.5)


def crop_pads_channels(images, rng, padding=4, crop_size=None):
    n, h, w, c = images.shape
    ch, cw = (h, w) if crop_size is None else (crop_size, crop_size)
    padded = np.pad(images, ((0, 0), (padding, padding), (padding, padding), (padding, padding)))
    out = np.empty((n, ch, cw, padded.shape[-1]), images.dtype)
    for i in range(n):
        top = rng.integers(0, h + 2 * padding - ch + 1)
        left = rng.integers(0, w + 2 * padding - cw + 1)
        out[i] = padded[i, top:top + ch, left:left + cw]
    return out


def scale_crop_long_side(images, rng, scale_range, crop_size):
    n, h, w, c = images.shape
    out = np.empty((n, crop_size, crop_size, c), images.dtype)
    for i in range(n):
        length = rng.integers(scale_range[0], scale_range[1] + 1)
        long = max(h, w)
        resized = resize_bilinear(images[i:i + 1], int(round(h * length / long)), int(round(w * length / long)))
        out[i:i + 1] = reference.random_crop(resized, rng, padding=0, crop_size=crop_size)
    return out


def scale_crop_centre_crop(images, rng, scale_range, crop_size):
    n, h, w, c = images.shape
    out = np.empty((n, crop_size, crop_size, c), images.dtype)
    for i in range(n):
        length = rng.integers(scale_range[0], scale_range[1] + 1)
        rh, rw = reference.scaled_size(h, w, length)
        resized = resize_bilinear(images[i:i + 1], rh, rw)
        top, left = (rh - crop_size) // 2, (rw - crop_size) // 2
        out[i] = resized[0, top:top + crop_size, left:left + crop_size]
    return out


def jitter_contrast_about_zero(images, rng, brightness=0.2, contrast=0.2):
    shape = (len(images), 1, 1, 1)
    factor = rng.uniform(1 - contrast, 1 + contrast, size=shape)
    offset = rng.uniform(-brightness, brightness, size=shape)
    return np.clip(factor * images + offset, 0, 1).astype(images.dtype)


def pca_fit_covariance_not_divided(images):
    pixels = images.reshape(-1, images.shape[-1]).astype(np.float64)
    centred = pixels - pixels.mean(axis=0)
    vals, vecs = np.linalg.eigh(centred.T @ centred)
    order = np.argsort(vals)[::-1]
    return vals[order], vecs[:, order]


def pca_augment_not_clipped(images, eigvals, eigvecs, rng, sigma=0.1):
    alphas = rng.normal(0.0, sigma, size=(len(images), len(eigvals)))
    shifts = (alphas * eigvals) @ eigvecs.T
    return (images + shifts[:, None, None, :]).astype(images.dtype)


def pca_augment_variance_as_scale(images, eigvals, eigvecs, rng, sigma=0.1):
    return reference.pca_color_augment(images, eigvals, eigvecs, rng, sigma=sigma**2)


def warp_nearest_neighbour(images, matrices):
    n, h, w, _ = images.shape
    centre = np.array([(h - 1) / 2, (w - 1) / 2])
    lin, tr = matrices[:, :, :2], matrices[:, :, 2]
    rows, cols = np.meshgrid(np.arange(h), np.arange(w), indexing="ij")
    targets = np.stack([rows, cols], -1).reshape(-1, 2) - centre
    src = np.einsum("nij,npj->npi", np.linalg.inv(lin), targets[None] - tr[:, None, :]) + centre
    src = np.round(src.reshape(n, h, w, 2))
    return bilinear_sample(images, src[..., 0], src[..., 1]).astype(images.dtype)


def affine_translation_positive_only(images, rng, max_translation=0.1, max_rotation=15.0, max_shear=0.2, max_stretch=0.1):
    n, h, w, _ = images.shape
    angles = np.deg2rad(rng.uniform(-max_rotation, max_rotation, size=n))
    shears = rng.uniform(-max_shear, max_shear, size=n)
    stretches = rng.uniform(1 - max_stretch, 1 + max_stretch, size=(n, 2))
    translations = rng.uniform(0, max_translation, size=(n, 2)) * [h, w]
    cos, sin = np.cos(angles), np.sin(angles)
    rot = np.stack([np.stack([cos, -sin], -1), np.stack([sin, cos], -1)], axis=1)
    shear = np.zeros((n, 2, 2))
    shear[:, 0, 0] = shear[:, 1, 1] = 1.0
    shear[:, 1, 0] = shears
    st = np.zeros((n, 2, 2))
    st[:, 0, 0], st[:, 1, 1] = stretches[:, 0], stretches[:, 1]
    m = np.concatenate([rot @ shear @ st, translations[:, :, None]], axis=2)
    return reference.warp_affine(images, m), m


def ten_crop_unflipped_twice(images, crop_size):
    crops = reference.ten_crop(images, crop_size)[:, :5]
    return np.concatenate([crops, crops], axis=1)


def predict_sums_crops(predict_proba, images, crop_size):
    return reference.predict_ten_crop(predict_proba, images, crop_size) * 10


def predict_max_over_crops(predict_proba, images, crop_size):
    crops = reference.ten_crop(images, crop_size)
    n = len(images)
    return predict_proba(crops.reshape(n * 10, *crops.shape[2:])).reshape(n, 10, -1).max(axis=1)


BUGS.update({
    "flip_both_axes": ("random_horizontal_flip", flip_both_axes, 'mirrored left-right'),
    "flip_ignores_p": ("random_horizontal_flip", flip_ignores_p, 'p is the probability of flipping'),
    "crop_pads_channels": ("random_crop", crop_pads_channels, 'should have shape'),
    "scale_crop_long_side": ("random_scale_crop", scale_crop_long_side, 'raised ValueError'),
    "scale_crop_centre_crop": ("random_scale_crop", scale_crop_centre_crop, 'largest valid top offset'),
    "jitter_contrast_about_zero": ("color_jitter", jitter_contrast_about_zero, 'brightness offset ranged'),
    "pca_fit_covariance_not_divided": ("fit_pca_color", pca_fit_covariance_not_divided, 'covariance of all pixel colours'),
    "pca_augment_not_clipped": ("pca_color_augment", pca_augment_not_clipped, 'clip them to [0, 1]'),
    "pca_augment_variance_as_scale": ("pca_color_augment", pca_augment_variance_as_scale, 'not the variance'),
    "warp_nearest_neighbour": ("warp_affine", warp_nearest_neighbour, 'bilinear_sample'),
    "affine_translation_positive_only": ("random_affine", affine_translation_positive_only, 'never clearly negative'),
    "ten_crop_unflipped_twice": ("ten_crop", ten_crop_unflipped_twice, 'mirror image'),
    "predict_sums_crops": ("predict_ten_crop", predict_sums_crops, 'mean over the 10 crops'),
    "predict_max_over_crops": ("predict_ten_crop", predict_max_over_crops, 'mean over the 10 crops'),
})


# --- near misses: close to right, caught only by tight tolerances or one specific sub-check ------

def flip_through_float(images, rng, p=0.5):
    return reference.random_horizontal_flip(images.astype(np.float64), rng, p)


def crop_left_offset_range_of_the_height(images, rng, padding=4, crop_size=None):
    num_images, height, width, _ = images.shape
    crop_height, crop_width = (height, width) if crop_size is None else (crop_size, crop_size)
    padded = np.pad(images, ((0, 0), (padding, padding), (padding, padding), (0, 0)))
    top = rng.integers(0, height + 2 * padding - crop_height + 1, size=num_images)
    left = rng.integers(0, height + 2 * padding - crop_height + 1, size=num_images)
    return np.stack([padded[n, t:t + crop_height, x:x + crop_width] for n, (t, x) in enumerate(zip(top, left))])


def scale_crop_square_offset_range(images, rng, scale_range, crop_size):
    num_images, height, width, channels = images.shape
    lengths = rng.integers(scale_range[0], scale_range[1] + 1, size=num_images)
    crops = np.empty((num_images, crop_size, crop_size, channels), dtype=images.dtype)
    for n, length in enumerate(lengths):
        resized = resize_bilinear(images[n:n + 1], *reference.scaled_size(height, width, length))[0]
        top, left = rng.integers(0, length - crop_size + 1, size=2)
        crops[n] = resized[top:top + crop_size, left:left + crop_size]
    return crops


def jitter_clips_only_the_top(images, rng, brightness=0.2, contrast=0.2):
    shape = (len(images), 1, 1, 1)
    factor = rng.uniform(1 - contrast, 1 + contrast, size=shape)
    offset = rng.uniform(-brightness, brightness, size=shape)
    mean = images.mean(axis=(1, 2, 3), keepdims=True)
    return np.minimum(mean + factor * (images - mean) + offset, 1.0).astype(images.dtype)


def pca_fit_centres_each_image(images):
    pixels = (images - images.mean(axis=(1, 2), keepdims=True)).reshape(-1, images.shape[-1]).astype(np.float64)
    eigvals, eigvecs = np.linalg.eigh(pixels.T @ pixels / len(pixels))
    return eigvals[::-1], eigvecs[:, ::-1]


def pca_augment_default_sigma_02(images, eigvals, eigvecs, rng, sigma=0.2):
    return reference.pca_color_augment(images, eigvals, eigvecs, rng, sigma)


def warp_centre_at_half_size(images, matrices):
    num_images, height, width, _ = images.shape
    centre = np.array([height / 2, width / 2])
    rows, cols = np.meshgrid(np.arange(height), np.arange(width), indexing="ij")
    targets = np.stack([rows, cols], axis=-1).reshape(-1, 2) - centre
    sources = np.einsum("nij,npj->npi", np.linalg.inv(matrices[:, :, :2]), targets[None] - matrices[:, None, :, 2])
    sources = (sources + centre).reshape(num_images, height, width, 2)
    return bilinear_sample(images, sources[..., 0], sources[..., 1]).astype(images.dtype)


def affine_symmetric_shear(images, rng, max_translation=0.1, max_rotation=15.0, max_shear=0.2, max_stretch=0.1):
    _, matrices = reference.random_affine(images, rng, max_translation, max_rotation, max_shear, max_stretch)
    if max_shear:
        shears = rng.uniform(-max_shear, max_shear, size=len(images))
        matrices[:, 0, 1] += shears
        matrices[:, 1, 0] += shears
    return reference.warp_affine(images, matrices), matrices


def ten_crop_mirrors_from_the_mirrored_image(images, crop_size):
    crops = reference.ten_crop(images, crop_size)
    crops[:, 5:] = reference.ten_crop(images[:, :, ::-1], crop_size)[:, :5]
    return crops


def predict_averages_log_probabilities(predict_proba, images, crop_size):
    crops = reference.ten_crop(images, crop_size)
    n = len(images)
    log_mean = np.log(predict_proba(crops.reshape(n * 10, *crops.shape[2:]))).reshape(n, 10, -1).mean(axis=1)
    return np.exp(log_mean) / np.exp(log_mean).sum(axis=1, keepdims=True)


NEAR_MISSES = {
    "flip_through_float": ("random_horizontal_flip", flip_through_float, "should keep the input's dtype (uint8)"),
    "crop_left_offset_range_of_the_height": ("random_crop", crop_left_offset_range_of_the_height,
                                             "largest valid left offset"),
    "scale_crop_square_offset_range": ("random_scale_crop", scale_crop_square_offset_range, "largest valid"),
    "jitter_clips_only_the_top": ("color_jitter", jitter_clips_only_the_top, "clip them to [0, 1]"),
    "pca_fit_centres_each_image": ("fit_pca_color", pca_fit_centres_each_image, "covariance of all pixel colours"),
    "pca_augment_default_sigma_02": ("pca_color_augment", pca_augment_default_sigma_02, "the default sigma=0.1"),
    "warp_centre_at_half_size": ("warp_affine", warp_centre_at_half_size, "general affine map"),
    "affine_symmetric_shear": ("random_affine", affine_symmetric_shear, "should be a shear"),
    "ten_crop_mirrors_from_the_mirrored_image": ("ten_crop", ten_crop_mirrors_from_the_mirrored_image,
                                                 "crops[:, 5] of 7x9 images with crop_size=4 should be the mirror "
                                                 "image (columns reversed) of the top-left window at (top, left) = "
                                                 "(0, 0), got the mirrored window at (top, left) = (0, 5)"),
    "predict_averages_log_probabilities": ("predict_ten_crop", predict_averages_log_probabilities,
                                           "mean over the 10 crops"),
}


def jitter_one_draw_for_both(images, rng, brightness=0.2, contrast=0.2):
    u = rng.uniform(-1, 1, size=(len(images), 1, 1, 1))
    mean = images.mean(axis=(1, 2, 3), keepdims=True)
    return np.clip(mean + (1 + contrast * u) * (images - mean) + brightness * u, 0, 1).astype(images.dtype)


def scale_crop_resizes_in_float32(images, rng, scale_range, crop_size):
    return reference.random_scale_crop(images.astype(np.float32), rng, scale_range, crop_size).astype(images.dtype)


def jitter_in_float32(images, rng, brightness=0.2, contrast=0.2):
    return reference.color_jitter(images.astype(np.float32), rng, brightness, contrast).astype(images.dtype)


def warp_positions_in_float32(images, matrices):
    num_images, height, width, _ = images.shape
    centre = np.array([(height - 1) / 2, (width - 1) / 2], dtype=np.float32)
    rows, cols = np.meshgrid(np.arange(height), np.arange(width), indexing="ij")
    targets = np.stack([rows, cols], axis=-1).reshape(-1, 2).astype(np.float32) - centre
    inverse = np.linalg.inv(matrices[:, :, :2]).astype(np.float32)
    sources = np.einsum("nij,npj->npi", inverse, targets[None] - matrices[:, None, :, 2].astype(np.float32)) + centre
    sources = sources.reshape(num_images, height, width, 2).astype(np.float64)
    return bilinear_sample(images, sources[..., 0], sources[..., 1]).astype(images.dtype)


def affine_returns_float32_matrices(images, rng, max_translation=0.1, max_rotation=15.0, max_shear=0.2,
                                    max_stretch=0.1):
    warped, matrices = reference.random_affine(images, rng, max_translation, max_rotation, max_shear, max_stretch)
    return warped, matrices.astype(np.float32)


def predict_in_float32(predict_proba, images, crop_size):
    crops = reference.ten_crop(images, crop_size)
    n = len(images)
    probabilities = predict_proba(crops.reshape(n * 10, *crops.shape[2:])).astype(np.float32)
    return probabilities.reshape(n, 10, -1).mean(axis=1).astype(np.float64)


def flip_default_p_03(images, rng, p=0.3):
    return reference.random_horizontal_flip(images, rng, p)


def jitter_default_contrast_04(images, rng, brightness=0.2, contrast=0.4):
    return reference.color_jitter(images, rng, brightness, contrast)


def jitter_default_brightness_01(images, rng, brightness=0.1, contrast=0.2):
    return reference.color_jitter(images, rng, brightness, contrast)


def affine_default_stretch_02(images, rng, max_translation=0.1, max_rotation=15.0, max_shear=0.2, max_stretch=0.2):
    return reference.random_affine(images, rng, max_translation, max_rotation, max_shear, max_stretch)


NEAR_MISSES.update({
    "jitter_one_draw_for_both": ("color_jitter", jitter_one_draw_for_both, "correlated"),
    "scale_crop_resizes_in_float32": ("random_scale_crop", scale_crop_resizes_in_float32,
                                      "is not a window of its image resized"),
    "jitter_in_float32": ("color_jitter", jitter_in_float32, "image 0 is not one contrast change"),
    "warp_positions_in_float32": ("warp_affine", warp_positions_in_float32, "general affine map"),
    "affine_returns_float32_matrices": ("random_affine", affine_returns_float32_matrices,
                                        "not warp_affine(images, matrices) of the returned matrices"),
    "predict_in_float32": ("predict_ten_crop", predict_in_float32, "mean over the 10 crops"),
    "flip_default_p_03": ("random_horizontal_flip", flip_default_p_03, "with p=0.5 a fraction"),
    "jitter_default_contrast_04": ("color_jitter", jitter_default_contrast_04, "defaults brightness=0.2, contrast=0.2"),
    "jitter_default_brightness_01": ("color_jitter", jitter_default_brightness_01,
                                     "defaults brightness=0.2, contrast=0.2"),
    "affine_default_stretch_02": ("random_affine", affine_default_stretch_02, "with the defaults (max_stretch=0.1)"),
})


# --- bugs that only one sub-check reports (malformed results, inputs changed, off by one, `or`) --

def affine_fills_with_nan(images, rng, max_translation=0.1, max_rotation=15.0, max_shear=0.2, max_stretch=0.1):
    warped, matrices = reference.random_affine(images, rng, max_translation, max_rotation, max_shear, max_stretch)
    coverage = reference.warp_affine(np.ones(images.shape[:3] + (1,)), matrices)
    return np.where(coverage > 0, warped, np.nan).astype(images.dtype), matrices


def flip_p_or_default(images, rng, p=0.5):
    return reference.random_horizontal_flip(images, rng, p or 0.5)


def flip_die_includes_zero(images, rng, p=0.5):
    flip = rng.integers(0, 100, size=len(images)) <= 100 * p
    flipped = images.copy()
    flipped[flip] = images[flip, :, ::-1]
    return flipped


def flip_die_from_one(images, rng, p=0.5):
    flip = rng.integers(1, 101, size=len(images)) < 100 * p
    flipped = images.copy()
    flipped[flip] = images[flip, :, ::-1]
    return flipped


def _windows(padded, tops, lefts, height, width):
    return np.stack([padded[n, t:t + height, x:x + width] for n, (t, x) in enumerate(zip(tops, lefts))])


def crop_offsets_from_one(images, rng, padding=4, crop_size=None):
    num_images, height, width, _ = images.shape
    crop_height, crop_width = (height, width) if crop_size is None else (crop_size, crop_size)
    padded = np.pad(images, ((0, 0), (padding, padding), (padding, padding), (0, 0)))
    tops = rng.integers(1, height + 2 * padding - crop_height + 1, size=num_images)
    lefts = rng.integers(1, width + 2 * padding - crop_width + 1, size=num_images)
    tops[tops > height + 2 * padding - crop_height] = 0
    lefts[lefts > width + 2 * padding - crop_width] = 0
    return _windows(padded, tops, lefts, crop_height, crop_width)


def crop_size_resizes(images, rng, padding=4, crop_size=None):
    if crop_size is None:
        return reference.random_crop(images, rng, padding)
    return resize_bilinear(images, crop_size, crop_size).astype(images.dtype)


def crop_clipped_to_unit_range(images, rng, padding=4, crop_size=None):
    return np.clip(reference.random_crop(images, rng, padding, crop_size), 0, 1).astype(images.dtype)


def scale_crop_offsets_from_one(images, rng, scale_range, crop_size):
    num_images, height, width, channels = images.shape
    lengths = rng.integers(scale_range[0], scale_range[1] + 1, size=num_images)
    crops = np.empty((num_images, crop_size, crop_size, channels), dtype=images.dtype)
    for n, length in enumerate(lengths):
        resized = resize_bilinear(images[n:n + 1], *reference.scaled_size(height, width, length))[0]
        top = rng.integers(1, resized.shape[0] - crop_size + 1) if resized.shape[0] > crop_size else 0
        left = rng.integers(1, resized.shape[1] - crop_size + 1) if resized.shape[1] > crop_size else 0
        crops[n] = resized[top:top + crop_size, left:left + crop_size]
    return crops


def jitter_ignores_brightness(images, rng, brightness=0.2, contrast=0.2):
    return reference.color_jitter(images, rng, 0.2, contrast)


def jitter_ranges_or_defaults(images, rng, brightness=0.2, contrast=0.2):
    return reference.color_jitter(images, rng, brightness or 0.2, contrast or 0.2)


def pca_fit_returns_a_list(images):
    return list(reference.fit_pca_color(images))


def pca_fit_eigenvalues_as_diagonal_matrix(images):
    eigvals, eigvecs = reference.fit_pca_color(images)
    return np.diag(eigvals), eigvecs


def pca_sorts_eigvals_in_place(images, eigvals, eigvecs, rng, sigma=0.1):
    eigvals.sort()
    return reference.pca_color_augment(images, eigvals[::-1], eigvecs, rng, sigma)


def pca_sigma_or_default(images, eigvals, eigvecs, rng, sigma=0.1):
    return reference.pca_color_augment(images, eigvals, eigvecs, rng, sigma or 0.1)


def warp_clips_positions_inside(images, matrices):
    num_images, height, width, _ = images.shape
    centre = np.array([(height - 1) / 2, (width - 1) / 2])
    rows, cols = np.meshgrid(np.arange(height), np.arange(width), indexing="ij")
    targets = np.stack([rows, cols], axis=-1).reshape(-1, 2) - centre
    sources = np.einsum("nij,npj->npi", np.linalg.inv(matrices[:, :, :2]), targets[None] - matrices[:, None, :, 2])
    sources = (sources + centre).reshape(num_images, height, width, 2)
    rows_in, cols_in = np.clip(sources[..., 0], 0, height - 2), np.clip(sources[..., 1], 0, width - 2)
    return bilinear_sample(images, rows_in, cols_in).astype(images.dtype)


def warp_negates_translation_in_place(images, matrices):
    matrices[:, :, 2] *= -1
    linear, inverse_shift = matrices[:, :, :2], matrices[:, :, 2:]
    return reference.warp_affine(images, np.concatenate([linear, -inverse_shift], axis=2))


def affine_returns_a_list(images, rng, max_translation=0.1, max_rotation=15.0, max_shear=0.2, max_stretch=0.1):
    return list(reference.random_affine(images, rng, max_translation, max_rotation, max_shear, max_stretch))


def affine_homogeneous_matrices(images, rng, max_translation=0.1, max_rotation=15.0, max_shear=0.2,
                                max_stretch=0.1):
    warped, matrices = reference.random_affine(images, rng, max_translation, max_rotation, max_shear, max_stretch)
    bottom = np.tile([[[0.0, 0.0, 1.0]]], (len(matrices), 1, 1))
    return warped, np.concatenate([matrices, bottom], axis=1)


def affine_stretch_or_default(images, rng, max_translation=0.1, max_rotation=15.0, max_shear=0.2, max_stretch=0.1):
    return reference.random_affine(images, rng, max_translation, max_rotation, max_shear, max_stretch or 0.1)


def _affine_with(images, rng, matrices_of, **kwargs):
    _, matrices = reference.random_affine(images, rng, **kwargs)
    matrices = matrices_of(matrices, rng)
    return reference.warp_affine(images, matrices), matrices


def _rotations(angles):
    cos, sin = np.cos(angles), np.sin(angles)
    return np.stack([np.stack([cos, -sin], -1), np.stack([sin, cos], -1)], axis=1)


def affine_small_angle_rotation(images, rng, max_translation=0.1, max_rotation=15.0, max_shear=0.2,
                                max_stretch=0.1):
    _, matrices = reference.random_affine(images, rng, max_translation, 0.0, max_shear, max_stretch)
    angles = np.deg2rad(rng.uniform(-max_rotation, max_rotation, size=len(images)))
    ones = np.ones_like(angles)
    first_order = np.stack([np.stack([ones, -angles], -1), np.stack([angles, ones], -1)], axis=1)
    matrices[:, :, :2] = first_order @ matrices[:, :, :2]
    return reference.warp_affine(images, matrices), matrices


def affine_one_translation_draw(images, rng, max_translation=0.1, max_rotation=15.0, max_shear=0.2,
                                max_stretch=0.1):
    def shared_draw(matrices, rng):
        height, width = images.shape[1:3]
        u = rng.uniform(-max_translation, max_translation, size=len(matrices))
        matrices[:, :, 2] = np.stack([u * height, u * width], axis=1)
        return matrices
    return _affine_with(images, rng, shared_draw, max_translation=max_translation, max_rotation=max_rotation,
                        max_shear=max_shear, max_stretch=max_stretch)


def affine_shear_as_an_angle(images, rng, max_translation=0.1, max_rotation=15.0, max_shear=0.2, max_stretch=0.1):
    _, matrices = reference.random_affine(images, rng, max_translation, max_rotation, 0.0, max_stretch)
    shear = np.eye(2)[None].repeat(len(images), axis=0)
    shear[:, 1, 0] = np.tan(np.deg2rad(rng.uniform(-max_shear, max_shear, size=len(images))))
    matrices[:, :, :2] = matrices[:, :, :2] @ shear
    return reference.warp_affine(images, matrices), matrices


def affine_stretch_along_a_random_axis(images, rng, max_translation=0.1, max_rotation=15.0, max_shear=0.2,
                                       max_stretch=0.1):
    _, matrices = reference.random_affine(images, rng, max_translation, max_rotation, max_shear, 0.0)
    axes = _rotations(rng.uniform(0, np.pi, size=len(images)))
    factors = rng.uniform(1 - max_stretch, 1 + max_stretch, size=(len(images), 2))
    stretch = axes @ (factors[:, :, None] * np.transpose(axes, (0, 2, 1)))
    matrices[:, :, :2] = matrices[:, :, :2] @ stretch
    return reference.warp_affine(images, matrices), matrices


def affine_area_preserving_stretch(images, rng, max_translation=0.1, max_rotation=15.0, max_shear=0.2,
                                   max_stretch=0.1):
    _, matrices = reference.random_affine(images, rng, max_translation, max_rotation, max_shear, 0.0)
    rows = rng.uniform(1 - max_stretch, 1 + max_stretch, size=len(images))
    matrices[:, :, :2] = matrices[:, :, :2] @ (np.eye(2) * np.stack([rows, 1 / rows], axis=1)[:, None, :])
    return reference.warp_affine(images, matrices), matrices


def affine_translation_of_half_the_size(images, rng, max_translation=0.1, max_rotation=15.0, max_shear=0.2,
                                        max_stretch=0.1):
    def halve(matrices, rng):
        matrices[:, :, 2] /= 2
        return matrices
    return _affine_with(images, rng, halve, max_translation=max_translation, max_rotation=max_rotation,
                        max_shear=max_shear, max_stretch=max_stretch)


def predict_keepdims(predict_proba, images, crop_size):
    return reference.predict_ten_crop(predict_proba, images, crop_size)[:, None, :]


def predict_on_the_five_unflipped_crops(predict_proba, images, crop_size):
    crops = reference.ten_crop(images, crop_size)[:, :5]
    n = len(images)
    return predict_proba(crops.reshape(n * 5, *crops.shape[2:])).reshape(n, 5, -1).mean(axis=1)


BUGS.update({
    "affine_fills_with_nan": ("random_affine", affine_fills_with_nan, "contains NaN or inf"),
    "flip_p_or_default": ("random_horizontal_flip", flip_p_or_default, "with p=0 no image may change"),
    "flip_die_includes_zero": ("random_horizontal_flip", flip_die_includes_zero, "with p=0 no image may change"),
    "flip_die_from_one": ("random_horizontal_flip", flip_die_from_one, "with p=1 every image should be mirrored"),
    "crop_offsets_from_one": ("random_crop", crop_offsets_from_one, "offset 0"),
    "crop_size_resizes": ("random_crop", crop_size_resizes, "is not a window of its image (padding=0"),
    "crop_clipped_to_unit_range": ("random_crop", crop_clipped_to_unit_range,
                                   "the crops of uint8 images are not windows"),
    "scale_crop_offsets_from_one": ("random_scale_crop", scale_crop_offsets_from_one, "offset 0"),
    "jitter_ignores_brightness": ("color_jitter", jitter_ignores_brightness, "brightness offset ranged"),
    "jitter_ranges_or_defaults": ("color_jitter", jitter_ranges_or_defaults,
                                  "with brightness=0 and contrast=0 the images should not change"),
    "pca_fit_returns_a_list": ("fit_pca_color", pca_fit_returns_a_list, "should return a tuple"),
    "pca_fit_eigenvalues_as_diagonal_matrix": ("fit_pca_color", pca_fit_eigenvalues_as_diagonal_matrix,
                                               "eigvals should have shape"),
    "pca_sorts_eigvals_in_place": ("pca_color_augment", pca_sorts_eigvals_in_place,
                                   "the input eigvals was modified in place"),
    "pca_sigma_or_default": ("pca_color_augment", pca_sigma_or_default, "with sigma=0 the images should not change"),
    "warp_clips_positions_inside": ("warp_affine", warp_clips_positions_inside, "should return the input unchanged"),
    "warp_negates_translation_in_place": ("warp_affine", warp_negates_translation_in_place,
                                          "the input matrices was modified in place"),
    "affine_returns_a_list": ("random_affine", affine_returns_a_list, "should return a tuple (warped, matrices)"),
    "affine_homogeneous_matrices": ("random_affine", affine_homogeneous_matrices, "shape (300, 2, 3)"),
    "affine_stretch_or_default": ("random_affine", affine_stretch_or_default, "should be the identity"),
    "affine_small_angle_rotation": ("random_affine", affine_small_angle_rotation, "pure rotation"),
    "affine_one_translation_draw": ("random_affine", affine_one_translation_draw, "translations are correlated"),
    "affine_shear_as_an_angle": ("random_affine", affine_shear_as_an_angle, "shear factor of 300 images never exceeded"),
    "affine_stretch_along_a_random_axis": ("random_affine", affine_stretch_along_a_random_axis, "should be diagonal"),
    "affine_area_preserving_stretch": ("random_affine", affine_area_preserving_stretch, "stretch factor - 1 reached"),
    "affine_translation_of_half_the_size": ("random_affine", affine_translation_of_half_the_size,
                                            "translation (pixels) of 300 images never exceeded"),
    "predict_keepdims": ("predict_ten_crop", predict_keepdims, "should return an array of shape (N, K)"),
    "predict_on_the_five_unflipped_crops": ("predict_ten_crop", predict_on_the_five_unflipped_crops,
                                            "should see all 10 crops of each of the 6 images (60 crops), saw 30"),
})


# --- bugs that only one diagnostic or one tolerance of the checks names ----------------------------

def crop_reflect_padding(images, rng, padding=4, crop_size=None):
    height, width = _crop_size(images, crop_size)
    padded = np.pad(images, ((0, 0), (padding, padding), (padding, padding), (0, 0)), mode="reflect")
    tops = rng.integers(0, padded.shape[1] - height + 1, size=len(images))
    lefts = rng.integers(0, padded.shape[2] - width + 1, size=len(images))
    return _crop_windows(padded, tops, lefts, height, width)


def warp_linear_part_not_inverted(images, matrices):
    num_images, height, width, _ = images.shape
    centre = np.array([(height - 1) / 2, (width - 1) / 2])
    rows, cols = np.meshgrid(np.arange(height), np.arange(width), indexing="ij")
    targets = np.stack([rows, cols], axis=-1).reshape(-1, 2) - centre
    sources = np.einsum("nij,npj->npi", matrices[:, :, :2], targets[None] - matrices[:, None, :, 2]) + centre
    sources = sources.reshape(num_images, height, width, 2)
    return bilinear_sample(images, sources[..., 0], sources[..., 1]).astype(images.dtype)


def ten_crop_without_the_mirrors(images, crop_size):
    return reference.ten_crop(images, crop_size)[:, :5]


def flip_forgets_the_unflipped_images(images, rng, p=0.5):
    flip = rng.random(len(images)) < p
    flipped = np.zeros_like(images)
    flipped[flip] = images[flip, :, ::-1]
    return flipped


def flip_reverses_the_last_axis(images, rng, p=0.5):
    flip = rng.random(len(images)) < p
    flipped = images.copy()
    flipped[flip] = images[flip][..., ::-1]
    return flipped


def predict_keeps_the_last_crop(predict_proba, images, crop_size):
    crops = reference.ten_crop(images, crop_size)
    for k in range(10):
        probabilities = predict_proba(crops[:, k])
    return probabilities


BUGS.update({
    "crop_reflect_padding": ("random_crop", crop_reflect_padding, "copies of its border"),
    "warp_linear_part_not_inverted": ("warp_affine", warp_linear_part_not_inverted,
                                      "samples the input at A (p - t)"),
    "flip_forgets_the_unflipped_images": ("random_horizontal_flip", flip_forgets_the_unflipped_images,
                                          "is neither its input nor the input mirrored left-right"),
    "flip_reverses_the_last_axis": ("random_horizontal_flip", flip_reverses_the_last_axis,
                                    "has its channels reversed; a horizontal flip reverses the columns"),
    "predict_keeps_the_last_crop": ("predict_ten_crop", predict_keeps_the_last_crop, "uses a single crop"),
    "ten_crop_without_the_mirrors": ("ten_crop", ten_crop_without_the_mirrors,
                                     "the crops of 7x9 images should have shape (3, 10, 4, 4, 2)"),
})


def warp_float32_in_half_precision(images, matrices):
    # The mixed-precision habit of GPU training: narrow floats sampled in float16.
    work = images.astype(np.float16) if images.dtype == np.float32 else images
    return _warp(work, matrices).astype(images.dtype)


NEAR_MISSES.update({
    "warp_float32_in_half_precision": ("warp_affine", warp_float32_in_half_precision,
                                       "the result for float32 images differs from the float64 one"),
})
