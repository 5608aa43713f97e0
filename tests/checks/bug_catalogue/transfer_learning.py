"""Typical student bugs in 04 Transfer learning, and correct formulations that differ from the reference.

``BUGS`` maps a bug name to (exercise, implementation, words the failure message should contain).
``NEAR_MISSES``, in the same form, holds wrong answers close to right, at least one per exercise, so
that a loosened tolerance or a skipped sub-check of the checks makes a test fail.
``EQUIVALENTS`` maps a name to (exercise, implementation) of a correct alternative.
"""
import torch
import torch.nn.functional as F
from torch import nn

from autograder.reference import transfer_learning as reference


# --- get_device ----------------------------------------------------------------------------------

def device_always_cpu():
    print("device: cpu")
    return torch.device("cpu")


def device_always_cuda():
    print("device: cuda")
    return torch.device("cuda")


def device_as_string():
    device = "cuda" if torch.cuda.is_available() else "cpu"
    print("device:", device)
    return device


def device_silent():
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


# --- freeze_backbone -----------------------------------------------------------------------------

def freeze_everything(model):
    for parameter in model.parameters():
        parameter.requires_grad = False
    return model


def freeze_only_weight_layers(model):
    # Misses the batch-norm scales and shifts.
    for module in model.modules():
        if isinstance(module, (nn.Conv2d, nn.Linear)) and module is not model.fc:
            for parameter in module.parameters():
                parameter.requires_grad = False
    return model


def freeze_leaves_frozen_head(model):
    for name, parameter in model.named_parameters():
        if not name.startswith("fc."):
            parameter.requires_grad = False
    return model


def freeze_by_eval_mode(model):
    model.eval()
    return model


# --- replace_head --------------------------------------------------------------------------------

def head_keeps_old_size(model, num_classes):
    model.fc = nn.Linear(model.fc.in_features, model.fc.out_features).to(model.fc.weight.dtype)
    return model


def head_frozen(model, num_classes):
    reference.replace_head(model, num_classes)
    model.fc.requires_grad_(False)
    return model


def head_default_dtype(model, num_classes):
    model.fc = nn.Linear(model.fc.in_features, num_classes)
    return model


def head_unfreezes_backbone(model, num_classes):
    reference.replace_head(model, num_classes)
    model.requires_grad_(True)
    return model


def head_reused_when_size_matches(model, num_classes):
    if model.fc.out_features != num_classes:
        reference.replace_head(model, num_classes)
    return model


# --- make_finetune_optimizer -------------------------------------------------------------------

def _split(model):
    head_ids = {id(p) for p in model.fc.parameters()}
    head = [p for p in model.fc.parameters() if p.requires_grad]
    backbone = [p for p in model.parameters() if p.requires_grad and id(p) not in head_ids]
    return head, backbone


def _groups(head, head_lr, backbone, backbone_lr):
    return [group for group in ({"params": head, "lr": head_lr}, {"params": backbone, "lr": backbone_lr})
            if group["params"]]


def optimizer_same_lr(model, learning_rate, backbone_lr_factor=0.1, momentum=0.9, weight_decay=0.0):
    head, backbone = _split(model)
    return torch.optim.SGD(head + backbone, lr=learning_rate, momentum=momentum, weight_decay=weight_decay)


def optimizer_factor_on_head(model, learning_rate, backbone_lr_factor=0.1, momentum=0.9, weight_decay=0.0):
    head, backbone = _split(model)
    return torch.optim.SGD(_groups(head, learning_rate * backbone_lr_factor, backbone, learning_rate),
                           lr=learning_rate, momentum=momentum, weight_decay=weight_decay)


def optimizer_with_frozen(model, learning_rate, backbone_lr_factor=0.1, momentum=0.9, weight_decay=0.0):
    head = list(model.fc.parameters())
    head_ids = {id(p) for p in head}
    backbone = [p for p in model.parameters() if id(p) not in head_ids]
    return torch.optim.SGD(_groups(head, learning_rate, backbone, learning_rate * backbone_lr_factor),
                           lr=learning_rate, momentum=momentum, weight_decay=weight_decay)


def optimizer_no_momentum(model, learning_rate, backbone_lr_factor=0.1, momentum=0.9, weight_decay=0.0):
    head, backbone = _split(model)
    return torch.optim.SGD(_groups(head, learning_rate, backbone, learning_rate * backbone_lr_factor),
                           lr=learning_rate, weight_decay=weight_decay)


def optimizer_fixed_factor(model, learning_rate, backbone_lr_factor=0.1, momentum=0.9, weight_decay=0.0):
    head, backbone = _split(model)
    return torch.optim.SGD(_groups(head, learning_rate, backbone, learning_rate * 0.1),
                           lr=learning_rate, momentum=momentum, weight_decay=weight_decay)


