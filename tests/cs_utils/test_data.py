import hashlib
import io
import pickle
import subprocess
import sys
import tarfile

import numpy as np
import pytest

from cs_utils import GRADING_ENV_VAR
from cs_utils import data as cs_data
from cs_utils.data import CIFAR10_DIRNAME, download_cifar10, load_cifar10, load_dataset

NUM_PER_TRAIN_BATCH = 20
NUM_TEST = 10


@pytest.fixture(autouse=True)
def _normal_mode(monkeypatch):
    monkeypatch.delenv(GRADING_ENV_VAR, raising=False)


def _batch_bytes(rng, num_images):
    """A batch in the CIFAR-10 pickle format: uint8 rows of 3072 = R plane, G plane, B plane."""
    rows = rng.integers(0, 256, size=(num_images, 3072), dtype=np.uint8)
    batch = {"batch_label": "fake batch", "labels": [int(v) for v in rng.integers(0, 10, num_images)],
             "data": rows, "filenames": [f"img_{i}.png" for i in range(num_images)]}
    return pickle.dumps(batch, protocol=2), rows, np.array(batch["labels"])


def _add_bytes(tar, name, payload):
    info = tarfile.TarInfo(name)
    info.size = len(payload)
    tar.addfile(info, io.BytesIO(payload))


@pytest.fixture(scope="module")
def fake_cifar(tmp_path_factory):
    """A tiny CIFAR-10 archive (5 x 20 training, 10 test images) and the arrays inside it."""
    root = tmp_path_factory.mktemp("server")
    rng = np.random.default_rng(0)
    archive = root / "cifar-10-python.tar.gz"
    train_rows, train_labels = [], []
    with tarfile.open(archive, "w:gz") as tar:
        for i in range(1, 6):
            payload, rows, labels = _batch_bytes(rng, NUM_PER_TRAIN_BATCH)
            _add_bytes(tar, f"{CIFAR10_DIRNAME}/data_batch_{i}", payload)
            train_rows.append(rows)
            train_labels.append(labels)
        payload, test_rows, test_labels = _batch_bytes(rng, NUM_TEST)
        _add_bytes(tar, f"{CIFAR10_DIRNAME}/test_batch", payload)
        _add_bytes(tar, f"{CIFAR10_DIRNAME}/batches.meta", pickle.dumps({"label_names": []}))
    return {
        "archive": archive,
        "url": archive.as_uri(),
        "md5": hashlib.md5(archive.read_bytes()).hexdigest(),
        "train_rows": np.concatenate(train_rows),
        "train_labels": np.concatenate(train_labels),
        "test_rows": test_rows,
        "test_labels": test_labels,
    }


@pytest.fixture
def cifar_dir(tmp_path, fake_cifar):
    data_dir = tmp_path / "data"
    download_cifar10(data_dir, url=fake_cifar["url"], md5=fake_cifar["md5"], progress=False)
    return data_dir


def test_download_extracts_and_loads(tmp_path, fake_cifar):
    data_dir = tmp_path / "data"
    batches_dir = download_cifar10(data_dir, url=fake_cifar["url"], md5=fake_cifar["md5"], progress=False)
    assert batches_dir == data_dir / CIFAR10_DIRNAME
    X_train, y_train, X_test, y_test = load_cifar10(batches_dir)
    assert X_train.shape == (5 * NUM_PER_TRAIN_BATCH, 32, 32, 3) and X_train.dtype == np.float64
    assert X_test.shape == (NUM_TEST, 32, 32, 3) and X_test.dtype == np.float64
    assert y_train.dtype == np.int64 and y_test.dtype == np.int64
    # Row layout: channel planes of 32x32, row-major; pixel (r, c) of channel k is at k*1024 + r*32 + c.
    rows = fake_cifar["train_rows"]
    assert X_train[7, 3, 5, 0] == rows[7, 0 * 1024 + 3 * 32 + 5]
    assert X_train[7, 3, 5, 2] == rows[7, 2 * 1024 + 3 * 32 + 5]
    np.testing.assert_array_equal(X_train, rows.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1))
    np.testing.assert_array_equal(y_train, fake_cifar["train_labels"])
    np.testing.assert_array_equal(y_test, fake_cifar["test_labels"])


