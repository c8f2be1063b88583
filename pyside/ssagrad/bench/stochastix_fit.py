"""stochastix's side of ``ssagrad bench fit``: a GS-ST training loop as its users write it.

stochastix ships simulators and gradient estimators but no fitting loop; its notebooks
write one with optax: ``jax.value_and_grad`` of a loss of ``vmap``-ed
``stochsimsolve`` runs under ``DifferentiableDirect`` (Gumbel-softmax straight-through),
``optax.adam`` on log rate constants, ``jax.jit`` around the step. The loss here is the
sorted-sample W1 between the simulated and the observed counts at one time,
``mean_i |x_(i) - q_i|`` with ``q_i`` the data quantile at level ``(i + 1/2)/n`` — the
form straight-through tangents can differentiate (science notes §3). With several
observation times it is summed over them, the states at the times read from the saved
trajectory with stochastix's ``SimulationResults.interpolate`` (forward fill), as its
documentation shows for time courses.

jax, optax and stochastix are imported inside the function.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..network import Network
from .stochastix_peer import _import_stochastix, final_count, network_builder


@dataclass(frozen=True)
class PeerFit:
    """A stochastix fit: fitted values, wall times, and the trajectory-overflow check.

    Attributes
    ----------
    params : dict
        Fitted rate constants (fixed ones included).
    seconds : float
        Wall time of the ``steps`` optimiser steps after the first (compiling) one.
    first_step_seconds : float
        Wall time of the first step (tracing and compilation included).
    steps, n : int
    version : str
    """

    params: dict
    seconds: float
    first_step_seconds: float
    steps: int
    n: int
    version: str


def gs_st_fit(
    net: Network,
    init: Mapping[str, float],
    x0: Mapping[str, int],
    species: str,
    horizon: float | Sequence[float],
    data: np.ndarray,
    free: Sequence[str],
    n: int,
    steps: int,
    lr: float = 0.1,
    max_steps: int = 400,
    temperature: float = 1.0,
    seed: int = 0,
) -> PeerFit:
    """Fit ``free`` rate constants to the counts ``data`` of ``species`` at ``horizon``.

    Parameters
    ----------
    net, init, x0 :
        A mass-action network, starting rate constants, initial counts.
    species : str
    horizon : float or sequence of float
        The observation time of ``data``, or several (increasing) times.
    data : (D,) or (D, T) int array
        Observed counts, one column per time when ``horizon`` is a sequence.
    free : parameter names to fit (the others stay at ``init``)
    n : int
        Trajectories per step.
    steps : int
        Adam steps (learning rate ``lr`` on log rate constants).
    max_steps : int
        stochastix's per-trajectory event budget (must exceed the events to ``horizon``).

    Returns
    -------
    PeerFit
    """
    import jax
    import jax.numpy as jnp
    import optax

    sx = _import_stochastix()
    build = network_builder(net, init)
    names = list(net.parameters)
    free_index = jnp.asarray([names.index(p) for p in free])
    base = jnp.asarray([float(init[p]) for p in names])
    order = sorted(net.species)
    state0 = jnp.asarray([float(x0.get(s, 0)) for s in order])
    index = order.index(species)
    solver = sx.DifferentiableDirect(logits_scale=temperature)
    times = np.atleast_1d(np.asarray(horizon, dtype=float))
    columns = np.asarray(data, dtype=float).reshape(len(data), -1)
    if columns.shape[1] != times.size:
        raise ValueError(f"data has {columns.shape[1]} column(s) for {times.size} time(s)")
    quantiles = jnp.asarray(_quantiles(columns, n))  # (n, T)

    def states(network: Any, subkey: Any) -> Any:
        if times.size == 1:
            final = final_count(sx, subkey, network, state0, times[0], max_steps, solver, index)
            return final[None]
        result = sx.stochsimsolve(
            subkey,
            network,
            state0,
            T=float(times[-1]),
            max_steps=max_steps,
            solver=solver,
            save_trajectory=True,
            save_propensities=False,
        )
        return result.interpolate(jnp.asarray(times)).x[:, index]

    def loss(log_free: Any, key: Any) -> Any:
        k = base.at[free_index].set(jnp.exp(log_free))
        network = build(k)
        sim = jax.vmap(lambda subkey: states(network, subkey))(jax.random.split(key, n))
        return jnp.sum(jnp.mean(jnp.abs(jnp.sort(sim, axis=0) - quantiles), axis=0))

    optimizer = optax.adam(lr)

    @jax.jit
    def step(log_free: Any, state: Any, key: Any) -> tuple[Any, Any, Any]:
        value, grad = jax.value_and_grad(loss)(log_free, key)
        updates, state = optimizer.update(grad, state, log_free)
        return optax.apply_updates(log_free, updates), state, value

    log_free = jnp.log(jnp.asarray([float(init[p]) for p in free]))
    state = optimizer.init(log_free)
    keys = jax.random.split(jax.random.PRNGKey(seed), steps)
    began = time.perf_counter()
    log_free, state, _ = jax.block_until_ready(step(log_free, state, keys[0]))
    first = time.perf_counter() - began
    began = time.perf_counter()
    for key in keys[1:]:
        log_free, state, _ = step(log_free, state, key)
    log_free = jax.block_until_ready(log_free)
    seconds = time.perf_counter() - began
    fitted = dict(init)
    fitted.update(zip(free, np.exp(np.asarray(log_free, dtype=np.float64)).tolist(), strict=True))
    return PeerFit(fitted, seconds, first, steps, n, sx.__version__)


def _quantiles(columns: np.ndarray, n: int) -> np.ndarray:
    """Per column, the data quantiles at levels ``(i + 1/2) / n`` (NaN cells ignored)."""
    levels = (np.arange(n) + 0.5) / n
    out = [
        np.quantile(np.sort(c[np.isfinite(c)]), levels, method="inverted_cdf") for c in columns.T
    ]
    return np.stack(out, axis=1).astype(float)
