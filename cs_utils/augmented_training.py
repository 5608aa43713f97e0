"""Training with data augmentation, and class probabilities for test-time averaging.

`AugmentedSolver` is the `cs_utils.solver.Solver` with one addition: every training minibatch
is passed through an augmentation function before the gradient step, so each epoch sees
freshly transformed copies of the training images. Accuracies are measured on the images
themselves, or on a fixed view of them (such as the centre crop) when the model takes crops.
"""

import numpy as np

from cs_utils.solver import Solver


class AugmentedSolver(Solver):
    """A Solver that transforms each training minibatch with ``augment(X_batch, rng)``.

    The augmentation draws from its own generator (seeded by ``augment_seed``), so a run
    with augmentation visits the minibatches in the same order as a run without it that
    uses the same ``seed``. When the augmentation changes the image size (random crops), give
    ``test_transform``, the fixed view of an image the model is evaluated on (e.g. its centre
    crop): it is applied to the training and validation images whenever accuracy is measured.

    Example:
        solver = AugmentedSolver(model, data, adam, augment=lambda X, rng: random_crop(X, rng, padding=1),
                                 num_epochs=20, seed=0, augment_seed=0)
        solver.train()
    """

    def __init__(self, model, data, update_rule, augment=None, augment_seed=None, test_transform=None,
                 **solver_kwargs):
        """Set up a training run; nothing is trained until train() is called.

        Inputs:
        - model, data, update_rule: as for cs_utils.solver.Solver
        - augment: callable (X_batch, rng) -> augmented batch, with X_batch (N, ...) from
          data["X_train"] and rng a numpy.random.Generator; it must return N inputs of the shape
          the model takes. None trains on the images as they are (plain Solver behaviour)
        - augment_seed: int or numpy.random.Generator for the augmentation's randomness
        - test_transform: callable X (N, ...) -> X (N, ...), deterministic, applied to the images
          before every accuracy measurement; None measures on the images as they are
        - solver_kwargs: every other keyword argument of Solver (optim_config, batch_size,
          num_epochs, seed, verbose, progress, ...)
        """
        for name, function in [("augment", augment), ("test_transform", test_transform)]:
            if function is not None and not callable(function):
                raise TypeError(f"{name} must be a function, got {function!r}")
        super().__init__(model, data, update_rule, **solver_kwargs)
        self.augment = augment
        self.augment_rng = np.random.default_rng(augment_seed)
        self.test_transform = test_transform

    def _step(self, X_batch, y_batch):
        """Augment the minibatch, then take the usual gradient step."""
        if self.augment is not None:
            augmented = self.augment(X_batch, self.augment_rng)
            if len(augmented) != len(X_batch):
                raise ValueError(f"augment returned {len(augmented)} inputs for a minibatch of {len(X_batch)}")
            X_batch = augmented
        super()._step(X_batch, y_batch)

    def check_accuracy(self, X, y, num_samples=None, batch_size=100):
        """Solver.check_accuracy on test_transform(X) (on X itself when there is none)."""
        if self.test_transform is not None:
            X = self.test_transform(X)
        return super().check_accuracy(X, y, num_samples=num_samples, batch_size=batch_size)


def softmax(scores):
    """Row-wise softmax, computed stably.

    Inputs:
    - scores: float array (N, K) of class scores

    Returns:
    - probabilities: float64 array (N, K), every row non-negative and summing to 1
    """
    shifted = np.asarray(scores, dtype=np.float64)
    shifted = shifted - shifted.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=1, keepdims=True)


def probability_function(model, batch_size=500):
    """Wrap a model's test-time scores as class probabilities.

    Inputs:
    - model: object with .loss(X) -> scores (N, K), e.g. cs_utils.fc_net.FullyConnectedNet
    - batch_size: int, images per forward pass (bounds the memory used)

    Returns:
    - predict_proba: callable X (N, ...) -> float64 array (N, K) of probabilities
    """
    def predict_proba(X):
        return np.concatenate([softmax(model.loss(X[start:start + batch_size]))
                               for start in range(0, len(X), batch_size)])

    return predict_proba


def accuracy(probabilities, y):
    """Fraction of rows whose most probable class is the label.

    Inputs:
    - probabilities: float array (N, K)
    - y: int array (N,)

    Returns:
    - float in [0, 1]
    """
    return float(np.mean(np.argmax(probabilities, axis=1) == y))
