"""``ssagrad bench dask``: ensembles on a Dask LocalCluster against native threads.

The telegraph model to ``t = 10`` for ``10^5`` trajectories (``scale`` multiplies it),
timed best-of-3 in one process: the native threaded kernel with 1 and with 2 threads,
and the same ensemble on a ``LocalCluster`` of 1 and of 2 single-threaded worker
processes (default chunking). Reported: trajectories and SSA events per second, and
Dask's overhead against native threads at equal cores. Every Dask result is checked
identical to the native one.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from .. import models
from ..simulate import simulate
from .timing import best_of

#: Trajectories of the workload at scale 1.
TRAJECTORIES = 100_000


@dataclass(frozen=True)
class DaskRow:
    """One configuration of the benchmark."""

    what: str
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


def run(scale: float = 1.0, repeats: int = 3) -> list[DaskRow]:
    """Time the workload natively and on local Dask clusters (see the module docstring)."""
    from distributed import Client, LocalCluster

    model = models.telegraph()
    n = max(1000, int(TRAJECTORIES * scale))
    reference = simulate(model, n=n, seed=1)
    events = int(reference.events.sum())
    rows = []
    for threads in (1, 2):
        seconds, _ = best_of(repeats, lambda t=threads: simulate(model, n=n, seed=1, threads=t))
        rows.append(DaskRow(f"native, {threads} thread(s)", threads, seconds, n, events))
    for workers in (1, 2):
        with (
            LocalCluster(
                n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
            ) as cluster,
            Client(cluster) as client,
        ):

            def call(client=client):
                return simulate(model, n=n, seed=1, client=client)

            first = call()  # workers load the compiled kernels
            if not np.array_equal(first.x.values, reference.x.values):
                raise AssertionError("the Dask ensemble differs from the native one")
            seconds, _ = best_of(repeats, call)
        rows.append(
            DaskRow(f"Dask LocalCluster, {workers} worker process(es)", workers, seconds, n, events)
        )
    return rows


def format_table(rows: list[DaskRow]) -> str:
    """Markdown: throughput per configuration and the Dask overhead at equal cores."""
    native = {r.cores: r.seconds for r in rows if r.what.startswith("native")}
    lines = [
        f"telegraph to t = 10, {rows[0].trajectories:,} trajectories, "
        f"{rows[0].events:,} SSA events; {os.cpu_count()} cores; best of 3",
        "",
        "| configuration | cores | wall s | trajectories/s | SSA events/s | vs native |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        versus = r.seconds / native[r.cores] - 1.0
        lines.append(
            f"| {r.what} | {r.cores} | {r.seconds:.3f} | {r.trajectories_per_second:,.0f} | "
            f"{r.events_per_second:,.0f} | {100 * versus:+.1f} % |"
        )
    return "\n".join(lines)
