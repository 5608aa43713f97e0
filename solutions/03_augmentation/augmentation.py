# ---
# jupyter:
#   jupytext:
#     notebook_metadata_filter: kernelspec,language_info,-jupytext.text_representation.jupytext_version
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
#   language_info:
#     name: python
# ---

# %% [markdown] id="md-intro"
# # Data augmentation: flips, crops, colour, warps, and test-time averaging
#
# A network with millions of weights can memorise a small training set: the training accuracy
# climbs to 100% while the validation accuracy stalls. One of the most effective cures costs no
# extra data collection: **transform the training images at random in ways that keep their
# label**, and train on a fresh transformed copy of every image in every epoch. A cat mirrored
# left-right, cropped a little, seen under warmer light or slightly rotated is still a cat, so the
# network has to learn what these versions have in common instead of the exact pixels of each
# photo.
#
# Data augmentation follows a pattern shared with dropout and batch normalisation: **add noise at
# training time, average it out at test time**. At test time we can evaluate a few fixed versions
# of each image (for instance ten crops) and average the predictions.
#
# In this notebook you will implement, for whole batches of images at once:
#
# 1. a random **horizontal flip**;
# 2. random **crops** of a zero-padded image (the CIFAR-10 recipe) and random **scale-and-crop**
#    (the ResNet recipe);
# 3. **colour** augmentation: brightness and contrast jitter, and PCA colour augmentation (AlexNet);
# 4. a random **affine warp** (rotation, shear, stretch, translation) by inverse mapping;
# 5. **ten-crop testing** and a prediction function that averages over the ten crops;
#
# and then train the same network with and without augmentation, and compare a single test crop
# with ten.
#
# **Conventions.** A batch of images is an array `(N, H, W, C)`: N images of H rows and W columns
# with C channels (3 for RGB, 1 for gray). The photometric and resampling functions work on
# floating-point images with values in **[0, 1]**; every function returns a new array of the
# input's dtype and never modifies its input. Every random function takes a
# `numpy.random.Generator` called `rng` and draws its numbers **separately for every image**: one
# augmentation for the whole batch would show the network the same transformation on all of it.
#
# **How this notebook is graded.** Fill in every cell marked `YOUR CODE HERE` and run the cells top to
# bottom. Each exercise is followed by a check cell you can run; the grader runs further checks on
# other inputs. Cells that ask a question take a written answer. The autograder runs the notebook in
# *grading mode* (the environment variable `CS_GRADING_MODE=1`), which uses less data and fewer
# iterations; the code below picks its sizes from that flag, so leave that logic as it is.

# %% id="setup"
import time

import matplotlib.pyplot as plt
import numpy as np
from threadpoolctl import threadpool_limits

from cs_utils import grading_mode
from cs_utils.augmented_training import AugmentedSolver, accuracy, probability_function
from cs_utils.claims import mean_spread, print_claim
from cs_utils.data import cifar10_available, load_dataset
from cs_utils.fc_net import FullyConnectedNet
from cs_utils.gradient_check import rel_error
from cs_utils.images import bilinear_sample, load_sample_photos, resize_bilinear, show_image_grid

# %matplotlib inline
plt.rcParams["figure.figsize"] = (10.0, 4.0)
# These matrices are small: several BLAS threads gain nothing and, on a busy machine, slow every
# product down many times over.
threadpool_limits(1)

GRADING = grading_mode()
NUM_SEEDS = 1 if GRADING else 3  # independent runs behind every mean and spread (parts 5 and 6)
if GRADING:
    plt.rcParams["figure.dpi"] = 30  # nobody looks at the figures while grading; small ones draw faster

# Real photographs that ship with scikit-learn and matplotlib, as one batch in [0, 1].
photos, photo_names = load_sample_photos(height=96, width=128)

# The training experiments use CIFAR-10 when it has been downloaded
# (python -m cs_utils.data download), otherwise the 8x8 handwritten digits of scikit-learn.
DATASET = "cifar10" if cifar10_available() else "digits"
PIXEL_MAX = {"cifar10": 255.0, "digits": 16.0}[DATASET]
SPLITS = {"cifar10": dict(num_train=2000, num_val=1000, num_test=1000),
          "digits": dict(num_train=300, num_val=500, num_test=500)}[DATASET]
data = load_dataset(DATASET, subtract_mean=False, flatten=False, **SPLITS)
for split in ("X_train", "X_val", "X_test"):
    data[split] = data[split] / PIXEL_MAX  # pixel values in [0, 1]
class_names = data["class_names"]

print("grading mode" if GRADING else "full mode")
print(f"photos: {photos.shape} ({', '.join(photo_names)})")
print(f"dataset: {data['name']}")
for split in ("train", "val", "test"):
    print(f"  {split:5s}: X {data['X_' + split].shape}, y {data['y_' + split].shape}")


def note_dtype(value, dtype, what):
    """The course's dtype rule, applied as the hidden tests apply it: a result in a wider float dtype
    than its float input (float64 for float32) keeps its points but is noted; any other dtype is wrong."""
    got, wanted = np.asarray(value).dtype, np.dtype(dtype)
    if got == wanted:
        return
    assert got.kind == "f" and got.itemsize > wanted.itemsize, f"{what} should be {wanted}, got {got}"
    print(f"note: {what} came back {got} for {wanted} inputs: a {got} operand promoted it (an array made "
          "without dtype=, or a NumPy float64 scalar such as np.power(x, t)); keep the input's dtype")


# %% [markdown] id="md-look"
# Here are the three photos and one training image of each class. Throughout the notebook, every
# augmentation is shown on both.

# %% id="look"
rng = np.random.default_rng(0)
one_per_class = [np.flatnonzero(data["y_train"] == label)[0] for label in range(data["num_classes"])]
digits_to_show = data["X_train"][one_per_class]
show_image_grid([photos], column_labels=photo_names, size=2.4)
plt.show()
show_image_grid([digits_to_show], column_labels=class_names, size=1.0)
plt.show()


# %% [markdown] id="md-flip"
# ## 1. Horizontal flips
#
# The simplest augmentation mirrors an image left-right. For photographs of objects this almost
# never changes the label: the world has no preferred left and right. It doubles the number of
# distinct training images for free. Implement it with **one random decision per image**.

# %% id="random-horizontal-flip" nbgrader={"grade": false, "grade_id": "random_horizontal_flip", "locked": false, "schema_version": 3, "solution": true, "task": false}
def random_horizontal_flip(images, rng, p=0.5):
    """Mirror each image left-right with probability p, independently for every image.

    A horizontal flip reverses the order of the columns: mirrored[i, j] = image[i, W - 1 - j].

    Inputs:
    - images: numpy array (N, H, W, C) of any dtype.
    - rng: numpy.random.Generator; draw one random decision per image (e.g. rng.random(N) < p).
    - p: float in [0, 1], the probability that an image is flipped (default 0.5).

    Returns:
    - flipped: a new array (N, H, W, C) of the same dtype; every image is either unchanged or
      mirrored. The input is not modified.
    """
    ### BEGIN SOLUTION
    flip = rng.random(len(images)) < p
    flipped = images.copy()
    flipped[flip] = images[flip, :, ::-1]
    return flipped
    ### END SOLUTION


# %% id="test-random-horizontal-flip" nbgrader={"grade": true, "grade_id": "test_random_horizontal_flip", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
rng = np.random.default_rng(0)
images = rng.random((1000, 3, 4, 2))
images_before = images.copy()

flipped = random_horizontal_flip(images, rng)
mirrored = np.all(flipped == images[:, :, ::-1], axis=(1, 2, 3))
unchanged = np.all(flipped == images, axis=(1, 2, 3))
print(f"p=0.5: {mirrored.sum()} of {len(images)} images mirrored, {unchanged.sum()} unchanged")
assert flipped.shape == images.shape, f"flipped should have the shape of images, {images.shape}, got {flipped.shape}"
assert flipped.dtype == images.dtype, f"flipped should keep the dtype of images ({images.dtype}), got {flipped.dtype}"
assert np.all(mirrored | unchanged), "every image should be either unchanged or mirrored left-right"
assert 400 < mirrored.sum() < 600, "with p=0.5 about half of the images should be flipped"

assert np.array_equal(random_horizontal_flip(images, rng, p=1.0), images[:, :, ::-1]), "p=1 flips every image"
assert np.array_equal(random_horizontal_flip(images, rng, p=0.0), images), "p=0 flips none"
few = np.mean(np.all(random_horizontal_flip(images, rng, p=0.2) == images[:, :, ::-1], axis=(1, 2, 3)))
print(f"p=0.2: fraction mirrored {few:.3f}")
assert 0.15 < few < 0.25, "p is the probability of flipping an image"

small = np.arange(6, dtype=np.uint8).reshape(1, 2, 3, 1)
assert np.array_equal(random_horizontal_flip(small, rng, p=1.0)[0, :, :, 0], [[2, 1, 0], [5, 4, 3]]), "with p=1 every image should be mirrored left-right (columns reversed, rows kept)"
assert random_horizontal_flip(small, rng).dtype == np.uint8, "keep the dtype"
assert np.array_equal(images, images_before), "the input was modified in place"
print("random_horizontal_flip: visible checks passed")

### BEGIN HIDDEN TESTS
from autograder.checks.augmentation import check_random_horizontal_flip
check_random_horizontal_flip(random_horizontal_flip)
### END HIDDEN TESTS

# %% [markdown] id="md-flip-demo"
# Each photo and its mirror image, and the same for the first digits. Look at the digits: is a
# mirrored digit still the same digit? (The first question at the end asks about this.)

