"""``ssagrad.structure.learn``: learn reactions and rates from counts, four formulations."""

from __future__ import annotations

import os
import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import xarray as xr

from ..backends import get_backend
from ..data import observed
from ..estimators._problem import Problem
from ..fitting import fit
from ..fitting.parametrisation import simulate_capped
from ..inputs import initial_state
from ..network import Network
from ..seeding import resolve_seed, trajectory_seeds
from ._base import LibraryOfReactions, Structure
from ._result import StructureResult, expected_firings, mean_rmse
from ._steps import CoefficientSteps, ReactionSteps
from ._systems import MAX_SYSTEMS, LibraryOfSystems, enumerate_systems
from .library import library

#: The formulations by name (Kreikemeyer, Andelfinger & Uhrmacher 2024).
FORMULATIONS = ("library_of_reactions", "coefficient_steps", "reaction_steps", "library_of_systems")
#: Fit settings of ``learn`` where the caller gives none (Kreikemeyer et al.: RMSE of the
#: mean trajectories, smoothing, Adam).
DEFAULTS = {"loss": "rmse", "estimator": "smoothing", "n": 100, "lr": 0.1, "n_eval": 1000}
#: Smoothing settings of ``learn`` (``sigma`` in units of ``u``: half a step at unit 0.2).
SMOOTHING_DEFAULTS = {"sigma": 0.1, "directions": 16}
#: Seed stream and cells of the final evaluation of the learned network.
FINAL_STREAM = 11
FINAL_CELLS = 2000


def build_formulation(
    formulation: str,
    species: Sequence[str],
    max_order: int,
    *,
    scale: float,
    horizon: float,
    seed: int = 0,
    slots: int | None = None,
    systems: Sequence[Any] | None = None,
    selection: str = "softmax",
    sparsity: float = 0.0,
    unit: float = 0.2,
    max_systems: int = MAX_SYSTEMS,
    max_events: int | None = None,
    x0: Mapping[str, int] | None = None,
) -> Structure:
    """The parametrisation of ``formulation`` over the library of ``species``.

    Raises
    ------
    ValueError
        Unknown formulation, empty species, ``max_order < 1``, a missing ``slots``, more
        slots than library reactions, too many enumerated candidate systems, options
        that do not belong to the formulation.
    """
    if formulation not in FORMULATIONS:
        raise ValueError(
            f"unknown formulation {formulation!r}; choose one of {', '.join(FORMULATIONS)}"
        )
    lib = library(species, max_order)
    common = dict(scale=scale, horizon=horizon, unit=unit, max_events=max_events, x0=x0)
    if formulation != "library_of_reactions" and sparsity:
        raise ValueError("sparsity applies to formulation 'library_of_reactions' only")
    if formulation == "library_of_reactions":
        if slots is not None or systems is not None:
            raise ValueError("library_of_reactions has every library reaction: no slots or systems")
        return LibraryOfReactions(lib, sparsity=sparsity, **common)
    if formulation == "library_of_systems":
        if systems is None:
            if slots is None:
                raise ValueError(
                    "library_of_systems needs systems=[...] or slots=N (reactions per candidate)"
                )
            systems = enumerate_systems(lib, slots, max_systems)
        elif slots is not None:
            raise ValueError("give either systems=[...] or slots=N, not both")
        return LibraryOfSystems(lib, systems, selection, init_seed=seed, **common)
    if systems is not None:
        raise ValueError(f"{formulation} takes slots=N, not systems")
    if slots is None:
        raise ValueError(f"{formulation} needs slots=N: the number of reactions to learn")
    cls = CoefficientSteps if formulation == "coefficient_steps" else ReactionSteps
    return cls(lib, slots, init_seed=seed, **common)


