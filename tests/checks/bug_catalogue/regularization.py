"""Typical student bugs in 02 Regularization, and correct formulations that differ from the reference.

``BUGS`` maps a bug name to (exercise, implementation, words the failure message should contain).
``NEAR_MISSES``, in the same form, holds wrong answers close to right, at least one per exercise, so
that a loosened tolerance or a skipped sub-check of the checks makes a test fail.
Backward exercises are checked with the student's forward pass, so their entries are pairs
(backward, forward). ``EQUIVALENTS`` maps a name to (exercise, implementation) of a correct
alternative, again with (backward, forward) pairs for backward exercises.
``DTYPE_SLIPS`` maps a name to (exercise, implementation, words of the note) of a correct answer
whose result for float32 inputs comes back float64: it keeps the points, and the note names it.
"""
import numpy as np

from autograder.reference import regularization as reference


def _mask(shape, param, keep=None):
    rng = np.random.default_rng(param.get("seed"))
    return rng.random(shape) < (param["p"] if keep is None else keep)


# --- penalties -----------------------------------------------------------------------------------

def l2_missing_half(w, reg):
    return reg * float(np.sum(w * w)), reg * w


def l2_gradient_doubled(w, reg):
    return 0.5 * reg * float(np.sum(w * w)), 2 * reg * w


def l2_returns_reg_too(w, reg):
    return 0.5 * reg * float(np.sum(w * w)), reg * w, reg


def l1_gradient_divides_by_abs(w, reg):
    with np.errstate(invalid="ignore", divide="ignore"):
        return reg * float(np.sum(np.abs(w))), reg * w / np.abs(w)


def l1_gradient_of_l2(w, reg):
    return reg * float(np.sum(np.abs(w))), reg * w


def elastic_net_ignores_beta(w, reg, beta=0.5):
    return reference.elastic_net_penalty(w, reg, 0.5)


def elastic_net_beta_on_l1(w, reg, beta=0.5):
    return reg * float(np.sum(w * w + beta * np.abs(w))), reg * (2 * w + beta * np.sign(w))


def l2_via_norm(w, reg):
    return 0.5 * reg * np.linalg.norm(w) ** 2, reg * w


def l1_one_sided_subgradient(w, reg):
    return reg * np.abs(w).sum(), reg * np.where(w > 0, 1.0, -1.0).astype(w.dtype)


def elastic_net_from_parts(w, reg, beta=0.5):
    l2_loss, l2_grad = reference.l2_penalty(w, 2 * beta * reg)
    l1_loss, l1_grad = reference.l1_penalty(w, reg)
    return l2_loss + l1_loss, l2_grad + l1_grad


# --- dropout forward -----------------------------------------------------------------------------

def dropout_drop_probability_as_keep(x, dropout_param):
    p = dropout_param["p"]
    mask = _mask(x.shape, dropout_param, keep=1 - p)
    if dropout_param["mode"] == "train":
        return x * mask / p, (dropout_param, mask)
    return x, (dropout_param, None)


def dropout_not_inverted(x, dropout_param):
    if dropout_param["mode"] == "train":
        mask = _mask(x.shape, dropout_param)
        return x * mask, (dropout_param, mask)
    return x, (dropout_param, None)


def dropout_scales_at_train_and_test(x, dropout_param):
    p = dropout_param["p"]
    if dropout_param["mode"] == "train":
        mask = _mask(x.shape, dropout_param)
        return x * mask / p, (dropout_param, mask)
    return x * p, (dropout_param, None)


def dropout_in_place(x, dropout_param):
    if dropout_param["mode"] == "train":
        mask = _mask(x.shape, dropout_param)
        x *= mask
        x /= dropout_param["p"]
        return x, (dropout_param, mask)
    return x, (dropout_param, None)


def dropout_ignores_seed(x, dropout_param):
    if dropout_param["mode"] == "train":
        mask = np.random.default_rng().random(x.shape) < dropout_param["p"]
        return x * mask / dropout_param["p"], (dropout_param, mask)
    return x, (dropout_param, None)


def dropout_mask_per_feature(x, dropout_param):
    if dropout_param["mode"] == "train":
        mask = _mask(x.shape[1:], dropout_param)
        return x * mask / dropout_param["p"], (dropout_param, np.broadcast_to(mask, x.shape))
    return x, (dropout_param, None)


def dropout_fixed_default_seed(x, dropout_param):
    if dropout_param["mode"] == "train":
        mask = np.random.default_rng(dropout_param.get("seed", 0)).random(x.shape) < dropout_param["p"]
        return x * mask / dropout_param["p"], (dropout_param, mask)
    return x, (dropout_param, None)


def dropout_float64_mask(x, dropout_param):
    if dropout_param["mode"] == "train":
        mask = _mask(x.shape, dropout_param) / dropout_param["p"]
        return x * mask, (dropout_param, mask)
    return x, (dropout_param, None)


def dropout_divides_by_drop_probability(x, dropout_param):
    if dropout_param["mode"] == "train":
        mask = _mask(x.shape, dropout_param)
        return x * mask / (1 - dropout_param["p"]), (dropout_param, mask)
    return x, (dropout_param, None)


def dropout_drops_at_test_time(x, dropout_param):
    mask = _mask(x.shape, dropout_param)
    return x * mask / dropout_param["p"], (dropout_param, mask)


def vanilla_dropout_scales_at_train(x, dropout_param):
    return reference.dropout_forward(x, dropout_param)


def vanilla_dropout_not_scaled_at_test(x, dropout_param):
    if dropout_param["mode"] == "train":
        mask = _mask(x.shape, dropout_param)
        return x * mask, (dropout_param, mask)
    return x, (dropout_param, None)


def dropout_binomial_mask(x, dropout_param):
    if dropout_param["mode"] == "train":
        rng = np.random.default_rng(dropout_param.get("seed"))
        mask = rng.binomial(1, dropout_param["p"], size=x.shape).astype(x.dtype)
        return x * mask / x.dtype.type(dropout_param["p"]), (dropout_param, mask)
    return x, (dropout_param, None)


def dropout_legacy_global_seed(x, dropout_param):
    if dropout_param["mode"] == "train":
        if "seed" in dropout_param:
            np.random.seed(dropout_param["seed"])
        mask = np.random.rand(*x.shape) < dropout_param["p"]
        return x * mask / dropout_param["p"], (dropout_param, mask)
    return x, (dropout_param, None)


def vanilla_dropout_with_where(x, dropout_param):
    if dropout_param["mode"] == "train":
        mask = _mask(x.shape, dropout_param)
        return np.where(mask, x, 0).astype(x.dtype), (dropout_param, mask)
    return x * dropout_param["p"], (dropout_param, None)


# --- dropout backward ----------------------------------------------------------------------------

def dropout_backward_draws_new_mask(dout, cache):
    dropout_param, _ = cache
    if dropout_param["mode"] == "train":
        return dout * _mask(dout.shape, dropout_param) / dropout_param["p"]
    return dout


def dropout_backward_forgets_scale(dout, cache):
    dropout_param, mask = cache
    return dout * mask if dropout_param["mode"] == "train" else dout


def dropout_backward_ignores_mask(dout, cache):
    return dout.copy()


def dropout_backward_scaled_at_test(dout, cache):
    dropout_param, mask = cache
    if dropout_param["mode"] == "train":
        return dout * mask / dropout_param["p"]
    return dout * dropout_param["p"]


def vanilla_dropout_backward_unscaled_at_test(dout, cache):
    dropout_param, mask = cache
    return dout * mask if dropout_param["mode"] == "train" else dout


def vanilla_dropout_backward_divides_by_p(dout, cache):
    dropout_param, mask = cache
    return dout * mask / dropout_param["p"] if dropout_param["mode"] == "train" else dout * dropout_param["p"]


def dropout_scaled_mask_in_cache(x, dropout_param):
    if dropout_param["mode"] == "train":
        scaled_mask = (_mask(x.shape, dropout_param) / dropout_param["p"]).astype(x.dtype)
        return x * scaled_mask, (dropout_param, scaled_mask)
    return x, (dropout_param, None)


def dropout_backward_of_scaled_mask(dout, cache):
    dropout_param, scaled_mask = cache
    return dout * scaled_mask if dropout_param["mode"] == "train" else dout


def dropout_forward_returns_x_at_test(x, dropout_param):
    if dropout_param["mode"] == "test":
        return x, (dropout_param, None)
    return reference.dropout_forward(x, dropout_param)


# --- DropConnect ---------------------------------------------------------------------------------

