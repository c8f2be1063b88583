"""One start of a fit: the optimisation loop, early stopping and the final re-estimate.

Every random number of step ``k`` of start ``s`` comes from the seed
``SeedSequence([seed, s, k])``, so a start's trajectory of iterates depends on nothing
but the setup: not on the thread or worker count, and not on whether it was interrupted
and resumed from a checkpoint (the state saved after each step is everything the next
step needs).

Early stopping (``stop_window=W``): after every ``W`` steps from step ``2W`` on, the fit
stops when the mean loss of the last ``W`` steps is not lower than that of the ``W``
before by more than one standard error of the difference, and no fitted parameter's mean
(in the optimised space) moved by more than two standard errors between the two windows.

The result of a start is the best of three candidates, judged on the same fresh
simulations (``n_eval`` cells, common random numbers): the last iterate, the average of
the iterates over the last fifth of the steps (Polyak averaging, which removes most of
the noise of the last iterate), and the starting point itself — so that a fit whose noisy
gradients led it astray never returns rates worse than those it started from; its
``candidate`` then says ``"start"``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np

from ..backends import get_backend
from ..estimators import run_estimator
from ..estimators._finite_difference import simulate_at
from ..seeding import trajectory_seeds
from ..simulate import DEFAULT_MAX_EVENTS
from ._bound import BoundLoss
from ._compose import black_box_value, evaluate, loss_value
from ._setup import FitSetup
from .losses import BlackBox

#: Seed stream of the forward-only pool (the estimator's own cells use stream 0).
POOL_STREAM = 7
#: Step index whose seed the final re-estimate uses (never reached by a fit).
FINAL_STEP = 2**40
#: Fraction of the steps whose iterates are averaged into the averaged candidate.
AVERAGE_FRACTION = 0.2
#: Batches of the batch-means standard error of the averaged iterate.
BATCHES = 5
#: Per-step quantities recorded in the history.
RECORD_FIELDS = ("loss", "loss_se", "grad_norm", "wall", "events")


def step_seed(seed: int, start: int, step: int) -> int:
    """The seed of step ``step`` of start ``start``."""
    return int(np.random.SeedSequence([seed, start, step]).generate_state(1, np.uint64)[0])


@dataclass
class StartState:
    """Everything a start needs to continue: iterate, optimiser state, history.

    ``status`` is ``"running"``, ``"finished"`` (all steps), ``"converged"`` (stopped
    early) or ``"interrupted"``; ``final`` holds the re-estimated result once done.
    """

    start: int
    u: np.ndarray
    optimizer_state: dict
    step: int = 0
    status: str = "running"
    records: dict = field(default_factory=lambda: {k: [] for k in RECORD_FIELDS})
    u_history: list = field(default_factory=list)
    params_history: list = field(default_factory=list)
    final: dict | None = None

    @property
    def done(self) -> bool:
        """True once the start has its final result."""
        return self.final is not None


def new_state(setup: FitSetup, start: int) -> StartState:
    """The state before the first step of ``start``."""
    u = setup.transform.inverse(setup.starts[start][setup.free])
    return StartState(start, u, setup.optimizer.init(u.size))


@dataclass
class Context:
    """Per-process objects: the backend and the loss bound to the data."""

    engine: object
    loss: BoundLoss | BlackBox
    max_events: int

    @classmethod
    def create(cls, setup: FitSetup, threads: int | None) -> Context:
        """Choose the backend and bind the loss."""
        engine = get_backend(setup.backend)
        engine.set_threads(threads)
        loss = (
            setup.loss
            if isinstance(setup.loss, BlackBox)
            else setup.loss.bind(setup.data, setup.observed)
        )
        cap = getattr(setup.parametrisation, "max_events", None) or DEFAULT_MAX_EVENTS
        return cls(engine, loss, int(setup.options.get("max_events", cap)))


def simulate_cells(
    setup: FitSetup, context: Context, theta: np.ndarray, seeds: np.ndarray
) -> tuple[np.ndarray, int]:
    """Forward-only states ``(M, T, S)`` at ``theta`` with the given trajectory seeds, and
    the reactions they fired."""
    if setup.parametrisation is not None:
        return setup.parametrisation.simulate(
            theta, setup.problem, context.engine, seeds, context.max_events
        )
    problem = setup.problem_at(theta)
    return simulate_at(problem, context.engine, theta, seeds, context.max_events)


def estimate_at(
    setup: FitSetup,
    context: Context,
    theta: np.ndarray,
    n: int,
    seed: int,
    estimator: str | None = None,
    options: dict | None = None,
):
    """The estimator's material at ``theta`` (at ``u`` for a parametrised fit)."""
    estimator = setup.estimator if estimator is None else estimator
    options = setup.options if options is None else options
    if setup.parametrisation is not None:
        return setup.parametrisation.estimate(
            theta, setup.problem, context.engine, estimator, n, seed, options
        )
    return run_estimator(setup.problem_at(theta), context.engine, estimator, n, seed, **options)


