import sys

import pytest
import torch
from torch import nn

from cs_utils import backbone as cs_backbone
from cs_utils.backbone import (RECORD_PATH, WEIGHTS_PATH, ResNet, StageFeatures, load_backbone, load_pretrained,
                               load_record, stages, top_block, untrained_like)
from cs_utils.pretrain import accuracy, source_split


pytestmark = pytest.mark.usefixtures("single_torch_thread")


def test_resnet_shapes_and_layout():
    model = ResNet(num_classes=7, widths=(4, 8, 12)).eval()
    images = torch.randn(3, 3, 32, 32)
    assert model(images).shape == (3, 7)
    assert [block is getattr(model, f"layer{k}") for k, block in enumerate(stages(model), start=1)] == [True] * 3
    assert top_block(model) is model.layer3
    assert [StageFeatures(model, stage)(images).shape[1] for stage in (1, 2, 3)] == [4, 8, 12]
    headless = ResNet(num_classes=7, widths=(4, 8, 12)).eval()
    headless.load_state_dict(model.state_dict())
    headless.fc = nn.Identity()
    assert torch.allclose(StageFeatures(model, 3)(images), headless(images), atol=1e-6)


def test_stage_features_share_the_model():
    model = ResNet(widths=(4, 8, 12))
    assert StageFeatures(model, 2).layers[0] is model.conv1


def test_shipped_weights_are_small_and_load_with_weights_only():
    assert WEIGHTS_PATH.stat().st_size < 4 * 2**20
    state = torch.load(WEIGHTS_PATH, map_location="cpu", weights_only=True)
    assert all(isinstance(value, torch.Tensor) for value in state.values())
    model = load_pretrained()
    assert not model.training and model.fc.out_features == 10
    assert tuple(load_record()["architecture"]["widths"]) == (model.conv1.out_channels, model.layer2.conv1.out_channels,
                                                             model.layer3.conv1.out_channels)


def test_record_says_how_the_weights_were_made():
    record = load_record(RECORD_PATH)
    assert record["command"].startswith("python -m cs_utils.pretrain")
    assert record["data"]["num_train"] == 10 * record["data"]["num_per_class"]["train"]
    assert record["training"]["seconds"] < 900
    assert len(record["results"]["val_accuracy_per_epoch"]) == record["training"]["epochs"]
    assert record["architecture"]["num_parameters"] == sum(p.numel() for p in load_pretrained().parameters())


def test_shipped_weights_reach_the_recorded_accuracy_on_a_fresh_sample():
    record = load_record()
    inputs, labels = source_split("test", 40, record["data"]["seeds"]["test"] - 2)
    measured = accuracy(load_pretrained(), inputs, labels, torch.device("cpu"))
    assert measured >= record["results"]["test_accuracy"] - 0.03


def test_load_backbone_bundled():
    model, spec, description = load_backbone("bundled")
    assert isinstance(model, ResNet) and set(spec) == {"image_size", "mean", "std"}
    assert "pretrained" in description
    with pytest.raises(ValueError, match="unknown backbone"):
        load_backbone("vgg")


def test_untrained_like_is_a_fresh_network_with_the_new_head():
    fresh = untrained_like("bundled", 3)
    pretrained = load_pretrained()
    assert fresh.fc.out_features == 3 and fresh.training
    assert fresh.conv1.weight.shape == pretrained.conv1.weight.shape
    assert not torch.equal(fresh.conv1.weight, pretrained.conv1.weight)
    with pytest.raises(ValueError):
        untrained_like("vgg", 3)


def test_resnet18_without_torchvision_says_how_to_get_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "torchvision", None)
    with pytest.raises(ImportError, match="pip install torchvision"):
        load_backbone("resnet18")
    with pytest.raises(ImportError, match="torchvision"):
        cs_backbone.untrained_like("resnet18", 10)
