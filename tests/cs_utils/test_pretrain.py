import json

import pytest
import torch

from cs_utils.backbone import load_pretrained
from cs_utils.pretrain import main


@pytest.fixture(autouse=True)
def _keep_thread_count():
    """The script sets torch's thread count (--threads); give the other tests theirs back."""
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


def tiny_run(folder, seed=0):
    """A pretraining run small enough for a test: 8 images per class, one epoch."""
    out, record = folder / "backbone.pt", folder / "backbone.json"
    assert main(["--num-train-per-class", "8", "--num-val-per-class", "2", "--num-test-per-class", "2",
                 "--epochs", "1", "--batch-size", "16", "--widths", "4", "8", "8", "--seed", str(seed),
                 "--out", str(out), "--record", str(record), "--quiet"]) == 0
    return out, json.loads(record.read_text())


def test_tiny_run_writes_loadable_weights_and_a_record(tmp_path):
    out, record = tiny_run(tmp_path)
    model = load_pretrained(out)
    assert model.fc.out_features == 10 and model.conv1.out_channels == 4
    assert model(torch.randn(2, 3, 32, 32)).shape == (2, 10)
    assert record["data"]["num_train"] == 80 and record["data"]["num_test"] == 20
    assert record["training"]["epochs"] == 1 and record["training"]["seed"] == 0
    assert "--epochs 1" in record["command"] and "--widths 4 8 8" in record["command"]
    assert 0.0 <= record["results"]["test_accuracy"] <= 1.0


def test_the_same_seed_reproduces_the_same_weights(tmp_path):
    first, _ = tiny_run(tmp_path / "a")
    second, _ = tiny_run(tmp_path / "b")
    other, _ = tiny_run(tmp_path / "c", seed=1)
    load = lambda path: torch.load(path, weights_only=True)  # noqa: E731
    assert all(torch.equal(a, b) for a, b in zip(load(first).values(), load(second).values()))
    assert not torch.equal(load(first)["conv1.weight"], load(other)["conv1.weight"])
