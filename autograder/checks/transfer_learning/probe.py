"""The trusted helper of 04 Transfer learning's hidden checks: builds PyTorch objects from plain
data, hands them to a student's function and reports what the function did, as plain data.

PyTorch models, loaders and optimizers cannot cross the grader's plain-data channel
(``autograder.sandbox.in_kernel.channel``), so the checks in ``autograder.checks.transfer_learning`` send a *scenario* (the
architecture and weights of a small model as arrays, batches as arrays, hyper-parameters) and this
module, running in the student's kernel, builds the instrumented objects, calls the student's
function on them and returns *observations*: parameter names and ``requires_grad`` flags,
parameter groups and their rates, state dicts as arrays, a record of every forward pass and every
``.to(...)`` of a batch, and the values returned. The grader builds the same objects from the same
scenario, runs the reference and compares. So nothing here knows the right answer: this module
holds no reference implementation and no verdict, only construction and observation, and it is
used unchanged in the grader (to build the objects for the reference) and in the tests.

Copied verbatim into every student's kernel as ``autograder/checks/transfer_learning/probe.py`` (see
``autograder.sandbox.site``): it must import nothing from ``autograder``.
"""
import contextlib
import io
from types import SimpleNamespace
from unittest import mock

import numpy as np
import torch
from torch import nn

DTYPES = {"float32": torch.float32, "float64": torch.float64}


# --- instrumented models, batches and loaders -----------------------------------------------------

class Recorder(nn.Module):
    """Base of the check models: records the state of torch at every forward pass."""

    def __init__(self):
        super().__init__()
        self.forward_calls = []

    def _record(self):
        self.forward_calls.append({"training": self.training, "grad": torch.is_grad_enabled(),
                                   "autocast": torch.is_autocast_enabled("cpu")})


class Classifier(Recorder):
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


class Backbone(Classifier):
    """A Classifier without its head: images (N, C, H, W) -> features (N, hidden)."""

    def __init__(self, channels, width, hidden, num_classes, dropout):
        super().__init__(channels, width, hidden, 2, dropout)
        del self.fc

    def forward(self, x):
        self._record()
        return self.neck(self.features(x))


class Mlp(Recorder):
    """A small MLP on vectors, head fc."""

    def __init__(self, dim, hidden, num_classes):
        super().__init__()
        self.hidden = nn.Sequential(nn.Linear(dim, hidden), nn.ReLU())
        self.fc = nn.Linear(hidden, num_classes)

    def forward(self, x):
        self._record()
        return self.fc(self.hidden(x))


ARCHITECTURES = {"classifier": Classifier, "backbone": Backbone, "mlp": Mlp}


class TrackedTensor(torch.Tensor):
    """A batch tensor that logs every .to(...) call made on it: [role, batch index, device type]."""

    def to(self, *args, **kwargs):
        log = getattr(self, "_move_log", None)
        if log is not None:
            device = torch._C._nn._parse_to(*args, **kwargs)[0]
            log.append([self._role, self._batch, None if device is None else torch.device(device).type])
        return super().to(*args, **kwargs).as_subclass(torch.Tensor)


def _tracked(tensor, role, batch, log):
    tracked = tensor.clone().as_subclass(TrackedTensor)
    tracked._role, tracked._batch, tracked._move_log = role, batch, log
    return tracked


class _Sized:
    def __init__(self, length):
        self.length = length

    def __len__(self):
        return self.length


class Loader:
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


# --- from plain data to objects ---------------------------------------------------------------------

def model_spec(architecture, sizes, model):
    """The plain description of ``model`` (built as ``ARCHITECTURES[architecture](**sizes)``):
    sizes, dtype, weights and buffers as arrays, requires_grad flags and mode."""
    return {"architecture": architecture, "sizes": dict(sizes),
            "dtype": str(next(model.parameters()).dtype).replace("torch.", ""),
            "state": state_arrays(model),
            "requires_grad": {key: p.requires_grad for key, p in model.named_parameters()},
            "training": model.training}