def optimizer_adam(model, learning_rate, backbone_lr_factor=0.1, momentum=0.9, weight_decay=0.0):
    head, backbone = _split(model)
    return torch.optim.Adam(_groups(head, learning_rate, backbone, learning_rate * backbone_lr_factor),
                            lr=learning_rate, weight_decay=weight_decay)


# --- train_one_epoch ---------------------------------------------------------------------------

def _train(model, loader, optimizer, device, zero_grad=True, train_mode=True, move_images=True,
           move_labels=True, autocast=False, softmax_first=False, step_before_backward=False,
           mean_of_batches=False, after_step=None):
    if train_mode:
        model.train()
    losses, sizes = [], []
    for images, labels in loader:
        if move_images:
            images = images.to(device)
        if move_labels:
            labels = labels.to(device)
        if zero_grad:
            optimizer.zero_grad()
        with torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=autocast):
            scores = model(images)
            loss = F.cross_entropy(F.softmax(scores, dim=1) if softmax_first else scores, labels)
        if step_before_backward:
            optimizer.step()
            loss.backward()
        else:
            loss.backward()
            optimizer.step()
        if after_step is not None:
            after_step(optimizer)
        losses.append(loss.item())
        sizes.append(len(labels))
    if mean_of_batches:
        return sum(losses) / len(losses)
    return sum(loss * size for loss, size in zip(losses, sizes)) / sum(sizes)


def train_without_zero_grad(model, loader, optimizer, device, scaler=None):
    return _train(model, loader, optimizer, device, zero_grad=False)


def train_in_eval_mode(model, loader, optimizer, device, scaler=None):
    return _train(model, loader, optimizer, device, train_mode=False)


def train_images_not_moved(model, loader, optimizer, device, scaler=None):
    return _train(model, loader, optimizer, device, move_images=False)


def train_labels_not_moved(model, loader, optimizer, device, scaler=None):
    return _train(model, loader, optimizer, device, move_labels=False)


def train_autocast_everywhere(model, loader, optimizer, device, scaler=None):
    return _train(model, loader, optimizer, device, autocast=True)


def train_returns_tensor(model, loader, optimizer, device, scaler=None):
    model.train()
    total, count = 0.0, 0
    for images, labels in loader:
        images, labels = images.to(device), labels.to(device)
        optimizer.zero_grad()
        loss = F.cross_entropy(model(images), labels)
        loss.backward()
        optimizer.step()
        total = total + loss * len(labels)
        count += len(labels)
    return total / count


def train_returns_last_loss(model, loader, optimizer, device, scaler=None):
    model.train()
    for images, labels in loader:
        images, labels = images.to(device), labels.to(device)
        optimizer.zero_grad()
        loss = F.cross_entropy(model(images), labels)
        loss.backward()
        optimizer.step()
    return loss.item()


def train_without_step(model, loader, optimizer, device, scaler=None):
    model.train()
    total, count = 0.0, 0
    for images, labels in loader:
        images, labels = images.to(device), labels.to(device)
        optimizer.zero_grad()
        loss = F.cross_entropy(model(images), labels)
        loss.backward()
        total += loss.item() * len(labels)
        count += len(labels)
    return total / count


# --- evaluate -----------------------------------------------------------------------------------

def _evaluate(model, loader, device, eval_mode=True, no_grad=True, batch_mean_accuracy=False, count=False):
    if eval_mode:
        model.eval()
    total_loss, correct, examples, accuracies = 0.0, 0, 0, []
    with torch.set_grad_enabled(not no_grad):
        for images, labels in loader:
            images, labels = images.to(device), labels.to(device)
            scores = model(images)
            total_loss += F.cross_entropy(scores, labels, reduction="sum").item()
            batch_correct = (scores.argmax(dim=1) == labels).sum().item()
            correct += batch_correct
            accuracies.append(batch_correct / len(labels))
            examples += len(labels)
    if count:
        return total_loss / examples, correct
    if batch_mean_accuracy:
        return total_loss / examples, sum(accuracies) / len(accuracies)
    return total_loss / examples, correct / examples


def evaluate_in_train_mode(model, loader, device):
    return _evaluate(model, loader, device, eval_mode=False)


def evaluate_with_grad(model, loader, device):
    return _evaluate(model, loader, device, no_grad=False)


def evaluate_mean_of_batch_accuracies(model, loader, device):
    return _evaluate(model, loader, device, batch_mean_accuracy=True)


def evaluate_returns_count(model, loader, device):
    return _evaluate(model, loader, device, count=True)


def evaluate_disables_grad_globally(model, loader, device):
    torch.set_grad_enabled(False)
    model.eval()
    total_loss, correct, examples = 0.0, 0, 0
    for images, labels in loader:
        images, labels = images.to(device), labels.to(device)
        scores = model(images)
        total_loss += F.cross_entropy(scores, labels, reduction="sum").item()
        correct += (scores.argmax(dim=1) == labels).sum().item()
        examples += len(labels)
    return total_loss / examples, correct / examples