def dropconnect_drops_inputs(x, w, b, param):
    x2d = x.reshape(x.shape[0], -1)
    if param["mode"] == "train":
        mask = _mask(x2d.shape, param)
        return (x2d * mask / param["p"]) @ w + b, (x, w, b, param, mask)
    return x2d @ w + b, (x, w, b, param, None)


def dropconnect_mutates_w(x, w, b, param):
    x2d = x.reshape(x.shape[0], -1)
    if param["mode"] == "train":
        mask = _mask(w.shape, param)
        w *= mask
        w /= param["p"]
        return x2d @ w + b, (x, w, b, param, mask)
    return x2d @ w + b, (x, w, b, param, None)


def dropconnect_not_inverted(x, w, b, param):
    x2d = x.reshape(x.shape[0], -1)
    if param["mode"] == "train":
        mask = _mask(w.shape, param)
        return x2d @ (w * mask) + b, (x, w, b, param, mask)
    return x2d @ w + b, (x, w, b, param, None)


def dropconnect_scaled_at_test(x, w, b, param):
    if param["mode"] == "test":
        return x.reshape(x.shape[0], -1) @ (param["p"] * w) + b, (x, w, b, param, None)
    return reference.dropconnect_forward(x, w, b, param)


def dropconnect_same_mask_every_call(x, w, b, param):
    return reference.dropconnect_forward(x, w, b, {"seed": 0, **param})


def dropconnect_backward_dw_unmasked(dout, cache):
    x = cache[0]
    dx, _, db = reference.dropconnect_backward(dout, cache)
    return dx, x.reshape(x.shape[0], -1).T @ dout, db


def dropconnect_backward_dx_full_weights(dout, cache):
    x, w = cache[:2]
    _, dw, db = reference.dropconnect_backward(dout, cache)
    return (dout @ w.T).reshape(x.shape), dw, db


def dropconnect_backward_dw_not_scaled(dout, cache):
    param = cache[3]
    dx, dw, db = reference.dropconnect_backward(dout, cache)
    return dx, (dw * param["p"] if param["mode"] == "train" else dw), db


def dropconnect_caches_used_weights(x, w, b, param):
    x2d = x.reshape(x.shape[0], -1)
    if param["mode"] == "train":
        w_used = np.where(_mask(w.shape, param), w / param["p"], 0.0)
    else:
        w_used = w
    return x2d @ w_used + b, (x.shape, x2d, w, w_used)


def dropconnect_backward_from_used_weights(dout, cache):
    x_shape, x2d, w, w_used = cache
    dw = (x2d.T @ dout) * np.divide(w_used, w, out=np.zeros_like(w), where=w != 0)
    return (dout @ w_used.T).reshape(x_shape), dw, dout.sum(axis=0)


# --- batch normalization -------------------------------------------------------------------------

def _bn_defaults(x, bn_param):
    num_features = x.shape[1]
    return (bn_param.get("eps", 1e-5), bn_param.get("momentum", 0.9),
            bn_param.get("running_mean", np.zeros(num_features)), bn_param.get("running_var", np.zeros(num_features)))


def bn_unbiased_variance(x, gamma, beta, bn_param):
    eps, momentum, running_mean, running_var = _bn_defaults(x, bn_param)
    if bn_param["mode"] == "test":
        return reference.batchnorm_forward(x, gamma, beta, bn_param)
    mean, var = x.mean(axis=0), x.var(axis=0, ddof=1)
    x_hat = (x - mean) / np.sqrt(var + eps)
    bn_param["running_mean"] = momentum * running_mean + (1 - momentum) * mean
    bn_param["running_var"] = momentum * running_var + (1 - momentum) * var
    return gamma * x_hat + beta, (x_hat, gamma, 1 / np.sqrt(var + eps))


def bn_running_var_unbiased(x, gamma, beta, bn_param):
    _, momentum, running_mean, running_var = _bn_defaults(x, bn_param)
    out, cache = reference.batchnorm_forward(x, gamma, beta, dict(bn_param))
    if bn_param["mode"] == "train":
        bn_param["running_mean"] = momentum * running_mean + (1 - momentum) * x.mean(axis=0)
        bn_param["running_var"] = momentum * running_var + (1 - momentum) * x.var(axis=0, ddof=1)
    return out, cache


def bn_running_stats_not_stored(x, gamma, beta, bn_param):
    return reference.batchnorm_forward(x, gamma, beta, dict(bn_param))


def bn_updates_running_stats_in_test_mode(x, gamma, beta, bn_param):
    _, momentum, running_mean, running_var = _bn_defaults(x, bn_param)
    out, cache = reference.batchnorm_forward(x, gamma, beta, bn_param)
    if bn_param["mode"] == "test":
        bn_param["running_mean"] = momentum * running_mean + (1 - momentum) * x.mean(axis=0)
        bn_param["running_var"] = momentum * running_var + (1 - momentum) * x.var(axis=0)
    return out, cache


def bn_test_mode_uses_batch_statistics(x, gamma, beta, bn_param):
    if bn_param["mode"] == "test":
        return reference.batchnorm_forward(x, gamma, beta, {**bn_param, "mode": "train"})
    return reference.batchnorm_forward(x, gamma, beta, bn_param)


def bn_momentum_swapped(x, gamma, beta, bn_param):
    _, momentum, running_mean, running_var = _bn_defaults(x, bn_param)
    out, cache = reference.batchnorm_forward(x, gamma, beta, dict(bn_param))
    if bn_param["mode"] == "train":
        bn_param["running_mean"] = (1 - momentum) * running_mean + momentum * x.mean(axis=0)
        bn_param["running_var"] = (1 - momentum) * running_var + momentum * x.var(axis=0)
    return out, cache


def bn_running_std(x, gamma, beta, bn_param):
    _, momentum, running_mean, running_var = _bn_defaults(x, bn_param)
    out, cache = reference.batchnorm_forward(x, gamma, beta, dict(bn_param))
    if bn_param["mode"] == "train":
        bn_param["running_mean"] = momentum * running_mean + (1 - momentum) * x.mean(axis=0)
        bn_param["running_var"] = momentum * running_var + (1 - momentum) * x.std(axis=0)
    return out, cache


def bn_eps_outside_sqrt(x, gamma, beta, bn_param):
    eps = bn_param.get("eps", 1e-5)
    out, cache = reference.batchnorm_forward(x, gamma, beta, bn_param)
    if bn_param["mode"] == "train":
        out = gamma * (x - x.mean(axis=0)) / (x.std(axis=0) + eps) + beta
    return out, cache


def bn_normalizes_rows(x, gamma, beta, bn_param):
    eps = bn_param.get("eps", 1e-5)
    out, cache = reference.batchnorm_forward(x, gamma, beta, bn_param)
    if bn_param["mode"] == "train":
        mean, var = x.mean(axis=1, keepdims=True), x.var(axis=1, keepdims=True)
        out = gamma * (x - mean) / np.sqrt(var + eps) + beta
    return out, cache


def bn_in_place_running_update(x, gamma, beta, bn_param):
    eps, momentum = bn_param.get("eps", 1e-5), bn_param.get("momentum", 0.9)
    if bn_param["mode"] == "test":
        return reference.batchnorm_forward(x, gamma, beta, bn_param)
    running_mean = bn_param.setdefault("running_mean", np.zeros(x.shape[1]))
    running_var = bn_param.setdefault("running_var", np.zeros(x.shape[1]))
    mean, var = x.mean(axis=0), x.var(axis=0)
    running_mean *= momentum
    running_mean += (1 - momentum) * mean
    running_var *= momentum
    running_var += (1 - momentum) * var
    std = np.sqrt(var + eps)
    x_hat = (x - mean) / std
    return gamma * x_hat + beta, (x_hat, gamma, 1 / std)


def bn_staged_forward(x, gamma, beta, bn_param):
    """Forward pass that caches every intermediate of the computational graph."""
    eps, momentum, running_mean, running_var = _bn_defaults(x, bn_param)
    if bn_param["mode"] == "test":
        return reference.batchnorm_forward(x, gamma, beta, bn_param)
    mean = x.mean(axis=0)
    centered = x - mean
    var = np.mean(centered ** 2, axis=0)
    std = np.sqrt(var + eps)
    x_hat = centered / std
    bn_param["running_mean"] = momentum * running_mean + (1 - momentum) * mean
    bn_param["running_var"] = momentum * running_var + (1 - momentum) * var
    return gamma * x_hat + beta, (centered, std, x_hat, gamma)


