"""The pretrained convolutional backbone of the transfer-learning notebook.

`ResNet` is a compact residual network for 32x32 images, laid out like torchvision's ResNets
(conv1, bn1, relu, layer1..layer3, avgpool, fc), so that code written for one works on the other:
the classification head is always the attribute `fc`. The bundled weights
(`weights/backbone.pt`, reproduced by `python -m cs_utils.pretrain`) were trained on the
generated shapes of `cs_utils.transfer_data`; `weights/backbone.json` records how.

On a machine with internet and torchvision, `load_backbone("resnet18")` gives torchvision's
ImageNet ResNet-18 instead (optional: torchvision is not a dependency of the course).
"""

import json
from pathlib import Path

import torch
from torch import nn

from cs_utils.transfer_data import IMAGE_SIZE, INPUT_MEAN, INPUT_STD

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
WEIGHTS_PATH = WEIGHTS_DIR / "backbone.pt"
RECORD_PATH = WEIGHTS_DIR / "backbone.json"
DEFAULT_WIDTHS = (16, 32, 64)

# How each backbone wants its input: image size and per-channel normalisation.
BUNDLED_INPUT = {"image_size": IMAGE_SIZE, "mean": INPUT_MEAN, "std": INPUT_STD}
# torchvision's ImageNet models; 64x64 keeps CPU runs short (224 is their native size).
IMAGENET_INPUT = {"image_size": 64, "mean": (0.485, 0.456, 0.406), "std": (0.229, 0.224, 0.225)}


class BasicBlock(nn.Module):
    """Two 3x3 convolutions with batch norm and a shortcut: relu(F(x) + shortcut(x)).

    The shortcut is the identity, or a strided 1x1 convolution with batch norm when the block
    changes the resolution or the number of channels.
    Input (N, in_channels, H, W) -> output (N, out_channels, H / stride, W / stride).
    """

    def __init__(self, in_channels, out_channels, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.downsample = None
        if stride != 1 or in_channels != out_channels:
            self.downsample = nn.Sequential(nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False),
                                            nn.BatchNorm2d(out_channels))

    def forward(self, x):
        shortcut = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + shortcut)


