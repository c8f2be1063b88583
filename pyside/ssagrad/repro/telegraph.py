"""Experiment 1 (Mottes et al.): the telegraph model at 25 random parameter sets.

Parameter sets: all four rates drawn once, log-uniformly in [0.1, 10] (Rijal & Mehta's
range), from :data:`SETS_SEED`; a draw whose steady-state mean mRNA count lies outside
[1, 50] is passed over (below 1 most cells have no mRNA at all and the data say next to
nothing; this rule is on the design, fixed before any fit ran). Data per set: 1 000
independent cells of the mRNA count ``M`` at ``T = 8 / min(kdeg, kon + koff)`` from the
gene off and no mRNA (eight relaxation times: steady state). Two fits per set and
estimator, from a start off by a factor drawn log-uniformly in [1/3, 3] per free rate
(from :data:`START_SEED`):

* **moments** (mean and variance): ``kon``, ``koff``, ``ktx`` free, ``kdeg`` fixed
  (steady-state data only determine rates relative to one of them); reported: burst
  frequency ``kon koff / (kon + koff)`` and burst size ``ktx / koff``.
* **W1** (steady-state distribution): ``kon``, ``ktx``, ``kdeg`` free, ``koff`` fixed, as
  in the source ("three free parameters (kon, ktx, kmdeg)"); reported: every rate and
  the correlation between the errors of ``kon`` and ``kdeg``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .. import models
from ._fits import log_uniform, run_fit, snapshot, start_factors
from ._report import Report, error_summary, finish, pick, rel_error, size_line, values
from ._store import Task, run_tasks

NAME = "telegraph"
RATES = ("kon", "koff", "ktx", "kdeg")
#: Seeds drawn once (2026-03-01) and fixed: parameter sets, starts, data, fits.
SETS_SEED, START_SEED, DATA_SEED, FIT_SEED = 9101, 9102, 9103, 9104
RANGE = (0.1, 10.0)
FREE = {"moments": ("kon", "koff", "ktx"), "w1": ("kon", "ktx", "kdeg")}
ESTIMATORS = ("score", "gumbel", "altpath")
COMBINATIONS = {"burst frequency": models.burst_frequency, "burst size": models.burst_size}


@dataclass(frozen=True)
class Config:
    """Size of a run: parameter sets, data cells, steps, cells per step, final re-estimate."""

    sets: int
    cells: int
    steps: int
    n: int
    n_eval: int
    estimators: tuple = ESTIMATORS


FULL = Config(sets=25, cells=1000, steps=100, n=200, n_eval=1000)
QUICK = Config(sets=2, cells=300, steps=25, n=100, n_eval=400)


#: Accepted range of the steady-state mean mRNA count of a parameter set.
MEAN_RANGE = (1.0, 50.0)


def steady_mean(p: dict) -> float:
    """Steady-state mean mRNA count ``ktx kon / (kdeg (kon + koff))``."""
    return p["ktx"] * p["kon"] / (p["kdeg"] * (p["kon"] + p["koff"]))


def parameter_sets(count: int = 25) -> list[dict]:
    """The fixed random parameter sets (the first ``count`` accepted draws).

    Examples
    --------
    >>> sets = parameter_sets(25)
    >>> len(sets), all(1 <= steady_mean(p) <= 50 for p in sets)
    (25, True)
    """
    draws = log_uniform(SETS_SEED, RATES, *RANGE, 400)
    return [p for p in draws if MEAN_RANGE[0] <= steady_mean(p) <= MEAN_RANGE[1]][:count]


def horizon(params: dict) -> float:
    """Eight relaxation times: ``8 / min(kdeg, kon + koff)``."""
    return 8.0 / min(params["kdeg"], params["kon"] + params["koff"])


def steady_data(index: int, params: dict, cells: int):
    """The mRNA counts of ``cells`` cells at :func:`horizon` for set ``index``."""
    model = models.telegraph()
    model = models.Model(model.name, model.network, dict(params), model.x0, model.t_end)
    return snapshot(model, [horizon(params)], cells, DATA_SEED + index, ["M"])


def tasks(config: Config) -> list[Task]:
    """One task per parameter set, loss and estimator."""
    out = []
    for i, truth in enumerate(parameter_sets(config.sets)):
        for loss, free in FREE.items():
            factors = start_factors(START_SEED + i, free, 3.0)
            init = {k: truth[k] * factors.get(k, 1.0) for k in RATES}
            for estimator in config.estimators:
                spec = {
                    "set": i,
                    "truth": truth,
                    "init": init,
                    "fixed": [k for k in RATES if k not in free],
                    "loss": loss,
                    "estimator": estimator,
                    "cells": config.cells,
                    "steps": config.steps,
                    "n": config.n,
                    "n_eval": config.n_eval,
                    "seed": FIT_SEED + i,
                }
                out.append(Task(f"set{i:02d}-{loss}-{estimator}", spec))
    return out


def run_one(spec: dict) -> dict:
    """Fit one set with one loss and estimator."""
    truth = spec["truth"]
    model = models.telegraph()
    model = models.Model(model.name, model.network, dict(truth), model.x0, model.t_end)
    data = steady_data(spec["set"], truth, spec["cells"])
    record = run_fit(model, data, truth, spec)
    for name, func in COMBINATIONS.items():
        record["errors"][name] = rel_error(func(record["params"]), func(truth))
    return record


def quantities(loss: str) -> tuple:
    """What is reported per loss."""
    if loss == "moments":
        return ("burst frequency", "burst size", "kon", "koff", "ktx")
    return ("kon", "ktx", "kdeg", "burst frequency", "burst size")


def _log_correlation(chosen: list[dict], quantity: str) -> float:
    """Pearson r between log fitted and log true values of ``quantity`` over fits."""
    true = np.log([_value(r["truth"], quantity) for r in chosen])
    fitted = np.log([_value(r["params"], quantity) for r in chosen])
    return float(np.corrcoef(true, fitted)[0, 1]) if len(chosen) > 2 else np.nan


def _value(params: dict, quantity: str) -> float:
    return COMBINATIONS[quantity](params) if quantity in COMBINATIONS else params[quantity]


def summary_table(records: list[dict]) -> pd.DataFrame:
    """Per loss, estimator and quantity: median |relative error|, fraction within 10 %,
    and the Pearson correlation of log fitted with log true values over the sets."""
    rows = []
    for loss in FREE:
        for estimator in values(records, "estimator"):
            chosen = pick(records, loss=loss, estimator=estimator)
            for q in quantities(loss):
                errors = [r["errors"][q] for r in chosen]
                rows.append(
                    {
                        "loss": loss,
                        "estimator": estimator,
                        "quantity": q,
                        **error_summary(errors),
                        "r(log fitted, log true)": _log_correlation(chosen, q),
                    }
                )
    return pd.DataFrame(rows)


def correlation_table(records: list[dict]) -> pd.DataFrame:
    """Pearson correlation between the relative errors of ``kon`` and ``kdeg`` (W1 fits)."""
    rows = []
    for estimator in values(records, "estimator"):
        chosen = pick(records, loss="w1", estimator=estimator)
        kon = np.array([r["errors"]["kon"] for r in chosen], dtype=float)
        kdeg = np.array([r["errors"]["kdeg"] for r in chosen], dtype=float)
        ok = np.isfinite(kon) & np.isfinite(kdeg)
        corr = float(np.corrcoef(kon[ok], kdeg[ok])[0, 1]) if ok.sum() > 2 else np.nan
        rows.append(
            {"estimator": estimator, "corr(err kon, err kdeg)": corr, "fits": int(ok.sum())}
        )
    return pd.DataFrame(rows)


def sets_table(config: Config) -> pd.DataFrame:
    """The parameter sets with their horizon and steady-state mean and Fano factor."""
    rows = []
    for i, p in enumerate(parameter_sets(config.sets)):
        s = p["kon"] + p["koff"]
        mean = steady_mean(p)
        fano = 1 + p["ktx"] * p["koff"] / (s * (s + p["kdeg"]))
        rows.append({"set": i, **p, "T": horizon(p), "mean M": mean, "Fano": fano})
    return pd.DataFrame(rows)


def diagnostic_table(records: list[dict], cells: int = 8000) -> pd.DataFrame:
    """Data or optimiser? W1 to the data of the true and of the fitted rates (score W1
    fits), each re-estimated on ``cells`` fresh cells (same seed for both)."""
    from scipy.stats import wasserstein_distance

    from ..simulate import simulate

    net, x0 = models.telegraph().network, models.telegraph().x0
    rows = []
    for r in pick(records, loss="w1", estimator="score"):
        truth, i = r["truth"], r["spec"]["set"]
        data = steady_data(i, truth, r["spec"]["cells"]).x.values[:, 0, 0]
        w1 = []
        for params in (truth, r["params"]):
            ds = simulate(net, params, x0, [horizon(truth)], n=cells, seed=99)
            w1.append(wasserstein_distance(ds.x.sel(species="M").values[:, 0], data))
        s = truth["kon"] + truth["koff"]
        fano = 1 + truth["ktx"] * truth["koff"] / (s * (s + truth["kdeg"]))
        worst = max(abs(r["errors"][k]) for k in FREE["w1"])
        rows.append(
            {"set": i, "Fano": fano, "W1 at truth": w1[0], "W1 fitted": w1[1], "worst |err|": worst}
        )
    return pd.DataFrame(rows)


def scatter_figure(records: list[dict], loss: str):
    """Fitted against true value per reported quantity, one colour per estimator."""
    import matplotlib.pyplot as plt

    names = quantities(loss)
    fig, axes = plt.subplots(1, len(names), figsize=(3.3 * len(names), 3.4), layout="constrained")
    for ax, q in zip(axes, names, strict=True):
        for estimator in values(records, "estimator"):
            chosen = pick(records, loss=loss, estimator=estimator)
            true = [_value(r["truth"], q) for r in chosen]
            fitted = [_value(r["params"], q) for r in chosen]
            ax.scatter(true, fitted, s=14, alpha=0.75, label=estimator)
        lo, hi = ax.get_xlim()
        ax.plot([lo, hi], [lo, hi], color="0.5", lw=0.8)
        ax.set(xscale="log", yscale="log", title=q, xlabel="true")
    axes[0].set_ylabel("fitted")
    axes[0].legend(fontsize=8)
    fig.suptitle(f"telegraph, {loss} fits: fitted against true")
    return fig


def run(out: Path, quick: bool = False, progress: bool = True, client=None) -> Report:
    """Run experiment 1 into ``out`` (resumable) and write its tables and figures."""
    config = QUICK if quick else FULL
    records = run_tasks(
        tasks(config), run_one, out, progress, label=NAME, quick=quick, client=client
    )
    return finish(
        out,
        "Telegraph model, random parameter sets (Mottes et al.)",
        [size_line(config, records)],
        {
            "telegraph_sets": ("Parameter sets", sets_table(config)),
            "telegraph_recovery": ("Recovery", summary_table(records)),
            "telegraph_correlation": (
                "kon-kdeg error correlation (W1)",
                correlation_table(records),
            ),
            "telegraph_diagnostic": (
                "Data or optimiser? W1 of true and fitted rates (score W1 fits, fresh cells)",
                diagnostic_table(records),
            ),
        },
        {f"telegraph_{loss}.png": scatter_figure(records, loss) for loss in FREE},
    )
