"""Hidden checks of 01 Optimizers, by topic: ``update_rules`` (SGD to Adam, over several steps with
the state carried in config), ``schedules`` (learning-rate schedules) and ``second_order``
(Newton's step, the L-BFGS direction). Hidden test cells import every check from here."""
from autograder.checks.optimizers.schedules import (
    check_cosine_annealing_warm_restarts,
    check_exponential_decay,
    check_inverse_time_decay,
    check_step_decay,
)
from autograder.checks.optimizers.second_order import check_lbfgs_direction, check_newton_step
from autograder.checks.optimizers.update_rules import (
    check_adagrad,
    check_adam,
    check_nesterov_momentum,
    check_rmsprop,
    check_sgd,
    check_sgd_momentum,
)

__all__ = [
    "check_adagrad",
    "check_adam",
    "check_cosine_annealing_warm_restarts",
    "check_exponential_decay",
    "check_inverse_time_decay",
    "check_lbfgs_direction",
    "check_newton_step",
    "check_nesterov_momentum",
    "check_rmsprop",
    "check_sgd",
    "check_sgd_momentum",
    "check_step_decay",
]