def bn_staged_backward(dout, cache):
    centered, std, x_hat, gamma = cache
    num_examples = dout.shape[0]
    dbeta, dgamma = dout.sum(axis=0), np.sum(dout * x_hat, axis=0)
    dx_hat = dout * gamma
    dcentered = dx_hat / std
    dstd = -np.sum(dx_hat * centered, axis=0) / std ** 2
    dvar = dstd / (2 * std)
    dcentered = dcentered + 2 * centered * dvar / num_examples
    dx = dcentered - dcentered.mean(axis=0)
    return dx, dgamma, dbeta


def bn_backward_constant_statistics(dout, cache):
    x_hat, gamma, inv_std = cache
    return dout * gamma * inv_std, np.sum(dout * x_hat, axis=0), dout.sum(axis=0)


def bn_backward_dgamma_unnormalized(dout, cache):
    dx, _, dbeta = reference.batchnorm_backward(dout, cache)
    return dx, dout.sum(axis=0), dbeta


def bn_alt_missing_variance_term(dout, cache):
    x_hat, gamma, inv_std = cache
    num_examples = dout.shape[0]
    dbeta, dgamma = dout.sum(axis=0), np.sum(dout * x_hat, axis=0)
    return (gamma * inv_std / num_examples) * (num_examples * dout - dbeta), dgamma, dbeta


# --- stochastic depth ----------------------------------------------------------------------------

def _sd_parts(x, w, b):
    pre_activation = x @ w + b
    return pre_activation, np.maximum(0, pre_activation)


def sd_not_scaled_at_test(x, w, b, sd_param):
    if sd_param["mode"] == "test":
        pre_activation, branch = _sd_parts(x, w, b)
        return x + branch, (x, w, pre_activation, np.ones(x.shape[0]))
    return reference.stochastic_depth_forward(x, w, b, sd_param)


def sd_inverted(x, w, b, sd_param):
    pre_activation, branch = _sd_parts(x, w, b)
    if sd_param["mode"] == "train":
        gate = (np.random.default_rng(sd_param.get("seed")).random(x.shape[0]) < sd_param["survival"])
        gate = gate / sd_param["survival"]
    else:
        gate = np.ones(x.shape[0])
    return x + gate[:, None] * branch, (x, w, pre_activation, gate)


def sd_drop_probability_as_survival(x, w, b, sd_param):
    return reference.stochastic_depth_forward(x, w, b, {**sd_param, "survival": 1 - sd_param["survival"]}) \
        if sd_param["mode"] == "train" else reference.stochastic_depth_forward(x, w, b, sd_param)


def sd_one_gate_per_batch(x, w, b, sd_param):
    pre_activation, branch = _sd_parts(x, w, b)
    if sd_param["mode"] == "train":
        keep = np.random.default_rng(sd_param.get("seed")).random() < sd_param["survival"]
        gate = np.full(x.shape[0], float(keep))
    else:
        gate = np.full(x.shape[0], sd_param["survival"])
    return x + gate[:, None] * branch, (x, w, pre_activation, gate)


def sd_drops_identity_too(x, w, b, sd_param):
    out, cache = reference.stochastic_depth_forward(x, w, b, sd_param)
    gate = cache[3]
    return out * (gate[:, None] > 0), cache


def sd_branch_only_where_kept(x, w, b, sd_param):
    if sd_param["mode"] == "test":
        return reference.stochastic_depth_forward(x, w, b, sd_param)
    keep = np.random.default_rng(sd_param.get("seed")).random(x.shape[0]) < sd_param["survival"]
    out = x.copy()
    pre_activation = x[keep] @ w + b
    out[keep] += np.maximum(0, pre_activation)
    return out, (x, w, keep, pre_activation)


def sd_backward_branch_only_where_kept(dout, cache):
    if len(cache) == 4 and cache[2].dtype == bool:
        x, w, keep, pre_activation = cache
        dpre = dout[keep] * (pre_activation > 0)
        dx = dout.copy()
        dx[keep] += dpre @ w.T
        return dx, x[keep].T @ dpre, dpre.sum(axis=0)
    return reference.stochastic_depth_backward(dout, cache)


def sd_backward_no_skip(dout, cache):
    x, w, pre_activation, gate = cache
    dpre = gate[:, None] * dout * (pre_activation > 0)
    return dpre @ w.T, x.T @ dpre, dpre.sum(axis=0)


def sd_backward_ignores_gate(dout, cache):
    x, w, pre_activation, gate = cache
    return reference.stochastic_depth_backward(dout, (x, w, pre_activation, np.ones_like(gate)))


# --- averaging and ensembles ---------------------------------------------------------------------

def polyak_decay_swapped(w_avg, w, decay=0.995):
    return w.copy() if w_avg is None else (1 - decay) * w_avg + decay * w


def polyak_in_place(w_avg, w, decay=0.995):
    if w_avg is None:
        return w.copy()
    w_avg *= decay
    w_avg += (1 - decay) * w
    return w_avg


def polyak_starts_at_zero(w_avg, w, decay=0.995):
    return reference.polyak_update(np.zeros_like(w) if w_avg is None else w_avg, w, decay)


def polyak_returns_w_itself(w_avg, w, decay=0.995):
    return w if w_avg is None else reference.polyak_update(w_avg, w, decay)


def polyak_interpolation_form(w_avg, w, decay=0.995):
    if w_avg is None:
        return np.array(w, copy=True)
    return w_avg + (1 - decay) * (w - w_avg)


def ensemble_majority_vote(probabilities):
    stacked = np.stack(probabilities)
    votes = stacked.argmax(axis=2)
    num_classes = stacked.shape[2]
    labels = np.array([np.bincount(column, minlength=num_classes).argmax() for column in votes.T])
    return stacked.mean(axis=0), labels


def ensemble_sums(probabilities):
    total = np.sum(np.stack(probabilities), axis=0)
    return total, total.argmax(axis=1)


def ensemble_geometric_mean(probabilities):
    log_mean = np.mean(np.log(np.stack(probabilities) + 1e-12), axis=0)
    return np.exp(log_mean), log_mean.argmax(axis=1)


def ensemble_running_sum(probabilities):
    total = None
    for count, probs in enumerate(probabilities, start=1):
        total = probs.copy() if total is None else total + probs
    mean = total / count
    return mean, np.argmax(mean, axis=-1)


def snapshot_epochs_zero_based(num_epochs, period, period_mult=1):
    return [end - 1 for end in reference.snapshot_epochs(num_epochs, period, period_mult)]


def snapshot_epochs_ignores_mult(num_epochs, period, period_mult=1):
    return list(range(period, num_epochs + 1, period))


def snapshot_epochs_includes_partial_cycle(num_epochs, period, period_mult=1):
    ends = reference.snapshot_epochs(num_epochs, period, period_mult)
    return ends + [num_epochs] if num_epochs and (not ends or ends[-1] != num_epochs) else ends


def snapshot_epochs_cumulative(num_epochs, period, period_mult=1):
    lengths = [period]
    while sum(lengths) <= num_epochs:
        lengths.append(lengths[-1] * period_mult)
    return [int(end) for end in np.cumsum(lengths[:-1])]