def build_model(spec):
    """The model that ``spec`` (see model_spec) describes, weights, flags and mode included."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        model = ARCHITECTURES[spec["architecture"]](**spec["sizes"]).to(DTYPES[spec["dtype"]])
    model.load_state_dict({key: torch.from_numpy(np.array(value)) for key, value in spec["state"].items()})
    for key, parameter in model.named_parameters():
        parameter.requires_grad_(bool(spec["requires_grad"][key]))
    return model.train(bool(spec["training"]))


def build_batches(batches):
    """[(images, labels) tensors] from [[images array, labels array], ...]."""
    return [(torch.from_numpy(np.array(images)), torch.from_numpy(np.array(labels))) for images, labels in batches]


def batch_arrays(batches):
    """The plain form of [(images, labels) tensors], for a scenario."""
    return [[images.numpy(), labels.numpy()] for images, labels in batches]


# --- from objects to plain data ---------------------------------------------------------------------

def tensor_array(tensor):
    """A numpy copy of a tensor (bfloat16 and other types numpy lacks become float32)."""
    tensor = tensor.detach().cpu()
    if tensor.dtype not in (torch.float16, torch.float32, torch.float64, torch.int64, torch.int32, torch.bool):
        tensor = tensor.float()
    return tensor.numpy().copy()


def state_arrays(model):
    """The model's state dict (parameters and buffers) as {name: array}."""
    return {key: tensor_array(value) for key, value in model.state_dict().items()}


def value_of(value):
    """What a returned value is: {"type", "float"} with the number when it is one (or a
    one-element tensor)."""
    number = None
    if isinstance(value, (int, float, np.number)) and not isinstance(value, bool):
        number = float(value)
    elif isinstance(value, torch.Tensor) and value.numel() == 1:
        number = float(value.detach().cpu().double().item())
    return {"type": type(value).__name__, "float": number}


def tensor_of(value):
    """What a returned tensor is: type, shape, dtype, device, graph and values."""
    if not isinstance(value, torch.Tensor):
        return {"type": type(value).__name__}
    return {"type": "Tensor", "shape": list(value.shape), "dtype": str(value.dtype).replace("torch.", ""),
            "device": value.device.type, "requires_grad": value.requires_grad,
            "grad_fn": value.grad_fn is not None, "values": tensor_array(value)}


def _restore_grad_mode():
    """Whether gradient recording was on after the student's call; turn it back on in any case."""
    enabled = torch.is_grad_enabled()
    torch.set_grad_enabled(True)
    return enabled


def _parameters_of(model, original):
    """[[name, requires_grad, still the original object]] for the parameters of ``model``."""
    return [[key, parameter.requires_grad, original.get(key) is parameter] for key, parameter in model.named_parameters()]


def _model_observation(model, result, original_head, original):
    return {"returned_model": result is model, "head_kept": getattr(model, "fc", None) is original_head,
            "parameters": _parameters_of(model, original), "state": state_arrays(model)}


# --- the exercises -----------------------------------------------------------------------------------

@contextlib.contextmanager
def simulated_cuda(available):
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


def _get_device(get_device, scenario):
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        if scenario["cuda"] is None:
            device = get_device()
        else:
            with simulated_cuda(scenario["cuda"]):
                device = get_device()
    return {"type": type(device).__name__, "device": device.type if isinstance(device, torch.device) else None,
            "printed": printed.getvalue()}


def _freeze_backbone(freeze_backbone, scenario):
    model = build_model(scenario["model"])
    head, original = model.fc, dict(model.named_parameters())
    result = freeze_backbone(model)
    return _model_observation(model, result, head, original)


