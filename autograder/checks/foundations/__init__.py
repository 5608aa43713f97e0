"""Hidden checks of 00 Foundations, by topic: ``activations``, ``initialization``,
``preprocessing``, ``babysitting`` (update ratio, early stopping) and ``search`` (hyper-parameter
search). Hidden test cells import every check from here.

Dtype policy: the course's (``autograder.checks._common``). Every value is compared in float64, so
a right value in a wider float keeps its points; the initializations must return float64 weights,
as the contract says.
"""
from autograder.checks.foundations.activations import (
    check_elu,
    check_leaky_relu,
    check_maxout,
    check_prelu,
    check_sigmoid,
    check_tanh,
)
from autograder.checks.foundations.babysitting import check_early_stopping, check_update_ratio
from autograder.checks.foundations.initialization import check_he_init, check_xavier_init
from autograder.checks.foundations.preprocessing import check_preprocessing
from autograder.checks.foundations.search import (
    check_coarse_to_fine,
    check_grid_search,
    check_random_search,
    check_sample_log_uniform,
)

__all__ = [
    "check_coarse_to_fine",
    "check_early_stopping",
    "check_elu",
    "check_grid_search",
    "check_he_init",
    "check_leaky_relu",
    "check_maxout",
    "check_preprocessing",
    "check_prelu",
    "check_random_search",
    "check_sample_log_uniform",
    "check_sigmoid",
    "check_tanh",
    "check_update_ratio",
    "check_xavier_init",
]
