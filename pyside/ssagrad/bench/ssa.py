"""``ssagrad bench ssa``: nanoseconds per SSA event, ours against GillesPy2, in one run."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import numpy as np

from .. import models
from ..simulate import simulate
from .peers import gillespy2_model, have
from .timing import TIMING_SECONDS, best_of

#: (model name, horizon, trajectories) of the standard workloads.
WORKLOADS = (
    ("dimerization", 2000.0, 200),
    ("negative_feedback", 1000.0, 200),
    ("multistate", 100.0, 100),
)


@dataclass
class Row:
    """One line of the benchmark table."""

    model: str
    simulator: str
    events: int
    seconds: float

    @property
    def ns_per_event(self) -> float:
        """Wall time per reaction event, in nanoseconds."""
        return self.seconds / self.events * 1e9


def run(scale: float = 1.0, repeats: int = 3, peers: bool = True) -> list[Row]:
    """Run the SSA workloads; return one row per (model, simulator).

    Parameters
    ----------
    scale : float
        Multiplies the number of trajectories (use < 1 for a quick look).
    repeats : int
        Least calls per timing; calls go on until :data:`TIMING_SECONDS` are spent too,
        and the best single call counts (compilation is excluded by a warm-up).
    peers : bool
        Also time GillesPy2's ``SSACSolver`` when it is installed.
    """
    import numba

    rows: list[Row] = []
    for name, horizon, n_base in WORKLOADS:
        model = models.get(name)
        n = max(2, int(n_base * scale))
        times = np.linspace(0.0, horizon, 101)
        simulate(model, times=times[:2], n=2, seed=0)  # compile / load the cache
        ds = simulate(model, times=times, n=n, seed=1)
        events = int(ds.events.sum())
        for threads in sorted({1, numba.config.NUMBA_NUM_THREADS}):
            seconds, _ = best_of(
                repeats,
                partial(simulate, model, times=times, n=n, seed=1, threads=threads),
                TIMING_SECONDS,
            )
            rows.append(
                Row(name, f"ssagrad ({threads} thread{'s' * (threads > 1)})", events, seconds)
            )
        if peers and have("gillespy2"):
            import gillespy2

            peer = gillespy2_model(model.network, model.params, model.x0, times)
            solver = gillespy2.SSACSolver(model=peer)  # compiles C++ once, not timed
            seconds, _ = best_of(
                repeats,
                partial(peer.run, solver=solver, number_of_trajectories=n, seed=1),
                TIMING_SECONDS,
            )
            rows.append(Row(name, "GillesPy2 SSACSolver (1 thread)", events, seconds))
    return rows


def format_table(rows: list[Row]) -> str:
    """A Markdown table with ns/event and the ratio against ssagrad on one thread."""
    lines = [
        "| model | simulator | events | wall s | ns/event | ratio vs ssagrad (1 thread) |",
        "|---|---|---:|---:|---:|---:|",
    ]
    base = {r.model: r.ns_per_event for r in rows if r.simulator.startswith("ssagrad (1 ")}
    for r in rows:
        ratio = r.ns_per_event / base[r.model] if r.model in base else float("nan")
        lines.append(
            f"| {r.model} | {r.simulator} | {r.events} | {r.seconds:.3f} | "
            f"{r.ns_per_event:.1f} | {ratio:.2f} |"
        )
    return "\n".join(lines)
