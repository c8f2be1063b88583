"""``ssagrad bench lattice``: cost per event as the network grows, and setup cost.

Workloads: the 1-D diffusion lattice :func:`ssagrad.models.diffusion_lattice` with
:data:`SIZES` reactions (1000 molecules from the middle site) and the Mendes multistate
model (18 reactions). Every exact method of ssagrad (one thread), GillesPy2's
``SSACSolver`` and bioscrape run each workload side by side in one process; events are
counted by ssagrad's direct method on the same workload. A log-log plot shows ns/event
against the number of reactions. The setup table times :func:`ssagrad.simulate` from
the call to the end of a zero-length run (lowering, kernel network, first propensities)
on a network built just before (first call) and on the same network again (repeat).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from .. import models
from .._files import save_figure
from ..backends import SSA_METHODS
from ..simulate import simulate
from .peers import bioscrape_simulator, gillespy2_model, have
from .timing import best_of, first_call

#: Reactions of the lattice workloads.
SIZES = (10, 100, 1000, 10_000)
#: Reactions of the setup table.
SETUP_SIZES = (100, 1000, 10_000)
#: Molecules on the lattice; events per unit time are about ``2 * MOLECULES``.
MOLECULES = 1000
#: Events per workload at ``scale=1`` (two trajectories).
EVENTS = 200_000
#: Peers slower than this per event get a single timed call (no autorange batches).
SLOW_PEER_NS = 2000.0
#: GillesPy2 builds models in time quadratic in the reactions (``Model.add_reaction``):
#: the 10 000-reaction lattice did not finish building in 13 minutes, so it is skipped.
GILLESPY2_MAX_REACTIONS = 1000


@dataclass
class Row:
    """One workload on one simulator."""

    workload: str
    reactions: int
    simulator: str
    events: int
    seconds: float
    error: str = ""

    @property
    def ns_per_event(self) -> float:
        """Wall time per reaction event, in nanoseconds."""
        return self.seconds / self.events * 1e9


def workloads(scale: float) -> list[tuple[str, models.Model, np.ndarray]]:
    """(label, model, times) of every workload, lattice sizes then multistate."""
    horizon = scale * EVENTS / (2 * 2 * MOLECULES)
    out = [
        (f"lattice {r}", models.diffusion_lattice(r, MOLECULES), np.linspace(0, horizon, 11))
        for r in SIZES
    ]
    out.append(("multistate", models.multistate(), np.linspace(0.0, 10.0 * scale, 11)))
    return out


def _peer_calls(model: models.Model, times: np.ndarray) -> dict[str, Callable[[], Any]]:
    """Two-trajectory runs of each installed peer; a peer that cannot build the model
    (e.g. GillesPy2's C++ compiler killed on a huge model) gets the error instead."""
    builders: dict[str, Callable[[], Callable[[], Any]]] = {}
    if have("gillespy2") and model.network.n_reactions <= GILLESPY2_MAX_REACTIONS:

        def gillespy2_call() -> Callable[[], Any]:
            import gillespy2

            peer = gillespy2_model(model.network, model.params, model.x0, times)
            solver = gillespy2.SSACSolver(model=peer)  # compiles C++ once, not timed
            return partial(peer.run, solver=solver, number_of_trajectories=2, seed=1)

        builders["GillesPy2 SSACSolver"] = gillespy2_call
    if have("bioscrape"):
        builders["bioscrape SSA"] = lambda: partial(
            bioscrape_simulator(model.network, model.params, model.x0, times), 2, 1
        )
    calls: dict[str, Any] = {}
    for name, build in builders.items():
        try:
            calls[name] = build()
        except Exception as exc:  # reported in the table
            calls[name] = f"{type(exc).__name__}: {str(exc).splitlines()[0][:80]}"
    return calls


def _peers(
    label: str, model: models.Model, times: np.ndarray, events: int, repeats: int
) -> list[Row]:
    r = model.network.n_reactions
    rows = []
    for name, call in _peer_calls(model, times).items():
        if isinstance(call, str):
            rows.append(Row(label, r, name, events, float("nan"), call))
            continue
        seconds, _ = first_call(call)
        if seconds / events * 1e9 < SLOW_PEER_NS:
            seconds, _ = best_of(repeats, call)
        rows.append(Row(label, r, name, events, seconds))
    return rows


def run(scale: float = 1.0, repeats: int = 3, peers: bool = True) -> list[Row]:
    """Time every workload on every simulator (one thread each).

    Parameters
    ----------
    scale : float
        Multiplies the horizon, hence the events (use < 1 for a quick look).
    repeats : int
        Timed batches per row; the best counts.
    peers : bool
        Also time GillesPy2 and bioscrape where installed.
    """
    rows = []
    for label, model, times in workloads(scale):
        r = model.network.n_reactions
        events = int(simulate(model, times=times, n=2, seed=1).events.sum())
        for method in SSA_METHODS:
            call = partial(simulate, model, times=times, n=2, seed=1, method=method, threads=1)
            seconds, _ = best_of(repeats, call)
            rows.append(Row(label, r, f"ssagrad {method}", events, seconds))
        if peers:
            rows.extend(_peers(label, model, times, events, repeats))
    return rows


def setup_times(sizes: tuple[int, ...] = SETUP_SIZES) -> list[tuple[int, float, float, float]]:
    """(reactions, build s, first-call s, repeat-call s) of a zero-length lattice run."""
    simulate(models.diffusion_lattice(10), times=[0.0], n=1, seed=1)  # load the kernels
    out = []
    for r in sizes:
        start = time.perf_counter()
        model = models.diffusion_lattice(r, MOLECULES)
        built = time.perf_counter() - start
        first, _ = first_call(partial(simulate, model, times=[0.0], n=1, seed=1))
        repeat, _ = best_of(3, partial(simulate, model, times=[0.0], n=1, seed=1), 0.0)
        out.append((r, built, first, repeat))
    return out


def _cell(row: Row | None) -> str:
    if row is None:
        return "–"
    return f"failed ({row.error})" if row.error else f"{row.ns_per_event:.0f}"


def format_tables(rows: list[Row], setup: list[tuple[int, float, float, float]]) -> str:
    """Markdown: ns/event per workload and simulator (with the best ssagrad method over each
    peer), then the setup table."""
    simulators = list(dict.fromkeys(r.simulator for r in rows))
    labels = list(dict.fromkeys(r.workload for r in rows))
    cell = {(r.workload, r.simulator): r for r in rows}
    lines = [
        "| workload | reactions | events | " + " | ".join(simulators) + " |",
        "|---|---:|---:|" + "---:|" * len(simulators),
    ]
    for label in labels:
        first = next(r for r in rows if r.workload == label)
        values = [
            f"{cell[label, s].ns_per_event:.0f}" if (label, s) in cell else "–" for s in simulators
        ]
        lines.append(
            f"| {label} | {first.reactions} | {first.events} | " + " | ".join(values) + " |"
        )
    lines += ["", "| reactions | build network s | first simulate s | repeat simulate s |"]
    lines.append("|---:|---:|---:|---:|")
    lines += [f"| {r} | {b:.3f} | {f:.3f} | {p:.4f} |" for r, b, f, p in setup]
    return "\n".join(lines)


def plot(rows: list[Row], path: Path) -> Path:
    """Log-log plot of ns/event against reactions (lattice workloads), one line a simulator."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.0, 4.2))
    for simulator in dict.fromkeys(r.simulator for r in rows):
        mine = [r for r in rows if r.simulator == simulator and r.workload.startswith("lattice")]
        style = "-o" if simulator.startswith("ssagrad") else "--s"
        ax.plot([r.reactions for r in mine], [r.ns_per_event for r in mine], style, label=simulator)
    ax.set(xscale="log", yscale="log", xlabel="reactions", ylabel="ns per event")
    ax.set_title("1-D diffusion lattice, one thread")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    save_figure(fig, path, dpi=120, bbox_inches="tight")
    plt.close(fig)
    return path
