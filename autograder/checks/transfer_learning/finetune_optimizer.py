"""Hidden checks of 04 Transfer learning: the fine-tuning optimizer and its parameter groups."""
from autograder.checks._common import call, fail, fresh_rng, log_uniform, passed
from autograder.checks.transfer_learning._shared import (
    describe_model,
    near,
    observer_of,
    random_classifier,
    torch_seed,
)

# The optimizer holds the hyper-parameters it was given, so they may differ only by rounding.
RATE_RTOL = 1e-9


def _optimizer_case(name, observer, rng, frozen, kwargs, description):
    """frozen: "none", "lowest" (the first conv and batch norm) or "backbone" (everything but fc)."""
    sizes, model = random_classifier(rng)
    if frozen == "lowest":
        for parameter in list(model.features[0].parameters()) + list(model.features[1].parameters()):
            parameter.requires_grad_(False)
    elif frozen == "backbone":
        for key, parameter in model.named_parameters():
            parameter.requires_grad_(key.startswith("fc."))
    spec = describe_model(sizes, model)
    flags = spec["requires_grad"]
    learning_rate = log_uniform(rng, 1e-3, 1e-1)
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
    if head_rates and backbone_rates and all(near(r, learning_rate * factor, RATE_RTOL, 0.0) for r in head_rates) \
            and all(near(r, learning_rate, RATE_RTOL, 0.0) for r in backbone_rates):
        fail(name, f"the head has learning rate {learning_rate * factor:.4g} and the pretrained layers "
                   f"{learning_rate:.4g} {setting}: the two rates are swapped")
    for key, is_head in trainable:
        rate = rates[key]
        if is_head and not near(rate, learning_rate, RATE_RTOL, 0.0):
            fail(name, f"the head parameter {key} has learning rate {rate!r}, expected the base learning "
                       f"rate {learning_rate!r} {setting}")
        if not is_head and not near(rate, learning_rate * factor, RATE_RTOL, 0.0):
            if near(rate, learning_rate, RATE_RTOL, 0.0):
                hint = "the same learning rate everywhere? The pretrained layers should move more slowly"
            elif near(rate, learning_rate * 0.1, RATE_RTOL, 0.0):
                hint = "is backbone_lr_factor ignored (a fixed 0.1)?"
            elif near(rate, learning_rate / factor, RATE_RTOL, 0.0):
                hint = "that is learning_rate / backbone_lr_factor: multiply, the factor is below 1"
            else:
                hint = "use learning_rate * backbone_lr_factor"
            fail(name, f"the pretrained (backbone) parameter {key} has learning rate {rate!r}, expected "
                       f"{learning_rate * factor!r} {setting}: {hint}")
        group = group_of[key]
        if group["momentum"] is None or not near(group["momentum"], momentum, rtol=RATE_RTOL, atol=0.0):
            fail(name, f"the group of {key} has momentum {group['momentum']}, expected {momentum:.4g} {setting}")
        if group["weight_decay"] is None or not near(group["weight_decay"], weight_decay, rtol=RATE_RTOL, atol=0.0):
            fail(name, f"the group of {key} has weight_decay {group['weight_decay']}, expected "
                       f"{weight_decay:.4g} {setting}")


def check_make_finetune_optimizer(make_finetune_optimizer, seed=None):
    """Check ``make_finetune_optimizer(model, learning_rate, backbone_lr_factor=0.1, momentum=0.9,
    weight_decay=0.0) -> torch.optim.SGD`` with parameter groups."""
    name = "make_finetune_optimizer"
    rng, seed = fresh_rng(seed)
    observer = observer_of(make_finetune_optimizer)
    with torch_seed(rng):
        kwargs = {"backbone_lr_factor": float(rng.uniform(0.02, 0.5)), "momentum": float(rng.uniform(0.5, 0.95)),
                  "weight_decay": log_uniform(rng, 1e-5, 1e-3)}
        text = ", ".join(f"{key}={value:.4g}" for key, value in kwargs.items())
        _optimizer_case(name, observer, rng, "lowest", kwargs, f"lowest layers frozen, {text}")
        _optimizer_case(name, observer, rng, "none", {},
                        "nothing frozen, default backbone_lr_factor=0.1, momentum=0.9, weight_decay=0")
        _optimizer_case(name, observer, rng, "backbone", kwargs, f"whole backbone frozen, {text}")
    passed(name, 3, seed)
