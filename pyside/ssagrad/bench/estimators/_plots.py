"""Plotting: the PNG figures of a benchmark run."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..._files import save_figure
from ._cases import (
    _HIGH_AFFINITY,
    _TELEGRAPH,
    CASES,
    ESTIMATORS,
    HORIZON_EXTRA,
    HORIZONS,
    Report,
)


def _figure(ncols: int, width: float = 4.2) -> tuple[Any, np.ndarray]:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width * ncols, 3.6), layout="constrained")
    return fig, np.atleast_1d(fig.subplots(1, ncols, squeeze=False)).ravel()


def _log_log_panel(ax: Any, title: str, xlabel: str, ylabel: str) -> None:
    """Log-log axes with labels, major tick labels only, and a legend if anything is labelled."""
    from matplotlib.ticker import NullFormatter

    ax.set(xscale="log", yscale="log", title=title, xlabel=xlabel, ylabel=ylabel)
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.yaxis.set_minor_formatter(NullFormatter())
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=7)


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
        _log_log_panel(
            ax, case.label, "wall s per gradient (dotted: plain SSA)", "max over t of rel. error"
        )
    paths.append(out / "accuracy.png")
    save_figure(fig, paths[-1], dpi=120)
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
        _log_log_panel(ax, f"gumbel: {case.label}", "temperature λ", "relative to ‖exact gradient‖")
    paths.append(out / "gumbel_temperature.png")
    save_figure(fig, paths[-1], dpi=120)
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
        _log_log_panel(ax, f"dE[M(T)]/d{p}", "horizon T", "per-sample variance n·se²")
    paths.append(out / "horizon_variance.png")
    save_figure(fig, paths[-1], dpi=120)
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
    save_figure(fig, paths[-1], dpi=120)
    return paths
