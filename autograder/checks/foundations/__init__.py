"""Hidden checks of 00 Foundations.

Each activation is checked as a forward/backward pair: the backward pass gets the cache of the
student's own forward pass, so any cache layout passes (the output for sigmoid, x and alpha for
leaky ReLU, ...). Inputs reach |x| = 800, where a formula that overflows exp() gives NaN.
Initializations are random, so they are checked by statistics of tens of thousands of draws (zero
mean, variance within six standard errors) and by reproducibility from the rng argument: normal
and uniform draws with the right variance both pass. PCA whitening is compared up to the sign of
each component; a covariance over N or N - 1 and epsilon inside or outside the square root all
pass. Searches are checked through an objective that records its calls.

Dtype policy: the course's (``_common``). Every value is compared in float64, so a right value in
a wider float keeps its points; the initializations must return float64 weights, as the contract
says.
"""
import copy
import math

import numpy as np

from autograder.checks._common import (
    assert_array,
    assert_unchanged,
    call,
    fail,
    fresh_rng,
    passed,
    scaled_error,
    snapshot,
)
from autograder.reference import foundations as reference

RTOL = 1e-9
# Preprocessing allows a covariance over N - 1 and other placements of epsilon.
PREPROCESSING_RTOL = 2e-3
SIGMAS = 6.0
EXTREME_X = np.array([-800.0, -60.0, -1.5, -1e-4, 1e-4, 1.5, 60.0, 800.0])


def _close(actual, expected, rtol=RTOL):
    return scaled_error(actual, expected) <= rtol


def _unpack(name, result, count, what):
    if not (isinstance(result, (tuple, list)) and len(result) == count):
        fail(name, f"should return a tuple {what}, got {type(result).__name__}")
    return tuple(result)


def _quiet_call(name, function, *args, **kwargs):
    """``call`` with numpy's overflow warnings silenced (the values are what is checked)."""
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        return call(name, function, *args, **kwargs)


def _number(name, value, what):
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        fail(name, f"{what} should be a number, got {type(value).__name__}")
    return float(value)


# --- activations ---------------------------------------------------------------------------------

ACTIVATIONS = {
    "sigmoid": dict(formula="1 / (1 + exp(-x))", derivative="s * (1 - s) with s = sigmoid(x)",
                    alphas=None),
    "tanh": dict(formula="tanh(x)", derivative="1 - tanh(x)**2", alphas=None),
    "leaky_relu": dict(formula="x where x > 0, alpha * x elsewhere", derivative="1 where x > 0, alpha elsewhere",
                       alphas=(0.01, (0.05, 0.3))),
    "elu": dict(formula="x where x > 0, alpha * (exp(x) - 1) elsewhere",
                derivative="1 where x > 0, alpha * exp(x) elsewhere", alphas=(1.0, (0.2, 0.6))),
}


def _activation_inputs(rng):
    """Inputs of several shapes with no exact zeros, some far out in the tails."""
    cases = []
    for shape in [(40, 30), (17,), (4, 5, 6)]:
        x = rng.normal(scale=3.0, size=shape)
        x[np.abs(x) < 1e-6] = 0.5
        cases.append(x)
    return cases


def _activation_forward(name, forward, x, kwargs):
    x_before = x.copy()
    out, cache = _unpack(name, _quiet_call(name, forward, x, **kwargs), 2, "(out, cache) from the forward pass")
    assert_unchanged(name, [("x", x_before, x)])
    return out, cache


def _check_activation(name, forward, backward, seed):
    rng, seed = fresh_rng(seed)
    spec = ACTIVATIONS[name]
    ref_forward, ref_backward = getattr(reference, f"{name}_forward"), getattr(reference, f"{name}_backward")
    settings = [({}, "")]
    if spec["alphas"]:
        default, (low, high) = spec["alphas"]
        alpha = float(rng.uniform(low, high))
        settings = [({}, f"the default alpha={default}"), ({"alpha": alpha}, f"alpha={alpha:.4g}")]
    count = 0
    for kwargs, text in settings:
        for x in _activation_inputs(rng):
            where = f"x of shape {x.shape}" + (f" and {text}" if spec["alphas"] else "")
            out, cache = _activation_forward(name, forward, x, kwargs)
            assert_array(name, out, x.shape, "out")
            expected, ref_cache = ref_forward(x, **kwargs)
            if not _close(out, expected):
                if kwargs and _close(out, ref_forward(x)[0]):
                    fail(name, f"the forward pass ignores its alpha argument ({where})")
                fail(name, f"out differs from {spec['formula']} ({where})")
            # Another forward pass before the backward one: the backward pass must use its own cache.
            other = rng.normal(scale=3.0, size=x.shape)
            _, other_cache = _activation_forward(name, forward, other, kwargs)
            dout = rng.normal(size=x.shape)
            dout_before = dout.copy()
            dx = _quiet_call(name, backward, dout, cache)
            assert_unchanged(name, [("dout", dout_before, dout)])
            assert_array(name, dx, x.shape, "dx")
            expected_dx = ref_backward(dout, ref_cache)
            if not _close(dx, expected_dx):
                if _close(dx, ref_backward(np.ones_like(dout), ref_cache)):
                    fail(name, f"dx is the local derivative alone: multiply it by dout (chain rule) ({where})")
                if _close(dx, ref_backward(dout, ref_forward(other, **kwargs)[1])):
                    fail(name, "the backward pass used the values of the latest forward pass instead of the cache "
                               "it was given: keep everything it needs in the cache (no global variables)")
                if kwargs and _close(dx, ref_backward(dout, ref_forward(x)[1])):
                    fail(name, f"the backward pass ignores alpha ({where}): store alpha in the cache")
                fail(name, f"dx differs from dout * ({spec['derivative']}) ({where})")
            count += 1
    out, cache = _activation_forward(name, forward, EXTREME_X, {})
    expected, ref_cache = ref_forward(EXTREME_X)
    if not _close(out, expected):
        if not np.all(np.isfinite(np.asarray(out, dtype=np.float64))):
            fail(name, "out has NaN or inf for inputs as large as |x| = 800: exp() overflowed; rewrite the "
                       "formula so that exp() only sees values <= 0 (or use np.tanh)")
        fail(name, f"out differs from {spec['formula']} for inputs as large as |x| = 800")
    dout = rng.normal(size=EXTREME_X.shape)
    if not _close(_quiet_call(name, backward, dout, cache), ref_backward(dout, ref_cache)):
        fail(name, "dx has NaN or is wrong for inputs as large as |x| = 800: exp() overflowed?")
    passed(name, count + 1, seed)