class ResNet(nn.Module):
    """A compact ResNet: a strided 3x3 stem, three stages of one BasicBlock, average pooling, fc.

    The stem halves the resolution, as does every stage after the first; stage k has widths[k]
    channels. A 32x32 image becomes 16x16 (conv1 and layer1), 8x8 (layer2) and 4x4 (layer3)
    feature maps, then a widths[-1]-dimensional feature vector, then num_classes scores.

    Input: float32 tensor (N, 3, H, W), normalised as BUNDLED_INPUT says.
    Output: float32 tensor (N, num_classes) of class scores.
    """

    def __init__(self, num_classes=10, widths=DEFAULT_WIDTHS):
        super().__init__()
        self.conv1 = nn.Conv2d(3, widths[0], 3, stride=2, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(widths[0])
        self.relu = nn.ReLU(inplace=True)
        self.layer1 = BasicBlock(widths[0], widths[0])
        self.layer2 = BasicBlock(widths[0], widths[1], stride=2)
        self.layer3 = BasicBlock(widths[1], widths[2], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(widths[2], num_classes)
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x):
        x = self.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        return self.fc(torch.flatten(self.avgpool(x), 1))


def stages(model):
    """The residual stages of a ResNet (ours or torchvision's), lowest first: [layer1, layer2, ...]."""
    return [getattr(model, f"layer{k}") for k in range(1, 5) if hasattr(model, f"layer{k}")]


def top_block(model):
    """The highest residual stage of a ResNet (layer3 here, layer4 in torchvision's)."""
    return stages(model)[-1]


class StageFeatures(nn.Module):
    """The features of a ResNet after a given stage, globally average-pooled.

    StageFeatures(model, stage=len(stages(model))) computes what model.fc sees; lower stages
    give lower-level (more generic) features. The wrapped model is shared, not copied.
    Input (N, 3, H, W) -> output (N, channels of that stage).
    """

    def __init__(self, model, stage):
        super().__init__()
        stem = [model.conv1, model.bn1, model.relu] + ([model.maxpool] if hasattr(model, "maxpool") else [])
        self.layers = nn.Sequential(*stem, *stages(model)[:stage])
        self.pool = nn.AdaptiveAvgPool2d(1)

    def forward(self, x):
        return torch.flatten(self.pool(self.layers(x)), 1)


def load_record(path=RECORD_PATH):
    """The training record of the bundled weights (a dict: data, training, results)."""
    return json.loads(Path(path).read_text())


def load_pretrained(path=WEIGHTS_PATH):
    """The bundled backbone with its pretrained weights, on the CPU, in eval mode.

    The file holds a plain state dict of tensors, read with torch.load(..., weights_only=True)
    (no code is unpickled); the stage widths and the number of classes are read off the shapes of
    its tensors. The head of the shipped weights still classifies the 10 source shapes.

    Inputs:
    - path: str or Path of a weights file written by cs_utils.pretrain

    Returns:
    - ResNet (float32)
    """
    state = torch.load(path, map_location="cpu", weights_only=True)
    widths = tuple(state[f"{prefix}.weight"].shape[0] for prefix in ("conv1", "layer2.conv1", "layer3.conv1"))
    model = ResNet(num_classes=state["fc.weight"].shape[0], widths=widths)
    model.load_state_dict(state)
    return model.eval()


def _import_torchvision():
    try:
        import torchvision
    except ImportError as error:
        raise ImportError("the ResNet-18 backbone needs torchvision, which the course does not install: "
                          "pip install torchvision (the build that matches your torch), on a machine with "
                          "internet access for the ImageNet weights") from error
    return torchvision


def load_torchvision_resnet18():
    """torchvision's ResNet-18 with its ImageNet weights (downloaded once into torch's cache).

    Returns:
    - torchvision.models.ResNet (float32, eval mode, head fc: 512 -> 1000)

    Raises ImportError with installation advice when torchvision is not installed.
    """
    torchvision = _import_torchvision()
    weights = torchvision.models.ResNet18_Weights.IMAGENET1K_V1
    return torchvision.models.resnet18(weights=weights).eval()


def load_backbone(name="bundled"):
    """A pretrained classifier, the input format it expects, and a description.

    Inputs:
    - name: "bundled" (the shapes backbone shipped with the course, offline) or "resnet18"
      (torchvision's ImageNet ResNet-18; needs torchvision and, once, internet)

    Returns a tuple of:
    - model: torch.nn.Module with its classification head in model.fc, on the CPU, eval mode
    - input_spec: dict with "image_size", "mean", "std" (see cs_utils.transfer_data.to_tensor)
    - description: str
    """
    if name == "bundled":
        record = load_record()
        description = (f"bundled ResNet (widths {tuple(record['architecture']['widths'])}), pretrained on "
                       f"{record['data']['num_train']} generated shape images, source test accuracy "
                       f"{record['results']['test_accuracy']:.3f}")
        return load_pretrained(), dict(BUNDLED_INPUT), description
    if name == "resnet18":
        return load_torchvision_resnet18(), dict(IMAGENET_INPUT), "torchvision ResNet-18, pretrained on ImageNet"
    raise ValueError(f'unknown backbone {name!r}; use "bundled" or "resnet18"')


def untrained_like(name, num_classes):
    """A randomly initialised network of the same architecture as load_backbone(name), with a
    num_classes head: the from-scratch baseline.

    Inputs:
    - name: "bundled" or "resnet18"
    - num_classes: int

    Returns:
    - torch.nn.Module on the CPU, train mode
    """
    if name == "bundled":
        return ResNet(num_classes=num_classes, widths=tuple(load_record()["architecture"]["widths"]))
    if name == "resnet18":
        return _import_torchvision().models.resnet18(num_classes=num_classes)
    raise ValueError(f'unknown backbone {name!r}; use "bundled" or "resnet18"')
