"""The structure-learning benchmark behind ``docs/structure.md``.

    python -m ssagrad.structure.bench --out DIR [--seeds 10] [--steps 300] [--docs FILE]

For each system (SIR at a fifth of the zoo's population, Lotka-Volterra and bimolecular
association with their zoo defaults; synthetic data of
:data:`CELLS` cells at :data:`POINTS` times, data seed 1), every row of :data:`ROWS` is
learned from ``--seeds`` seeds (seed ``s`` fixes the starting structure and every
simulation) with :func:`ssagrad.structure.learn`. Per run: the final RMSE of the learned
network's mean counts against the data's (2000 fresh cells), its active reactions, whether
they are exactly the true ones, the steps taken and the wall time. ``DIR/runs.csv`` holds
every run, ``DIR/table.md`` the table; ``--docs FILE`` also replaces the table between the
markers ``<!-- structure-bench:start -->`` and ``<!-- structure-bench:end -->`` in FILE.
Runs already in ``DIR/runs.csv`` (same system, row, seed and steps) are reused, so an
interrupted or extended benchmark continues where it stopped.
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from .. import models
from ..data import observed
from ..simulate import simulate
from ._result import mean_rmse
from .learn import learn
from .library import library

#: Data: cells per time, number of times, data seed.
CELLS, POINTS, DATA_SEED = 200, 10, 1
START, END = "<!-- structure-bench:start -->", "<!-- structure-bench:end -->"


@dataclass(frozen=True)
class System:
    """A benchmark system: zoo model, observation times and reactions per candidate."""

    name: str
    model: Callable[[], models.Model]
    first: float
    last: float

    @property
    def times(self) -> np.ndarray:
        return np.linspace(self.first, self.last, POINTS)


@dataclass(frozen=True)
class Row:
    """A formulation with its settings and what the paper found for it."""

    label: str
    formulation: str
    options: dict = field(default_factory=dict)
    paper: str = ""


def small_sir() -> models.Model:
    """The zoo's SIR at a fifth of its population: (S, I, R) = (190, 10, 0) and
    beta = 5e-4, so that beta * N and gamma (0.01), hence the epidemic's shape, stay."""
    return replace(models.sir(), params={"beta": 5e-4, "gamma": 0.01}, x0={"S": 190, "I": 10})


SYSTEMS = (
    System("SIR", small_sir, 25.0, 250.0),
    System("Lotka-Volterra", models.lotka_volterra, 1.0, 10.0),
    System("association", models.bimolecular_association, 0.25, 2.5),
)
SMOOTHING = {"estimator": "smoothing", "sigma": 0.1, "directions": 8, "n": 50}
SCORE = {"estimator": "score", "n": 50}
ROWS = (
    Row("1 library of reactions", "library_of_reactions", SMOOTHING,
        "precise fit, not parsimonious"),
    Row("1 library of reactions, score", "library_of_reactions", SCORE,
        "(smoothing only in the paper)"),
    Row("2 coefficient steps", "coefficient_steps", SMOOTHING,
        "parsimonious; struggles to converge"),
    Row("3 reaction steps", "reaction_steps", SMOOTHING,
        "initial progress towards parsimony; rates and structure hard to decouple"),
    Row("4 library of systems, stepped", "library_of_systems",
        {**SMOOTHING, "selection": "stepped"}, "(not reported separately)"),
    Row("4 library of systems, softmax", "library_of_systems",
        {**SCORE, "selection": "softmax"}, "completely smooth; recovers the parsimonious model"),
    Row("4 library of systems, softmax, 20 candidates", "library_of_systems",
        {**SCORE, "selection": "softmax", "candidates": 20}, "as above"),
)  # fmt: skip


def decoys(model: models.Model, count: int, seed: int) -> list[tuple[int, ...]]:
    """The true system and ``count - 1`` other systems of as many library reactions, in
    an order drawn from ``seed`` (so the truth is not first: logits start equal)."""
    lib = library(model.network.species, 2)
    size = model.network.n_reactions
    truth = tuple(sorted(lib.index_of(r) for r in model.network.reactions))
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0xDEC0]))
    systems = {truth}
    while len(systems) < count:
        systems.add(tuple(sorted(rng.choice(len(lib), size=size, replace=False).tolist())))
    ordered = sorted(systems)
    return [ordered[i] for i in rng.permutation(len(ordered))]