def check_sigmoid(sigmoid_forward, sigmoid_backward, seed=None):
    """Check ``sigmoid_forward(x) -> (out, cache)`` and ``sigmoid_backward(dout, cache) -> dx``."""
    _check_activation("sigmoid", sigmoid_forward, sigmoid_backward, seed)


def check_tanh(tanh_forward, tanh_backward, seed=None):
    """Check ``tanh_forward(x) -> (out, cache)`` and ``tanh_backward(dout, cache) -> dx``."""
    _check_activation("tanh", tanh_forward, tanh_backward, seed)


def check_leaky_relu(leaky_relu_forward, leaky_relu_backward, seed=None):
    """Check ``leaky_relu_forward(x, alpha=0.01) -> (out, cache)`` and ``leaky_relu_backward(dout, cache)``."""
    _check_activation("leaky_relu", leaky_relu_forward, leaky_relu_backward, seed)


def check_elu(elu_forward, elu_backward, seed=None):
    """Check ``elu_forward(x, alpha=1.0) -> (out, cache)`` and ``elu_backward(dout, cache) -> dx``."""
    _check_activation("elu", elu_forward, elu_backward, seed)


def check_prelu(prelu_forward, prelu_backward, seed=None):
    """Check ``prelu_forward(x, alpha) -> (out, cache)`` and ``prelu_backward(dout, cache) -> (dx, dalpha)``."""
    name = "prelu"
    rng, seed = fresh_rng(seed)
    for num_examples, num_features in [(30, 6), (1, 4), (50, 11)]:
        x = rng.normal(scale=2.0, size=(num_examples, num_features))
        alpha = rng.uniform(0.05, 0.6, size=num_features)
        x_before, alpha_before = snapshot(x, alpha)
        out, cache = _unpack(name, call(name, prelu_forward, x, alpha), 2, "(out, cache) from prelu_forward")
        assert_unchanged(name, [("x", x_before, x), ("alpha", alpha_before, alpha)])
        assert_array(name, out, x.shape, "out")
        expected, ref_cache = reference.prelu_forward(x, alpha)
        if not _close(out, expected):
            if _close(out, reference.prelu_forward(x, np.full_like(alpha, alpha.mean()))[0]):
                fail(name, "every feature used the same slope: alpha has one slope per feature (column of x)")
            fail(name, f"out differs from x where x > 0, alpha * x elsewhere, with alpha[j] the slope of feature j "
                       f"(x of shape {x.shape})")
        call(name, prelu_forward, rng.normal(size=x.shape), rng.uniform(0.05, 0.6, size=num_features))
        dout = rng.normal(size=x.shape)
        dout_before = dout.copy()
        dx, dalpha = _unpack(name, call(name, prelu_backward, dout, cache), 2, "(dx, dalpha)")
        assert_unchanged(name, [("dout", dout_before, dout)])
        assert_array(name, dx, x.shape, "dx")
        assert_array(name, dalpha, alpha.shape, "dalpha (one gradient per slope, summed over the examples)")
        expected_dx, expected_dalpha = reference.prelu_backward(dout, ref_cache)
        if not _close(dx, expected_dx):
            fail(name, "dx differs from dout where x > 0 and alpha * dout elsewhere")
        if not _close(dalpha, expected_dalpha):
            if _close(dalpha, np.sum(dout * x, axis=0)):
                fail(name, "dalpha took every example: the slope only acts where x <= 0, so sum dout * x over "
                           "those entries only")
            if _close(dalpha, np.sum(dout * expected * (x <= 0), axis=0)):
                fail(name, "dalpha used the output alpha * x instead of x: d(alpha * x)/d(alpha) = x")
            fail(name, "dalpha differs from the sum over the examples of dout * x where x <= 0")
    passed(name, 3, seed)


