"""Hidden checks of 04 Transfer learning (PyTorch).

Every check builds its own small models (a few convolution, batch-norm, dropout and linear
layers with the head in ``model.fc``) and random data, so it runs in a fraction of a second on a
CPU. What the student's function does is observed, not assumed:

- the models record, at every forward pass, whether they were in train mode, whether gradients
  were being recorded and whether autocast was on;
- the batches a loader yields record every ``.to(...)`` call, so a batch that never moves to
  the device is seen even on a CPU-only machine, where that mistake would go unnoticed;
- the optimizer records the gradients it is handed at every step.

Results are compared with the reference implementation run on an exact copy of the model, with
the same batches. torch's random state is saved and restored around each check, so the notebook's
own random sequence does not depend on whether the checks ran.
"""
import contextlib
import copy
import io
import math
import numbers
from types import SimpleNamespace
from unittest import mock

import torch
import torch.nn.functional as F
from torch import nn

from autograder.checks._common import call, fail, fresh_rng, passed
from autograder.reference import transfer as reference

# The checks hand PyTorch models, loaders and optimizers to the student's functions, which cannot
# cross the grader's plain-data channel: this module and its reference run inside the kernel.
RUN_IN_KERNEL = True

CPU = torch.device("cpu")


# --- instrumented models, batches and loaders -----------------------------------------------------

class _Recorder(nn.Module):
    """Base of the check models: records the state of torch at every forward pass."""

    def __init__(self):
        super().__init__()
        self.forward_calls = []

    def _record(self):
        self.forward_calls.append({"training": self.training, "grad": torch.is_grad_enabled(),
                                   "autocast": torch.is_autocast_enabled("cpu")})


class _Classifier(_Recorder):
    """A tiny image classifier: conv, batch norm, ReLU, pooling, a hidden linear layer, dropout,
    and the head fc."""

    def __init__(self, channels, width, hidden, num_classes, dropout):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(channels, width, 3, padding=1), nn.BatchNorm2d(width),
                                      nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.neck = nn.Sequential(nn.Linear(width, hidden), nn.BatchNorm1d(hidden), nn.ReLU(), nn.Dropout(dropout))
        self.fc = nn.Linear(hidden, num_classes)

    def forward(self, x):
        self._record()
        return self.fc(self.neck(self.features(x)))


class _Backbone(_Classifier):
    """A _Classifier without its head: images (N, C, H, W) -> features (N, hidden)."""

    def __init__(self, channels, width, hidden, dropout):
        super().__init__(channels, width, hidden, 2, dropout)
        del self.fc

    def forward(self, x):
        self._record()
        return self.neck(self.features(x))


class _Mlp(_Recorder):
    """A small MLP on vectors, head fc."""

    def __init__(self, dim, hidden, num_classes):
        super().__init__()
        self.hidden = nn.Sequential(nn.Linear(dim, hidden), nn.ReLU())
        self.fc = nn.Linear(hidden, num_classes)

    def forward(self, x):
        self._record()
        return self.fc(self.hidden(x))


class _TrackedTensor(torch.Tensor):
    """A batch tensor that logs every .to(...) call made on it: (role, batch index, device)."""

    def to(self, *args, **kwargs):
        log = getattr(self, "_move_log", None)
        if log is not None:
            device = torch._C._nn._parse_to(*args, **kwargs)[0]
            log.append((self._role, self._batch, device))
        return super().to(*args, **kwargs).as_subclass(torch.Tensor)


def _tracked(tensor, role, batch, log):
    tracked = tensor.clone().as_subclass(_TrackedTensor)
    tracked._role, tracked._batch, tracked._move_log = role, batch, log
    return tracked


class _Sized:
    def __init__(self, length):
        self.length = length

    def __len__(self):
        return self.length


class _Loader:
    """A DataLoader stand-in over fixed batches [(images, labels), ...] that yields tracked copies.

    Like a DataLoader it has len() (batches), .dataset with len() (examples) and .batch_size.
    """

    def __init__(self, batches):
        self.batches = batches
        self.dataset = _Sized(sum(len(labels) for _, labels in batches))
        self.batch_size = len(batches[0][1])
        self.moves = []

    def __iter__(self):
        for index, (images, labels) in enumerate(self.batches):
            yield _tracked(images, "images", index, self.moves), _tracked(labels, "labels", index, self.moves)

    def __len__(self):
        return len(self.batches)

    def plain(self):
        """The same batches as plain tensors, for the reference."""
        return [(images.clone(), labels.clone()) for images, labels in self.batches]


