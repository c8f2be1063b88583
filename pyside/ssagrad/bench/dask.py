"""``ssagrad bench dask``: ensembles on a Dask LocalCluster against native threads.

The telegraph model for ``10^5`` trajectories (``scale`` multiplies it) observed at 21
times, over two horizons: ``t = 10`` (about 65 SSA events per trajectory: moving its 63
counts costs about as much as simulating them) and ``t = 100`` (about 725 events per
trajectory, the same counts: simulation dominates). Timed in one process, best of 5
rounds in which every configuration runs once in turn: the native threaded kernel with 1
and with 2 threads, and the same ensemble on a ``LocalCluster`` of 1 and of 2
single-threaded worker processes (default chunking). Two workloads:

* **gathered**: the whole ensemble (``sample x time x species`` counts) back in the
  calling process, ``simulate(..., client=)``; Dask pays for moving it;
* **reduced**: the mean over samples of a lazy ensemble, ``simulate(..., lazy=True)``
  reduced on the workers (``.x.mean("sample").compute()``), against the native
  ensemble's mean; only the means travel.

Reported: trajectories and SSA events per second, and Dask's overhead against native
threads at equal cores and equal workload; and Dask's fixed cost per call on each
cluster, the round trip of as many empty tasks as a call has chunks. Every Dask result
is checked identical to the native one.
"""

from __future__ import annotations

import contextlib
import math
import os
import warnings
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from .. import models
from ..backends.native import _specialised
from ..distributed._engine import CHUNKS_PER_THREAD
from ..simulate import simulate
from .timing import TIMING_SECONDS, best_of_interleaved

#: Trajectories of the workload at scale 1.
TRAJECTORIES = 100_000
#: Simulated time spans: little work per trajectory (data-bound) and ten times more.
HORIZONS = (10.0, 100.0)
#: Most untimed calls of every configuration before timing: enough for each worker
#: process to simulate the telegraph network past the threshold of its own kernel (see
#: ``backends/native/_specialised``), as the calling process does, so the rows compare
#: steady states.
WARM_CALLS = 4
#: Workload label of the empty round trip (Dask's fixed cost per call).
ROUND_TRIP = "round trip, empty tasks"


@dataclass(frozen=True)
class DaskRow:
    """One configuration of the benchmark."""

    what: str
    workload: str
    cores: int
    horizon: float
    seconds: float
    trajectories: int
    events: int

    @property
    def trajectories_per_second(self) -> float:
        """Throughput in trajectories."""
        return self.trajectories / self.seconds

    @property
    def events_per_second(self) -> float:
        """Throughput in SSA events."""
        return self.events / self.seconds


def _workloads(model, times: np.ndarray, n: int, **where) -> dict:
    """The two workloads as zero-argument calls, with ``where`` (threads or client)."""

    def gathered():
        return simulate(model, times=times, n=n, seed=1, **where).x.values

    def reduced():
        if "client" in where:
            lazy = simulate(
                model, times=times, n=n, seed=1, lazy=True, on_max_events="flag", **where
            )
            with where["client"].as_current():  # two clients live at once: use this one
                return lazy.x.mean("sample").values
        return simulate(model, times=times, n=n, seed=1, **where).x.mean("sample").values

    return {"gathered": gathered, "reduced": reduced}


def _nothing() -> None:
    """An empty task."""


def _round_trip(client, tasks: int):
    """A call that sends ``tasks`` empty tasks through ``client`` and waits for them."""

    def call():
        return client.gather([client.submit(_nothing, pure=False) for _ in range(tasks)])

    return call


def _warm_calls(events: int, workers: int) -> int:
    """Untimed calls for ``workers`` processes to pass the own-kernel threshold (at most
    :data:`WARM_CALLS`) when each call simulates ``events`` events."""
    needed = math.ceil(workers * _specialised.SPECIALISE_AFTER_EVENTS / max(events, 1))
    return min(WARM_CALLS, needed + 1)


