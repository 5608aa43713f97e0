"""Forward and backward passes of the layers of a fully connected net.

Every forward function returns (out, cache); the matching backward function takes the
upstream gradient dout and that cache and returns the gradients of the inputs.
"""

import numpy as np


def affine_forward(x, w, b):
    """Affine (fully connected) layer: out = x.reshape(N, D) @ w + b.

    Inputs:
    - x: float array (N, d_1, ..., d_k), N examples of D = d_1 * ... * d_k values each
    - w: float array (D, M) weights
    - b: float array (M,) biases

    Returns a tuple of:
    - out: float array (N, M)
    - cache: (x, w, b)
    """
    out = x.reshape(x.shape[0], -1) @ w + b
    return out, (x, w, b)


def affine_backward(dout, cache):
    """Backward pass of affine_forward.

    Inputs:
    - dout: float array (N, M) upstream gradient
    - cache: (x, w, b) from affine_forward

    Returns a tuple of:
    - dx: float array (N, d_1, ..., d_k), same shape as x
    - dw: float array (D, M)
    - db: float array (M,)
    """
    x, w, _ = cache
    dx = (dout @ w.T).reshape(x.shape)
    dw = x.reshape(x.shape[0], -1).T @ dout
    db = dout.sum(axis=0)
    return dx, dw, db


def relu_forward(x):
    """Rectified linear unit: out = max(0, x), elementwise.

    Inputs:
    - x: float array of any shape

    Returns a tuple of:
    - out: float array, same shape as x
    - cache: x
    """
    return np.maximum(0, x), x


def relu_backward(dout, cache):
    """Backward pass of relu_forward: the gradient flows where x > 0.

    Inputs:
    - dout: float array, upstream gradient, same shape as x
    - cache: x from relu_forward

    Returns:
    - dx: float array, same shape as x
    """
    return dout * (cache > 0)


def affine_relu_forward(x, w, b):
    """Affine layer followed by a ReLU.

    Inputs:
    - x: float array (N, d_1, ..., d_k)
    - w: float array (D, M)
    - b: float array (M,)

    Returns a tuple of:
    - out: float array (N, M)
    - cache: (affine cache, relu cache)
    """
    a, fc_cache = affine_forward(x, w, b)
    out, relu_cache = relu_forward(a)
    return out, (fc_cache, relu_cache)


def affine_relu_backward(dout, cache):
    """Backward pass of affine_relu_forward.

    Inputs:
    - dout: float array (N, M) upstream gradient
    - cache: from affine_relu_forward

    Returns a tuple of:
    - dx: float array (N, d_1, ..., d_k)
    - dw: float array (D, M)
    - db: float array (M,)
    """
    fc_cache, relu_cache = cache
    return affine_backward(relu_backward(dout, relu_cache), fc_cache)


def softmax_loss(x, y):
    """Average softmax (cross-entropy) loss and its gradient.

    Inputs:
    - x: float array (N, C), class scores; x[i, j] is the score of class j for example i
    - y: int array (N,), labels with 0 <= y[i] < C

    Returns a tuple of:
    - loss: float
    - dx: float array (N, C), gradient of the loss with respect to x
    """
    # Shifting by the row maximum leaves the softmax unchanged and keeps exp() finite.
    shifted = x - x.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    num_examples = x.shape[0]
    loss = -log_probs[np.arange(num_examples), y].mean()
    dx = np.exp(log_probs)
    dx[np.arange(num_examples), y] -= 1
    dx /= num_examples
    return float(loss), dx
