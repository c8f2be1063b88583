"""``ssagrad bench ssa``: nanoseconds per SSA event, ours against GillesPy2 and bioscrape.

Every workload runs in one process, side by side: ssagrad's direct method on one thread
and on every core (the parallel efficiency is the one-thread time over ``threads`` times
the all-core time), the same algorithm in C (:mod:`.c_reference`: the same random
numbers and arithmetic, reading the network from arrays as the generic kernel does),
GillesPy2's ``SSACSolver`` and bioscrape's Cython SSA on one thread. A hot small network
runs on its own kernel (``backends/native/_specialised``), so the generic kernel has a
row of its own, and so has each of a small network's two own kernels (the plain rows
run the one the tier timed and kept). Events are counted
by ssagrad on the same model, seeds and horizon.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np

from .. import models
from ..backends.native import _specialised
from ..backends.native._kernel_source import selections_for
from ..simulate import simulate
from .c_reference import c_direct
from .peers import bioscrape_simulator, gillespy2_model, have
from .timing import TIMING_SECONDS, best_of_interleaved

#: (model name, horizon, trajectories) of the standard workloads; >= 1000 trajectories
#: for the parallel efficiency.
WORKLOADS = (
    ("dimerization", 400.0, 1000),
    ("negative_feedback", 1000.0, 1000),
    ("multistate", 20.0, 1000),
)
#: Label of the C reference row (the same algorithm and random numbers, in C).
C_REFERENCE = "C reference, same algorithm (1 thread)"
#: Label of the direct method on its generic kernel (see ``backends/native/_specialised``).
GENERIC = "ssagrad direct, generic kernel (1 thread)"
#: Label of the direct method on the network's own kernel with a given way of selecting
#: the reaction (``backends/native/_kernel_source``); the plain row runs the one the tier
#: timed and kept.
OWN_KERNEL = "ssagrad direct, {} kernel (1 thread)"


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


def _peer_calls(model: models.Model, times: np.ndarray, n: int) -> dict[str, Callable[[], Any]]:
    """GillesPy2 and bioscrape on the same workload, where installed (labels -> calls)."""
    calls: dict[str, Callable[[], Any]] = {}
    if have("gillespy2"):
        import gillespy2

        peer = gillespy2_model(model.network, model.params, model.x0, times)
        solver = gillespy2.SSACSolver(model=peer)  # compiles C++ once, not timed
        calls["GillesPy2 SSACSolver (1 thread)"] = partial(
            peer.run, solver=solver, number_of_trajectories=n, seed=1
        )
    if have("bioscrape"):
        run_peer = bioscrape_simulator(model.network, model.params, model.x0, times)
        calls["bioscrape SSA (1 thread)"] = partial(run_peer, n, 1)
    return calls


def _one_thread_with(
    setting: str, value: Any, model: models.Model, times: np.ndarray, n: int
) -> Any:
    """The direct method on one thread with the tier's ``setting`` set to ``value``.

    ``SPECIALISE = False`` runs the generic kernel; ``SELECTION`` picks one of a hot
    network's own kernels (see ``backends/native/_specialised``).
    """
    before = getattr(_specialised, setting)
    setattr(_specialised, setting, value)
    try:
        return simulate(model, times=times, n=n, seed=1, threads=1)
    finally:
        setattr(_specialised, setting, before)


def _own_kernel_calls(model: models.Model, times: np.ndarray, n: int) -> dict[str, Any]:
    """Both of a small network's own kernels, when it has both (labels -> calls)."""
    selections = selections_for(len(model.network.reactions))
    if len(selections) == 1:
        return {}
    return {
        OWN_KERNEL.format(selection): partial(
            _one_thread_with, "SELECTION", selection, model, times, n
        )
        for selection in selections
    }


def _c_reference_call(
    model: models.Model, times: np.ndarray, n: int, expected: np.ndarray
) -> dict[str, Callable[[], Any]]:
    """The C reference (:mod:`.c_reference`), after checking its output equals ours."""
    run_c = c_direct(model, times, n, seed=1)
    if run_c is None:
        return {}
    if not np.array_equal(run_c(), expected):
        raise RuntimeError("the C reference does not reproduce ssagrad's direct method")
    return {C_REFERENCE: run_c}


def run(scale: float = 1.0, repeats: int = 5, peers: bool = True) -> list[Row]:
    """Run the SSA workloads; return one row per (model, simulator).

    The rows of a workload are timed interleaved, batch by batch
    (:func:`~.timing.best_of_interleaved`), so a change in the machine's load affects
    them alike.

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
        calls: dict[str, Callable[[], Any]] = {}
        threads_of: dict[str, int] = {}
        for threads in sorted({1, numba.config.NUMBA_NUM_THREADS}):
            label = f"ssagrad direct ({threads} thread{'s' * (threads > 1)})"
            calls[label] = partial(simulate, model, times=times, n=n, seed=1, threads=threads)
            threads_of[label] = threads
        calls[GENERIC] = partial(_one_thread_with, "SPECIALISE", False, model, times, n)
        calls.update(_own_kernel_calls(model, times, n))
        calls.update(_c_reference_call(model, times, n, ds.x.values))
        if peers:
            calls.update(_peer_calls(model, times, n))
        timed = best_of_interleaved(repeats, calls, TIMING_SECONDS)
        for label, (seconds, _) in timed.items():
            rows.append(Row(name, label, events, seconds, threads_of.get(label, 1)))
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