@contextlib.contextmanager
def _torch_seed(rng):
    """Run the body with torch's RNG seeded from rng, restoring torch's random state afterwards."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(rng.integers(2**31)))
        yield


def _batches(rng, sizes, shape, num_classes, dtype=torch.float32):
    """Random batches: [(images (size, *shape), labels (size,) int64), ...]."""
    generator = torch.Generator().manual_seed(int(rng.integers(2**31)))
    return [(torch.randn((size, *shape), generator=generator, dtype=dtype),
             torch.randint(0, num_classes, (size,), generator=generator)) for size in sizes]


def _classifier(rng, num_classes=None, dropout=0.0, dtype=torch.float32):
    """A _Classifier with random sizes, built from torch's current RNG (call inside _torch_seed)."""
    num_classes = num_classes or int(rng.integers(3, 7))
    model = _Classifier(channels=3, width=int(rng.integers(4, 7)), hidden=int(rng.integers(5, 9)),
                        num_classes=num_classes, dropout=dropout)
    return model.to(dtype)


def _image_shape(rng):
    size = int(rng.integers(5, 8))
    return (3, size, size)


def _is_number(value):
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _check_number(name, value, what):
    if isinstance(value, torch.Tensor):
        fail(name, f"{what} should be a Python float (use .item()), not a tensor: a tensor kept across "
                   "batches also keeps every batch's computation graph in memory")
    if not _is_number(value):
        fail(name, f"{what} should be a Python float, got {type(value).__name__}")
    if not math.isfinite(float(value)):
        fail(name, f"{what} is not finite: {value}")


def _close(actual, expected, rtol=1e-4, atol=1e-6):
    return abs(float(actual) - float(expected)) <= atol + rtol * abs(float(expected))


def _check_forward_calls(name, model, training, what):
    """Fail unless every recorded forward pass ran in the expected mode, without autocast on the CPU,
    and (when not training) without recording gradients."""
    calls = model.forward_calls
    if not calls:
        fail(name, "the model was never called on the batches")
    if any(c["training"] != training for c in calls):
        if training:
            fail(name, "the model ran in eval mode: call model.train() first, so that dropout and "
                       "batch norm behave as in training")
        fail(name, f"the model ran in train mode during {what}: call model.eval() first, so that "
                   "dropout is off and batch norm uses its running statistics")
    if not training and any(c["grad"] for c in calls):
        fail(name, f"gradients were recorded during {what}: run the forward passes inside "
                   "`with torch.no_grad():` (or torch.inference_mode()) to save memory and time")
    if any(c["autocast"] for c in calls):
        fail(name, "autocast was on although the device is the CPU: use mixed precision on CUDA only "
                   "(enabled=device.type == 'cuda')")


def _check_moves(name, loader, roles, device=CPU):
    """Fail unless every batch's tensors with the given roles were moved to device with .to(...)."""
    for role in roles:
        moved = {batch for moved_role, batch, target in loader.moves
                 if moved_role == role and target is not None and torch.device(target).type == device.type}
        if len(moved) < len(loader):
            fail(name, f"the {role} of {len(loader) - len(moved)} of {len(loader)} batches were not moved to "
                       f"`device` (call {role}.to(device)): on a GPU the model and its inputs must be on "
                       "the same device")


def _check_grad_mode_restored(name):
    if not torch.is_grad_enabled():
        torch.set_grad_enabled(True)
        fail(name, "gradient recording is still off after the call: use `with torch.no_grad():` (which "
                   "restores it) rather than torch.set_grad_enabled(False)")


# --- get_device ----------------------------------------------------------------------------------

