"""Measuring: accuracy, temperature and horizon sweeps, and the interleaved cost timings."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ...estimators import gradient
from ...simulate import simulate
from ..peers import have
from ..timing import TIMING_SECONDS, best_of, first_call
from ._cases import (
    _HIGH_AFFINITY,
    _TELEGRAPH,
    BASE_N,
    CASES,
    COST_REPEATS,
    COST_TEMPERATURE,
    ESTIMATORS,
    HORIZON_EXTRA,
    HORIZONS,
    SEED,
    TEMPERATURES,
    Accuracy,
    Case,
    HorizonVariance,
    Report,
    Timing,
    _error_text,
    compare,
)


def _exact(case: Case, times: Sequence[float]) -> np.ndarray:
    model, params = case.load()
    return gradient(model, params=params, times=times, estimator="exact").dmean.values


def _measure(
    case: Case,
    estimator: str,
    n: int,
    repeats: int,
    exact: np.ndarray,
    ssa_seconds: float,
    **options: Any,
) -> Accuracy:
    """Warm up, time best-of-``repeats`` and compare with ``exact``; errors become rows."""
    model, params = case.load()
    label = ", ".join(f"{k}={v}" for k, v in options.items())
    row = Accuracy(case.label, estimator, n, option=label)
    try:

        def run(size: int = n) -> Any:
            return gradient(
                model,
                params=params,
                times=case.times,
                estimator=estimator,
                n=size,
                seed=SEED,
                **options,
            )

        if estimator != "exact":  # nothing to compile there
            run(min(n, 16))
        seconds, ds = best_of(repeats, run, TIMING_SECONDS)
        summary = compare(ds.dmean.values, ds.dmean_se.values, exact)
    except Exception as exc:  # a missing or failing estimator is reported, not fatal
        row.error = _error_text(exc)
        return row
    row.max_abs_z = summary["max_abs_z"] if estimator != "exact" else math.nan
    row.rel_error, row.rel_se = summary["rel_error"], summary["rel_se"]
    row.median_se, row.seconds = summary["median_se"], seconds
    row.vs_ssa = seconds / ssa_seconds
    return row


def _ssa_seconds(case: Case, times: Sequence[float], n: int, repeats: int) -> tuple[float, Any]:
    model, params = case.load()

    def run() -> Any:
        return simulate(model, params=params, times=times, n=n, seed=SEED)

    run()
    return best_of(repeats, run, TIMING_SECONDS)


def accuracy(n: int, repeats: int) -> list[Accuracy]:
    """Section 1: every estimator on every case (plus ``exact`` and the plain SSA)."""
    rows = []
    for case in CASES:
        exact = _exact(case, case.times)
        ssa, _ = _ssa_seconds(case, case.times, n, repeats)
        rows.append(Accuracy(case.label, "ssa (simulate)", n, seconds=ssa, vs_ssa=1.0))
        for estimator in ("exact", *ESTIMATORS):
            rows.append(_measure(case, estimator, n, repeats, exact, ssa))
    return rows


def temperature_sweep(n: int, repeats: int) -> list[Accuracy]:
    """Section 2: ``gumbel`` against exact for each temperature."""
    rows = []
    for case in (_TELEGRAPH, _HIGH_AFFINITY):
        exact = _exact(case, case.times)
        for temperature in TEMPERATURES:
            rows.append(
                _measure(case, "gumbel", n, repeats, exact, math.nan, temperature=temperature)
            )
    return rows


def horizon_sweep(n: int) -> tuple[list[HorizonVariance], dict[str, list[float]]]:
    """Section 3: per-sample variance of ``dE[M(T)]/dtheta`` on the telegraph model."""
    model, params = _TELEGRAPH.load()
    species = list(model.network.species).index("M")
    names = list(model.network.parameters)
    exact = _exact(_TELEGRAPH, HORIZONS)[:, species, :]
    exact_values = {p: exact[:, i].tolist() for i, p in enumerate(names)}
    rows = []
    runs = [(e, e, {}) for e in ESTIMATORS] + list(HORIZON_EXTRA)
    for label, estimator, options in runs:
        per_parameter = [HorizonVariance(label, p) for p in names]
        try:
            for horizon in HORIZONS:
                ds = gradient(
                    model,
                    params=params,
                    times=[horizon],
                    estimator=estimator,
                    n=n,
                    seed=SEED,
                    **options,
                )
                se = ds.dmean_se.values[0, species, :]
                for i, row in enumerate(per_parameter):
                    row.variance.append(float(n * se[i] ** 2))
        except Exception as exc:  # reported as an error row
            for row in per_parameter:
                row.error = _error_text(exc)
        rows.extend(per_parameter)
    return rows, exact_values


def _max_steps(events: np.ndarray) -> int:
    """stochastix's static step budget: 1.25 x the most events seen, rounded up to 64."""
    return int(math.ceil(1.25 * max(int(events.max()), 1) / 64) * 64)


