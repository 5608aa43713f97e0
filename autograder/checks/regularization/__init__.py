"""Hidden checks of 02 Regularization, by topic: ``penalties``, ``dropout`` (vanilla and inverted),
``dropconnect``, ``batchnorm``, ``stochastic_depth`` and ``averaging`` (Polyak averaging, ensembles,
snapshots). Hidden test cells import every check from here.

Randomness cannot be compared draw by draw: a student may draw masks with any generator, in any
order. So the checks on random layers are statistical where they must be (the keep rate over a
large tensor, fresh masks per call and per example) and exact where they can be: zeros exactly
where units were dropped, kept units scaled by exactly 1/p, test mode deterministic, and each
backward pass exact given the cache of the student's own forward pass. The mask a forward pass
used is read off its output (x has no zero entries, so a dropped unit is exactly zero), which
accepts every way of storing it in the cache. Keep probabilities are drawn away from 0.5, so that
mixing up the keep and the drop probability always shows.

Dtype policy (``autograder.checks._common``): a result for float32 inputs that comes back float64
with the right values keeps its points; the feedback names the value and the float64 array in the
cache that promoted it, if there is one.
"""
from autograder.checks.regularization.averaging import (
    check_ensemble_predict,
    check_polyak_update,
    check_snapshot_epochs,
)
from autograder.checks.regularization.batchnorm import (
    check_batchnorm_backward,
    check_batchnorm_backward_alt,
    check_batchnorm_forward,
)
from autograder.checks.regularization.dropconnect import check_dropconnect_backward, check_dropconnect_forward
from autograder.checks.regularization.dropout import (
    check_dropout_backward,
    check_dropout_forward,
    check_vanilla_dropout_backward,
    check_vanilla_dropout_forward,
)
from autograder.checks.regularization.penalties import check_elastic_net_penalty, check_l1_penalty, check_l2_penalty
from autograder.checks.regularization.stochastic_depth import (
    check_stochastic_depth_backward,
    check_stochastic_depth_forward,
)

__all__ = [
    "check_batchnorm_backward",
    "check_batchnorm_backward_alt",
    "check_batchnorm_forward",
    "check_dropconnect_backward",
    "check_dropconnect_forward",
    "check_dropout_backward",
    "check_dropout_forward",
    "check_elastic_net_penalty",
    "check_ensemble_predict",
    "check_l1_penalty",
    "check_l2_penalty",
    "check_polyak_update",
    "check_snapshot_epochs",
    "check_stochastic_depth_backward",
    "check_stochastic_depth_forward",
    "check_vanilla_dropout_backward",
    "check_vanilla_dropout_forward",
]