def test_download_md5_mismatch_removes_file(tmp_path, fake_cifar):
    data_dir = tmp_path / "data"
    with pytest.raises(ValueError, match="MD5 mismatch"):
        download_cifar10(data_dir, url=fake_cifar["url"], md5="0" * 32, progress=False)
    assert list(data_dir.iterdir()) == []


def test_download_is_idempotent(tmp_path, fake_cifar):
    data_dir = tmp_path / "data"
    first = download_cifar10(data_dir, url=fake_cifar["url"], md5=fake_cifar["md5"], progress=False)
    # An unreachable URL (same file name) proves that nothing is fetched a second time.
    gone_url = (tmp_path / "gone" / "cifar-10-python.tar.gz").as_uri()
    assert download_cifar10(data_dir, url=gone_url, md5=fake_cifar["md5"], progress=False) == first

    # With a batch deleted but the verified archive kept, it only extracts again.
    (first / "test_batch").unlink()
    assert download_cifar10(data_dir, url=gone_url, md5=fake_cifar["md5"], progress=False) == first
    assert (first / "test_batch").is_file()


def test_unreachable_url_leaves_no_partial_file(tmp_path):
    data_dir = tmp_path / "data"
    with pytest.raises(OSError):
        download_cifar10(data_dir, url=(tmp_path / "missing.tar.gz").as_uri(), progress=False)
    assert list(data_dir.iterdir()) == []


def test_unsafe_archive_is_refused(tmp_path):
    archive = tmp_path / "evil.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        _add_bytes(tar, "../escaped.txt", b"outside")
    md5 = hashlib.md5(archive.read_bytes()).hexdigest()
    with pytest.raises(tarfile.TarError):
        download_cifar10(tmp_path / "data", url=archive.as_uri(), md5=md5, progress=False)
    assert not (tmp_path / "escaped.txt").exists()


def test_archive_without_batches_is_an_error(tmp_path):
    archive = tmp_path / "other.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        _add_bytes(tar, "readme.txt", b"not cifar")
    md5 = hashlib.md5(archive.read_bytes()).hexdigest()
    with pytest.raises(ValueError, match=CIFAR10_DIRNAME):
        download_cifar10(tmp_path / "data", url=archive.as_uri(), md5=md5, progress=False)


def test_load_cifar10_missing_batches_says_how_to_download(tmp_path):
    with pytest.raises(FileNotFoundError, match="python -m cs_utils.data download"):
        load_cifar10(tmp_path)


def test_cli_download_existing_and_mismatch(tmp_path, fake_cifar, cifar_dir, capsys):
    assert cs_data.main(["download", "--dir", str(cifar_dir)]) == 0
    assert "already" in capsys.readouterr().out

    # The CLI checks the official checksum, which the fake archive fails.
    empty_dir = tmp_path / "empty"
    assert cs_data.main(["download", "--dir", str(empty_dir), "--url", fake_cifar["url"], "--no-progress"]) == 1
    assert "MD5 mismatch" in capsys.readouterr().err
    assert not (empty_dir / CIFAR10_DIRNAME).exists()