def evaluate_mean_of_batch_losses(model, loader, device):
    model.eval()
    losses, correct, examples = [], 0, 0
    with torch.no_grad():
        for images, labels in loader:
            images, labels = images.to(device), labels.to(device)
            scores = model(images)
            losses.append(F.cross_entropy(scores, labels).item())
            correct += (scores.argmax(dim=1) == labels).sum().item()
            examples += len(labels)
    return sum(losses) / len(losses), correct / examples


# --- extract_features --------------------------------------------------------------------------

def features_with_grad(backbone, loader, device):
    backbone.eval()
    features, labels = zip(*[(backbone(images.to(device)).cpu(), batch_labels) for images, batch_labels in loader])
    return torch.cat(features), torch.cat(labels)


def features_in_train_mode(backbone, loader, device):
    features, labels = [], []
    with torch.no_grad():
        for images, batch_labels in loader:
            features.append(backbone(images.to(device)).cpu())
            labels.append(batch_labels)
    return torch.cat(features), torch.cat(labels)


def features_not_moved(backbone, loader, device):
    backbone.eval()
    features, labels = [], []
    with torch.no_grad():
        for images, batch_labels in loader:
            features.append(backbone(images).cpu())
            labels.append(batch_labels)
    return torch.cat(features), torch.cat(labels)


def features_drop_last_batch(backbone, loader, device):
    backbone.eval()
    features, labels = [], []
    with torch.no_grad():
        for images, batch_labels in loader:
            if len(features) and len(batch_labels) < len(labels[0]):
                break
            features.append(backbone(images.to(device)).cpu())
            labels.append(batch_labels)
    return torch.cat(features), torch.cat(labels)


def features_float64(backbone, loader, device):
    features, labels = reference.extract_features(backbone, loader, device)
    return features.double(), labels


BUGS = {
    "device always the CPU": ("get_device", device_always_cpu,
                              "when CUDA is available it returned cpu, expected the CUDA"),
    "device always CUDA": ("get_device", device_always_cuda,
                           "when CUDA is not available it returned cuda, expected the CPU"),
    "device as a string": ("get_device", device_as_string, "torch.device"),
    "device not reported": ("get_device", device_silent, "print which device"),
    "head frozen too": ("freeze_backbone", freeze_everything, "head parameter"),
    "batch norm left trainable": ("freeze_backbone", freeze_only_weight_layers, "batch-norm"),
    "frozen head not unfrozen": ("freeze_backbone", freeze_leaves_frozen_head, "even if it was frozen"),
    "eval mode instead of freezing": ("freeze_backbone", freeze_by_eval_mode, "still trainable"),
    "wrong head size": ("replace_head", head_keeps_old_size, "the new head has"),
    "new head frozen": ("replace_head", head_frozen, "not trainable"),
    "new head in float32": ("replace_head", head_default_dtype, "the new head's weight is float32 in a float64 model"),
    "replace_head unfreezes the backbone": ("replace_head", head_unfreezes_backbone, "requires_grad flag"),
    "old head kept when the size matches": ("replace_head", head_reused_when_size_matches, "still the old head"),
    "same learning rate everywhere": ("make_finetune_optimizer", optimizer_same_lr, "same learning rate"),
    "lower rate on the head": ("make_finetune_optimizer", optimizer_factor_on_head, "swapped"),
    "frozen parameters in the optimizer": ("make_finetune_optimizer", optimizer_with_frozen, "frozen parameter"),
    "momentum ignored": ("make_finetune_optimizer", optimizer_no_momentum, "momentum"),
    "backbone_lr_factor ignored": ("make_finetune_optimizer", optimizer_fixed_factor,
                                   "is backbone_lr_factor ignored (a fixed 0.1)?"),
    "Adam instead of SGD": ("make_finetune_optimizer", optimizer_adam, "torch.optim.SGD"),
    "missing zero_grad": ("train_one_epoch", train_without_zero_grad, "optimizer.zero_grad()"),
    "training in eval mode": ("train_one_epoch", train_in_eval_mode, "model.train()"),
    "training images not moved": ("train_one_epoch", train_images_not_moved, "the images of 3 of 3 batches"),
    "training labels not moved": ("train_one_epoch", train_labels_not_moved, "the labels of 3 of 3 batches"),
    "autocast on the CPU": ("train_one_epoch", train_autocast_everywhere, "mixed precision on CUDA only"),
    "loss returned as a tensor": ("train_one_epoch", train_returns_tensor, "not a tensor"),
    "last batch's loss returned": ("train_one_epoch", train_returns_last_loss, "average loss"),
    "optimizer.step() missing": ("train_one_epoch", train_without_step, "one step per batch"),
    "evaluating in train mode": ("evaluate", evaluate_in_train_mode, "model.eval()"),
    "gradients at evaluation": ("evaluate", evaluate_with_grad, "torch.no_grad()"),
    "mean of batch accuracies": ("evaluate", evaluate_mean_of_batch_accuracies, "per-batch accuracies"),
    "accuracy as a count": ("evaluate", evaluate_returns_count, "not a count"),
    "grad mode switched off for good": ("evaluate", evaluate_disables_grad_globally, "still off"),
    "mean of batch losses": ("evaluate", evaluate_mean_of_batch_losses, "weight each batch"),
    "features computed with grad": ("extract_features", features_with_grad, "gradients were recorded"),
    "features in train mode": ("extract_features", features_in_train_mode, "model.eval()"),
    "images not moved for features": ("extract_features", features_not_moved, "the images of 3 of 3 batches"),
    "last batch of features dropped": ("extract_features", features_drop_last_batch, "should have shape"),
    "features in float64": ("extract_features", features_float64, "float32"),
}


