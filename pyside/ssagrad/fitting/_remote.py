"""Running starts elsewhere (worker processes, a Dask cluster): the message protocol.

A start runs where the computing is (:func:`work`); after every step it sends a small
*delta* — the step's record, the new iterate and optimiser state, the status — to the
main process, which applies it to its own copy of the start (:func:`apply`), updates the
progress bar, calls the callback and writes checkpoints (:func:`consume`). The main
process asks for a stop by setting a flag the worker polls between steps. A start rerun
after a lost worker replays the same deltas from its beginning (its numbers depend only
on the setup); :func:`apply` ignores the ones it already has.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

from ._loop import Context, StartState, run_start
from ._setup import FitSetup

Message = tuple[str, object]


def delta(state: StartState) -> dict:
    """What changed in ``state`` since the previous message: the last step and the status."""
    out = {
        "start": state.start,
        "step": state.step,
        "status": state.status,
        "u": state.u,
        "optimizer_state": state.optimizer_state,
        "final": state.final,
    }
    if state.step:
        out["record"] = {name: values[-1] for name, values in state.records.items()}
        out["u_before"] = state.u_history[-1]
        out["params"] = state.params_history[-1]
    return out


def apply(state: StartState, change: dict) -> bool:
    """Bring the main process's copy of a start up to date; True if it took a step.

    A delta older than the copy (a replay from a start rerun elsewhere) changes nothing.
    """
    if change["step"] < state.step or (
        change["step"] == state.step
        and change["final"] is None
        and change["status"] == "running"
        and state.step
    ):
        return False
    stepped = change["step"] == state.step + 1
    if stepped:
        for name, value in change["record"].items():
            state.records[name].append(value)
        state.u_history.append(change["u_before"])
        state.params_history.append(change["params"])
    state.step, state.status, state.u = change["step"], change["status"], change["u"]
    state.optimizer_state, state.final = change["optimizer_state"], change["final"]
    return stepped


def work(
    setup: FitSetup,
    context: Context,
    state: StartState,
    put: Callable[[Message], None],
    should_stop: Callable[[], bool],
) -> None:
    """Run one start, sending a delta after every step, an error if it fails, and an end."""
    try:
        # A queue may pickle later, in a background thread: send copies, never live state.
        for current in run_start(setup, context, state, should_stop):
            put(("state", copy.deepcopy(delta(current))))
        if state.status == "interrupted":
            put(("state", copy.deepcopy(delta(state))))
    except BaseException as err:  # report any failure to the main process
        put(("error", (state.start, f"{type(err).__name__}: {err}")))
    finally:
        put(("end", state.start))


def consume(
    coordinator,
    pending: list[int],
    receive: Callable[[float], Message | None],
    stop: Callable[[], None],
) -> list[tuple[int, str]]:
    """Apply messages until every pending start has ended; return the errors reported.

    ``receive(timeout)`` returns the next message or None; a ``KeyboardInterrupt`` (Ctrl-C
    or from the callback) calls ``stop()`` and waits for the starts to end.
    """
    errors: list[tuple[int, str]] = []
    running = set(pending)
    while running:
        try:
            message = receive(1.0)
            if message is None:
                continue
            kind, payload = message
            if kind == "end":
                running.discard(payload)
            elif kind == "error":
                errors.append(payload)
                stop()
            else:
                state = coordinator.states[payload["start"]]
                stepped = apply(state, payload)
                coordinator.receive(state, stepped=stepped and not state.done)
        except KeyboardInterrupt:
            stop()
    return errors


def finish(coordinator, pending: list[int], errors: list[tuple[int, str]], where: str) -> None:
    """Mark the starts that did not finish as interrupted; raise the first error."""
    for start in pending:
        if not coordinator.states[start].done:
            coordinator.states[start].status = "interrupted"
    if errors:
        start, message = errors[0]
        raise RuntimeError(f"start {start} failed in {where}: {message}")
