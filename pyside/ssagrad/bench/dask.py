"""``ssagrad bench dask``: ensembles on a Dask LocalCluster against native threads.

The telegraph model to ``t = 10`` for ``10^5`` trajectories (``scale`` multiplies it),
timed in one process, best of 5 rounds in which every configuration runs once in turn:
the native threaded kernel with 1 and with 2 threads, and the same ensemble on a
``LocalCluster`` of 1 and of 2 single-threaded worker processes (default chunking). Two workloads:

* **gathered**: the whole ensemble (``sample x time x species`` counts) back in the
  calling process, ``simulate(..., client=)``; Dask pays for moving it;
* **reduced**: the mean over samples of a lazy ensemble, ``simulate(..., lazy=True)``
  reduced on the workers (``.x.mean("sample").compute()``), against the native
  ensemble's mean; only the means travel.

Reported: trajectories and SSA events per second, and Dask's overhead against native
threads at equal cores and equal workload. Every Dask result is checked identical to the
native one.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from .. import models
from ..simulate import simulate
from .timing import best_of_interleaved

#: Trajectories of the workload at scale 1.
TRAJECTORIES = 100_000
#: Untimed calls of every configuration before timing: each worker process simulates
#: enough events to run the telegraph network on its own kernel (see
#: ``backends/native/_specialised``), as the calling process does, so the rows compare
#: steady states.
WARM_CALLS = 4


@dataclass(frozen=True)
class DaskRow:
    """One configuration of the benchmark."""

    what: str
    workload: str
    cores: int
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


def _workloads(model, n: int, **where) -> dict:
    """The two workloads as zero-argument calls, with ``where`` (threads or client)."""

    def gathered():
        return simulate(model, n=n, seed=1, **where).x.values

    def reduced():
        if "client" in where:
            lazy = simulate(model, n=n, seed=1, lazy=True, on_max_events="flag", **where)
            with where["client"].as_current():  # two clients live at once: use this one
                return lazy.x.mean("sample").values
        return simulate(model, n=n, seed=1, **where).x.mean("sample").values

    return {"gathered": gathered, "reduced": reduced}


def run(scale: float = 1.0, repeats: int = 5) -> list[DaskRow]:
    """Time the workloads natively and on local Dask clusters (see the module docstring).

    Both clusters are started first and every configuration is timed round by round
    (native 1 and 2 threads, Dask 1 and 2 workers, ...; best of ``repeats``), so a
    change in this machine's speed during the run slows all of them alike.
    """
    from distributed import Client, LocalCluster

    model = models.telegraph()
    n = max(1000, int(TRAJECTORIES * scale))
    reference = simulate(model, n=n, seed=1)
    expected = {"gathered": reference.x.values, "reduced": reference.x.mean("sample").values}
    events = int(reference.events.sum())
    calls = {}  # (configuration, workload, cores) -> call
    for threads in (1, 2):
        for workload, call in _workloads(model, n, threads=threads).items():
            calls[f"native, {threads} thread(s)", workload, threads] = call
    options = dict(threads_per_worker=1, processes=True, dashboard_address=None)
    with (
        LocalCluster(n_workers=1, **options) as one,
        Client(one) as client_one,
        LocalCluster(n_workers=2, **options) as two,
        Client(two) as client_two,
    ):
        for workers, client in ((1, client_one), (2, client_two)):
            for workload, call in _workloads(model, n, client=client).items():
                if not np.array_equal(call(), expected[workload]):  # also loads the kernels
                    raise AssertionError(
                        f"the Dask result ({workload}) differs from the native one"
                    )
                what = f"Dask LocalCluster, {workers} worker process(es)"
                calls[what, workload, workers] = call
        for _ in range(WARM_CALLS):  # every process past the kernel tier's threshold
            for call in calls.values():
                call()
        timed = best_of_interleaved(repeats, calls)
    return [DaskRow(*key, seconds, n, events) for key, (seconds, _) in timed.items()]


def format_table(rows: list[DaskRow]) -> str:
    """Markdown: throughput per configuration and the Dask overhead at equal cores."""
    native = {(r.workload, r.cores): r.seconds for r in rows if r.what.startswith("native")}
    lines = [
        f"telegraph to t = 10, {rows[0].trajectories:,} trajectories, "
        f"{rows[0].events:,} SSA events; {os.cpu_count()} cores; best of 5, interleaved",
        "",
        "| workload | configuration | cores | wall s | trajectories/s | SSA events/s | vs native |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for r in sorted(rows, key=lambda r: r.workload):
        versus = r.seconds / native[r.workload, r.cores] - 1.0
        lines.append(
            f"| {r.workload} | {r.what} | {r.cores} | {r.seconds:.3f} | "
            f"{r.trajectories_per_second:,.0f} | {r.events_per_second:,.0f} | "
            f"{100 * versus:+.1f} % |"
        )
    return "\n".join(lines)