# --- correct alternatives ----------------------------------------------------------------------

def device_via_accelerator():
    if torch.accelerator.is_available() and torch.accelerator.current_accelerator().type == "cuda":
        device = torch.device("cuda", 0)
        print(f"Using the GPU: {torch.cuda.get_device_name(0)}")
    else:
        device = torch.device("cpu")
        print("Using the CPU")
    return device


def freeze_by_name(model):
    for name, parameter in model.named_parameters():
        parameter.requires_grad = name.startswith("fc.")
    return model


def freeze_with_requires_grad_(model):
    model.requires_grad_(False)
    model.fc.requires_grad_(True)
    return model


def head_zero_initialized(model, num_classes):
    head = nn.Linear(model.fc.in_features, num_classes, device=model.fc.weight.device, dtype=model.fc.weight.dtype)
    nn.init.zeros_(head.weight)
    nn.init.zeros_(head.bias)
    model.fc = head
    return model


def optimizer_one_group_per_parameter(model, learning_rate, backbone_lr_factor=0.1, momentum=0.9,
                                      weight_decay=0.0):
    head_ids = {id(p) for p in model.fc.parameters()}
    groups = [{"params": [p], "lr": learning_rate if id(p) in head_ids else learning_rate * backbone_lr_factor}
              for p in model.parameters() if p.requires_grad]
    return torch.optim.SGD(groups, lr=learning_rate, momentum=momentum, weight_decay=weight_decay, nesterov=True)


def train_zero_grad_after_step(model, loader, optimizer, device, scaler=None):
    model.train()
    losses, sizes = [], []
    criterion = nn.CrossEntropyLoss()
    for images, labels in loader:
        images, labels = images.to(device, non_blocking=True), labels.to(device, non_blocking=True)
        loss = criterion(model(images), labels)
        loss.backward()
        optimizer.step()
        model.zero_grad(set_to_none=True)
        losses.append(loss.item())
        sizes.append(len(labels))
    return sum(loss * size for loss, size in zip(losses, sizes)) / sum(sizes)


def evaluate_inference_mode(model, loader, device):
    model.eval()
    criterion = nn.CrossEntropyLoss(reduction="sum")
    total_loss, correct, examples = 0.0, 0, 0
    with torch.inference_mode():
        for images, labels in loader:
            images, labels = images.to(device=device), labels.to(device=device)
            scores = model(images)
            total_loss += criterion(scores, labels).item()
            correct += int((scores.argmax(dim=1) == labels).sum())
            examples += labels.numel()
    return total_loss / examples, correct / examples


@torch.no_grad()
def features_decorated(backbone, loader, device):
    backbone.eval()
    features, labels = [], []
    for images, batch_labels in loader:
        features.append(backbone(images.to(device)).float().to("cpu"))
        labels.append(batch_labels.to("cpu"))
    return torch.cat(features, dim=0), torch.cat(labels, dim=0)


EQUIVALENTS = {
    "device via torch.accelerator": ("get_device", device_via_accelerator),
    "freeze by parameter name": ("freeze_backbone", freeze_by_name),
    "freeze with requires_grad_": ("freeze_backbone", freeze_with_requires_grad_),
    "zero-initialized head": ("replace_head", head_zero_initialized),
    "one group per parameter, Nesterov": ("make_finetune_optimizer", optimizer_one_group_per_parameter),
    "zero_grad after the step": ("train_one_epoch", train_zero_grad_after_step),
    "evaluation in inference mode": ("evaluate", evaluate_inference_mode),
    "features under a no_grad decorator": ("extract_features", features_decorated),
}


# --- further bugs, written from the contract before reading the checks ---------------------------

