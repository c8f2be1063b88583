"""Wall-clock timing shared by the benchmark scripts."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

#: The benchmarks' least time per measurement: calls go on until this many seconds (and
#: their ``repeats``) are spent.
TIMING_SECONDS = 0.25


def best_of(repeats: int, func: Callable[[], Any], min_seconds: float = 0.0) -> tuple[float, Any]:
    """Best wall time of ``func()`` over at least ``repeats`` calls and ``min_seconds``.

    Calls go on until both ``repeats`` calls were made and ``min_seconds`` were spent, so
    that a fast call gets as many tries at an undisturbed run as a slow one (as
    ``timeit``'s autorange does).

    Returns
    -------
    seconds : float
        The shortest single call.
    output
        What the last call returned.

    Examples
    --------
    >>> seconds, out = best_of(3, lambda: sum(range(1000)))
    >>> out, seconds > 0
    (499500, True)
    """
    best, out, calls, spent = float("inf"), None, 0, 0.0
    while calls < repeats or spent < min_seconds:
        start = time.perf_counter()
        out = func()
        seconds = time.perf_counter() - start
        best, calls, spent = min(best, seconds), calls + 1, spent + seconds
    return best, out
