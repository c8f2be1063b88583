"""The stochastix side of ``ssagrad bench estimators``: its GS-ST gradient, timed.

stochastix (``pip install stochastix``, JAX) differentiates the direct method with the
Gumbel-softmax straight-through estimator (``DifferentiableDirect``): exact forward pass,
softmax relaxation of the reaction choice in the derivative. Its simulator stops at the
horizon with ``jnp.where(t + dt > T, x, x_new)``, i.e. it forward-fills the state, so the
sensitivity of the observed state to the event times is dropped; its gradient of
``E[X(T)]`` is therefore biased even where ours (``estimator="gumbel"``) is not.

Conventions are converted explicitly: :func:`rate_factors` compares stochastix's
mass-action propensity with ours (binomial, ``k prod_s C(x_s, r_s)``) reaction by
reaction and scales the rate constants handed to stochastix so that both simulate the
same process (stochastix 0.2 is binomial with ``volume=1``, so the factors are 1; a
convention change in a later version would be caught and converted, not silently
benchmarked). JAX runs in its default float32 here.

jax and stochastix are imported inside the functions, so that importing this module is
cheap and works without them.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..network import MASS_ACTION, Network
from .timing import best_of, first_call

#: The test state's count for every species when comparing propensity conventions.
_TEST_COUNT = 5


@dataclass(frozen=True)
class PeerGradient:
    """stochastix's GS-ST estimate of ``dE[X_species(T)]/dtheta``, with its timing.

    Attributes
    ----------
    mode : str
        ``"forward"`` (``jax.jacfwd`` of the per-trajectory values through
        ``faststochsimsolve``, a ``while_loop``) or ``"reverse"`` (``jax.grad`` of the
        ensemble mean through ``stochsimsolve``, a ``scan`` of ``max_steps`` steps).
    parameters : parameter names, in gradient order
    grad : (P,) the gradient estimate (natural-scale rate constants)
    se : (P,) standard error from the per-trajectory gradients (forward mode), or None
    seconds : best-of-``repeats`` wall time of one gradient, after the warm-up call
    first_call_seconds : wall time of the first call (tracing, compilation and one run)
    n : number of trajectories
    max_steps : step budget per trajectory
    overflow : fraction of trajectories that used up ``max_steps`` before the horizon
        (forward mode; NaN in reverse mode)
    version : stochastix version
    """

    mode: str
    parameters: tuple[str, ...]
    grad: np.ndarray
    se: np.ndarray | None
    seconds: float
    first_call_seconds: float
    n: int
    max_steps: int
    overflow: float
    version: str


def _import_stochastix() -> Any:
    """``import stochastix``, without its FutureWarning about an experimental submodule."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        import stochastix

    return stochastix


def _side(terms: tuple[tuple[str, int], ...]) -> str:
    if not terms:
        return "0"
    return " + ".join(name if coeff == 1 else f"{coeff}{name}" for name, coeff in terms)


def rate_factors(net: Network) -> np.ndarray:
    """Per reaction, ``ours / stochastix`` mass-action propensity at equal rate constant.

    Evaluated at the state where every species has :data:`_TEST_COUNT` molecules (so
    that ``C(x, 2) = x (x - 1) / 2`` and ``x (x - 1)`` differ) with unit rate constants.
    Multiply our rate constant by the factor to get stochastix's. The ratio is rounded to
    four decimals: stochastix evaluates ``C(x, r)`` as ``exp(lgamma ...)`` in float32.

    Raises
    ------
    ValueError
        For rate laws other than mass action.
    """
    _import_stochastix()
    from stochastix.kinetics import MassAction

    species = sorted(net.species)
    x = np.full(len(species), float(_TEST_COUNT))
    factors = np.ones(len(net.reactions))
    for j, reaction in enumerate(net.reactions):
        if reaction.rate.kind != MASS_ACTION:
            raise ValueError("the stochastix comparison supports mass-action reactions only")
        ours = math.prod(math.comb(_TEST_COUNT, c) for _, c in reaction.reactants)
        reactants = np.zeros(len(species))
        for name, coeff in reaction.reactants:
            reactants[species.index(name)] = coeff
        theirs = float(MassAction(1.0).propensity_fn(x, reactants))
        factors[j] = round(ours / theirs, 4)  # float32 lgamma noise; true ratios are simple
    return factors