@contextlib.contextmanager
def _simulated_cuda(available):
    """Pretend that a CUDA GPU is (or is not) present, whatever the machine has."""
    patches = [mock.patch.object(torch.cuda, "is_available", lambda: available),
               mock.patch.object(torch.cuda, "device_count", lambda: int(available)),
               mock.patch.object(torch.cuda, "current_device", lambda: 0),
               mock.patch.object(torch.cuda, "get_device_name", lambda *args, **kwargs: "Simulated GPU"),
               mock.patch.object(torch.cuda, "get_device_properties",
                                 lambda *args, **kwargs: SimpleNamespace(name="Simulated GPU", total_memory=2**34)),
               mock.patch.object(torch.backends.mps, "is_available", lambda: False)]
    if hasattr(torch, "accelerator"):
        accelerator = torch.device("cuda") if available else None
        patches += [mock.patch.object(torch.accelerator, "is_available", lambda: available),
                    mock.patch.object(torch.accelerator, "current_accelerator", lambda *args, **kwargs: accelerator)]
    with contextlib.ExitStack() as stack:
        for patch in patches:
            stack.enter_context(patch)
        yield


def _device_case(name, get_device, available, machine):
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        if machine:
            device = call(name, get_device)
        else:
            with _simulated_cuda(available):
                try:
                    device = get_device()
                except NotImplementedError:
                    fail(name, "not implemented yet (the function raised NotImplementedError)")
                except Exception as error:  # noqa: BLE001 - any student exception is a failed check
                    fail(name, f"with CUDA {'available' if available else 'unavailable'} (simulated) the "
                               f"function raised {type(error).__name__}: {error}")
    where = "on this machine" if machine else f"when CUDA is {'available' if available else 'not available'}"
    if not isinstance(device, torch.device):
        fail(name, f"should return a torch.device (e.g. torch.device('cuda')), got {type(device).__name__}")
    expected = "cuda" if available else "cpu"
    if device.type != expected:
        fail(name, f"{where} it returned {device}, expected the {expected.upper()}: check "
                   "torch.cuda.is_available() instead of fixing the device")
    text = printed.getvalue().lower()
    words = ("cuda", "gpu") if available else ("cpu",)
    if not any(word in text for word in words):
        fail(name, f"{where} it should print which device it chose (the text should mention "
                   f"{' or '.join(repr(w) for w in words)}); it printed {printed.getvalue().strip()!r}")


def check_get_device(get_device, seed=None):
    """Check ``get_device() -> torch.device``: CUDA when available, else the CPU, and printed."""
    name = "get_device"
    _, seed = fresh_rng(seed)
    _device_case(name, get_device, available=True, machine=False)
    _device_case(name, get_device, available=False, machine=False)
    _device_case(name, get_device, available=torch.cuda.is_available(), machine=True)
    passed(name, 3, seed)


# --- freeze_backbone -----------------------------------------------------------------------------

def _parameter_state(model):
    return {key: (p, p.detach().clone(), p.requires_grad) for key, p in model.named_parameters()}


def _check_frozen_exactly(name, model, before):
    head_ids = {id(p) for p in model.fc.parameters()}
    for key, parameter in model.named_parameters():
        if id(parameter) in head_ids and not parameter.requires_grad:
            fail(name, f"the head parameter {key} is frozen: the head must stay trainable "
                       "(requires_grad=True), even if it was frozen before")
        if id(parameter) not in head_ids and parameter.requires_grad:
            fail(name, f"the backbone parameter {key} is still trainable: freeze every parameter outside "
                       "model.fc (requires_grad=False), batch-norm scales and shifts included")
    for key, (parameter, value, _) in before.items():
        current = dict(model.named_parameters()).get(key)
        if current is not parameter:
            fail(name, f"the parameter {key} was replaced: freezing only changes requires_grad")
        if not torch.equal(parameter.detach(), value):
            fail(name, f"the values of {key} changed: freezing must not touch the weights")


def check_freeze_backbone(freeze_backbone, seed=None):
    """Check ``freeze_backbone(model) -> model``: exactly the parameters of model.fc trainable."""
    name = "freeze_backbone"
    rng, seed = fresh_rng(seed)
    with _torch_seed(rng):
        # A fresh model (everything trainable), then one with mixed flags and a frozen head.
        for case in ("fresh", "mixed"):
            model = _classifier(rng)
            if case == "mixed":
                for parameter in model.parameters():
                    parameter.requires_grad_(bool(rng.integers(2)))
                model.fc.weight.requires_grad_(False)
            head = model.fc
            before = _parameter_state(model)
            result = call(name, freeze_backbone, model)
            if result is not model:
                fail(name, "should return the model it was given (modified in place)")
            if model.fc is not head:
                fail(name, "model.fc was replaced: freezing should keep the head and only change requires_grad")
            _check_frozen_exactly(name, model, before)
    passed(name, 2, seed)