def check_maxout(maxout_forward, maxout_backward, seed=None):
    """Check ``maxout_forward(x, w1, b1, w2, b2) -> (out, cache)`` and ``maxout_backward(dout, cache)``."""
    name = "maxout"
    rng, seed = fresh_rng(seed)
    for num_examples, num_inputs, num_outputs in [(25, 7, 6), (1, 3, 4), (40, 5, 9)]:
        x = rng.normal(size=(num_examples, num_inputs))
        params = [rng.normal(size=(num_inputs, num_outputs)), rng.normal(size=num_outputs),
                  rng.normal(size=(num_inputs, num_outputs)), rng.normal(size=num_outputs)]
        before = snapshot(x, *params)
        out, cache = _unpack(name, call(name, maxout_forward, x, *params), 2, "(out, cache) from maxout_forward")
        assert_unchanged(name, zip(["x", "w1", "b1", "w2", "b2"], before, [x, *params]))
        assert_array(name, out, (num_examples, num_outputs), "out")
        expected, ref_cache = reference.maxout_forward(x, *params)
        if not _close(out, expected):
            fail(name, "out differs from np.maximum(x @ w1 + b1, x @ w2 + b2), the larger of the two affine "
                       "pieces for each unit")
        call(name, maxout_forward, rng.normal(size=x.shape), *params)
        dout = rng.normal(size=out.shape)
        dout_before = dout.copy()
        grads = _unpack(name, call(name, maxout_backward, dout, cache), 5, "(dx, dw1, db1, dw2, db2)")
        assert_unchanged(name, [("dout", dout_before, dout)])
        labels = ["dx", "dw1", "db1", "dw2", "db2"]
        for grad, like, label in zip(grads, [x, *params], labels):
            assert_array(name, grad, like.shape, label)
        expected_grads = reference.maxout_backward(dout, ref_cache)
        for grad, expected_grad, label in zip(grads, expected_grads, labels):
            if not _close(grad, expected_grad):
                if label == "dw1" and _close(grad, x.T @ dout):
                    fail(name, "dw1 got the gradient of every unit: only the piece that won the max gets it, "
                               "the other piece's gradient is 0 there")
                fail(name, f"{label} differs from the gradient of the max: dout flows only into the piece that "
                           "was larger in the forward pass")
    passed(name, 3, seed)


# --- initialization ------------------------------------------------------------------------------

def _check_init(name, student, factor, rule, seed):
    """Check an initializer whose variance is ``factor / fan_in``."""
    rng, seed = fresh_rng(seed)
    for fan_in, fan_out in [(400, 150), (60, 700), (1, 3), (5, 1)]:
        draw_seed = int(rng.integers(2**31 - 1))
        w = call(name, student, fan_in, fan_out, np.random.default_rng(draw_seed))
        assert_array(name, w, (fan_in, fan_out), f"W for fan_in={fan_in}, fan_out={fan_out}")
        if w.dtype != np.float64:
            fail(name, f"W should be float64, got {w.dtype}")
        again = call(name, student, fan_in, fan_out, np.random.default_rng(draw_seed))
        if not np.array_equal(w, again):
            fail(name, "two generators with the same seed gave different weights: draw every number from the rng "
                       "argument (rng.standard_normal, rng.normal or rng.uniform), not from np.random")
        other = call(name, student, fan_in, fan_out, np.random.default_rng(draw_seed + 1))
        if fan_in * fan_out > 1 and np.array_equal(w, other):
            fail(name, "generators with different seeds gave the same weights: draw from the rng argument")
        count = w.size
        if count < 1000:
            continue
        if len(np.unique(w)) < count // 2:
            fail(name, "the weights should be independent random draws, one per entry")
        expected_variance = factor / fan_in
        mean, variance = float(w.mean()), float(np.mean(w**2))
        if abs(mean) > SIGMAS * math.sqrt(expected_variance / count):
            fail(name, f"the weights should have mean 0, got {mean:.3g} (fan_in={fan_in}, fan_out={fan_out})")
        if abs(variance / expected_variance - 1) > SIGMAS * math.sqrt(2.0 / count):
            candidates = {
                "1 / fan_in (Xavier)": 1 / fan_in, "2 / fan_in (He)": 2 / fan_in, "1 / fan_out": 1 / fan_out,
                "2 / fan_out": 2 / fan_out, "2 / (fan_in + fan_out)": 2 / (fan_in + fan_out),
                f"({factor:g} / fan_in)**2: the standard deviation and the variance were mixed up":
                    (factor / fan_in) ** 2, "1 (no scaling)": 1.0,
            }
            found = [text for text, value in candidates.items()
                     if abs(variance / value - 1) <= SIGMAS * math.sqrt(2.0 / count)]
            hint = f", about {found[0]}" if found else ""
            fail(name, f"the variance of the weights is {variance:.4g}{hint}; {rule} (fan_in={fan_in}, "
                       f"fan_out={fan_out}: expected {expected_variance:.4g})")
    passed(name, 4, seed)


def check_xavier_init(xavier_init, seed=None):
    """Check ``xavier_init(fan_in, fan_out, rng) -> W``: variance 1 / fan_in."""
    _check_init("xavier_init", xavier_init, 1.0,
                "Xavier initialization has variance 1 / fan_in, e.g. rng.standard_normal(...) / sqrt(fan_in)", seed)


def check_he_init(he_init, seed=None):
    """Check ``he_init(fan_in, fan_out, rng) -> W``: variance 2 / fan_in."""
    _check_init("he_init", he_init, 2.0,
                "He initialization has variance 2 / fan_in, e.g. rng.standard_normal(...) * sqrt(2 / fan_in)", seed)


