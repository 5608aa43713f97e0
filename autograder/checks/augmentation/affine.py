"""Hidden checks of 03 Data augmentation: ``warp_affine`` (compared with the reference) and the
random affine transformations (checked by the matrices they return)."""
import numpy as np

from autograder.checks._common import assert_unchanged, call, fail, fresh_rng, max_relative_error, passed, snapshot
from autograder.checks.augmentation._shared import call_unchanged, assert_result, images_between
from autograder.reference import augmentation as reference
from cs_utils.images import bilinear_sample


# --- warp_affine -----------------------------------------------------------------------------

def _variant_warp(images, matrices, inverse=True, centred=True):
    """The reference warp, or a misreading of it that passes the translation test, for diagnosis:
    the linear part not inverted, A (p - t), or positions measured from the top-left pixel. (The
    forward map A p + t fails the translation test first.)"""
    num_images, height, width, _ = images.shape
    centre = np.array([(height - 1) / 2, (width - 1) / 2]) if centred else np.zeros(2)
    linear, translation = matrices[:, :, :2], matrices[:, :, 2]
    linear = np.linalg.inv(linear) if inverse else linear
    rows, cols = np.meshgrid(np.arange(height), np.arange(width), indexing="ij")
    targets = np.stack([rows, cols], axis=-1).reshape(-1, 2) - centre
    sources = np.einsum("nij,npj->npi", linear, targets[None] - translation[:, None, :])
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
    images = images_between(rng, (num_images, height, width, 2))

    identity = np.tile(np.hstack([np.eye(2), np.zeros((2, 1))]), (num_images, 1, 1))
    warped = call_unchanged(name, warp_affine, images, identity)
    assert_result(name, warped, images.shape, images.dtype)
    if max_relative_error(warped, images) > 1e-10:
        fail(name, "the identity matrices [[1, 0, 0], [0, 1, 0]] should return the input unchanged")

    shift = (1, -2)
    translation = identity.copy()
    translation[:, :, 2] = shift
    (matrices_before,) = snapshot(translation)
    warped = call_unchanged(name, warp_affine, images, translation)
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
    warped = call_unchanged(name, warp_affine, images, matrices)
    expected = reference.warp_affine(images, matrices)
    if np.abs(warped - expected).max() > 1e-8:
        if np.abs(warped - _variant_warp(images, matrices, inverse=False)).max() < 1e-8:
            fail(name, "the output samples the input at A (p - t): the translation is undone but the linear "
                       "part is not; read every output pixel p from the input at the inverse map A^-1 (p - t)")
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
    warped = call_unchanged(name, warp_affine, single, matrices)
    assert_result(name, warped, single.shape, single.dtype, "the result for float32 images")
    if np.abs(warped - expected).max() > 1e-5:
        fail(name, "the result for float32 images differs from the float64 one")
    passed(name, 4, seed)


# --- random_affine ---------------------------------------------------------------------------

def _affine_result(name, result, images, setting):
    if not (isinstance(result, tuple) and len(result) == 2):
        fail(name, "should return a tuple (warped, matrices)")
    warped, matrices = result
    assert_result(name, warped, images.shape, images.dtype, "warped")
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
    images = images_between(rng, (num_images, height, width, 1))
    nothing = dict(max_translation=0.0, max_rotation=0.0, max_shear=0.0, max_stretch=0.0)

    def run(setting, **kwargs):
        return _affine_result(name, call_unchanged(name, random_affine, images, rng, **{**nothing, **kwargs}),
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

    matrices = _affine_result(name, call_unchanged(name, random_affine, images, rng), images, "default arguments")
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
