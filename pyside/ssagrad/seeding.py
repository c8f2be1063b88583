"""Reproducible per-trajectory random streams derived from one seed.

``numpy.random.SeedSequence(seed)`` hashes the user's seed; its first ``n`` 64-bit words
seed trajectories ``0..n-1``. The words do not depend on ``n`` (a prefix of a larger
ensemble is the smaller ensemble) nor on the thread count.
"""

from __future__ import annotations

import numbers

import numpy as np


def resolve_seed(seed: int | None) -> int:
    """Return ``seed`` checked, or fresh entropy (an int to record) if it is ``None``."""
    if seed is None:
        return int(np.random.SeedSequence().entropy)
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer or None, got {seed!r}")
    return int(seed)


def trajectory_seeds(seed: int, n: int, stream: int = 0) -> np.ndarray:
    """``n`` uint64 seeds, one per trajectory, from ``seed`` (and an optional ``stream``).

    Examples
    --------
    >>> a = trajectory_seeds(7, 5)
    >>> bool((trajectory_seeds(7, 3) == a[:3]).all())
    True
    """
    sequence = np.random.SeedSequence(seed, spawn_key=(stream,) if stream else ())
    return np.ascontiguousarray(sequence.generate_state(n, dtype=np.uint64))
