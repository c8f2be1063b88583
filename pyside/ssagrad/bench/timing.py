"""Wall-clock timing shared by the benchmark scripts, on :mod:`timeit`."""

from __future__ import annotations

import time
import timeit
from collections.abc import Callable
from typing import Any

#: Least seconds per measured batch: :meth:`timeit.Timer.autorange` picks the number of
#: calls per batch so that a batch lasts at least this long (timeit's own 0.2 s).
TIMING_SECONDS = 0.2


def first_call(func: Callable[[], Any]) -> tuple[float, Any]:
    """Seconds and output of one call (e.g. the one that compiles)."""
    start = time.perf_counter()
    out = func()
    return time.perf_counter() - start, out


def best_of(
    repeats: int, func: Callable[[], Any], min_seconds: float = TIMING_SECONDS
) -> tuple[float, Any]:
    """Best seconds per call of ``func()`` over ``repeats`` batches, and its output.

    One call first gives the output (and warms caches); then
    :meth:`timeit.Timer.autorange` sizes batches to last ``min_seconds`` at least
    (``0`` times single calls), and the best batch's mean counts, as ``timeit`` does.

    Examples
    --------
    >>> seconds, out = best_of(3, lambda: sum(range(1000)))
    >>> out, seconds > 0
    (499500, True)
    """
    _, out = first_call(func)
    timer = timeit.Timer(func)
    number = 1
    if min_seconds > 0:
        number, _ = timer.autorange()
        if min_seconds != TIMING_SECONDS:  # autorange aims at 0.2 s: rescale
            number = max(1, round(number * min_seconds / TIMING_SECONDS))
    return min(timer.repeat(repeat=repeats, number=number)) / number, out
