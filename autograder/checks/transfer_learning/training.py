"""Hidden checks of 04 Transfer learning: one epoch of training."""
import numpy as np
import torch
import torch.nn.functional as F

from autograder.checks._common import call, fail, fresh_rng, log_uniform, passed
from autograder.checks.transfer_learning import probe
from autograder.checks.transfer_learning._shared import (
    ATOL,
    CPU,
    RTOL,
    assert_forward_calls,
    assert_moves,
    describe_model,
    image_shape,
    near,
    observed_number,
    observer_of,
    random_batches,
    random_classifier,
    torch_seed,
)
from autograder.reference import transfer_learning as reference


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
        a is not None and np.shape(a) == np.shape(e) and np.allclose(a, e, rtol=RTOL, atol=ATOL)
        for a, e in zip(actual, expected))


def _train_scenario(sizes, model, batches, optimizer, epochs=1, architecture="classifier"):
    return {"exercise": "train_one_epoch", "model": describe_model(sizes, model, architecture),
            "batches": probe.batch_arrays(batches), "optimizer": optimizer, "epochs": epochs}


def _check_gradients_per_batch(name, observer, rng):
    """With a zero learning rate the weights stay put, so the gradient at each step must be exactly
    that batch's own gradient: this catches gradients accumulated over batches."""
    sizes, model = random_classifier(rng)
    model.train()
    batches = random_batches(rng, [6, 6, 6], image_shape(rng), sizes["num_classes"])
    scenario = _train_scenario(sizes, model, batches, {"lr": 0.0})
    expected = _batch_gradients(probe.build_model(scenario["model"]), batches)
    seen = call(name, observer, scenario)
    assert_moves(name, seen["moves"][0], len(batches), ["images", "labels"])
    assert_forward_calls(name, seen["forward_calls"], training=True, what="training")
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
    observer = observer_of(train_one_epoch)
    with torch_seed(rng):
        _check_gradients_per_batch(name, observer, rng)

        # One epoch from eval mode (the function must switch to train mode), against the reference,
        # with a smaller last batch.
        sizes, model = random_classifier(rng)
        model.eval()
        batches = random_batches(rng, [8, 8, 8, 3], image_shape(rng), sizes["num_classes"])
        hyper = {"lr": log_uniform(rng, 0.01, 0.2), "momentum": float(rng.uniform(0.5, 0.9))}
        scenario = _train_scenario(sizes, model, batches, hyper)
        seen = call(name, observer, scenario)
        loss = observed_number(name, seen["returned"][0], "the returned loss")
        assert_moves(name, seen["moves"][0], len(batches), ["images", "labels"])
        assert_forward_calls(name, seen["forward_calls"], training=True, what="training")
        reference_model = probe.build_model(scenario["model"])
        expected_loss = reference.train_one_epoch(reference_model, batches,
                                                  torch.optim.SGD(reference_model.parameters(), **hyper), CPU)
        for key, expected in reference_model.named_parameters():
            if not np.allclose(seen["state"][key], expected.detach().numpy(), rtol=RTOL, atol=ATOL):
                fail(name, f"after one epoch the parameter {key} differs from the expected one: one "
                           "optimizer.step() per batch on the mean cross-entropy of that batch")
        if not near(loss, expected_loss):
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
        losses = [observed_number(name, value, "the returned loss") for value in seen["returned"]]
        if not losses[-1] < 0.5 * losses[0]:
            fail(name, f"on an easy separable problem the loss went from {losses[0]:.3f} to "
                       f"{losses[-1]:.3f} in 6 epochs: is the optimizer stepping on the right loss?")
    passed(name, 3, seed)
