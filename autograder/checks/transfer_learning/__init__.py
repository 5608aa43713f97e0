"""Hidden checks of 04 Transfer learning (PyTorch), run in the grader like every other check.

The student's functions take PyTorch models, loaders and optimizers, which cannot cross the
grader's plain-data channel. So each check describes a scenario in plain data (a small model's
architecture and weights as arrays, batches as arrays, hyper-parameters) and hands it to the
trusted helper ``autograder.checks.transfer_learning.probe``, which in the student's kernel builds the
instrumented objects, calls the student's function and sends back plain observations. The check
builds the same objects here from the same scenario, runs the reference on them and compares.
What is observed, not assumed:

- the models record, at every forward pass, whether they were in train mode, whether gradients
  were being recorded and whether autocast was on;
- the batches a loader yields record every ``.to(...)`` call, so a batch that never moves to
  the device is seen even on a CPU-only machine, where that mistake would go unnoticed;
- the optimizer records the gradients it is handed at every step;
- the model's parameters (names, ``requires_grad``, identity) and state dict after the call.

Observations are only data: a forged one earns nothing unless it holds what a correct function
computes on inputs drawn from a fresh seed. torch's random state is saved and restored around
each check, so the notebook's own random sequence does not depend on whether the checks ran.

Dtype policy (shared with the NumPy checks, see ``autograder.checks._common``): in NumPy a right
value can come back in a wider float dtype through the promotion rules alone, which is a slip and
keeps its points with a note. PyTorch has no such silent promotion (a float32 tensor stays float32
with Python and NumPy scalars), so here a dtype other than the contract's is an explicit conversion
that breaks the next layer (a float32 layer refuses float64 inputs): it fails, and the message names
the tensor and its dtype.
"""
import contextlib
import math

import numpy as np
import torch
import torch.nn.functional as F

from autograder.checks.transfer_learning import probe
from autograder.checks._common import call, fail, fresh_rng, passed
from autograder.reference import transfer_learning as reference
from autograder.sandbox.in_kernel.channel import Proxy

CPU = torch.device("cpu")


# --- scenarios -------------------------------------------------------------------------------------

def warm_up():
    """Pay PyTorch's one-time costs (its optimizers import the compiler stack on first use) before a
    check has to: the grading process calls this once when it starts."""
    probe.RecordingSGD(probe.Mlp(2, 2, 2).parameters(), lr=0.0)


def _observer(function):
    """The student's function as a check reaches it: while grading, a proxy of the kernel's
    ``probe.Probe``; in the tests, a local function, probed here."""
    return function if isinstance(function, Proxy) else probe.Probe(function)


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
    """(sizes, model): a probe.Classifier with random sizes from torch's current RNG."""
    sizes = {"channels": 3, "width": int(rng.integers(4, 7)), "hidden": int(rng.integers(5, 9)),
             "num_classes": num_classes or int(rng.integers(3, 7)), "dropout": dropout}
    return sizes, probe.Classifier(**sizes).to(dtype)


def _spec(sizes, model, architecture="classifier"):
    return probe.model_spec(architecture, sizes, model)


def _image_shape(rng):
    size = int(rng.integers(5, 8))
    return (3, size, size)


def _close(actual, expected, rtol=1e-4, atol=1e-6):
    return abs(float(actual) - float(expected)) <= atol + rtol * abs(float(expected))


def _check_number(name, value, what):
    """value: an observation {"type", "float"} of something the student returned."""
    if value["type"] == "Tensor":
        fail(name, f"{what} should be a Python float (use .item()), not a tensor: a tensor kept across "
                   "batches also keeps every batch's computation graph in memory")
    if value["type"] not in ("float", "int", "float64", "float32") or value["float"] is None:
        fail(name, f"{what} should be a Python float, got {value['type']}")
    if not math.isfinite(value["float"]):
        fail(name, f"{what} is not finite: {value['float']}")
    return value["float"]


def _check_forward_calls(name, calls, training, what):
    """Fail unless every recorded forward pass ran in the expected mode, without autocast on the CPU,
    and (when not training) without recording gradients."""
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