def network_builder(net: Network, params: Mapping[str, float]) -> Callable[[Any], Any]:
    """A function ``k -> stochastix.ReactionNetwork`` for the parameter vector ``k``.

    ``k`` holds our rate constants in ``net.parameters`` order; numeric literals in the
    network stay constants. The convention factors of :func:`rate_factors` are applied
    inside, so derivatives with respect to ``k`` are with respect to our constants.
    """
    sx = _import_stochastix()
    from stochastix.kinetics import MassAction

    factors = rate_factors(net)
    names = list(net.parameters)
    missing = [p for p in names if p not in params]
    if missing:
        raise ValueError(f"missing parameter values: {', '.join(missing)}")

    def build(k: Any) -> Any:
        reactions = []
        for j, reaction in enumerate(net.reactions):
            (term,) = reaction.rate.args
            rate = k[names.index(term)] if isinstance(term, str) else float(term)
            text = f"{_side(reaction.reactants)} -> {_side(reaction.products)}"
            reactions.append(sx.Reaction(text, MassAction(rate * factors[j])))
        return sx.ReactionNetwork(reactions)

    return build


def final_count(
    sx: Any,
    key: Any,
    network: Any,
    state0: Any,
    horizon: float,
    max_steps: int,
    solver: Any,
    index: int,
) -> Any:
    """Count of species ``index`` at ``horizon`` of one ``stochsimsolve`` run (differentiable
    under ``DifferentiableDirect``; a ``scan`` of ``max_steps`` steps)."""
    result = sx.stochsimsolve(
        key,
        network,
        state0,
        T=horizon,
        max_steps=max_steps,
        solver=solver,
        save_trajectory=False,
        save_propensities=False,
    )
    return result.x[-1, index]


@dataclass(frozen=True)
class PeerRun:
    """One compiled-on-first-call stochastix gradient, ready to be timed by the caller.

    ``call()`` evaluates the gradient once (blocking until done) and returns the raw
    output: per-trajectory gradients ``(n, P)`` in forward mode, the mean gradient
    ``(P,)`` in reverse mode. :meth:`result` turns an output and its timings into a
    :class:`PeerGradient`.
    """

    mode: str
    call: Callable[[], np.ndarray]
    overflow: Callable[[], float]
    parameters: tuple[str, ...]
    n: int
    max_steps: int
    version: str

    def result(self, out: np.ndarray, seconds: float, first_call_seconds: float) -> PeerGradient:
        """The gradient (and standard error in forward mode) of ``call()``'s output."""
        if self.mode == "forward":
            grad = out.mean(axis=0)
            se = out.std(axis=0, ddof=1) / np.sqrt(self.n)
            overflow = self.overflow()
        else:
            grad, se, overflow = out, None, float("nan")
        return PeerGradient(
            self.mode,
            self.parameters,
            grad,
            se,
            seconds,
            first_call_seconds,
            self.n,
            self.max_steps,
            overflow,
            self.version,
        )


