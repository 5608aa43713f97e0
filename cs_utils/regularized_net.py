"""A fully connected net that trains with regularizing layers passed in as functions.

The net itself only knows affine layers, ReLUs and the softmax loss. Dropout, DropConnect, batch
normalization and weight penalties are functions handed to the constructor, so a notebook can
train the net with the layers it has just implemented and see what each one does.
"""

import numpy as np

from cs_utils.layers import affine_backward, affine_forward, relu_backward, relu_forward, softmax_loss

# Seeds handed to the random layers are drawn below this bound (the legacy np.random.seed limit).
_SEED_BOUND = 2**32


class RegularizedNet:
    """Fully connected net: {affine - [batchnorm] - relu - [dropout]} x (L - 1) - affine - softmax.

    Every hidden layer uses the same optional pieces, each given as functions:
    - penalty(w) -> (loss, grad): added for every weight matrix W1 ... WL (not biases, gamma, beta)
    - dropout = (forward, backward) with forward(x, dropout_param) -> (out, cache) and
      backward(dout, cache) -> dx; dropout_param holds "p" (keep probability), "mode", "seed"
    - dropconnect = (forward, backward) with forward(x, w, b, param) -> (out, cache) and
      backward(dout, cache) -> (dx, dw, db); replaces the affine layer of every hidden layer
    - batchnorm = (forward, backward) with forward(x, gamma, beta, bn_param) -> (out, cache) and
      backward(dout, cache) -> (dx, dgamma, dbeta); adds gamma{i} and beta{i} to params and
      keeps one bn_param per layer in self.bn_params (running statistics included)

    loss(X, y) trains (mode "train"); loss(X) predicts (mode "test"), as cs_utils.solver.Solver
    expects. Each call of a random layer gets a fresh seed drawn from the net's own generator,
    so a run is reproducible from the net's seed.
    """

    def __init__(self, hidden_dims, input_dim, num_classes=10, weight_scale=1e-2, penalty=None,
                 dropout=None, keep_prob=0.5, dropconnect=None, dropconnect_keep_prob=0.5,
                 batchnorm=None, dtype=np.float64, seed=None):
        """Initialize weights from N(0, weight_scale^2), biases and beta at 0, gamma at 1.

        Inputs:
        - hidden_dims: sequence of int, the size of each hidden layer
        - input_dim: int D, the size of one flattened input
        - num_classes: int C
        - weight_scale: float, standard deviation of the initial weights
        - penalty: callable w -> (loss float, grad array like w), or None
        - dropout: pair (forward, backward) of dropout functions, or None
        - keep_prob: float in (0, 1], dropout's probability of keeping a unit
        - dropconnect: pair (forward, backward) of DropConnect functions, or None
        - dropconnect_keep_prob: float in (0, 1], DropConnect's probability of keeping a weight
        - batchnorm: pair (forward, backward) of batch normalization functions, or None
        - dtype: numpy float dtype of the parameters
        - seed: int or numpy.random.Generator for the initial weights and the random layers
        """
        self.penalty = penalty
        self.dropout = dropout
        self.keep_prob = keep_prob
        self.dropconnect = dropconnect
        self.dropconnect_keep_prob = dropconnect_keep_prob
        self.batchnorm = batchnorm
        self.dtype = dtype
        self.num_layers = len(hidden_dims) + 1
        self.rng = np.random.default_rng(seed)
        layer_dims = [input_dim, *hidden_dims, num_classes]
        self.params = {}
        for layer, (fan_in, fan_out) in enumerate(zip(layer_dims[:-1], layer_dims[1:]), start=1):
            self.params[f"W{layer}"] = (weight_scale * self.rng.standard_normal((fan_in, fan_out))).astype(dtype)
            self.params[f"b{layer}"] = np.zeros(fan_out, dtype=dtype)
            if batchnorm is not None and layer < self.num_layers:
                self.params[f"gamma{layer}"] = np.ones(fan_out, dtype=dtype)
                self.params[f"beta{layer}"] = np.zeros(fan_out, dtype=dtype)
        self.bn_params = [{"mode": "train"} for _ in hidden_dims] if batchnorm is not None else []

    def _random_param(self, keep_prob, mode):
        return {"p": keep_prob, "mode": mode, "seed": int(self.rng.integers(_SEED_BOUND))}

    def _hidden_forward(self, x, layer, mode):
        """One hidden layer; returns its output and the caches of its pieces."""
        w, b = self.params[f"W{layer}"], self.params[f"b{layer}"]
        caches = {}
        if self.dropconnect is not None:
            param = self._random_param(self.dropconnect_keep_prob, mode)
            out, caches["affine"] = self.dropconnect[0](x, w, b, param)
        else:
            out, caches["affine"] = affine_forward(x, w, b)
        if self.batchnorm is not None:
            bn_param = self.bn_params[layer - 1]
            bn_param["mode"] = mode
            out, caches["batchnorm"] = self.batchnorm[0](out, self.params[f"gamma{layer}"],
                                                         self.params[f"beta{layer}"], bn_param)
        out, caches["relu"] = relu_forward(out)
        if self.dropout is not None:
            out, caches["dropout"] = self.dropout[0](out, self._random_param(self.keep_prob, mode))
        return out, caches

    def _hidden_backward(self, dout, layer, caches, grads):
        """Backward pass of one hidden layer; writes its parameter gradients into grads."""
        if self.dropout is not None:
            dout = self.dropout[1](dout, caches["dropout"])
        dout = relu_backward(dout, caches["relu"])
        if self.batchnorm is not None:
            dout, grads[f"gamma{layer}"], grads[f"beta{layer}"] = self.batchnorm[1](dout, caches["batchnorm"])
        backward = self.dropconnect[1] if self.dropconnect is not None else affine_backward
        dout, grads[f"W{layer}"], grads[f"b{layer}"] = backward(dout, caches["affine"])
        return dout

    def loss(self, X, y=None):
        """Class scores (test mode), or the loss and gradients of a minibatch (train mode).

        Inputs:
        - X: float array (N, D), or (N, d_1, ..., d_k) with D = d_1 * ... * d_k
        - y: int array (N,) of labels, or None for a test-time forward pass

        Returns:
        - if y is None: scores, array (N, C)
        - else a tuple (loss, grads): loss a float (data loss plus penalties), grads a dict
          with the keys of self.params and arrays of the same shapes
        """
        mode = "test" if y is None else "train"
        out = X.astype(self.dtype, copy=False)
        caches = []
        for layer in range(1, self.num_layers):
            out, layer_caches = self._hidden_forward(out, layer, mode)
            caches.append(layer_caches)
        last = self.num_layers
        scores, last_cache = affine_forward(out, self.params[f"W{last}"], self.params[f"b{last}"])
        if y is None:
            return scores

        loss, dout = softmax_loss(scores, y)
        grads = {}
        dout, grads[f"W{last}"], grads[f"b{last}"] = affine_backward(dout, last_cache)
        for layer in range(last - 1, 0, -1):
            dout = self._hidden_backward(dout, layer, caches[layer - 1], grads)
        if self.penalty is not None:
            for layer in range(1, last + 1):
                penalty_loss, penalty_grad = self.penalty(self.params[f"W{layer}"])
                loss += float(penalty_loss)
                grads[f"W{layer}"] = grads[f"W{layer}"] + penalty_grad
        return float(loss), {name: grads[name] for name in self.params}