def _penalised(setup: FitSetup, theta: np.ndarray, value: float, grad=None):
    """``value`` (and ``grad``) plus the parametrisation's penalty, if any."""
    if setup.parametrisation is None:
        return value, grad
    extra, extra_grad = setup.parametrisation.penalty(theta)
    return value + extra, None if grad is None else grad + extra_grad


def take_step(setup: FitSetup, context: Context, state: StartState) -> None:
    """One optimiser step: estimate, record, update (in place)."""
    began = time.perf_counter()
    theta = setup.full(setup.transform.forward(state.u), state.start)
    seed = step_seed(setup.seed, state.start, state.step)
    samples = estimate_at(setup, context, theta, setup.n, seed)
    pool, events = None, samples.events
    if setup.pool:
        pool, pool_events = simulate_cells(
            setup, context, theta, trajectory_seeds(seed, setup.pool, POOL_STREAM)
        )
        events = None if events is None else events + pool_events
    result = evaluate(samples, context.loss, pool, context.engine)
    value, grad = _penalised(setup, theta, result.value, result.grad)
    grad_u = grad[setup.free] * setup.transform.derivative(state.u)
    if not np.all(np.isfinite(grad_u)) or not np.isfinite(value):
        shown = dict(list(zip(setup.free_names, theta[setup.free].tolist(), strict=True))[:12])
        more = f" and {setup.free.size - 12} more" if setup.free.size > 12 else ""
        raise FloatingPointError(
            f"start {state.start}, step {state.step}: the loss or its gradient is not finite "
            f"at {shown}{more}"
        )
    update, state.optimizer_state = setup.optimizer.update(
        grad_u, state.optimizer_state, state.step, setup.steps
    )
    state.u_history.append(state.u.copy())
    state.params_history.append(theta)
    state.u = setup.transform.project(state.u + update)
    record = state.records
    record["loss"].append(value)
    record["loss_se"].append(result.value_se)
    record["grad_norm"].append(float(np.linalg.norm(grad_u)))
    record["events"].append(float(events) if events is not None else float("nan"))
    record["wall"].append(time.perf_counter() - began)
    state.step += 1


def converged(setup: FitSetup, state: StartState) -> bool:
    """The early-stopping rule of the module docstring."""
    window = setup.stop_window
    if window is None or state.step < 2 * window or state.step % window:
        return False
    loss = np.asarray(state.records["loss"])
    last, before = loss[-window:], loss[-2 * window : -window]
    se = np.sqrt(last.var(ddof=1) / window + before.var(ddof=1) / window)
    if before.mean() - last.mean() > se:
        return False
    u = np.asarray(state.u_history)
    u_last, u_before = u[-window:], u[-2 * window : -window]
    se_u = np.sqrt(u_last.var(axis=0, ddof=1) / window + u_before.var(axis=0, ddof=1) / window)
    return bool(np.all(np.abs(u_last.mean(axis=0) - u_before.mean(axis=0)) <= 2 * se_u + 1e-12))