@dataclass
class _Contender:
    """A callable timed in section 4, its first-call time and its latest output."""

    what: str
    call: Callable[[], Any]
    role: str = ""
    threads: int | None = None
    seconds: float = math.inf
    first_call_seconds: float = math.nan
    output: Any = None
    error: str = ""


def _time_interleaved(contenders: list[_Contender], repeats: int) -> None:
    """Warm every contender up, then time them round-robin for ``repeats`` rounds.

    Interleaving exposes all of them to the same background load, so that their ratios
    are less noisy on a shared machine than timing one after the other. In each round a
    contender runs a batch sized by timeit's autorange (at least :data:`TIMING_SECONDS`); its
    time is the best per-call mean over all rounds.
    """
    for c in contenders:
        try:
            c.first_call_seconds, c.output = first_call(c.call)
        except Exception as exc:  # reported in the table
            c.error = _error_text(exc)
    for _ in range(repeats):
        for c in contenders:
            if not c.error:
                seconds, c.output = best_of(1, c.call, TIMING_SECONDS)
                c.seconds = min(c.seconds, seconds)


def cost(
    n: int, repeats: int, peers: bool
) -> tuple[list[Timing], dict[str, dict[str, tuple[float, float]]]]:
    """Section 4: ``gumbel`` vs plain SSA vs stochastix on ``dE[M(T)]/dtheta``, telegraph.

    All contenders are warmed up first and then timed round-robin (best of ``repeats``).
    """
    model, params = _TELEGRAPH.load()
    horizon = _TELEGRAPH.times[-1]
    species = list(model.network.species).index("M")
    names = list(model.network.parameters)
    ds = simulate(model, params=params, times=[horizon], n=n, seed=SEED)
    events = int(ds.events.sum())
    exact = _exact(_TELEGRAPH, [horizon])[0, species, :]
    values: dict[str, dict[str, tuple[float, float]]] = {
        "exact": {p: (float(exact[i]), 0.0) for i, p in enumerate(names)}
    }

    def ssa(threads: int) -> Callable[[], Any]:
        return lambda: simulate(
            model, params=params, times=[horizon], n=n, seed=SEED, threads=threads
        )

    def gumbel(threads: int, **options: Any) -> Callable[[], Any]:
        return lambda: gradient(
            model,
            params=params,
            times=[horizon],
            estimator="gumbel",
            n=n,
            seed=SEED,
            threads=threads,
            temperature=COST_TEMPERATURE,
            **options,
        )

    import numba

    ours = []
    for threads in sorted({numba.config.NUMBA_NUM_THREADS, 1}, reverse=True):
        plural = "s" * (threads > 1)
        ours += [
            _Contender(
                f"ssagrad simulate (direct SSA, {threads} thread{plural})",
                ssa(threads),
                "ssa",
                threads,
            ),
            _Contender(
                f"ssagrad gumbel gradient (λ={COST_TEMPERATURE:g}, {threads} thread{plural})",
                gumbel(threads),
                "gumbel",
                threads,
            ),
            _Contender(
                f"ssagrad gumbel gradient (λ={COST_TEMPERATURE:g}, {threads} "
                f"thread{plural}, time_smoothing=0: hard lookup as in stochastix)",
                gumbel(threads, time_smoothing=0.0),
                "gumbel-hard",
                threads,
            ),
        ]
    columns = {"gumbel": "ssagrad gumbel", "gumbel-hard": "ssagrad gumbel, time_smoothing=0"}
    theirs: list[tuple[_Contender, Any]] = []
    peer_notes: list[Timing] = []
    if peers and not (have("stochastix") and have("jax")):
        peer_notes.append(
            Timing("stochastix", math.nan, events, note="not installed (pip install stochastix)")
        )
    elif peers:
        from . import stochastix_peer

        try:
            runs = stochastix_peer.gs_st_runs(
                model.network,
                params,
                model.x0,
                "M",
                horizon,
                n,
                _max_steps(ds.events.values),
                temperature=COST_TEMPERATURE,
                seed=SEED,
            )
        except Exception as exc:  # reported in the table
            peer_notes.append(Timing("stochastix", math.nan, events, note=_error_text(exc)))
            runs = []
        for r in runs:
            how = (
                "jax.jacfwd, faststochsimsolve"
                if r.mode == "forward"
                else "jax.grad, stochsimsolve"
            )
            theirs.append(
                (
                    _Contender(
                        f"stochastix {r.version} DifferentiableDirect ({how})", r.call, "stochastix"
                    ),
                    r,
                )
            )
    contenders = ours + [c for c, _ in theirs]
    _time_interleaved(contenders, repeats)
    timings = []
    for c in ours:  # (their first call only loads the Numba cache: not reported)
        timings.append(
            Timing(
                c.what,
                math.nan if c.error else c.seconds,
                events,
                note=c.error,
                role=c.role,
                threads=c.threads,
            )
        )
        if c.role in columns and not c.error and columns[c.role] not in values:
            g = c.output  # identical for every thread count (per-trajectory seeds)
            values[columns[c.role]] = {
                p: (float(g.dmean.values[0, species, i]), float(g.dmean_se.values[0, species, i]))
                for i, p in enumerate(names)
            }
    timings += peer_notes
    for c, r in theirs:
        if c.error:
            timings.append(Timing(c.what, math.nan, events, note=c.error))
            continue
        result = r.result(c.output, c.seconds, c.first_call_seconds)
        note = f"max_steps={result.max_steps}"
        if not math.isnan(result.overflow):
            note += f", overflow {100 * result.overflow:.2f} %"
        timings.append(
            Timing(c.what, c.seconds, events, c.first_call_seconds, note, role="stochastix")
        )
        se = result.se if result.se is not None else np.full(len(names), math.nan)
        values[f"stochastix ({r.mode})"] = {
            p: (float(result.grad[i]), float(se[i])) for i, p in enumerate(names)
        }
    return timings, values


def run(scale: float = 1.0, repeats: int = 3, peers: bool = True) -> Report:
    """Run all four sections.

    Parameters
    ----------
    scale : float
        Multiplies the number of trajectories ``n = 4000 scale`` (at least 20).
    repeats : int
        Best-of repeats of each timing (compilation excluded by a warm-up).
    peers : bool
        Also time stochastix when it is installed.
    """
    start = time.perf_counter()
    n = max(20, int(round(BASE_N * scale)))
    rows = accuracy(n, repeats)
    temperature = temperature_sweep(n, repeats)
    horizon, horizon_exact = horizon_sweep(n)
    timings, values = cost(n, max(repeats, COST_REPEATS), peers)
    return Report(
        n,
        rows,
        temperature,
        horizon,
        horizon_exact,
        timings,
        values,
        repeats,
        time.perf_counter() - start,
    )