def learn(
    data: xr.Dataset | xr.DataArray | str | os.PathLike,
    species: Sequence[str] | None = None,
    x0: Mapping[str, int] | None = None,
    formulation: str = "library_of_reactions",
    max_order: int = 2,
    steps: int = 300,
    seed: int | None = None,
    *,
    slots: int | None = None,
    systems: Sequence[Any] | None = None,
    selection: str = "softmax",
    sparsity: float = 0.0,
    threshold: float = 0.01,
    unit: float = 0.2,
    max_systems: int = MAX_SYSTEMS,
    max_events: int | None = None,
    **fit_options: Any,
) -> StructureResult:
    """Learn which reactions exist, and their rates, from observed counts.

    Builds the library of mass-action reactions over ``species`` up to ``max_order``
    (:func:`~ssagrad.structure.library`), a parametrisation of one of four formulations
    (Kreikemeyer, Andelfinger & Uhrmacher 2024; ``docs/structure.md``) and fits it with
    :func:`ssagrad.fit`.

    Parameters
    ----------
    data : xarray.Dataset, DataArray or path
        Counts ``x(sample, time, species)`` as for :func:`ssagrad.fit`.
    species : sequence of str, optional
        Species of the learned network (default: the data's).
    x0 : mapping of species to count
        Initial state of every simulated cell (required).
    formulation : str
        ``"library_of_reactions"`` (every library reaction with its own rate; optional
        ``sparsity``), ``"coefficient_steps"`` (``slots`` reactions with rounded real
        coefficients), ``"reaction_steps"`` (``slots`` stepped selections of library
        reactions) or ``"library_of_systems"`` (candidates ``systems``, or every set of
        ``slots`` library reactions; ``selection="softmax"`` or ``"stepped"``).
    max_order : int
        Largest order of either side of a library reaction.
    steps : int
    seed : int, optional
        Fixes the starting structure and every simulation.
    threshold : float
        A reaction is active if it fires at least ``threshold * scale`` times per cell
        over the horizon (``scale``: the largest mean count of the data or ``x0``).
    unit : float
        Length in ``u`` of one structural step (see :mod:`ssagrad.structure._base`).
    max_systems, max_events : optional
        Cap on enumerated candidate systems; event cap per trajectory.
    **fit_options :
        Passed to :func:`ssagrad.fit`; ``learn`` defaults to ``loss="rmse"``,
        ``estimator="smoothing"`` (``sigma=0.1``, ``directions=16``), ``n=100``,
        ``lr=0.1``, ``n_eval=1000``. Unbiased estimators apply to the library of
        reactions (``"altpath"``; ``"score"`` cannot see a rate at exactly 0 switch on)
        and ``"score"`` to the softmax library of systems.

    Returns
    -------
    StructureResult

    Examples
    --------
    >>> import ssagrad
    >>> from ssagrad import structure
    >>> truth = ssagrad.parse("k, A --> 0")
    >>> data = ssagrad.simulate(truth, {"k": 0.5}, {"A": 20}, [1.0, 2.0, 4.0], n=200, seed=1)
    >>> r = structure.learn(data, x0={"A": 20}, formulation="library_of_reactions",
    ...                     max_order=1, steps=40, seed=1, n=40, estimator="altpath",
    ...                     lr=0.1, n_eval=200, progress=False)
    >>> r.rmse < 2.0, r.n_active  # a close fit, with the spurious birth 0 --> A active
    (True, 2)
    """
    began = time.perf_counter()
    obs = observed(data)
    species = tuple(
        obs.species if species is None else ([species] if isinstance(species, str) else species)
    )
    if not species:
        raise ValueError("species is empty: structure learning needs at least one species")
    if x0 is None:
        raise ValueError("x0 is required: the initial counts of " + ", ".join(species))
    seed = resolve_seed(seed)
    scale = max([1.0, float(np.max(obs.mean()))] + [float(v) for v in x0.values()])
    horizon = float(obs.times[-1])
    if not horizon > 0:
        raise ValueError("the data need an observation time after 0")
    param = build_formulation(
        formulation, species, max_order, scale=scale, horizon=horizon, seed=seed, slots=slots,
        systems=systems, selection=selection, sparsity=sparsity, unit=unit,
        max_systems=max_systems, max_events=max_events, x0=dict(x0),
    )  # fmt: skip
    options = {**DEFAULTS, **fit_options}
    if options["estimator"] == "smoothing":
        options = {**SMOOTHING_DEFAULTS, **options}
    result = fit(param, data, x0=x0, steps=steps, seed=seed, **options)
    return _assemble(formulation, param, result, obs, x0, threshold, began)


def _assemble(formulation, param, result, obs, x0, threshold, began) -> StructureResult:
    """Evaluate the final point: simulate, count firings, keep the active reactions."""
    u = np.array([result.params[name] for name in param.names])
    realised = param.realise(u)
    x0_vector = initial_state(realised.network, x0)
    seeds = trajectory_seeds(result.info["seed"], FINAL_CELLS, FINAL_STREAM)
    engine = get_backend()
    problem = realised.problem(x0_vector, obs.times)
    states, _ = simulate_capped(problem, engine, realised.rates, seeds, param.max_events)
    firings = expected_firings(realised.network, realised.rates, states, x0_vector, obs.times)
    observed_index = np.array([param.species.index(s) for s in obs.species])
    rmse_all = mean_rmse(states, obs, observed_index)
    keep = [j for j, f in enumerate(firings) if f >= threshold * param.scale]
    reactions = tuple(realised.network.reactions[j] for j in keep)
    if reactions:
        network = Network(reactions, param.species)
        rates = realised.rates[keep]
        kept = Problem(network, network.arrays(), rates, x0_vector, obs.times)
        states, _ = simulate_capped(kept, engine, rates, seeds, param.max_events)
    else:
        network, rates = param.library.network({})
        states = np.broadcast_to(x0_vector, (1, obs.times.size, x0_vector.size))
    params = dict(zip(network.parameters, rates.tolist(), strict=True))
    active = tuple(
        f"{rate:.6g}, {str(r).split(', ', 1)[1]}" for r, rate in zip(reactions, rates, strict=True)
    )
    return StructureResult(
        formulation=formulation,
        network=network,
        params=params,
        active=active,
        firings=dict(zip(realised.network.parameters, firings.tolist(), strict=False)),
        rmse=mean_rmse(states, obs, observed_index),
        rmse_all=rmse_all,
        history=result.history,
        fit=result,
        parametrisation=param,
        realised=realised.network,
        wall=time.perf_counter() - began,
    )