# %% id="flip-demo"
show_image_grid([photos, random_horizontal_flip(photos, rng, p=1.0)], row_labels=["original", "flipped"],
                column_labels=photo_names, size=2.2)
plt.show()
show_image_grid([digits_to_show, random_horizontal_flip(digits_to_show, rng, p=1.0)],
                row_labels=["original", "flipped"], size=1.0)
plt.show()


# %% [markdown] id="md-crop"
# ## 2. Random crops and scales
#
# A network should recognise an object wherever it appears in the frame and whatever its size.
# Two recipes teach it that:
#
# - **Pad and crop (CIFAR-10).** Pad the 32x32 image with 4 pixels of zeros on every side and cut a
#   random 32x32 window out of the 40x40 result. The content moves by up to 4 pixels in each
#   direction, and a strip of black appears at the borders.
# - **Scale and crop (ResNet on ImageNet).** Resize the image so that its shorter side is a random
#   $L \in [256, 480]$ and cut a random 224x224 patch: besides the position, the scale of the
#   object changes too (by up to $480 / 256 \approx 1.9$), and the patch sees between $224/480$ and
#   $224/256$ of the shorter side.
#
# The window's top-left corner `(top, left)` is drawn uniformly among all valid positions:
# for a padded height $H + 2p$ and a crop height $h$ there are $H + 2p - h + 1$ of them. Watch the
# `+ 1`: `rng.integers(low, high)` never returns `high`.

# %% id="random-crop" nbgrader={"grade": false, "grade_id": "random_crop", "locked": false, "schema_version": 3, "solution": true, "task": false}
def random_crop(images, rng, padding=4, crop_size=None):
    """Random crops of zero-padded images (the CIFAR-10 recipe), one random window per image.

    Pad every image with `padding` rows and columns of zeros on each side, which gives images of
    (H + 2 * padding, W + 2 * padding) pixels, and cut out a window of h x w pixels. Its top-left
    corner (top, left) is drawn uniformly from ALL valid positions,
        0 <= top  <= H + 2 * padding - h,     0 <= left <= W + 2 * padding - w,
    both ends included, independently for every image and for the two directions.

    Inputs:
    - images: numpy array (N, H, W, C) of any dtype.
    - rng: numpy.random.Generator.
    - padding: int >= 0, zeros added on every side (default 4).
    - crop_size: int, crops of h = w = crop_size pixels; None (default) for crops of the input
      size, (h, w) = (H, W).

    Returns:
    - crops: a new array (N, h, w, C) of the dtype of images. The input is not modified.

    Avoid a loop over the images: build an (N, h) array of row indices and an (N, w) array of
    column indices (offsets plus np.arange) and index the padded batch with them.
    """
    ### BEGIN SOLUTION
    num_images, height, width, _ = images.shape
    crop_height, crop_width = (height, width) if crop_size is None else (crop_size, crop_size)
    padded = np.pad(images, ((0, 0), (padding, padding), (padding, padding), (0, 0)))
    tops = rng.integers(0, height + 2 * padding - crop_height + 1, size=num_images)
    lefts = rng.integers(0, width + 2 * padding - crop_width + 1, size=num_images)
    rows = tops[:, None] + np.arange(crop_height)
    cols = lefts[:, None] + np.arange(crop_width)
    return padded[np.arange(num_images)[:, None, None], rows[:, :, None], cols[:, None, :]]
    ### END SOLUTION


# %% id="test-random-crop" nbgrader={"grade": true, "grade_id": "test_random_crop", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
rng = np.random.default_rng(1)
# Pixel values 1..12, so every zero in a crop comes from the padding.
image = np.arange(1, 13, dtype=np.float64).reshape(1, 3, 4, 1)
images = np.repeat(image, 500, axis=0)
images_before = images.copy()

crops = random_crop(images, rng, padding=1)
assert crops.shape == (500, 3, 4, 1), f"crops should have shape (500, 3, 4, 1), got {crops.shape}"
assert crops.dtype == images.dtype, f"crops should keep the dtype of images ({images.dtype}), got {crops.dtype}"
padded = np.pad(image[0, :, :, 0], 1)
windows = {padded[top:top + 3, left:left + 4].tobytes() for top in range(3) for left in range(3)}
seen = {crop[:, :, 0].tobytes() for crop in crops}
print(f"padding=1: {len(seen)} different crops among 500; the padded image has {len(windows)} windows")
assert seen <= windows, "a crop is not a window of the zero-padded image"
assert seen == windows, "some valid offsets never occur (both ends of the range are valid)"

crops = random_crop(images, rng, padding=0, crop_size=2)
assert crops.shape == (500, 2, 2, 1), f"crops with crop_size=2 should have shape (500, 2, 2, 1), got {crops.shape}"
seen = {crop.tobytes() for crop in crops}
print(f"padding=0, crop_size=2: {len(seen)} different crops (a 3x4 image has 2 x 3 windows of 2x2)")
assert len(seen) == 6, f"{len(seen)} distinct windows seen, expected all 6 valid offsets: both ends of the range are valid"
assert np.array_equal(random_crop(images, rng, padding=0), images), "padding=0 at full size: nothing to choose"
assert np.array_equal(images, images_before), "the input was modified in place"
print("random_crop: visible checks passed")

### BEGIN HIDDEN TESTS
from autograder.checks.augmentation import check_random_crop
check_random_crop(random_crop)
### END HIDDEN TESTS

# %% [markdown] id="md-crop-demo"
# Five random pad-and-crop views of each photo (padding 16 pixels of the 96x128 photo, one sixth of
# its height) and of the digits (padding 1 of 8 pixels).

# %% id="crop-demo"
def views(augment, images, count):
    """Grid rows: every image followed by count augmented versions of it."""
    repeated = np.repeat(images, count, axis=0)
    augmented = augment(repeated, rng)
    return [[image, *augmented[i * count:(i + 1) * count]] for i, image in enumerate(images)]


columns = ["original"] + [f"view {k}" for k in range(1, 6)]
show_image_grid(views(lambda x, rng: random_crop(x, rng, padding=16), photos, 5), row_labels=photo_names,
                column_labels=columns, size=1.8)
plt.show()
show_image_grid(views(lambda x, rng: random_crop(x, rng, padding=1), digits_to_show[:3], 5),
                column_labels=columns, size=1.1)
plt.show()


# %% [markdown] id="md-scale-crop"
# Now the scale-and-crop recipe. Resizing uses `resize_bilinear` from `cs_utils.images` (given;
# it reads every output pixel from the input by bilinear interpolation, which you will meet again
# in part 4).

# %% id="random-scale-crop" nbgrader={"grade": false, "grade_id": "random_scale_crop", "locked": false, "schema_version": 3, "solution": true, "task": false}
def random_scale_crop(images, rng, scale_range, crop_size):
    """Random scale and crop (the ResNet recipe): resize to a random size, then crop a fixed size.

    For every image independently:
    1. draw an integer L uniformly from scale_range = (L_min, L_max), both ends included;
    2. resize the image with resize_bilinear so that its SHORTER side becomes L and the other side
       keeps the aspect ratio: a side of s pixels becomes round(s * L / min(H, W)) pixels;
    3. cut a crop_size x crop_size window at a uniformly random valid position of the resized
       image (no padding).

    Inputs:
    - images: float array (N, H, W, C), values in [0, 1].
    - rng: numpy.random.Generator.
    - scale_range: tuple (L_min, L_max) of ints with crop_size <= L_min <= L_max.
    - crop_size: int, the side of the square output crops.

    Returns:
    - crops: a new array (N, crop_size, crop_size, C) of the dtype of images.

    Images that drew the same L can be resized together: one call of resize_bilinear per distinct
    L. Your random_crop with padding=0 does step 3.
    """
    ### BEGIN SOLUTION
    num_images, height, width, channels = images.shape
    short = min(height, width)
    lengths = rng.integers(scale_range[0], scale_range[1] + 1, size=num_images)
    crops = np.empty((num_images, crop_size, crop_size, channels), dtype=images.dtype)
    for length in np.unique(lengths):
        chosen = np.flatnonzero(lengths == length)
        size = (round(height * length / short), round(width * length / short))
        crops[chosen] = random_crop(resize_bilinear(images[chosen], *size), rng, padding=0, crop_size=crop_size)
    return crops
    ### END SOLUTION


# %% id="test-random-scale-crop" nbgrader={"grade": true, "grade_id": "test_random_scale_crop", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
rng = np.random.default_rng(2)
image = rng.random((1, 4, 8, 3))
crops = random_scale_crop(np.repeat(image, 400, axis=0), rng, scale_range=(4, 6), crop_size=3)
assert crops.shape == (400, 3, 3, 3), f"crops should have shape (400, 3, 3, 3), got {crops.shape}"
assert crops.dtype == image.dtype, f"crops should keep the dtype of image ({image.dtype}), got {crops.dtype}"

# All valid crops: the short side (4 pixels) becomes L = 4, 5 or 6, the long side 2 L; any 3x3 window.
scale_of_window = {}
for length in (4, 5, 6):
    resized = resize_bilinear(image, length, 2 * length)[0]
    for top in range(length - 2):
        for left in range(2 * length - 2):
            scale_of_window[np.round(resized[top:top + 3, left:left + 3], 10).tobytes()] = length
scales = [scale_of_window.get(np.round(crop, 10).tobytes()) for crop in crops]
assert None not in scales, "a crop is not a window of the image resized to short side L"
print("number of crops per L:", {length: scales.count(length) for length in (4, 5, 6)})
assert set(scales) == {4, 5, 6}, "every L of scale_range, both ends included, should occur"
print("random_scale_crop: visible checks passed")