BUGS = {
    # penalties
    "l2_missing_half": ("l2_penalty", l2_missing_half, "(it is 2 times the expected value)"),
    "l2_gradient_doubled": ("l2_penalty", l2_gradient_doubled, "2 times what it should be"),
    "l2_returns_reg_too": ("l2_penalty", l2_returns_reg_too, "should return a tuple (loss, grad), got tuple"),
    "l1_gradient_divides_by_abs": ("l1_penalty", l1_gradient_divides_by_abs, "NaN"),
    "l1_gradient_of_l2": ("l1_penalty", l1_gradient_of_l2, "derivative"),
    "elastic_net_ignores_beta": ("elastic_net_penalty", elastic_net_ignores_beta, "beta * w**2"),
    "elastic_net_beta_on_l1": ("elastic_net_penalty", elastic_net_beta_on_l1, "beta * w**2"),
    # dropout forward
    "dropout_drop_probability_as_keep": ("dropout_forward", dropout_drop_probability_as_keep, "KEEPING"),
    "dropout_not_inverted": ("dropout_forward", dropout_not_inverted, "not scaled"),
    "dropout_scales_at_train_and_test": ("dropout_forward", dropout_scales_at_train_and_test, "both train and test"),
    "dropout_in_place": ("dropout_forward", dropout_in_place, "modified in place"),
    "dropout_ignores_seed": ("dropout_forward", dropout_ignores_seed, "same dropout_param['seed']"),
    "dropout_mask_per_feature": ("dropout_forward", dropout_mask_per_feature, "same mask"),
    "dropout_fixed_default_seed": ("dropout_forward", dropout_fixed_default_seed, "without a seed"),
    "dropout_divides_by_drop_probability": ("dropout_forward", dropout_divides_by_drop_probability, "1 - p"),
    "dropout_drops_at_test_time": ("dropout_forward", dropout_drops_at_test_time, "deterministic"),
    "vanilla_dropout_scales_at_train": ("vanilla_dropout_forward", vanilla_dropout_scales_at_train,
                                        "leaves them unchanged"),
    "vanilla_dropout_not_scaled_at_test": ("vanilla_dropout_forward", vanilla_dropout_not_scaled_at_test,
                                           "by p at test time"),
    # dropout backward
    "dropout_backward_draws_new_mask": (
        "dropout_backward", (dropout_backward_draws_new_mask, reference.dropout_forward), "reuse the mask"),
    "dropout_backward_forgets_scale": ("dropout_backward", (dropout_backward_forgets_scale, reference.dropout_forward),
                                       "dout / p"),
    "dropout_backward_ignores_mask": ("dropout_backward", (dropout_backward_ignores_mask, reference.dropout_forward),
                                      "every unit"),
    "dropout_backward_scaled_at_test": (
        "dropout_backward", (dropout_backward_scaled_at_test, reference.dropout_forward), "identity at test time"),
    "vanilla_dropout_backward_unscaled_at_test": (
        "vanilla_dropout_backward", (vanilla_dropout_backward_unscaled_at_test, reference.vanilla_dropout_forward),
        "multiplies by p at test time, so dx = p * dout"),
    "vanilla_dropout_backward_divides_by_p": (
        "vanilla_dropout_backward", (vanilla_dropout_backward_divides_by_p, reference.vanilla_dropout_forward),
        "no 1/p"),
    # DropConnect
    "dropconnect_drops_inputs": ("dropconnect_forward", dropconnect_drops_inputs, "one weight matrix"),
    "dropconnect_mutates_w": ("dropconnect_forward", dropconnect_mutates_w, "modified in place"),
    "dropconnect_not_inverted": ("dropconnect_forward", dropconnect_not_inverted, "not scaled"),
    "dropconnect_scaled_at_test": ("dropconnect_forward", dropconnect_scaled_at_test, "full weights at test time"),
    "dropconnect_same_mask_every_call": ("dropconnect_forward", dropconnect_same_mask_every_call, "same weight mask"),
    "dropconnect_backward_dw_unmasked": (
        "dropconnect_backward", (dropconnect_backward_dw_unmasked, reference.dropconnect_forward), "took no part"),
    "dropconnect_backward_dx_full_weights": (
        "dropconnect_backward", (dropconnect_backward_dx_full_weights, reference.dropconnect_forward),
        "masked, scaled weights"),
    "dropconnect_backward_dw_not_scaled": (
        "dropconnect_backward", (dropconnect_backward_dw_not_scaled, reference.dropconnect_forward),
        "divided by p in the forward pass, so dw"),
    # batch normalization
    "bn_unbiased_variance": ("batchnorm_forward", bn_unbiased_variance, "not N - 1"),
    "bn_running_var_unbiased": ("batchnorm_forward", bn_running_var_unbiased, "biased batch variance"),
    "bn_running_stats_not_stored": ("batchnorm_forward", bn_running_stats_not_stored, "running"),
    "bn_updates_running_stats_in_test_mode": ("batchnorm_forward", bn_updates_running_stats_in_test_mode,
                                              "must not change the running statistics"),
    "bn_test_mode_uses_batch_statistics": ("batchnorm_forward", bn_test_mode_uses_batch_statistics,
                                           "not with the statistics of the test batch"),
    "bn_momentum_swapped": ("batchnorm_forward", bn_momentum_swapped, "OLD value"),
    "bn_running_std": ("batchnorm_forward", bn_running_std, "not the standard deviation"),
    "bn_eps_outside_sqrt": ("batchnorm_forward", bn_eps_outside_sqrt, "inside the square root"),
    "bn_normalizes_rows": ("batchnorm_forward", bn_normalizes_rows, "axis 0"),
    "bn_backward_constant_statistics": (
        "batchnorm_backward", (bn_backward_constant_statistics, reference.batchnorm_forward), "as constants"),
    "bn_backward_dgamma_unnormalized": (
        "batchnorm_backward", (bn_backward_dgamma_unnormalized, reference.batchnorm_forward), "dgamma"),
    "bn_alt_missing_variance_term": (
        "batchnorm_backward_alt", (bn_alt_missing_variance_term, reference.batchnorm_forward),
        "differs from the gradient"),
    "bn_backward_with_wrong_forward": (
        "batchnorm_backward", (reference.batchnorm_backward, bn_eps_outside_sqrt), "fix batchnorm_forward first"),
    # stochastic depth
    "sd_not_scaled_at_test": ("stochastic_depth_forward", sd_not_scaled_at_test, "scaled by survival"),
    "sd_inverted": ("stochastic_depth_forward", sd_inverted, "divided by survival"),
    "sd_drop_probability_as_survival": ("stochastic_depth_forward", sd_drop_probability_as_survival,
                                        "probability of KEEPING the branch"),
    "sd_one_gate_per_batch": ("stochastic_depth_forward", sd_one_gate_per_batch, "same choice"),
    "sd_drops_identity_too": ("stochastic_depth_forward", sd_drops_identity_too, "skip"),
    "sd_backward_no_skip": ("stochastic_depth_backward", (sd_backward_no_skip, reference.stochastic_depth_forward),
                            "skip connection"),
    "sd_backward_ignores_gate": ("stochastic_depth_backward",
                                 (sd_backward_ignores_gate, reference.stochastic_depth_forward), "gates"),
    # averaging and ensembles
    "polyak_decay_swapped": ("polyak_update", polyak_decay_swapped, "OLD average"),
    "polyak_in_place": ("polyak_update", polyak_in_place, "modified in place"),
    "polyak_starts_at_zero": ("polyak_update", polyak_starts_at_zero, "not at zero"),
    "polyak_returns_w_itself": ("polyak_update", polyak_returns_w_itself, "not w itself"),
    "ensemble_majority_vote": ("ensemble_predict", ensemble_majority_vote, "majority vote"),
    "ensemble_sums": ("ensemble_predict", ensemble_sums, "divide the sum"),
    "ensemble_geometric_mean": ("ensemble_predict", ensemble_geometric_mean, "average of the models"),
    "snapshot_epochs_zero_based": ("snapshot_epochs", snapshot_epochs_zero_based, "one less"),
    "snapshot_epochs_ignores_mult": ("snapshot_epochs", snapshot_epochs_ignores_mult, "period_mult"),
    "snapshot_epochs_includes_partial_cycle": ("snapshot_epochs", snapshot_epochs_includes_partial_cycle,
                                               "snapshot_epochs("),
}

EQUIVALENTS = {
    "l2_via_norm": ("l2_penalty", l2_via_norm),
    "l1_one_sided_subgradient": ("l1_penalty", l1_one_sided_subgradient),
    "elastic_net_from_parts": ("elastic_net_penalty", elastic_net_from_parts),
    "dropout_binomial_mask": ("dropout_forward", dropout_binomial_mask),
    "dropout_legacy_global_seed": ("dropout_forward", dropout_legacy_global_seed),
    "dropout_forward_returns_x_at_test": ("dropout_forward", dropout_forward_returns_x_at_test),
    "dropout_scaled_mask_in_cache": ("dropout_forward", dropout_scaled_mask_in_cache),
    "dropout_backward_of_scaled_mask": ("dropout_backward", (dropout_backward_of_scaled_mask,
                                                             dropout_scaled_mask_in_cache)),
    "vanilla_dropout_with_where": ("vanilla_dropout_forward", vanilla_dropout_with_where),
    "dropconnect_caches_used_weights": ("dropconnect_forward", dropconnect_caches_used_weights),
    "dropconnect_backward_from_used_weights": ("dropconnect_backward", (dropconnect_backward_from_used_weights,
                                                                        dropconnect_caches_used_weights)),
    "bn_in_place_running_update": ("batchnorm_forward", bn_in_place_running_update),
    "bn_staged_forward": ("batchnorm_forward", bn_staged_forward),
    "bn_staged_backward": ("batchnorm_backward", (bn_staged_backward, bn_staged_forward)),
    "bn_alt_as_backward": ("batchnorm_backward", (reference.batchnorm_backward_alt, reference.batchnorm_forward)),
    "bn_graph_as_alt": ("batchnorm_backward_alt", (reference.batchnorm_backward, reference.batchnorm_forward)),
    "sd_branch_only_where_kept": ("stochastic_depth_forward", sd_branch_only_where_kept),
    "sd_backward_branch_only_where_kept": ("stochastic_depth_backward", (sd_backward_branch_only_where_kept,
                                                                         sd_branch_only_where_kept)),
    "polyak_interpolation_form": ("polyak_update", polyak_interpolation_form),
    "ensemble_running_sum": ("ensemble_predict", ensemble_running_sum),
    "snapshot_epochs_cumulative": ("snapshot_epochs", snapshot_epochs_cumulative),
}