def test_cli_runs_as_module(cifar_dir):
    result = subprocess.run([sys.executable, "-m", "cs_utils.data", "download", "--dir", str(cifar_dir)],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert "already" in result.stdout


def test_default_data_dir_follows_env(monkeypatch, tmp_path):
    monkeypatch.setenv("CS_DATA_DIR", str(tmp_path))
    assert cs_data.default_data_dir() == tmp_path


def test_auto_uses_cifar10_when_present(cifar_dir, capsys):
    data = load_dataset("auto", num_train=60, num_val=20, num_test=10, data_dir=cifar_dir)
    assert capsys.readouterr().out == ""
    assert data["name"] == "CIFAR-10" and data["num_classes"] == 10
    assert data["X_train"].shape == (60, 3072) and data["X_val"].shape == (20, 3072)
    assert data["X_test"].shape == (10, 3072)
    for split in ("train", "val", "test"):
        assert data[f"X_{split}"].dtype == np.float64
        assert data[f"y_{split}"].dtype == np.int64


def test_cifar10_splits_are_disjoint_and_mean_subtracted(cifar_dir, fake_cifar):
    raw = load_dataset("cifar10", num_train=60, num_val=40, num_test=10, subtract_mean=False,
                       flatten=False, data_dir=cifar_dir, seed=3)
    centered = load_dataset("cifar10", num_train=60, num_val=40, num_test=10, flatten=False,
                            data_dir=cifar_dir, seed=3)
    assert raw["X_train"].shape == (60, 32, 32, 3)
    # The 100 training images are random, so each is unique: train and val must not share one.
    train_rows = {x.tobytes() for x in raw["X_train"]}
    assert not train_rows & {x.tobytes() for x in raw["X_val"]}
    train_mean = raw["X_train"].mean(axis=0)
    np.testing.assert_allclose(centered["mean_image"], train_mean)
    np.testing.assert_allclose(centered["X_train"].mean(axis=0), 0.0, atol=1e-10)
    np.testing.assert_allclose(centered["X_val"], raw["X_val"] - train_mean)
    np.testing.assert_allclose(centered["X_test"], raw["X_test"] - train_mean)


def test_splits_are_deterministic_in_seed():
    a = load_dataset("digits", num_train=100, num_val=20, num_test=20, seed=1)
    b = load_dataset("digits", num_train=100, num_val=20, num_test=20, seed=1)
    c = load_dataset("digits", num_train=100, num_val=20, num_test=20, seed=2)
    for key in ("X_train", "y_train", "X_val", "y_val", "X_test", "y_test"):
        np.testing.assert_array_equal(a[key], b[key])
    assert not np.array_equal(a["y_train"], c["y_train"])


def test_digits_fallback_offline(tmp_path, capsys):
    data = load_dataset("auto", data_dir=tmp_path)
    assert capsys.readouterr().out == ""
    assert data["name"] == "scikit-learn digits (8x8)" and data["num_classes"] == 10
    sizes = [len(data[f"X_{split}"]) for split in ("train", "val", "test")]
    assert sizes == [1257, 180, 360]
    assert data["X_train"].shape == (1257, 64) and data["X_train"].dtype == np.float64
    assert data["y_train"].dtype == np.int64 and set(np.unique(data["y_train"])) == set(range(10))
    images = load_dataset("digits", num_train=30, num_val=5, num_test=5, flatten=False, subtract_mean=False)
    assert images["X_train"].shape == (30, 8, 8, 1)
    assert images["X_train"].min() >= 0 and images["X_train"].max() <= 16
    np.testing.assert_array_equal(images["mean_image"], 0.0)


def test_grading_mode_caps_sizes(monkeypatch, tmp_path):
    monkeypatch.setenv(GRADING_ENV_VAR, "1")
    data = load_dataset("auto", data_dir=tmp_path)
    assert [len(data[f"y_{split}"]) for split in ("train", "val", "test")] == [500, 100, 100]
    small = load_dataset("digits", num_train=50, num_val=10, num_test=10)
    assert [len(small[f"y_{split}"]) for split in ("train", "val", "test")] == [50, 10, 10]


def test_bad_requests_raise(cifar_dir):
    with pytest.raises(ValueError, match="unknown dataset"):
        load_dataset("mnist")
    with pytest.raises(ValueError, match="1797"):
        load_dataset("digits", num_train=1700, num_val=100, num_test=100)
    with pytest.raises(ValueError, match="CIFAR-10 has"):
        load_dataset("cifar10", num_train=100, num_val=1, num_test=1, data_dir=cifar_dir)
