"""Source and target datasets of the transfer-learning notebook, all offline.

- The SOURCE task, on which the bundled backbone was pretrained (`cs_utils.pretrain`): 10 kinds
  of shapes drawn at a random position, size, rotation and colour on a coloured, shaded, noisy
  background. The images are generated, deterministically from a seed, so the source set can be
  as large as pretraining needs without any download.
- The "similar" TARGET task "shapes": 10 other kinds of shapes, drawn by the same renderer.
  Same visual statistics, other classes.
- The "different" TARGET task: scikit-learn's handwritten digits (real 8x8 scans, grey
  strokes on black, upsampled), or CIFAR-10 photographs when they are on disk.

Images are float32 NHWC arrays in [0, 1] of IMAGE_SIZE x IMAGE_SIZE x 3. `to_tensor` turns them
into the normalised NCHW tensors a model takes, `make_loader` batches them.
"""

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

from cs_utils.data import cifar10_available, load_dataset

IMAGE_SIZE = 32

SOURCE_SHAPES = ("disk", "ring", "square", "square outline", "triangle", "triangle outline",
                 "plus", "bar", "half disk", "star")
TARGET_SHAPES = ("hexagon", "crescent", "L", "T", "two dots", "three dots", "pac-man", "ellipse",
                 "arrow", "bullseye")

# Pixels are uniform-ish in [0, 1]; this maps them to roughly zero mean and unit variance.
INPUT_MEAN = (0.5, 0.5, 0.5)
INPUT_STD = (0.25, 0.25, 0.25)

# Default split sizes of a target dataset, per class.
TARGET_MAX_TRAIN_PER_CLASS = 100
TARGET_NUM_VAL_PER_CLASS = 30
TARGET_NUM_TEST_PER_CLASS = 40


# --- signed distance functions of the shapes --------------------------------------------------
# Each takes local coordinates u, v (arrays of equal shape; the shape has a radius of about 1)
# and returns the signed distance to the outline: negative inside, positive outside.

def _circle(u, v, radius, cu=0.0, cv=0.0):
    return np.hypot(u - cu, v - cv) - radius


def _box(u, v, half_width, half_height, cu=0.0, cv=0.0):
    qu, qv = np.abs(u - cu) - half_width, np.abs(v - cv) - half_height
    outside = np.hypot(np.maximum(qu, 0.0), np.maximum(qv, 0.0))
    return outside + np.minimum(np.maximum(qu, qv), 0.0)


def _regular_polygon(u, v, num_sides, apothem):
    angles = np.pi / 2 + 2 * np.pi * np.arange(num_sides) / num_sides
    distances = [u * np.cos(a) + v * np.sin(a) for a in angles]
    return np.max(distances, axis=0) - apothem


def _outline(distance, half_thickness):
    return np.abs(distance) - half_thickness


def _wedge(u, v, half_angle):
    """The region u > 0, |v| < u tan(half_angle)."""
    return np.maximum(-u, np.abs(v) * np.cos(half_angle) - u * np.sin(half_angle))