# --- preprocessing -------------------------------------------------------------------------------

def _correlated_data(rng, num_examples, num_features, offset=0.0):
    """Features with different means and scales, correlated, with distinct covariance eigenvalues."""
    basis, _ = np.linalg.qr(rng.normal(size=(num_features, num_features)))
    scales = 6.0 * 0.5 ** np.arange(num_features)
    means = rng.uniform(-20, 20, size=num_features)
    return means + offset + (rng.normal(size=(num_examples, num_features)) * scales) @ basis.T


def _align_signs(actual, expected):
    """``actual`` with each column's sign flipped where that brings it closer to ``expected``."""
    actual = np.asarray(actual, dtype=np.float64)
    if actual.shape != expected.shape:
        return actual
    signs = np.where(np.sum(actual * expected, axis=0) < 0, -1.0, 1.0)
    return actual * signs


def _accepted(mode, X_train, X, epsilon):
    """Outputs of every accepted formulation: covariance over N or N - 1, epsilon placements."""
    mean = X_train.mean(axis=0)
    outputs = []
    for ddof in (0, 1):
        if mode == "center":
            outputs.append(X - mean)
        elif mode == "standardize":
            std = X_train.std(axis=0, ddof=ddof)
            outputs += [(X - mean) / (std + epsilon), (X - mean) / np.sqrt(std**2 + epsilon),
                        (X - mean) / np.maximum(std, epsilon)]
        else:
            centred = X_train - mean
            eigenvalues, eigenvectors = np.linalg.eigh(centred.T @ centred / (len(X_train) - ddof))
            order = np.argsort(eigenvalues)[::-1]
            eigenvalues, rotated = np.clip(eigenvalues[order], 0, None), (X - mean) @ eigenvectors[:, order]
            outputs += [rotated / np.sqrt(eigenvalues + epsilon), rotated / (np.sqrt(eigenvalues) + epsilon)]
    return outputs


def _diagnose_preprocessing(name, mode, out, X_train, X, epsilon):
    out = np.asarray(out, dtype=np.float64)
    if not np.all(np.isfinite(out)):
        fail(name, f'mode "{mode}": the output has NaN or inf where a feature has zero variance (or the '
                   "covariance a zero eigenvalue): that is what epsilon is for")
    centred = X_train - X_train.mean(axis=0)
    flat = np.std(X_train, axis=0) < 1e-8 if mode == "standardize" else \
        np.linalg.eigvalsh(centred.T @ centred / len(X_train))[::-1] < 1e-8 if mode == "whiten" else \
        np.zeros(X.shape[1], dtype=bool)
    if out.shape == X.shape and np.any(flat) and np.max(np.abs(out[:, flat])) > 1e-3:
        fail(name, f'mode "{mode}": where a feature has (almost) zero variance, or the covariance a zero '
                   "eigenvalue, the output should stay near 0 instead of blowing up: that is what epsilon is for")
    refit = reference.apply_preprocessing(X, reference.fit_preprocessing(X, mode, epsilon))
    if _close(_align_signs(out, refit), refit, PREPROCESSING_RTOL):
        fail(name, f'mode "{mode}": apply_preprocessing recomputed the statistics from the data it was given; '
                   "compute them once from X_train in fit_preprocessing and only apply them here (refitting on "
                   "validation or test data leaks them into the model)")
    mean = X_train.mean(axis=0)
    if mode == "standardize" and _close(out, (X - mean) / X_train.std(), PREPROCESSING_RTOL):
        fail(name, 'mode "standardize": each feature is divided by its own standard deviation (axis=0), not by '
                   "one number for the whole array")
    if mode == "whiten":
        centred = X_train - mean
        eigenvalues, eigenvectors = np.linalg.eigh(centred.T @ centred / len(X_train))
        order = np.argsort(eigenvalues)[::-1]
        expected = _accepted(mode, X_train, X, epsilon)[0]
        if _close(_align_signs(out, expected[:, ::-1]), expected[:, ::-1], PREPROCESSING_RTOL):
            fail(name, 'mode "whiten": the components are in increasing order of variance (np.linalg.eigh returns '
                       "increasing eigenvalues); put them in decreasing order")
        rotated = (X - mean) @ eigenvectors[:, order]
        if _close(_align_signs(out, rotated), rotated, PREPROCESSING_RTOL):
            fail(name, 'mode "whiten": the data was rotated onto the eigenvectors but not scaled: divide each '
                       "component by sqrt(eigenvalue + epsilon)")
        if out.shape == expected.shape and _close(out @ eigenvectors[:, order], expected, PREPROCESSING_RTOL):
            fail(name, 'mode "whiten": the whitened data was rotated back to the original axes (ZCA); PCA '
                       "whitening keeps the principal components as the new features")
    fail(name, f'mode "{mode}": the output differs from the expected one for data other than X_train')