# --- replace_head --------------------------------------------------------------------------------

def _replace_head_case(name, replace_head, rng, dtype, num_classes, old_classes, backbone_frozen):
    model = _classifier(rng, num_classes=old_classes, dtype=dtype)
    if backbone_frozen:
        for parameter in model.parameters():
            parameter.requires_grad_(False)
    old_head = model.fc
    old_weight = old_head.weight.detach().clone()
    backbone = {key: (p, p.detach().clone(), p.requires_grad) for key, p in model.named_parameters()
                if not key.startswith("fc.")}
    result = call(name, replace_head, model, num_classes)
    if result is not model:
        fail(name, "should return the model it was given (modified in place)")
    if model.fc is old_head:
        fail(name, f"model.fc is still the old head (num_classes={num_classes}, the old head had {old_classes} "
                   "outputs): always create a new, freshly initialized head")
    images = torch.randn((4, *_image_shape(rng)), dtype=dtype)
    model.eval()
    try:
        with torch.no_grad():
            scores = model(images)
    except Exception as error:  # noqa: BLE001 - the new head is unusable
        fail(name, f"a forward pass through the model with the new head failed ({type(error).__name__}: "
                   f"{error}); create the head with the old head's in_features, dtype and device")
    if tuple(scores.shape) != (4, num_classes):
        fail(name, f"with num_classes={num_classes} the model outputs scores of shape {tuple(scores.shape)}, "
                   f"expected (4, {num_classes}): the head needs one output per class")
    head_parameters = list(model.fc.parameters())
    if not head_parameters or any(not p.requires_grad for p in head_parameters):
        fail(name, "the new head is not trainable: its parameters need requires_grad=True")
    if any(p.dtype != dtype for p in head_parameters):
        fail(name, f"the new head's parameters are {head_parameters[0].dtype} in a {dtype} model: "
                   "create the head with the dtype (and device) of the old one")
    new_weight = getattr(model.fc, "weight", None)
    if isinstance(new_weight, torch.Tensor) and new_weight.shape == old_weight.shape \
            and torch.equal(new_weight.detach(), old_weight):
        fail(name, "the new head has the old head's weights: it should be freshly initialized")
    for key, (parameter, value, requires_grad) in backbone.items():
        current = dict(model.named_parameters()).get(key)
        if current is not parameter or not torch.equal(parameter.detach(), value):
            fail(name, f"the backbone parameter {key} was replaced or changed: only swap model.fc")
        if parameter.requires_grad != requires_grad:
            fail(name, f"the requires_grad flag of the backbone parameter {key} changed from {requires_grad}: "
                       "replace_head should only swap the head and leave the backbone as it was")


def check_replace_head(replace_head, seed=None):
    """Check ``replace_head(model, num_classes) -> model``: a fresh trainable head with num_classes outputs."""
    name = "replace_head"
    rng, seed = fresh_rng(seed)
    with _torch_seed(rng):
        old_classes = int(rng.integers(3, 7))
        new_classes = old_classes + int(rng.choice([-1, 1, 2, 5]))
        _replace_head_case(name, replace_head, rng, torch.float32, new_classes, old_classes, backbone_frozen=True)
        # Same number of classes, a float64 model and a trainable backbone.
        _replace_head_case(name, replace_head, rng, torch.float64, old_classes, old_classes, backbone_frozen=False)
    passed(name, 2, seed)


# --- make_finetune_optimizer -------------------------------------------------------------------

def _log_uniform(rng, low, high):
    return float(math.exp(rng.uniform(math.log(low), math.log(high))))


