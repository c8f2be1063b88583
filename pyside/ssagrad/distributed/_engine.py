"""A backend that runs every kernel call as chunks of trajectories on a Dask cluster.

:class:`DaskEngine` implements the :class:`~ssagrad.backends.Backend` contract by
delegation: a kernel call's trajectory seeds are split into chunks, each chunk runs as a
task on a worker (with the worker's own native or julia backend, chosen there once per
process), and the outputs are concatenated along the trajectory axis. Every kernel
simulates each trajectory from its own seed alone, so the result is bit for bit the one
a local call gives, whatever the chunk size and the number of workers; a chunk lost with
a dying worker is recomputed elsewhere from the same seeds.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..backends import Backend, available_backends, get_backend
from ..backends._contract import into_states
from ..network import NetworkArrays
from ._shared import ChunkView, SharedStates

#: Least trajectories per chunk when the chunk size is chosen automatically.
MIN_CHUNK = 256
#: Chunks per worker thread when the chunk size is chosen automatically.
CHUNKS_PER_THREAD = 2


def chunk_size(n: int, threads: int, most: int | None = None) -> int:
    """Trajectories per task for ``n`` over ``threads`` worker threads: two tasks per
    thread, at least :data:`MIN_CHUNK` and, if given, at most ``most``."""
    share = math.ceil(n / (CHUNKS_PER_THREAD * max(threads, 1)))
    return max(MIN_CHUNK, share if most is None else min(most, share))


def require_dask() -> Any:
    """Import ``distributed``, or raise an ``ImportError`` saying how to install it."""
    try:
        import distributed
    except ImportError:
        raise ImportError(
            "the Dask options need dask.distributed: pip install 'ssagrad[dask]'"
        ) from None
    return distributed


def check_client(client: Any) -> Any:
    """``client`` if it is a ``dask.distributed.Client``, else a ``TypeError``."""
    distributed = require_dask()
    if not isinstance(client, distributed.Client):
        raise TypeError(f"client must be a dask.distributed.Client, got {type(client).__name__}")
    return client


def worker_threads() -> int | None:
    """Threads of the Dask worker running this task (None outside a worker)."""
    from distributed import get_worker

    try:
        worker = get_worker()
    except ValueError:
        return None
    return int(worker.state.nthreads)


def run_chunk(
    backend: str | None,
    kernel: str,
    args: tuple,
    narrow: bool = False,
    shared: tuple[str, int, tuple[int, ...]] | None = None,
) -> tuple[np.ndarray | None, ...]:
    """On a worker: one kernel call on this worker's backend with its thread count.

    With ``narrow``, integer outputs travel in the narrowest integer type that holds them
    (less to send back; :meth:`DaskEngine._call` widens them again). With ``shared``
    (a :class:`~._shared.SharedStates` file, the chunk's first trajectory and its states'
    shape), the kernel, which then takes ``states=``, writes its first output straight
    into that file if this worker can map it, and ``None`` travels in its place.
    """
    engine = get_backend(backend)
    engine.set_threads(worker_threads())
    view = None if shared is None else ChunkView(*shared)
    try:
        if view is None or view.states is None:
            outputs = tuple(getattr(engine, kernel)(*args))
        else:
            outputs = (None, *getattr(engine, kernel)(*args, states=view.states)[1:])
    finally:
        if view is not None:
            view.close()
    if not narrow:
        return outputs
    return tuple(None if output is None else _narrowed(output) for output in outputs)


def _narrowed(array: np.ndarray) -> np.ndarray:
    """An int64 array as int8, int16 or int32 where its values fit (else unchanged)."""
    if array.dtype != np.int64 or array.size == 0:
        return array
    low, high = int(array.min()), int(array.max())
    for narrow in (np.int8, np.int16, np.int32):
        info = np.iinfo(narrow)
        if info.min <= low and high <= info.max:
            return array.astype(narrow)
    return array


def _whole(part: np.ndarray, n: int) -> np.ndarray:
    """An empty array for ``n`` trajectories of outputs like ``part`` (integers as int64)."""
    dtype = np.int64 if np.issubdtype(part.dtype, np.integer) else part.dtype
    return np.empty((n,) + part.shape[1:], dtype=dtype)


class DaskEngine(Backend):
    """The backend ``backend`` on the workers of ``client``, trajectories in chunks.

    Parameters
    ----------
    client : dask.distributed.Client
    backend : str, optional
        The backend the workers run (default ``$SSAGRAD_BACKEND`` or ``"native"``).
    chunk : int, optional
        Trajectories per task (default: ``max(256, N / (2 x worker threads))``).

    Examples
    --------
    >>> import ssagrad
    >>> from dask.distributed import Client, LocalCluster
    >>> with LocalCluster(n_workers=1, threads_per_worker=1, processes=False) as cluster, \\
    ...         Client(cluster) as client:
    ...     here = ssagrad.simulate(ssagrad.models.birth_death(), n=300, seed=1)
    ...     there = ssagrad.simulate(ssagrad.models.birth_death(), n=300, seed=1,
    ...                              client=client, chunk=70)
    ...     bool((here.x == there.x).all())
    True
    """

    def __init__(self, client: Any, backend: str | None = None, chunk: int | None = None):
        self.client = check_client(client)
        info = available_backends()
        self.name = backend or _default_backend()
        if self.name not in info:
            raise ValueError(f"unknown backend {self.name!r}; known backends: {', '.join(info)}")
        self.capabilities = info[self.name].capabilities
        if chunk is not None and (
            isinstance(chunk, bool) or not isinstance(chunk, int) or chunk < 1
        ):
            raise ValueError(f"chunk must be a positive integer, got {chunk!r}")
        self.chunk = chunk

    def set_threads(self, threads: int | None) -> None:
        """Ignored: each worker uses its own thread count."""

    def _chunk_size(self, n: int) -> int:
        if self.chunk is not None:
            return self.chunk
        return chunk_size(n, sum(self.client.nthreads().values()))

    def _call(
        self,
        kernel: str,
        args: tuple,
        seed_position: int,
        shared_shape: tuple[int, ...] | None = None,
    ) -> tuple[np.ndarray, ...]:
        """``kernel(*args)`` in chunks of the seeds at ``seed_position``; with
        ``shared_shape`` (the first output's), that output through shared memory where the
        workers share this host (:class:`~._shared.SharedStates`)."""
        seeds = args[seed_position]
        size = self._chunk_size(seeds.shape[0])
        shared = None if shared_shape is None else SharedStates.create(shared_shape)
        futures = []
        for start in range(0, seeds.shape[0], size):
            chunk_args = list(args)
            chunk_args[seed_position] = seeds[start : start + size]
            into = None
            if shared is not None:
                rows = chunk_args[seed_position].shape[0]
                into = (str(shared.path), start, (rows, *shared_shape[1:]))
            futures.append(
                self.client.submit(
                    run_chunk, self.name, kernel, tuple(chunk_args), True, into, pure=False
                )
            )
        try:
            return self._join(futures, size, seeds.shape[0], shared)
        finally:
            if shared is not None:
                shared.discard()

    def _join(
        self, futures: list, size: int, n: int, shared: SharedStates | None
    ) -> tuple[np.ndarray, ...]:
        """The chunks' outputs joined along the trajectory axis, in chunk order.

        Each chunk is copied into the result as soon as it is back (widened to int64 where
        it travelled narrow), while the workers still compute the later ones; the states
        of a ``shared`` call are in its file, except those a worker sent back.
        """
        joined, returned = None, {}
        for number, future in enumerate(futures):
            outputs = self.client.gather(future)
            start = number * size
            if joined is None:
                joined = [
                    None if i == 0 and shared is not None else _whole(part, n)
                    for i, part in enumerate(outputs)
                ]
            for i, part in enumerate(outputs):
                if i == 0 and shared is not None:
                    if part is not None:
                        returned[start] = part
                else:
                    joined[i][start : start + part.shape[0]] = part
        if shared is not None:
            joined[0] = shared.result(returned)
        return tuple(joined)

    def simulate(
        self, arrays: NetworkArrays, theta, x0, times, seeds, method, max_events, dt, states=None
    ):
        self.require("tau" if method == "tau" else method, f"method {method!r}")
        args = (arrays, theta, x0, times, seeds, method, max_events, dt)
        shape = (seeds.shape[0], times.shape[0], x0.shape[0])
        return into_states(states, self._call("simulate", args, 4, shape))

    def simulate_events(self, arrays: NetworkArrays, theta, x0, times, seeds, max_events, bound):
        self.require("events", "simulation with events or time-dependent rates")
        return self._call(
            "simulate_events", (arrays, theta, x0, times, seeds, max_events, bound), 4
        )

    def score(self, arrays: NetworkArrays, theta, x0, times, seeds, max_events):
        self.require("score", "the score kernel")
        return self._call("score", (arrays, theta, x0, times, seeds, max_events), 4)

    def gumbel(self, arrays, theta, x0, times, seeds, max_events, temperature, time_smoothing):
        self.require("gumbel", "the gumbel kernel")
        args = (arrays, theta, x0, times, seeds, max_events, temperature, time_smoothing)
        return self._call("gumbel", args, 4)

    def altpath(self, arrays, theta, x0, times, seeds, max_events, rate_margin):
        self.require("altpath", "the altpath kernel")
        return self._call("altpath", (arrays, theta, x0, times, seeds, max_events, rate_margin), 4)

    def coupled(self, arrays, theta_plus, theta_minus, x0, times, seeds, max_events):
        self.require("cfd", "the coupled kernel")
        args = (arrays, theta_plus, theta_minus, x0, times, seeds, max_events)
        return self._call("coupled", args, 5)

    def w1_score(self, tracked, pool, scores, data_cdf, groups, loo):
        self.require("w1_score", "the compiled W1 evaluation")
        # A reduction of arrays already here: computed in this process, not on a worker.
        return get_backend(self.name).w1_score(tracked, pool, scores, data_cdf, groups, loo)


def _default_backend() -> str:
    import os

    return os.environ.get("SSAGRAD_BACKEND") or "native"
