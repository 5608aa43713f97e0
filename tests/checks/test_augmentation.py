"""The hidden checks of 03 Data augmentation: references pass, catalogued bugs fail, equivalents pass."""
import numpy as np
import pytest

from autograder.checks import augmentation as checks
from autograder.reference import augmentation as reference
from tests.checks.bug_catalogue.augmentation import BUGS, DTYPE_SLIPS, EQUIVALENTS, NEAR_MISSES
from tests.checks.check_harness import shared_tests

EXERCISES = [
    "random_horizontal_flip", "random_crop", "random_scale_crop", "color_jitter", "fit_pca_color",
    "pca_color_augment", "warp_affine", "random_affine", "ten_crop", "predict_ten_crop",
]


def run_check(exercise, function, seed):
    getattr(checks, f"check_{exercise}")(function, seed=seed)


globals().update(shared_tests(
    "augmentation", run_check, lambda exercise: getattr(reference, exercise), EXERCISES, BUGS, NEAR_MISSES,
    EQUIVALENTS, DTYPE_SLIPS))


def test_every_exercise_has_an_equivalent_formulation():
    assert {exercise for exercise, _ in EQUIVALENTS.values()} == set(EXERCISES)


def test_exception_in_student_code_names_the_error():
    def broken(images, rng, p=0.5):
        return images[:, :, :, :, 0]

    with pytest.raises(AssertionError, match="raised IndexError"):
        run_check("random_horizontal_flip", broken, 0)


def test_wrong_return_type_is_reported():
    with pytest.raises(AssertionError, match="numpy array"):
        run_check("ten_crop", lambda images, crop_size: list(reference.ten_crop(images, crop_size)), 0)


def test_ten_crop_order_is_documented_by_the_offsets():
    images = np.arange(2 * 5 * 6 * 1, dtype=np.float64).reshape(2, 5, 6, 1)
    crops = reference.ten_crop(images, 3)
    assert reference.ten_crop_offsets(5, 6, 3, 3) == [(0, 0), (0, 3), (2, 0), (2, 3), (1, 1)]
    np.testing.assert_array_equal(crops[:, 4], images[:, 1:4, 1:4])
    np.testing.assert_array_equal(crops[:, 6], images[:, 0:3, 3:6][:, :, ::-1])
