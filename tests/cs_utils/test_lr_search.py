"""The random learning-rate search the notebooks use for fair comparisons."""
import math

import numpy as np
import pytest

from cs_utils.lr_search import log_uniform_rates, search_learning_rate


def test_rates_are_log_uniform_in_range_and_reproducible():
    rates = log_uniform_rates(1e-4, 1.0, 2000, rng=0)
    assert rates.min() >= 1e-4 and rates.max() <= 1.0
    # Log-uniform: about a quarter of the draws in each decade of the four.
    assert abs(np.mean(rates < 1e-3) - 0.25) < 0.04
    assert np.array_equal(rates, log_uniform_rates(1e-4, 1.0, 2000, rng=0))


def test_search_keeps_the_best_finite_score_and_every_trial():
    result = search_learning_rate(lambda rate: (math.log10(rate) + 2) ** 2, 1e-4, 1.0, 50, rng=1)
    assert abs(math.log10(result.best_rate) + 2) < 0.2
    assert len(result.trials) == 50
    assert result.best_score == min(score for _, score in result.trials)


def test_diverged_runs_score_inf_and_never_win():
    result = search_learning_rate(lambda rate: math.nan if rate > 0.01 else rate, 1e-4, 1.0, 20, rng=2)
    assert result.best_rate <= 0.01
    assert all(math.isinf(score) for rate, score in result.trials if rate > 0.01)
    with pytest.raises(ValueError, match="diverged"):
        search_learning_rate(lambda rate: math.inf, 1e-4, 1.0, 5)