### BEGIN HIDDEN TESTS
from autograder.checks.augmentation import check_random_scale_crop
check_random_scale_crop(random_scale_crop)
### END HIDDEN TESTS

# %% [markdown] id="md-scale-crop-demo"
# The ResNet recipe scaled to our photos: ImageNet's $L \in [256, 480]$ with 224x224 crops becomes
# $L \in [64, 120]$ with 56x56 crops (the same ratios $224/256 = 7/8$ and $480/256 = 1.875$). Some
# views show most of the photo, others zoom into a detail. For the 8x8 digits: $L \in [8, 10]$
# with 7x7 crops.

# %% id="scale-crop-demo"
show_image_grid(views(lambda x, rng: random_scale_crop(x, rng, (64, 120), 56), photos, 5),
                row_labels=photo_names, column_labels=columns, size=1.8)
plt.show()
show_image_grid(views(lambda x, rng: random_scale_crop(x, rng, (8, 10), 7), digits_to_show[:3], 5),
                column_labels=columns, size=1.1)
plt.show()


# %% [markdown] id="md-color"
# ## 3. Colour
#
# ### Brightness and contrast
#
# The same scene photographed on a cloudy day, with a different camera, or with a different
# exposure has different pixel values but the same label. **Colour jitter** imitates that with
# two random numbers per image: a contrast factor $c$ that stretches the values around the image's
# mean $m$, and a brightness offset $b$ that shifts them all,
# $$x' = \mathrm{clip}\big(m + c\,(x - m) + b,\; 0,\; 1\big).$$
# Because $c$ is drawn around 1 and $b$ around 0, the jittered image equals the original on
# average (before clipping).

# %% id="color-jitter" nbgrader={"grade": false, "grade_id": "color_jitter", "locked": false, "schema_version": 3, "solution": true, "task": false}
def color_jitter(images, rng, brightness=0.2, contrast=0.2):
    """Random brightness and contrast: one random factor and one random offset per image.

    For image n with mean value m_n (the mean over all its pixels AND channels):
        out_n = m_n + c_n * (x_n - m_n) + b_n,    then clipped to [0, 1],
    with the contrast factor c_n ~ Uniform[1 - contrast, 1 + contrast] and the brightness offset
    b_n ~ Uniform[-brightness, brightness]. A factor c_n > 1 spreads the values away from the
    mean (more contrast), c_n < 1 pulls them together; b_n shifts all of them.

    Inputs:
    - images: float array (N, H, W, C), values in [0, 1].
    - rng: numpy.random.Generator.
    - brightness: float >= 0, half-width of the range of the offsets (default 0.2).
    - contrast: float in [0, 1), half-width of the range of the factors around 1 (default 0.2).

    Returns:
    - jittered: a new array (N, H, W, C) of the dtype of images, values in [0, 1].
    """
    ### BEGIN SOLUTION
    shape = (len(images), 1, 1, 1)
    factors = rng.uniform(1 - contrast, 1 + contrast, size=shape)
    offsets = rng.uniform(-brightness, brightness, size=shape)
    means = images.mean(axis=(1, 2, 3), keepdims=True)
    jittered = means + factors * (images - means) + offsets
    return np.clip(jittered, 0.0, 1.0).astype(images.dtype)
    ### END SOLUTION


# %% id="test-color-jitter" nbgrader={"grade": true, "grade_id": "test_color_jitter", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
rng = np.random.default_rng(3)
image = rng.uniform(0.4, 0.6, size=(1, 4, 4, 3))
copies = np.repeat(image, 2000, axis=0)
jittered = color_jitter(copies, rng, brightness=0.1, contrast=0.3)
assert jittered.shape == copies.shape, f"jittered should have the shape of copies, {copies.shape}, got {jittered.shape}"
assert jittered.dtype == copies.dtype, f"jittered should keep the dtype of copies ({copies.dtype}), got {jittered.dtype}"

# Recover each image's contrast factor and brightness offset.
deviation = image - image.mean()
factors = np.sum((jittered - jittered.mean(axis=(1, 2, 3), keepdims=True)) * deviation,
                 axis=(1, 2, 3)) / np.sum(deviation ** 2)
offsets = jittered.mean(axis=(1, 2, 3)) - image.mean()
print(f"contrast factors in [{factors.min():.3f}, {factors.max():.3f}], "
      f"brightness offsets in [{offsets.min():.3f}, {offsets.max():.3f}]")
assert 0.7 - 1e-9 <= factors.min() and factors.max() <= 1.3 + 1e-9 and np.ptp(factors) > 0.5, f"contrast factors ranged over [{factors.min():.3f}, {factors.max():.3f}]; they should cover [0.7, 1.3]"
assert -0.1 - 1e-9 <= offsets.min() and offsets.max() <= 0.1 + 1e-9 and np.ptp(offsets) > 0.15, f"brightness offsets ranged over [{offsets.min():.3f}, {offsets.max():.3f}]; they should cover [-0.1, 0.1]"
assert np.allclose(jittered, image.mean() + factors[:, None, None, None] * deviation + offsets[:, None, None, None]), \
    "each image should be m + c * (x - m) + b with one c and one b per image"

# On average, jitter leaves an image as it is.
print("error of the average jittered image:", rel_error(jittered.mean(axis=0), image[0]))
assert rel_error(jittered.mean(axis=0), image[0]) < 0.02, f"jittered.mean(axis=0) is off: relative error {rel_error(jittered.mean(axis=0), image[0]):.1e} to image[0], should be below 0.02"
assert np.allclose(color_jitter(image, rng, brightness=0.0, contrast=0.0), image), "with brightness=0 and contrast=0 the image should not change"
wide = color_jitter(rng.random((100, 4, 4, 3)).astype(np.float32), rng, brightness=0.5, contrast=0.5)
note_dtype(wide, np.float32, "color_jitter's result")
assert wide.min() >= 0 and wide.max() <= 1, "clip the values to [0, 1]"
print("color_jitter: visible checks passed")

### BEGIN HIDDEN TESTS
from autograder.checks.augmentation import check_color_jitter
check_color_jitter(color_jitter)
### END HIDDEN TESTS

# %% id="jitter-demo"
def jitter(x, rng):
    return color_jitter(x, rng, brightness=0.25, contrast=0.4)


show_image_grid(views(jitter, photos, 5), row_labels=photo_names, column_labels=columns, size=1.8)
plt.show()
show_image_grid(views(jitter, digits_to_show[:3], 5), column_labels=columns, size=1.1)
plt.show()


# %% [markdown] id="md-pca"
# ### PCA colour augmentation
#
# Colour jitter changes every image in the same, fixed way. AlexNet used a data-dependent variant:
# find the directions in RGB space along which the colours of the training pixels actually vary
# (their **principal components**), and shift each image's colour along those directions.
#
# 1. Collect every pixel of the training set as a point in RGB space, an array $(N H W, 3)$, and
#    compute the $3 \times 3$ covariance $\Sigma$ of these colours. Its eigenvectors $e_1, e_2, e_3$
#    are the principal colour directions and its eigenvalues $\lambda_1 \ge \lambda_2 \ge \lambda_3$
#    the variances along them.
# 2. For each training image draw $\alpha_1, \alpha_2, \alpha_3 \sim \mathcal N(0, \sigma^2)$
#    (AlexNet: $\sigma = 0.1$) and add the same colour
#    $\sum_i \alpha_i \lambda_i e_i$ to every one of its pixels.
#
# In natural photos the first component is nearly the gray axis $(1, 1, 1)/\sqrt 3$ (brightness):
# the three channels of a pixel rise and fall together. The next ones are colour contrasts such as
# blue against yellow. So the augmentation mostly changes the intensity, and the colours a little,
# in the proportions in which real photos differ.

# %% id="fit-pca-color" nbgrader={"grade": false, "grade_id": "fit_pca_color", "locked": false, "schema_version": 3, "solution": true, "task": false}
def fit_pca_color(images):
    """Principal components of the pixel colours of a set of images.

    Every pixel is one sample of a C-dimensional colour (for RGB, a point in 3-D). Reshape the
    batch to (N * H * W, C), subtract the mean colour, and compute the C x C covariance
        Sigma = X^T X / (number of pixels).
    Its eigenvectors are the principal colour directions, its eigenvalues the variances of the
    pixel colours along them.

    Inputs:
    - images: float array (N, H, W, C).

    Returns a tuple of:
    - eigvals: float64 array (C,), the eigenvalues in DECREASING order.
    - eigvecs: float64 array (C, C), the unit eigenvectors as COLUMNS: eigvecs[:, i] belongs to
      eigvals[i].

    np.linalg.eigh (for symmetric matrices) returns the eigenvalues in INCREASING order.
    """
    ### BEGIN SOLUTION
    pixels = images.reshape(-1, images.shape[-1]).astype(np.float64)
    centred = pixels - pixels.mean(axis=0)
    covariance = centred.T @ centred / len(pixels)
    eigvals, eigvecs = np.linalg.eigh(covariance)
    order = np.argsort(eigvals)[::-1]
    return eigvals[order], eigvecs[:, order]
    ### END SOLUTION


# %% id="test-fit-pca-color" nbgrader={"grade": true, "grade_id": "test_fit_pca_color", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
rng = np.random.default_rng(4)
mixing = np.array([[0.20, 0.15, 0.10], [-0.05, 0.04, 0.02], [0.01, -0.01, 0.02]])
images = 0.5 + rng.normal(size=(10, 8, 8, 3)) @ mixing   # correlated colours around gray
eigvals, eigvecs = fit_pca_color(images)
assert eigvals.shape == (3,) and eigvecs.shape == (3, 3), f"eigvals should have shape (3,) and eigvecs (3, 3), got {eigvals.shape} and {eigvecs.shape}"

