"""``ssagrad bench estimators``: bias, noise and cost of every gradient estimator.

Every sampling estimator is compared with the exact reference (finite state projection)
on small models, in one run that writes Markdown and CSV tables and PNG plots:

1. *Accuracy and cost* — per (model, estimator): max ``|z| = |est - exact| / se`` over
   all (time, species, parameter) entries, the relative error
   ``||est - exact|| / ||exact||`` and relative standard error ``||se|| / ||exact||`` at
   each observation time (norms over species and parameters), the median standard
   error, wall seconds per gradient (all parameters, ``n`` trajectories, best of
   ``repeats`` after a warm-up) and that time divided by a plain :func:`ssagrad.simulate`
   of the same ``n`` and times.
2. *GS-ST temperature* — the same numbers for ``gumbel`` at temperatures
   :data:`TEMPERATURES` on the telegraph and the high-affinity association.
3. *Trajectory length* — the per-sample variance ``n se^2`` of each estimator's
   ``dE[M(T)]/dtheta`` on the telegraph model for horizons :data:`HORIZONS`, with the
   log-log growth exponent over the last three horizons.
4. *Cost against the SSA and against stochastix* — a ``gumbel`` gradient of
   ``E[M(T)]`` (telegraph, 4 parameters) divided by a plain SSA run of the same
   trajectories, and stochastix's own GS-ST gradient of the same quantity
   (:mod:`ssagrad.bench.stochastix_peer`) timed side by side, with its values next to
   the exact ones.

A failing or missing estimator becomes a row with its error message; the report goes on.
"""

from __future__ import annotations

import csv
import math
import os
import platform
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .. import models
from .._version import __version__
from ..estimators import gradient
from ..simulate import simulate
from .peers import have
from .timing import TIMING_SECONDS, best_of, first_call

#: Sampling estimators under test (``exact`` is the reference).
ESTIMATORS = ("score", "gumbel", "altpath", "smoothing", "fd", "cfd")
#: GS-ST temperatures of section 2.
TEMPERATURES = (0.1, 0.3, 1.0, 3.0, 10.0)
#: Telegraph horizons of section 3.
HORIZONS = (1.0, 2.0, 5.0, 10.0, 20.0)
#: Extra (label, estimator, options) runs of section 3, next to every estimator's defaults.
HORIZON_EXTRA = (("gumbel λ=0.1", "gumbel", {"temperature": 0.1}),)
#: Trajectories at ``scale=1``.
BASE_N = 4000
#: Seed of every estimator run (and of stochastix's keys).
SEED = 2026
#: Least best-of rounds of the (interleaved) section-4 timings, the noisiest ratio.
COST_REPEATS = 5
#: Temperature of the section-4 comparison (stochastix's default ``logits_scale``).
COST_TEMPERATURE = 1.0


@dataclass(frozen=True)
class Case:
    """A benchmark model: zoo name, parameter overrides and observation times."""

    label: str
    model: str
    params: Mapping[str, float] | None
    times: tuple[float, ...]

    def load(self) -> tuple[models.Model, dict[str, float]]:
        """The zoo model and the full parameter dictionary."""
        model = models.get(self.model)
        return model, {**model.params, **(self.params or {})}


CASES = (
    Case("telegraph", "telegraph", None, (1.0, 5.0, 10.0)),
    Case("association", "bimolecular_association", None, (0.1, 1.0, 5.0)),
    Case(
        "association, high affinity",
        "bimolecular_association",
        {"kon": 1.0, "koff": 0.05},
        (0.1, 1.0, 5.0),
    ),
    Case("dimerization", "dimerization", None, (1.0, 5.0, 10.0)),
)
_TELEGRAPH, _HIGH_AFFINITY = CASES[0], CASES[2]


@dataclass
class Accuracy:
    """Estimate against exact, for one (case, estimator[, option]) run."""

    case: str
    estimator: str
    n: int
    max_abs_z: float = math.nan
    rel_error: tuple[float, ...] = ()
    rel_se: tuple[float, ...] = ()
    median_se: float = math.nan
    seconds: float = math.nan
    vs_ssa: float = math.nan
    option: str = ""
    error: str = ""