def _optimizer_case(name, make_finetune_optimizer, rng, frozen, kwargs, description):
    """frozen: "none", "lowest" (the first conv and batch norm) or "backbone" (everything but fc)."""
    model = _classifier(rng)
    if frozen == "lowest":
        for parameter in list(model.features[0].parameters()) + list(model.features[1].parameters()):
            parameter.requires_grad_(False)
    elif frozen == "backbone":
        for key, parameter in model.named_parameters():
            parameter.requires_grad_(key.startswith("fc."))
    flags = {key: p.requires_grad for key, p in model.named_parameters()}
    learning_rate = _log_uniform(rng, 1e-3, 1e-1)
    factor = kwargs.get("backbone_lr_factor", 0.1)
    momentum = kwargs.get("momentum", 0.9)
    weight_decay = kwargs.get("weight_decay", 0.0)
    optimizer = call(name, make_finetune_optimizer, model, learning_rate, **kwargs)
    if not isinstance(optimizer, torch.optim.SGD):
        fail(name, f"should return a torch.optim.SGD optimizer, got {type(optimizer).__name__}")
    if {key: p.requires_grad for key, p in model.named_parameters()} != flags:
        fail(name, "the requires_grad flags of the model changed: build the optimizer, leave the model as it is")
    group_of = {}
    for group in optimizer.param_groups:
        for parameter in group["params"]:
            group_of[id(parameter)] = group
    head_ids = {id(p) for p in model.fc.parameters()}
    setting = f"({description}, learning_rate={learning_rate:.4g})"
    for key, parameter in model.named_parameters():
        group = group_of.get(id(parameter))
        if not parameter.requires_grad and group is not None:
            fail(name, f"the frozen parameter {key} is in the optimizer {setting}: leave out every "
                       "parameter with requires_grad=False")
        if parameter.requires_grad and group is None:
            fail(name, f"the trainable parameter {key} is missing from the optimizer {setting}")
    trainable = [(key, p, id(p) in head_ids) for key, p in model.named_parameters() if p.requires_grad]
    rates = {id(p): group_of[id(p)]["lr"] for _, p, _ in trainable}
    head_rates = [rates[id(p)] for _, p, is_head in trainable if is_head]
    backbone_rates = [rates[id(p)] for _, p, is_head in trainable if not is_head]
    if head_rates and backbone_rates and all(_close(r, learning_rate * factor, 1e-9, 0.0) for r in head_rates) \
            and all(_close(r, learning_rate, 1e-9, 0.0) for r in backbone_rates):
        fail(name, f"the head has learning rate {learning_rate * factor:.4g} and the pretrained layers "
                   f"{learning_rate:.4g} {setting}: the two rates are swapped")
    for key, parameter, is_head in trainable:
        rate = rates[id(parameter)]
        if is_head and not _close(rate, learning_rate, 1e-9, 0.0):
            fail(name, f"the head parameter {key} has learning rate {rate:.4g}, expected the base learning "
                       f"rate {learning_rate:.4g} {setting}")
        if not is_head and not _close(rate, learning_rate * factor, 1e-9, 0.0):
            if _close(rate, learning_rate, 1e-9, 0.0):
                hint = "the same learning rate everywhere? The pretrained layers should move more slowly"
            elif _close(rate, learning_rate * 0.1, 1e-9, 0.0):
                hint = "is backbone_lr_factor ignored (a fixed 0.1)?"
            else:
                hint = "use learning_rate * backbone_lr_factor"
            fail(name, f"the pretrained (backbone) parameter {key} has learning rate {rate:.4g}, expected "
                       f"{learning_rate * factor:.4g} {setting}: {hint}")
        group = group_of[id(parameter)]
        if not _close(group.get("momentum", 0.0), momentum, rtol=1e-9, atol=0.0):
            fail(name, f"the group of {key} has momentum {group.get('momentum')}, expected {momentum:.4g} {setting}")
        if not _close(group.get("weight_decay", 0.0), weight_decay, rtol=1e-9, atol=0.0):
            fail(name, f"the group of {key} has weight_decay {group.get('weight_decay')}, expected "
                       f"{weight_decay:.4g} {setting}")


