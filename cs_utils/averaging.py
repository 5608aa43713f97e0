"""What ensembles of one training run need: class probabilities, snapshots and a Polyak average.

AveragingSolver is cs_utils.solver.Solver plus two recorders: copies of the parameters at chosen
epochs (the members of a snapshot ensemble) and a moving average of the parameters updated after
every step by a given function (Polyak averaging).
"""

import numpy as np

from cs_utils.solver import Solver


def softmax(scores):
    """Row-wise softmax of class scores.

    Inputs:
    - scores: float array (N, C)

    Returns:
    - probabilities: float array (N, C), each row non-negative and summing to 1
    """
    shifted = scores - scores.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=1, keepdims=True)


def predict_proba(model, X, params=None, batch_size=500):
    """Class probabilities of a model at test time, optionally with other parameters.

    The given params are loaded into model.params for the forward passes and the model's own
    parameters are put back afterwards, so a snapshot or an average can be evaluated without
    building a second model.

    Inputs:
    - model: object with .params (dict of arrays) and .loss(X) -> scores (N, C)
    - X: float array (N, ...) of inputs
    - params: dict with the keys of model.params, or None for the model's current parameters
    - batch_size: int, examples per forward pass

    Returns:
    - probabilities: float array (N, C)
    """
    saved = dict(model.params)
    if params is not None:
        model.params.update(params)
    try:
        scores = np.concatenate([model.loss(X[start:start + batch_size])
                                 for start in range(0, len(X), batch_size)])
    finally:
        model.params.clear()
        model.params.update(saved)
    return softmax(scores)


def accuracy(probabilities, y):
    """Fraction of rows whose most probable class is the label.

    Inputs:
    - probabilities: float array (N, C) (or scores: only the argmax matters)
    - y: int array (N,)

    Returns:
    - float in [0, 1]
    """
    return float(np.mean(np.argmax(probabilities, axis=1) == y))


def _copy_params(params):
    return {name: value.copy() for name, value in params.items()}


class AveragingSolver(Solver):
    """A Solver that also records parameter snapshots and a Polyak average while it trains.

    Besides the arguments of Solver it takes:
    - snapshot_epochs: sequence of int, numbers of completed epochs after which a copy of the
      parameters is appended to self.snapshots (e.g. the ends of the cycles of a cyclic
      learning-rate schedule)
    - polyak_update: callable (w_avg or None, w, decay) -> new w_avg, called for every parameter
      after every step (None: no average)
    - polyak_decay: float, the decay handed to polyak_update

    After train():
    - self.snapshots: list of parameter dicts, in the order of self.snapshot_epochs_taken
    - self.polyak_params: dict of averaged parameters (empty without polyak_update)
    - self.polyak_val_acc_history: validation accuracy of the averaged parameters after each
      epoch (one entry per epoch; empty without polyak_update); val_acc_history[1:] holds
      the accuracies of the raw parameters at the same moments
    - self.last_params: the parameters after the last epoch (train() then loads the best ones
      into the model, as Solver does)
    """

    def __init__(self, model, data, update_rule, snapshot_epochs=(), polyak_update=None, polyak_decay=0.99,
                 **solver_kwargs):
        """Inputs: see the class docstring; solver_kwargs go to Solver unchanged."""
        self.snapshot_epochs = sorted(set(int(epoch) for epoch in snapshot_epochs))
        self.polyak_update = polyak_update
        self.polyak_decay = polyak_decay
        super().__init__(model, data, update_rule, **solver_kwargs)

    def _reset(self):
        super()._reset()
        self.snapshots = []
        self.snapshot_epochs_taken = []
        self.polyak_params = {}
        self.polyak_val_acc_history = []
        self.last_params = _copy_params(self.model.params)

    def _step(self, X_batch, y_batch):
        super()._step(X_batch, y_batch)
        if self.polyak_update is not None:
            self.polyak_params = {name: self.polyak_update(self.polyak_params.get(name), w, self.polyak_decay)
                                  for name, w in self.model.params.items()}

    def _record_accuracies(self):
        # Called before training and after every epoch, before train() loads the best parameters.
        self.last_params = _copy_params(self.model.params)
        if self.epoch in self.snapshot_epochs:
            self.snapshots.append(_copy_params(self.model.params))
            self.snapshot_epochs_taken.append(self.epoch)
        if self.polyak_params:
            probabilities = predict_proba(self.model, self.X_val, self.polyak_params)
            self.polyak_val_acc_history.append(accuracy(probabilities, self.y_val))
        return super()._record_accuracies()