def _check_moves(name, moves, num_batches, roles, device=CPU):
    """Fail unless every batch's tensors with the given roles were moved to device with .to(...)."""
    for role in roles:
        moved = {batch for moved_role, batch, target in moves if moved_role == role and target == device.type}
        if len(moved) < num_batches:
            fail(name, f"the {role} of {num_batches - len(moved)} of {num_batches} batches were not moved to "
                       f"`device` (call {role}.to(device)): on a GPU the model and its inputs must be on "
                       "the same device")


def _check_grad_mode_restored(name, seen):
    if not seen["grad_enabled_after"]:
        fail(name, "gradient recording is still off after the call: use `with torch.no_grad():` (which "
                   "restores it) rather than torch.set_grad_enabled(False)")


def _same_array(actual, expected):
    actual, expected = np.asarray(actual), np.asarray(expected)
    return actual.shape == expected.shape and actual.dtype == expected.dtype and np.array_equal(actual, expected)


# --- get_device ----------------------------------------------------------------------------------

def _device_case(name, observer, simulated):
    """simulated: True / False (CUDA simulated present / absent) or None (this machine as it is)."""
    available = torch.cuda.is_available() if simulated is None else simulated
    where = "on this machine" if simulated is None else f"when CUDA is {'available' if available else 'not available'}"
    try:
        seen = observer({"exercise": "get_device", "cuda": simulated})
    except NotImplementedError:
        fail(name, "not implemented yet (the function raised NotImplementedError)")
    except Exception as error:  # noqa: BLE001 - any student exception is a failed check
        fail(name, f"{where}{' (simulated)' if simulated is not None else ''} the function raised "
                   f"{getattr(error, 'type_name', type(error).__name__)}: {error}")
    if seen["device"] is None:
        fail(name, f"should return a torch.device (e.g. torch.device('cuda')), got {seen['type']}")
    expected = "cuda" if available else "cpu"
    if seen["device"] != expected:
        fail(name, f"{where} it returned {seen['device']}, expected the {expected.upper()}: check "
                   "torch.cuda.is_available() instead of fixing the device")
    text = str(seen["printed"])
    words = ("cuda", "gpu") if available else ("cpu",)
    if not any(word in text.lower() for word in words):
        fail(name, f"{where} it should print which device it chose (the text should mention "
                   f"{' or '.join(repr(w) for w in words)}); it printed {text.strip()!r}")


def check_get_device(get_device, seed=None):
    """Check ``get_device() -> torch.device``: CUDA when available, else the CPU, and printed."""
    name = "get_device"
    _, seed = fresh_rng(seed)
    observer = _observer(get_device)
    for simulated in (True, False, None):
        _device_case(name, observer, simulated)
    passed(name, 3, seed)


# --- freeze_backbone -----------------------------------------------------------------------------

def _check_parameters_kept(name, seen, keys, spec, what):
    """Fail unless the parameters ``keys`` of the model are still there (the same objects) with the
    same values; ``what`` says what the function should have done instead."""
    kept = {key: same for key, _, same in seen["parameters"]}
    for key in keys:
        if not kept.get(key, False):
            fail(name, f"the parameter {key} was replaced or removed: {what}")
        if not _same_array(seen["state"].get(key), spec["state"][key]):
            fail(name, f"the values of {key} changed: {what}")