def check_make_finetune_optimizer(make_finetune_optimizer, seed=None):
    """Check ``make_finetune_optimizer(model, learning_rate, backbone_lr_factor=0.1, momentum=0.9,
    weight_decay=0.0) -> torch.optim.SGD`` with parameter groups."""
    name = "make_finetune_optimizer"
    rng, seed = fresh_rng(seed)
    with _torch_seed(rng):
        kwargs = {"backbone_lr_factor": float(rng.uniform(0.02, 0.5)), "momentum": float(rng.uniform(0.5, 0.95)),
                  "weight_decay": _log_uniform(rng, 1e-5, 1e-3)}
        text = ", ".join(f"{key}={value:.4g}" for key, value in kwargs.items())
        _optimizer_case(name, make_finetune_optimizer, rng, "lowest", kwargs, f"lowest layers frozen, {text}")
        _optimizer_case(name, make_finetune_optimizer, rng, "none", {},
                        "nothing frozen, default backbone_lr_factor=0.1, momentum=0.9, weight_decay=0")
        _optimizer_case(name, make_finetune_optimizer, rng, "backbone", kwargs, f"whole backbone frozen, {text}")
    passed(name, 3, seed)


# --- train_one_epoch ---------------------------------------------------------------------------

def _recording_optimizer(parameters, **kwargs):
    """An SGD optimizer that keeps a copy of the gradients it sees at every step in .seen."""
    optimizer = torch.optim.SGD(parameters, **kwargs)
    optimizer.seen = []

    def snapshot(opt, args, kwargs):
        opt.seen.append([None if p.grad is None else p.grad.detach().clone()
                         for group in opt.param_groups for p in group["params"]])

    optimizer.register_step_pre_hook(snapshot)
    return optimizer


def _batch_gradients(model, batches):
    """The gradient of each batch's mean cross-entropy at the model's current weights."""
    gradients = []
    for images, labels in batches:
        model.zero_grad()
        F.cross_entropy(model(images), labels).backward()
        gradients.append([p.grad.detach().clone() for p in model.parameters()])
    model.zero_grad(set_to_none=True)
    return gradients


def _grads_close(actual, expected):
    return all(a is not None and torch.allclose(a, e, rtol=1e-4, atol=1e-6) for a, e in zip(actual, expected))


def _check_gradients_per_batch(name, train_one_epoch, rng):
    """With a zero learning rate the weights stay put, so the gradient at each step must be exactly
    that batch's own gradient: this catches gradients accumulated over batches."""
    model = _classifier(rng)
    model.train()
    loader = _Loader(_batches(rng, [6, 6, 6], _image_shape(rng), model.fc.out_features))
    expected = _batch_gradients(copy.deepcopy(model), loader.plain())
    optimizer = _recording_optimizer(model.parameters(), lr=0.0)
    call(name, train_one_epoch, model, loader, optimizer, CPU)
    _check_moves(name, loader, ["images", "labels"])
    _check_forward_calls(name, model, training=True, what="training")
    if len(optimizer.seen) != len(loader):
        fail(name, f"optimizer.step() was called {len(optimizer.seen)} times for {len(loader)} batches: "
                   "take one step per batch")
    for step, (seen, wanted) in enumerate(zip(optimizer.seen, expected), start=1):
        if _grads_close(seen, wanted):
            continue
        accumulated = [sum(grads) for grads in zip(*expected[:step])]
        if step > 1 and _grads_close(seen, accumulated):
            fail(name, f"at step {step} the gradient is the sum of the gradients of batches 1..{step}: "
                       "call optimizer.zero_grad() before each backward pass")
        fail(name, f"the gradient at step {step} is not the gradient of batch {step}'s mean cross-entropy loss "
                   "(F.cross_entropy(model(images), labels))")


