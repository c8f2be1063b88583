"""Multi-start fits on a Dask cluster: each start is a task.

The starts of ``fit(..., client=client)`` run as tasks on the cluster's workers, with
the message protocol of :mod:`ssagrad.fitting._remote` carried by a ``distributed.Queue``
and the stop flag by a ``distributed.Event``: the progress bar, the callback, the
checkpoints, Ctrl-C and resume behave as with local worker processes, and every start's
numbers are those of a local run (they depend on the setup alone). A start lost with a
dying worker is rerun by the scheduler from its initial state; the main process ignores
the steps it already has.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from ..fitting import _remote as remote
from ..fitting._loop import Context, StartState
from ..fitting._setup import FitSetup
from ._engine import check_client, worker_threads

#: Seconds between two polls of the stop flag on a worker (each is a scheduler call).
STOP_POLL_SECONDS = 0.25


class _PolledFlag:
    """A ``distributed.Event`` read at most every :data:`STOP_POLL_SECONDS`."""

    def __init__(self, event: Any) -> None:
        self.event, self.last, self.value = event, 0.0, False

    def __call__(self) -> bool:
        now = time.monotonic()
        if not self.value and now - self.last >= STOP_POLL_SECONDS:
            self.last, self.value = now, self.event.is_set()
        return self.value


def run_start_task(setup: FitSetup, state: StartState, queue_name: str, event_name: str) -> None:
    """On a worker: run one start, sending its deltas to the queue ``queue_name``."""
    from distributed import Event, Queue

    messages, stop = Queue(queue_name), Event(event_name)
    context = Context.create(setup, worker_threads())
    remote.work(setup, context, state, messages.put, _PolledFlag(stop))


def run_on_dask(setup: FitSetup, coordinator: Any, pending: list[int], client: Any) -> None:
    """Run the ``pending`` starts as tasks on ``client``'s cluster (see the module doc)."""
    from distributed import Event, Queue, TimeoutError

    check_client(client)
    name = f"ssagrad-fit-{uuid.uuid4().hex}"
    messages, stop = Queue(name, client=client), Event(name, client=client)
    futures = [
        client.submit(run_start_task, setup, coordinator.states[s], name, name, pure=False)
        for s in pending
    ]

    def receive(timeout: float):
        try:
            return messages.get(timeout=timeout)
        except TimeoutError:
            for future in futures:
                if future.status == "error":
                    future.result()  # a task failed outside the protocol: re-raise here
            return None

    try:
        errors = remote.consume(coordinator, pending, receive, stop.set)
    finally:
        stop.clear()
    remote.finish(coordinator, pending, errors, "a Dask worker")
