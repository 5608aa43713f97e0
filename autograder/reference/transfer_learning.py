"""Reference implementations of 04 Transfer learning (PyTorch).

Models follow torchvision's convention: the classification head is the attribute ``model.fc``
(an ``nn.Linear``), everything else is the backbone. A loader is any iterable of
``(images, labels)`` batches on the CPU, such as a ``torch.utils.data.DataLoader``. Mixed
precision (float16 autocast, and a gradient scaler while training) is used on CUDA only.
"""
import torch
import torch.nn.functional as F
from torch import nn


def get_device():
    """CUDA when available, else the CPU; prints which. Returns a torch.device."""
    if torch.cuda.is_available():
        device = torch.device("cuda")
        print(f"device: cuda ({torch.cuda.get_device_name(device)})")
    else:
        device = torch.device("cpu")
        print("device: cpu (no CUDA GPU found)")
    return device


def freeze_backbone(model):
    """Freeze every parameter outside model.fc and make the head's trainable; returns model."""
    for parameter in model.parameters():
        parameter.requires_grad_(False)
    for parameter in model.fc.parameters():
        parameter.requires_grad_(True)
    return model


def replace_head(model, num_classes):
    """Swap model.fc for a fresh nn.Linear(in_features, num_classes) like the old one; returns model."""
    old_head = model.fc
    model.fc = nn.Linear(old_head.in_features, num_classes).to(device=old_head.weight.device,
                                                              dtype=old_head.weight.dtype)
    return model


def make_finetune_optimizer(model, learning_rate, backbone_lr_factor=0.1, momentum=0.9, weight_decay=0.0):
    """SGD with the trainable head at learning_rate and the trainable backbone at
    learning_rate * backbone_lr_factor; frozen parameters are left out."""
    head_ids = {id(parameter) for parameter in model.fc.parameters()}
    head = [p for p in model.fc.parameters() if p.requires_grad]
    backbone = [p for p in model.parameters() if p.requires_grad and id(p) not in head_ids]
    groups = []
    if head:
        groups.append({"params": head, "lr": learning_rate, "name": "head"})
    if backbone:
        groups.append({"params": backbone, "lr": learning_rate * backbone_lr_factor, "name": "backbone"})
    return torch.optim.SGD(groups, lr=learning_rate, momentum=momentum, weight_decay=weight_decay)


def train_one_epoch(model, loader, optimizer, device, scaler=None):
    """One pass over loader in train mode, one optimizer step per batch; returns the mean loss."""
    use_amp = device.type == "cuda"
    if scaler is None:
        scaler = torch.amp.GradScaler("cuda", enabled=use_amp)
    model.train()
    total_loss, num_examples = 0.0, 0
    for images, labels in loader:
        images, labels = images.to(device), labels.to(device)
        optimizer.zero_grad()
        with torch.autocast(device_type=device.type, dtype=torch.float16, enabled=use_amp):
            loss = F.cross_entropy(model(images), labels)
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
        total_loss += loss.item() * len(labels)
        num_examples += len(labels)
    return total_loss / num_examples


def evaluate(model, loader, device):
    """Mean cross-entropy and accuracy over loader, in eval mode, without gradients."""
    use_amp = device.type == "cuda"
    model.eval()
    total_loss, num_correct, num_examples = 0.0, 0, 0
    with torch.no_grad():
        for images, labels in loader:
            images, labels = images.to(device), labels.to(device)
            with torch.autocast(device_type=device.type, dtype=torch.float16, enabled=use_amp):
                scores = model(images)
            total_loss += F.cross_entropy(scores.float(), labels, reduction="sum").item()
            num_correct += (scores.argmax(dim=1) == labels).sum().item()
            num_examples += len(labels)
    return total_loss / num_examples, num_correct / num_examples


def extract_features(backbone, loader, device):
    """backbone's outputs for every batch of loader, in eval mode without gradients, as float32
    CPU tensors: (features (N, D), labels (N,))."""
    use_amp = device.type == "cuda"
    backbone.eval()
    features, all_labels = [], []
    with torch.no_grad():
        for images, labels in loader:
            with torch.autocast(device_type=device.type, dtype=torch.float16, enabled=use_amp):
                batch_features = backbone(images.to(device))
            features.append(batch_features.float().cpu())
            all_labels.append(labels.cpu())
    return torch.cat(features), torch.cat(all_labels)