@dataclass
class HorizonVariance:
    """Per-sample variance ``n se^2`` of ``dE[M(T)]/dtheta_p`` over the horizons."""

    estimator: str
    parameter: str
    variance: list[float] = field(default_factory=list)
    error: str = ""

    def _log_slope(self, x: np.ndarray) -> float:
        v = np.asarray(self.variance[-3:], dtype=float)
        if v.size < 3 or not np.all(np.isfinite(v)) or np.any(v <= 0):
            return math.nan
        return float(np.polyfit(x, np.log(v), 1)[0])

    @property
    def exponent(self) -> float:
        """Log-log slope of the variance over the last three horizons."""
        return self._log_slope(np.log(np.asarray(HORIZONS[-3:])))

    @property
    def rate(self) -> float:
        """Exponential rate: slope of the log variance against T over the last three."""
        return self._log_slope(np.asarray(HORIZONS[-3:]))


@dataclass
class Timing:
    """One line of the cost comparison."""

    what: str
    seconds: float
    events: int
    first_call_seconds: float = math.nan
    note: str = ""
    role: str = ""
    threads: int | None = None


@dataclass
class Report:
    """Everything one benchmark run measured."""

    n: int
    accuracy: list[Accuracy]
    temperature: list[Accuracy]
    horizon: list[HorizonVariance]
    horizon_exact: dict[str, list[float]]
    timings: list[Timing]
    values: dict[str, dict[str, tuple[float, float]]]
    repeats: int = 3
    seconds: float = math.nan


def _error_text(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}".replace("|", "/").replace("\n", " ")[:160]


def compare(
    dmean: np.ndarray, se: np.ndarray, exact: np.ndarray, atol: float = 1e-9
) -> dict[str, Any]:
    """Summaries of an estimate ``dmean`` (T, S, P) with errors ``se`` against ``exact``.

    Returns ``max_abs_z`` (over entries; an entry with zero ``se`` counts as 0 if it is
    within ``atol`` of the exact value and as infinite otherwise), ``rel_error`` and
    ``rel_se`` per
    time (Frobenius norms over species and parameters, relative to ``||exact||``) and
    ``median_se``.

    Examples
    --------
    >>> import numpy as np
    >>> r = compare(np.array([[[1.1]]]), np.array([[[0.05]]]), np.array([[[1.0]]]))
    >>> round(r["max_abs_z"], 6), round(r["rel_error"][0], 6), r["rel_se"][0]
    (2.0, 0.1, 0.05)
    """
    diff = np.abs(dmean - exact)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(se > 0, diff / se, np.where(diff > atol, np.inf, 0.0))
    norm = np.sqrt((exact**2).sum(axis=(1, 2)))
    norm = np.where(norm > 0, norm, np.nan)
    return {
        "max_abs_z": float(np.nanmax(z)),
        "rel_error": tuple(map(float, np.sqrt((diff**2).sum(axis=(1, 2))) / norm)),
        "rel_se": tuple(map(float, np.sqrt((se**2).sum(axis=(1, 2))) / norm)),
        "median_se": float(np.median(se)),
    }


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
    contender is called until it has run :data:`TIMING_SECONDS` (at least once); its
    time is the best single call over all rounds.
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


# ------------------------------------------------------------------ formatting


def _g(x: float, digits: int = 3) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    if math.isinf(x):
        return "inf"
    return f"{x:.{digits}g}"


def _pct(values: Sequence[float]) -> str:
    return " / ".join(_g(100 * v, 2) for v in values) if values else "—"