expected_eigvals = np.array([0.0700097283051, 0.00464112186648, 0.000442345524449])
expected_eigvecs = np.array([
    [-0.758469626454, -0.646889349608, -0.0791074908587],
    [-0.535231455637, 0.687559698622, -0.49070250634],
    [-0.371821347751, 0.3298421292, 0.867728676005],
])
print("eigvals error:          ", rel_error(eigvals, expected_eigvals))
# The sign of an eigenvector is arbitrary: compare directions.
alignment = np.abs(np.sum(eigvecs * expected_eigvecs, axis=0))
print("eigvecs direction error:", rel_error(alignment, np.ones(3)))
assert rel_error(eigvals, expected_eigvals) < 1e-8, f"eigvals is off: relative error {rel_error(eigvals, expected_eigvals):.1e} to expected_eigvals, should be below 1e-08"
assert rel_error(alignment, np.ones(3)) < 1e-8, "eigvecs[:, i] should be the eigenvector of eigvals[i]"
assert np.all(np.diff(eigvals) < 0), "sort the eigenvalues from the largest to the smallest"

# The eigen-decomposition rebuilds the covariance of the pixel colours.
covariance = np.cov(images.reshape(-1, 3), rowvar=False, bias=True)
print("covariance error:       ", rel_error(eigvecs @ np.diag(eigvals) @ eigvecs.T, covariance))
assert rel_error(eigvecs @ np.diag(eigvals) @ eigvecs.T, covariance) < 1e-8, f"eigvecs @ np.diag(eigvals) @ eigvecs.T is off: relative error {rel_error(eigvecs @ np.diag(eigvals) @ eigvecs.T, covariance):.1e} to covariance, should be below 1e-08"
print("fit_pca_color: visible checks passed")

### BEGIN HIDDEN TESTS
from autograder.checks.augmentation import check_fit_pca_color
check_fit_pca_color(fit_pca_color)
### END HIDDEN TESTS

# %% [markdown] id="md-pca-directions"
# The principal colour directions of the pixels of our three photos. Each row moves the colours of
# the third photo along one component $e_i$, by $-2, -1, 0, 1, 2$ standard deviations
# $\sqrt{\lambda_i}$ of the pixels along it.

# %% id="pca-directions"
photo_eigvals, photo_eigvecs = fit_pca_color(photos)
print("eigenvalues (variances):", np.round(photo_eigvals, 4))
print("eigenvectors (columns, RGB):\n", np.round(photo_eigvecs, 3))
# An eigenvector's sign is arbitrary; pick the one whose entries sum to a positive number, so
# that + along e1 means brighter.
directions = photo_eigvecs * np.sign(photo_eigvecs.sum(axis=0))
steps = [-2, -1, 0, 1, 2]
rows = [np.clip(photos[2] + np.array([k * np.sqrt(photo_eigvals[i]) * directions[:, i] for k in steps])
                [:, None, None, :], 0, 1) for i in range(3)]
show_image_grid(rows, row_labels=[f"along e{i + 1}" for i in range(3)],
                column_labels=[f"{k:+d} std" for k in steps], size=1.8)
plt.show()


# %% [markdown] id="md-pca-augment"
# Now the random augmentation itself.

# %% id="pca-color-augment" nbgrader={"grade": false, "grade_id": "pca_color_augment", "locked": false, "schema_version": 3, "solution": true, "task": false}
def pca_color_augment(images, eigvals, eigvecs, rng, sigma=0.1):
    """PCA colour augmentation (AlexNet): shift the colour of each image along the principal components.

    For every image n draw alpha_n ~ N(0, sigma^2) independently for each of the C components, and
    add the SAME colour
        shift_n = sum_i alpha_n[i] * eigvals[i] * eigvecs[:, i]        (a C-vector)
    to every pixel of image n; clip the result to [0, 1].

    Inputs:
    - images: float array (N, H, W, C), values in [0, 1].
    - eigvals: array (C,) and eigvecs: array (C, C), as returned by fit_pca_color.
    - rng: numpy.random.Generator.
    - sigma: float >= 0, the standard deviation of the alphas (default 0.1).

    Returns:
    - augmented: a new array (N, H, W, C) of the dtype of images, values in [0, 1].

    No loops needed: all N shifts are one product of an (N, C) array with a (C, C) one.
    """
    ### BEGIN SOLUTION
    alphas = rng.normal(0.0, sigma, size=(len(images), len(eigvals)))
    shifts = (alphas * eigvals) @ eigvecs.T
    return np.clip(images + shifts[:, None, None, :], 0.0, 1.0).astype(images.dtype)
    ### END SOLUTION


# %% id="test-pca-color-augment" nbgrader={"grade": true, "grade_id": "test_pca_color_augment", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
rng = np.random.default_rng(5)
eigvals = np.array([0.05, 0.01, 0.002])
eigvecs, _ = np.linalg.qr(rng.normal(size=(3, 3)))   # some orthonormal colour directions
images = rng.uniform(0.4, 0.6, size=(2000, 2, 3, 3))
images_before = images.copy()

augmented = pca_color_augment(images, eigvals, eigvecs, rng, sigma=1.0)
assert augmented.shape == images.shape, f"augmented should have the shape of images, {images.shape}, got {augmented.shape}"
assert augmented.dtype == images.dtype, f"augmented should keep the dtype of images ({images.dtype}), got {augmented.dtype}"
shifts = augmented - images
assert np.allclose(shifts, shifts[:, :1, :1]), "every pixel of an image should get the same colour shift"

# Express each shift in the eigenvector basis and divide by the eigenvalues: that gives the alphas.
alphas = (shifts[:, 0, 0] @ eigvecs) / eigvals
print("mean of the alphas:              ", np.round(alphas.mean(axis=0), 3), "(expected 0)")
print("standard deviation of the alphas:", np.round(alphas.std(axis=0), 3), "(expected sigma = 1)")
assert np.all(np.abs(alphas.mean(axis=0)) < 0.1), f"the alphas should average about 0, got means {alphas.mean(axis=0).round(3)}"
assert np.all(np.abs(alphas.std(axis=0) - 1.0) < 0.1), f"the alphas should have standard deviation sigma=1, got {alphas.std(axis=0).round(3)}"
assert np.allclose(pca_color_augment(images, eigvals, eigvecs, rng, sigma=0.0), images), "with sigma=0 the images should not change"
assert np.array_equal(images, images_before), "the input was modified in place"
print("pca_color_augment: visible checks passed")

### BEGIN HIDDEN TESTS
from autograder.checks.augmentation import check_pca_color_augment
check_pca_color_augment(pca_color_augment)
### END HIDDEN TESTS

# %% [markdown] id="md-pca-demo"
# A warning about scale. The shift is $\alpha_i \lambda_i$, and $\lambda_i$ is a *variance*: its
# size depends on the units of the pixels. With pixel values in [0, 1] the largest eigenvalue of
# our photos is about 0.27, so with AlexNet's $\sigma = 0.1$ a typical shift is 0.027, about 3% of
# the range: a barely visible change, which is the point of a *gentle* augmentation. (Many
# implementations multiply $\alpha_i$ by $\sqrt{\lambda_i}$, the standard deviation along $e_i$,
# instead, which makes the shift independent of the pixel units.) The rows below use $\sigma = 0.1$
# and an exaggerated $\sigma = 1$, so that you can see the effect.

# %% id="pca-demo"
for sigma in (0.1, 1.0):
    def pca_colour(x, rng):
        return pca_color_augment(x, photo_eigvals, photo_eigvecs, rng, sigma=sigma)

    show_image_grid(views(pca_colour, photos, 5), row_labels=photo_names, column_labels=columns, size=1.6,
                    title=f"PCA colour augmentation, sigma = {sigma}")
    plt.show()


# %% [markdown] id="md-affine"
# ## 4. Affine warps
#
# "Get creative": translations, rotations, stretching and shearing are all **affine maps** of the
# pixel positions. With positions $q = (\text{row}, \text{col})$ measured from the image centre, the
# content at $q$ moves to
# $$q_{\text{out}} = A\,q + t, \qquad A \in \mathbb R^{2\times2},\; t \in \mathbb R^2 .$$
#
# **Inverse mapping.** The obvious way to apply such a map, sending every input pixel to its new
# place, leaves holes: the rounded target positions of a stretched or rotated grid miss some
# output pixels and hit others twice (see the figure below). Instead, loop over the *output*
# pixels and ask where each one comes from, $q_{\text{in}} = A^{-1}(q_{\text{out}} - t)$. That
# position generally falls between input pixels, so read the input there by **bilinear
# interpolation**: the weighted average of the four surrounding pixels, each weighted by how close
# it is. `bilinear_sample(images, rows, cols)` (given, `cs_utils.images`) does exactly that, with
# zeros outside the image.

