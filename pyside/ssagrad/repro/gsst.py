"""GS-ST's known bias in fits: gumbel against score and altpath on the same data.

``docs/estimators/gumbel.md`` measures straight-through gradients of the telegraph
model off by several-fold at late times. What does that do to a fit? Telegraph model at
its zoo rates (kon = 0.5, koff = 1, ktx = 10, kdeg = 1, from the gene off); data per
seed: 1 000 independent cells of ``M`` at t = 1, 2, 4, 10; ``kon``, ``koff``, ``ktx``
fitted with W1 (``kdeg`` fixed), from (1, 2, 5) — the start of ``ssagrad bench fit`` —
with every variant below on the same data, start and fit seed (6 seeds):

* ``score``, ``altpath`` (unbiased references);
* ``gumbel`` at temperature 1 (default), 0.5 and 2;
* ``gumbel`` with ``time_smoothing=0`` (hard lookup of the state at the observation
  times: the event-time sensitivity dropped, as stochastix does);
* ``gumbel`` annealed: three stages of a third of the steps each at temperatures 2, 1,
  0.5, each stage starting from the previous stage's fitted values (fresh Adam state).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .. import models
from ._fits import run_fit, snapshot
from ._report import TOLERANCE, Report, finish, pick, size_line
from ._store import Task, run_tasks

NAME = "gsst"
TIMES = (1.0, 2.0, 4.0, 10.0)
START = {"kon": 1.0, "koff": 2.0, "ktx": 5.0, "kdeg": 1.0}
FREE = ("kon", "koff", "ktx")
VARIANTS = {
    "score": ("score", {}),
    "altpath": ("altpath", {}),
    "gumbel T=1": ("gumbel", {"temperature": 1.0}),
    "gumbel T=0.5": ("gumbel", {"temperature": 0.5}),
    "gumbel T=2": ("gumbel", {"temperature": 2.0}),
    "gumbel hard lookup": ("gumbel", {"time_smoothing": 0.0}),
    "gumbel annealed 2→1→0.5": ("gumbel", {"anneal": [2.0, 1.0, 0.5]}),
}
SEED = 5200


@dataclass(frozen=True)
class Config:
    """Size of a run."""

    seeds: int
    cells: int
    steps: int
    n: int
    n_eval: int


FULL = Config(seeds=6, cells=1000, steps=100, n=200, n_eval=1000)
QUICK = Config(seeds=1, cells=200, steps=15, n=60, n_eval=200)


def tasks(config: Config) -> list[Task]:
    """One task per seed and variant."""
    truth = models.telegraph().params
    out = []
    for s in range(config.seeds):
        for k, (label, (estimator, options)) in enumerate(VARIANTS.items()):
            spec = {
                "variant": label,
                "truth": truth,
                "data_seed": SEED + s,
                "cells": config.cells,
                "init": START,
                "fixed": ["kdeg"],
                "loss": "w1",
                "estimator": estimator,
                "options": options,
                "steps": config.steps,
                "n": config.n,
                "n_eval": config.n_eval,
                "seed": SEED + 100 + s,
            }
            out.append(Task(f"seed{s:02d}-v{k}", spec))
    return out


def _annealed(model, data, spec: dict) -> dict:
    """Stages at decreasing temperature, each from the previous stage's fitted values."""
    temperatures = spec["options"]["anneal"]
    stage_steps = max(1, spec["steps"] // len(temperatures))
    init, curves, began = dict(spec["init"]), [], time.perf_counter()
    record = None
    for k, temperature in enumerate(temperatures):
        stage = {**spec, "init": init, "steps": stage_steps, "seed": spec["seed"] + 1000 * k}
        stage["options"] = {"temperature": temperature}
        record = run_fit(model, data, spec["truth"], stage)
        init = dict(record["params"])
        curves.append(np.asarray(record["curve"], dtype=float))
    assert record is not None
    curve = np.concatenate(curves)
    record["curve_steps"] = np.linspace(0, spec["steps"] - 1, curve.size).round().astype(int)
    record["curve"] = curve
    record["init"] = dict(spec["init"])
    record["seconds"] = time.perf_counter() - began
    return record


def run_one(spec: dict) -> dict:
    """One fit (or one annealed sequence of fits)."""
    model = models.telegraph()
    data = snapshot(model, TIMES, spec["cells"], spec["data_seed"], ["M"])
    if "anneal" in spec["options"]:
        return _annealed(model, data, spec)
    return run_fit(model, data, spec["truth"], spec)


def summary_table(records: list[dict]) -> pd.DataFrame:
    """Per variant: median |relative error| per rate, fits with all within 10 %, loss."""
    rows = []
    for variant in VARIANTS:
        chosen = pick(records, variant=variant)
        if not chosen:
            continue
        row = {"variant": variant}
        for k in FREE:
            row[f"median |err {k}|"] = float(np.median([abs(r["errors"][k]) for r in chosen]))
        ok = sum(all(abs(r["errors"][k]) <= TOLERANCE for k in FREE) for r in chosen)
        row["all within 10 %"] = f"{ok}/{len(chosen)}"
        row["median final W1"] = float(np.median([r["loss"] for r in chosen]))
        row["s per fit"] = float(np.mean([r["seconds"] for r in chosen]))
        rows.append(row)
    return pd.DataFrame(rows)


def figure(records: list[dict]):
    """Fitted value / truth per rate and variant (one dot per seed)."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(FREE), figsize=(13, 4.4), layout="constrained", sharey=True)
    labels = [v for v in VARIANTS if any(r["spec"]["variant"] == v for r in records)]
    for ax, k in zip(axes, FREE, strict=True):
        for i, variant in enumerate(labels):
            ratios = [1 + r["errors"][k] for r in records if r["spec"]["variant"] == variant]
            ax.scatter(np.full(len(ratios), i), ratios, s=18, alpha=0.75)
        ax.axhspan(1 - TOLERANCE, 1 + TOLERANCE, color="0.88", zorder=0)
        ax.set_xticks(range(len(labels)), labels, rotation=40, ha="right", fontsize=8)
        ax.set(yscale="log", title=k)
    axes[0].set_ylabel("fitted / true")
    fig.suptitle("telegraph W1 fits, same data: gumbel variants against score and altpath")
    return fig


def run(out: Path, quick: bool = False, progress: bool = True, client=None) -> Report:
    """Run the GS-ST bias section into ``out`` (resumable); write its table and figure."""
    config = QUICK if quick else FULL
    records = run_tasks(
        tasks(config), run_one, out, progress, label=NAME, quick=quick, client=client
    )
    return finish(
        out,
        "GS-ST's bias in fits",
        [size_line(config, records)],
        {NAME: ("Recovery per variant", summary_table(records))},
        {"gsst.png": figure(records)},
    )