def gs_st_runs(
    net: Network,
    params: Mapping[str, float],
    x0: Mapping[str, int],
    species: str,
    horizon: float,
    n: int,
    max_steps: int,
    temperature: float = 1.0,
    seed: int = 0,
    modes: tuple[str, ...] = ("forward", "reverse"),
) -> list[PeerRun]:
    """stochastix's GS-ST gradient of ``E[X_species(horizon)]``, one :class:`PeerRun` per mode.

    The ``n`` trajectories are ``vmap``-ed with keys split from
    ``jax.random.PRNGKey(seed)``, the same keys in both modes (so both give the same
    gradient up to float32 rounding). Nothing is compiled until the first ``call()``.

    Parameters
    ----------
    net, params, x0 :
        A mass-action network, its rate constants and initial counts.
    species : str
        The observed species.
    horizon : float
        Observation time ``T``.
    n : int
        Number of trajectories.
    max_steps : int
        stochastix's static step budget per trajectory; choose it above the largest
        event count (see ``PeerGradient.overflow``).
    temperature : float
        ``DifferentiableDirect(logits_scale=temperature)``.
    seed : int
    modes : tuple of {"forward", "reverse"}
        ``"forward"``: ``jax.jacfwd`` of the per-trajectory values through
        ``faststochsimsolve`` (a ``while_loop``); ``"reverse"``: ``jax.grad`` of the
        ensemble mean through ``stochsimsolve`` (a ``scan`` of ``max_steps`` steps).
    """
    import jax
    import jax.numpy as jnp

    sx = _import_stochastix()
    for mode in modes:
        if mode not in ("forward", "reverse"):
            raise ValueError(f"mode must be 'forward' or 'reverse', got {mode!r}")
    build = network_builder(net, params)
    order = sorted(net.species)
    state0 = jnp.asarray([float(x0.get(s, 0)) for s in order])
    index = order.index(species)
    solver = sx.DifferentiableDirect(logits_scale=temperature)
    keys = jax.random.split(jax.random.PRNGKey(seed), n)
    k = jnp.asarray([float(params[p]) for p in net.parameters])

    def per_trajectory(k: Any, keys: Any) -> tuple[Any, Any]:
        network = build(k)

        def one(key: Any) -> tuple[Any, Any]:
            result = sx.faststochsimsolve(
                key,
                network,
                state0,
                T=horizon,
                max_steps=max_steps,
                solver=solver,
                save_propensities=False,
            )
            return result.x[-1, index], result.time_overflow

        return jax.vmap(one)(keys)

    def ensemble_mean(k: Any, keys: Any) -> Any:
        network = build(k)

        def one(key: Any) -> Any:
            return final_count(sx, key, network, state0, horizon, max_steps, solver, index)

        return jnp.mean(jax.vmap(one)(keys))

    functions = {
        "forward": jax.jit(jax.jacfwd(lambda k, keys: per_trajectory(k, keys)[0])),
        "reverse": jax.jit(jax.grad(ensemble_mean)),
    }

    def overflow() -> float:
        return float(np.mean(np.asarray(jax.jit(per_trajectory)(k, keys)[1])))

    runs = []
    for mode in modes:

        def call(func: Callable[..., Any] = functions[mode]) -> np.ndarray:
            return np.asarray(jax.block_until_ready(func(k, keys)), dtype=np.float64)

        runs.append(
            PeerRun(mode, call, overflow, tuple(net.parameters), n, max_steps, sx.__version__)
        )
    return runs


def gs_st_gradient(
    net: Network,
    params: Mapping[str, float],
    x0: Mapping[str, int],
    species: str,
    horizon: float,
    n: int,
    max_steps: int,
    temperature: float = 1.0,
    seed: int = 0,
    repeats: int = 3,
    modes: tuple[str, ...] = ("forward", "reverse"),
) -> list[PeerGradient]:
    """Time stochastix's GS-ST gradient of ``E[X_species(horizon)]`` in each AD mode.

    Each mode is called once to compile (``first_call_seconds``), then timed
    best-of-``repeats``. Arguments as in :func:`gs_st_runs`.

    Returns
    -------
    list of PeerGradient
        One per mode.
    """
    results = []
    for run in gs_st_runs(
        net, params, x0, species, horizon, n, max_steps, temperature, seed, modes
    ):
        first, _ = first_call(run.call)
        seconds, out = best_of(repeats, run.call)
        results.append(run.result(out, seconds, first))
    return results
