"""Wall-clock timing shared by the benchmark scripts, on :mod:`timeit`."""

from __future__ import annotations

import time
import timeit
from collections.abc import Callable, Hashable
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
    return best_of_interleaved(repeats, {"call": func}, min_seconds)["call"]


def best_of_interleaved(
    repeats: int, funcs: dict[Hashable, Callable[[], Any]], min_seconds: float = TIMING_SECONDS
) -> dict[Hashable, tuple[float, Any]]:
    """:func:`best_of` for several functions, their batches interleaved round by round.

    Each round times one batch of every function in turn, so a machine that gets busier
    or quieter during the run slows all of them alike; ratios between them are then
    steadier than from one :func:`best_of` after another.

    Examples
    --------
    >>> out = best_of_interleaved(2, {"a": lambda: 1, "b": lambda: 2}, min_seconds=0)
    >>> [(name, value) for name, (_, value) in out.items()]
    [('a', 1), ('b', 2)]
    """
    outputs, timers, numbers = {}, {}, {}
    for name, func in funcs.items():
        _, outputs[name] = first_call(func)
        timers[name] = timeit.Timer(func)
        number = 1
        if min_seconds > 0:
            number, _ = timers[name].autorange()
            number = max(1, round(number * min_seconds / TIMING_SECONDS))
        numbers[name] = number
    best = dict.fromkeys(funcs, float("inf"))
    for _ in range(repeats):
        for name, timer in timers.items():
            best[name] = min(best[name], timer.timeit(numbers[name]) / numbers[name])
    return {name: (best[name], outputs[name]) for name in funcs}