def check_freeze_backbone(freeze_backbone, seed=None):
    """Check ``freeze_backbone(model) -> model``: exactly the parameters of model.fc trainable."""
    name = "freeze_backbone"
    rng, seed = fresh_rng(seed)
    observer = _observer(freeze_backbone)
    with _torch_seed(rng):
        # A fresh model (everything trainable), then one with mixed flags and a frozen head.
        for case in ("fresh", "mixed"):
            sizes, model = _classifier(rng)
            if case == "mixed":
                for parameter in model.parameters():
                    parameter.requires_grad_(bool(rng.integers(2)))
                model.fc.weight.requires_grad_(False)
            spec = _spec(sizes, model)
            seen = call(name, observer, {"exercise": "freeze_backbone", "model": spec})
            if not seen["returned_model"]:
                fail(name, "should return the model it was given (modified in place)")
            if not seen["head_kept"]:
                fail(name, "model.fc was replaced: freezing should keep the head and only change requires_grad")
            expected = dict(reference.freeze_backbone(probe.build_model(spec)).named_parameters())
            for key, requires_grad, _ in seen["parameters"]:
                is_head = key.startswith("fc.")
                if key in expected and requires_grad != expected[key].requires_grad:
                    if is_head:
                        fail(name, f"the head parameter {key} is frozen: the head must stay trainable "
                                   "(requires_grad=True), even if it was frozen before")
                    fail(name, f"the backbone parameter {key} is still trainable: freeze every parameter outside "
                               "model.fc (requires_grad=False), batch-norm scales and shifts included")
            _check_parameters_kept(name, seen, spec["requires_grad"], spec,
                                   "freezing only changes requires_grad, never the weights")
    passed(name, 2, seed)


# --- replace_head --------------------------------------------------------------------------------

def _replace_head_case(name, observer, rng, dtype, num_classes, old_classes, backbone_frozen):
    sizes, model = _classifier(rng, num_classes=old_classes, dtype=dtype)
    if backbone_frozen:
        for parameter in model.parameters():
            parameter.requires_grad_(False)
    spec = _spec(sizes, model)
    images = torch.randn((4, *_image_shape(rng)), dtype=dtype).numpy()
    seen = call(name, observer, {"exercise": "replace_head", "model": spec, "num_classes": num_classes,
                                 "images": images, "seed": int(rng.integers(2**31))})
    if not seen["returned_model"]:
        fail(name, "should return the model it was given (modified in place)")
    if seen["head_kept"]:
        fail(name, f"model.fc is still the old head (num_classes={num_classes}, the old head had {old_classes} "
                   "outputs): always create a new, freshly initialized head")
    head = seen["head"]
    wanted = str(dtype).replace("torch.", "")
    wrong_dtype = [key for key, parameter_dtype, _ in head["parameters"] if parameter_dtype != wanted]
    if head["type"] != "Linear":
        fail(name, f"model.fc should be an nn.Linear, got {head['type']}")
    if not head["bias"]:
        fail(name, "the new head has no bias: create nn.Linear(in_features, num_classes), whose bias is on by "
                   "default, like the old head's")
    in_features = spec["sizes"]["hidden"]
    weight_shape = np.shape(seen["state"].get("fc.weight"))
    if len(weight_shape) == 2 and weight_shape[1] != in_features:
        fail(name, f"fc.weight has shape {weight_shape}, expected {(num_classes, in_features)}: the new head takes "
                   f"the old head's in_features ({in_features}) as its input size")
    if len(weight_shape) == 2 and weight_shape[0] != num_classes:
        fail(name, f"with num_classes={num_classes} the new head has {weight_shape[0]} outputs: the head needs "
                   "one output per class")
    if "error" in seen["scores"]:
        if wrong_dtype:
            fail(name, f"a forward pass failed because the new head's {wrong_dtype[0]} is "
                       f"{dict((k, d) for k, d, _ in head['parameters'])[wrong_dtype[0]]} in a {wanted} model: "
                       "create the head with the dtype (and device) of the old one")
        fail(name, f"a forward pass through the model with the new head failed ({seen['scores']['error']}); "
                   "create the head with the old head's in_features, dtype and device")
    if seen["scores"]["shape"] != [4, num_classes]:
        fail(name, f"with num_classes={num_classes} the model outputs scores of shape "
                   f"{tuple(seen['scores']['shape'])}, expected (4, {num_classes}): the head needs one output per class")
    if any(not requires_grad for _, _, requires_grad in head["parameters"]):
        fail(name, "the new head is not trainable: its parameters need requires_grad=True")
    if wrong_dtype:
        fail(name, f"the new head's {wrong_dtype[0]} is not {wanted} like the rest of the model: "
                   "create the head with the dtype (and device) of the old one")
    if _same_array(seen["state"].get("fc.weight"), spec["state"]["fc.weight"]):
        fail(name, "the new head has the old head's weights: it should be freshly initialized")
    _check_parameters_kept(name, seen, [key for key in spec["requires_grad"] if not key.startswith("fc.")], spec,
                           "only swap model.fc")
    flags = {key: requires_grad for key, requires_grad, _ in seen["parameters"]}
    for key, requires_grad in spec["requires_grad"].items():
        if not key.startswith("fc.") and flags[key] != requires_grad:
            fail(name, f"the requires_grad flag of the backbone parameter {key} changed from {requires_grad}: "
                       "replace_head should only swap the head and leave the backbone as it was")