def _check_transform(name, fit, apply, mode, X_train, X, epsilon=None):
    """Fit on X_train, apply to X_train and X, compare with every accepted formulation."""
    kwargs = {} if epsilon is None else {"epsilon": epsilon}
    train_before, other_before = snapshot(X_train, X)
    stats = call(name, fit, X_train, mode, **kwargs)
    stats_before = copy.deepcopy(stats)
    assert_unchanged(name, [("X_train", train_before, X_train)])
    for data in (X, X_train):
        out = _quiet_call(name, apply, data, stats)
        assert_unchanged(name, [("X", other_before if data is X else train_before, data)])
        assert_array(name, out, data.shape, f'the output of mode "{mode}"')
        accepted = _accepted(mode, X_train, data, 1e-5 if epsilon is None else epsilon)
        if not any(_close(_align_signs(out, expected), expected, PREPROCESSING_RTOL) for expected in accepted):
            _diagnose_preprocessing(name, mode, out, X_train, data, 1e-5 if epsilon is None else epsilon)
    try:
        unchanged = all(np.array_equal(stats_before[k], stats[k]) for k in stats_before) \
            if isinstance(stats, dict) else True
    except Exception:  # noqa: BLE001 - stats the check cannot compare are the student's business
        unchanged = True
    if not unchanged:
        fail(name, "apply_preprocessing modified the statistics it was given")


def check_preprocessing(fit_preprocessing, apply_preprocessing, seed=None):
    """Check ``fit_preprocessing(X_train, mode, epsilon=1e-5) -> stats`` and ``apply_preprocessing(X, stats)``."""
    name = "preprocessing"
    rng, seed = fresh_rng(seed)
    count = 0
    for mode in reference.PREPROCESSING_MODES:
        X_train = _correlated_data(rng, 3000, 5)
        X_other = _correlated_data(rng, 300, 5, offset=1.5) if mode == "center" else \
            X_train[:300] * rng.uniform(0.5, 2.0) + rng.uniform(1.0, 3.0)
        _check_transform(name, fit_preprocessing, apply_preprocessing, mode, X_train, X_other)
        count += 1
        degenerate = _correlated_data(rng, 500, 4)
        degenerate = np.column_stack([degenerate, np.full(500, 3.7), degenerate[:, 0] + degenerate[:, 1]])
        # Apply to rows of the same subspace: off it, zero-variance directions are arbitrary.
        _check_transform(name, fit_preprocessing, apply_preprocessing, mode, degenerate, degenerate[::5])
        count += 1
    for mode in ("standardize", "whiten"):
        X_train = _correlated_data(rng, 2000, 4)
        _check_transform(name, fit_preprocessing, apply_preprocessing, mode, X_train, X_train[:200] * 1.3,
                         epsilon=float(rng.uniform(0.05, 0.2)))
        count += 1
    try:
        fit_preprocessing(_correlated_data(rng, 50, 3), "zca")
    except ValueError:
        pass
    except Exception as error:  # noqa: BLE001 - the wrong kind of error is a failed check
        fail(name, f'an unknown mode should raise ValueError, got {type(error).__name__}: {error}')
    else:
        fail(name, 'fit_preprocessing accepted the unknown mode "zca": raise ValueError for anything but '
                   '"center", "standardize" and "whiten"')
    passed(name, count + 1, seed)


# --- babysitting ---------------------------------------------------------------------------------

def check_update_ratio(update_ratio, seed=None):
    """Check ``update_ratio(w_before, w_after) -> float``."""
    name = "update_ratio"
    rng, seed = fresh_rng(seed)
    cases = [((12, 9), 1e-3), ((30,), 0.3), ((3, 4, 5), 2e-2), ((20, 6), 0.8)]
    for shape, size in cases:
        w_before = rng.normal(size=shape)
        w_after = w_before + size * rng.normal(size=shape) * rng.uniform(0.2, 3.0, size=shape)
        before = snapshot(w_before, w_after)
        value = _number(name, call(name, update_ratio, w_before, w_after), "the ratio")
        assert_unchanged(name, zip(["w_before", "w_after"], before, [w_before, w_after]))
        expected = reference.update_ratio(w_before, w_after)
        if not (math.isfinite(value) and abs(value - expected) <= RTOL * expected):
            update, norm = w_after - w_before, np.linalg.norm
            variants = {
                "the ratio is inverted: the norm of the UPDATE goes on top": 1 / expected,
                "divide by the norm of the weights before the update (w_before)": norm(update) / norm(w_after),
                "use the norms themselves, not their squares": expected**2,
                "use the Euclidean norm over all entries (np.linalg.norm of the flattened arrays), not the sum "
                "of absolute values": np.abs(update).sum() / np.abs(w_before).sum(),
                "take the norm of the update w_after - w_before, not the difference of the two norms":
                    abs(norm(w_after) - norm(w_before)) / norm(w_before),
                "take the ratio of the two norms, not the mean of elementwise ratios":
                    float(np.mean(np.abs(update) / np.abs(w_before))),
            }
            if len(shape) == 2:
                variants["use the Euclidean (Frobenius) norm over all entries, not the matrix 2-norm"] = \
                    norm(update, 2) / norm(w_before, 2)
            for hint, variant in variants.items():
                if math.isfinite(value) and abs(value - variant) <= 1e-6 * abs(variant):
                    fail(name, f"{hint} (shape {shape}: got {value:.6g}, expected {expected:.6g})")
            fail(name, f"got {value:.6g}, expected ||w_after - w_before|| / ||w_before|| = {expected:.6g} "
                       f"(shape {shape})")
    passed(name, len(cases), seed)