# --- right values, promoted dtype ----------------------------------------------------------------

def l2_gradient_float64_reg(w, reg):
    return 0.5 * reg * float(np.sum(w * w)), np.float64(reg) * w


DTYPE_SLIPS = {
    "dropout_float64_mask": ("dropout_forward", dropout_float64_mask, "cache[1] is float64"),
    "l2_gradient_float64_reg": ("l2_penalty", l2_gradient_float64_reg, "grad came back float64"),
}


# --- further bugs, written from the contract before reading the checks ---------------------------

def l2_gradient_halved(w, reg):
    return 0.5 * reg * float(np.sum(w * w)), 0.5 * reg * w


def l1_loss_without_abs(w, reg):
    return reg * float(np.sum(w)), reg * np.sign(w)


def elastic_net_l2_gradient_missing_two(w, reg, beta=0.5):
    return reg * float(np.sum(beta * w * w + np.abs(w))), reg * (beta * w + np.sign(w))


def dropout_keeps_half_always(x, dropout_param):
    if dropout_param["mode"] == "train":
        rng = np.random.default_rng(dropout_param.get("seed"))
        mask = rng.random(x.shape) < 0.5
        return x * mask / dropout_param["p"], (dropout_param, mask)
    return x.copy(), (dropout_param, None)


def dropout_backward_multiplies_by_p(dout, cache):
    param, mask = cache
    if param["mode"] == "train":
        return dout * mask * param["p"]
    return dout.copy()


def dropconnect_backward_db_mean(dout, cache):
    dx, dw, _ = reference.dropconnect_backward(dout, cache)
    return dx, dw, dout.mean(axis=0)


def dropconnect_backward_dx_flat(dout, cache):
    dx, dw, db = reference.dropconnect_backward(dout, cache)
    return dx.reshape(dx.shape[0], -1), dw, db


def bn_running_mean_replaced(x, gamma, beta, bn_param):
    out, cache = reference.batchnorm_forward(x, gamma, beta, bn_param)
    if bn_param["mode"] == "train":
        bn_param["running_mean"] = x.mean(axis=0)
    return out, cache


def bn_gamma_beta_swapped(x, gamma, beta, bn_param):
    return reference.batchnorm_forward(x, beta, gamma, bn_param)


def bn_backward_dbeta_mean(dout, cache):
    dx, dgamma, _ = reference.batchnorm_backward(dout, cache)
    return dx, dgamma, dout.mean(axis=0)


def bn_alt_forgets_dbeta_term(dout, cache):
    x_hat, gamma, inv_std = cache
    n = dout.shape[0]
    dbeta = dout.sum(axis=0)
    dgamma = np.sum(dout * x_hat, axis=0)
    dx = (gamma * inv_std / n) * (n * dout - x_hat * dgamma)
    return dx, dgamma, dbeta


def sd_random_at_test(x, w, b, sd_param):
    return reference.stochastic_depth_forward(x, w, b, dict(sd_param, mode="train"))


def sd_backward_dw_ignores_gate(dout, cache):
    x, w, pre, gate = cache
    dx, _, db = reference.stochastic_depth_backward(dout, cache)
    return dx, x.T @ (dout * (pre > 0)), db


def polyak_default_decay_099(w_avg, w, decay=0.99):
    return reference.polyak_update(w_avg, w, decay)


def ensemble_labels_from_first_model(probabilities):
    mean = np.mean(np.stack(probabilities), axis=0)
    return mean, np.argmax(probabilities[0], axis=1)


def snapshot_epochs_strict_end(num_epochs, period, period_mult=1):
    ends, end, cycle = [], period, period
    while end < num_epochs:
        ends.append(end)
        cycle *= period_mult
        end += cycle
    return ends


BUGS.update({
    "l2_gradient_halved": ("l2_penalty", l2_gradient_halved, '0.5 times what it should be'),
    "l1_loss_without_abs": ("l1_penalty", l1_loss_without_abs, 'reg * sum(|w|)'),
    "elastic_net_l2_gradient_missing_two": ("elastic_net_penalty", elastic_net_l2_gradient_missing_two, 'derivative of reg * sum(beta * w**2 + |w|)'),
    "dropout_keeps_half_always": ("dropout_forward", dropout_keeps_half_always, 'it should be p'),
    "dropout_backward_multiplies_by_p": ("dropout_backward", (dropout_backward_multiplies_by_p, reference.dropout_forward), 'dout * mask / p'),
    "dropconnect_backward_db_mean": ("dropconnect_backward", (dropconnect_backward_db_mean, reference.dropconnect_forward), 'db should be dout summed'),
    "dropconnect_backward_dx_flat": ("dropconnect_backward", (dropconnect_backward_dx_flat, reference.dropconnect_forward), 'dx should have shape'),
    "bn_running_mean_replaced": ("batchnorm_forward", bn_running_mean_replaced, 'running statistics differ'),
    "bn_gamma_beta_swapped": ("batchnorm_forward", bn_gamma_beta_swapped, 'gamma scales, beta shifts'),
    "bn_backward_dbeta_mean": ("batchnorm_backward", (bn_backward_dbeta_mean, reference.batchnorm_forward), 'dbeta should be dout summed'),
    "bn_alt_forgets_dbeta_term": ("batchnorm_backward_alt", (bn_alt_forgets_dbeta_term, reference.batchnorm_forward), 'dx differs from the gradient'),
    "sd_random_at_test": ("stochastic_depth_forward", sd_random_at_test, 'test mode must be deterministic'),
    "sd_backward_dw_ignores_gate": ("stochastic_depth_backward", (sd_backward_dw_ignores_gate, reference.stochastic_depth_forward), 'use the gates stored in the cache'),
    "polyak_default_decay_099": ("polyak_update", polyak_default_decay_099, 'default decay=0.995'),
    "ensemble_labels_from_first_model": ("ensemble_predict", ensemble_labels_from_first_model, 'highest average probability'),
    "snapshot_epochs_strict_end": ("snapshot_epochs", snapshot_epochs_strict_end, 'ending exactly at num_epochs'),
})


# --- near misses: close to right, caught only by tight tolerances or one specific sub-check ------

def l2_loss_summed_in_float32(w, reg):
    return 0.5 * reg * float(np.sum(w.astype(np.float32) ** 2)), reg * w


def l2_gradient_through_float32(w, reg):
    return 0.5 * reg * float(np.sum(w * w)), (reg * w.astype(np.float32)).astype(w.dtype)


def l1_smoothed_abs(w, reg):
    smooth = np.sqrt(w * w + 1e-10)
    return reg * float(np.sum(smooth)), reg * w / smooth


def elastic_net_default_beta_1(w, reg, beta=1.0):
    return reference.elastic_net_penalty(w, reg, beta)


def vanilla_dropout_ignores_seed(x, dropout_param):
    return reference.vanilla_dropout_forward(x, {key: v for key, v in dropout_param.items() if key != "seed"})


def vanilla_dropout_backward_scales_by_p_in_both_modes(dout, cache):
    dropout_param, mask = cache
    if dropout_param["mode"] == "train":
        return dout * mask * dropout_param["p"]
    return dout * dropout_param["p"]


def dropout_float32_mask(x, dropout_param):
    if dropout_param["mode"] != "train":
        return reference.dropout_forward(x, dropout_param)
    mask = _mask(x.shape, dropout_param).astype(np.float32) / np.float32(dropout_param["p"])
    return (x * mask).astype(x.dtype), (dropout_param, mask)


def dropout_backward_float32_scale(dout, cache):
    dropout_param, mask = cache
    if dropout_param["mode"] == "train":
        return (dout * (mask.astype(np.float32) / np.float32(dropout_param["p"]))).astype(dout.dtype)
    return dout.copy()


def dropconnect_masks_bias_too(x, w, b, param):
    out, cache = reference.dropconnect_forward(x, w, b, param)
    if param["mode"] != "train":
        return out, cache
    keep = np.random.default_rng().random(b.shape) < param["p"]
    return out - b + b * keep / param["p"], cache


