"""Reference data augmentations for 03 Data augmentation.

Images are batches (N, H, W, C) in NHWC layout. The geometric operations (flip, crops) work
for any dtype; the photometric and resampling ones expect floating-point images with values in
[0, 1]. Every function returns new arrays of the input dtype and never modifies its inputs.
Random functions draw their numbers from the given ``numpy.random.Generator``, independently
for every image.
"""
import numpy as np

from cs_utils.images import bilinear_sample, resize_bilinear


def random_horizontal_flip(images, rng, p=0.5):
    """Mirror each image left-right with probability p."""
    flip = rng.random(len(images)) < p
    flipped = images.copy()
    flipped[flip] = images[flip, :, ::-1]
    return flipped


def _crop_shape(images, crop_size):
    return images.shape[1:3] if crop_size is None else (crop_size, crop_size)


def random_crop(images, rng, padding=4, crop_size=None):
    """Zero-pad every side by ``padding`` and cut a window at a random offset per image."""
    num_images, height, width, _ = images.shape
    crop_height, crop_width = _crop_shape(images, crop_size)
    padded = np.pad(images, ((0, 0), (padding, padding), (padding, padding), (0, 0)))
    top = rng.integers(0, height + 2 * padding - crop_height + 1, size=num_images)
    left = rng.integers(0, width + 2 * padding - crop_width + 1, size=num_images)
    rows = top[:, None] + np.arange(crop_height)
    cols = left[:, None] + np.arange(crop_width)
    return padded[np.arange(num_images)[:, None, None], rows[:, :, None], cols[:, None, :]]


def scaled_size(height, width, short_side):
    """(height, width) after resizing so that the shorter side is ``short_side``."""
    short = min(height, width)
    return int(round(height * short_side / short)), int(round(width * short_side / short))


def random_scale_crop(images, rng, scale_range, crop_size):
    """Resize each image so its short side is a random L in scale_range, then crop randomly."""
    num_images, height, width, channels = images.shape
    lengths = rng.integers(scale_range[0], scale_range[1] + 1, size=num_images)
    crops = np.empty((num_images, crop_size, crop_size, channels), dtype=images.dtype)
    for length in np.unique(lengths):
        chosen = np.flatnonzero(lengths == length)
        resized = resize_bilinear(images[chosen], *scaled_size(height, width, length))
        crops[chosen] = random_crop(resized, rng, padding=0, crop_size=crop_size)
    return crops


def color_jitter(images, rng, brightness=0.2, contrast=0.2):
    """Random contrast factor and brightness offset per image, clipped to [0, 1]."""
    shape = (len(images), 1, 1, 1)
    factor = rng.uniform(1 - contrast, 1 + contrast, size=shape)
    offset = rng.uniform(-brightness, brightness, size=shape)
    mean = images.mean(axis=(1, 2, 3), keepdims=True)
    jittered = mean + factor * (images - mean) + offset
    return np.clip(jittered, 0.0, 1.0).astype(images.dtype)


def fit_pca_color(images):
    """Eigenvalues (descending) and eigenvectors (columns) of the covariance of the pixel colours."""
    pixels = images.reshape(-1, images.shape[-1]).astype(np.float64)
    centred = pixels - pixels.mean(axis=0)
    covariance = centred.T @ centred / len(pixels)
    eigvals, eigvecs = np.linalg.eigh(covariance)
    order = np.argsort(eigvals)[::-1]
    return eigvals[order], eigvecs[:, order]


def pca_color_augment(images, eigvals, eigvecs, rng, sigma=0.1):
    """Add sum_i alpha_i * eigval_i * eigvec_i, alpha_i ~ N(0, sigma^2), to every pixel of an image."""
    alphas = rng.normal(0.0, sigma, size=(len(images), len(eigvals)))
    shifts = (alphas * eigvals) @ eigvecs.T
    return np.clip(images + shifts[:, None, None, :], 0.0, 1.0).astype(images.dtype)


def warp_affine(images, matrices):
    """Warp image n by the forward map p_out = A_n p_in + t_n (centred (row, col) coordinates)."""
    num_images, height, width, _ = images.shape
    centre = np.array([(height - 1) / 2, (width - 1) / 2])
    linear, translation = matrices[:, :, :2], matrices[:, :, 2]
    rows, cols = np.meshgrid(np.arange(height), np.arange(width), indexing="ij")
    targets = np.stack([rows, cols], axis=-1).reshape(-1, 2) - centre
    sources = np.einsum("nij,npj->npi", np.linalg.inv(linear), targets[None] - translation[:, None, :]) + centre
    sources = sources.reshape(num_images, height, width, 2)
    return bilinear_sample(images, sources[..., 0], sources[..., 1]).astype(images.dtype)


def random_affine(images, rng, max_translation=0.1, max_rotation=15.0, max_shear=0.2, max_stretch=0.1):
    """Rotation @ shear @ stretch plus a translation, drawn per image; returns (warped, matrices)."""
    num_images, height, width, _ = images.shape
    angles = np.deg2rad(rng.uniform(-max_rotation, max_rotation, size=num_images))
    shears = rng.uniform(-max_shear, max_shear, size=num_images)
    stretches = rng.uniform(1 - max_stretch, 1 + max_stretch, size=(num_images, 2))
    translations = rng.uniform(-max_translation, max_translation, size=(num_images, 2)) * [height, width]
    cos, sin = np.cos(angles), np.sin(angles)
    rotation = np.stack([np.stack([cos, -sin], -1), np.stack([sin, cos], -1)], axis=1)
    shear = np.zeros((num_images, 2, 2))
    shear[:, 0, 0] = shear[:, 1, 1] = 1.0
    shear[:, 1, 0] = shears
    stretch = np.zeros((num_images, 2, 2))
    stretch[:, 0, 0], stretch[:, 1, 1] = stretches[:, 0], stretches[:, 1]
    matrices = np.concatenate([rotation @ shear @ stretch, translations[:, :, None]], axis=2)
    return warp_affine(images, matrices), matrices


def ten_crop_offsets(height, width, crop_height, crop_width):
    """(top, left) of the five windows: top-left, top-right, bottom-left, bottom-right, centre.

    The centre is exactly centred for even margins (height - crop_height, width - crop_width); for an
    odd margin no window is, and the offset rounds down (half a pixel above and left of the centre).
    """
    bottom, right = height - crop_height, width - crop_width
    return [(0, 0), (0, right), (bottom, 0), (bottom, right), (bottom // 2, right // 2)]


def ten_crop(images, crop_size):
    """The 5 standard windows and their mirror images: (N, 10, crop_size, crop_size, C)."""
    _, height, width, _ = images.shape
    windows = [images[:, top:top + crop_size, left:left + crop_size]
               for top, left in ten_crop_offsets(height, width, crop_size, crop_size)]
    crops = np.stack(windows, axis=1)
    return np.concatenate([crops, crops[:, :, :, ::-1]], axis=1)


def predict_ten_crop(predict_proba, images, crop_size):
    """Average of predict_proba over the 10 crops of every image: (N, K)."""
    crops = ten_crop(images, crop_size)
    num_images = len(images)
    probabilities = predict_proba(crops.reshape(num_images * 10, *crops.shape[2:]))
    return probabilities.reshape(num_images, 10, -1).mean(axis=1)