def _data(system: System):
    model = system.model()
    return model, simulate(model, times=system.times, n=CELLS, seed=DATA_SEED)


def truth_rmse(system: System) -> float:
    """RMSE of the true model's mean counts (2000 fresh cells) against the data's: the
    noise floor of the data's means."""
    model, data = _data(system)
    fresh = simulate(model, times=system.times, n=2000, seed=DATA_SEED + 1)
    obs = observed(data)
    return mean_rmse(fresh.x.values, obs, np.arange(len(obs.species)))


def run_one(system: System, row: Row, seed: int, steps: int, threads: int | None = None) -> dict:
    """One learning run: its measurements as a flat dict (a CSV row)."""
    model, data = _data(system)
    options = dict(row.options)
    if "candidates" in options:
        options["systems"] = decoys(model, options.pop("candidates"), seed)
    elif row.formulation != "library_of_reactions":
        options["slots"] = model.network.n_reactions
    began = time.perf_counter()
    result = learn(data, x0=model.x0, formulation=row.formulation, max_order=2, steps=steps,
                   seed=seed, lr=0.1, progress=False, threads=threads, **options)  # fmt: skip
    return {
        "system": system.name,
        "row": row.label,
        "seed": seed,
        "initial_loss": float(result.history.loss.values[0, 0]),
        "rmse": result.rmse,
        "rmse_all": result.rmse_all,
        "active": result.n_active,
        "recovered": result.recovered(model.network),
        "steps": result.steps,
        "wall": time.perf_counter() - began,
        "reactions": " ; ".join(result.active),
        "error": "",
    }


def _spread(values: Sequence[float], digits: str = ".3g") -> str:
    v = np.asarray(values, dtype=np.float64)
    return f"{np.median(v):{digits}} [{v.min():{digits}}–{v.max():{digits}}]"


def table(runs: list[dict], floors: dict[str, float]) -> list[str]:
    """The Markdown table: one line per system and row."""
    lines = [
        "| system | formulation | RMSE, median [min–max] | RMSE with inactive reactions | "
        "active reactions | true structure recovered | steps | wall s per run | paper's finding |",
        "|---|---|---|---|---|---|---:|---|---|",
    ]
    for system in dict.fromkeys(r["system"] for r in runs):
        truth = next(s for s in SYSTEMS if s.name == system).model().network.n_reactions
        for label in dict.fromkeys(r["row"] for r in runs if r["system"] == system):
            every = [r for r in runs if r["system"] == system and r["row"] == label]
            subset = [r for r in every if not r["error"]] or every
            failed = len(every) - sum(not r["error"] for r in every)
            note = f" ({failed} failed)" if failed else ""
            paper = next(row.paper for row in ROWS if row.label == label)
            lines.append(
                f"| {system} | {label} | {_spread([r['rmse'] for r in subset])} | "
                f"{_spread([r['rmse_all'] for r in subset])} | "
                f"{_spread([r['active'] for r in subset], '.0f')} (truth {truth}) | "
                f"{sum(bool(r['recovered']) for r in every)} / {len(every)}{note} | "
                f"{int(np.median([r['steps'] for r in subset]))} | "
                f"{_spread([r['wall'] for r in subset], '.0f')} | {paper} |"
            )
    floor_text = ", ".join(f"{k} {v:.3g}" for k, v in floors.items())
    return lines + [
        "",
        f"RMSE of the true model itself (the noise floor of the data): {floor_text}.",
    ]


def write(
    out: Path, runs: list[dict], floors: dict[str, float], seconds: float, docs=None, workers=1
) -> str:
    """Write ``runs.csv`` and ``table.md`` (and the docs' table); return the table text."""
    out.mkdir(parents=True, exist_ok=True)
    _save(out / "runs.csv", runs)
    seeds = len({r["seed"] for r in runs})
    total = sum(r["wall"] for r in runs) / 60
    note = (
        f"{seeds} seeds per row, {len(runs)} runs whose wall times add up to {total:.0f} min "
        f"(one kernel thread each, run {workers} at a time, on {os.cpu_count()} cores "
        f"({platform.machine()}) shared with other work, under `nice -n 15`)."
    )
    text = "\n".join([*table(runs, floors), "", note]) + "\n"
    (out / "table.md").write_text(text)
    if docs is not None:
        page = Path(docs).read_text()
        if START not in page or END not in page:
            raise ValueError(f"{docs} has no {START} ... {END} markers")
        head, rest = page.split(START, 1)
        page = head + START + "\n" + text + END + rest.split(END, 1)[1]
        Path(docs).write_text(page)
    return text