def check_train_one_epoch(train_one_epoch, seed=None):
    """Check ``train_one_epoch(model, loader, optimizer, device, scaler=None) -> float`` (mean loss)."""
    name = "train_one_epoch"
    rng, seed = fresh_rng(seed)
    with _torch_seed(rng):
        _check_gradients_per_batch(name, train_one_epoch, rng)

        # One epoch from eval mode (the function must switch to train mode), against the reference.
        model = _classifier(rng)
        model.eval()
        reference_model = copy.deepcopy(model)
        loader = _Loader(_batches(rng, [8, 8, 8, 8], _image_shape(rng), model.fc.out_features))
        hyper = {"lr": _log_uniform(rng, 0.01, 0.2), "momentum": float(rng.uniform(0.5, 0.9))}
        optimizer = _recording_optimizer(model.parameters(), **hyper)
        loss = call(name, train_one_epoch, model, loader, optimizer, CPU)
        _check_number(name, loss, "the returned loss")
        _check_moves(name, loader, ["images", "labels"])
        _check_forward_calls(name, model, training=True, what="training")
        expected_loss = reference.train_one_epoch(reference_model, loader.plain(),
                                                  torch.optim.SGD(reference_model.parameters(), **hyper), CPU)
        for (key, parameter), expected in zip(model.named_parameters(), reference_model.parameters()):
            if not torch.allclose(parameter.detach(), expected.detach(), rtol=1e-4, atol=1e-6):
                fail(name, f"after one epoch the parameter {key} differs from the expected one: one "
                           "optimizer.step() per batch on the mean cross-entropy of that batch")
        if not _close(loss, expected_loss):
            fail(name, f"returned {float(loss):.6g}, expected the epoch's average loss {expected_loss:.6g}: "
                       "the mean over the examples of each batch's loss, measured before its step")

        # A tiny separable problem: a few epochs must drive the loss well down.
        centers = torch.randn(3, 4) * 4
        labels = torch.arange(3).repeat(16)
        points = centers[labels] + 0.3 * torch.randn(len(labels), 4)
        order = torch.randperm(len(labels))
        batches = [(points[order[i:i + 12]], labels[order[i:i + 12]]) for i in range(0, len(labels), 12)]
        model = _Mlp(4, 8, 3)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        losses = [call(name, train_one_epoch, model, _Loader(batches), optimizer, CPU) for _ in range(6)]
        if not float(losses[-1]) < 0.5 * float(losses[0]):
            fail(name, f"on an easy separable problem the loss went from {float(losses[0]):.3f} to "
                       f"{float(losses[-1]):.3f} in 6 epochs: is the optimizer stepping on the right loss?")
    passed(name, 3, seed)


# --- evaluate -----------------------------------------------------------------------------------

def _labels_with_accuracy_pattern(model, batches, rng):
    """Relabel batches so that the first ones are half right and the last one is all right for the
    model in eval mode: then per-example and per-batch averages of the accuracy differ."""
    probe = copy.deepcopy(model).eval()
    relabelled = []
    for index, (images, labels) in enumerate(batches):
        with torch.no_grad():
            predictions = probe(images).argmax(dim=1)
        wrong = (predictions + 1 + torch.from_numpy(rng.integers(0, probe.fc.out_features - 1, len(labels)))) \
            % probe.fc.out_features
        right = torch.ones(len(labels), dtype=torch.bool) if index == len(batches) - 1 \
            else torch.arange(len(labels)) % 2 == 0
        relabelled.append((images, torch.where(right, predictions, wrong)))
    return relabelled