# %% id="warp-affine" nbgrader={"grade": false, "grade_id": "warp_affine", "locked": false, "schema_version": 3, "solution": true, "task": false}
def warp_affine(images, matrices):
    """Warp every image by its own affine map, by inverse mapping with bilinear sampling.

    Positions are (row, col) measured from the image centre: q = (row - (H-1)/2, col - (W-1)/2).
    matrices[n] = [A | t], a 2 x 3 matrix, moves the content of image n: what the input shows at
    position q appears in the output at
        q_out = A q + t.
    For example t = (1, 0) moves the content one pixel down, A = [[s, 0], [0, s]] zooms by s.

    Compute the output by INVERSE mapping: for every output pixel q_out, find where it comes from,
        q_in = A^{-1} (q_out - t),
    and read the input there with bilinear_sample (from cs_utils.images; zeros outside the image).

    Inputs:
    - images: float array (N, H, W, C).
    - matrices: float array (N, 2, 3): matrices[n, :, :2] is A (invertible), matrices[n, :, 2] is t,
      both acting on (row, col).

    Returns:
    - warped: a new array (N, H, W, C) of the dtype of images.

    Vectorize: one (H * W, 2) grid of output positions for all images, np.linalg.inv on the whole
    (N, 2, 2) stack, and a single call of bilinear_sample.
    """
    ### BEGIN SOLUTION
    num_images, height, width, _ = images.shape
    centre = np.array([(height - 1) / 2, (width - 1) / 2])
    linear, translation = matrices[:, :, :2], matrices[:, :, 2]
    rows, cols = np.meshgrid(np.arange(height), np.arange(width), indexing="ij")
    targets = np.stack([rows, cols], axis=-1).reshape(-1, 2) - centre
    sources = np.einsum("nij,npj->npi", np.linalg.inv(linear), targets[None] - translation[:, None, :])
    sources = (sources + centre).reshape(num_images, height, width, 2)
    return bilinear_sample(images, sources[..., 0], sources[..., 1]).astype(images.dtype)
    ### END SOLUTION


# %% id="test-warp-affine" nbgrader={"grade": true, "grade_id": "test_warp_affine", "locked": true, "points": 4, "schema_version": 3, "solution": false, "task": false}
image = np.arange(16, dtype=np.float64).reshape(1, 4, 4, 1)
print(image[0, :, :, 0])

identity = np.array([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]])
assert np.allclose(warp_affine(image, identity), image), "the identity map should return the input"

# t = (1, -2): the content moves 1 pixel down and 2 pixels left; uncovered pixels are 0.
shifted = warp_affine(image, np.array([[[1.0, 0.0, 1.0], [0.0, 1.0, -2.0]]]))
expected_shifted = np.array([[0, 0, 0, 0], [2, 3, 0, 0], [6, 7, 0, 0], [10, 11, 0, 0]])
print("translation error: ", rel_error(shifted[0, :, :, 0], expected_shifted))
assert rel_error(shifted[0, :, :, 0], expected_shifted) < 1e-10, f"shifted[0, :, :, 0] is off: relative error {rel_error(shifted[0, :, :, 0], expected_shifted):.1e} to expected_shifted, should be below 1e-10"

# A quarter turn about the centre of a square image lands exactly on the pixel grid.
quarter_turn = np.array([[[0.0, -1.0, 0.0], [1.0, 0.0, 0.0]]])
rotated = warp_affine(image, quarter_turn)
print("rotation error:    ", rel_error(rotated, np.rot90(image, axes=(1, 2))))
assert rel_error(rotated, np.rot90(image, axes=(1, 2))) < 1e-10, f"rotated is off: relative error {rel_error(rotated, np.rot90(image, axes=(1, 2))):.1e} to np.rot90(image, axes=(1, 2)), should be below 1e-10"

# Half a pixel to the right: every pixel becomes the mean of two neighbours (bilinear sampling).
half = warp_affine(image, np.array([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.5]]]))
print("half-pixel error:  ", rel_error(half[0, :, 1:, 0], (image[0, :, 1:, 0] + image[0, :, :-1, 0]) / 2))
assert rel_error(half[0, :, 1:, 0], (image[0, :, 1:, 0] + image[0, :, :-1, 0]) / 2) < 1e-10, f"half[0, :, 1:, 0] is off: relative error {rel_error(half[0, :, 1:, 0], (image[0, :, 1:, 0] + image[0, :, :-1, 0]) / 2):.1e} to (image[0, :, 1:, 0] + image[0, :, :-1, 0]) / 2, should be below 1e-10"

general = warp_affine(image, np.array([[[0.9, -0.3, 0.4], [0.2, 1.1, -0.5]]]))
expected_general = np.array([
    [0.224875283447, 0.948684807256, 2.16229024943, 1.40866213152],
    [1.9, 3.9, 5.9, 4.61591836735],
    [5.9, 7.9, 9.9, 9.41954648526],
    [9.9, 11.9, 13.9, 11.587414966],
])
print("general map error: ", rel_error(general[0, :, :, 0], expected_general))
assert rel_error(general[0, :, :, 0], expected_general) < 1e-8, f"general[0, :, :, 0] is off: relative error {rel_error(general[0, :, :, 0], expected_general):.1e} to expected_general, should be below 1e-08"
note_dtype(warp_affine(image.astype(np.float32), identity), np.float32, "warp_affine's result")
print("warp_affine: visible checks passed")

### BEGIN HIDDEN TESTS
from autograder.checks.augmentation import check_warp_affine
check_warp_affine(warp_affine)
### END HIDDEN TESTS

# %% [markdown] id="md-forward-vs-inverse"
# Forward against inverse mapping, for a rotation by 25 degrees and a zoom by 1.3: the forward
# version sends every input pixel to the nearest output pixel and leaves the black holes where no
# input pixel landed; your inverse mapping fills every output pixel.

# %% id="forward-vs-inverse"
def forward_map(image, matrix):
    """Send every input pixel to the output pixel nearest to A q + t (no interpolation)."""
    height, width, _ = image.shape
    centre = np.array([(height - 1) / 2, (width - 1) / 2])
    rows, cols = np.meshgrid(np.arange(height), np.arange(width), indexing="ij")
    positions = np.stack([rows.ravel(), cols.ravel()], axis=1) - centre
    targets = np.rint(positions @ matrix[:, :2].T + matrix[:, 2] + centre).astype(int)
    inside = (targets[:, 0] >= 0) & (targets[:, 0] < height) & (targets[:, 1] >= 0) & (targets[:, 1] < width)
    out = np.zeros_like(image)
    out[targets[inside, 0], targets[inside, 1]] = image[rows.ravel()[inside], cols.ravel()[inside]]
    return out


angle = np.deg2rad(25)
zoom_rotation = np.array([[1.3 * np.cos(angle), -1.3 * np.sin(angle), 0.0],
                          [1.3 * np.sin(angle), 1.3 * np.cos(angle), 0.0]])
show_image_grid([[photos[1], forward_map(photos[1], zoom_rotation), warp_affine(photos[1:2], zoom_rotation[None])[0]]],
                column_labels=["original", "forward mapping", "inverse mapping + bilinear"], size=3.2)
plt.show()


# %% [markdown] id="md-random-affine"
# A random affine augmentation draws a small rotation, shear, stretch and translation for every
# image and composes them into one matrix. It returns the matrices too, so you can check (or
# undo) what was applied.

# %% id="random-affine" nbgrader={"grade": false, "grade_id": "random_affine", "locked": false, "schema_version": 3, "solution": true, "task": false}
def random_affine(images, rng, max_translation=0.1, max_rotation=15.0, max_shear=0.2, max_stretch=0.1):
    """A random affine warp per image: rotation, shear, stretch and translation.

    For every image independently draw
    - an angle theta ~ Uniform[-max_rotation, max_rotation], in DEGREES;
    - a shear factor s ~ Uniform[-max_shear, max_shear];
    - two stretch factors s_row, s_col ~ Uniform[1 - max_stretch, 1 + max_stretch], independently;
    - a translation t = (t_row, t_col) in pixels, t_row = u * H and t_col = v * W with u, v ~
      Uniform[-max_translation, max_translation] independently (a fraction of the image size);
    then build
        A = R(theta) @ Shear(s) @ Stretch(s_row, s_col),
        R = [[cos theta, -sin theta], [sin theta, cos theta]],
        Shear = [[1, 0], [s, 1]],   Stretch = [[s_row, 0], [0, s_col]],
    set matrices[n] = [A | t], and warp all images with warp_affine.

    Inputs:
    - images: float array (N, H, W, C), values in [0, 1].
    - rng: numpy.random.Generator.
    - max_translation, max_rotation (degrees), max_shear, max_stretch: floats >= 0; 0 switches that
      part off.

    Returns a tuple of:
    - warped: a new array (N, H, W, C) of the dtype of images, equal to warp_affine(images, matrices).
    - matrices: float64 array (N, 2, 3), the maps that were applied.
    """
    ### BEGIN SOLUTION
    num_images, height, width, _ = images.shape
    angles = np.deg2rad(rng.uniform(-max_rotation, max_rotation, size=num_images))
    shears = rng.uniform(-max_shear, max_shear, size=num_images)
    stretches = rng.uniform(1 - max_stretch, 1 + max_stretch, size=(num_images, 2))
    translations = rng.uniform(-max_translation, max_translation, size=(num_images, 2)) * [height, width]
    cos, sin = np.cos(angles), np.sin(angles)
    rotation = np.stack([np.stack([cos, -sin], axis=-1), np.stack([sin, cos], axis=-1)], axis=1)
    shear = np.tile(np.eye(2), (num_images, 1, 1))
    shear[:, 1, 0] = shears
    stretch = np.zeros((num_images, 2, 2))
    stretch[:, 0, 0], stretch[:, 1, 1] = stretches[:, 0], stretches[:, 1]
    matrices = np.concatenate([rotation @ shear @ stretch, translations[:, :, None]], axis=2)
    return warp_affine(images, matrices), matrices
    ### END SOLUTION


# %% id="test-random-affine" nbgrader={"grade": true, "grade_id": "test_random_affine", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
rng = np.random.default_rng(6)
images = rng.random((200, 6, 8, 1))
no_change = dict(max_translation=0.0, max_rotation=0.0, max_shear=0.0, max_stretch=0.0)

