"""Lazy ensembles: simulation results as dask arrays, computed chunk by chunk on demand.

``simulate(..., lazy=True)`` returns a dataset whose ``x``, ``events`` and ``truncated``
are dask arrays, one chunk of trajectories per task, so an ensemble larger than memory
can be reduced (``ds.x.mean("sample")``) or written to netCDF chunk by chunk
(``ds.to_netcdf(path)``) without ever being held whole. Chunks are computed by whatever
dask scheduler is active: a ``dask.distributed`` client if one exists, else local
threads. Each chunk is the kernel call on its slice of the per-trajectory seeds, so the
values equal those of an eager run.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from ..network import NetworkArrays
from ._engine import check_client, chunk_size, run_chunk

#: Most trajectories in one chunk of a lazy ensemble by default (bounds a chunk's memory).
MAX_LAZY_CHUNK = 100_000


def default_chunk(n: int, client: Any = None) -> int:
    """Trajectories per chunk of a lazy ensemble of ``n``: two chunks per worker thread of
    the ``client``'s cluster (per local core without one), from 256 trajectories to
    :data:`MAX_LAZY_CHUNK`.

    Examples
    --------
    >>> default_chunk(100) >= 100
    True
    >>> default_chunk(10**9)
    100000
    """
    if client is not None:
        threads = sum(check_client(client).nthreads().values())
    else:
        threads = os.cpu_count() or 1
    return chunk_size(n, threads, MAX_LAZY_CHUNK)


def lazy_ensemble(
    backend: str,
    arrays: NetworkArrays,
    theta: np.ndarray,
    x0: np.ndarray,
    times: np.ndarray,
    seeds: np.ndarray,
    method: str,
    max_events: int,
    dt: float,
    chunk: int,
) -> tuple[Any, Any, Any]:
    """``(states, events, status)`` as dask arrays chunked along the trajectory axis."""
    try:
        import dask
        import dask.array as da
    except ImportError:
        raise ImportError("lazy=True needs dask: pip install 'ssagrad[dask]'") from None
    states, events, status = [], [], []
    for start in range(0, seeds.shape[0], chunk):
        part = seeds[start : start + chunk]
        args = (arrays, theta, x0, times, part, method, max_events, dt)
        out = dask.delayed(run_chunk, pure=True)(backend, "simulate", args)
        n = part.shape[0]
        states.append(da.from_delayed(out[0], (n, times.shape[0], x0.shape[0]), np.int64))
        events.append(da.from_delayed(out[1], (n,), np.int64))
        status.append(da.from_delayed(out[2], (n,), np.int64))
    return da.concatenate(states), da.concatenate(events), da.concatenate(status)