def _grid_values(rng, length):
    """A sequence on a 0.05 grid, so that values repeat exactly and min_delta never ties."""
    return [round(float(v), 2) for v in np.round(rng.uniform(0.0, 1.0, size=length) * 20) / 20]


def _tracker_settings(rng):
    """(constructor arguments, values) pairs: defaults, both modes, min_delta, patience 1."""
    def walk():
        return [round(float(v), 2) for v in np.cumsum(rng.choice([0.05, 0.0, -0.05, 0.1], size=40)) + 1.0]

    return [
        ({"patience": int(rng.integers(2, 5))}, walk()),
        ({"patience": int(rng.integers(2, 5)), "mode": "max"}, _grid_values(rng, 40)),
        ({"patience": int(rng.integers(2, 5)), "min_delta": 0.07, "mode": "max"}, walk()),
        ({"patience": int(rng.integers(2, 5)), "mode": "min"}, [-v for v in walk()]),
        ({"patience": int(rng.integers(2, 5)), "min_delta": 0.07, "mode": "min"}, [-v for v in walk()]),
        ({"patience": 1, "mode": "max"}, _grid_values(rng, 20)),
    ]


def _run_tracker(name, session, kwargs, values, rng):
    """Feed ``values`` to one student tracker and the reference until the reference stops."""
    params = {"W": rng.normal(size=(3, 2)), "b": rng.normal(size=2)}
    step = call(name, session, kwargs, copy.deepcopy(params))
    expected = reference.EarlyStopping(**kwargs)
    arguments = ", ".join(f"{k}={v!r}" for k, v in kwargs.items())
    for epoch, value in enumerate(values):
        history = f"EarlyStopping({arguments}) after the values {values[:epoch + 1]}"
        update = {key: rng.normal(size=array.shape) for key, array in params.items()}
        result = _unpack(name, call(name, step, value, update), 4, "(stop, best_value, best_epoch, best_params)")
        stop, best_value, best_epoch, best_params = result
        expected_stop = expected.step(value, params)
        if not isinstance(stop, (bool, np.bool_)):
            fail(name, f"step should return True or False, got {type(stop).__name__}")
        if bool(stop) != expected_stop:
            fail(name, f"{history}: step returned {bool(stop)}, expected {expected_stop} (stop once the value has "
                       "not improved by more than min_delta for patience consecutive steps)")
        if best_value != expected.best_value:
            fail(name, f"{history}: best_value is {best_value!r}, expected {expected.best_value!r}")
        if best_epoch != expected.best_epoch:
            fail(name, f"{history}: best_epoch is {best_epoch!r}, expected {expected.best_epoch!r} (the first call "
                       "of step is epoch 0)")
        for key in params:
            params[key] = params[key] + update[key]
        if not (isinstance(best_params, dict) and best_params.keys() == params.keys()
                and all(np.array_equal(best_params[k], expected.best_params[k]) for k in params)):
            if isinstance(best_params, dict) and all(np.array_equal(best_params.get(k), params[k]) for k in params):
                fail(name, f"{history}: best_params changed when training went on: store a deep copy "
                           "(copy.deepcopy(params)), not the dict itself or a shallow copy")
            fail(name, f"{history}: best_params should be the params passed with the best value")
        if expected_stop:
            return
    fail(name, "internal error: the reference never stopped")


def check_early_stopping(early_stopping_session, seed=None):
    """Check the class ``EarlyStopping(patience, min_delta=0.0, mode="max")`` through a session.

    Objects stay in the student's kernel, so the hidden test cell wraps the class:
    ``early_stopping_session(kwargs, params)`` builds ``EarlyStopping(**kwargs)`` and returns
    ``step(value, update)``, which calls ``tracker.step(value, params)``, reads
    ``(stop, best_value, best_epoch, best_params)``, then adds ``update`` to the arrays of ``params``
    in place (as a training loop would) and returns what it read. A shallow copy in ``best_params``
    thus shows the update.
    """
    name = "early_stopping"
    rng, seed = fresh_rng(seed)
    settings = _tracker_settings(rng)
    for kwargs, values in settings:
        _run_tracker(name, early_stopping_session, kwargs, list(values) + [values[-1]] * 10, rng)
    first = call(name, early_stopping_session, {"patience": 3}, {"w": np.zeros(1)})
    second = call(name, early_stopping_session, {"patience": 3}, {"w": np.ones(1)})
    first_best = _unpack(name, call(name, first, 0.9, {"w": np.zeros(1)}), 4, "from step")[1]
    second_best = _unpack(name, call(name, second, 0.1, {"w": np.zeros(1)}), 4, "from step")[1]
    if first_best != 0.9 or second_best != 0.1:
        fail(name, "two trackers share their state: keep it on self (set in __init__), not on the class")
    passed(name, len(settings) + 1, seed)


# --- hyper-parameter search ----------------------------------------------------------------------

def _uniformity(u, bins=10):
    """Largest deviation of the bin fractions of ``u`` in [0, 1] from 1 / bins, and its tolerance."""
    counts = np.histogram(np.clip(u, 0, 1), bins=bins, range=(0, 1))[0]
    p = 1 / bins
    return float(np.max(np.abs(counts / len(u) - p))), SIGMAS * math.sqrt(p * (1 - p) / len(u))