def check_replace_head(replace_head, seed=None):
    """Check ``replace_head(model, num_classes) -> model``: a fresh trainable head with num_classes outputs."""
    name = "replace_head"
    rng, seed = fresh_rng(seed)
    observer = _observer(replace_head)
    with _torch_seed(rng):
        old_classes = int(rng.integers(3, 5))  # below the hidden width (5 to 8): in_features != out_features
        new_classes = old_classes + int(rng.choice([-1, 1, 2, 5]))
        _replace_head_case(name, observer, rng, torch.float32, new_classes, old_classes, backbone_frozen=True)
        # Same number of classes, a float64 model and a trainable backbone.
        _replace_head_case(name, observer, rng, torch.float64, old_classes, old_classes, backbone_frozen=False)
    passed(name, 2, seed)


# --- make_finetune_optimizer -------------------------------------------------------------------

def _log_uniform(rng, low, high):
    return float(math.exp(rng.uniform(math.log(low), math.log(high))))


def _optimizer_case(name, observer, rng, frozen, kwargs, description):
    """frozen: "none", "lowest" (the first conv and batch norm) or "backbone" (everything but fc)."""
    sizes, model = _classifier(rng)
    if frozen == "lowest":
        for parameter in list(model.features[0].parameters()) + list(model.features[1].parameters()):
            parameter.requires_grad_(False)
    elif frozen == "backbone":
        for key, parameter in model.named_parameters():
            parameter.requires_grad_(key.startswith("fc."))
    spec = _spec(sizes, model)
    flags = spec["requires_grad"]
    learning_rate = _log_uniform(rng, 1e-3, 1e-1)
    factor = kwargs.get("backbone_lr_factor", 0.1)
    momentum = kwargs.get("momentum", 0.9)
    weight_decay = kwargs.get("weight_decay", 0.0)
    seen = call(name, observer, {"exercise": "make_finetune_optimizer", "model": spec,
                                 "learning_rate": learning_rate, "kwargs": kwargs})
    if not seen["sgd"]:
        fail(name, f"should return a torch.optim.SGD optimizer, got {seen['type']}")
    if seen["requires_grad"] != flags:
        fail(name, "the requires_grad flags of the model changed: build the optimizer, leave the model as it is")
    group_of = {}
    for group in seen["groups"]:
        for key in group["params"]:
            if key not in flags:
                fail(name, f"the optimizer holds {key}: give it the model's own parameters")
            group_of[key] = group
    setting = f"({description}, learning_rate={learning_rate:.4g})"
    for key, requires_grad in flags.items():
        if not requires_grad and key in group_of:
            fail(name, f"the frozen parameter {key} is in the optimizer {setting}: leave out every "
                       "parameter with requires_grad=False")
        if requires_grad and key not in group_of:
            fail(name, f"the trainable parameter {key} is missing from the optimizer {setting}")
    trainable = [(key, key.startswith("fc.")) for key, requires_grad in flags.items() if requires_grad]
    rates = {key: group_of[key]["lr"] for key, _ in trainable}
    if any(rate is None for rate in rates.values()):
        fail(name, f"a parameter group has no numeric learning rate {setting}")
    head_rates = [rates[key] for key, is_head in trainable if is_head]
    backbone_rates = [rates[key] for key, is_head in trainable if not is_head]
    if head_rates and backbone_rates and all(_close(r, learning_rate * factor, 1e-9, 0.0) for r in head_rates) \
            and all(_close(r, learning_rate, 1e-9, 0.0) for r in backbone_rates):
        fail(name, f"the head has learning rate {learning_rate * factor:.4g} and the pretrained layers "
                   f"{learning_rate:.4g} {setting}: the two rates are swapped")
    for key, is_head in trainable:
        rate = rates[key]
        if is_head and not _close(rate, learning_rate, 1e-9, 0.0):
            fail(name, f"the head parameter {key} has learning rate {rate:.4g}, expected the base learning "
                       f"rate {learning_rate:.4g} {setting}")
        if not is_head and not _close(rate, learning_rate * factor, 1e-9, 0.0):
            if _close(rate, learning_rate, 1e-9, 0.0):
                hint = "the same learning rate everywhere? The pretrained layers should move more slowly"
            elif _close(rate, learning_rate * 0.1, 1e-9, 0.0):
                hint = "is backbone_lr_factor ignored (a fixed 0.1)?"
            elif _close(rate, learning_rate / factor, 1e-9, 0.0):
                hint = "that is learning_rate / backbone_lr_factor: multiply, the factor is below 1"
            else:
                hint = "use learning_rate * backbone_lr_factor"
            fail(name, f"the pretrained (backbone) parameter {key} has learning rate {rate:.4g}, expected "
                       f"{learning_rate * factor:.4g} {setting}: {hint}")
        group = group_of[key]
        if group["momentum"] is None or not _close(group["momentum"], momentum, rtol=1e-9, atol=0.0):
            fail(name, f"the group of {key} has momentum {group['momentum']}, expected {momentum:.4g} {setting}")
        if group["weight_decay"] is None or not _close(group["weight_decay"], weight_decay, rtol=1e-9, atol=0.0):
            fail(name, f"the group of {key} has weight_decay {group['weight_decay']}, expected "
                       f"{weight_decay:.4g} {setting}")


