import pickle

import numpy as np
import pytest
import torch

from cs_utils import GRADING_ENV_VAR
from cs_utils import transfer_data
from cs_utils.data import CIFAR10_DIRNAME, DATA_DIR_ENV_VAR
from cs_utils.transfer_data import (IMAGE_SIZE, SHAPE_DISTANCES, SOURCE_SHAPES, TARGET_SHAPES, load_target,
                                    make_loader, make_shapes, render_shapes, subset_per_class, to_tensor)


@pytest.fixture(autouse=True)
def _normal_mode(monkeypatch):
    monkeypatch.delenv(GRADING_ENV_VAR, raising=False)


def test_source_and_target_shapes_are_ten_distinct_known_kinds():
    assert len(SOURCE_SHAPES) == len(TARGET_SHAPES) == 10
    assert not set(SOURCE_SHAPES) & set(TARGET_SHAPES)
    assert set(SOURCE_SHAPES) | set(TARGET_SHAPES) == set(SHAPE_DISTANCES)


@pytest.mark.parametrize("name", sorted(SHAPE_DISTANCES))
def test_every_shape_is_a_visible_region_of_radius_about_one(name):
    coords = np.linspace(-1.6, 1.6, 161)
    u, v = np.meshgrid(coords, coords)
    inside = SHAPE_DISTANCES[name](u, v) < 0
    assert 0.03 < inside.mean() < 0.6
    assert np.hypot(u, v)[inside].max() < 1.4


def test_make_shapes_is_balanced_deterministic_and_in_range():
    images, labels = make_shapes(SOURCE_SHAPES, 3, seed=5)
    again, again_labels = make_shapes(SOURCE_SHAPES, 3, seed=5)
    other, _ = make_shapes(SOURCE_SHAPES, 3, seed=6)
    assert images.shape == (30, IMAGE_SIZE, IMAGE_SIZE, 3) and images.dtype == np.float32
    assert labels.dtype == np.int64 and np.bincount(labels).tolist() == [3] * 10
    assert 0.0 <= images.min() and images.max() <= 1.0
    assert np.array_equal(images, again) and np.array_equal(labels, again_labels)
    assert not np.array_equal(images, other)


def test_rendered_shape_stands_out_from_its_background():
    rng = np.random.default_rng(0)
    images = render_shapes(np.zeros(20, dtype=np.int64), ["disk"], rng, image_size=24)
    assert images.shape == (20, 24, 24, 3)
    # The centre of the image is inside the disk (offset <= 0.3, radius >= 0.35) and the corner is
    # background: their colours differ by at least the enforced contrast, less shading and noise.
    centre, corner = images[:, 11:13, 11:13].mean(axis=(1, 2)), images[:, :2, :2].mean(axis=(1, 2))
    assert np.all(np.abs(centre - corner).mean(axis=1) > 0.1)


def test_load_target_shapes_splits():
    data = load_target("shapes", num_train_per_class=4, num_val_per_class=2, num_test_per_class=3, seed=1)
    assert data["X_train"].shape == (40, IMAGE_SIZE, IMAGE_SIZE, 3)
    assert data["X_val"].shape[0] == 20 and data["X_test"].shape[0] == 30
    assert np.bincount(data["y_test"]).tolist() == [3] * 10
    assert data["class_names"] == TARGET_SHAPES and data["num_classes"] == 10
    assert not np.array_equal(data["X_val"][:20], data["X_train"][:20])


def test_load_target_digits_is_balanced_grey_and_resized():
    data = load_target("digits", num_train_per_class=5, num_val_per_class=2, num_test_per_class=3, image_size=16)
    assert data["X_train"].shape == (50, 16, 16, 3) and data["X_train"].dtype == np.float32
    assert np.bincount(data["y_train"]).tolist() == [5] * 10
    assert np.bincount(data["y_val"]).tolist() == [2] * 10
    assert 0.0 <= data["X_test"].min() and data["X_test"].max() <= 1.0
    assert np.array_equal(data["X_train"][..., 0], data["X_train"][..., 2])
    assert data["name"] == "scikit-learn digits (8x8)"


def _fake_cifar10(folder, rng, per_batch=400):
    batches = folder / CIFAR10_DIRNAME
    batches.mkdir(parents=True)
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        rows = rng.integers(0, 256, size=(per_batch, 3072), dtype=np.uint8)
        labels = [int(label) for label in np.arange(per_batch) % 10]
        (batches / name).write_bytes(pickle.dumps({"data": rows, "labels": labels}, protocol=2))


def test_different_target_is_cifar10_when_downloaded_else_digits(tmp_path, monkeypatch):
    monkeypatch.setenv(DATA_DIR_ENV_VAR, str(tmp_path))
    assert load_target("different", 2, 1, 1)["name"] == "scikit-learn digits (8x8)"
    _fake_cifar10(tmp_path, np.random.default_rng(0))
    data = load_target("different", num_train_per_class=6, num_val_per_class=2, num_test_per_class=2)
    assert data["name"] == "CIFAR-10" and data["class_names"][0] == "plane"
    assert data["X_train"].shape == (60, IMAGE_SIZE, IMAGE_SIZE, 3)
    assert 0.0 <= data["X_train"].min() and data["X_train"].max() <= 1.0


def test_unknown_target_is_refused():
    with pytest.raises(ValueError, match="unknown target"):
        load_target("imagenet")


def test_subset_per_class_is_balanced_and_nested():
    labels = np.repeat(np.arange(4), 10)
    images = np.arange(40)
    small_images, small_labels = subset_per_class(images, labels, 2, seed=3)
    large_images, large_labels = subset_per_class(images, labels, 5, seed=3)
    assert np.bincount(small_labels).tolist() == [2] * 4 and np.bincount(large_labels).tolist() == [5] * 4
    assert set(small_images) <= set(large_images)
    assert np.array_equal(labels[small_images], small_labels)


def test_to_tensor_normalises_and_resizes():
    images = np.ones((2, 8, 8, 3), dtype=np.float32)
    images[1] = 0.5
    tensor = to_tensor(images)
    assert tensor.shape == (2, 3, 8, 8) and tensor.dtype == torch.float32
    assert torch.allclose(tensor[0], torch.full((3, 8, 8), 2.0)) and torch.allclose(tensor[1], torch.zeros(3, 8, 8))
    resized = to_tensor(images, mean=(0.0, 0.0, 0.0), std=(1.0, 1.0, 1.0), image_size=16)
    assert resized.shape == (2, 3, 16, 16) and torch.allclose(resized[1], torch.full((3, 16, 16), 0.5))


def test_make_loader_order_and_reproducible_shuffling():
    inputs, labels = torch.arange(10.0).unsqueeze(1), np.arange(10)
    in_order = torch.cat([batch_labels for _, batch_labels in make_loader(inputs, labels, 4)])
    assert in_order.tolist() == list(range(10)) and in_order.dtype == torch.int64

    def one_epoch(seed):
        return torch.cat([x[:, 0] for x, _ in make_loader(inputs, labels, 4, shuffle=True, seed=seed)]).tolist()

    assert one_epoch(1) == one_epoch(1) and sorted(one_epoch(1)) == list(range(10))
    assert one_epoch(1) != one_epoch(2)


def test_grading_mode_still_gives_every_split(monkeypatch):
    monkeypatch.setenv(GRADING_ENV_VAR, "1")
    data = transfer_data.load_target("digits", num_train_per_class=10, num_val_per_class=5, num_test_per_class=5)
    assert [len(data[f"y_{split}"]) for split in ("train", "val", "test")] == [100, 50, 50]