def dropconnect_guarded_division(x, w, b, param):
    if param["mode"] != "train":
        return reference.dropconnect_forward(x, w, b, param)
    mask = _mask(w.shape, param)
    return x.reshape(x.shape[0], -1) @ (w * mask / (param["p"] + 1e-5)) + b, (x, w, b, param, mask)


def dropconnect_backward_db_scaled(dout, cache):
    dx, dw, db = reference.dropconnect_backward(dout, cache)
    return dx, dw, db / cache[3]["p"] if cache[3]["mode"] == "train" else db


def bn_default_eps_1e8(x, gamma, beta, bn_param):
    bn_param.setdefault("eps", 1e-8)
    return reference.batchnorm_forward(x, gamma, beta, bn_param)


def bn_backward_dx_in_float32(dout, cache):
    dx, dgamma, dbeta = reference.batchnorm_backward(dout, cache)
    return dx.astype(np.float32).astype(dx.dtype), dgamma, dbeta


def bn_alt_unbiased_variance_term(dout, cache):
    x_hat, gamma, inv_std = cache
    n = dout.shape[0]
    dbeta, dgamma = dout.sum(axis=0), np.sum(dout * x_hat, axis=0)
    dx = (gamma * inv_std / n) * (n * dout - dbeta - x_hat * dgamma * n / (n - 1))
    return dx, dgamma, dbeta


def sd_ignores_seed(x, w, b, sd_param):
    return reference.stochastic_depth_forward(x, w, b, {k: v for k, v in sd_param.items() if k != "seed"})


def sd_backward_db_ignores_gate(dout, cache):
    dx, dw, _ = reference.stochastic_depth_backward(dout, cache)
    _, _, pre_activation, _ = cache
    return dx, dw, (dout * (pre_activation > 0)).sum(axis=0)


def polyak_hard_coded_complement(w_avg, w, decay=0.995):
    if w_avg is None:
        return w.copy()
    return decay * w_avg + 0.005 * w


def ensemble_squeezes_the_model_axis(probabilities):
    stacked = np.squeeze(np.stack([np.asarray(p) for p in probabilities]))
    mean = stacked.mean(axis=0)
    return mean, np.argmax(mean, axis=-1)


def snapshot_epochs_one_epoch_of_slack(num_epochs, period, period_mult=1):
    return reference.snapshot_epochs(num_epochs + 1, period, period_mult)


NEAR_MISSES = {
    "l2_loss_summed_in_float32": ("l2_penalty", l2_loss_summed_in_float32, "the loss should be 0.5 * reg * sum(w**2)"),
    "l2_gradient_through_float32": ("l2_penalty", l2_gradient_through_float32, "the gradient does not match"),
    "l1_smoothed_abs": ("l1_penalty", l1_smoothed_abs, "the loss should be reg * sum(|w|)"),
    "elastic_net_default_beta_1": ("elastic_net_penalty", elastic_net_default_beta_1, "default beta=0.5"),
    "vanilla_dropout_ignores_seed": ("vanilla_dropout_forward", vanilla_dropout_ignores_seed,
                                     "same dropout_param['seed']"),
    "vanilla_dropout_backward_scales_by_p_in_both_modes": (
        "vanilla_dropout_backward", (vanilla_dropout_backward_scales_by_p_in_both_modes,
                                     reference.vanilla_dropout_forward), "dx should be dout * mask with the mask"),
    "dropout_float32_mask": ("dropout_forward", dropout_float32_mask, "multiplied by exactly 1 / p"),
    "dropout_backward_float32_scale": ("dropout_backward", (dropout_backward_float32_scale, reference.dropout_forward),
                                       "dx should be dout * mask / p"),
    "dropconnect_masks_bias_too": ("dropconnect_forward", dropconnect_masks_bias_too, "for one weight matrix W'"),
    "dropconnect_guarded_division": ("dropconnect_forward", dropconnect_guarded_division,
                                     "either dropped (0) or kept and divided by p"),
    "dropconnect_backward_db_scaled": ("dropconnect_backward",
                                       (dropconnect_backward_db_scaled, reference.dropconnect_forward),
                                       "db should be dout summed over the batch"),
    "bn_default_eps_1e8": ("batchnorm_forward", bn_default_eps_1e8, "with the default eps=1e-5"),
    "bn_backward_dx_in_float32": ("batchnorm_backward", (bn_backward_dx_in_float32, reference.batchnorm_forward),
                                  "close to but not within"),
    "bn_alt_unbiased_variance_term": ("batchnorm_backward_alt",
                                      (bn_alt_unbiased_variance_term, reference.batchnorm_forward),
                                      "dx differs from the gradient"),
    "sd_ignores_seed": ("stochastic_depth_forward", sd_ignores_seed, "same sd_param['seed']"),
    "sd_backward_db_ignores_gate": ("stochastic_depth_backward",
                                    (sd_backward_db_ignores_gate, reference.stochastic_depth_forward),
                                    "the gradients differ"),
    "polyak_hard_coded_complement": ("polyak_update", polyak_hard_coded_complement, "with decay="),
    "ensemble_squeezes_the_model_axis": ("ensemble_predict", ensemble_squeezes_the_model_axis, "1 model(s)"),
    "snapshot_epochs_one_epoch_of_slack": ("snapshot_epochs", snapshot_epochs_one_epoch_of_slack, "snapshot_epochs("),
}


# --- bugs that only one sub-check reports (malformed results, inputs changed, state in globals) --

def l2_gradient_aliases_w(w, reg):
    loss = 0.5 * reg * float(np.sum(w * w))
    grad = w
    grad *= reg
    return loss, grad


def l2_loss_not_summed(w, reg):
    return 0.5 * reg * w * w, reg * w


def l1_subgradient_one_at_zero(w, reg):
    loss, grad = reference.l1_penalty(w, reg)
    grad[w == 0] = 1.0
    return loss, grad


def dropout_pops_the_seed(x, dropout_param):
    seed = dropout_param.pop("seed", None)
    return reference.dropout_forward(x, {**dropout_param, "seed": seed})


def dropout_returns_cache_first(x, dropout_param):
    out, cache = reference.dropout_forward(x, dropout_param)
    return cache, out


def dropout_mask_per_example(x, dropout_param):
    if dropout_param["mode"] != "train":
        return reference.dropout_forward(x, dropout_param)
    rng = np.random.default_rng(dropout_param.get("seed"))
    mask = rng.random((x.shape[0],) + (1,) * (x.ndim - 1)) < dropout_param["p"]
    mask = np.broadcast_to(mask, x.shape)
    return x * mask / dropout_param["p"], (dropout_param, mask)


def dropout_fixed_seed_when_seeded(x, dropout_param):
    seed = dropout_param.get("seed")
    return reference.dropout_forward(x, {**dropout_param, "seed": None if seed is None else 42})


def dropout_backward_in_place(dout, cache):
    dropout_param, mask = cache
    if dropout_param["mode"] == "train":
        dout *= mask / dropout_param["p"]
    return dout


def dropout_backward_flattens(dout, cache):
    return reference.dropout_backward(dout, cache).reshape(len(dout), -1)


def dropout_backward_forgets_test_mode(dout, cache):
    dropout_param, mask = cache
    if dropout_param["mode"] == "train":
        return dout * mask / dropout_param["p"]


_LAST_DROPOUT = {}


def dropout_forward_global(x, dropout_param):
    out, cache = reference.dropout_forward(x, dropout_param)
    _LAST_DROPOUT["cache"] = cache
    return out, cache


def dropout_backward_global(dout, cache):
    return reference.dropout_backward(dout, _LAST_DROPOUT["cache"])


def dropconnect_pops_the_seed(x, w, b, param):
    seed = param.pop("seed", None)
    return reference.dropconnect_forward(x, w, b, {**param, "seed": seed})


def dropconnect_returns_cache_first(x, w, b, param):
    out, cache = reference.dropconnect_forward(x, w, b, param)
    return cache, out


def dropconnect_in_float32(x, w, b, param):
    out, cache = reference.dropconnect_forward(x.astype(np.float32), w.astype(np.float32), b.astype(np.float32), param)
    return out.astype(x.dtype), (x, w, b, param, cache[4])


def dropconnect_drop_probability_as_keep(x, w, b, param):
    if param["mode"] != "train":
        return reference.dropconnect_forward(x, w, b, param)
    mask = ~_mask(w.shape, param)
    return x.reshape(x.shape[0], -1) @ (w * mask / param["p"]) + b, (x, w, b, param, mask)


