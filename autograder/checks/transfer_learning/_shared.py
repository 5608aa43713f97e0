"""What the hidden checks of 04 Transfer learning share: scenarios in plain data built from a fresh
seed, and the observations every exercise is judged on (forward-pass modes, batches moved to the
device, numbers returned)."""
import contextlib
import math

import numpy as np
import torch

from autograder.checks._common import fail
from autograder.checks.transfer_learning import probe
from autograder.sandbox.in_kernel.channel import Proxy

CPU = torch.device("cpu")
# Tolerances of values PyTorch computes in float32, where the order of the operations may differ.
RTOL, ATOL = 1e-4, 1e-6


def observer_of(function):
    """The student's function as a check reaches it: while grading, a proxy of the kernel's
    ``probe.Probe``; in the tests, a local function, probed here."""
    return function if isinstance(function, Proxy) else probe.Probe(function)


@contextlib.contextmanager
def torch_seed(rng):
    """Run the body with torch's RNG seeded from rng, restoring torch's random state afterwards."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(rng.integers(2**31)))
        yield


def random_batches(rng, sizes, shape, num_classes, dtype=torch.float32):
    """Random batches: [(images (size, *shape), labels (size,) int64), ...]."""
    generator = torch.Generator().manual_seed(int(rng.integers(2**31)))
    return [(torch.randn((size, *shape), generator=generator, dtype=dtype),
             torch.randint(0, num_classes, (size,), generator=generator)) for size in sizes]


def random_classifier(rng, num_classes=None, dropout=0.0, dtype=torch.float32):
    """(sizes, model): a probe.Classifier with random sizes from torch's current RNG."""
    sizes = {"channels": 3, "width": int(rng.integers(4, 7)), "hidden": int(rng.integers(5, 9)),
             "num_classes": num_classes or int(rng.integers(3, 7)), "dropout": dropout}
    return sizes, probe.Classifier(**sizes).to(dtype)


def describe_model(sizes, model, architecture="classifier"):
    return probe.model_spec(architecture, sizes, model)


def image_shape(rng):
    size = int(rng.integers(5, 8))
    return (3, size, size)


def near(actual, expected, rtol=RTOL, atol=ATOL):
    return abs(float(actual) - float(expected)) <= atol + rtol * abs(float(expected))


def observed_number(name, value, what):
    """value: an observation {"type", "float"} of something the student returned."""
    if value["type"] == "Tensor":
        fail(name, f"{what} should be a Python float (use .item()), not a tensor: a tensor kept across "
                   "batches also keeps every batch's computation graph in memory")
    if value["type"] not in ("float", "int", "float64", "float32") or value["float"] is None:
        fail(name, f"{what} should be a Python float, got {value['type']}")
    if not math.isfinite(value["float"]):
        fail(name, f"{what} is not finite: {value['float']}")
    return value["float"]


def assert_forward_calls(name, calls, training, what):
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


def assert_moves(name, moves, num_batches, roles, device=CPU):
    """Fail unless every batch's tensors with the given roles were moved to device with .to(...)."""
    for role in roles:
        moved = {batch for moved_role, batch, target in moves if moved_role == role and target == device.type}
        if len(moved) < num_batches:
            fail(name, f"the {role} of {num_batches - len(moved)} of {num_batches} batches were not moved to "
                       f"`device` (call {role}.to(device)): on a GPU the model and its inputs must be on "
                       "the same device")


def assert_grad_mode_restored(name, seen):
    if not seen["grad_enabled_after"]:
        fail(name, "gradient recording is still off after the call: use `with torch.no_grad():` (which "
                   "restores it) rather than torch.set_grad_enabled(False)")


def same_array(actual, expected):
    actual, expected = np.asarray(actual), np.asarray(expected)
    return actual.shape == expected.shape and actual.dtype == expected.dtype and np.array_equal(actual, expected)