def device_without_call():
    device = torch.device("cuda" if torch.cuda.is_available else "cpu")
    print(f"device: {device}")
    return device


def freeze_all_children_but_last(model):
    for child in list(model.children())[:-1]:
        for p in child.parameters():
            p.requires_grad = False
    return model


def freeze_head_bias_stays_frozen(model):
    for p in model.parameters():
        p.requires_grad = False
    model.fc.weight.requires_grad = True
    return model


def head_without_bias(model, num_classes):
    model.fc = nn.Linear(model.fc.in_features, num_classes, bias=False)
    return model


def head_from_out_features(model, num_classes):
    model.fc = nn.Linear(model.fc.out_features, num_classes)
    return model


def head_returns_head(model, num_classes):
    model.fc = nn.Linear(model.fc.in_features, num_classes)
    return model.fc


def optimizer_head_in_both_groups(model, learning_rate, backbone_lr_factor=0.1, momentum=0.9, weight_decay=0.0):
    head = [p for p in model.fc.parameters() if p.requires_grad]
    everything = [p for p in model.parameters() if p.requires_grad]
    return torch.optim.SGD([{"params": head, "lr": learning_rate},
                            {"params": everything, "lr": learning_rate * backbone_lr_factor}],
                           lr=learning_rate, momentum=momentum, weight_decay=weight_decay)


def optimizer_ignores_weight_decay(model, learning_rate, backbone_lr_factor=0.1, momentum=0.9, weight_decay=0.0):
    return reference.make_finetune_optimizer(model, learning_rate, backbone_lr_factor, momentum, 0.0)


def optimizer_divides_by_factor(model, learning_rate, backbone_lr_factor=0.1, momentum=0.9, weight_decay=0.0):
    return reference.make_finetune_optimizer(model, learning_rate, 1 / backbone_lr_factor, momentum, weight_decay)


def train_mean_of_batch_means(model, loader, optimizer, device, scaler=None):
    return _train(model, loader, optimizer, device, mean_of_batches=True)


def train_softmax_before_loss(model, loader, optimizer, device, scaler=None):
    return _train(model, loader, optimizer, device, softmax_first=True)


def train_step_before_backward(model, loader, optimizer, device, scaler=None):
    return _train(model, loader, optimizer, device, step_before_backward=True)


def evaluate_accuracy_in_percent(model, loader, device):
    loss, accuracy = reference.evaluate(model, loader, device)
    return loss, 100 * accuracy


def evaluate_swapped(model, loader, device):
    loss, accuracy = reference.evaluate(model, loader, device)
    return accuracy, loss


def features_reversed_order(backbone, loader, device):
    backbone.eval()
    feats, labs = [], []
    with torch.no_grad():
        for images, labels in loader:
            feats.insert(0, backbone(images.to(device)).float().cpu())
            labs.append(labels)
    return torch.cat(feats), torch.cat(labs)


def features_as_lists(backbone, loader, device):
    backbone.eval()
    feats, labs = [], []
    with torch.no_grad():
        for images, labels in loader:
            feats.append(backbone(images.to(device)).float().cpu())
            labs.append(labels)
    return feats, labs


BUGS.update({
    "device_without_call": ("get_device", device_without_call, 'when CUDA is not available it returned cuda'),
    "freeze_all_children_but_last": ("freeze_backbone", freeze_all_children_but_last, 'head parameter fc.weight is frozen'),
    "freeze_head_bias_stays_frozen": ("freeze_backbone", freeze_head_bias_stays_frozen, 'head parameter fc.bias is frozen'),
    "head_without_bias": ("replace_head", head_without_bias, 'no bias'),
    "head_from_out_features": ("replace_head", head_from_out_features, "old head's in_features"),
    "head_returns_head": ("replace_head", head_returns_head, 'should return the model'),
    "optimizer_head_in_both_groups": ("make_finetune_optimizer", optimizer_head_in_both_groups, 'more than one parameter group'),
    "optimizer_ignores_weight_decay": ("make_finetune_optimizer", optimizer_ignores_weight_decay, 'weight_decay 0.0'),
    "optimizer_divides_by_factor": ("make_finetune_optimizer", optimizer_divides_by_factor, 'learning_rate / backbone_lr_factor'),
    "train_mean_of_batch_means": ("train_one_epoch", train_mean_of_batch_means, 'weight each batch by its size'),
    "train_softmax_before_loss": ("train_one_epoch", train_softmax_before_loss, 'on the raw scores'),
    "train_step_before_backward": ("train_one_epoch", train_step_before_backward, 'saw no gradient'),
    "evaluate_accuracy_in_percent": ("evaluate", evaluate_accuracy_in_percent, 'a percentage?'),
    "evaluate_swapped": ("evaluate", evaluate_swapped, 'swapped'),
    "features_reversed_order": ("extract_features", features_reversed_order, "in the loader's order"),
    "features_as_lists": ("extract_features", features_as_lists, 'should be tensors'),
})


