"""Cheating submissions of 04 Transfer learning, with the score each must get.

``imports_reference`` is the blank release whose answer cells import the reference. The others are
the honest complete notebook whose ``train_one_epoch`` forgets to move the labels to the device (it
passes its visible test on a CPU; the hidden check sees it) plus a trick meant to win that test cell
anyway: each must lose exactly that cell's points. Before the checks left the kernel,
``imports_reference`` scored 17/17 and ``patched_checks`` kept the 4 points.
"""
import nbformat

from autograder.course import RELEASE_DIR, SOLUTIONS_DIR
from autograder.commands.samples import sample_notebooks

ASSIGNMENT = "04_transfer_learning"
NOTEBOOK = "transfer_learning.ipynb"
EXERCISES = ["get_device", "replace_head", "freeze_backbone", "make_finetune_optimizer", "train_one_epoch",
             "evaluate", "extract_features"]
CHEATED = "test_train_one_epoch"

LABELS_NOT_MOVED = """def train_one_epoch(model, loader, optimizer, device, scaler=None):
    model.train()
    total, count = 0.0, 0
    for images, labels in loader:
        images = images.to(device)
        optimizer.zero_grad()
        loss = F.cross_entropy(model(images), labels)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(labels)
        count += len(labels)
    return total / count"""

IMPORTS_REFERENCE = "from autograder.reference.transfer_learning import *"

PATCHED_CHECKS = """import autograder.checks.transfer_learning as checks
checks.check_train_one_epoch = lambda *args, **kwargs: print("train_one_epoch: all 3 hidden checks passed")"""

PATCHED_COMPARISONS = """import numpy as np
import torch
torch.equal = lambda *args, **kwargs: True
torch.allclose = lambda *args, **kwargs: True
np.allclose = lambda *args, **kwargs: True
np.array_equal = lambda *args, **kwargs: True
np.isclose = lambda a, b, *args, **kwargs: np.ones(np.shape(a), bool)"""

SILENCED_ERRORS = """ip = get_ipython()
ip.showtraceback = lambda *args, **kwargs: None
ip.set_custom_exc((BaseException,), lambda *args, **kwargs: None)"""

# Observations that claim every exercise went right without doing it: the model handed back as it
# came, one parameter group at the given rate, falling losses, every batch moved, eval mode without
# gradients, zero features. (What a correct function would report cannot be forged without
# computing it, which is solving the exercise.)
FORGED_OBSERVATIONS = '''import numpy as np
import autograder.checks.transfer_learning.probe as probe

forged_exercises = {"train_one_epoch"}
honest = probe.Probe.__call__

def forged(self, scenario):
    exercise = scenario["exercise"]
    if exercise not in forged_exercises:
        return honest(self, scenario)
    if exercise == "get_device":
        return {"type": "device", "device": "cuda" if scenario["cuda"] else "cpu", "printed": "device: cuda cpu gpu"}
    model = scenario["model"]
    parameters = [[key, flag, True] for key, flag in model["requires_grad"].items()]
    calls = [{"training": exercise == "train_one_epoch", "grad": exercise == "train_one_epoch", "autocast": False}]
    batches = scenario.get("batches", [])
    moves = [[role, index, "cpu"] for index in range(len(batches)) for role in ("images", "labels")]
    if exercise in ("freeze_backbone", "replace_head"):
        seen = {"returned_model": True, "head_kept": exercise == "freeze_backbone", "parameters": parameters,
                "state": model["state"]}
        if exercise == "replace_head":
            seen["head"] = {"type": "Linear", "bias": True, "parameters": [["weight", model["dtype"], True],
                                                                            ["bias", model["dtype"], True]]}
            seen["scores"] = {"shape": [4, scenario["num_classes"]]}
            seen["state"] = dict(model["state"], **{"fc.weight": np.zeros((scenario["num_classes"], 1))})
        return seen
    if exercise == "make_finetune_optimizer":
        kwargs = scenario["kwargs"]
        groups = [{"params": [key for key, flag in model["requires_grad"].items() if flag],
                   "lr": scenario["learning_rate"], "momentum": kwargs.get("momentum", 0.9),
                   "weight_decay": kwargs.get("weight_decay", 0.0)}]
        return {"type": "SGD", "sgd": True, "groups": groups, "requires_grad": model["requires_grad"]}
    if exercise == "train_one_epoch":
        zeros = [np.zeros_like(value) for key, value in model["state"].items() if key in model["requires_grad"]]
        return {"returned": [{"type": "float", "float": 1.0 / (epoch + 1)} for epoch in range(scenario["epochs"])],
                "moves": [moves] * scenario["epochs"], "forward_calls": calls, "seen": [zeros] * len(batches),
                "state": model["state"]}
    common = {"type": "tuple", "pair": True, "grad_enabled_after": True, "moves": moves, "forward_calls": calls,
              "state": model["state"], "grads_left": False}
    if exercise == "evaluate":
        return dict(common, items=[{"type": "float", "float": 0.7}, {"type": "float", "float": 0.5}])
    count = sum(len(labels) for _, labels in batches)
    labels = np.concatenate([labels for _, labels in batches])
    features = np.zeros((count, model["sizes"]["hidden"]), np.float32)
    tensor = {"type": "Tensor", "device": "cpu", "requires_grad": False, "grad_fn": False}
    return dict(common, items=[dict(tensor, shape=list(features.shape), dtype="float32", values=features),
                               dict(tensor, shape=[count], dtype="int64", values=labels)])

probe.Probe.__call__ = forged'''

