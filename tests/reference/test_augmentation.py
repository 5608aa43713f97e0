"""The reference augmentations of 03 Data augmentation agree with the solution notebook and with
known values."""
import numpy as np
import pytest

from autograder.reference import augmentation as reference
from tests.reference.solution_code import assert_same, solution_definitions

SOLUTION = solution_definitions("augmentation")


def images(seed, shape=(5, 9, 12, 3), dtype=np.float64):
    return np.random.default_rng(seed).random(shape).astype(dtype)


def both(name, batch, *args, seed=0, **kwargs):
    """(ours, theirs) on the same random draws; the input stays as it was."""
    before = batch.copy()
    ours = getattr(reference, name)(batch, np.random.default_rng(seed), *args, **kwargs)
    theirs = SOLUTION[name](batch, np.random.default_rng(seed), *args, **kwargs)
    np.testing.assert_array_equal(batch, before)
    return ours, theirs


CASES = [
    ("random_horizontal_flip", (), {}),
    ("random_horizontal_flip", (), {"p": 0.8}),
    ("random_crop", (), {}),
    ("random_crop", (), {"padding": 2, "crop_size": 7}),
    ("random_crop", (), {"padding": 0, "crop_size": 5}),
    ("random_scale_crop", ((8, 14), 8), {}),
    ("color_jitter", (), {}),
    ("color_jitter", (), {"brightness": 0.5, "contrast": 0.4}),
    ("random_affine", (), {}),
    ("random_affine", (), {"max_translation": 0.3, "max_rotation": 40.0, "max_shear": 0.5, "max_stretch": 0.3}),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name, args, kwargs", CASES, ids=lambda value: str(value))
def test_random_augmentations_agree_with_the_solution(name, args, kwargs, dtype):
    for seed in range(2):
        ours, theirs = both(name, images(seed, dtype=dtype), *args, seed=seed, **kwargs)
        assert_same(ours, theirs, rtol=1e-5 if dtype == np.float32 else 1e-10)
        assert (ours[0] if name == "random_affine" else ours).dtype == dtype


@pytest.mark.parametrize("sigma", [None, 0.4])
def test_pca_color_agrees_with_the_solution(sigma):
    batch = images(1)
    batch[..., 1] = 0.5 * batch[..., 0] + 0.2  # correlated channels
    eigvals, eigvecs = reference.fit_pca_color(batch)
    theirs = SOLUTION["fit_pca_color"](batch)
    assert_same(eigvals, theirs[0])
    assert_same(np.abs(eigvecs), np.abs(theirs[1]))
    assert eigvals[0] >= eigvals[1] >= eigvals[2]
    options = {} if sigma is None else {"sigma": sigma}
    ours, theirs = (function(batch, eigvals, eigvecs, np.random.default_rng(3), **options)
                    for function in (reference.pca_color_augment, SOLUTION["pca_color_augment"]))
    assert_same(ours, theirs)


def test_fit_pca_color_known_covariance():
    pixels = np.array([[0.0, 0.0, 0.5], [1.0, 2.0, 0.5], [2.0, 4.0, 0.5], [3.0, 6.0, 0.5]])
    eigvals, eigvecs = reference.fit_pca_color(pixels.reshape(1, 2, 2, 3).astype(np.float32))
    np.testing.assert_allclose(eigvals, [5 * 1.25, 0.0, 0.0], atol=1e-6)
    np.testing.assert_allclose(np.abs(eigvecs[:, 0]), np.array([1.0, 2.0, 0.0]) / np.sqrt(5), atol=1e-6)
    assert eigvals.dtype == np.float64


def test_pca_color_known_shift():
    batch = np.full((1, 2, 2, 3), 0.5)
    eigvals, eigvecs = np.array([2.0, 1.0, 0.0]), np.eye(3)
    alphas = np.random.default_rng(0).normal(0.0, 0.1, size=(1, 3))
    out = reference.pca_color_augment(batch, eigvals, eigvecs, np.random.default_rng(0))
    np.testing.assert_allclose(out[0, 1, 1], np.clip(0.5 + alphas[0] * eigvals, 0, 1))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_warp_affine_agrees_with_the_solution(dtype):
    rng = np.random.default_rng(9)
    matrices = np.concatenate([np.eye(2) + 0.3 * rng.standard_normal((5, 2, 2)), 2 * rng.standard_normal((5, 2, 1))],
                              axis=2)
    batch = images(2, dtype=dtype)
    assert_same(reference.warp_affine(batch, matrices), SOLUTION["warp_affine"](batch, matrices),
                rtol=1e-5 if dtype == np.float32 else 1e-10)


def test_warp_affine_known_maps():
    batch = images(0, shape=(1, 5, 6, 2))
    identity = np.array([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]])
    np.testing.assert_allclose(reference.warp_affine(batch, identity), batch)
    down = np.array([[[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]]])
    moved = reference.warp_affine(batch, down)
    np.testing.assert_allclose(moved[0, 1:], batch[0, :-1])
    np.testing.assert_allclose(moved[0, 0], 0.0)
    right = np.array([[[1.0, 0.0, 0.0], [0.0, 1.0, 2.0]]])
    np.testing.assert_allclose(reference.warp_affine(batch, right)[0, :, 2:], batch[0, :, :-2])
    mirror = np.array([[[1.0, 0.0, 0.0], [0.0, -1.0, 0.0]]])  # about the centre column
    np.testing.assert_allclose(reference.warp_affine(batch, mirror), batch[:, :, ::-1])
    flip = np.array([[[-1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]])  # about the centre row, between two rows
    tall = images(0, shape=(1, 6, 5, 2))
    np.testing.assert_allclose(reference.warp_affine(tall, flip), tall[:, ::-1])
    transpose = np.array([[[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]])
    square = images(0, shape=(1, 5, 5, 1))
    np.testing.assert_allclose(reference.warp_affine(square, transpose), square.transpose(0, 2, 1, 3))


def test_random_affine_without_any_range_is_the_identity():
    batch = images(4)
    warped, matrices = reference.random_affine(batch, np.random.default_rng(0), max_translation=0.0,
                                               max_rotation=0.0, max_shear=0.0, max_stretch=0.0)
    np.testing.assert_allclose(warped, batch)
    np.testing.assert_allclose(matrices, np.tile([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]], (5, 1, 1)))


def test_flips_and_crops_known_values():
    batch = images(0, shape=(3, 4, 5, 2))
    np.testing.assert_array_equal(reference.random_horizontal_flip(batch, np.random.default_rng(0), p=1.0),
                                  batch[:, :, ::-1])
    np.testing.assert_array_equal(reference.random_horizontal_flip(batch, np.random.default_rng(0), p=0.0), batch)
    np.testing.assert_array_equal(reference.random_crop(batch, np.random.default_rng(0), padding=0), batch)
    integers = np.arange(2 * 3 * 3 * 1, dtype=np.int64).reshape(2, 3, 3, 1)
    crops = reference.random_crop(integers, np.random.default_rng(0), padding=1, crop_size=5)
    np.testing.assert_array_equal(crops, np.pad(integers, ((0, 0), (1, 1), (1, 1), (0, 0))))
    assert crops.dtype == np.int64


def test_random_crop_reaches_every_offset():
    batch = np.ones((400, 2, 3, 1))
    crops = reference.random_crop(batch, np.random.default_rng(0), padding=1, crop_size=2)
    # a window's sum of ones tells how many of its pixels lie inside the 2 x 3 image
    assert set(crops.sum(axis=(1, 2, 3))) == {1.0, 2.0, 4.0}
    rows = crops[:, :, :, 0].sum(axis=2)
    assert {tuple(r) for r in rows} == {(0.0, 1.0), (0.0, 2.0), (1.0, 1.0), (2.0, 2.0), (1.0, 0.0), (2.0, 0.0)}


def test_scaled_size():
    assert reference.scaled_size(96, 128, 48) == (48, 64)
    assert reference.scaled_size(128, 96, 48) == (64, 48)
    assert reference.scaled_size(10, 15, 7) == (7, 10)
    assert reference.scaled_size(15, 10, 7) == (10, 7)
    assert reference.scaled_size(12, 9, 8) == (11, 8)  # 10.67 rounds up
    assert reference.scaled_size(9, 12, 8) == (8, 11)
    assert all(type(n) is int for n in reference.scaled_size(9, 12, 8))


def test_random_scale_crop_draws_every_length():
    batch = images(1, shape=(60, 6, 9, 1))
    ours = reference.random_scale_crop(batch, np.random.default_rng(0), (6, 7), 6)
    assert ours.shape == (60, 6, 6, 1)
    # at short side 6 the image keeps its size, so such crops are windows of it
    windows = {batch[n, :, left:left + 6].tobytes() for n in range(60) for left in range(4)}
    found = sum(ours[n].tobytes() in windows for n in range(60))
    assert 15 < found < 45


def test_color_jitter_known_values():
    batch = np.array([0.2, 0.4, 0.6, 0.8]).reshape(1, 2, 2, 1)
    rng = np.random.default_rng(0)
    factor, offset = rng.uniform(0.8, 1.2), rng.uniform(-0.2, 0.2)
    out = reference.color_jitter(batch, np.random.default_rng(0))
    np.testing.assert_allclose(out, 0.5 + factor * (batch - 0.5) + offset)
    np.testing.assert_array_equal(reference.color_jitter(batch * 10, np.random.default_rng(0), 0.0, 0.0),
                                  np.ones_like(batch))
    assert reference.color_jitter(batch - 5, np.random.default_rng(0)).max() == 0.0


def test_ten_crop_known_offsets_and_agreement():
    assert reference.ten_crop_offsets(8, 10, 4, 4) == [(0, 0), (0, 6), (4, 0), (4, 6), (2, 3)]
    assert reference.ten_crop_offsets(7, 9, 4, 6) == [(0, 0), (0, 3), (3, 0), (3, 3), (1, 1)]
    assert reference.ten_crop_offsets(10, 11, 4, 4) == [(0, 0), (0, 7), (6, 0), (6, 7), (3, 3)]
    batch = images(3, shape=(2, 7, 9, 3))
    crops = reference.ten_crop(batch, 4)
    assert_same(crops, SOLUTION["ten_crop"](batch, 4))
    np.testing.assert_array_equal(crops[:, 4], batch[:, 1:5, 2:6])
    np.testing.assert_array_equal(crops[:, 8], batch[:, 3:7, 5:9][:, :, ::-1])


def test_predict_ten_crop_agrees_with_the_solution():
    batch = images(5, shape=(12, 7, 9, 2))  # more images than crops per image
    weights = np.random.default_rng(0).standard_normal((4 * 4 * 2, 5))

    def predict_proba(crops):
        scores = crops.reshape(len(crops), -1) @ weights
        exp = np.exp(scores - scores.max(axis=1, keepdims=True))
        return exp / exp.sum(axis=1, keepdims=True)

    ours = reference.predict_ten_crop(predict_proba, batch, 4)
    assert_same(ours, SOLUTION["predict_ten_crop"](predict_proba, batch, 4))
    np.testing.assert_allclose(ours, predict_proba(reference.ten_crop(batch, 4).reshape(120, 4, 4, 2))
                               .reshape(12, 10, 5).mean(axis=1))
