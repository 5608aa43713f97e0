"""Hidden checks of 03 Data augmentation, by topic: ``flip``, ``crops`` (random crops at one and at
random scales), ``color`` (jitter, PCA colour), ``affine`` (warps and random affine maps) and
``ten_crop`` (test-time ten crops and their averaged prediction). Hidden test cells import every
check from here.

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
from autograder.checks.augmentation.affine import check_random_affine, check_warp_affine
from autograder.checks.augmentation.color import check_color_jitter, check_fit_pca_color, check_pca_color_augment
from autograder.checks.augmentation.crops import check_random_crop, check_random_scale_crop
from autograder.checks.augmentation.flip import check_random_horizontal_flip
from autograder.checks.augmentation.ten_crop import check_predict_ten_crop, check_ten_crop

__all__ = [
    "check_color_jitter",
    "check_fit_pca_color",
    "check_pca_color_augment",
    "check_predict_ten_crop",
    "check_random_affine",
    "check_random_crop",
    "check_random_horizontal_flip",
    "check_random_scale_crop",
    "check_ten_crop",
    "check_warp_affine",
]