SHAPE_DISTANCES = {
    "disk": lambda u, v: _circle(u, v, 1.0),
    "ring": lambda u, v: _outline(_circle(u, v, 0.78), 0.22),
    "square": lambda u, v: _box(u, v, 0.8, 0.8),
    "square outline": lambda u, v: _outline(_box(u, v, 0.72, 0.72), 0.2),
    "triangle": lambda u, v: _regular_polygon(u, v, 3, 0.55),
    "triangle outline": lambda u, v: _outline(_regular_polygon(u, v, 3, 0.5), 0.18),
    "plus": lambda u, v: np.minimum(_box(u, v, 1.0, 0.28), _box(u, v, 0.28, 1.0)),
    "bar": lambda u, v: _box(u, v, 1.0, 0.3),
    "half disk": lambda u, v: np.maximum(_circle(u, v, 1.0, cv=-0.45), -(v + 0.45)),
    # Not an exact distance, close enough for the antialiased edge.
    "star": lambda u, v: 0.6 * (np.hypot(u, v) - 0.62 - 0.38 * np.cos(5 * np.arctan2(v, u))),
    "hexagon": lambda u, v: _regular_polygon(u, v, 6, 0.85),
    "crescent": lambda u, v: np.maximum(_circle(u, v, 1.0), -_circle(u, v, 0.8, cu=0.5)),
    "L": lambda u, v: np.minimum(_box(u, v, 0.25, 0.95, cu=-0.5), _box(u, v, 0.75, 0.25, cu=0.0, cv=-0.7)),
    "T": lambda u, v: np.minimum(_box(u, v, 0.95, 0.25, cv=0.7), _box(u, v, 0.25, 0.95)),
    "two dots": lambda u, v: np.minimum(_circle(u, v, 0.42, cu=-0.55), _circle(u, v, 0.42, cu=0.55)),
    "three dots": lambda u, v: np.min([_circle(u, v, 0.36, cu=0.62 * np.cos(a), cv=0.62 * np.sin(a))
                                       for a in np.pi / 2 + 2 * np.pi * np.arange(3) / 3], axis=0),
    "pac-man": lambda u, v: np.maximum(_circle(u, v, 1.0), -_wedge(u, v, np.pi / 5)),
    "ellipse": lambda u, v: 0.5 * (np.hypot(u, 2.0 * v) - 1.0),
    # A shaft along u and a triangular head pointing to +u.
    "arrow": lambda u, v: np.minimum(_box(u, v, 0.5, 0.15, cu=-0.5), _regular_polygon(v, 0.3 - u, 3, 0.35)),
    "bullseye": lambda u, v: np.minimum(_outline(_circle(u, v, 0.8), 0.18), _circle(u, v, 0.32)),
}


def render_shapes(labels, shape_names, rng, image_size=IMAGE_SIZE):
    """Draw one shape per image, with random pose, colours, shading and noise.

    Every image gets its own random scale (shape radius 35% to 60% of half the image), rotation,
    position, foreground and background colour (kept apart so that the shape stays visible),
    a linear shading of the background and Gaussian pixel noise. Edges are antialiased.

    Inputs:
    - labels: int array (N,) of indices into shape_names
    - shape_names: sequence of keys of SHAPE_DISTANCES
    - rng: numpy.random.Generator (all randomness comes from it)
    - image_size: int S, images are S x S

    Returns:
    - images: float32 array (N, S, S, 3) in [0, 1]
    """
    labels = np.asarray(labels)
    num_images = len(labels)
    scale = rng.uniform(0.35, 0.6, num_images)
    angle = rng.uniform(0.0, 2 * np.pi, num_images)
    offset = rng.uniform(-0.3, 0.3, (num_images, 2))
    background = rng.uniform(0.0, 1.0, (num_images, 3))
    foreground = rng.uniform(0.0, 1.0, (num_images, 3))
    # Redraw foreground colours too close to the background, so that every shape is visible.
    too_close = np.abs(foreground - background).mean(axis=1) < 0.3
    while too_close.any():
        foreground[too_close] = rng.uniform(0.0, 1.0, (int(too_close.sum()), 3))
        too_close = np.abs(foreground - background).mean(axis=1) < 0.3
    shade_angle = rng.uniform(0.0, 2 * np.pi, num_images)
    shade_strength = rng.uniform(0.0, 0.3, num_images)
    noise_std = rng.uniform(0.01, 0.06, num_images)
    noise = rng.normal(size=(num_images, image_size, image_size, 3))

    # Pixel centres in [-1, 1]; y points up.
    coords = (np.arange(image_size) + 0.5) / image_size * 2.0 - 1.0
    x, y = coords[None, None, :], -coords[None, :, None]
    dx, dy = x - offset[:, 0, None, None], y - offset[:, 1, None, None]
    cos, sin = np.cos(angle)[:, None, None], np.sin(angle)[:, None, None]
    u = (cos * dx + sin * dy) / scale[:, None, None]
    v = (-sin * dx + cos * dy) / scale[:, None, None]

    distance = np.empty((num_images, image_size, image_size))
    for label in np.unique(labels):
        members = labels == label
        distance[members] = SHAPE_DISTANCES[shape_names[label]](u[members], v[members])
    # Distance in pixels; a one-pixel ramp antialiases the edge.
    alpha = np.clip(0.5 - distance * scale[:, None, None] * image_size / 2.0, 0.0, 1.0)[..., None]

    shading = shade_strength[:, None, None] * (x * np.cos(shade_angle)[:, None, None]
                                               + y * np.sin(shade_angle)[:, None, None]) / 2.0
    back = background[:, None, None, :] + shading[..., None]
    images = (1.0 - alpha) * back + alpha * foreground[:, None, None, :]
    images = images + noise_std[:, None, None, None] * noise
    return np.clip(images, 0.0, 1.0).astype(np.float32)