def check_make_finetune_optimizer(make_finetune_optimizer, seed=None):
    """Check ``make_finetune_optimizer(model, learning_rate, backbone_lr_factor=0.1, momentum=0.9,
    weight_decay=0.0) -> torch.optim.SGD`` with parameter groups."""
    name = "make_finetune_optimizer"
    rng, seed = fresh_rng(seed)
    observer = _observer(make_finetune_optimizer)
    with _torch_seed(rng):
        kwargs = {"backbone_lr_factor": float(rng.uniform(0.02, 0.5)), "momentum": float(rng.uniform(0.5, 0.95)),
                  "weight_decay": _log_uniform(rng, 1e-5, 1e-3)}
        text = ", ".join(f"{key}={value:.4g}" for key, value in kwargs.items())
        _optimizer_case(name, observer, rng, "lowest", kwargs, f"lowest layers frozen, {text}")
        _optimizer_case(name, observer, rng, "none", {},
                        "nothing frozen, default backbone_lr_factor=0.1, momentum=0.9, weight_decay=0")
        _optimizer_case(name, observer, rng, "backbone", kwargs, f"whole backbone frozen, {text}")
    passed(name, 3, seed)


# --- train_one_epoch ---------------------------------------------------------------------------

def _batch_gradients(model, batches):
    """The gradient of each batch's mean cross-entropy at the model's current weights."""
    gradients = []
    for images, labels in batches:
        model.zero_grad()
        F.cross_entropy(model(images), labels).backward()
        gradients.append([p.grad.detach().numpy().copy() for p in model.parameters()])
    return gradients


def _grads_close(actual, expected):
    return len(actual) == len(expected) and all(
        a is not None and np.shape(a) == np.shape(e) and np.allclose(a, e, rtol=1e-4, atol=1e-6)
        for a, e in zip(actual, expected))