@contextlib.contextmanager
def _quiet_second_http_port() -> Iterator[None]:
    """Silence distributed's "Port 8787 is already in use" for the second cluster.

    Every scheduler serves HTTP routes (health, metrics) on port 8787 by default, even
    without a dashboard; the second of two clusters open at once takes another port and
    warns. Nothing is wrong, so the benchmark does not print it.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Port 8787 is already in use", UserWarning)
        yield


def run(scale: float = 1.0, repeats: int = 5, min_seconds: float = TIMING_SECONDS) -> list[DaskRow]:
    """Time the workloads natively and on local Dask clusters (see the module docstring).

    Both clusters are started first and every configuration is timed round by round
    (native 1 and 2 threads, Dask 1 and 2 workers, ...; best of ``repeats``), so a
    change in this machine's speed during the run slows all of them alike.

    Parameters
    ----------
    scale : float
        Multiplies the number of trajectories (:data:`TRAJECTORIES`; at least 1000).
    repeats : int
        Timed rounds; the best counts.
    min_seconds : float
        Least seconds per timed batch (``0``: single calls, for a quick look).
    """
    from distributed import Client, LocalCluster

    model = models.telegraph()
    n = max(1000, int(TRAJECTORIES * scale))
    options = dict(threads_per_worker=1, processes=True, dashboard_address=None)
    rows = []
    with (
        _quiet_second_http_port(),
        LocalCluster(n_workers=1, **options) as one,
        Client(one) as client_one,
        LocalCluster(n_workers=2, **options) as two,
        Client(two) as client_two,
    ):
        clients = {1: client_one, 2: client_two}
        for horizon in HORIZONS:
            rows += _run_horizon(model, horizon, n, clients, repeats, min_seconds)
        empty = {
            workers: _round_trip(client, CHUNKS_PER_THREAD * workers)
            for workers, client in clients.items()
        }
        for workers, (seconds, _) in best_of_interleaved(repeats, empty, min_seconds).items():
            what = f"Dask LocalCluster, {workers} worker process(es)"
            rows.append(DaskRow(what, ROUND_TRIP, workers, 0.0, seconds, 0, 0))
    return rows


def _run_horizon(
    model, horizon: float, n: int, clients: dict, repeats: int, min_seconds: float
) -> list[DaskRow]:
    """The eight configurations of one horizon, timed round by round (see :func:`run`)."""
    times = np.linspace(0.0, horizon, 21)
    reference = simulate(model, times=times, n=n, seed=1)
    expected = {"gathered": reference.x.values, "reduced": reference.x.mean("sample").values}
    events = int(reference.events.sum())
    calls = {}  # (configuration, workload, cores) -> call
    for threads in (1, 2):
        for workload, call in _workloads(model, times, n, threads=threads).items():
            calls[f"native, {threads} thread(s)", workload, threads] = call
    for workers, client in clients.items():
        for workload, call in _workloads(model, times, n, client=client).items():
            if not np.array_equal(call(), expected[workload]):  # also loads the kernels
                raise AssertionError(f"the Dask result ({workload}) differs from the native one")
            calls[f"Dask LocalCluster, {workers} worker process(es)", workload, workers] = call
    for _ in range(_warm_calls(events, max(clients))):  # past the kernel tier's threshold
        for call in calls.values():
            call()
    timed = best_of_interleaved(repeats, calls, min_seconds)
    return [
        DaskRow(what, workload, cores, horizon, seconds, n, events)
        for (what, workload, cores), (seconds, _) in timed.items()
    ]


def format_table(rows: list[DaskRow], repeats: int = 5) -> str:
    """Markdown: throughput per configuration and the Dask overhead at equal cores, one
    table per horizon, then Dask's empty round trip per cluster."""
    native = {
        (r.horizon, r.workload, r.cores): r.seconds for r in rows if r.what.startswith("native")
    }
    lines = [
        f"telegraph, 21 observation times; {os.cpu_count()} cores; best of {repeats}, interleaved"
    ]
    for horizon in sorted({r.horizon for r in rows if r.workload != ROUND_TRIP}):
        mine = [r for r in rows if r.horizon == horizon and r.workload != ROUND_TRIP]
        lines += [
            "",
            f"to t = {horizon:g}: {mine[0].trajectories:,} trajectories, "
            f"{mine[0].events:,} SSA events ({mine[0].events / mine[0].trajectories:.0f} "
            "per trajectory)",
            "",
            "| workload | configuration | cores | wall s | trajectories/s | SSA events/s "
            "| vs native |",
            "|---|---|---:|---:|---:|---:|---:|",
        ]
        for r in sorted(mine, key=lambda r: r.workload):
            versus = r.seconds / native[horizon, r.workload, r.cores] - 1.0
            lines.append(
                f"| {r.workload} | {r.what} | {r.cores} | {r.seconds:.3f} | "
                f"{r.trajectories_per_second:,.0f} | {r.events_per_second:,.0f} | "
                f"{100 * versus:+.1f} % |"
            )
        lines += ["", _native_efficiency(native, horizon)]
    trips = [r for r in rows if r.workload == ROUND_TRIP]
    if trips:
        lines += ["", "Dask's fixed cost per call (as many empty tasks as a call has chunks):", ""]
        lines += [f"* {r.what}: {1000 * r.seconds:.1f} ms" for r in trips]
    return "\n".join(lines)


def _native_efficiency(native: dict, horizon: float) -> str:
    """How well the native run used both cores, per workload: the run's noise gauge."""
    parts = []
    for workload in ("gathered", "reduced"):
        one, two = native[horizon, workload, 1], native[horizon, workload, 2]
        parts.append(f"{workload} {100 * one / (2 * two):.0f} %")
    return (
        f"Native parallel efficiency, T(1 thread) / (2 T(2 threads)): {', '.join(parts)} "
        "(well under 90 %: the second core was busy, and every row is noisier)"
    )