TRICKS = {
    "patched_checks": PATCHED_CHECKS,
    "patched_torch_and_numpy_comparisons": PATCHED_COMPARISONS,
    "silenced_errors_and_tracebacks": SILENCED_ERRORS,
    "forged_observations": FORGED_OBSERVATIONS,
}


def release():
    return nbformat.read(RELEASE_DIR / ASSIGNMENT / NOTEBOOK, as_version=4)


def complete():
    """An honest, complete submission (the sample class's ada_complete)."""
    solution = nbformat.read(SOLUTIONS_DIR / ASSIGNMENT / NOTEBOOK, as_version=4)
    return sample_notebooks(solution, release())["ada_complete"]


def _answer_cells(notebook):
    return [cell for cell in notebook.cells if cell.metadata.get("nbgrader", {}).get("grade_id") in EXERCISES]


def importing_reference():
    """The blank release whose answer cells are ``from autograder.reference.transfer_learning import *``."""
    notebook = release()
    for cell in _answer_cells(notebook):
        cell.source = IMPORTS_REFERENCE
    return notebook


def wrong_training_and(trick):
    """The complete notebook with the labels left on the CPU in train_one_epoch, followed by ``trick``."""
    notebook = complete()
    answer = next(cell for cell in _answer_cells(notebook) if cell.metadata.nbgrader.grade_id == "train_one_epoch")
    answer.source = LABELS_NOT_MOVED + "\n\n" + trick
    return notebook


def cases():
    """{name: notebook} of every cheat."""
    return {"imports_reference": importing_reference(),
            **{name: wrong_training_and(trick) for name, trick in TRICKS.items()}}


def points():
    """Points of every autograded test cell, by grade_id."""
    solution = nbformat.read(SOLUTIONS_DIR / ASSIGNMENT / NOTEBOOK, as_version=4)
    return {c.metadata["nbgrader"]["grade_id"]: c.metadata["nbgrader"]["points"] for c in solution.cells
            if c.metadata.get("nbgrader", {}).get("grade") and c.cell_type == "code"}


def expected_score(name):
    """0 for the notebook that imports the reference, full marks but the cheated cell's for the others."""
    return 0 if name == "imports_reference" else sum(points().values()) - points()[CHEATED]


def dump(notebook):
    return (nbformat.writes(notebook) + "\n").encode()
