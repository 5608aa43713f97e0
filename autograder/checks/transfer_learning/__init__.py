"""Hidden checks of 04 Transfer learning (PyTorch), run in the grader like every other check; by
topic: ``device``, ``head`` (freezing the backbone, replacing the head), ``finetune_optimizer``,
``training`` and ``evaluation`` (evaluation, feature extraction), with what they share in
``_shared``. Hidden test cells import every check from here.

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
from autograder.checks.transfer_learning import probe
from autograder.checks.transfer_learning.device import check_get_device
from autograder.checks.transfer_learning.evaluation import check_evaluate, check_extract_features
from autograder.checks.transfer_learning.finetune_optimizer import check_make_finetune_optimizer
from autograder.checks.transfer_learning.head import check_freeze_backbone, check_replace_head
from autograder.checks.transfer_learning.training import check_train_one_epoch

__all__ = [
    "check_evaluate",
    "check_extract_features",
    "check_freeze_backbone",
    "check_get_device",
    "check_make_finetune_optimizer",
    "check_replace_head",
    "check_train_one_epoch",
    "warm_up",
]


def warm_up():
    """Pay PyTorch's one-time costs (its optimizers import the compiler stack on first use) before a
    check has to: the grading process calls this once when it starts."""
    probe.RecordingSGD(probe.Mlp(2, 2, 2).parameters(), lr=0.0)
