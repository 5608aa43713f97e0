"""Image helpers for the augmentation notebook: sample photos, bilinear sampling, image grids.

Images are batches in NHWC layout (N, H, W, C), floating point with values in [0, 1]. Pixel
coordinates are (row, col) with (0, 0) the centre of the top-left pixel.
"""

import matplotlib.pyplot as plt
import numpy as np

# (package, file) of the photographs that ship with installed packages.
SAMPLE_PHOTOS = {
    "china": ("sklearn", "china.jpg"),
    "flower": ("sklearn", "flower.jpg"),
    "grace_hopper": ("matplotlib", "grace_hopper.jpg"),
}


def _photo_path(package, filename):
    """Path of a sample photo inside an installed package."""
    if package == "sklearn":
        from importlib.resources import files

        return files("sklearn.datasets") / "images" / filename
    import matplotlib.cbook

    return matplotlib.cbook.get_sample_data(filename, asfileobj=False)


def load_sample_photos(height=96, width=128, names=tuple(SAMPLE_PHOTOS)):
    """Load real photographs that ship with scikit-learn and matplotlib as one batch.

    Each photo is cut to the aspect ratio height : width around its centre and then shrunk
    with Pillow's antialiasing filter, so the batch has a common shape. Nothing is downloaded.

    Inputs:
    - height, width: int, size of every returned image in pixels
    - names: sequence of keys of SAMPLE_PHOTOS ("china", "flower", "grace_hopper")

    Returns a tuple of:
    - photos: float64 array (len(names), height, width, 3), RGB values in [0, 1]
    - names: tuple of str, the photo of each row
    """
    from PIL import Image

    photos = []
    for name in names:
        with Image.open(_photo_path(*SAMPLE_PHOTOS[name])) as image:
            image = image.convert("RGB")
            source_width, source_height = image.size
            # The largest centred box of the target aspect ratio.
            box_width = min(source_width, round(source_height * width / height))
            box_height = min(source_height, round(source_width * height / width))
            left, top = (source_width - box_width) // 2, (source_height - box_height) // 2
            image = image.resize((width, height), Image.Resampling.LANCZOS,
                                 box=(left, top, left + box_width, top + box_height))
            photos.append(np.asarray(image, dtype=np.float64) / 255.0)
    return np.stack(photos), tuple(names)


def bilinear_sample(images, rows, cols):
    """Read every image at real-valued pixel positions by bilinear interpolation.

    The value at (r, c) mixes the four pixels around it, each weighted by how close it is:
    with r0 = floor(r), c0 = floor(c), dr = r - r0, dc = c - c0,

        value = (1-dr)(1-dc) img[r0, c0] + (1-dr) dc img[r0, c0+1]
              + dr (1-dc) img[r0+1, c0] + dr dc img[r0+1, c0+1].

    Pixels outside the image count as zeros, so positions beyond the border fade to black
    over one pixel and are 0 further out. Integer positions return the pixels exactly.

    Inputs:
    - images: float array (N, H, W, C)
    - rows, cols: float arrays (N, H_out, W_out): position in images[n] to read for every
      output pixel of image n

    Returns:
    - sampled: array (N, H_out, W_out, C) of the dtype of images (float64 for integer images)
    """
    images = np.asarray(images)
    num_images, height, width, _ = images.shape
    dtype = images.dtype if np.issubdtype(images.dtype, np.floating) else np.float64
    top, left = np.floor(rows), np.floor(cols)
    down, right = rows - top, cols - left
    top, left = top.astype(np.intp), left.astype(np.intp)
    index = np.arange(num_images).reshape(-1, 1, 1)
    sampled = np.zeros(rows.shape + images.shape[-1:], dtype=np.float64)
    for row, col, weight in [(top, left, (1 - down) * (1 - right)), (top, left + 1, (1 - down) * right),
                             (top + 1, left, down * (1 - right)), (top + 1, left + 1, down * right)]:
        inside = (row >= 0) & (row < height) & (col >= 0) & (col < width)
        values = images[index, np.clip(row, 0, height - 1), np.clip(col, 0, width - 1)]
        sampled += (weight * inside)[..., np.newaxis] * values
    return sampled.astype(dtype, copy=False)


def resize_bilinear(images, height, width):
    """Resize a batch of images with bilinear interpolation.

    Output pixel centres are spread evenly over the input (the "half-pixel" convention of
    most image libraries): output row i reads input row (i + 0.5) * H / height - 0.5, clamped
    to the image, and the same for columns. Without a low-pass filter, shrinking by much more
    than 2x aliases; the notebooks only resize by small factors.

    Inputs:
    - images: float array (N, H, W, C)
    - height, width: int >= 1, output size

    Returns:
    - resized: array (N, height, width, C) of the dtype of images
    """
    num_images, source_height, source_width, _ = np.shape(images)
    rows = np.clip((np.arange(height) + 0.5) * source_height / height - 0.5, 0, source_height - 1)
    cols = np.clip((np.arange(width) + 0.5) * source_width / width - 0.5, 0, source_width - 1)
    rows, cols = np.meshgrid(rows, cols, indexing="ij")
    shape = (num_images, height, width)
    return bilinear_sample(images, np.broadcast_to(rows, shape), np.broadcast_to(cols, shape))


def show_image_grid(rows, row_labels=None, column_labels=None, size=1.6, title=None):
    """Draw images in a grid: one row of the grid per entry of ``rows``.

    Inputs:
    - rows: sequence of rows; a row is a float array (M, H, W, C) or a list of M arrays
      (H, W, C), with C = 1 or 3 and values in [0, 1]. Rows may have different lengths and the
      images different sizes (each is drawn in its own panel)
    - row_labels: sequence of str, one per row, or None
    - column_labels: sequence of str for the columns of the widest row, or None
    - size: float, inches per image
    - title: str or None

    Returns:
    - fig: the matplotlib Figure
    """
    num_rows, num_cols = len(rows), max(len(row) for row in rows)
    # Each row is as tall as its first image is at `size` inches wide, so that wide photos leave
    # no gaps between the rows.
    heights = [size * min(1.5, np.shape(row[0])[0] / np.shape(row[0])[1]) for row in rows]
    fig, axes = plt.subplots(num_rows, num_cols, figsize=(size * num_cols, sum(heights) + 0.3 * num_rows + 0.4),
                             squeeze=False, layout="constrained", gridspec_kw={"height_ratios": heights})
    for r, row in enumerate(rows):
        for c in range(num_cols):
            ax = axes[r, c]
            ax.set_xticks([])
            ax.set_yticks([])
            if c >= len(row):
                ax.set_axis_off()
                continue
            image = np.clip(np.asarray(row[c], dtype=np.float64), 0.0, 1.0)
            if image.shape[-1] == 1:
                ax.imshow(image[..., 0], cmap="gray", vmin=0.0, vmax=1.0)
            else:
                ax.imshow(image)
            if c == 0 and row_labels is not None:
                ax.set_ylabel(row_labels[r], fontsize=9)
            if r == 0 and column_labels is not None and c < len(column_labels):
                ax.set_title(column_labels[c], fontsize=9)
    if title:
        fig.suptitle(title)
    return fig