warped, matrices = random_affine(images, rng, **no_change)
assert matrices.shape == (200, 2, 3), f"matrices should have shape (200, 2, 3), got {matrices.shape}"
assert warped.shape == images.shape, f"warped should have the shape of images, {images.shape}, got {warped.shape}"
assert warped.dtype == images.dtype, f"warped should keep the dtype of images ({images.dtype}), got {warped.dtype}"
assert np.allclose(matrices, [[1, 0, 0], [0, 1, 0]]) and np.allclose(warped, images), "all ranges 0: identity"

_, matrices = random_affine(images, rng, **dict(no_change, max_rotation=30.0))
angles = np.degrees(np.arctan2(matrices[:, 1, 0], matrices[:, 0, 0]))
print(f"max_rotation=30: angles from {angles.min():.1f} to {angles.max():.1f} degrees")
assert np.abs(angles).max() <= 30 + 1e-9 and np.abs(angles).max() > 25, "angles in degrees, up to max_rotation"

_, matrices = random_affine(images, rng, **dict(no_change, max_translation=0.25))
print(f"max_translation=0.25: row shifts up to {np.abs(matrices[:, 0, 2]).max():.2f} pixels (of 6), "
      f"column shifts up to {np.abs(matrices[:, 1, 2]).max():.2f} (of 8)")
assert 1.2 < np.abs(matrices[:, 0, 2]).max() <= 1.5 and 1.6 < np.abs(matrices[:, 1, 2]).max() <= 2.0, "translations should reach but not exceed max_translation times the height (rows) and the width (columns)"

warped, matrices = random_affine(images, rng)
print("warped against warp_affine(images, matrices):", rel_error(warped, warp_affine(images, matrices)))
assert rel_error(warped, warp_affine(images, matrices)) < 1e-8, f"warped is off: relative error {rel_error(warped, warp_affine(images, matrices)):.1e} to warp_affine(images, matrices), should be below 1e-08"
assert len(np.unique(matrices[:, 0, 0])) == len(images), "draw new parameters for every image"
print("random_affine: visible checks passed")

### BEGIN HIDDEN TESTS
from autograder.checks.augmentation import check_random_affine
check_random_affine(random_affine)
### END HIDDEN TESTS

# %% id="affine-demo"
def photo_affine(x, rng):
    return random_affine(x, rng, max_translation=0.1, max_rotation=15, max_shear=0.2, max_stretch=0.15)[0]


def digit_affine(x, rng):
    return random_affine(x, rng, max_translation=0.06, max_rotation=10, max_shear=0.1, max_stretch=0.1)[0]


show_image_grid(views(photo_affine, photos, 5), row_labels=photo_names, column_labels=columns, size=1.8)
plt.show()
show_image_grid(views(digit_affine, digits_to_show[:3], 5), column_labels=columns, size=1.1)
plt.show()


# %% [markdown] id="md-train"
# ## 5. Training with and without augmentation
#
# Now the same network, a fully connected net with one hidden layer of 300 ReLU units, is trained
# twice on a **small** training set (50 digits, about five of each class, or 500 CIFAR-10
# images): once on the images as they
# are, and once on freshly augmented copies in every minibatch. `AugmentedSolver` (from
# `cs_utils.augmented_training`) is the `Solver` of assignment 01 with one addition: it passes
# every training minibatch through an augmentation function `augment(X_batch, rng)` before the
# gradient step. Within a seed, both runs start from the same weights and visit the minibatches in the same
# order (each is repeated for `NUM_SEEDS` seeds, and the table gives the mean ± spread), and both measure the training accuracy on the *unaugmented* training images.
#
# The augmentation has to keep the label, so it depends on the data:
#
# - **digits**: small rotations (up to 10 degrees), shears, stretches (10%) and shifts (up to half
#   a pixel), the ways in which handwriting varies. No flips (see the first question).
# - **CIFAR-10**: the standard recipe, horizontal flips and crops of the image padded by 4 pixels.
#
# The update rule is Adam from assignment 01, given here.

# %% id="train-setup"
def adam(w, dw, config=None):
    """Adam with bias correction, in the config-dict convention of assignment 01."""
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-3)
    config.setdefault("beta1", 0.9)
    config.setdefault("beta2", 0.999)
    config.setdefault("epsilon", 1e-8)
    config.setdefault("m", np.zeros_like(w))
    config.setdefault("v", np.zeros_like(w))
    config.setdefault("t", 0)
    config["t"] += 1
    config["m"] = config["beta1"] * config["m"] + (1 - config["beta1"]) * dw
    config["v"] = config["beta2"] * config["v"] + (1 - config["beta2"]) * dw * dw
    m_hat = config["m"] / (1 - config["beta1"] ** config["t"])
    v_hat = config["v"] / (1 - config["beta2"] ** config["t"])
    return w - config["learning_rate"] * m_hat / (np.sqrt(v_hat) + config["epsilon"]), config


if DATASET == "digits":
    def train_augment(X, rng):
        """Small warps: a digit stays the same digit."""
        return random_affine(X, rng, max_translation=0.06, max_rotation=10, max_shear=0.1, max_stretch=0.1)[0]
    NUM_SMALL_TRAIN, SMALL_EPOCHS, BATCH_SIZE = 50, 300, 25
else:
    def train_augment(X, rng):
        """The CIFAR-10 recipe: random mirror image, then a random crop of the image padded by 4."""
        return random_crop(random_horizontal_flip(X, rng), rng, padding=4)
    NUM_SMALL_TRAIN, SMALL_EPOCHS, BATCH_SIZE = 500, 40, 50
if GRADING:
    SMALL_EPOCHS = 2
HIDDEN_DIMS = [300]


def train(train_data, augment, num_epochs, test_transform=None, seed=0):
    """A fresh network trained with or without augmentation; seed sets its initial weights, the
    order of the minibatches and the augmentation's random numbers."""
    one_input = train_data["X_val"][:1] if test_transform is None else test_transform(train_data["X_val"][:1])
    model = FullyConnectedNet(HIDDEN_DIMS, input_dim=one_input[0].size, num_classes=data["num_classes"],
                              weight_scale=0.05, seed=seed)
    solver = AugmentedSolver(model, train_data, adam, augment=augment, augment_seed=seed,
                             test_transform=test_transform, optim_config={"learning_rate": 1e-3},
                             batch_size=BATCH_SIZE, num_epochs=num_epochs, verbose=False, progress=False, seed=seed)
    solver.train()
    return solver


# %% id="train-runs"
small_data = dict(data, X_train=data["X_train"][:NUM_SMALL_TRAIN], y_train=data["y_train"][:NUM_SMALL_TRAIN])
small_seed_runs = {}  # name -> one solver per seed
for name, augment in [("no augmentation", None), ("augmentation", train_augment)]:
    start = time.time()
    small_seed_runs[name] = [train(small_data, augment, SMALL_EPOCHS, seed=seed) for seed in range(NUM_SEEDS)]
    print(f"{name:16s} trained {NUM_SEEDS} times in {time.time() - start:4.1f} s")
small_runs = {name: runs[0] for name, runs in small_seed_runs.items()}  # the first seed, for the plots

# %% [markdown] id="md-train-plots"
# Left: training (dashed) and validation (solid) accuracy after every epoch, for the first seed. Right: the gap between
# them, the part of the training accuracy that does not carry over to new images.

# %% id="train-plots"
fig, (accuracy_ax, gap_ax) = plt.subplots(1, 2, figsize=(14, 4.5))
colors = ["tab:red", "tab:blue"]
for color, (name, solver) in zip(colors, small_runs.items()):
    train_acc, val_acc = np.array(solver.train_acc_history), np.array(solver.val_acc_history)
    accuracy_ax.plot(train_acc, "--", color=color, label=f"{name}: train")
    accuracy_ax.plot(val_acc, "-", color=color, label=f"{name}: val")
    gap_ax.plot(train_acc - val_acc, color=color, label=name)
