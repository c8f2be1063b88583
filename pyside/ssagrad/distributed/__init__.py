"""Scale-out on Dask: ensembles, gradients and multi-start fits on a cluster.

Pass ``client=`` (a ``dask.distributed.Client``) to :func:`ssagrad.simulate`,
:func:`ssagrad.gradient`, :func:`ssagrad.value_and_grad` and :func:`ssagrad.fit`:

* ensembles are split into chunks of trajectories, each run as a task with the same
  per-trajectory random streams as a local run (:class:`DaskEngine`), so the results are
  bit for bit those of a local run whatever the chunking and worker count;
* gradient estimators gather the per-trajectory material and combine it exactly as a
  local run does (baselines, jackknife standard errors, pooled composition);
* the starts of a fit run as tasks (:mod:`ssagrad.distributed._fit`);
* ``simulate(..., lazy=True)`` returns dask-backed arrays computed chunk by chunk;
* workers on the caller's host simulate a gathered ensemble straight into shared memory,
  whose last dropped file is kept for the next call (:func:`free_shared_memory`).

Dask is optional (``pip install "ssagrad[dask]"``); nothing here imports it until a
client is given. See ``docs/distributed.md``.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import Any

from ..backends import Backend, get_backend
from ._engine import DaskEngine, check_client, require_dask
from ._shared import free_shared_memory

__all__ = [
    "DaskEngine",
    "check_client",
    "client_for",
    "engine_for",
    "free_shared_memory",
    "require_dask",
]


def engine_for(backend: str | None, client: Any = None, chunk: int | None = None) -> Backend:
    """The local backend, or with a ``client`` the same backend on the cluster's workers."""
    if client is None:
        if chunk is not None:
            raise ValueError("chunk= applies to runs on a Dask cluster: pass client= too")
        return get_backend(backend)
    return DaskEngine(client, backend, chunk)


@contextlib.contextmanager
def client_for(address: str | None) -> Iterator[Any]:
    """A Dask client for a command's ``--scheduler`` option, closed on exit.

    Parameters
    ----------
    address : str or None
        None: no client (yields None). ``"local"``: a ``LocalCluster`` of one
        single-threaded worker process per core. Anything else: the address of a running
        scheduler (``tcp://host:8786``).

    Examples
    --------
    >>> with client_for(None) as client:
    ...     print(client)
    None
    """
    if address is None:
        yield None
        return
    distributed = require_dask()
    if address == "local":
        cores = os.cpu_count() or 1
        with (
            distributed.LocalCluster(
                n_workers=cores, threads_per_worker=1, dashboard_address=None
            ) as cluster,
            distributed.Client(cluster) as client,
        ):
            yield client
    else:
        with distributed.Client(address) as client:
            yield client
