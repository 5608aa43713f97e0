"""Hidden checks of 04 Transfer learning: evaluation and feature extraction (eval mode, no gradients)."""
import numpy as np
import torch

from autograder.checks._common import call, fail, fresh_rng, passed
from autograder.checks.transfer_learning import probe
from autograder.checks.transfer_learning._shared import (
    ATOL,
    CPU,
    RTOL,
    assert_forward_calls,
    assert_grad_mode_restored,
    assert_moves,
    describe_model,
    image_shape,
    near,
    observed_number,
    observer_of,
    random_batches,
    random_classifier,
    same_array,
    torch_seed,
)
from autograder.reference import transfer_learning as reference


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
    observer = observer_of(evaluate)
    with torch_seed(rng):
        sizes, model = random_classifier(rng, dropout=0.5)
        batches = random_batches(rng, [10, 10, 3], image_shape(rng), sizes["num_classes"])
        # Give batch norm running statistics that differ from any batch's own statistics.
        model.train()
        with torch.no_grad():
            model(3.0 * torch.randn_like(batches[0][0]) + 1.0)
        batches = _labels_with_accuracy_pattern(model, batches, rng)
        spec = describe_model(sizes, model)
        seen = call(name, observer, {"exercise": "evaluate", "model": spec, "batches": probe.batch_arrays(batches)})
        assert_grad_mode_restored(name, seen)
        if not seen["pair"]:
            fail(name, f"should return a tuple (mean_loss, accuracy), got {seen['type']}")
        loss = observed_number(name, seen["items"][0], "the mean loss")
        accuracy = observed_number(name, seen["items"][1], "the accuracy")
        assert_moves(name, seen["moves"], len(batches), ["images", "labels"])
        assert_forward_calls(name, seen["forward_calls"], training=False, what="evaluation")
        for key, value in spec["state"].items():
            if not same_array(seen["state"].get(key), value):
                fail(name, f"evaluation changed the model ({key}): it must only read it")
        if seen["grads_left"]:
            fail(name, "evaluation left gradients in the parameters: no backward pass at evaluation")
        reference_model = probe.build_model(spec)
        expected_loss, expected_accuracy = reference.evaluate(reference_model, batches, CPU)
        if expected_accuracy > 0 and near(loss, expected_accuracy, 1e-9, 1e-9) and near(accuracy, expected_loss):
            fail(name, "the loss and the accuracy are swapped: return (mean_loss, accuracy)")
        if not 0.0 <= accuracy <= 1.0:
            percent = " (a percentage? return the fraction)" if near(accuracy, 100 * expected_accuracy, 1e-9) else ""
            fail(name, f"the accuracy {accuracy} should be a fraction in [0, 1] (correct / examples), not a "
                       f"count{percent}")
        if not near(accuracy, expected_accuracy, rtol=1e-9, atol=1e-9):
            with torch.no_grad():
                batch_accuracies = [(reference_model(images).argmax(dim=1) == labels).float().mean().item()
                                    for images, labels in batches]
            hint = (" (that is the mean of the per-batch accuracies: count the correct examples over all "
                    "batches, the last batch is smaller)"
                    if near(accuracy, sum(batch_accuracies) / len(batch_accuracies), 1e-6, 1e-9) else "")
            fail(name, f"returned accuracy {accuracy:.6g}, expected {expected_accuracy:.6g}{hint}")
        if not near(loss, expected_loss):
            fail(name, f"returned mean loss {loss:.6g}, expected {expected_loss:.6g}: the cross-entropy "
                       "averaged over all examples (the last batch is smaller, so weight each batch by its size)")
    passed(name, 2, seed)


# --- extract_features --------------------------------------------------------------------------

def check_extract_features(extract_features, seed=None):
    """Check ``extract_features(backbone, loader, device) -> (features (N, D) float32 CPU, labels (N,))``."""
    name = "extract_features"
    rng, seed = fresh_rng(seed)
    observer = observer_of(extract_features)
    with torch_seed(rng):
        sizes = {"channels": 3, "width": int(rng.integers(4, 7)), "hidden": int(rng.integers(5, 9)),
                 "num_classes": 2, "dropout": 0.5}
        backbone = probe.Backbone(**sizes).train()
        batch_sizes = [8, 8, int(rng.integers(1, 8))]
        batches = random_batches(rng, batch_sizes, image_shape(rng), 4)
        spec = describe_model(sizes, backbone, "backbone")
        seen = call(name, observer, {"exercise": "extract_features", "model": spec,
                                     "batches": probe.batch_arrays(batches)})
        assert_grad_mode_restored(name, seen)
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
        assert_moves(name, seen["moves"], len(batches), ["images"])
        assert_forward_calls(name, seen["forward_calls"], training=False, what="feature extraction")
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
        if not np.allclose(features["values"], expected_features.numpy(), rtol=RTOL, atol=ATOL):
            fail(name, "the features differ from the backbone's outputs in eval mode, batch by batch in "
                       "the loader's order")
        if seen["grads_left"]:
            fail(name, "feature extraction left gradients in the backbone's parameters")
    passed(name, 2, seed)
