import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

from cs_utils.images import SAMPLE_PHOTOS, bilinear_sample, load_sample_photos, resize_bilinear, show_image_grid


def _grid(num_images, height, width):
    rows, cols = np.meshgrid(np.arange(height, dtype=float), np.arange(width, dtype=float), indexing="ij")
    shape = (num_images, height, width)
    return np.broadcast_to(rows, shape), np.broadcast_to(cols, shape)


def test_sample_photos_ship_with_the_installed_packages():
    photos, names = load_sample_photos(height=30, width=40)
    assert names == tuple(SAMPLE_PHOTOS)
    assert photos.shape == (len(SAMPLE_PHOTOS), 30, 40, 3) and photos.dtype == np.float64
    assert 0.0 <= photos.min() and photos.max() <= 1.0
    assert photos.std(axis=(1, 2, 3)).min() > 0.05  # real pictures, not blank frames
    single, names = load_sample_photos(height=20, width=10, names=("flower",))
    assert single.shape == (1, 20, 10, 3) and names == ("flower",)


def test_bilinear_sample_at_integer_positions_reads_the_pixels():
    images = np.random.default_rng(0).random((2, 4, 5, 3))
    np.testing.assert_array_equal(bilinear_sample(images, *_grid(2, 4, 5)), images)


def test_bilinear_sample_interpolates_linearly_inside_the_image():
    rows, cols = np.meshgrid(np.arange(4.0), np.arange(5.0), indexing="ij")
    images = (2 * rows + 3 * cols + 1)[None, :, :, None]  # a linear ramp is reproduced exactly
    sample_rows, sample_cols = np.array([[[0.5, 2.25]]]), np.array([[[1.5, 3.75]]])
    sampled = bilinear_sample(images, sample_rows, sample_cols)
    np.testing.assert_allclose(sampled[..., 0], 2 * sample_rows + 3 * sample_cols + 1)


def test_bilinear_sample_fills_outside_with_zeros():
    images = np.ones((1, 3, 3, 1))
    sampled = bilinear_sample(images, np.array([[[-0.5, -2.0, 1.0, 2.5]]]), np.array([[[1.0, 1.0, 5.0, 1.0]]]))
    np.testing.assert_allclose(sampled[0, 0, :, 0], [0.5, 0.0, 0.0, 0.5])


@pytest.mark.parametrize("dtype, expected",
                         [(np.float32, np.float32), (np.float64, np.float64), (np.uint8, np.float64)])
def test_bilinear_sample_dtype(dtype, expected):
    images = np.ones((1, 2, 2, 1), dtype=dtype)
    assert bilinear_sample(images, *_grid(1, 2, 2)).dtype == expected


def test_resize_to_the_same_size_is_the_identity_and_keeps_constants():
    images = np.random.default_rng(1).random((3, 5, 7, 2)).astype(np.float32)
    np.testing.assert_array_equal(resize_bilinear(images, 5, 7), images)
    constant = np.full((1, 4, 6, 3), 0.25)
    resized = resize_bilinear(constant, 9, 5)
    assert resized.shape == (1, 9, 5, 3)
    np.testing.assert_allclose(resized, 0.25)


def test_resize_uses_half_pixel_centres():
    images = np.arange(4.0).reshape(1, 1, 4, 1)
    np.testing.assert_allclose(resize_bilinear(images, 1, 2)[0, 0, :, 0], [0.5, 2.5])
    np.testing.assert_allclose(resize_bilinear(images, 1, 8)[0, 0, :, 0],
                               [0, 0.25, 0.75, 1.25, 1.75, 2.25, 2.75, 3])


def test_show_image_grid_draws_rows_of_different_lengths():
    rows = [np.zeros((3, 4, 4, 3)), np.ones((2, 6, 5, 1))]
    fig = show_image_grid(rows, row_labels=["colour", "gray"], column_labels=["a", "b", "c"], title="grid")
    axes = np.array(fig.axes).reshape(2, 3)
    assert axes[0, 0].get_ylabel() == "colour" and axes[0, 2].get_title() == "c"
    assert not axes[1, 2].axison
    plt.close(fig)
