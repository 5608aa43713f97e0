"""Reference penalties, noise layers, batch normalization and averaging for 02 Regularization.

Conventions shared with the notebook:
- ``p`` in dropout and DropConnect is the probability of KEEPING a unit (or a weight).
- Layer parameters are dicts with ``mode`` ("train" or "test") and an optional ``seed``; the
  random draws use ``numpy.random.default_rng(param.get("seed"))``, so the same seed gives the
  same mask and no seed gives fresh randomness.
- Forward functions return ``(out, cache)``; backward functions take ``(dout, cache)``. Inputs are
  never modified; batch normalization writes its running statistics into ``bn_param``.
"""
import numpy as np


# --- penalties ---------------------------------------------------------------------------------

def l2_penalty(w, reg):
    """``0.5 * reg * sum(w ** 2)`` and its gradient ``reg * w``."""
    return 0.5 * reg * float(np.sum(w * w)), reg * w


def l1_penalty(w, reg):
    """``reg * sum(|w|)`` and its (sub)gradient ``reg * sign(w)``."""
    return reg * float(np.sum(np.abs(w))), reg * np.sign(w)


def elastic_net_penalty(w, reg, beta=0.5):
    """``reg * sum(beta * w ** 2 + |w|)`` and its (sub)gradient ``reg * (2 beta w + sign(w))``."""
    loss = reg * float(np.sum(beta * w * w + np.abs(w)))
    return loss, reg * (2 * beta * w + np.sign(w))


# --- dropout -----------------------------------------------------------------------------------

def _keep_mask(shape, param):
    """Boolean mask of ``shape``, each entry True with probability ``param["p"]``."""
    rng = np.random.default_rng(param.get("seed"))
    return rng.random(shape) < param["p"]


def vanilla_dropout_forward(x, dropout_param):
    """Dropout that scales at test time: train ``x * mask``, test ``p * x``."""
    p, mode = dropout_param["p"], dropout_param["mode"]
    if mode == "train":
        mask = _keep_mask(x.shape, dropout_param)
        out = x * mask
    elif mode == "test":
        mask = None
        out = x * p
    else:
        raise ValueError(f'mode must be "train" or "test", got {mode!r}')
    return out, (dropout_param, mask)


def vanilla_dropout_backward(dout, cache):
    """Backward pass of vanilla_dropout_forward."""
    dropout_param, mask = cache
    if dropout_param["mode"] == "train":
        return dout * mask
    return dout * dropout_param["p"]


def dropout_forward(x, dropout_param):
    """Inverted dropout: train ``x * mask / p``, test identity."""
    p, mode = dropout_param["p"], dropout_param["mode"]
    if mode == "train":
        mask = _keep_mask(x.shape, dropout_param)
        out = x * mask / p
    elif mode == "test":
        mask = None
        out = x.copy()
    else:
        raise ValueError(f'mode must be "train" or "test", got {mode!r}')
    return out, (dropout_param, mask)


def dropout_backward(dout, cache):
    """Backward pass of dropout_forward."""
    dropout_param, mask = cache
    if dropout_param["mode"] == "train":
        return dout * mask / dropout_param["p"]
    return dout.copy()


# --- DropConnect -------------------------------------------------------------------------------

def dropconnect_forward(x, w, b, param):
    """Affine layer with one random weight mask per forward pass, inverted scaling.

    Train: ``x @ (w * mask / p) + b``; test: ``x @ w + b``. x is (N, d_1, ..., d_k), w (D, M).
    """
    p, mode = param["p"], param["mode"]
    x2d = x.reshape(x.shape[0], -1)
    if mode == "train":
        mask = _keep_mask(w.shape, param)
        w_used = w * mask / p
    elif mode == "test":
        mask = None
        w_used = w
    else:
        raise ValueError(f'mode must be "train" or "test", got {mode!r}')
    return x2d @ w_used + b, (x, w, b, param, mask)


def dropconnect_backward(dout, cache):
    """Backward pass of dropconnect_forward: (dx, dw, db)."""
    x, w, _, param, mask = cache
    x2d = x.reshape(x.shape[0], -1)
    if param["mode"] == "train":
        scale = mask / param["p"]
        dx = dout @ (w * scale).T
        dw = (x2d.T @ dout) * scale
    else:
        dx = dout @ w.T
        dw = x2d.T @ dout
    return dx.reshape(x.shape), dw, dout.sum(axis=0)


# --- batch normalization -----------------------------------------------------------------------