# --- near misses: close to right, caught only by tight tolerances or one specific sub-check ------

def device_prints_cuda_always():
    print("device: cuda")
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def freeze_features_only(model):
    for parameter in model.features.parameters():
        parameter.requires_grad_(False)
    for parameter in model.fc.parameters():
        parameter.requires_grad_(True)
    return model


def head_reset_in_place_when_size_matches(model, num_classes):
    if model.fc.out_features == num_classes:
        model.fc.reset_parameters()
        return model
    return reference.replace_head(model, num_classes)


def optimizer_default_weight_decay_5e4(model, learning_rate, backbone_lr_factor=0.1, momentum=0.9, weight_decay=5e-4):
    return reference.make_finetune_optimizer(model, learning_rate, backbone_lr_factor, momentum, weight_decay)


def optimizer_rates_through_float32(model, learning_rate, backbone_lr_factor=0.1, momentum=0.9, weight_decay=0.0):
    rate = torch.tensor(learning_rate)
    optimizer = reference.make_finetune_optimizer(model, learning_rate, backbone_lr_factor, momentum, weight_decay)
    for group in optimizer.param_groups:
        group["lr"] = (rate * backbone_lr_factor).item() if group["name"] == "backbone" else rate.item()
    return optimizer


def train_with_label_smoothing(model, loader, optimizer, device, scaler=None):
    model.train()
    total, count = 0.0, 0
    for images, labels in loader:
        images, labels = images.to(device), labels.to(device)
        optimizer.zero_grad()
        loss = F.cross_entropy(model(images), labels, label_smoothing=0.1)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(labels)
        count += len(labels)
    return total / count


def evaluate_log_of_softmax_plus_epsilon(model, loader, device):
    model.eval()
    total_loss, correct, examples = 0.0, 0, 0
    with torch.no_grad():
        for images, labels in loader:
            images, labels = images.to(device), labels.to(device)
            scores = model(images)
            total_loss += F.nll_loss(torch.log(F.softmax(scores, dim=1) + 1e-3), labels, reduction="sum").item()
            correct += (scores.argmax(dim=1) == labels).sum().item()
            examples += len(labels)
    return total_loss / examples, correct / examples


def features_stored_in_half_precision(backbone, loader, device):
    features, labels = reference.extract_features(backbone, loader, device)
    return features.half().float(), labels


NEAR_MISSES = {
    "device_prints_cuda_always": ("get_device", device_prints_cuda_always, "should print which device it chose"),
    "freeze_features_only": ("freeze_backbone", freeze_features_only, "backbone parameter neck."),
    "head_reset_in_place_when_size_matches": ("replace_head", head_reset_in_place_when_size_matches,
                                              "still the old head"),
    "optimizer_default_weight_decay_5e4": ("make_finetune_optimizer", optimizer_default_weight_decay_5e4,
                                           "expected 0 (nothing frozen"),
    "optimizer_rates_through_float32": ("make_finetune_optimizer", optimizer_rates_through_float32,
                                        "has learning rate"),
    "train_with_label_smoothing": ("train_one_epoch", train_with_label_smoothing, "mean cross-entropy loss"),
    "evaluate_log_of_softmax_plus_epsilon": ("evaluate", evaluate_log_of_softmax_plus_epsilon, "returned mean loss"),
    "features_stored_in_half_precision": ("extract_features", features_stored_in_half_precision,
                                          "differ from the backbone's outputs"),
}


def evaluate_accuracy_in_float32(model, loader, device):
    loss, _ = reference.evaluate(model, loader, device)
    correct, examples = torch.tensor(0.0), 0
    with torch.no_grad():
        for images, labels in loader:
            correct += (model(images.to(device)).argmax(dim=1) == labels.to(device)).float().sum()
            examples += len(labels)
    return loss, (correct / examples).item()


NEAR_MISSES["evaluate_accuracy_in_float32"] = ("evaluate", evaluate_accuracy_in_float32, "returned accuracy")


# --- bugs that only one sub-check reports (malformed results, replaced objects, forgotten moves) --

def train_prints_the_loss(model, loader, optimizer, device, scaler=None):
    print("loss:", reference.train_one_epoch(model, loader, optimizer, device, scaler))


def features_through_the_submodules(backbone, loader, device):
    backbone.eval()
    features, labels = [], []
    with torch.no_grad():
        for images, batch_labels in loader:
            features.append(backbone.neck(backbone.features(images.to(device))).float().cpu())
            labels.append(batch_labels)
    return torch.cat(features), torch.cat(labels)


