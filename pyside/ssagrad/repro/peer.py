"""Experiment 5: side by side with stochastix on experiments 1 and 2.

stochastix (``pip install ".[bench]"``) has no fitting loop; its documentation writes
one with optax: Adam on log rate constants, ``jax.value_and_grad`` through ``vmap``-ed
``stochsimsolve`` runs under ``DifferentiableDirect`` (GS-ST, temperature 1), ``jit``
around the step (:func:`ssagrad.bench.stochastix_fit.gs_st_fit`). Its loss is the
sorted-sample W1, summed over the observation times — the form its straight-through
tangents differentiate, and the form our ``gumbel`` fits use for W1.

Same data, same start, same free rates, the same number of steps and trajectories per
step, and the same learning rate (0.1) as ours. stochastix costs about 200 times our
kernels per step here, so it runs on a subset, stated: the telegraph W1 fits (experiment
1) of the five parameter sets with the fewest expected SSA events per cell (a cost rule
on the design, not on any result), and the association fits (experiment 2) of seeds 0–4
in both regimes. Ours run in the same command: ``score`` and ``gumbel``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .. import models
from ..simulate import simulate
from . import association, telegraph
from ._fits import run_fit
from ._report import TOLERANCE, Report, finish, pick, rel_error, size_line
from ._store import Task, run_tasks

NAME = "stochastix"
OURS = ("score", "gumbel")


@dataclass(frozen=True)
class Config:
    """Size of a run: which sets/seeds, and the fits' size (as in experiments 1 and 2)."""

    telegraph_sets: int
    association_seeds: int
    telegraph: telegraph.Config
    association: association.Config


FULL = Config(5, 5, telegraph.FULL, association.FULL)
QUICK = Config(1, 1, telegraph.QUICK, association.QUICK)


def expected_events(p: dict) -> float:
    """Expected SSA events per telegraph cell to :func:`telegraph.horizon` (steady-state rates)."""
    s = p["kon"] + p["koff"]
    rate = 2 * p["kdeg"] * telegraph.steady_mean(p) + 2 * p["kon"] * p["koff"] / s
    return rate * telegraph.horizon(p)


def telegraph_subset(count: int) -> list[int]:
    """The ``count`` parameter sets with the fewest expected events per cell."""
    sets = telegraph.parameter_sets(25)
    return sorted(sorted(range(len(sets)), key=lambda i: expected_events(sets[i]))[:count])


def tasks(config: Config) -> list[Task]:
    """Ours and stochastix's fit of each chosen telegraph set and association seed."""
    chosen = []
    keep = set(telegraph_subset(config.telegraph_sets))
    for task in telegraph.tasks(
        telegraph.Config(25, *_size(config.telegraph), ("score", "gumbel"))
    ):
        if task.spec["set"] in keep and task.spec["loss"] == "w1":
            chosen.append(Task(f"telegraph-{task.key}", {**task.spec, "experiment": "telegraph"}))
    size = _size(config.association)
    for task in association.tasks(association.Config(config.association_seeds, *size, OURS)):
        chosen.append(Task(f"association-{task.key}", {**task.spec, "experiment": "association"}))
    out = []
    for task in chosen:
        if task.spec["estimator"] == "gumbel":  # one stochastix fit per problem
            peer = {**task.spec, "estimator": "stochastix", "options": {}}
            out.append(Task(task.key.replace("gumbel", "stochastix"), peer))
        out.append(task)
    return out


def _size(config) -> tuple:
    return (config.cells, config.steps, config.n, config.n_eval)


def _budget(model: models.Model, params: list[dict], times) -> int:
    """stochastix's per-cell event budget: twice the most events seen in 200 cells."""
    most = 0
    for p in params:
        ds = simulate(model.network, p, model.x0, list(times), n=200, seed=1)
        most = max(most, int(ds.events.max()))
    return 2 * most + 50


def _problem(spec: dict):
    if spec["experiment"] == "telegraph":
        base = models.telegraph()
        model = models.Model(base.name, base.network, dict(spec["truth"]), base.x0, base.t_end)
        data = telegraph.steady_data(spec["set"], spec["truth"], spec["cells"])
        return model, data, "M"
    model = association.model_for(spec["regime"])
    return (
        model,
        association.association_data(spec["regime"], spec["data_seed"], spec["cells"]),
        "C",
    )


