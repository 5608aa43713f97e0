"""Hidden checks of 00 Foundations: preprocessing (centring, standardizing, PCA whitening).

PCA whitening is compared up to the sign of each component; a covariance over N or N - 1 and
epsilon inside or outside the square root all pass.
"""
import copy

import numpy as np

from autograder.checks._common import assert_array, assert_unchanged, call, close, fail, fresh_rng, passed, snapshot
from autograder.checks.foundations._shared import quiet_call
from autograder.reference import foundations as reference

# Preprocessing allows a covariance over N - 1 and other placements of epsilon.
PREPROCESSING_RTOL = 2e-3


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
    """Fail with what is wrong with ``out``, a finite array of X's shape (checked before)."""
    out = np.asarray(out, dtype=np.float64)
    centred = X_train - X_train.mean(axis=0)
    flat = np.std(X_train, axis=0) < 1e-8 if mode == "standardize" else \
        np.linalg.eigvalsh(centred.T @ centred / len(X_train))[::-1] < 1e-8 if mode == "whiten" else \
        np.zeros(X.shape[1], dtype=bool)
    if np.any(flat) and np.max(np.abs(out[:, flat])) > 1e-3:
        fail(name, f'mode "{mode}": where a feature has (almost) zero variance, or the covariance a zero '
                   "eigenvalue, the output should stay near 0 instead of blowing up: that is what epsilon is for")
    refit = reference.apply_preprocessing(X, reference.fit_preprocessing(X, mode, epsilon))
    if close(_align_signs(out, refit), refit, PREPROCESSING_RTOL):
        fail(name, f'mode "{mode}": apply_preprocessing recomputed the statistics from the data it was given; '
                   "compute them once from X_train in fit_preprocessing and only apply them here (refitting on "
                   "validation or test data leaks them into the model)")
    mean = X_train.mean(axis=0)
    if mode == "standardize" and close(out, (X - mean) / X_train.std(), PREPROCESSING_RTOL):
        fail(name, 'mode "standardize": each feature is divided by its own standard deviation (axis=0), not by '
                   "one number for the whole array")
    if mode == "whiten":
        centred = X_train - mean
        eigenvalues, eigenvectors = np.linalg.eigh(centred.T @ centred / len(X_train))
        order = np.argsort(eigenvalues)[::-1]
        expected = _accepted(mode, X_train, X, epsilon)[0]
        if close(_align_signs(out, expected[:, ::-1]), expected[:, ::-1], PREPROCESSING_RTOL):
            fail(name, 'mode "whiten": the components are in increasing order of variance (np.linalg.eigh returns '
                       "increasing eigenvalues); put them in decreasing order")
        rotated = (X - mean) @ eigenvectors[:, order]
        if close(_align_signs(out, rotated), rotated, PREPROCESSING_RTOL):
            fail(name, 'mode "whiten": the data was rotated onto the eigenvectors but not scaled: divide each '
                       "component by sqrt(eigenvalue + epsilon)")
        if close(out @ eigenvectors[:, order], expected, PREPROCESSING_RTOL):
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
        out = quiet_call(name, apply, data, stats)
        assert_unchanged(name, [("X", other_before if data is X else train_before, data)])
        if isinstance(out, np.ndarray) and out.dtype.kind == "f" and not np.all(np.isfinite(out)):
            fail(name, f'mode "{mode}": the output has NaN or inf where a feature has zero variance (or the '
                       "covariance a zero eigenvalue): that is what epsilon is for")
        assert_array(name, out, data.shape, f'the output of mode "{mode}"')
        accepted = _accepted(mode, X_train, data, 1e-5 if epsilon is None else epsilon)
        if not any(close(_align_signs(out, expected), expected, PREPROCESSING_RTOL) for expected in accepted):
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
        # A feature whose spread is below epsilon: there an ignored epsilon shows even for np.maximum(std, epsilon).
        X_train[:, -1] *= 1e-3
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