def freeze_by_new_parameters(model):
    for module in model.modules():
        for key, parameter in list(module.named_parameters(recurse=False)):
            if module is not model.fc:
                setattr(module, key, nn.Parameter(parameter.detach().clone(), requires_grad=False))
    model.fc.requires_grad_(True)
    return model


def freeze_and_reset_the_head(model):
    reference.freeze_backbone(model)
    model.fc.reset_parameters()
    return model


def freeze_returns_nothing(model):
    reference.freeze_backbone(model)


def freeze_and_new_head(model):
    reference.freeze_backbone(model)
    return reference.replace_head(model, model.fc.out_features)


def head_in_a_sequential(model, num_classes):
    old = model.fc
    model.fc = nn.Sequential(nn.Linear(old.in_features, num_classes)).to(old.weight.dtype)
    return model


def head_copies_old_weights_when_sizes_match(model, num_classes):
    old = model.fc
    reference.replace_head(model, num_classes)
    if old.out_features == num_classes:
        model.fc.load_state_dict(old.state_dict())
    return model


def head_initializes_every_linear(model, num_classes):
    reference.replace_head(model, num_classes)
    for module in model.modules():
        if isinstance(module, nn.Linear):
            nn.init.xavier_uniform_(module.weight)
    return model


def optimizer_unfreezes_the_model(model, learning_rate, backbone_lr_factor=0.1, momentum=0.9, weight_decay=0.0):
    model.requires_grad_(True)
    return reference.make_finetune_optimizer(model, learning_rate, backbone_lr_factor, momentum, weight_decay)


def optimizer_detached_parameters(model, learning_rate, backbone_lr_factor=0.1, momentum=0.9, weight_decay=0.0):
    head, backbone = _split(model)
    groups = _groups([p.detach() for p in head], learning_rate, [p.detach() for p in backbone],
                     learning_rate * backbone_lr_factor)
    return torch.optim.SGD(groups, lr=learning_rate, momentum=momentum, weight_decay=weight_decay)


def optimizer_skips_batch_norm(model, learning_rate, backbone_lr_factor=0.1, momentum=0.9, weight_decay=0.0):
    head, backbone = _split(model)
    weighted = {id(p) for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear)) for p in m.parameters()}
    weighted_backbone = [p for p in backbone if id(p) in weighted]
    groups = _groups(head, learning_rate, weighted_backbone, learning_rate * backbone_lr_factor)
    return torch.optim.SGD(groups, lr=learning_rate, momentum=momentum, weight_decay=weight_decay)


def optimizer_backbone_rate_none(model, learning_rate, backbone_lr_factor=0.1, momentum=0.9, weight_decay=0.0):
    optimizer = reference.make_finetune_optimizer(model, learning_rate, backbone_lr_factor, momentum, weight_decay)
    for group in optimizer.param_groups:
        if group["name"] == "backbone":
            group["lr"] = None
    return optimizer


def optimizer_head_at_the_default_rate(model, learning_rate, backbone_lr_factor=0.1, momentum=0.9,
                                       weight_decay=0.0):
    head, backbone = _split(model)
    groups = [{"params": head}] if head else []
    if backbone:
        groups.append({"params": backbone, "lr": learning_rate * backbone_lr_factor})
    return torch.optim.SGD(groups, lr=1e-3, momentum=momentum, weight_decay=weight_decay)


def _decay_every_rate(optimizer):
    for group in optimizer.param_groups:
        group["lr"] *= 0.9


def train_decays_the_rate_each_batch(model, loader, optimizer, device, scaler=None):
    return _train(model, loader, optimizer, device, after_step=_decay_every_rate)


def evaluate_returns_a_list(model, loader, device):
    return list(reference.evaluate(model, loader, device))


def evaluate_labels_not_moved(model, loader, device):
    model.eval()
    total_loss, correct, examples = 0.0, 0, 0
    with torch.no_grad():
        for images, labels in loader:
            scores = model(images.to(device))
            total_loss += F.cross_entropy(scores, labels, reduction="sum").item()
            correct += (scores.argmax(dim=1) == labels).sum().item()
            examples += len(labels)
    return total_loss / examples, correct / examples


def evaluate_in_float64(model, loader, device):
    model.double()
    return reference.evaluate(model, [(images.to(device).double(), labels.to(device)) for images, labels in loader],
                              device)


def features_disable_grad_globally(backbone, loader, device):
    torch.set_grad_enabled(False)
    return reference.extract_features(backbone, loader, device)


def features_returned_as_a_list(backbone, loader, device):
    return list(reference.extract_features(backbone, loader, device))


def features_ready_for_fine_tuning(backbone, loader, device):
    features, labels = reference.extract_features(backbone, loader, device)
    return features.requires_grad_(True), labels


def features_labels_as_int32(backbone, loader, device):
    features, labels = reference.extract_features(backbone, loader, device)
    return features, labels.int()