accuracy_ax.set(xlabel="epoch", ylabel="accuracy", title=f"{NUM_SMALL_TRAIN} training images ({data['name']})")
# Zoom in on the accuracies after the first tenth of the epochs, where the runs differ.
lowest = min(np.min(solver.val_acc_history[SMALL_EPOCHS // 10:]) for solver in small_runs.values())
accuracy_ax.set_ylim(max(0.0, lowest - 0.1), 1.01)
gap_ax.set(xlabel="epoch", ylabel="train accuracy - val accuracy", title="generalisation gap", ylim=(0, None))
for ax in (accuracy_ax, gap_ax):
    ax.grid(True, alpha=0.3)
    ax.legend()
plt.show()

# Averages over the last epochs smooth out the epoch-to-epoch noise; then mean ± spread over the seeds.
last = max(1, SMALL_EPOCHS // 10)
METRICS = {
    "train": lambda solver: np.mean(solver.train_acc_history[-last:]),
    "val": lambda solver: np.mean(solver.val_acc_history[-last:]),
    "gap": lambda solver: np.mean(solver.train_acc_history[-last:]) - np.mean(solver.val_acc_history[-last:]),
    "best_val": lambda solver: solver.best_val_acc,
    "test": lambda solver: accuracy(probability_function(solver.model)(data["X_test"]), data["y_test"]),
}
print(f"train, val and gap: averages over the last {last} epochs; test: the model with the best val accuracy")
print(f"mean ± spread over {NUM_SEEDS} seeds; {len(data['y_val'])} validation and {len(data['y_test'])} test images")
print(f"{'':16s}" + "".join(f"{metric:>16s}" for metric in METRICS))
augmentation_table = {}
for name, runs in small_seed_runs.items():
    augmentation_table[name] = {metric: mean_spread([value(solver) for solver in runs]) for metric, value in METRICS.items()}
    print(f"{name:16s}" + "".join(f"{mean:9.3f} ± {spread:.3f}" for mean, spread in augmentation_table[name].values()))
print_claim("03.augmentation-closes-gap", n=NUM_SEEDS,
            **{f"{key}_{metric}_{kind}": value
               for key, name in (("plain", "no augmentation"), ("augmented", "augmentation"))
               for metric in ("val", "gap", "test") for kind, value in zip(("mean", "sd"), augmentation_table[name][metric])})


# %% [markdown] id="md-train-read"
# Without augmentation the network fits its few training images perfectly within a few dozen
# epochs, and from then on nothing changes: a loss near zero leaves no gradient to learn from. With
# augmentation the network never sees the same version of an image twice; it still fits the
# training images, but it keeps learning from new variants, and what it learns carries over better
# to new images, so the validation accuracy keeps rising and the gap shrinks: the validation and
# test accuracies end a few points higher, several times the spread over the seeds. Augmentation
# closes part of the gap, not all of it: how much depends on how well the transformations match the
# variation between training and test images. The digits of scikit-learn are already centred and
# scaled to fill their 8x8 box, so small warps add only some of the variation between writers;
# with more training images the gain shrinks further (try `NUM_SMALL_TRAIN = 300`). On
# photographs, where objects appear anywhere, at any size and under any light, augmentation
# matters much more.

# %% [markdown] id="md-tta"
# ## 6. Test-time augmentation: ten crops
#
# A network trained on random crops has never seen a whole image; at test time it needs a crop too.
# A single **centre crop** is the simplest choice, but it loses whatever lies near the borders. The
# standard alternative, reported in many ImageNet papers as "10-crop" accuracy, evaluates **ten**
# crops, the four corners and the centre and the mirror images of these five, and averages the
# predicted class probabilities. It marginalises out the randomness that training added, at ten
# times the cost of a prediction.

# %% id="ten-crop" nbgrader={"grade": false, "grade_id": "ten_crop", "locked": false, "schema_version": 3, "solution": true, "task": false}
def ten_crop(images, crop_size):
    """The ten standard test crops: the 4 corners, the centre, and the mirror images of those five.

    With h = w = crop_size, bottom = H - h and right = W - w, the windows (top, left) are, in
    this order:
        0 top-left (0, 0)            1 top-right (0, right)
        2 bottom-left (bottom, 0)    3 bottom-right (bottom, right)
        4 centre (bottom // 2, right // 2)
    and crops 5 to 9 are crops 0 to 4 mirrored left-right (columns reversed).
    The centre window is exactly centred when H - h and W - w are even; when a margin is odd no
    window is, and this one sits half a pixel above (left of) the centre.

    Inputs:
    - images: numpy array (N, H, W, C) of any dtype, with crop_size <= H and crop_size <= W.
    - crop_size: int.

    Returns:
    - crops: a new array (N, 10, crop_size, crop_size, C) of the dtype of images.
    """
    ### BEGIN SOLUTION
    _, height, width, _ = images.shape
    bottom, right = height - crop_size, width - crop_size
    offsets = [(0, 0), (0, right), (bottom, 0), (bottom, right), (bottom // 2, right // 2)]
    crops = np.stack([images[:, top:top + crop_size, left:left + crop_size] for top, left in offsets], axis=1)
    return np.concatenate([crops, crops[:, :, :, ::-1]], axis=1)
    ### END SOLUTION


# %% id="test-ten-crop" nbgrader={"grade": true, "grade_id": "test_ten_crop", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
images = np.arange(2 * 5 * 6, dtype=np.float64).reshape(2, 5, 6, 1)
crops = ten_crop(images, 3)
assert crops.shape == (2, 10, 3, 3, 1), f"crops should have shape (2, 10, 3, 3, 1), got {crops.shape}"
assert crops.dtype == images.dtype, f"crops should keep the dtype of images ({images.dtype}), got {crops.dtype}"
names = ["top-left", "top-right", "bottom-left", "bottom-right", "centre"]
for k, (top, left) in enumerate([(0, 0), (0, 3), (2, 0), (2, 3), (1, 1)]):
    assert np.array_equal(crops[:, k], images[:, top:top + 3, left:left + 3]), \
        f"crop {k} should be the {names[k]} window at (top, left) = {(top, left)}"
    assert np.array_equal(crops[:, k + 5], crops[:, k, :, ::-1]), f"crop {k + 5} should be crop {k} mirrored"
print("centre crop of image 0:\n", crops[0, 4, :, :, 0])
assert ten_crop(images.astype(np.uint8), 2).dtype == np.uint8, "keep the dtype"
print("ten_crop: visible checks passed")

### BEGIN HIDDEN TESTS
from autograder.checks.augmentation import check_ten_crop
check_ten_crop(ten_crop)
### END HIDDEN TESTS

# %% id="ten-crop-demo"
crop_names = ["top-left", "top-right", "bottom-left", "bottom-right", "centre"]
photo_crops = ten_crop(photos[:1], 80)[0]
show_image_grid([photo_crops[:5], photo_crops[5:]], row_labels=["crops", "mirrored"], column_labels=crop_names,
                size=1.9)
plt.show()


# %% id="predict-ten-crop" nbgrader={"grade": false, "grade_id": "predict_ten_crop", "locked": false, "schema_version": 3, "solution": true, "task": false}
def predict_ten_crop(predict_proba, images, crop_size):
    """Test-time augmentation: average a model's class probabilities over the ten crops.

    Inputs:
    - predict_proba: function that takes a batch of crops (M, crop_size, crop_size, C) and returns
      class probabilities (M, K) whose rows sum to 1.
    - images: numpy array (N, H, W, C).
    - crop_size: int.

    Returns:
    - probabilities: float array (N, K); row n is the mean of the 10 probability vectors of the
      ten crops of image n (in the order of ten_crop).

    Call predict_proba once on all N * 10 crops (reshape the output of ten_crop), not once per image.
    """
    ### BEGIN SOLUTION
    crops = ten_crop(images, crop_size)
    num_images = len(images)
    probabilities = predict_proba(crops.reshape(num_images * 10, *crops.shape[2:]))
    return probabilities.reshape(num_images, 10, -1).mean(axis=1)
    ### END SOLUTION


# %% id="test-predict-ten-crop" nbgrader={"grade": true, "grade_id": "test_predict_ten_crop", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
rng = np.random.default_rng(7)
images = rng.random((4, 6, 7, 2))
weights = rng.normal(size=(3 * 3 * 2, 5))


def linear_softmax(crops):
    """A small fixed classifier of 3x3x2 crops: class probabilities (M, 5)."""
    scores = crops.reshape(len(crops), -1) @ weights
    exp = np.exp(scores - scores.max(axis=1, keepdims=True))
    return exp / exp.sum(axis=1, keepdims=True)


probabilities = predict_ten_crop(linear_softmax, images, 3)
expected_probabilities = np.array([
    [0.161875746452, 0.282399291, 0.279829812254, 0.196329457573, 0.0795656927223],
    [0.253039508864, 0.307396991638, 0.19035911171, 0.197595662458, 0.0516087253303],
    [0.0966874889561, 0.376605095786, 0.219512374324, 0.265588932079, 0.041606108855],
    [0.19745746981, 0.525330963739, 0.147865022442, 0.0865672926478, 0.0427792513613],
])
print("probabilities error:", rel_error(probabilities, expected_probabilities))
assert probabilities.shape == (4, 5), f"probabilities should have shape (4, 5), one row per image, got {probabilities.shape}"
assert rel_error(probabilities, expected_probabilities) < 1e-8, f"probabilities is off: relative error {rel_error(probabilities, expected_probabilities):.1e} to expected_probabilities, should be below 1e-08"
assert np.allclose(probabilities.sum(axis=1), 1), "every row of probabilities should sum to 1 (a mean of probabilities)"
print("predict_ten_crop: visible checks passed")

### BEGIN HIDDEN TESTS
from autograder.checks.augmentation import check_predict_ten_crop
check_predict_ten_crop(predict_ten_crop)
### END HIDDEN TESTS

# %% [markdown] id="md-tta-experiment"
# The experiment, on the lines of ImageNet's 224x224 crops of images of at least 256 pixels: two
# networks are trained on random **6x6 crops of the 8x8 digits** (28x28 crops of the 32x32
# CIFAR-10 images), on all training images loaded above,
#
# - one with random crops only,
# - one with random crops **and** random horizontal flips,
#
# and each is tested with the **centre crop** alone, the **five crops** without their mirror images
# (the first five of `ten_crop`), and all **ten crops**. During training, `test_transform` makes
# the solver measure the accuracy on centre crops. The table reports test-set accuracy, mean ±
# spread over `NUM_SEEDS` seeds.
#
# Why 6x6 and not the 7x7 of ImageNet's ratio $224/256 = 7/8$: the centre window starts at
# `(8 - crop) // 2`. For a 7x7 crop the true centre is half a pixel away from any window, the
# offset `(8 - 7) // 2 = 0` rounds down, and the "centre" crop would be the top-left one, blind to
# the last row and column of every digit. With 6x6 crops the margin is 2 and the centre crop is
# truly centred, one pixel from every border (for CIFAR-10, 28 of 32 leaves a margin of 4).

# %% id="tta-experiment"
CROP = {"cifar10": 28, "digits": 6}[DATASET]  # an even margin: a truly centred centre crop
TTA_EPOCHS = 2 if GRADING else {"cifar10": 15, "digits": 100}[DATASET]


def centre_crop(X):
    """The centre CROP x CROP window of every image (the window 4 of ten_crop)."""
    top, left = (X.shape[1] - CROP) // 2, (X.shape[2] - CROP) // 2
    return X[:, top:top + CROP, left:left + CROP]


tta_augments = {
    "crops": lambda X, rng: random_crop(X, rng, padding=0, crop_size=CROP),
    "crops + flips": lambda X, rng: random_crop(random_horizontal_flip(X, rng), rng, padding=0, crop_size=CROP),
}
assert CROP <= data["X_test"].shape[1] and (data["X_test"].shape[1] - CROP) % 2 == 0, "the centre crop is centred"


def crop_accuracies(solver):
    """Test accuracy of one trained network with the centre crop, 5 crops and 10 crops."""
    predict_proba = probability_function(solver.model)
    five_crops = ten_crop(data["X_test"], CROP)[:, :5]
    five = predict_proba(five_crops.reshape(-1, *five_crops.shape[2:])).reshape(len(five_crops), 5, -1).mean(axis=1)
    return {
        "centre crop": accuracy(predict_proba(centre_crop(data["X_test"])), data["y_test"]),
        "5 crops": accuracy(five, data["y_test"]),
        "10 crops": accuracy(predict_ten_crop(predict_proba, data["X_test"], CROP), data["y_test"]),
    }


tta_runs = {}  # name -> {column: list of accuracies, one per seed}
for name, augment in tta_augments.items():
    start = time.time()
    per_seed = [crop_accuracies(train(data, augment, TTA_EPOCHS, test_transform=centre_crop, seed=seed))
                for seed in range(NUM_SEEDS)]
    tta_runs[name] = {column: [row[column] for row in per_seed] for column in per_seed[0]}
    print(f"trained with {name:14s} {NUM_SEEDS} times in {time.time() - start:4.1f} s")
tta_results = {name: {column: np.mean(values) for column, values in row.items()} for name, row in tta_runs.items()}

print(f"\ntest accuracy ({data['name']}, {len(data['X_test'])} test images), mean ± spread over {NUM_SEEDS} seeds")
print(f"{'trained with':16s}" + "".join(f"{column:>17s}" for column in tta_results["crops"]))
for name, row in tta_runs.items():
    print(f"{name:16s}" + "".join(f"{mean:9.3f} ± {spread:.3f}" for mean, spread in map(mean_spread, row.values())))
for name, row in tta_runs.items():
    gain_10 = mean_spread(np.subtract(row["10 crops"], row["centre crop"]))
    gain_5 = mean_spread(np.subtract(row["5 crops"], row["centre crop"]))
    print(f"{name}: 10 crops - centre crop = {gain_10[0]:+.3f} ± {gain_10[1]:.3f}, "
          f"5 crops - centre crop = {gain_5[0]:+.3f} ± {gain_5[1]:.3f}")
print_claim("03.test-time-crops", n=NUM_SEEDS,
            **{f"{key}_{column.split()[0]}_{kind}": value
               for key, name in (("crops", "crops"), ("flips", "crops + flips"))
               for column, values in tta_runs[name].items() for kind, value in zip(("mean", "sd"), mean_spread(values))})

# %% id="tta-plot"
fig, ax = plt.subplots(figsize=(8, 4))
positions = np.arange(3)
for offset, (name, row) in zip((-0.2, 0.2), tta_results.items()):
    bars = ax.bar(positions + offset, list(row.values()), width=0.4, label=f"trained with {name}")
    ax.bar_label(bars, fmt="%.3f", fontsize=8)
ax.set_xticks(positions, list(tta_results["crops"]))
lowest = min(min(row.values()) for row in tta_results.values())
ax.set_ylim(max(0.0, lowest - 0.1), 1.0)
ax.set_ylabel("test accuracy")
ax.set_title(f"one crop or several at test time (mean of {NUM_SEEDS} seeds)")
ax.legend(loc="lower right")
plt.show()

# %% [markdown] id="md-tta-read"
# On the digits, averaging the five crops beats the centre crop for the network trained on crops
# alone, by about three points, well beyond the spread: together the five crops see every pixel,
# including the one-pixel frame the centre crop leaves out, and the average is less sensitive to
# the exact position than any one view. For the network trained with flips as well the gain is
# about a point, within the noise.
#
# **Why ten crops score below five here.** The mirrored crops are the difference. The network
# trained without flips has never seen a mirrored digit; its predictions on the five mirrored
# crops are poor, and averaging them in pulls ten crops well *below* five crops, even below the
# centre crop. For the network trained with flips the mirrored crops are as familiar as the
# others, and ten crops do as well as five (within the noise); but that network is the weaker one,
# several points behind on the centre crop, because a mirrored digit is not a digit (the first
# question below). On photographs of objects, such as CIFAR-10, a mirrored view is as natural as
# the original, which is why ten-crop testing goes together with flip augmentation there, and why
# the ten-crop recipe does not carry over to digits.

# %% [markdown] id="q-label-preservation" nbgrader={"grade": false, "grade_id": "q_label_preservation_prompt", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **Question.** An augmentation is only useful if it keeps the label. For each of these
# transformations, say whether it preserves the label (a) for CIFAR-10-like photographs of objects
# (cats, cars, ships, ...) and (b) for handwritten digits, and why: horizontal flip, vertical flip,
# rotation by up to 15 degrees, rotation by 180 degrees, random crops that cut off a few border
# pixels, brightness/contrast jitter. Use the digits experiments above (the flipped digits in part
# 1, the table in part 6) in your answer, and name one task of your own choice where even a
# colour change would change the label.

# %% [markdown] id="q-label-preservation-answer" nbgrader={"grade": true, "grade_id": "q_label_preservation", "locked": false, "points": 2, "schema_version": 3, "solution": true, "task": false}
# | transformation | photos of objects | handwritten digits |
# |---|---|---|
# | horizontal flip | yes: a mirrored cat is a cat | no: a mirrored 3 or 7 is no digit, a mirrored 2 looks like a 5 |
# | vertical flip | mostly no (fine for aerial or microscope images) | no: a 6 turns into a 9-like shape |
# | rotation up to 15 degrees | yes (a tilted camera) | yes (slanted handwriting) |
# | rotation by 180 degrees | no (as vertical flips) | no: 6 and 9 swap |
# | small border crops | yes, while the object stays in the frame | a pixel or so; more cuts strokes off (a 7 becomes a 1) |
# | brightness/contrast jitter | yes (lighting, exposure) | yes (pen pressure, scanner) |
#
# The experiments show it: the network trained with flips in part 6 scores lower than the one
# trained without them on its centre crops, because some of its capacity goes into recognising
# mirrored digits, which never occur at test time, and mirrored 2s and 5s blur the classes; and
# the mirrored test crops hurt the network that had never seen them.
#
# A colour change changes the label whenever colour is what is being classified: ripe versus unripe
# fruit, a traffic light's state, red versus white wine from a photo, skin-lesion or
# blood-sample images where hue is diagnostic, or the species of two birds that differ mainly in
# colour.

# %% [markdown] id="q-test-time-averaging" nbgrader={"grade": false, "grade_id": "q_test_time_averaging_prompt", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **Question.** Why average the predictions over several transformed copies of a test image instead
# of predicting from the single untransformed one? Relate it to what the network saw in training,
# and to dropout. Why average the *probabilities* rather than take a majority vote of the ten
# predicted labels, and what does ten-crop testing cost?

# %% [markdown] id="q-test-time-averaging-answer" nbgrader={"grade": true, "grade_id": "q_test_time_averaging", "locked": false, "points": 2, "schema_version": 3, "solution": true, "task": false}
# Training with random augmentation trains the network on a distribution of views of every image,
# so its prediction is a function of the image *and* the random transformation $z$. The natural
# test-time prediction is the expectation over $z$, $E_z[f(x, z)]$, "marginalising out" the noise
# that was added during training. A single crop is one sample of this expectation, and a poor one
# when it differs from the views seen in training (a network trained on random crops never saw a
# whole image) or loses information near the borders. Averaging over a fixed set of views, such as
# the ten crops, approximates the expectation deterministically. It also acts like a small
# ensemble: each view's errors are partly independent, so the average is more reliable than any
# single view. Dropout follows the same pattern: noise in training, and at test time an
# (approximate) average over the noise, there by scaling the activations instead of by sampling,
# which matches the average exactly only up to the next nonlinearity (assignment 02 measured the
# mismatch after a ReLU).
#
# Averaging probabilities keeps the confidence of each view: one very confident correct view can
# outweigh several unsure wrong ones, whereas a vote throws that away and ties are frequent with
# ten voters. The average of probabilities is also a probability vector again.
#
# The cost is test time: ten forward passes per image instead of one (ResNet's multi-scale test
# takes 10 crops at 5 scales, 50 passes). That is fine for a benchmark but often too slow for a
# deployed model, which is why "single-crop" accuracy is reported too. And the views must be ones
# the network was trained on: the mirrored crops hurt the network trained without flips.

# %% [markdown] id="md-summary"
# ## Summary
#
# - Data augmentation trains on random label-preserving transformations of the training images and
#   regularises the network: the gap between training and validation accuracy shrinks.
# - Which transformations keep the label depends on the data: flips are fine for photos of objects
#   but not for digits or text; colour changes are fine unless colour is the label.
# - Flips, pad-and-crop and scale-and-crop cost only indexing and resizing; colour jitter and PCA
#   colour augmentation change the pixel values; affine warps need inverse mapping with bilinear
#   interpolation.
# - At test time, averaging the predicted probabilities over a fixed set of views (ten crops)
#   marginalises the training noise out, at the price of several forward passes, and only with
#   views the network was trained on.