def _balanced_labels(num_classes, num_per_class, rng):
    """num_per_class of every label, in random order: int64 array (num_classes * num_per_class,)."""
    return rng.permutation(np.repeat(np.arange(num_classes, dtype=np.int64), num_per_class))


def make_shapes(shape_names, num_per_class, seed, image_size=IMAGE_SIZE):
    """A class-balanced, shuffled set of rendered shapes.

    Inputs:
    - shape_names: sequence of C keys of SHAPE_DISTANCES (label i is shape_names[i])
    - num_per_class: int, images per class
    - seed: int, the same seed always gives the same images
    - image_size: int S

    Returns a tuple of:
    - images: float32 array (C * num_per_class, S, S, 3) in [0, 1]
    - labels: int64 array (C * num_per_class,)
    """
    rng = np.random.default_rng(seed)
    labels = _balanced_labels(len(shape_names), num_per_class, rng)
    # Render in chunks to bound the memory of the float64 intermediates.
    chunks = [render_shapes(labels[start:start + 2048], shape_names, rng, image_size)
              for start in range(0, len(labels), 2048)]
    images = np.concatenate(chunks) if chunks else np.zeros((0, image_size, image_size, 3), np.float32)
    return images, labels


def _take_per_class(labels, num_per_class, rng):
    """Indices of the first num_per_class examples of every class, in random order."""
    order = rng.permutation(len(labels))
    chosen = [order[labels[order] == label][:num_per_class] for label in np.unique(labels)]
    return rng.permutation(np.concatenate(chosen))


def _resize(images, image_size):
    """Bilinear resize of float images (N, H, W, C) to (N, S, S, C), float32."""
    tensor = torch.from_numpy(np.ascontiguousarray(images, dtype=np.float32)).permute(0, 3, 1, 2)
    resized = F.interpolate(tensor, size=(image_size, image_size), mode="bilinear", align_corners=False)
    return resized.permute(0, 2, 3, 1).clamp(0.0, 1.0).numpy()


def _split_per_class(labels, sizes, rng):
    """Disjoint, class-balanced index arrays, one per entry of sizes (split -> count per class);
    a class with too few examples fills the earlier splits first."""
    order = rng.permutation(len(labels))
    chosen = {split: [] for split in sizes}
    for label in np.unique(labels):
        members = order[labels[order] == label]
        start = 0
        for split, count in sizes.items():
            chosen[split].append(members[start:start + count])
            start += count
    return {split: rng.permutation(np.concatenate(parts)) for split, parts in chosen.items()}


def _real_target(name, rng, image_size):
    """Images in [0, 1] at image_size and labels of digits (all 1797) or 2000 CIFAR-10 images."""
    pool_size = 1797 if name == "digits" else 2000
    data = load_dataset(name, num_train=pool_size, num_val=0, num_test=0, subtract_mean=False,
                        flatten=False, seed=int(rng.integers(2**31)))
    images = data["X_train"] / (16.0 if name == "digits" else 255.0)
    if images.shape[-1] == 1:
        images = np.repeat(images, 3, axis=-1)
    return _resize(images, image_size), data["y_train"], data["name"], data["class_names"]