def _train_scenario(sizes, model, batches, optimizer, epochs=1, architecture="classifier"):
    return {"exercise": "train_one_epoch", "model": _spec(sizes, model, architecture),
            "batches": probe.batch_arrays(batches), "optimizer": optimizer, "epochs": epochs}


def _check_gradients_per_batch(name, observer, rng):
    """With a zero learning rate the weights stay put, so the gradient at each step must be exactly
    that batch's own gradient: this catches gradients accumulated over batches."""
    sizes, model = _classifier(rng)
    model.train()
    batches = _batches(rng, [6, 6, 6], _image_shape(rng), sizes["num_classes"])
    scenario = _train_scenario(sizes, model, batches, {"lr": 0.0})
    expected = _batch_gradients(probe.build_model(scenario["model"]), batches)
    seen = call(name, observer, scenario)
    _check_moves(name, seen["moves"][0], len(batches), ["images", "labels"])
    _check_forward_calls(name, seen["forward_calls"], training=True, what="training")
    if len(seen["seen"]) != len(batches):
        fail(name, f"optimizer.step() was called {len(seen['seen'])} times for {len(batches)} batches: "
                   "take one step per batch")
    for step, (grads, wanted) in enumerate(zip(seen["seen"], expected), start=1):
        if _grads_close(grads, wanted):
            continue
        accumulated = [sum(grads_of_batch) for grads_of_batch in zip(*expected[:step])]
        if step > 1 and _grads_close(grads, accumulated):
            fail(name, f"at step {step} the gradient is the sum of the gradients of batches 1..{step}: "
                       "call optimizer.zero_grad() before each backward pass")
        if all(g is None or not np.any(g) for g in grads):
            fail(name, f"at step {step} the optimizer saw no gradient: call loss.backward() before "
                       "optimizer.step()")
        fail(name, f"the gradient at step {step} is not the gradient of batch {step}'s mean cross-entropy loss "
                   "(F.cross_entropy(model(images), labels), on the raw scores: the loss applies the softmax)")


def check_train_one_epoch(train_one_epoch, seed=None):
    """Check ``train_one_epoch(model, loader, optimizer, device, scaler=None) -> float`` (mean loss)."""
    name = "train_one_epoch"
    rng, seed = fresh_rng(seed)
    observer = _observer(train_one_epoch)
    with _torch_seed(rng):
        _check_gradients_per_batch(name, observer, rng)

        # One epoch from eval mode (the function must switch to train mode), against the reference,
        # with a smaller last batch.
        sizes, model = _classifier(rng)
        model.eval()
        batches = _batches(rng, [8, 8, 8, 3], _image_shape(rng), sizes["num_classes"])
        hyper = {"lr": _log_uniform(rng, 0.01, 0.2), "momentum": float(rng.uniform(0.5, 0.9))}
        scenario = _train_scenario(sizes, model, batches, hyper)
        seen = call(name, observer, scenario)
        loss = _check_number(name, seen["returned"][0], "the returned loss")
        _check_moves(name, seen["moves"][0], len(batches), ["images", "labels"])
        _check_forward_calls(name, seen["forward_calls"], training=True, what="training")
        reference_model = probe.build_model(scenario["model"])
        expected_loss = reference.train_one_epoch(reference_model, batches,
                                                  torch.optim.SGD(reference_model.parameters(), **hyper), CPU)
        for key, expected in reference_model.named_parameters():
            if not np.allclose(seen["state"][key], expected.detach().numpy(), rtol=1e-4, atol=1e-6):
                fail(name, f"after one epoch the parameter {key} differs from the expected one: one "
                           "optimizer.step() per batch on the mean cross-entropy of that batch")
        if not _close(loss, expected_loss):
            fail(name, f"returned {loss:.6g}, expected the epoch's average loss {expected_loss:.6g}: the mean over "
                       "the examples of each batch's loss, measured before its step (the last batch is smaller, "
                       "so weight each batch by its size)")

        # A tiny separable problem: a few epochs must drive the loss well down.
        centers = torch.randn(3, 4) * 4
        labels = torch.arange(3).repeat(16)
        points = centers[labels] + 0.3 * torch.randn(len(labels), 4)
        order = torch.randperm(len(labels))
        batches = [(points[order[i:i + 12]], labels[order[i:i + 12]]) for i in range(0, len(labels), 12)]
        sizes = {"dim": 4, "hidden": 8, "num_classes": 3}
        seen = call(name, observer, _train_scenario(sizes, probe.Mlp(**sizes), batches, {"lr": 0.1, "momentum": 0.9},
                                                    epochs=6, architecture="mlp"))
        losses = [_check_number(name, value, "the returned loss") for value in seen["returned"]]
        if not losses[-1] < 0.5 * losses[0]:
            fail(name, f"on an easy separable problem the loss went from {losses[0]:.3f} to "
                       f"{losses[-1]:.3f} in 6 epochs: is the optimizer stepping on the right loss?")
    passed(name, 3, seed)


