"""Experiment 4 (Kreikemeyer et al.): SIR mean trajectories, RMSE loss.

The zoo SIR model (``S + I -> 2I`` beta = 1e-4, ``I -> R`` gamma = 0.01, from
(999, 1, 0); the forum thread's setting). Data per seed: 200 trajectories observed at
t = 25, 50, ..., 250 (time-lapse: the same cells at every time), all three species. The
loss is the RMSE between simulated and observed mean trajectories; ``beta`` and
``gamma`` are fitted from a start off by a factor drawn log-uniformly in [1/3, 3] per
rate, with Kreikemeyer et al.'s reparametrisation ``exp(a u + c) - exp(c)`` for every
estimator: ``smoothing`` (their method: Gaussian smoothing, 4 orthogonal antithetic
directions), ``score`` and ``altpath``. Reported: loss curves, final errors, wall time.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .. import models
from ..simulate import simulate
from ._fits import run_fit, start_factors
from ._report import TOLERANCE, Report, finish, pick, size_line, values
from ._store import Task, run_tasks

NAME = "sir"
TIMES = tuple(25.0 * k for k in range(1, 11))
ESTIMATORS = ("smoothing", "score", "altpath")
OPTIONS = {"smoothing": {"directions": 4, "orthogonal": True}}
SEED = 6100


@dataclass(frozen=True)
class Config:
    """Size of a run."""

    seeds: int
    trajectories: int
    steps: int
    n: int
    n_eval: int
    estimators: tuple = ESTIMATORS


FULL = Config(seeds=5, trajectories=200, steps=100, n=100, n_eval=500)
QUICK = Config(seeds=1, trajectories=100, steps=20, n=50, n_eval=200)


def tasks(config: Config) -> list[Task]:
    """One task per seed and estimator."""
    truth = models.sir().params
    out = []
    for s in range(config.seeds):
        factors = start_factors(SEED + s, ("beta", "gamma"), 3.0)
        init = {k: v * factors[k] for k, v in truth.items()}
        for estimator in config.estimators:
            spec = {
                "truth": truth,
                "data_seed": SEED + 100 + s,
                "trajectories": config.trajectories,
                "init": init,
                "fixed": [],
                "loss": "rmse",
                "reparam": "kreikemeyer",
                "estimator": estimator,
                "options": OPTIONS.get(estimator, {}),
                "steps": config.steps,
                "n": config.n,
                "n_eval": config.n_eval,
                "seed": SEED + 200 + s,
            }
            out.append(Task(f"seed{s:02d}-{estimator}", spec))
    return out


def run_one(spec: dict) -> dict:
    """One fit."""
    model = models.sir()
    data = simulate(model, times=list(TIMES), n=spec["trajectories"], seed=spec["data_seed"])
    return run_fit(model, data, spec["truth"], spec)


def summary_table(records: list[dict]) -> pd.DataFrame:
    """Per estimator: errors, successes (both within 10 %), final loss, cost."""
    rows = []
    for estimator in values(records, "estimator"):
        chosen = pick(records, estimator=estimator)
        ok = sum(all(abs(e) <= TOLERANCE for e in r["errors"].values()) for r in chosen)
        rows.append(
            {
                "estimator": estimator,
                "within 10 %": f"{ok}/{len(chosen)}",
                "median |err beta|": float(np.median([abs(r["errors"]["beta"]) for r in chosen])),
                "median |err gamma|": float(np.median([abs(r["errors"]["gamma"]) for r in chosen])),
                "median final RMSE": float(np.median([r["loss"] for r in chosen])),
                "s per fit": float(np.mean([r["seconds"] for r in chosen])),
                "ms per step": 1e3
                * float(np.mean([r["seconds"] / r["spec"]["steps"] for r in chosen])),
            }
        )
    return pd.DataFrame(rows)


def figure(records: list[dict]):
    """Loss curve of every fit, one colour per estimator."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.5, 4.2), layout="constrained")
    colours = {}
    for r in records:
        estimator = r["spec"]["estimator"]
        label = None if estimator in colours else estimator
        line = ax.plot(
            r["curve_steps"],
            r["curve"],
            color=colours.get(estimator),
            lw=0.9,
            alpha=0.8,
            label=label,
        )[0]
        colours.setdefault(estimator, line.get_color())
    ax.set(yscale="log", xlabel="step", ylabel="RMSE of the mean trajectories")
    ax.legend(fontsize=8)
    ax.set_title("SIR: loss curves (one line per seed)")
    return fig


def run(out: Path, quick: bool = False, progress: bool = True, client=None) -> Report:
    """Run experiment 4 into ``out`` (resumable) and write its table and figure."""
    config = QUICK if quick else FULL
    records = run_tasks(
        tasks(config), run_one, out, progress, label=NAME, quick=quick, client=client
    )
    return finish(
        out,
        "SIR mean trajectories (Kreikemeyer et al.)",
        [size_line(config, records)],
        {NAME: ("Recovery and cost", summary_table(records))},
        {"sir_loss.png": figure(records)},
    )