def _replace_head(replace_head, scenario):
    model = build_model(scenario["model"])
    head, original = model.fc, dict(model.named_parameters())
    result = replace_head(model, scenario["num_classes"])
    observation = _model_observation(model, result, head, original)
    new_head = getattr(model, "fc", None)
    observation["head"] = {"type": type(new_head).__name__,
                           "bias": isinstance(new_head, nn.Linear) and new_head.bias is not None,
                           "parameters": [[key, str(p.dtype).replace("torch.", ""), p.requires_grad]
                                          for key, p in (new_head.named_parameters() if isinstance(new_head, nn.Module)
                                                         else [])]}
    model.eval()
    try:
        with torch.no_grad():
            scores = model(torch.from_numpy(np.array(scenario["images"])))
        observation["scores"] = {"shape": list(scores.shape)}
    except Exception as error:  # noqa: BLE001 - the new head is unusable; the grader says why
        observation["scores"] = {"error": f"{type(error).__name__}: {error}"}
    return observation


def _make_finetune_optimizer(make_finetune_optimizer, scenario):
    model = build_model(scenario["model"])
    result = make_finetune_optimizer(model, scenario["learning_rate"], **scenario["kwargs"])
    names = {id(p): key for key, p in model.named_parameters()}
    groups = []
    for group in getattr(result, "param_groups", []):
        groups.append({"params": [names.get(id(p), "a tensor that is not a parameter of the model")
                                  for p in group.get("params", [])],
                       **{key: value_of(group.get(key))["float"] for key in ("lr", "momentum", "weight_decay")}})
    return {"type": type(result).__name__, "sgd": isinstance(result, torch.optim.SGD), "groups": groups,
            "requires_grad": {key: p.requires_grad for key, p in model.named_parameters()}}


class RecordingSGD(torch.optim.SGD):
    """SGD that keeps a copy of the gradients it sees at every step in .seen."""

    def __init__(self, parameters, **kwargs):
        super().__init__(parameters, **kwargs)
        self.seen = []
        self.register_step_pre_hook(lambda optimizer, args, kwargs: optimizer.seen.append(
            [None if p.grad is None else tensor_array(p.grad) for group in optimizer.param_groups
             for p in group["params"]]))


def _train_one_epoch(train_one_epoch, scenario):
    model = build_model(scenario["model"])
    batches = build_batches(scenario["batches"])
    optimizer = RecordingSGD(model.parameters(), **scenario["optimizer"])
    returned, moves = [], []
    for _ in range(scenario["epochs"]):
        loader = Loader(batches)
        returned.append(value_of(train_one_epoch(model, loader, optimizer, torch.device("cpu"))))
        moves.append(loader.moves)
    return {"returned": returned, "moves": moves, "forward_calls": model.forward_calls, "seen": optimizer.seen,
            "state": state_arrays(model)}


def _pass_without_training(function, scenario, describe):
    """Call ``function(model, loader, cpu)`` (evaluate, extract_features) and observe the pair it
    returns (each item through ``describe``), the model's state and what happened on the way."""
    model = build_model(scenario["model"])
    loader = Loader(build_batches(scenario["batches"]))
    result = function(model, loader, torch.device("cpu"))
    pair = isinstance(result, tuple) and len(result) == 2
    return {"type": type(result).__name__, "pair": pair, "items": [describe(v) for v in result] if pair else [],
            "grad_enabled_after": _restore_grad_mode(), "moves": loader.moves, "forward_calls": model.forward_calls,
            "state": state_arrays(model), "grads_left": any(p.grad is not None for p in model.parameters())}


def _evaluate(evaluate, scenario):
    return _pass_without_training(evaluate, scenario, value_of)


def _extract_features(extract_features, scenario):
    return _pass_without_training(extract_features, scenario, tensor_of)


OBSERVERS = {"get_device": _get_device, "freeze_backbone": _freeze_backbone, "replace_head": _replace_head,
             "make_finetune_optimizer": _make_finetune_optimizer, "train_one_epoch": _train_one_epoch,
             "evaluate": _evaluate, "extract_features": _extract_features}


class Probe:
    """Calls a student's function on the objects a scenario describes; returns the observations.

    In the kernel the hidden test hands the grader a Probe of the student's function; the grader
    calls it, over the channel, once per scenario. The student's exceptions pass through unchanged.
    """

    def __init__(self, function):
        self.function = function

    def __call__(self, scenario):
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(int(scenario.get("seed", 0)))
            return OBSERVERS[scenario["exercise"]](self.function, scenario)