def batchnorm_forward(x, gamma, beta, bn_param):
    """Batch normalization of x (N, D), CS231n conventions.

    bn_param: mode (required), eps (1e-5), momentum (0.9), running_mean and running_var
    (zeros of D). In train mode the running statistics are updated with the BIASED batch
    variance (the one used to normalize) and written back to bn_param.
    """
    mode = bn_param["mode"]
    eps = bn_param.get("eps", 1e-5)
    momentum = bn_param.get("momentum", 0.9)
    num_features = x.shape[1]
    running_mean = bn_param.get("running_mean", np.zeros(num_features, dtype=x.dtype))
    running_var = bn_param.get("running_var", np.zeros(num_features, dtype=x.dtype))
    if mode == "train":
        mean = x.mean(axis=0)
        var = x.var(axis=0)
        inv_std = 1.0 / np.sqrt(var + eps)
        x_hat = (x - mean) * inv_std
        out = gamma * x_hat + beta
        bn_param["running_mean"] = momentum * running_mean + (1 - momentum) * mean
        bn_param["running_var"] = momentum * running_var + (1 - momentum) * var
        cache = (x_hat, gamma, inv_std)
    elif mode == "test":
        x_hat = (x - running_mean) / np.sqrt(running_var + eps)
        out = gamma * x_hat + beta
        cache = None
    else:
        raise ValueError(f'mode must be "train" or "test", got {mode!r}')
    return out, cache


def batchnorm_backward(dout, cache):
    """Backward pass of batchnorm_forward (train mode), step by step through the graph."""
    x_hat, gamma, inv_std = cache
    num_examples = dout.shape[0]
    dbeta = dout.sum(axis=0)
    dgamma = np.sum(dout * x_hat, axis=0)
    dx_hat = dout * gamma
    x_centered = x_hat / inv_std
    dvar = np.sum(dx_hat * x_centered, axis=0) * -0.5 * inv_std ** 3
    dmean = -np.sum(dx_hat * inv_std, axis=0) - 2.0 * dvar * np.mean(x_centered, axis=0)
    dx = dx_hat * inv_std + dvar * 2.0 * x_centered / num_examples + dmean / num_examples
    return dx, dgamma, dbeta


def batchnorm_backward_alt(dout, cache):
    """Backward pass of batchnorm_forward in the simplified closed form."""
    x_hat, gamma, inv_std = cache
    num_examples = dout.shape[0]
    dbeta = dout.sum(axis=0)
    dgamma = np.sum(dout * x_hat, axis=0)
    dx = (gamma * inv_std / num_examples) * (num_examples * dout - dbeta - x_hat * dgamma)
    return dx, dgamma, dbeta


# --- stochastic depth --------------------------------------------------------------------------

def stochastic_depth_forward(x, w, b, sd_param):
    """Residual block ``x + relu(x @ w + b)`` whose branch is dropped per example.

    Train: each example keeps the branch with probability ``survival``; test: the branch is
    scaled by ``survival``. x (N, D), w (D, D), b (D,).
    """
    survival, mode = sd_param["survival"], sd_param["mode"]
    pre_activation = x @ w + b
    branch = np.maximum(0, pre_activation)
    if mode == "train":
        rng = np.random.default_rng(sd_param.get("seed"))
        gate = (rng.random(x.shape[0]) < survival).astype(x.dtype)
    elif mode == "test":
        gate = np.full(x.shape[0], survival, dtype=x.dtype)
    else:
        raise ValueError(f'mode must be "train" or "test", got {mode!r}')
    out = x + gate[:, None] * branch
    return out, (x, w, pre_activation, gate)


def stochastic_depth_backward(dout, cache):
    """Backward pass of stochastic_depth_forward: (dx, dw, db)."""
    x, w, pre_activation, gate = cache
    dpre = gate[:, None] * dout * (pre_activation > 0)
    dx = dout + dpre @ w.T
    return dx, x.T @ dpre, dpre.sum(axis=0)


# --- averaging and ensembles ---------------------------------------------------------------------

def polyak_update(w_avg, w, decay=0.995):
    """``decay * w_avg + (1 - decay) * w``; w_avg None starts the average at a copy of w."""
    if w_avg is None:
        return w.copy()
    return decay * w_avg + (1 - decay) * w


def ensemble_predict(probabilities):
    """Average M models' class probabilities (M arrays (N, C)) -> (mean (N, C), labels (N,))."""
    mean = np.mean(np.stack([np.asarray(p) for p in probabilities]), axis=0)
    return mean, np.argmax(mean, axis=1)


def snapshot_epochs(num_epochs, period, period_mult=1):
    """Epoch counts at which the cycles of cosine_annealing_warm_restarts end (within num_epochs)."""
    ends, end, cycle = [], period, period
    while end <= num_epochs:
        ends.append(end)
        cycle *= period_mult
        end += cycle
    return ends
