"""Minibatch training loop for classification models, with pluggable update rules."""

import copy

import numpy as np
from tqdm.auto import tqdm


class Solver:
    """Trains a model with minibatch gradient descent and records its progress.

    The model needs a dict .params of arrays and .loss(X, y=None) returning scores
    (N, C) when y is None, else (loss, grads) with grads keyed like params. update_rule
    is any function next_w, next_config = update_rule(w, dw, config) (such as the ones
    written in the 01 Optimizers notebook); every parameter gets its own deep copy of
    optim_config, so state like a velocity is never shared between parameters.

    Each epoch visits the training set once in a fresh random order. Accuracies are
    measured before training and after each epoch, so train_acc_history[e] and
    val_acc_history[e] hold the accuracies after e epochs (num_epochs + 1 entries).
    At the end of train() the model holds the parameters with the best validation
    accuracy.

    Example:
        solver = Solver(model, data, sgd_momentum, optim_config={"learning_rate": 1e-2},
                        lr_decay=0.95, num_epochs=10, batch_size=100, seed=0)
        solver.train()
        plt.plot(solver.loss_history)
    """

    def __init__(self, model, data, update_rule, optim_config=None, lr_decay=1.0, lr_schedule=None,
                 batch_size=100, num_epochs=10, num_train_samples=1000, num_val_samples=None,
                 print_every=100, verbose=True, progress=True, seed=None):
        """Set up a training run; nothing is trained until train() is called.

        Inputs:
        - model: object with .params (dict of arrays) and .loss(X, y=None)
        - data: dict with "X_train" (N, ...), "y_train" (N,) int, "X_val" (N_val, ...),
          "y_val" (N_val,) int, as returned by cs_utils.data.load_dataset
        - update_rule: callable (w, dw, config) -> (next_w, config)
        - optim_config: dict of hyperparameters for update_rule, e.g. {"learning_rate": 1e-3};
          None for the rule's defaults
        - lr_decay: float, config["learning_rate"] is multiplied by it after each epoch
        - lr_schedule: callable epoch (int, from 0) -> learning rate of that epoch; when
          given it sets config["learning_rate"] before each epoch and lr_decay is ignored
        - batch_size: int, examples per gradient step
        - num_epochs: int, passes over the training set per call of train()
        - num_train_samples: int, training examples used to estimate the training
          accuracy after each epoch (None: all)
        - num_val_samples: int, validation examples used for the validation accuracy
          (None: all)
        - print_every: int, with verbose, print the loss every this many iterations
        - verbose: bool, print the loss and the accuracies while training
        - progress: bool, show a progress bar over the iterations
        - seed: int or numpy.random.Generator for the shuffling and the subsampling
        """
        if not callable(update_rule):
            raise TypeError(f"update_rule must be a function (w, dw, config) -> (next_w, config), "
                            f"got {update_rule!r}")
        if lr_schedule is not None and not callable(lr_schedule):
            raise TypeError(f"lr_schedule must be a function epoch -> learning rate, got {lr_schedule!r}")
        self.model = model
        self.X_train, self.y_train = data["X_train"], data["y_train"]
        self.X_val, self.y_val = data["X_val"], data["y_val"]
        self.update_rule = update_rule
        self.optim_config = {} if optim_config is None else optim_config
        self.lr_decay = lr_decay
        self.lr_schedule = lr_schedule
        self.batch_size = batch_size
        self.num_epochs = num_epochs
        self.num_train_samples = num_train_samples
        self.num_val_samples = num_val_samples
        self.print_every = print_every
        self.verbose = verbose
        self.progress = progress
        self.rng = np.random.default_rng(seed)
        self._reset()

    def _reset(self):
        """Clear the histories and give every parameter a fresh copy of optim_config."""
        self.epoch = 0
        self.best_val_acc = -1.0
        self.best_params = {}
        self.loss_history = []
        self.train_acc_history = []
        self.val_acc_history = []
        self.lr_history = []
        self.optim_configs = {name: copy.deepcopy(self.optim_config) for name in self.model.params}

    def _step(self, X_batch, y_batch):
        """One gradient step on a minibatch; records the loss."""
        loss, grads = self.model.loss(X_batch, y_batch)
        self.loss_history.append(float(loss))
        for name, w in self.model.params.items():
            next_w, next_config = self.update_rule(w, grads[name], self.optim_configs[name])
            self.model.params[name] = next_w
            self.optim_configs[name] = next_config

    def check_accuracy(self, X, y, num_samples=None, batch_size=100):
        """Classification accuracy of the model on (a random subset of) the given data.

        Inputs:
        - X: float array (N, ...) of inputs
        - y: int array (N,) of labels
        - num_samples: int, evaluate on this many random examples (None: all N)
        - batch_size: int, examples per forward pass (bounds the memory used)

        Returns:
        - float in [0, 1], the fraction of examples whose highest score is the label
        """
        if num_samples is not None and len(X) > num_samples:
            subset = self.rng.choice(len(X), num_samples, replace=False)
            X, y = X[subset], y[subset]
        predictions = [np.argmax(self.model.loss(X[start:start + batch_size]), axis=1)
                       for start in range(0, len(X), batch_size)]
        return float(np.mean(np.concatenate(predictions) == y))

    def _record_accuracies(self):
        """Measure train/val accuracy and keep a copy of the parameters if val improved."""
        train_acc = self.check_accuracy(self.X_train, self.y_train, self.num_train_samples)
        val_acc = self.check_accuracy(self.X_val, self.y_val, self.num_val_samples)
        self.train_acc_history.append(train_acc)
        self.val_acc_history.append(val_acc)
        if val_acc > self.best_val_acc:
            self.best_val_acc = val_acc
            self.best_params = {name: value.copy() for name, value in self.model.params.items()}
        return train_acc, val_acc

    def _learning_rate(self):
        """Learning rate in the configs (the same for every parameter), or None if unset."""
        config = next(iter(self.optim_configs.values()), {})
        return config.get("learning_rate")

    def _log(self, message):
        if self.verbose:
            tqdm.write(message)  # prints above the progress bar instead of breaking it

    def train(self):
        """Run num_epochs epochs of minibatch updates, then load the best parameters into the model."""
        num_train = len(self.X_train)
        batches_per_epoch = -(-num_train // self.batch_size)
        total = self.num_epochs * batches_per_epoch
        last_iteration = len(self.loss_history) + total
        last_epoch = self.epoch + self.num_epochs
        if not self.val_acc_history:
            train_acc, val_acc = self._record_accuracies()
            self._log(f"(Epoch 0 / {last_epoch}) train acc: {train_acc:.3f}; val acc: {val_acc:.3f}")

        with tqdm(total=total, disable=not self.progress, desc="training", unit="it") as bar:
            for _ in range(self.num_epochs):
                if self.lr_schedule is not None:
                    for config in self.optim_configs.values():
                        config["learning_rate"] = float(self.lr_schedule(self.epoch))
                order = self.rng.permutation(num_train)
                for start in range(0, num_train, self.batch_size):
                    batch = order[start:start + self.batch_size]
                    self._step(self.X_train[batch], self.y_train[batch])
                    bar.update()
                    iteration = len(self.loss_history)
                    if iteration % self.print_every == 0:
                        self._log(f"(Iteration {iteration} / {last_iteration}) loss: {self.loss_history[-1]:.4f}")

                self.lr_history.append(self._learning_rate())
                self.epoch += 1
                if self.lr_schedule is None:
                    for config in self.optim_configs.values():
                        if "learning_rate" in config:
                            config["learning_rate"] *= self.lr_decay
                train_acc, val_acc = self._record_accuracies()
                bar.set_postfix(loss=f"{self.loss_history[-1]:.3f}", train_acc=f"{train_acc:.3f}",
                                val_acc=f"{val_acc:.3f}")
                self._log(f"(Epoch {self.epoch} / {last_epoch}) "
                          f"train acc: {train_acc:.3f}; val acc: {val_acc:.3f}")

        self.model.params.update({name: value.copy() for name, value in self.best_params.items()})