def _accuracy_table(rows: list[Accuracy], option_column: bool = False) -> list[str]:
    head = "| model | estimator |" + (" option |" if option_column else "")
    lines = [
        head + " max \\|z\\| | rel. error per t (%) | rel. se per t (%) | median se |"
        " wall s | × SSA | note |",
        "|---|---|" + ("---|" if option_column else "") + "---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        option = f" {r.option} |" if option_column else ""
        lines.append(
            f"| {r.case} | {r.estimator} |{option} {_g(r.max_abs_z)} | {_pct(r.rel_error)} | "
            f"{_pct(r.rel_se)} | {_g(r.median_se)} | {_g(r.seconds)} | {_g(r.vs_ssa)} | "
            f"{r.error} |"
        )
    return lines


def format_report(report: Report, scale: float) -> str:
    """The whole report as Markdown."""
    import numba

    names = list(models.telegraph().network.parameters)
    lines = [
        "# ssagrad gradient-estimator benchmark",
        "",
        f"ssagrad {__version__}, scale {scale:g}: n = {report.n} trajectories per gradient, "
        f"seed {SEED}; {os.cpu_count()} cores, {numba.config.NUMBA_NUM_THREADS} Numba "
        f"threads; {platform.processor() or platform.machine()}; Python "
        f"{platform.python_version()}. Wall times are the best single call of at least "
        f"{report.repeats} calls continued until {TIMING_SECONDS:g} s are spent, after a warm-up "
        f"(compilation excluded); total run {report.seconds:.0f} s.",
        "",
        "## 1. Accuracy and cost against the exact gradient (dE[X(t)]/dθ, all entries)",
        "",
        "max |z| = max over (time, species, parameter) of |est − exact| / se; rel. error = "
        "‖est − exact‖ / ‖exact‖ and rel. se = ‖se‖ / ‖exact‖ at each observation time "
        "(norms over species × parameters), so rel. error ≈ rel. se means no detectable bias. "
        "Times: "
        + "; ".join(f"{c.label} t = {', '.join(f'{t:g}' for t in c.times)}" for c in CASES)
        + ". Estimator options are the defaults.",
        "",
        *_accuracy_table(report.accuracy),
        "",
        "## 2. GS-ST (gumbel) against temperature λ",
        "",
        "Plot: `gumbel_temperature.png` (relative se, solid, and relative error, dashed, per "
        "observation time, log-log).",
        "",
        *_accuracy_table(report.temperature, option_column=True),
        "",
        "## 3. Per-sample variance against trajectory length (telegraph, dE[M(T)]/dθ)",
        "",
        "n · se² of the estimate of dE[M(T)]/dθ with one observation time T; fitted over "
        "T = " + ", ".join(f"{t:g}" for t in HORIZONS[-3:]) + ": α = slope of log variance "
        "against log T (α ≈ 1: linear growth, α ≈ 0: saturation) and β = slope against T "
        "(exponential rate per unit time, var ∝ e^{βT}). "
        "Plot: `horizon_variance.png` (log-log, one panel per parameter).",
        "",
        "| estimator | parameter | " + " | ".join(f"T={t:g}" for t in HORIZONS) + " | α | β |",
        "|---|---|" + "---:|" * (len(HORIZONS) + 2),
    ]
    for p in names:
        lines.append(
            f"| exact value of dE[M(T)]/dθ | {p} | "
            + " | ".join(_g(v) for v in report.horizon_exact[p])
            + " | | |"
        )
    for r in report.horizon:
        if r.error:
            lines.append(
                f"| {r.estimator} | {r.parameter} | {r.error} |" + " |" * (len(HORIZONS) + 1)
            )
            continue
        lines.append(
            f"| {r.estimator} | {r.parameter} | "
            + " | ".join(_g(v) for v in r.variance)
            + f" | {_g(r.exponent, 2)} | {_g(r.rate, 2)} |"
        )

    def role(name: str, threads: int | None) -> Timing | None:
        return next(
            (
                t
                for t in report.timings
                if t.role == name and t.threads == threads and math.isfinite(t.seconds)
            ),
            None,
        )

    thread_counts = sorted({t.threads for t in report.timings if t.threads}, reverse=True)
    gumbel = role("gumbel", thread_counts[0]) if thread_counts else None
    lines += [
        "",
        f"## 4. Cost of a GS-ST gradient: against the SSA and against stochastix "
        f"(telegraph, dE[M(T)]/dθ for {len(names)} parameters, T = {_TELEGRAPH.times[-1]:g},"
        f" n = {report.n})",
        "",
        "Same n, horizon, temperature (λ = 1, stochastix's default `logits_scale`) and "
        "quantity; `events` are the reaction events of the plain SSA ensemble. All rows are "
        "warmed up, then timed round-robin (interleaved, so that they share the machine's "
        f"background load) for {max(report.repeats, COST_REPEATS)} rounds; within a round a "
        f"row is called again until it has run {TIMING_SECONDS:g} s, and its time is the "
        "best single call. stochastix "
        "runs JAX on the CPU in float32 with `vmap` over n keys; its first call (tracing + "
        "XLA compilation + one run) is reported separately and not counted. Plot: "
        "`cost.png`.",
        "",
        "| what | wall s per call | ns per SSA event | × SSA | × ssagrad gumbel "
        "| first call s | note |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for t in report.timings:
        ssa = role("ssa", t.threads if t.threads else (thread_counts or [None])[0])
        lines.append(
            f"| {t.what} | {_g(t.seconds)} | {_g(t.seconds / t.events * 1e9)} | "
            f"{_g(t.seconds / ssa.seconds) if ssa else '—'} | "
            f"{_g(t.seconds / gumbel.seconds) if gumbel else '—'} | "
            f"{_g(t.first_call_seconds)} | {t.note} |"
        )
    lines.append("")
    lines.append(
        "× SSA: against the plain SSA with the same thread count (stochastix: "
        "against ssagrad's SSA on all threads)."
    )
    peer = [
        t.seconds for t in report.timings if t.role == "stochastix" and math.isfinite(t.seconds)
    ]
    for threads in thread_counts:
        ours, ssa = role("gumbel", threads), role("ssa", threads)
        if not (ours and ssa):
            continue
        text = (
            f"**{threads} thread{'s' * (threads > 1)}: ssagrad gumbel gradient ÷ plain "
            f"SSA = {ours.seconds / ssa.seconds:.1f}×** (target ≤ 10×)"
        )
        if peer:
            text += (
                f"; **fastest stochastix mode ÷ ssagrad gumbel = "
                f"{min(peer) / ours.seconds:.0f}×** (target ≥ 20×)"
            )
        lines += ["", text + "."]
    columns = list(report.values)
    lines += [
        "",
        "Values (± se) of dE[M(T)]/dθ at T = "
        f"{_TELEGRAPH.times[-1]:g}: stochastix forward-fills the state at T, dropping the "
        "sensitivity to event times, so its error does not shrink with n; ssagrad's "
        "gumbel with `time_smoothing=0` makes the same approximation and should agree "
        "with it within noise (different random streams).",
        "",
        "| parameter | " + " | ".join(columns) + " |",
        "|---|" + "---:|" * len(columns),
    ]
    for p in names:
        cells = []
        for c in columns:
            value, se = report.values[c][p]
            cells.append(
                _g(value, 4) if c == "exact" or math.isnan(se) else f"{_g(value, 4)} ± {_g(se, 2)}"
            )
        lines.append(f"| {p} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------ files


def _write_csv(path: Path, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def write_csv(report: Report, out: Path) -> list[Path]:
    """One CSV per section; returns the paths."""
    paths = []
    for name, rows in (("accuracy", report.accuracy), ("gumbel_temperature", report.temperature)):
        path = out / f"{name}.csv"
        _write_csv(
            path,
            [
                "model",
                "estimator",
                "option",
                "n",
                "max_abs_z",
                "rel_error",
                "rel_se",
                "median_se",
                "seconds",
                "vs_ssa",
                "error",
            ],
            [
                [
                    r.case,
                    r.estimator,
                    r.option,
                    r.n,
                    r.max_abs_z,
                    ";".join(map(str, r.rel_error)),
                    ";".join(map(str, r.rel_se)),
                    r.median_se,
                    r.seconds,
                    r.vs_ssa,
                    r.error,
                ]
                for r in rows
            ],
        )
        paths.append(path)
    path = out / "horizon_variance.csv"
    _write_csv(
        path,
        ["estimator", "parameter", *[f"T={t:g}" for t in HORIZONS], "exponent", "rate", "error"],
        [["exact value", p, *v, "", "", ""] for p, v in report.horizon_exact.items()]
        + [
            [
                r.estimator,
                r.parameter,
                *(r.variance or [math.nan] * len(HORIZONS)),
                r.exponent,
                r.rate,
                r.error,
            ]
            for r in report.horizon
        ],
    )
    paths.append(path)
    path = out / "cost.csv"
    _write_csv(
        path,
        ["what", "seconds", "events", "first_call_seconds", "note"],
        [[t.what, t.seconds, t.events, t.first_call_seconds, t.note] for t in report.timings],
    )
    paths.append(path)
    return paths


def _figure(ncols: int, width: float = 4.2) -> tuple[Any, np.ndarray]:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width * ncols, 3.6), layout="constrained")
    return fig, np.atleast_1d(fig.subplots(1, ncols, squeeze=False)).ravel()


def _major_labels_only(ax: Any) -> None:
    from matplotlib.ticker import NullFormatter

    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.yaxis.set_minor_formatter(NullFormatter())


def _color(estimator: str) -> str:
    known = list(ESTIMATORS) + [label for label, _, _ in HORIZON_EXTRA]
    return f"C{known.index(estimator) % 10}" if estimator in known else "black"


def _positive(values: Sequence[float]) -> np.ndarray:
    v = np.asarray(values, dtype=float)
    return np.where(np.isfinite(v) & (v > 0), v, np.nan)


def write_plots(report: Report, out: Path) -> list[Path]:
    """``accuracy.png``, ``gumbel_temperature.png``, ``horizon_variance.png``, ``cost.png``."""
    paths = []
    # 1. error against wall time, one panel per model
    fig, axes = _figure(len(CASES))
    for ax, case in zip(axes, CASES, strict=True):
        for r in report.accuracy:
            if r.case != case.label or r.error:
                continue
            if r.estimator.startswith("ssa"):
                ax.axvline(r.seconds, color="grey", lw=0.8, ls=":")
                continue
            err = max(r.rel_error) if r.rel_error else math.nan
            if r.estimator == "exact" or not (math.isfinite(err) and err > 0):
                continue
            ax.scatter(r.seconds, err, color=_color(r.estimator))
            ax.annotate(
                r.estimator, (r.seconds, err), fontsize=8, xytext=(3, 3), textcoords="offset points"
            )
        ax.set(
            xscale="log",
            yscale="log",
            title=case.label,
            xlabel="wall s per gradient (dotted: plain SSA)",
            ylabel="max over t of rel. error",
        )
        _major_labels_only(ax)
    paths.append(out / "accuracy.png")
    fig.savefig(paths[-1], dpi=120)
    # 2. gumbel temperature
    fig, axes = _figure(2)
    for ax, case in zip(axes, (_TELEGRAPH, _HIGH_AFFINITY), strict=True):
        rows = [r for r in report.temperature if r.case == case.label and not r.error]
        lam = [float(r.option.split("=")[1]) for r in rows]
        for k, t in enumerate(case.times):
            if not rows:
                break
            ax.plot(
                lam,
                _positive([r.rel_se[k] for r in rows]),
                "o-",
                color=f"C{k}",
                label=f"rel. se, t={t:g}",
            )
            ax.plot(
                lam,
                _positive([r.rel_error[k] for r in rows]),
                "s--",
                color=f"C{k}",
                label=f"rel. error, t={t:g}",
            )
        ax.set(
            xscale="log",
            yscale="log",
            title=f"gumbel: {case.label}",
            xlabel="temperature λ",
            ylabel="relative to ‖exact gradient‖",
        )
        _major_labels_only(ax)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=7)
    paths.append(out / "gumbel_temperature.png")
    fig.savefig(paths[-1], dpi=120)
    # 3. variance against horizon, one panel per parameter
    names = list(report.horizon_exact)
    fig, axes = _figure(len(names))
    for ax, p in zip(axes, names, strict=True):
        for r in report.horizon:
            if r.parameter == p and not r.error:
                ax.plot(
                    HORIZONS,
                    _positive(r.variance),
                    "o-",
                    color=_color(r.estimator),
                    label=r.estimator,
                )
        ax.set(
            xscale="log",
            yscale="log",
            title=f"dE[M(T)]/d{p}",
            xlabel="horizon T",
            ylabel="per-sample variance n·se²",
        )
        _major_labels_only(ax)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=7)
    paths.append(out / "horizon_variance.png")
    fig.savefig(paths[-1], dpi=120)
    # 4. cost
    fig, axes = _figure(1, width=9.0)
    timed = [t for t in report.timings if math.isfinite(t.seconds)]
    bars = axes[0].barh(
        [t.what.replace(" (", "\n(").replace(": ", ":\n") for t in timed],
        [t.seconds for t in timed],
    )
    axes[0].bar_label(bars, labels=[f"{t.seconds:.3g} s" for t in timed], fontsize=7)
    axes[0].set(
        xscale="log",
        xlabel="wall s per call (best of repeats)",
        title=f"dE[M(T)]/dθ, telegraph, n={report.n}, T={_TELEGRAPH.times[-1]:g}",
    )
    axes[0].tick_params(axis="y", labelsize=7)
    axes[0].invert_yaxis()
    paths.append(out / "cost.png")
    fig.savefig(paths[-1], dpi=120)
    return paths