# --- evaluate -----------------------------------------------------------------------------------

def _labels_with_accuracy_pattern(model, batches, rng):
    """Relabel batches so that the first ones are half right and the last one is all right for the
    model in eval mode: then per-example and per-batch averages of the accuracy differ."""
    num_classes = model.fc.out_features
    was_training = model.training
    model.eval()
    relabelled = []
    for index, (images, labels) in enumerate(batches):
        with torch.no_grad():
            predictions = model(images).argmax(dim=1)
        wrong = (predictions + 1 + torch.from_numpy(rng.integers(0, num_classes - 1, len(labels)))) % num_classes
        right = torch.ones(len(labels), dtype=torch.bool) if index == len(batches) - 1 \
            else torch.arange(len(labels)) % 2 == 0
        relabelled.append((images, torch.where(right, predictions, wrong)))
    model.train(was_training)
    return relabelled


def check_evaluate(evaluate, seed=None):
    """Check ``evaluate(model, loader, device) -> (mean loss, accuracy)``."""
    name = "evaluate"
    rng, seed = fresh_rng(seed)
    observer = _observer(evaluate)
    with _torch_seed(rng):
        sizes, model = _classifier(rng, dropout=0.5)
        batches = _batches(rng, [10, 10, 3], _image_shape(rng), sizes["num_classes"])
        # Give batch norm running statistics that differ from any batch's own statistics.
        model.train()
        with torch.no_grad():
            model(3.0 * torch.randn_like(batches[0][0]) + 1.0)
        batches = _labels_with_accuracy_pattern(model, batches, rng)
        spec = _spec(sizes, model)
        seen = call(name, observer, {"exercise": "evaluate", "model": spec, "batches": probe.batch_arrays(batches)})
        _check_grad_mode_restored(name, seen)
        if not seen["pair"]:
            fail(name, f"should return a tuple (mean_loss, accuracy), got {seen['type']}")
        loss = _check_number(name, seen["items"][0], "the mean loss")
        accuracy = _check_number(name, seen["items"][1], "the accuracy")
        _check_moves(name, seen["moves"], len(batches), ["images", "labels"])
        _check_forward_calls(name, seen["forward_calls"], training=False, what="evaluation")
        for key, value in spec["state"].items():
            if not _same_array(seen["state"].get(key), value):
                fail(name, f"evaluation changed the model ({key}): it must only read it")
        if seen["grads_left"]:
            fail(name, "evaluation left gradients in the parameters: no backward pass at evaluation")
        reference_model = probe.build_model(spec)
        expected_loss, expected_accuracy = reference.evaluate(reference_model, batches, CPU)
        if expected_accuracy > 0 and _close(loss, expected_accuracy, 1e-9, 1e-9) and _close(accuracy, expected_loss):
            fail(name, "the loss and the accuracy are swapped: return (mean_loss, accuracy)")
        if not 0.0 <= accuracy <= 1.0:
            percent = " (a percentage? return the fraction)" if _close(accuracy, 100 * expected_accuracy, 1e-9) else ""
            fail(name, f"the accuracy {accuracy} should be a fraction in [0, 1] (correct / examples), not a "
                       f"count{percent}")
        if not _close(accuracy, expected_accuracy, rtol=1e-9, atol=1e-9):
            with torch.no_grad():
                batch_accuracies = [(reference_model(images).argmax(dim=1) == labels).float().mean().item()
                                    for images, labels in batches]
            hint = (" (that is the mean of the per-batch accuracies: count the correct examples over all "
                    "batches, the last batch is smaller)"
                    if _close(accuracy, sum(batch_accuracies) / len(batch_accuracies), 1e-6, 1e-9) else "")
            fail(name, f"returned accuracy {accuracy:.6g}, expected {expected_accuracy:.6g}{hint}")
        if not _close(loss, expected_loss):
            fail(name, f"returned mean loss {loss:.6g}, expected {expected_loss:.6g}: the cross-entropy "
                       "averaged over all examples (the last batch is smaller, so weight each batch by its size)")
    passed(name, 2, seed)