def run_one(spec: dict) -> dict:
    """Our fit, or stochastix's on the same problem."""
    model, data, species = _problem(spec)
    if spec["estimator"] != "stochastix":
        return run_fit(model, data, spec["truth"], spec)
    from ..bench.stochastix_fit import gs_st_fit

    times = [float(t) for t in data.time.values]
    max_steps = _budget(model, [spec["truth"], spec["init"]], times)
    free = [k for k in spec["init"] if k not in spec["fixed"]]
    began = time.perf_counter()
    peer = gs_st_fit(
        model.network,
        spec["init"],
        model.x0,
        species,
        times if len(times) > 1 else times[0],
        data.x.sel(species=species).values,
        free,
        n=spec["n"],
        steps=spec["steps"],
        lr=0.1,
        max_steps=max_steps,
        seed=spec["seed"],
    )
    return {
        "params": peer.params,
        "truth": spec["truth"],
        "free": free,
        "errors": {k: rel_error(peer.params[k], spec["truth"][k]) for k in free},
        "seconds": time.perf_counter() - began,
        "first_step_seconds": peer.first_step_seconds,
        "max_steps": max_steps,
        "version": peer.version,
    }


def summary_table(records: list[dict]) -> pd.DataFrame:
    """Per problem group and fitter: median errors, fits with every rate within 10 %, time."""
    rows = []
    groups = {
        "telegraph W1": lambda s: s["experiment"] == "telegraph",
        **{
            f"association {regime}": (
                lambda s, g=regime: s["experiment"] == "association" and s["regime"] == g
            )
            for regime in association.REGIMES
        },
    }
    for group, member in groups.items():
        for fitter in (*OURS, "stochastix"):
            chosen = [r for r in records if member(r["spec"]) and r["spec"]["estimator"] == fitter]
            if not chosen:
                continue
            free = chosen[0]["free"]
            row = {
                "problem": group,
                "fitter": "stochastix GS-ST" if fitter == "stochastix" else f"ssagrad {fitter}",
            }
            for k in free:
                row[f"median |err {k}|"] = float(np.median([abs(r["errors"][k]) for r in chosen]))
            ok = sum(all(abs(e) <= TOLERANCE for e in r["errors"].values()) for r in chosen)
            row["all within 10 %"] = f"{ok}/{len(chosen)}"
            row["s per fit"] = float(np.mean([r["seconds"] for r in chosen]))
            rows.append(row)
    return pd.DataFrame(rows)


def figure(records: list[dict]):
    """Wall time per fit against the largest |relative error|, per fitter."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.5, 4.4), layout="constrained")
    for fitter in (*OURS, "stochastix"):
        chosen = pick(records, estimator=fitter)
        worst = [max(abs(e) for e in r["errors"].values()) for r in chosen]
        ax.scatter(
            [r["seconds"] for r in chosen],
            worst,
            s=18,
            alpha=0.75,
            label="stochastix GS-ST" if fitter == "stochastix" else f"ssagrad {fitter}",
        )
    ax.axhline(TOLERANCE, color="0.5", ls="--", lw=0.8)
    ax.set(
        xscale="log",
        yscale="log",
        xlabel="wall time per fit (s)",
        ylabel="largest |relative error|",
    )
    ax.legend(fontsize=8)
    ax.set_title("same fits, ssagrad vs stochastix")
    return fig


def run(out: Path, quick: bool = False, progress: bool = True, client=None) -> Report:
    """Run experiment 5 into ``out`` (resumable); write its table and figure."""
    from ..bench.peers import have

    if not (have("stochastix") and have("optax")):
        raise RuntimeError("stochastix and optax are needed: pip install '.[bench]'")
    config = QUICK if quick else FULL
    records = run_tasks(
        tasks(config), run_one, out, progress, label=NAME, quick=quick, client=client
    )
    subset = ", ".join(map(str, telegraph_subset(config.telegraph_sets)))
    intro = (
        f"Telegraph sets {subset} (W1, experiment 1) and association seeds "
        f"0–{config.association_seeds - 1} (experiment 2); stochastix "
        f"{next((r['version'] for r in records if 'version' in r), '?')}. "
        + size_line(config, records).split(". ", 1)[1]
    )
    return finish(
        out,
        "Side by side with stochastix",
        [intro],
        {NAME: ("Ours and theirs", summary_table(records))},
        {"stochastix.png": figure(records)},
    )
