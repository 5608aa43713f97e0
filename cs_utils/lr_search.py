"""Random search of a learning rate on a log scale, the fair way to compare optimizers.

Hand-picked rates flatter whichever rule the author knows best. Every rule compared in a
notebook gets the same number of trials, drawn log-uniformly from the same range, at the
same training budget; the rate with the lowest score wins (Bergstra and Bengio, 2012: random
search covers a log-scaled range better than a grid with as many points).
"""

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class SearchResult:
    """Outcome of one search.

    - best_rate: float, the learning rate with the lowest finite score
    - best_score: float, its score
    - trials: tuple of (rate, score) pairs in the order tried; a diverged run scores inf
    """

    best_rate: float
    best_score: float
    trials: tuple


def log_uniform_rates(low, high, num_trials, rng):
    """num_trials rates drawn log-uniformly from [low, high]: float64 array (num_trials,)."""
    if not 0 < low < high:
        raise ValueError(f"need 0 < low < high, got low={low}, high={high}")
    rng = np.random.default_rng(rng)
    return np.exp(rng.uniform(math.log(low), math.log(high), size=num_trials))


def search_learning_rate(score, low, high, num_trials, rng=0):
    """Try num_trials log-uniform rates in [low, high] and keep the one with the lowest score.

    Inputs:
    - score: callable rate (float) -> float, lower is better (a final loss, an error rate);
      NaN or inf marks a diverged run
    - low, high: floats, 0 < low < high
    - num_trials: int >= 1
    - rng: numpy.random.Generator or int seed; the same seed tries the same rates

    Returns:
    - SearchResult
    """
    trials = []
    for rate in log_uniform_rates(low, high, num_trials, rng):
        value = float(score(float(rate)))
        trials.append((float(rate), value if math.isfinite(value) else math.inf))
    best_rate, best_score = min(trials, key=lambda trial: trial[1])
    if not math.isfinite(best_score):
        raise ValueError(f"every rate in [{low:g}, {high:g}] diverged")
    return SearchResult(best_rate, best_score, tuple(trials))