BUGS.update({
    "train_prints_the_loss": ("train_one_epoch", train_prints_the_loss, "should be a Python float, got NoneType"),
    "features_through_the_submodules": ("extract_features", features_through_the_submodules,
                                        "the model was never called"),
    "freeze_by_new_parameters": ("freeze_backbone", freeze_by_new_parameters, "was replaced or removed"),
    "freeze_and_reset_the_head": ("freeze_backbone", freeze_and_reset_the_head, "the values of fc.weight changed"),
    "freeze_returns_nothing": ("freeze_backbone", freeze_returns_nothing, "should return the model"),
    "freeze_and_new_head": ("freeze_backbone", freeze_and_new_head, "model.fc was replaced"),
    "head_in_a_sequential": ("replace_head", head_in_a_sequential, "should be an nn.Linear, got Sequential"),
    "head_copies_old_weights_when_sizes_match": ("replace_head", head_copies_old_weights_when_sizes_match,
                                                 "the new head has the old head's weights"),
    "head_initializes_every_linear": ("replace_head", head_initializes_every_linear, "the values of neck.0.weight"),
    "optimizer_unfreezes_the_model": ("make_finetune_optimizer", optimizer_unfreezes_the_model,
                                      "the requires_grad flags of the model changed"),
    "optimizer_detached_parameters": ("make_finetune_optimizer", optimizer_detached_parameters,
                                      "give it the model's own parameters"),
    "optimizer_skips_batch_norm": ("make_finetune_optimizer", optimizer_skips_batch_norm,
                                   "is missing from the optimizer"),
    "optimizer_backbone_rate_none": ("make_finetune_optimizer", optimizer_backbone_rate_none,
                                     "no numeric learning rate"),
    "optimizer_head_at_the_default_rate": ("make_finetune_optimizer", optimizer_head_at_the_default_rate,
                                           "the head parameter fc."),
    "train_decays_the_rate_each_batch": ("train_one_epoch", train_decays_the_rate_each_batch,
                                         "after one epoch the parameter"),
    "evaluate_returns_a_list": ("evaluate", evaluate_returns_a_list, "should return a tuple (mean_loss, accuracy)"),
    "evaluate_labels_not_moved": ("evaluate", evaluate_labels_not_moved, "the labels of 3 of 3 batches"),
    "evaluate_in_float64": ("evaluate", evaluate_in_float64, "evaluation changed the model"),
    "features_disable_grad_globally": ("extract_features", features_disable_grad_globally, "still off"),
    "features_returned_as_a_list": ("extract_features", features_returned_as_a_list,
                                    "should return a tuple (features, labels)"),
    "features_ready_for_fine_tuning": ("extract_features", features_ready_for_fine_tuning,
                                       "attached to a computation graph"),
    "features_labels_as_int32": ("extract_features", features_labels_as_int32, "labels should be the loader's labels"),
})


# --- bugs whose message names the case or the diagnosis ------------------------------------------

def device_named_gpu():
    device = torch.device("gpu" if torch.cuda.is_available() else "cpu")
    print("device:", device)
    return device


def optimizer_factor_as_backbone_rate(model, learning_rate, backbone_lr_factor=0.1, momentum=0.9,
                                      weight_decay=0.0):
    head, backbone = _split(model)
    return torch.optim.SGD(_groups(head, learning_rate, backbone, backbone_lr_factor),
                           lr=learning_rate, momentum=momentum, weight_decay=weight_decay)


BUGS.update({
    "device_named_gpu": ("get_device", device_named_gpu,
                         "when CUDA is available (simulated) the function raised RuntimeError"),
    "optimizer_factor_as_backbone_rate": ("make_finetune_optimizer", optimizer_factor_as_backbone_rate,
                                          "use learning_rate * backbone_lr_factor"),
})


def optimizer_rates_as_float64_tensors(model, learning_rate, backbone_lr_factor=0.1, momentum=0.9,
                                       weight_decay=0.0):
    rate = torch.tensor(learning_rate, dtype=torch.float64)
    head, backbone = _split(model)
    return torch.optim.SGD(_groups(head, rate, backbone, rate * backbone_lr_factor),
                           lr=rate, momentum=momentum, weight_decay=weight_decay)


EQUIVALENTS["rates as float64 tensors"] = ("make_finetune_optimizer", optimizer_rates_as_float64_tensors)


def device_with_current_index():
    if torch.cuda.is_available():
        device = torch.device("cuda", torch.cuda.current_device())
        print(f"Using the GPU {device}: {torch.cuda.get_device_name(device)}")
    else:
        device = torch.device("cpu")
        print("Using the CPU")
    return device


EQUIVALENTS["device with the current CUDA index"] = ("get_device", device_with_current_index)
