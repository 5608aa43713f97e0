"""Hidden checks of 02 Regularization: Polyak averaging, ensembles and snapshot epochs."""
import numpy as np

from autograder.checks._common import (
    assert_array,
    assert_unchanged,
    call,
    check_dtype,
    close,
    fail,
    fresh_rng,
    passed,
    snapshot,
    unpack,
)
from autograder.checks.regularization._shared import RTOL
from autograder.reference import regularization as reference


def check_polyak_update(polyak_update, seed=None):
    """Check ``polyak_update(w_avg, w, decay=0.995) -> next_w_avg``."""
    name = "polyak_update"
    rng, seed = fresh_rng(seed)
    for shape, dtype in [((5, 4), np.float64), ((9,), np.float32)]:
        decay = float(rng.uniform(0.5, 0.99))
        w = rng.normal(size=shape).astype(dtype)
        first = call(name, polyak_update, None, w, decay)
        assert_array(name, first, shape, "the average started from w_avg=None")
        check_dtype(name, first, dtype, "the average started from w_avg=None")
        if not np.array_equal(first, w):
            if np.allclose(first, (1 - decay) * w):
                fail(name, "with w_avg=None the average should start at w itself (a copy), not at zero")
            fail(name, "with w_avg=None the function should return a copy of w")
        if np.shares_memory(first, w):
            fail(name, "with w_avg=None return a copy of w, not w itself: updating the average later would "
                       "change the weights")
        w_avg, expected = first, first.astype(np.float64)
        for step in range(1, 6):
            w = rng.normal(size=shape).astype(dtype)
            w_avg_before, w_before = snapshot(w_avg, w)
            kwargs = {} if step == 1 else {"decay": decay}
            result = call(name, polyak_update, w_avg, w, **kwargs)
            assert_unchanged(name, [("w_avg", w_avg_before, w_avg), ("w", w_before, w)])
            assert_array(name, result, shape, "the new average")
            check_dtype(name, result, dtype, "the new average")
            used_decay = 0.995 if step == 1 else decay
            expected = used_decay * expected + (1 - used_decay) * w.astype(np.float64)
            if not close(result, expected, RTOL[dtype]):
                previous = w_avg.astype(np.float64)
                if close(result, (1 - used_decay) * previous + used_decay * w, RTOL[dtype]):
                    fail(name, "decay weights the OLD average: decay * w_avg + (1 - decay) * w")
                where = "with the default decay=0.995" if step == 1 else f"with decay={decay:.3g}"
                fail(name, f"step {step} {where}: the new average should be decay * w_avg + (1 - decay) * w")
            w_avg = result
    passed(name, 3, seed)


def _random_probabilities(rng, num_models, num_examples, num_classes):
    scores = rng.normal(size=(num_models, num_examples, num_classes)) * rng.uniform(0.5, 3.0, size=(num_models, 1, 1))
    exp = np.exp(scores - scores.max(axis=2, keepdims=True))
    probabilities = exp / exp.sum(axis=2, keepdims=True)
    # Two models mildly prefer class 0, one is sure of class 1: the vote says 0, the average says 1.
    if num_models == 3:
        probabilities[:, 0, :] = 0.0
        probabilities[0, 0, :2] = probabilities[1, 0, :2] = [0.5, 0.4]
        probabilities[2, 0, :2] = [0.0, 0.95]
        probabilities[:, 0, 2] = 1.0 - probabilities[:, 0, :2].sum(axis=1)
    return probabilities


def check_ensemble_predict(ensemble_predict, seed=None):
    """Check ``ensemble_predict(probabilities) -> (mean_probabilities, labels)``."""
    name = "ensemble_predict"
    rng, seed = fresh_rng(seed)
    for num_models, as_array in [(3, False), (int(rng.integers(4, 7)), True), (1, False)]:
        num_examples, num_classes = int(rng.integers(50, 200)), int(rng.integers(3, 11))
        stacked = _random_probabilities(rng, num_models, num_examples, num_classes)
        probabilities = stacked.copy() if as_array else [p.copy() for p in stacked]
        before = snapshot(probabilities)[0]
        mean, labels = unpack(name, call(name, ensemble_predict, probabilities), 2, "(mean_probabilities, labels)")
        if as_array:
            assert_unchanged(name, [("probabilities", before, probabilities)])
        else:
            assert_unchanged(name, [("probabilities", list(before), list(probabilities))])
        what = f"{num_models} model(s) given as {'an array (M, N, C)' if as_array else 'a list of (N, C) arrays'}"
        assert_array(name, mean, (num_examples, num_classes), f"the mean probabilities ({what})")
        expected = stacked.mean(axis=0)
        if not close(mean, expected, RTOL[np.float64]):
            if close(mean, stacked.sum(axis=0), RTOL[np.float64]):
                fail(name, f"with {what}: average the probabilities (divide the sum by the number of models)")
            fail(name, f"with {what}: the mean probabilities should be the average of the models' probabilities")
        labels = np.asarray(labels)
        if labels.shape != (num_examples,) or labels.dtype.kind not in "iu":
            fail(name, f"the labels should be an integer array of shape ({num_examples},), got dtype {labels.dtype} "
                       f"and shape {labels.shape}")
        if not np.array_equal(labels, expected.argmax(axis=1)):
            votes = np.array([np.bincount(column, minlength=num_classes).argmax()
                              for column in stacked.argmax(axis=2).T])
            if np.array_equal(labels, votes):
                fail(name, "the labels are a majority vote of the models; they should be the class with the highest "
                           "AVERAGE probability, which also counts how sure each model is")
            fail(name, "the labels should be the class with the highest average probability of each example")
    passed(name, 3, seed)


def check_snapshot_epochs(snapshot_epochs, seed=None):
    """Check ``snapshot_epochs(num_epochs, period, period_mult=1) -> list of int``."""
    name = "snapshot_epochs"
    rng, seed = fresh_rng(seed)
    period = int(rng.integers(2, 9))
    cases = [
        ({"num_epochs": 4 * period, "period": period}, "equal cycles (default period_mult=1), the last one ending "
                                                       "exactly at num_epochs"),
        ({"num_epochs": 3 * period + 1, "period": period}, "the incomplete last cycle gives no snapshot"),
        ({"num_epochs": period - 1, "period": period}, "no cycle is complete yet"),
        ({"num_epochs": 7 * period, "period": period, "period_mult": 2}, "cycles of period, 2 period, 4 period"),
        ({"num_epochs": 13 * period - 1, "period": period, "period_mult": 3}, "cycles of period, 3 period, 9 period"),
        ({"num_epochs": int(rng.integers(20, 60)), "period": int(rng.integers(1, 6)),
          "period_mult": int(rng.integers(1, 4))}, "random case"),
    ]
    for kwargs, description in cases:
        result = call(name, snapshot_epochs, **kwargs)
        try:
            values = [int(v) for v in result]
            integral = all(float(v) == int(v) for v in result)
        except (TypeError, ValueError):
            fail(name, f"should return a list of int, got {type(result).__name__}")
        expected = reference.snapshot_epochs(**kwargs)
        args = ", ".join(f"{k}={v}" for k, v in kwargs.items())
        if not integral or values != expected:
            if values == [e - 1 for e in expected]:
                fail(name, f"snapshot_epochs({args}) returned {values}, one less than expected: count completed "
                           "epochs, so the first cycle ends after `period` epochs")
            fail(name, f"{description}: snapshot_epochs({args}) returned {values}, expected {expected}")
    passed(name, len(cases), seed)
