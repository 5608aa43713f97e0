"""Hidden checks of 04 Transfer learning: the model's head (freezing the backbone, replacing the head)."""
import numpy as np
import torch

from autograder.checks._common import call, fail, fresh_rng, passed
from autograder.checks.transfer_learning import probe
from autograder.checks.transfer_learning._shared import (
    describe_model,
    image_shape,
    observer_of,
    random_classifier,
    same_array,
    torch_seed,
)
from autograder.reference import transfer_learning as reference


# --- freeze_backbone -----------------------------------------------------------------------------

def _check_parameters_kept(name, seen, keys, spec, what):
    """Fail unless the parameters ``keys`` of the model are still there (the same objects) with the
    same values; ``what`` says what the function should have done instead."""
    kept = {key: same for key, _, same in seen["parameters"]}
    for key in keys:
        if not kept.get(key, False):
            fail(name, f"the parameter {key} was replaced or removed: {what}")
        if not same_array(seen["state"].get(key), spec["state"][key]):
            fail(name, f"the values of {key} changed: {what}")


def check_freeze_backbone(freeze_backbone, seed=None):
    """Check ``freeze_backbone(model) -> model``: exactly the parameters of model.fc trainable."""
    name = "freeze_backbone"
    rng, seed = fresh_rng(seed)
    observer = observer_of(freeze_backbone)
    with torch_seed(rng):
        # A fresh model (everything trainable), then one with mixed flags and a frozen head.
        for case in ("fresh", "mixed"):
            sizes, model = random_classifier(rng)
            if case == "mixed":
                for parameter in model.parameters():
                    parameter.requires_grad_(bool(rng.integers(2)))
                model.fc.weight.requires_grad_(False)
            spec = describe_model(sizes, model)
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
    sizes, model = random_classifier(rng, num_classes=old_classes, dtype=dtype)
    if backbone_frozen:
        for parameter in model.parameters():
            parameter.requires_grad_(False)
    spec = describe_model(sizes, model)
    images = torch.randn((4, *image_shape(rng)), dtype=dtype).numpy()
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
    if same_array(seen["state"].get("fc.weight"), spec["state"]["fc.weight"]):
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
    observer = observer_of(replace_head)
    with torch_seed(rng):
        old_classes = int(rng.integers(3, 5))  # below the hidden width (5 to 8): in_features != out_features
        new_classes = old_classes + int(rng.choice([-1, 1, 2, 5]))
        _replace_head_case(name, observer, rng, torch.float32, new_classes, old_classes, backbone_frozen=True)
        # Same number of classes, a float64 model and a trainable backbone.
        _replace_head_case(name, observer, rng, torch.float64, old_classes, old_classes, backbone_frozen=False)
    passed(name, 2, seed)
