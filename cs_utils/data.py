"""Datasets for the notebooks: CIFAR-10 when it is on disk, scikit-learn's digits otherwise.

CIFAR-10 comes as the standard python-pickle batches. `download_cifar10` (or the command
`python -m cs_utils.data download`) fetches and verifies them once; `load_dataset("auto")`
then uses them. Without a download, `load_dataset("auto")` falls back to the 8x8 digits that
ship inside scikit-learn, so every notebook runs offline unchanged.
"""

import argparse
import hashlib
import os
import pickle
import sys
import tarfile
import urllib.parse
import urllib.request
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from cs_utils.mode import grading_mode

CIFAR10_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
CIFAR10_MD5 = "c58f30108f718f92721af3b95e74349a"
CIFAR10_DIRNAME = "cifar-10-batches-py"
CIFAR10_TRAIN_BATCHES = tuple(f"data_batch_{i}" for i in range(1, 6))
CIFAR10_TEST_BATCH = "test_batch"
CIFAR10_CLASSES = ("plane", "car", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")

DATA_DIR_ENV_VAR = "CS_DATA_DIR"

# Split sizes when the caller gives none; the digits ones add up to its 1797 images.
DEFAULT_SPLITS = {
    "cifar10": {"num_train": 49000, "num_val": 1000, "num_test": 1000},
    "digits": {"num_train": 1257, "num_val": 180, "num_test": 360},
}
# Grading mode keeps every notebook to a few seconds.
GRADING_SPLITS = {"num_train": 500, "num_val": 100, "num_test": 100}

_CHUNK_BYTES = 1 << 20


def default_data_dir():
    """Return the folder that holds downloaded datasets.

    It is $CS_DATA_DIR when that is set, else the folder data/ at the root of the
    repository (next to the cs_utils package).

    Returns:
    - Path
    """
    env_dir = os.environ.get(DATA_DIR_ENV_VAR)
    if env_dir:
        return Path(env_dir).expanduser()
    return Path(__file__).resolve().parent.parent / "data"


def cifar10_available(data_dir=None):
    """Return True when all six CIFAR-10 batches are in data_dir/cifar-10-batches-py.

    Inputs:
    - data_dir: str or Path, or None for default_data_dir()

    Returns:
    - bool
    """
    batches_dir = Path(data_dir or default_data_dir()) / CIFAR10_DIRNAME
    names = CIFAR10_TRAIN_BATCHES + (CIFAR10_TEST_BATCH,)
    return all((batches_dir / name).is_file() for name in names)


def file_md5(path):
    """Return the MD5 hex digest of a file, read in chunks.

    Inputs:
    - path: str or Path

    Returns:
    - str of 32 hex digits
    """
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(_CHUNK_BYTES), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _fetch(url, destination, progress):
    """Stream url into destination with a byte progress bar (size from Content-Length)."""
    with urllib.request.urlopen(url) as response, open(destination, "wb") as out:
        total = response.headers.get("Content-Length")
        with tqdm(total=int(total) if total else None, unit="B", unit_scale=True,
                  unit_divisor=1024, desc=Path(destination).name.removesuffix(".part"),
                  disable=not progress) as bar:
            for chunk in iter(lambda: response.read(_CHUNK_BYTES), b""):
                out.write(chunk)
                bar.update(len(chunk))


def download_cifar10(data_dir=None, url=CIFAR10_URL, md5=CIFAR10_MD5, progress=True):
    """Download, verify and extract the CIFAR-10 python batches, once.

    Nothing is fetched when the batches are already extracted, and an archive already on
    disk with the right checksum is extracted without downloading it again. A fresh
    download goes to a ".part" file that is checked against `md5` before anything is
    extracted; on a mismatch it is deleted and a ValueError is raised. Extraction uses
    tarfile's "data" filter, which refuses absolute paths, links out of the folder and
    device files.

    Inputs:
    - data_dir: str or Path where the archive and the batches go; None for default_data_dir()
    - url: str, any URL urllib understands (https://, file://)
    - md5: str, expected MD5 hex digest of the archive
    - progress: bool, show a progress bar for the download

    Returns:
    - Path of the extracted "cifar-10-batches-py" folder

    Raises:
    - ValueError on a checksum mismatch or an archive without the CIFAR-10 batches
    - urllib.error.URLError when the URL cannot be read
    """
    data_dir = Path(data_dir or default_data_dir())
    batches_dir = data_dir / CIFAR10_DIRNAME
    if cifar10_available(data_dir):
        return batches_dir

    data_dir.mkdir(parents=True, exist_ok=True)
    archive = data_dir / (Path(urllib.parse.urlparse(url).path).name or "cifar-10-python.tar.gz")
    if not (archive.is_file() and file_md5(archive) == md5):
        partial = archive.with_name(archive.name + ".part")
        try:
            _fetch(url, partial, progress)
            actual_md5 = file_md5(partial)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        if actual_md5 != md5:
            partial.unlink()
            raise ValueError(
                f"MD5 mismatch for {url}: expected {md5}, got {actual_md5}. "
                "The download was corrupted or is not the CIFAR-10 archive; it has been "
                "deleted, nothing was extracted. Run the download again.")
        partial.replace(archive)

    with tarfile.open(archive, "r:*") as tar:
        tar.extractall(data_dir, filter="data")
    if not cifar10_available(data_dir):
        raise ValueError(f"{archive} does not contain {CIFAR10_DIRNAME}/ with the six CIFAR-10 batches")
    return batches_dir


def _load_cifar10_batch(path):
    """Load one pickle batch as uint8 images (N, 32, 32, 3) and int64 labels (N,)."""
    with open(path, "rb") as f:
        # The batches were pickled by Python 2; latin1 maps its byte strings 1:1.
        batch = pickle.load(f, encoding="latin1")
    images = np.asarray(batch["data"], dtype=np.uint8).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    labels = np.asarray(batch["labels"], dtype=np.int64)
    return images, labels


def _load_cifar10_uint8(batches_dir):
    """Load all batches as uint8 images; load_cifar10 without the float conversion."""
    batches_dir = Path(batches_dir)
    missing = [name for name in CIFAR10_TRAIN_BATCHES + (CIFAR10_TEST_BATCH,)
               if not (batches_dir / name).is_file()]
    if missing:
        raise FileNotFoundError(
            f"CIFAR-10 batches {', '.join(missing)} not found in {batches_dir}. "
            "Download them with: python -m cs_utils.data download")
    train = [_load_cifar10_batch(batches_dir / name) for name in CIFAR10_TRAIN_BATCHES]
    X_train = np.concatenate([images for images, _ in train])
    y_train = np.concatenate([labels for _, labels in train])
    X_test, y_test = _load_cifar10_batch(batches_dir / CIFAR10_TEST_BATCH)
    return X_train, y_train, X_test, y_test


def load_cifar10(batches_dir):
    """Load the CIFAR-10 python-pickle batches.

    Inputs:
    - batches_dir: str or Path of the "cifar-10-batches-py" folder (data_batch_1..5, test_batch)

    Returns a tuple of:
    - X_train: float64 array (50000, 32, 32, 3), pixel values in [0, 255], NHWC, RGB
    - y_train: int64 array (50000,), labels in [0, 10)
    - X_test: float64 array (10000, 32, 32, 3)
    - y_test: int64 array (10000,)
    """
    X_train, y_train, X_test, y_test = _load_cifar10_uint8(batches_dir)
    return X_train.astype(np.float64), y_train, X_test.astype(np.float64), y_test


def _resolve_sizes(name, num_train, num_val, num_test):
    """Fill in default split sizes and apply the grading-mode caps."""
    requested = {"num_train": num_train, "num_val": num_val, "num_test": num_test}
    sizes = {key: DEFAULT_SPLITS[name][key] if value is None else int(value)
             for key, value in requested.items()}
    if grading_mode():
        sizes = {key: min(value, GRADING_SPLITS[key]) for key, value in sizes.items()}
    if any(value < 0 for value in sizes.values()) or sizes["num_train"] == 0:
        raise ValueError(f"split sizes must be >= 0 with num_train > 0, got {sizes}")
    return sizes


def _split_cifar10(data_dir, sizes, rng):
    """Random train/val from the 50000 training images, test from the 10000 test images."""
    X_pool, y_pool, X_test_pool, y_test_pool = _load_cifar10_uint8(Path(data_dir) / CIFAR10_DIRNAME)
    num_train, num_val, num_test = sizes["num_train"], sizes["num_val"], sizes["num_test"]
    if num_train + num_val > len(X_pool) or num_test > len(X_test_pool):
        raise ValueError(f"CIFAR-10 has {len(X_pool)} training and {len(X_test_pool)} test images; "
                         f"asked for {sizes}")
    order = rng.permutation(len(X_pool))
    test_order = rng.permutation(len(X_test_pool))[:num_test]
    train_idx, val_idx = order[:num_train], order[num_train:num_train + num_val]
    return (X_pool[train_idx], y_pool[train_idx], X_pool[val_idx], y_pool[val_idx],
            X_test_pool[test_order], y_test_pool[test_order])


def _split_digits(sizes, rng):
    """Random disjoint train/val/test from the 1797 digits, as (N, 8, 8, 1) images in [0, 16]."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    X_pool = digits.images[..., np.newaxis]
    y_pool = digits.target.astype(np.int64)
    num_train, num_val, num_test = sizes["num_train"], sizes["num_val"], sizes["num_test"]
    if num_train + num_val + num_test > len(X_pool):
        raise ValueError(f"the digits dataset has {len(X_pool)} images; asked for {sizes}")
    order = rng.permutation(len(X_pool))
    train_idx = order[:num_train]
    val_idx = order[num_train:num_train + num_val]
    test_idx = order[num_train + num_val:num_train + num_val + num_test]
    return (X_pool[train_idx], y_pool[train_idx], X_pool[val_idx], y_pool[val_idx],
            X_pool[test_idx], y_pool[test_idx])


def load_dataset(name="auto", num_train=None, num_val=None, num_test=None,
                 subtract_mean=True, flatten=True, data_dir=None, seed=0):
    """Load a real image-classification dataset, split into train / val / test.

    "auto" picks CIFAR-10 when its batches are in data_dir, else scikit-learn's bundled
    8x8 digits, so it never downloads. The splits are drawn at random from `seed`, so the
    same call always gives the same arrays. In grading mode (cs_utils.grading_mode()) the
    sizes are capped at 500 / 100 / 100.

    Inputs:
    - name: "auto", "cifar10" or "digits"
    - num_train, num_val, num_test: int split sizes; None for the dataset's defaults
      (CIFAR-10: 49000 / 1000 / 1000 from its 50000 + 10000 images; digits: 1257 / 180 / 360)
    - subtract_mean: bool, subtract the mean training image from every split
    - flatten: bool, return X as (N, D) rows; else as NHWC images
    - data_dir: str or Path holding "cifar-10-batches-py"; None for default_data_dir()
    - seed: int seed of the random split

    Returns a dict with:
    - "X_train", "X_val", "X_test": float64 arrays (N, D), or (N, H, W, C) when flatten=False:
      CIFAR-10 (N, 32, 32, 3) with pixels in [0, 255], digits (N, 8, 8, 1) in [0, 16]
    - "y_train", "y_val", "y_test": int64 arrays (N,) of labels in [0, num_classes)
    - "mean_image": float64 array (H, W, C), the subtracted training mean (zeros when
      subtract_mean=False); add it back to show images
    - "name": str, human readable, e.g. "CIFAR-10" or "scikit-learn digits (8x8)"
    - "num_classes": int (10 for both)
    - "class_names": tuple of num_classes str
    """
    data_dir = Path(data_dir or default_data_dir())
    if name == "auto":
        name = "cifar10" if cifar10_available(data_dir) else "digits"
    if name not in DEFAULT_SPLITS:
        raise ValueError(f'unknown dataset {name!r}; use "auto", "cifar10" or "digits"')

    sizes = _resolve_sizes(name, num_train, num_val, num_test)
    rng = np.random.default_rng(seed)
    if name == "cifar10":
        splits = _split_cifar10(data_dir, sizes, rng)
        title, class_names = "CIFAR-10", CIFAR10_CLASSES
    else:
        splits = _split_digits(sizes, rng)
        title, class_names = "scikit-learn digits (8x8)", tuple(str(d) for d in range(10))

    X_train, y_train, X_val, y_val, X_test, y_test = splits
    X_train, X_val, X_test = (X.astype(np.float64) for X in (X_train, X_val, X_test))
    mean_image = X_train.mean(axis=0) if subtract_mean else np.zeros(X_train.shape[1:])
    X_train, X_val, X_test = X_train - mean_image, X_val - mean_image, X_test - mean_image
    if flatten:
        X_train, X_val, X_test = (X.reshape(len(X), -1) for X in (X_train, X_val, X_test))

    return {
        "X_train": X_train, "y_train": y_train,
        "X_val": X_val, "y_val": y_val,
        "X_test": X_test, "y_test": y_test,
        "mean_image": mean_image,
        "name": title,
        "num_classes": len(class_names),
        "class_names": class_names,
    }


def main(argv=None):
    """Command line: `python -m cs_utils.data download [--dir D]`. Returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m cs_utils.data",
                                     description="Manage the datasets used by the course notebooks.")
    commands = parser.add_subparsers(dest="command", required=True)
    download = commands.add_parser("download", help="download and verify CIFAR-10 (about 163 MB)")
    download.add_argument("--dir", type=Path, default=None,
                          help=f"data folder (default: ${DATA_DIR_ENV_VAR}, else data/ in the repository)")
    download.add_argument("--url", default=CIFAR10_URL, help="archive URL (default: the official one)")
    download.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    args = parser.parse_args(argv)

    data_dir = args.dir or default_data_dir()
    if cifar10_available(data_dir):
        print(f"CIFAR-10 is already in {data_dir / CIFAR10_DIRNAME}; nothing to do.")
        return 0
    print(f"Downloading CIFAR-10 from {args.url} into {data_dir} ...")
    try:
        batches_dir = download_cifar10(data_dir, url=args.url, progress=not args.no_progress)
    except (OSError, ValueError, tarfile.TarError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"CIFAR-10 is ready in {batches_dir}; load_dataset() will now use it.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