def _check_scale(name, values, low, high, scale, what):
    """Fail unless ``values`` lie in [low, high] and are uniform on the given scale."""
    values = np.asarray(values, dtype=np.float64)
    if np.any(values < low * (1 - 1e-12)) or np.any(values > high * (1 + 1e-12)):
        fail(name, f"{what}: values outside [low, high] = [{low:.4g}, {high:.4g}] (from {values.min():.4g} to "
                   f"{values.max():.4g})")
    log_u = (np.log(values) - math.log(low)) / (math.log(high) - math.log(low)) if low > 0 else None
    linear_u = (values - low) / (high - low)
    deviation, tolerance = _uniformity(log_u if scale == "log" else linear_u)
    if deviation > tolerance:
        if scale == "log" and _uniformity(linear_u)[0] <= tolerance:
            fail(name, f"{what}: the values are uniform on [low, high]; on a log scale the EXPONENT is uniform: "
                       "exp(rng.uniform(log(low), log(high)))")
        if scale == "linear" and log_u is not None and _uniformity(log_u)[0] <= tolerance:
            fail(name, f"{what}: the values are log-uniform, but a \"linear\" dimension is uniform on [low, high]")
        fail(name, f"{what}: the values are not uniform on a {scale} scale between low and high")


def check_sample_log_uniform(sample_log_uniform, seed=None):
    """Check ``sample_log_uniform(low, high, size, rng) -> array (size,)``."""
    name = "sample_log_uniform"
    rng, seed = fresh_rng(seed)
    for _ in range(2):
        low = 10 ** float(rng.uniform(-6, -2))
        high = low * 10 ** float(rng.uniform(2, 5))
        draw_seed = int(rng.integers(2**31 - 1))
        samples = call(name, sample_log_uniform, low, high, 20000, np.random.default_rng(draw_seed))
        assert_array(name, samples, (20000,), "the samples")
        again = call(name, sample_log_uniform, low, high, 20000, np.random.default_rng(draw_seed))
        if not np.array_equal(samples, again):
            fail(name, "two generators with the same seed gave different samples: draw from the rng argument")
        other = call(name, sample_log_uniform, low, high, 20000, np.random.default_rng(draw_seed + 1))
        if np.array_equal(samples, other):
            fail(name, "generators with different seeds gave the same samples: draw from the rng argument")
        _check_scale(name, samples, low, high, "log", f"low={low:.3g}, high={high:.3g}")
    one = call(name, sample_log_uniform, 0.5, 2.0, 1, np.random.default_rng(0))
    assert_array(name, one, (1,), "the samples for size=1")
    passed(name, 3, seed)


class _RecordingObjective:
    """An objective that remembers every config it saw and scores it from a fixed random table."""

    def __init__(self, rng, score_of=None):
        self.calls, self.rng, self.score_of, self.table = [], rng, score_of, {}

    @staticmethod
    def key(config):
        return tuple(sorted((k, v if isinstance(v, str) else tuple(np.ravel(np.asarray(v, dtype=np.float64))))
                            for k, v in config.items()))

    def __call__(self, config):
        self.calls.append(dict(config))
        key = self.key(config)
        if key not in self.table:
            self.table[key] = float(self.score_of(config) if self.score_of else self.rng.uniform())
        return self.table[key]


def _check_results(name, results, objective, count, what):
    """``results`` is a list of ``count`` (config, score) pairs, best first, with the objective's scores."""
    if not isinstance(results, list):
        fail(name, f"should return a list of (config, score) pairs, got {type(results).__name__}")
    if len(results) != count:
        fail(name, f"{what}: should return {count} (config, score) pairs, one per evaluated config, got {len(results)}")
    for pair in results:
        config, score = _unpack(name, pair, 2, "(config, score) for every result")
        if not isinstance(config, dict):
            fail(name, f"each result's config should be a dict, got {type(config).__name__}")
        score = _number(name, score, "each score")
        key = objective.key(config)
        if key not in objective.table:
            fail(name, f"{what}: a returned config was never passed to the objective (was one dict reused and "
                       "modified for every trial? make a new dict per config)")
        if objective.table[key] != score:
            if len({objective.key(c) for c, _ in results}) < len(results):
                fail(name, f"{what}: several results hold the same config: make a new dict per config instead of "
                           "modifying one")
            fail(name, f"{what}: a config is paired with a score the objective did not give it: keep each config "
                       "with its own score when sorting")
    scores = [float(score) for _, score in results]
    if scores != sorted(scores, reverse=True):
        if scores == sorted(scores):
            fail(name, f"{what}: the results are worst first; return them best first (highest score first)")
        fail(name, f"{what}: the results should be sorted best first (highest score first)")


def check_grid_search(grid_search, seed=None):
    """Check ``grid_search(objective, grid) -> [(config, score)]`` best first."""
    name = "grid_search"
    rng, seed = fresh_rng(seed)
    grids = [
        {"learning_rate": list(10 ** rng.uniform(-4, -1, size=3)), "reg": list(rng.uniform(0, 1, size=4)),
         "activation": ["relu", "tanh"]},
        {"learning_rate": [float(rng.uniform())]},
        {"a": list(rng.uniform(size=5)), "b": [0.5]},
    ]
    for grid in grids:
        grid_before = copy.deepcopy(grid)
        objective = _RecordingObjective(rng)
        results = call(name, grid_search, objective, grid)
        if grid != grid_before:
            fail(name, "the grid was modified")
        count = int(np.prod([len(values) for values in grid.values()]))
        what = "with a grid of " + " x ".join(str(len(v)) for v in grid.values()) + " values"
        called = {objective.key(config) for config in objective.calls}
        if len(objective.calls) != count or len(called) != count:
            fail(name, f"{what}: every combination should be evaluated once ({count} calls of the objective), got "
                       f"{len(objective.calls)} calls with {len(called)} different configs (itertools.product "
                       "gives every combination)")
        if any(set(config) != set(grid) for config in objective.calls):
            fail(name, "every config should hold one value for each name of the grid")
        _check_results(name, results, objective, count, what)
    passed(name, len(grids), seed)