def dropconnect_ignores_seed(x, w, b, param):
    return reference.dropconnect_forward(x, w, b, {key: v for key, v in param.items() if key != "seed"})


def dropconnect_fixed_seed_when_seeded(x, w, b, param):
    seed = param.get("seed")
    return reference.dropconnect_forward(x, w, b, {**param, "seed": None if seed is None else 42})


def dropconnect_backward_scales_dout_in_place(dout, cache):
    x, w, _, param, mask = cache
    db = dout.sum(axis=0)
    if param["mode"] == "train":
        dout /= param["p"]
        dx = (dout @ (w * mask).T).reshape(x.shape)
        return dx, (x.reshape(x.shape[0], -1).T @ dout) * mask, db
    return reference.dropconnect_backward(dout, cache)


def bn_centres_x_in_place(x, gamma, beta, bn_param):
    out, cache = reference.batchnorm_forward(x.copy(), gamma, beta, bn_param)
    if bn_param["mode"] == "train":
        x -= x.mean(axis=0)
    return out, cache


def bn_returns_cache_first(x, gamma, beta, bn_param):
    out, cache = reference.batchnorm_forward(x, gamma, beta, bn_param)
    return cache, out


def bn_running_stats_keepdims(x, gamma, beta, bn_param):
    out, cache = reference.batchnorm_forward(x, gamma, beta, bn_param)
    if bn_param["mode"] == "train":
        bn_param["running_mean"] = bn_param["running_mean"].reshape(1, -1)
        bn_param["running_var"] = bn_param["running_var"].reshape(1, -1)
    return out, cache


def bn_default_momentum_099(x, gamma, beta, bn_param):
    bn_param.setdefault("momentum", 0.99)
    return reference.batchnorm_forward(x, gamma, beta, bn_param)


def bn_ignores_given_eps(x, gamma, beta, bn_param):
    return reference.batchnorm_forward(x, gamma, beta, _WithoutKey(bn_param, "eps"))


def bn_ignores_given_momentum(x, gamma, beta, bn_param):
    return reference.batchnorm_forward(x, gamma, beta, _WithoutKey(bn_param, "momentum"))


class _WithoutKey(dict):
    """bn_param as the student reads it, one key unseen; running statistics still written back."""

    def __init__(self, param, hidden):
        super().__init__((key, value) for key, value in param.items() if key != hidden)
        self.param = param

    def __setitem__(self, key, value):
        super().__setitem__(key, value)
        self.param[key] = value


def bn_backward_scales_dout_in_place(dout, cache):
    x_hat, gamma, inv_std = cache
    dbeta, dgamma = dout.sum(axis=0), np.sum(dout * x_hat, axis=0)
    dout *= gamma
    n = dout.shape[0]
    dx = (inv_std / n) * (n * dout - dout.sum(axis=0) - x_hat * np.sum(dout * x_hat, axis=0))
    return dx, dgamma, dbeta


def bn_backward_dgamma_keepdims(dout, cache):
    dx, dgamma, dbeta = reference.batchnorm_backward(dout, cache)
    return dx, dgamma.reshape(1, -1), dbeta


_LAST_BN = {}


def bn_forward_global(x, gamma, beta, bn_param):
    out, cache = reference.batchnorm_forward(x, gamma, beta, bn_param)
    _LAST_BN["cache"] = cache
    return out, cache


def bn_backward_global(dout, cache):
    return reference.batchnorm_backward(dout, _LAST_BN["cache"])


def sd_adds_into_x(x, w, b, sd_param):
    out, cache = reference.stochastic_depth_forward(x.copy(), w, b, sd_param)
    x += out - x
    return x, cache


def sd_pops_the_seed(x, w, b, sd_param):
    seed = sd_param.pop("seed", None)
    return reference.stochastic_depth_forward(x, w, b, {**sd_param, "seed": seed})


def sd_returns_cache_first(x, w, b, sd_param):
    out, cache = reference.stochastic_depth_forward(x, w, b, sd_param)
    return cache, out


def sd_fixed_default_seed(x, w, b, sd_param):
    return reference.stochastic_depth_forward(x, w, b, {**sd_param, "seed": sd_param.get("seed", 0)})


def sd_backward_gates_dout_in_place(dout, cache):
    x, w, pre_activation, gate = cache
    dx_skip = dout.copy()
    dout *= gate[:, None] * (pre_activation > 0)
    return dx_skip + dout @ w.T, x.T @ dout, dout.sum(axis=0)


def sd_backward_db_keepdims(dout, cache):
    dx, dw, db = reference.stochastic_depth_backward(dout, cache)
    return dx, dw, db.reshape(1, -1)


def polyak_forgets_the_first_return(w_avg, w, decay=0.995):
    if w_avg is not None:
        return reference.polyak_update(w_avg, w, decay)


def polyak_per_row_list(w_avg, w, decay=0.995):
    if w_avg is None:
        return w.copy()
    return [decay * old + (1 - decay) * new for old, new in zip(w_avg, w)]


def ensemble_divides_stacked_in_place(probabilities):
    stacked = np.asarray(probabilities)
    stacked /= len(stacked)
    mean = stacked.sum(axis=0)
    return mean, np.argmax(mean, axis=1)


def ensemble_sums_into_first_model(probabilities):
    total = probabilities[0]
    for probs in probabilities[1:]:
        total += probs
    mean = total / len(probabilities)
    return mean, np.argmax(mean, axis=1)


def ensemble_appends_the_mean(probabilities):
    mean = np.mean(np.stack(probabilities), axis=0)
    probabilities.append(mean)
    return mean, np.argmax(mean, axis=1)


def ensemble_mean_keepdims(probabilities):
    mean = np.mean(np.stack([np.asarray(p) for p in probabilities]), axis=0, keepdims=True)
    return mean, np.argmax(mean[0], axis=1)


def ensemble_one_hot_labels(probabilities):
    mean, labels = reference.ensemble_predict(probabilities)
    return mean, np.eye(mean.shape[1], dtype=int)[labels]