def check_evaluate(evaluate, seed=None):
    """Check ``evaluate(model, loader, device) -> (mean loss, accuracy)``."""
    name = "evaluate"
    rng, seed = fresh_rng(seed)
    with _torch_seed(rng):
        model = _classifier(rng, dropout=0.5)
        batches = _batches(rng, [10, 10, 3], _image_shape(rng), model.fc.out_features)
        # Give batch norm running statistics that differ from any batch's own statistics.
        model.train()
        with torch.no_grad():
            model(3.0 * torch.randn_like(batches[0][0]) + 1.0)
        model.forward_calls.clear()
        loader = _Loader(_labels_with_accuracy_pattern(model, batches, rng))
        reference_model = copy.deepcopy(model)
        state = {key: value.clone() for key, value in model.state_dict().items()}
        result = call(name, evaluate, model, loader, CPU)
        _check_grad_mode_restored(name)
        if not (isinstance(result, tuple) and len(result) == 2):
            fail(name, "should return a tuple (mean_loss, accuracy)")
        loss, accuracy = result
        _check_number(name, loss, "the mean loss")
        _check_number(name, accuracy, "the accuracy")
        _check_moves(name, loader, ["images", "labels"])
        _check_forward_calls(name, model, training=False, what="evaluation")
        for key, value in model.state_dict().items():
            if not torch.equal(value, state[key]):
                fail(name, f"evaluation changed the model ({key}): it must only read it")
        if any(p.grad is not None for p in model.parameters()):
            fail(name, "evaluation left gradients in the parameters: no backward pass at evaluation")
        expected_loss, expected_accuracy = reference.evaluate(reference_model, loader.plain(), CPU)
        if not 0.0 <= float(accuracy) <= 1.0:
            fail(name, f"the accuracy {accuracy} should be a fraction in [0, 1] (correct / examples), not a count")
        if not _close(accuracy, expected_accuracy, rtol=1e-9, atol=1e-9):
            with torch.no_grad():
                batch_accuracies = [(reference_model(images).argmax(dim=1) == labels).float().mean().item()
                                    for images, labels in loader.plain()]
            hint = (" (that is the mean of the per-batch accuracies: count the correct examples over all "
                    "batches, the last batch is smaller)"
                    if _close(accuracy, sum(batch_accuracies) / len(batch_accuracies), 1e-6, 1e-9) else "")
            fail(name, f"returned accuracy {float(accuracy):.6g}, expected {expected_accuracy:.6g}{hint}")
        if not _close(loss, expected_loss):
            fail(name, f"returned mean loss {float(loss):.6g}, expected {expected_loss:.6g}: the cross-entropy "
                       "averaged over all examples (the last batch is smaller, so weight each batch by its size)")
    passed(name, 2, seed)


# --- extract_features --------------------------------------------------------------------------

def check_extract_features(extract_features, seed=None):
    """Check ``extract_features(backbone, loader, device) -> (features (N, D) float32 CPU, labels (N,))``."""
    name = "extract_features"
    rng, seed = fresh_rng(seed)
    with _torch_seed(rng):
        hidden = int(rng.integers(5, 9))
        backbone = _Backbone(channels=3, width=int(rng.integers(4, 7)), hidden=hidden, dropout=0.5)
        sizes = [8, 8, int(rng.integers(1, 8))]
        loader = _Loader(_batches(rng, sizes, _image_shape(rng), 4))
        backbone.train()
        reference_backbone = copy.deepcopy(backbone)
        result = call(name, extract_features, backbone, loader, CPU)
        _check_grad_mode_restored(name)
        if not (isinstance(result, tuple) and len(result) == 2):
            fail(name, "should return a tuple (features, labels)")
        features, labels = result
        if not isinstance(features, torch.Tensor) or not isinstance(labels, torch.Tensor):
            fail(name, f"features and labels should be tensors, got {type(features).__name__} and "
                       f"{type(labels).__name__}")
        num_examples = sum(sizes)
        if tuple(features.shape) != (num_examples, hidden):
            fail(name, f"features should have shape ({num_examples}, {hidden}) for {len(sizes)} batches of "
                       f"sizes {sizes}, got {tuple(features.shape)}")
        _check_moves(name, loader, ["images"])
        _check_forward_calls(name, backbone, training=False, what="feature extraction")
        if features.requires_grad or features.grad_fn is not None:
            fail(name, "the features are attached to a computation graph: extract them under torch.no_grad()")
        if features.dtype != torch.float32:
            fail(name, f"features should be float32, got {features.dtype} (convert with .float())")
        if features.device.type != "cpu" or labels.device.type != "cpu":
            fail(name, "features and labels should be returned on the CPU (.cpu())")
        expected_features, expected_labels = reference.extract_features(reference_backbone, loader.plain(), CPU)
        if tuple(labels.shape) != tuple(expected_labels.shape) or labels.dtype != torch.int64 \
                or not torch.equal(labels.as_subclass(torch.Tensor), expected_labels):
            fail(name, "labels should be the loader's labels, int64 of shape (N,), in the loader's order")
        if not torch.allclose(features.as_subclass(torch.Tensor), expected_features, rtol=1e-4, atol=1e-6):
            fail(name, "the features differ from the backbone's outputs in eval mode, batch by batch in "
                       "the loader's order")
        if any(p.grad is not None for p in backbone.parameters()):
            fail(name, "feature extraction left gradients in the backbone's parameters")
    passed(name, 2, seed)
