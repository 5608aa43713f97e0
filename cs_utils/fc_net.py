"""A fully connected ReLU net with a softmax loss, and a flat-vector view of it."""

import numpy as np

from cs_utils.layers import affine_backward, affine_forward, affine_relu_backward, affine_relu_forward, softmax_loss


class FullyConnectedNet:
    """Fully connected net: {affine - relu} x (L - 1) - affine - softmax.

    Parameters live in self.params: "W1", "b1", ..., "WL", "bL", where L is
    len(hidden_dims) + 1. The loss adds the L2 penalty 0.5 * reg * sum(W ** 2) over the
    weight matrices (not the biases).
    """

    def __init__(self, hidden_dims, input_dim, num_classes=10, weight_scale=1e-2, reg=0.0,
                 dtype=np.float64, seed=None):
        """Initialize weights from N(0, weight_scale^2) and biases at zero.

        Inputs:
        - hidden_dims: sequence of int, the size of each hidden layer
        - input_dim: int D, the size of one flattened input
        - num_classes: int C
        - weight_scale: float, standard deviation of the initial weights
        - reg: float, L2 regularization strength
        - dtype: numpy float dtype of the parameters (float64 for gradient checks)
        - seed: int or numpy.random.Generator for the initial weights (None: fresh entropy)
        """
        self.reg = reg
        self.dtype = dtype
        self.num_layers = len(hidden_dims) + 1
        rng = np.random.default_rng(seed)
        layer_dims = [input_dim, *hidden_dims, num_classes]
        self.params = {}
        for layer, (fan_in, fan_out) in enumerate(zip(layer_dims[:-1], layer_dims[1:]), start=1):
            self.params[f"W{layer}"] = (weight_scale * rng.standard_normal((fan_in, fan_out))).astype(dtype)
            self.params[f"b{layer}"] = np.zeros(fan_out, dtype=dtype)

    def loss(self, X, y=None):
        """Class scores, or the loss and gradients of a minibatch.

        Inputs:
        - X: float array (N, D), or (N, d_1, ..., d_k) with D = d_1 * ... * d_k
        - y: int array (N,) of labels, or None for a test-time forward pass

        Returns:
        - if y is None: scores, array (N, C) of self.dtype
        - else a tuple (loss, grads): loss a float, grads a dict with the keys of
          self.params and arrays of the same shapes
        """
        out = X.astype(self.dtype, copy=False)
        caches = []
        for layer in range(1, self.num_layers):
            out, cache = affine_relu_forward(out, self.params[f"W{layer}"], self.params[f"b{layer}"])
            caches.append(cache)
        last = self.num_layers
        scores, last_cache = affine_forward(out, self.params[f"W{last}"], self.params[f"b{last}"])
        if y is None:
            return scores

        loss, dout = softmax_loss(scores, y)
        grads = {}
        dout, grads[f"W{last}"], grads[f"b{last}"] = affine_backward(dout, last_cache)
        for layer in range(last - 1, 0, -1):
            dout, grads[f"W{layer}"], grads[f"b{layer}"] = affine_relu_backward(dout, caches[layer - 1])
        for layer in range(1, last + 1):
            W = self.params[f"W{layer}"]
            loss += 0.5 * self.reg * float(np.sum(W * W))
            grads[f"W{layer}"] += self.reg * W
        return loss, grads


def flatten_params(model):
    """Concatenate a model's parameters into one vector, in the order of model.params.

    Inputs:
    - model: an object with a dict .params of arrays

    Returns:
    - w_flat: float64 array (P,), P the total number of parameters (a copy)
    """
    return np.concatenate([np.ravel(value) for value in model.params.values()]).astype(np.float64)


def set_flat_params(model, w_flat):
    """Load a flat vector (as made by flatten_params) back into model.params.

    Inputs:
    - model: an object with a dict .params of arrays
    - w_flat: float array (P,)
    """
    start = 0
    for name, value in model.params.items():
        stop = start + value.size
        model.params[name] = np.array(w_flat[start:stop], dtype=value.dtype).reshape(value.shape)
        start = stop
    if start != len(w_flat):
        raise ValueError(f"w_flat has {len(w_flat)} entries, the model has {start} parameters")


def flat_loss_and_grad(model, X, y, batch_size=None, rng=None):
    """Wrap model.loss as a function of one flat parameter vector, for L-BFGS and Newton.

    Each call of fun loads w_flat into model.params; after optimizing, call
    set_flat_params(model, w) to leave the model at the final point.

    Inputs:
    - model: an object with .params and .loss(X, y) -> (loss, grads), e.g. FullyConnectedNet
    - X: float array (N, D), the training inputs
    - y: int array (N,) of labels
    - batch_size: int, or None for full-batch (deterministic) evaluations; with an int,
      every call of fun draws a fresh random minibatch, so fun is stochastic
    - rng: numpy.random.Generator or int seed for the minibatches

    Returns a tuple of:
    - fun: callable, fun(w_flat (P,)) -> (loss float, grad_flat float64 array (P,))
    - w0: float64 array (P,), the model's current parameters
    """
    rng = np.random.default_rng(rng)

    def fun(w_flat):
        set_flat_params(model, w_flat)
        if batch_size is None:
            X_batch, y_batch = X, y
        else:
            batch = rng.choice(len(X), size=batch_size, replace=False)
            X_batch, y_batch = X[batch], y[batch]
        loss, grads = model.loss(X_batch, y_batch)
        grad_flat = np.concatenate([np.ravel(grads[name]) for name in model.params]).astype(np.float64)
        return float(loss), grad_flat

    return fun, flatten_params(model)