def _search_space(rng):
    return {
        "learning_rate": (10 ** float(rng.uniform(-6, -4)), 10 ** float(rng.uniform(-2, 0)), "log"),
        "reg": (10 ** float(rng.uniform(-5, -3)), 10 ** float(rng.uniform(0, 1)), "log"),
        "dropout": (float(rng.uniform(0.1, 0.3)), float(rng.uniform(0.7, 0.95)), "linear"),
    }


def check_random_search(random_search, seed=None):
    """Check ``random_search(objective, space, num_trials, rng) -> [(config, score)]`` best first."""
    name = "random_search"
    rng, seed = fresh_rng(seed)
    space = _search_space(rng)
    space_before = copy.deepcopy(space)
    num_trials = 1000
    draw_seed = int(rng.integers(2**31 - 1))
    objective = _RecordingObjective(rng)
    results = call(name, random_search, objective, space, num_trials, np.random.default_rng(draw_seed))
    if space != space_before:
        fail(name, "the space was modified")
    if len(objective.calls) != num_trials:
        fail(name, f"num_trials={num_trials} should call the objective {num_trials} times, got {len(objective.calls)}")
    for config in objective.calls:
        if set(config) != set(space):
            fail(name, f"every config should hold one value for each name of the space {sorted(space)}, got "
                       f"{sorted(config)}")
        for key, value in config.items():
            _number(name, value, f'config["{key}"]')
    if len({objective.key(config) for config in objective.calls}) < num_trials // 2:
        fail(name, "the trials repeat the same configs: draw a new config for every trial")
    positions = {}
    for key, (low, high, scale) in space.items():
        values = np.array([float(config[key]) for config in objective.calls])
        _check_scale(name, values, low, high, scale, f'"{key}" ({scale} scale)')
        positions[key] = np.log(values) if scale == "log" else values
    correlation = np.corrcoef(np.array(list(positions.values())))
    if np.max(np.abs(correlation - np.eye(len(space)))) > SIGMAS / math.sqrt(num_trials):
        fail(name, "the hyper-parameters of one trial are correlated: draw each of them independently (one random "
                   "number per hyper-parameter and trial)")
    _check_results(name, results, objective, num_trials, f"with num_trials={num_trials}")
    replay = _RecordingObjective(rng)
    call(name, random_search, replay, space, 20, np.random.default_rng(draw_seed))
    replay_again = _RecordingObjective(rng)
    call(name, random_search, replay_again, space, 20, np.random.default_rng(draw_seed))
    if replay.calls != replay_again.calls:
        fail(name, "two generators with the same seed gave different configs: draw from the rng argument")
    passed(name, 4, seed)


def check_coarse_to_fine(coarse_to_fine, seed=None):
    """Check ``coarse_to_fine(results, space, top_k) -> narrowed space``."""
    name = "coarse_to_fine"
    rng, seed = fresh_rng(seed)
    count = 0
    for top_k in [int(rng.integers(3, 8)), 1, 2]:
        space = _search_space(rng)
        objective = _RecordingObjective(rng)
        results = reference.random_search(objective, space, 40, rng)
        space_before, results_before = copy.deepcopy(space), copy.deepcopy(results)
        narrowed = call(name, coarse_to_fine, results, space, top_k)
        if space != space_before or results != results_before:
            fail(name, "the space or the results were modified: return a new dict")
        if not isinstance(narrowed, dict) or set(narrowed) != set(space):
            fail(name, f"should return a dict with the names of the space {sorted(space)}")
        expected = reference.coarse_to_fine(results, space, top_k)
        for key, (low, high, scale) in expected.items():
            entry = _unpack(name, narrowed[key], 3, f'(low, high, scale) for "{key}"')
            got_low, got_high = _number(name, entry[0], "low"), _number(name, entry[1], "high")
            if entry[2] != scale:
                fail(name, f'"{key}" should keep its scale "{scale}", got {entry[2]!r}')
            if (got_low, got_high) == (low, high):
                continue
            values = [config[key] for config, _ in results]
            if (got_low, got_high) == (min(values[-top_k:]), max(values[-top_k:])):
                fail(name, "the range was taken from the WORST results: results are best first, take results[:top_k]")
            if (got_low, got_high) == (min(values), max(values)):
                fail(name, f"the range was taken from all results: use only the top_k={top_k} best")
            if (got_low, got_high) == (high, low):
                fail(name, f'"{key}": low and high are swapped')
            fail(name, f'"{key}" with top_k={top_k}: expected the range ({low:.6g}, {high:.6g}) of the top_k best '
                       f"configs' values, got ({got_low:.6g}, {got_high:.6g})")
        count += 1
    passed(name, count, seed)
