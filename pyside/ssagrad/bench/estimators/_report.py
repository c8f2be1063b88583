"""Reporting: the Markdown report and the CSV tables of a benchmark run."""

from __future__ import annotations

import csv
import io
import math
import os
import platform
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ... import models
from ..._files import write_text
from ..._version import __version__
from ..timing import TIMING_SECONDS
from ._cases import (
    _TELEGRAPH,
    CASES,
    COST_REPEATS,
    HORIZONS,
    SEED,
    Accuracy,
    Report,
    Timing,
)


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
        f"{platform.python_version()}. Wall times are the best per-call mean of "
        f"{report.repeats} batches sized by timeit's autorange (at least {TIMING_SECONDS:g} s "
        f"each), after a warm-up (compilation excluded); total run {report.seconds:.0f} s.",
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
        f"row runs one batch sized by timeit's autorange (at least {TIMING_SECONDS:g} s), and "
        "its time is the best per-call mean. stochastix "
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
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    write_text(path, buffer.getvalue())


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