# --- extract_features --------------------------------------------------------------------------

def check_extract_features(extract_features, seed=None):
    """Check ``extract_features(backbone, loader, device) -> (features (N, D) float32 CPU, labels (N,))``."""
    name = "extract_features"
    rng, seed = fresh_rng(seed)
    observer = _observer(extract_features)
    with _torch_seed(rng):
        sizes = {"channels": 3, "width": int(rng.integers(4, 7)), "hidden": int(rng.integers(5, 9)),
                 "num_classes": 2, "dropout": 0.5}
        backbone = probe.Backbone(**sizes).train()
        batch_sizes = [8, 8, int(rng.integers(1, 8))]
        batches = _batches(rng, batch_sizes, _image_shape(rng), 4)
        spec = _spec(sizes, backbone, "backbone")
        seen = call(name, observer, {"exercise": "extract_features", "model": spec,
                                     "batches": probe.batch_arrays(batches)})
        _check_grad_mode_restored(name, seen)
        if not seen["pair"]:
            fail(name, f"should return a tuple (features, labels), got {seen['type']}")
        features, labels = seen["items"]
        if features["type"] != "Tensor" or labels["type"] != "Tensor":
            fail(name, f"features and labels should be tensors, got {features['type']} and {labels['type']} "
                       "(join the batches with torch.cat)")
        num_examples = sum(batch_sizes)
        if tuple(features["shape"]) != (num_examples, sizes["hidden"]):
            fail(name, f"features should have shape ({num_examples}, {sizes['hidden']}) for {len(batch_sizes)} "
                       f"batches of sizes {batch_sizes}, got {tuple(features['shape'])}")
        _check_moves(name, seen["moves"], len(batches), ["images"])
        _check_forward_calls(name, seen["forward_calls"], training=False, what="feature extraction")
        if features["requires_grad"] or features["grad_fn"]:
            fail(name, "the features are attached to a computation graph: extract them under torch.no_grad()")
        if features["dtype"] != "float32":
            fail(name, f"the features came back {features['dtype']}, the contract is float32 (convert with "
                       ".float()): a float32 classifier trained on them refuses other dtypes")
        if features["device"] != "cpu" or labels["device"] != "cpu":
            fail(name, "features and labels should be returned on the CPU (.cpu())")
        expected_features, expected_labels = reference.extract_features(probe.build_model(spec), batches, CPU)
        if tuple(labels["shape"]) != tuple(expected_labels.shape) or labels["dtype"] != "int64" \
                or not np.array_equal(labels["values"], expected_labels.numpy()):
            fail(name, "labels should be the loader's labels, int64 of shape (N,), in the loader's order")
        if not np.allclose(features["values"], expected_features.numpy(), rtol=1e-4, atol=1e-6):
            fail(name, "the features differ from the backbone's outputs in eval mode, batch by batch in "
                       "the loader's order")
        if seen["grads_left"]:
            fail(name, "feature extraction left gradients in the backbone's parameters")
    passed(name, 2, seed)
