"""Machine-readable lines for the numbers behind the notebooks' claims.

A cell that measures something the prose relies on prints one line
`CLAIM <id>: name=value name=value ...`; `benchmarks/claims.py` runs the notebooks, reads
these lines and checks each claim against its numbers, so prose and numbers cannot drift apart.
"""

import numpy as np


def print_claim(claim_id, **numbers):
    """Print `CLAIM claim_id: name=value ...` with every value rounded to 4 significant digits.

    Inputs:
    - claim_id: str without spaces or colons, e.g. "01.toy.momentum-beats-sgd"
    - numbers: floats (or ints) by name; names without spaces or "="
    """
    if not claim_id or any(character in claim_id for character in " :"):
        raise ValueError(f"a claim id has no spaces or colons, got {claim_id!r}")
    fields = " ".join(f"{name}={float(value):.4g}" for name, value in numbers.items())
    print(f"CLAIM {claim_id}: {fields}")


def mean_spread(values):
    """(mean, standard deviation) of a sequence of numbers, the spread with ddof=1 (0 for one value)."""
    values = np.asarray(values, dtype=np.float64)
    spread = float(values.std(ddof=1)) if len(values) > 1 else 0.0
    return float(values.mean()), spread