def report(
    scale: float = 1.0,
    out: Path = Path("ssagrad-bench"),
    peers: bool = True,
    repeats: int = 3,
) -> str:
    """Run the estimator benchmark; write ``out/`` tables and plots; return the Markdown.

    Writes ``estimators.md`` (the returned text), ``accuracy.csv``,
    ``gumbel_temperature.csv``, ``horizon_variance.csv``, ``cost.csv`` and the plots
    ``accuracy.png``, ``gumbel_temperature.png``, ``horizon_variance.png``, ``cost.png``.

    Parameters
    ----------
    scale : float
        Multiplies the number of trajectories (``n = 4000 scale``, at least 20).
    out : Path
        Output folder (created if needed).
    peers : bool
        Time stochastix's GS-ST gradient side by side, when it is installed.
    repeats : int
        Best-of repeats of every timing.

    Returns
    -------
    str
        The Markdown report.

    Examples
    --------
    >>> from ssagrad.bench import estimators
    >>> text = estimators.report(scale=0.005, out=Path("bench"), peers=False,
    ...                          repeats=1)  # doctest: +SKIP
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    result = run(scale=scale, repeats=repeats, peers=peers)
    text = format_report(result, scale)
    (out / "estimators.md").write_text(text)
    write_csv(result, out)
    write_plots(result, out)
    return text
