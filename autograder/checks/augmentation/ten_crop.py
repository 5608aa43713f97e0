"""Hidden checks of 03 Data augmentation: the ten crops of test-time augmentation and the
prediction averaged over them, both compared with the reference."""
import numpy as np

from autograder.checks._common import fail, fresh_rng, max_relative_error, passed
from autograder.checks.augmentation._shared import call_unchanged, assert_result, images_between
from autograder.reference import augmentation as reference


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
        images = images_between(rng, shape, dtype=np.float64)
        images = (images * 255).astype(dtype) if dtype == np.uint8 else images.astype(dtype)
        crops = call_unchanged(name, ten_crop, images, crop_size)
        assert_result(name, crops, (shape[0], 10, crop_size, crop_size, shape[3]), images.dtype,
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
    images = images_between(rng, (num_images, height, width, channels))
    predict_proba = _linear_softmax(rng, (crop_size, crop_size, channels), num_classes)
    probabilities = call_unchanged(name, predict_ten_crop, predict_proba, images, crop_size)
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