FIELDS = ("system", "row", "seed", "initial_loss", "rmse", "rmse_all", "active", "recovered",
          "steps", "wall", "reactions", "error")  # fmt: skip


def _task(task: tuple) -> dict:
    """One run; a run that fails is recorded as such (with the error), not raised."""
    system, row, seed, steps = task
    began = time.perf_counter()
    try:
        r = run_one(system, row, seed, steps, threads=1)
    except Exception as err:  # a diverging or runaway run is a result too
        nan = float("nan")
        r = dict(
            zip(FIELDS, (system.name, row.label, seed, nan, nan, nan, 0, False, 0), strict=False)
        )
        r.update(
            wall=time.perf_counter() - began,
            reactions="",
            error=f"{type(err).__name__}: {err}"[:300],
        )
    print(f"{system.name:15s} {row.label:45s} seed {seed}: RMSE {r['rmse']:.3g} "
          f"({r['rmse_all']:.3g}), {r['active']} active, recovered {r['recovered']}, "
          f"{r['wall']:.0f} s {r['error'][:80]}", flush=True)  # fmt: skip
    return r


def _key(task: tuple) -> tuple:
    system, row, seed, steps = task
    return (system.name, row.label, str(seed), str(steps))


def _row_key(r: dict) -> tuple:
    return (r["system"], r["row"], str(r["seed"]), str(r["steps_requested"]))


def _previous(path: Path) -> dict[tuple, dict]:
    """Runs of an earlier call with the same ``--out``, by (system, row, seed, steps): a
    run depends on nothing else, so an interrupted or extended benchmark reuses them."""
    if not path.is_file():
        return {}
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    for r in rows:
        for name in ("initial_loss", "rmse", "rmse_all", "wall"):
            r[name] = float(r[name])
        r["active"], r["steps"] = int(r["active"]), int(r["steps"])
        r["recovered"] = r["recovered"] == "True"
    return {_row_key(r): r for r in rows}


def _save(path: Path, runs: list[dict]) -> None:
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=[*FIELDS, "steps_requested"])
        writer.writeheader()
        writer.writerows(runs)


def _run_all(tasks: list[tuple], workers: int, path: Path, done: dict) -> dict[tuple, dict]:
    """Run ``tasks`` (in worker processes if ``workers > 1``), saving ``path`` after each."""
    results = dict(done)

    def keep(task: tuple, r: dict) -> None:
        r["steps_requested"] = task[3]
        results[_key(task)] = r
        _save(path, list(results.values()))

    if workers <= 1:
        for task in tasks:
            keep(task, _task(task))
        return results
    import multiprocessing

    with multiprocessing.get_context("spawn").Pool(workers) as pool:
        for task, r in zip(tasks, pool.imap(_task, tasks, chunksize=1), strict=True):
            keep(task, r)
    return results


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark (see the module docstring)."""
    parser = argparse.ArgumentParser(prog="python -m ssagrad.structure.bench")
    parser.add_argument("--out", type=Path, default=Path("structure-bench"))
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--docs", type=Path, default=None, help="docs page whose table to replace")
    parser.add_argument("--systems", nargs="*", default=None, help="subset of system names")
    parser.add_argument("--workers", type=int, default=1, help="processes (1 kernel thread each)")
    args = parser.parse_args(argv)
    began = time.perf_counter()
    systems = [s for s in SYSTEMS if args.systems is None or s.name in args.systems]
    tasks = [
        (s, row, seed, args.steps) for s in systems for row in ROWS for seed in range(args.seeds)
    ]
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "runs.csv"
    done = _previous(path)
    results = _run_all([t for t in tasks if _key(t) not in done], args.workers, path, done)
    runs = [results[_key(t)] for t in tasks]
    floors = {s.name: truth_rmse(s) for s in systems}
    print(write(args.out, runs, floors, time.perf_counter() - began, args.docs, args.workers))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