BUGS.update({
    "l2_gradient_aliases_w": ("l2_penalty", l2_gradient_aliases_w, "the input w was modified in place"),
    "l2_loss_not_summed": ("l2_penalty", l2_loss_not_summed, "the loss should be a number, got ndarray"),
    "l1_subgradient_one_at_zero": ("l1_penalty", l1_subgradient_one_at_zero, "subgradient"),
    "dropout_pops_the_seed": ("dropout_forward", dropout_pops_the_seed, 'dropout_param["seed"] was changed'),
    "dropout_returns_cache_first": ("dropout_forward", dropout_returns_cache_first, "out should be a numpy array"),
    "dropout_mask_per_example": ("dropout_forward", dropout_mask_per_example, "whole examples"),
    "dropout_fixed_seed_when_seeded": ("dropout_forward", dropout_fixed_seed_when_seeded,
                                       "two different seeds gave the same mask"),
    "dropout_backward_in_place": ("dropout_backward", (dropout_backward_in_place, reference.dropout_forward),
                                  "the input dout was modified in place"),
    "dropout_backward_flattens": ("dropout_backward", (dropout_backward_flattens, reference.dropout_forward),
                                  "dx should have shape"),
    "dropout_backward_forgets_test_mode": ("dropout_backward",
                                           (dropout_backward_forgets_test_mode, reference.dropout_forward),
                                           "dx in test mode should be a numpy array"),
    "dropout_global_state": ("dropout_backward", (dropout_backward_global, dropout_forward_global),
                             "reuse the mask from the cache"),
    "dropconnect_pops_the_seed": ("dropconnect_forward", dropconnect_pops_the_seed, 'param["seed"] was changed'),
    "dropconnect_returns_cache_first": ("dropconnect_forward", dropconnect_returns_cache_first,
                                        "out should be a numpy array"),
    "dropconnect_in_float32": ("dropconnect_forward", dropconnect_in_float32, "for one weight matrix W'"),
    "dropconnect_drop_probability_as_keep": ("dropconnect_forward", dropconnect_drop_probability_as_keep,
                                             "probability of KEEPING a weight"),
    "dropconnect_ignores_seed": ("dropconnect_forward", dropconnect_ignores_seed, "same param['seed']"),
    "dropconnect_fixed_seed_when_seeded": ("dropconnect_forward", dropconnect_fixed_seed_when_seeded,
                                           "two different seeds gave the same mask"),
    "dropconnect_backward_scales_dout_in_place": ("dropconnect_backward", (dropconnect_backward_scales_dout_in_place,
                                                                           reference.dropconnect_forward),
                                                  "the input dout was modified in place"),
    "bn_centres_x_in_place": ("batchnorm_forward", bn_centres_x_in_place, "the input x was modified in place"),
    "bn_returns_cache_first": ("batchnorm_forward", bn_returns_cache_first, "out should be a numpy array"),
    "bn_running_stats_keepdims": ("batchnorm_forward", bn_running_stats_keepdims, "should have shape"),
    "bn_default_momentum_099": ("batchnorm_forward", bn_default_momentum_099, "default momentum=0.9"),
    "bn_ignores_given_eps": ("batchnorm_forward", bn_ignores_given_eps, "training step 1"),
    "bn_ignores_given_momentum": ("batchnorm_forward", bn_ignores_given_momentum, "training step 1 (momentum="),
    "bn_backward_scales_dout_in_place": ("batchnorm_backward", (bn_backward_scales_dout_in_place,
                                                                reference.batchnorm_forward),
                                         "the input dout was modified in place"),
    "bn_backward_dgamma_keepdims": ("batchnorm_backward", (bn_backward_dgamma_keepdims, reference.batchnorm_forward),
                                    "dgamma should have shape"),
    "bn_global_state": ("batchnorm_backward", (bn_backward_global, bn_forward_global), ""),
    "sd_adds_into_x": ("stochastic_depth_forward", sd_adds_into_x, "the input x was modified in place"),
    "sd_pops_the_seed": ("stochastic_depth_forward", sd_pops_the_seed, 'sd_param["seed"] was changed'),
    "sd_returns_cache_first": ("stochastic_depth_forward", sd_returns_cache_first, "out should be a numpy array"),
    "sd_fixed_default_seed": ("stochastic_depth_forward", sd_fixed_default_seed, "without a seed"),
    "sd_backward_gates_dout_in_place": ("stochastic_depth_backward", (sd_backward_gates_dout_in_place,
                                                                      reference.stochastic_depth_forward),
                                        "the input dout was modified in place"),
    "sd_backward_db_keepdims": ("stochastic_depth_backward",
                                (sd_backward_db_keepdims, reference.stochastic_depth_forward), "db should have shape"),
    "polyak_forgets_the_first_return": ("polyak_update", polyak_forgets_the_first_return, "should be a numpy array"),
    "polyak_per_row_list": ("polyak_update", polyak_per_row_list, "the new average should be a numpy array"),
    "ensemble_divides_stacked_in_place": ("ensemble_predict", ensemble_divides_stacked_in_place,
                                          "the input probabilities was modified in place"),
    "ensemble_sums_into_first_model": ("ensemble_predict", ensemble_sums_into_first_model,
                                       "the input probabilities was modified in place"),
    "ensemble_appends_the_mean": ("ensemble_predict", ensemble_appends_the_mean,
                                  "the input probabilities was modified in place"),
    "ensemble_mean_keepdims": ("ensemble_predict", ensemble_mean_keepdims, "should have shape"),
    "ensemble_one_hot_labels": ("ensemble_predict", ensemble_one_hot_labels, "integer array of shape"),
})


def vanilla_dropout_test_scale_np_float64(x, dropout_param):
    if dropout_param["mode"] == "test":
        return x * np.float64(dropout_param["p"]), (dropout_param, None)
    return reference.vanilla_dropout_forward(x, dropout_param)


def dropout_backward_np_float64_scale(dout, cache):
    dropout_param, mask = cache
    if dropout_param["mode"] == "train":
        return dout * mask / np.float64(dropout_param["p"])
    return dout.copy()


def polyak_starts_with_a_float64_copy(w_avg, w, decay=0.995):
    return w.astype(np.float64) if w_avg is None else reference.polyak_update(w_avg, w, decay).astype(w.dtype)


def polyak_np_float64_decay(w_avg, w, decay=0.995):
    if w_avg is None:
        return w.copy()
    return np.float64(decay) * w_avg + (1 - np.float64(decay)) * w


DTYPE_SLIPS.update({
    "vanilla_dropout_test_scale_np_float64": ("vanilla_dropout_forward", vanilla_dropout_test_scale_np_float64,
                                              "out in test mode came back float64"),
    "dropout_backward_np_float64_scale": ("dropout_backward", (dropout_backward_np_float64_scale,
                                                               reference.dropout_forward), "dx came back float64"),
    "polyak_starts_with_a_float64_copy": ("polyak_update", polyak_starts_with_a_float64_copy,
                                          "the average started from w_avg=None came back float64"),
    "polyak_np_float64_decay": ("polyak_update", polyak_np_float64_decay, "the new average came back float64"),
})


# --- wrong answers each caught by one diagnostic branch or one probed input -----------------------

def l2_gradient_subgradient_at_zero(w, reg):
    loss, grad = reference.l2_penalty(w, reg)
    # L1's subgradient carried over to L2, whose gradient at 0 is exactly 0.
    grad[w == 0] = reg
    return loss, grad


def l1_loss_with_l2_half(w, reg):
    return 0.5 * reg * float(np.sum(np.abs(w))), reg * np.sign(w)


def l2_loss_as_one_by_one_matrix(w, reg):
    flat = w.reshape(1, -1)
    return 0.5 * reg * (flat @ flat.T), reg * w


def elastic_net_one_sided_subgradient(w, reg, beta=0.5):
    return (reg * float(np.sum(beta * w * w + np.abs(w))),
            reg * (2 * beta * w + np.where(w >= 0, 1.0, -1.0)).astype(w.dtype))


def vanilla_dropout_multiplies_by_p_in_training(x, dropout_param):
    p = dropout_param["p"]
    if dropout_param["mode"] == "train":
        mask = _mask(x.shape, dropout_param)
        return x * mask * p, (dropout_param, mask)
    return x * p, (dropout_param, None)


def dropconnect_divides_by_drop_probability(x, w, b, param):
    if param["mode"] != "train":
        return reference.dropconnect_forward(x, w, b, param)
    mask = _mask(w.shape, param)
    return x.reshape(x.shape[0], -1) @ (w * mask / (1 - param["p"])) + b, (x, w, b, param, mask)


def bn_test_mode_without_eps(x, gamma, beta, bn_param):
    if bn_param["mode"] == "test":
        out = gamma * (x - bn_param["running_mean"]) / np.sqrt(bn_param["running_var"]) + beta
        return out, None
    return reference.batchnorm_forward(x, gamma, beta, bn_param)


def bn_momentum_swapped_once_running(x, gamma, beta, bn_param):
    """Starts the running statistics right, then swaps momentum when updating stored ones."""
    out, cache = reference.batchnorm_forward(x, gamma, beta, dict(bn_param))
    if bn_param["mode"] == "train":
        momentum = bn_param.get("momentum", 0.9)
        mean, var = x.mean(axis=0), x.var(axis=0)
        if "running_mean" in bn_param:
            bn_param["running_mean"] = (1 - momentum) * bn_param["running_mean"] + momentum * mean
            bn_param["running_var"] = (1 - momentum) * bn_param["running_var"] + momentum * var
        else:
            bn_param["running_mean"], bn_param["running_var"] = (1 - momentum) * mean, (1 - momentum) * var
    return out, cache


BUGS.update({
    "l1_loss_with_l2_half": ("l1_penalty", l1_loss_with_l2_half, "(it is 0.5 times the expected value)"),
    "vanilla_dropout_multiplies_by_p_in_training": ("vanilla_dropout_forward",
                                                    vanilla_dropout_multiplies_by_p_in_training,
                                                    "multiplied by exactly 1 (no scaling) in training mode"),
    "dropconnect_divides_by_drop_probability": ("dropconnect_forward", dropconnect_divides_by_drop_probability,
                                                "kept weights were divided by 1 - p"),
    "bn_test_mode_without_eps": ("batchnorm_forward", bn_test_mode_without_eps,
                                 "test mode also adds eps to the running variance"),
})
NEAR_MISSES.update({
    "l2_gradient_subgradient_at_zero": ("l2_penalty", l2_gradient_subgradient_at_zero,
                                        "at w = 0 the gradient should be a subgradient"),
    "bn_momentum_swapped_once_running": ("batchnorm_forward", bn_momentum_swapped_once_running,
                                         "(momentum weights the OLD value)"),
})
EQUIVALENTS.update({
    "l2_loss_as_one_by_one_matrix": ("l2_penalty", l2_loss_as_one_by_one_matrix),
    "elastic_net_one_sided_subgradient": ("elastic_net_penalty", elastic_net_one_sided_subgradient),
})
