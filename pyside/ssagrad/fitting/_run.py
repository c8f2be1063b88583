"""Running the starts of a fit: in this process or in worker processes, with progress,
callbacks, checkpoints and clean interruption.

Starts are independent, so ``starts=K`` runs them side by side in ``workers`` spawned
processes (each with ``cores // workers`` kernel threads). Workers do the computing; this
process owns everything else: it receives each step's state, updates the progress bar,
calls the user's callback, and writes the checkpoint. A ``KeyboardInterrupt`` here (Ctrl-C,
or raised by the callback) asks the workers to stop after their current step; each start
then keeps the state of its last completed step, the checkpoint is written, and the
partial result is returned.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import queue as queue_module
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import _checkpoint
from . import _remote as remote
from ._loop import Context, StartState, new_state, run_start
from ._setup import FitSetup
from .result import FitResult, build_result

#: Steps between checkpoint writes (a checkpoint is also written at the end and on stop).
CHECKPOINT_EVERY = 10


@dataclass(frozen=True)
class FitState:
    """What ``callback(state)`` receives after every step.

    Attributes
    ----------
    start, step : int
        The start and the number of steps it has completed.
    params : dict
        Parameter values at which the step's loss was estimated.
    loss, loss_se, grad_norm : float
    """

    start: int
    step: int
    params: dict
    loss: float
    loss_se: float
    grad_norm: float


class _Progress:
    """A tqdm bar over all steps of all starts (silent when not a terminal)."""

    def __init__(self, total: int, done: int, enabled: bool) -> None:
        self.bar = None
        if enabled:
            from tqdm.auto import tqdm

            self.bar = tqdm(
                total=total,
                initial=done,
                unit="step",
                desc="fit",
                disable=None,
                mininterval=0.25,
                dynamic_ncols=True,
            )

    def update(self, state: StartState) -> None:
        if self.bar is not None:
            self.bar.update(1)
            self.bar.set_postfix(
                start=state.start, loss=f"{state.records['loss'][-1]:.4g}", refresh=False
            )

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


class _Coordinator:
    """Bookkeeping in the main process: states, progress, callback, checkpoints."""

    def __init__(
        self,
        setup: FitSetup,
        states: list[StartState],
        progress: bool,
        callback: Callable | None,
        checkpoint: str | os.PathLike | None,
    ) -> None:
        self.setup = setup
        self.states = states
        self.callback = callback
        self.checkpoint = checkpoint
        self.fingerprint = setup.fingerprint() if checkpoint is not None else ""
        done = sum(s.step for s in states)
        self.progress = _Progress(setup.steps * len(states), done, progress)
        self.last_written = time.monotonic()

    def receive(self, state: StartState, stepped: bool) -> None:
        """Take a start's new state; ``stepped`` is True after an optimiser step."""
        self.states[state.start] = state
        if stepped:
            self.progress.update(state)
        if self.checkpoint is not None and (state.done or state.step % CHECKPOINT_EVERY == 0):
            self.write()
        if stepped and self.callback is not None:
            self.callback(_fit_state(self.setup, state))

    def write(self) -> None:
        if self.checkpoint is not None:
            _checkpoint.save(self.checkpoint, self.fingerprint, self.states)

    def close(self) -> None:
        self.progress.close()
        self.write()


def _fit_state(setup: FitSetup, state: StartState) -> FitState:
    params = dict(zip(setup.parameters, state.params_history[-1].tolist(), strict=True))
    return FitState(
        state.start,
        state.step,
        params,
        state.records["loss"][-1],
        state.records["loss_se"][-1],
        state.records["grad_norm"][-1],
    )


def run(
    setup: FitSetup,
    *,
    progress: bool,
    callback: Callable | None,
    checkpoint: str | os.PathLike | None,
    resume: str | os.PathLike | None,
    workers: int | None,
    threads: int | None,
    client: Any = None,
) -> FitResult:
    """Run every unfinished start and return the (possibly partial) result."""
    if resume is not None:
        states = _checkpoint.load(resume, setup.fingerprint())
        if len(states) != len(setup.starts):
            raise ValueError(f"cannot resume from {str(resume)!r}: it has {len(states)} starts")
        for state in states:
            if state.status == "interrupted":
                state.status = "running"
        if checkpoint is None:
            checkpoint = resume
    else:
        states = [new_state(setup, i) for i in range(len(setup.starts))]
    pending = [s.start for s in states if not s.done]
    coordinator = _Coordinator(setup, states, progress, callback, checkpoint)
    workers = _worker_count(workers, len(pending))
    try:
        if client is not None:
            from ..distributed._fit import run_on_dask

            run_on_dask(setup, coordinator, pending, client)
        elif workers <= 1 or not _picklable(setup):
            _run_here(setup, coordinator, pending, threads)
        else:
            _run_in_processes(setup, coordinator, pending, workers)
    finally:
        coordinator.close()
    return build_result(setup, coordinator.states)


def _worker_count(workers: int | None, pending: int) -> int:
    if workers is None:
        return min(pending, os.cpu_count() or 1)
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be a positive integer, got {workers!r}")
    return min(workers, max(pending, 1))


def _picklable(setup: FitSetup) -> bool:
    try:
        pickle.dumps(setup)
    except (pickle.PicklingError, AttributeError, TypeError):
        return False
    return True


def _run_here(
    setup: FitSetup, coordinator: _Coordinator, pending: list[int], threads: int | None
) -> None:
    context = Context.create(setup, threads)
    for start in pending:
        state = coordinator.states[start]
        try:
            for current in run_start(setup, context, state, lambda: False):
                coordinator.receive(current, stepped=not current.done)
        except KeyboardInterrupt:
            # The step in flight is lost; the state of the last completed step stands.
            current = coordinator.states[start]
            if not current.done:
                current.status = "interrupted"
            for other in pending:
                if not coordinator.states[other].done:
                    coordinator.states[other].status = "interrupted"
            return


# --- worker processes --------------------------------------------------------------------

_worker: dict = {}


def _init_worker(setup: FitSetup, messages, stop, threads: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the main process decides when to stop
    _worker.update(
        setup=setup, messages=messages, stop=stop, context=Context.create(setup, threads)
    )


def _work(state: StartState) -> None:
    remote.work(
        _worker["setup"], _worker["context"], state, _worker["messages"].put, _worker["stop"].is_set
    )


def _run_in_processes(
    setup: FitSetup, coordinator: _Coordinator, pending: list[int], workers: int
) -> None:
    ctx = multiprocessing.get_context("spawn")
    messages, stop = ctx.Queue(), ctx.Event()
    threads = max(1, (os.cpu_count() or 1) // workers)
    with ctx.Pool(workers, _init_worker, (setup, messages, stop, threads)) as pool:
        results = [pool.apply_async(_work, (coordinator.states[s],)) for s in pending]

        def receive(timeout: float):
            try:
                return messages.get(timeout=timeout)
            except queue_module.Empty:
                for r in results:
                    if r.ready() and not r.successful():
                        r.get()  # a worker crashed outside the protocol: re-raise here
                return None

        errors = remote.consume(coordinator, pending, receive, stop.set)
    remote.finish(coordinator, pending, errors, "a worker process")