def run_start(
    setup: FitSetup, context: Context, state: StartState, should_stop: Callable[[], bool]
) -> Iterator[StartState]:
    """Run ``state`` to the end, yielding it after every step and once more when done.

    ``should_stop()`` is polled after each step; when it returns True the state is
    marked ``"interrupted"`` and the generator ends without a final result.
    """
    while state.step < setup.steps and state.status == "running":
        take_step(setup, context, state)
        if converged(setup, state):
            state.status = "converged"
        yield state
        if state.status == "running" and should_stop():
            state.status = "interrupted"
            return
    if state.status == "running":
        state.status = "finished"
    state.final = finalise(setup, context, state)
    yield state


def _candidate_loss(
    setup: FitSetup, context: Context, theta: np.ndarray, seed: int
) -> tuple[float, float, np.ndarray | None]:
    """Loss and se at ``theta`` on fresh cells (and the cells), or exactly."""
    if setup.estimator == "exact":
        result = evaluate(
            estimate_at(setup, context, theta, 1, seed), context.loss, engine=context.engine
        )
        return _penalised(setup, theta, result.value)[0], 0.0, None
    cells, _ = simulate_cells(setup, context, theta, trajectory_seeds(seed, setup.n_eval))
    if isinstance(context.loss, BlackBox):
        value, se = black_box_value(context.loss, cells)
    else:
        value, se = loss_value(context.loss, cells)
    return _penalised(setup, theta, value)[0], se, cells


def finalise(setup: FitSetup, context: Context, state: StartState) -> dict:
    """Re-estimate the loss of the last iterate, the averaged one and the start; keep the best."""
    u_hist = np.asarray(state.u_history + [state.u])
    window = max(1, int(round(AVERAGE_FRACTION * state.step)))
    averaged = u_hist[-window:].mean(axis=0)
    seed = step_seed(setup.seed, state.start, FINAL_STEP)
    start = setup.starts[state.start]
    candidates = {
        "last": (state.u, setup.full(setup.transform.forward(state.u), state.start)),
        "averaged": (averaged, setup.full(setup.transform.forward(averaged), state.start)),
        "start": (setup.transform.inverse(start[setup.free]), start.copy()),
    }
    scored = {
        name: (theta, *_candidate_loss(setup, context, theta, seed))
        for name, (_, theta) in candidates.items()
    }
    best = min(scored, key=lambda k: scored[k][1])
    theta, value, se, cells = scored[best]
    u = candidates[best][0]
    param_se = np.full(setup.free.size, np.nan)
    if window >= 2 * BATCHES:
        batches = np.array_split(u_hist[-window:], BATCHES)
        means = np.array([b.mean(axis=0) for b in batches])
        se_u = means.std(axis=0, ddof=1) / np.sqrt(BATCHES)
        param_se = se_u * np.abs(setup.transform.derivative(u))
    return {
        "params": theta,
        "loss": value,
        "loss_se": se,
        "candidate": best,
        "other_loss": {name: float(v[1]) for name, v in scored.items() if name != best},
        "param_se": param_se,
        "cells": None if cells is None else cells[:, :, setup.observed],
        "jacobian": _jacobian(setup, context, theta, seed),
    }


def _jacobian(setup: FitSetup, context: Context, theta: np.ndarray, seed: int):
    """Residuals and their Jacobian in log parameters at ``theta`` (sloppiness analysis)."""
    if isinstance(context.loss, BlackBox) or setup.parametrisation is not None:
        return None
    # Straight-through tangents vanish on the W1 indicators: the score function stands in.
    estimator = "score" if setup.estimator == "gumbel" else setup.estimator
    options = setup.options if estimator == setup.estimator else {}
    n = setup.n_eval if estimator != "exact" else 1
    samples = run_estimator(setup.problem_at(theta), context.engine, estimator, n, seed, **options)
    residuals, jacobian = context.loss.residual_jacobian(samples)
    return residuals, jacobian[:, setup.free] * theta[setup.free]
