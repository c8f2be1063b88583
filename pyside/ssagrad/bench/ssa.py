"""``ssagrad bench ssa``: nanoseconds per SSA event, ours against GillesPy2 and bioscrape.

Every workload runs in one process, side by side: ssagrad's direct method on one thread
and on every core (the parallel efficiency is the one-thread time over ``threads`` times
the all-core time), GillesPy2's ``SSACSolver`` and bioscrape's Cython SSA on one thread.
Events are counted by ssagrad on the same model, seeds and horizon.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import numpy as np

from .. import models
from ..simulate import simulate
from .peers import bioscrape_simulator, gillespy2_model, have
from .timing import TIMING_SECONDS, best_of

#: (model name, horizon, trajectories) of the standard workloads; >= 1000 trajectories
#: for the parallel efficiency.
WORKLOADS = (
    ("dimerization", 400.0, 1000),
    ("negative_feedback", 1000.0, 1000),
    ("multistate", 20.0, 1000),
)


@dataclass
class Row:
    """One line of the benchmark table."""

    model: str
    simulator: str
    events: int
    seconds: float
    threads: int = 1

    @property
    def ns_per_event(self) -> float:
        """Wall time per reaction event, in nanoseconds."""
        return self.seconds / self.events * 1e9


def _peer_rows(
    name: str, model: models.Model, times: np.ndarray, n: int, events: int, repeats: int
) -> list[Row]:
    """GillesPy2 and bioscrape on the same workload, where installed."""
    rows = []
    if have("gillespy2"):
        import gillespy2

        peer = gillespy2_model(model.network, model.params, model.x0, times)
        solver = gillespy2.SSACSolver(model=peer)  # compiles C++ once, not timed
        call = partial(peer.run, solver=solver, number_of_trajectories=n, seed=1)
        seconds, _ = best_of(repeats, call, TIMING_SECONDS)
        rows.append(Row(name, "GillesPy2 SSACSolver (1 thread)", events, seconds))
    if have("bioscrape"):
        run = bioscrape_simulator(model.network, model.params, model.x0, times)
        seconds, _ = best_of(repeats, partial(run, n, 1), TIMING_SECONDS)
        rows.append(Row(name, "bioscrape SSA (1 thread)", events, seconds))
    return rows


def run(scale: float = 1.0, repeats: int = 3, peers: bool = True) -> list[Row]:
    """Run the SSA workloads; return one row per (model, simulator).

    Parameters
    ----------
    scale : float
        Multiplies the number of trajectories (use < 1 for a quick look).
    repeats : int
        Timed batches per row (each at least :data:`TIMING_SECONDS`, sized by
        :meth:`timeit.Timer.autorange`); the best counts, after a warm-up call.
    peers : bool
        Also time GillesPy2's ``SSACSolver`` and bioscrape when they are installed.
    """
    import numba

    rows: list[Row] = []
    for name, horizon, n_base in WORKLOADS:
        model = models.get(name)
        n = max(2, int(n_base * scale))
        times = np.linspace(0.0, horizon, 101)
        ds = simulate(model, times=times, n=n, seed=1)
        events = int(ds.events.sum())
        for threads in sorted({1, numba.config.NUMBA_NUM_THREADS}):
            call = partial(simulate, model, times=times, n=n, seed=1, threads=threads)
            seconds, _ = best_of(repeats, call, TIMING_SECONDS)
            label = f"ssagrad direct ({threads} thread{'s' * (threads > 1)})"
            rows.append(Row(name, label, events, seconds, threads))
        if peers:
            rows.extend(_peer_rows(name, model, times, n, events, repeats))
    return rows


def format_table(rows: list[Row]) -> str:
    """A Markdown table: ns/event, each peer's time over ssagrad's (1 thread), efficiency."""
    lines = [
        "| model | simulator | events | wall s | ns/event | × ssagrad (1 thread) "
        "| parallel efficiency |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    base = {r.model: r for r in rows if r.simulator == "ssagrad direct (1 thread)"}
    for r in rows:
        mine = base.get(r.model)
        ratio = r.ns_per_event / mine.ns_per_event if mine else float("nan")
        efficiency = ""
        if mine and r.threads > 1:
            efficiency = f"{mine.seconds / (r.threads * r.seconds):.0%}"
        lines.append(
            f"| {r.model} | {r.simulator} | {r.events} | {r.seconds:.3f} | "
            f"{r.ns_per_event:.1f} | {ratio:.2f} | {efficiency} |"
        )
    return "\n".join(lines)