def load_target(name, num_train_per_class=TARGET_MAX_TRAIN_PER_CLASS, num_val_per_class=TARGET_NUM_VAL_PER_CLASS,
                num_test_per_class=TARGET_NUM_TEST_PER_CLASS, seed=0, image_size=IMAGE_SIZE):
    """A target dataset, split class-balanced into train, val and test.

    Inputs:
    - name: "shapes" (TARGET_SHAPES, same renderer as the source: similar data), "digits"
      (scikit-learn's handwritten digits: different data), "cifar10" (photographs; needs the
      downloaded batches) or "different" (CIFAR-10 when it is on disk, else the digits)
    - num_train_per_class, num_val_per_class, num_test_per_class: int sizes of the splits; the
      digits have 174 to 183 images per class, so the defaults (100 / 30 / 40) use almost all
      of them (in grading mode the digits are capped at 500 images, 50 per class)
    - seed: int seed of the split (and of the rendering for "shapes")
    - image_size: int S

    Returns a dict with:
    - "X_train", "X_val", "X_test": float32 arrays (N, S, S, 3) in [0, 1]
    - "y_train", "y_val", "y_test": int64 arrays (N,), in random order (take a smaller
      training set with `subset_per_class`)
    - "name": str, human readable; "class_names": tuple of str; "num_classes": int
    """
    if name == "different":
        name = "cifar10" if cifar10_available() else "digits"
    rng = np.random.default_rng(seed)
    sizes = {"train": num_train_per_class, "val": num_val_per_class, "test": num_test_per_class}
    if name == "shapes":
        splits = {split: make_shapes(TARGET_SHAPES, count, seed=seed * 3 + index + 1000, image_size=image_size)
                  for index, (split, count) in enumerate(sizes.items())}
        title, class_names = "new shapes (same renderer as the source)", TARGET_SHAPES
    elif name in ("digits", "cifar10"):
        images, labels, title, class_names = _real_target(name, rng, image_size)
        chosen = _split_per_class(labels, sizes, rng)
        splits = {split: (images[index], labels[index]) for split, index in chosen.items()}
    else:
        raise ValueError(f'unknown target {name!r}; use "shapes", "digits", "cifar10" or "different"')
    result = {"name": title, "class_names": tuple(class_names), "num_classes": len(class_names)}
    for split, (images, labels) in splits.items():
        result[f"X_{split}"], result[f"y_{split}"] = images, labels
    return result


def subset_per_class(images, labels, num_per_class, seed=0):
    """The first num_per_class examples of each class (in a seeded random order), shuffled.

    Inputs:
    - images: array (N, ...); labels: int array (N,)
    - num_per_class: int
    - seed: int

    Returns a tuple (images[chosen], labels[chosen]) with num_per_class examples per class
    (fewer for a class that has fewer). Smaller subsets of the same seed are nested in larger ones.
    """
    chosen = _take_per_class(labels, num_per_class, np.random.default_rng(seed))
    return images[chosen], labels[chosen]


def to_tensor(images, mean=INPUT_MEAN, std=INPUT_STD, image_size=None):
    """Turn NHWC images in [0, 1] into the normalised NCHW tensor a model takes.

    Inputs:
    - images: float array (N, H, W, 3) in [0, 1]
    - mean, std: three floats each, per-channel normalisation (x - mean) / std
    - image_size: int S to resize to (bilinear), or None to keep H x W

    Returns:
    - float32 tensor (N, 3, S, S) on the CPU
    """
    tensor = torch.from_numpy(np.ascontiguousarray(images, dtype=np.float32)).permute(0, 3, 1, 2)
    if image_size is not None and tuple(tensor.shape[2:]) != (image_size, image_size):
        tensor = F.interpolate(tensor, size=(image_size, image_size), mode="bilinear", align_corners=False)
    mean = torch.tensor(mean, dtype=torch.float32).view(1, 3, 1, 1)
    std = torch.tensor(std, dtype=torch.float32).view(1, 3, 1, 1)
    return ((tensor - mean) / std).contiguous()


def make_loader(inputs, labels, batch_size, shuffle=False, seed=0):
    """A DataLoader over (inputs, labels) pairs, reshuffled every epoch when shuffle is True.

    Inputs:
    - inputs: tensor (N, ...) (images or features); labels: int64 tensor or array (N,)
    - batch_size: int
    - shuffle: bool
    - seed: int seed of the shuffling, so a run can be repeated exactly

    Returns:
    - torch.utils.data.DataLoader yielding (inputs (B, ...), labels (B,)) on the CPU
    """
    labels = torch.as_tensor(labels, dtype=torch.int64)
    generator = torch.Generator().manual_seed(seed) if shuffle else None
    return DataLoader(TensorDataset(inputs, labels), batch_size=batch_size, shuffle=shuffle,
                      generator=generator)
