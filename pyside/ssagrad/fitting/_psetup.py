"""Validation of ``fit``'s arguments when the model is a :class:`Parametrisation`.

The same checks as for a network (data, loss, estimator options, counts, seed), with the
differences of :mod:`ssagrad.fitting.parametrisation`: the parameters are the
parametrisation's coordinates, which carry their own scales and bounds, and the
estimator must be ``"smoothing"`` or one the parametrisation declares.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..data import observed
from ..inputs import initial_state, sample_count
from ..seeding import resolve_seed
from ._setup import (
    FitSetup,
    _names,
    _options,
    _positive_int,
    _select,
    check_starts,
    start_generator,
)
from .losses import resolve_loss
from .optimizers import resolve_optimizer
from .parametrisation import Parametrisation
from .reparam import Identity, Transform


def _starting_points(
    param: Parametrisation, init: np.ndarray, names: Sequence[str], starts: Any, seed: int
) -> tuple[np.ndarray, ...]:
    lower, upper = param.bounds()
    starts = check_starts(starts)
    if isinstance(starts, int):
        rng = start_generator(seed)
        return (init,) + tuple(param.random_start(rng) for _ in range(starts - 1))
    points = []
    for given in starts:
        _names(list(given), "a start point", names)
        point = init.copy()
        for k, name in enumerate(names):
            if name in given:
                point[k] = float(given[name])
        points.append(np.clip(point, lower, upper))
    return tuple(points)


def _initial(param: Parametrisation, init: Mapping[str, float] | None) -> np.ndarray:
    u = np.asarray(param.initial(), dtype=np.float64).copy()
    names = list(param.names)
    if u.shape != (len(names),):
        raise ValueError(f"{type(param).__name__}.initial() must have {len(names)} entries")
    if init is not None:
        if not isinstance(init, Mapping):
            raise TypeError("init must be a mapping of parameter names to starting values")
        for name in _names(list(init), "init", names):
            u[names.index(name)] = float(init[name])
    lower, upper = param.bounds()
    outside = [n for n, v, lo, hi in zip(names, u, lower, upper, strict=True) if not lo <= v <= hi]
    if outside:
        raise ValueError(f"init of {outside[0]!r} is outside the parametrisation's bounds")
    return u


def build_parametrised_setup(param: Parametrisation, data: Any, arguments: dict) -> FitSetup:
    """Check :func:`ssagrad.fit`'s arguments (by keyword) for a parametrisation."""
    if arguments["reparam"] is not None or arguments["bounds"] is not None:
        raise ValueError(
            "reparam and bounds do not apply to a Parametrisation: its coordinates carry "
            "their own scales and bounds"
        )
    estimator, seed = arguments["estimator"], resolve_seed(arguments["seed"])
    allowed = ("smoothing",) + tuple(param.estimators)
    if estimator not in allowed:
        raise ValueError(
            f"estimator {estimator!r} cannot differentiate {type(param).__name__}; valid "
            f"estimators: {', '.join(allowed)}"
        )
    spec = resolve_loss(arguments["loss"])
    if not spec.expectation_based and estimator != "smoothing":
        raise ValueError("a black-box loss needs estimator='smoothing' with a Parametrisation")
    x0 = arguments["x0"]
    if x0 is None:
        raise ValueError("x0 is required: the initial counts of " + ", ".join(param.species))
    u0 = _initial(param, arguments["init"])
    names = list(param.names)
    realised = param.realise(u0)
    network = realised.network
    obs_data = _select(observed(data), network, arguments["species"], arguments["times"])
    fixed = arguments["fixed"]
    fixed_names = _names([fixed] if isinstance(fixed, str) else list(fixed), "fixed", names)
    free = np.array([i for i, p in enumerate(names) if p not in fixed_names], dtype=np.int64)
    if free.size == 0:
        raise ValueError("every parameter is fixed: nothing to fit")
    lower, upper = param.bounds()
    transform = Transform(tuple(Identity() for _ in free), lower[free], upper[free])
    n = _positive_int(sample_count(arguments["n"]), "n", 4 if estimator != "exact" else 1)
    pool, n_eval, window = arguments["pool"], arguments["n_eval"], arguments["stop_window"]
    if pool is not None:
        pool = _positive_int(pool, "pool")
        if estimator == "exact":
            raise ValueError("pool needs a sampling estimator; the exact estimator has no samples")
    x0_vector = initial_state(network, x0)
    problem = realised.problem(x0_vector, obs_data.times)
    return FitSetup(
        network=network,
        model_name=None,
        problem=problem,
        data=obs_data,
        observed=np.array([network.species.index(s) for s in obs_data.species], dtype=np.int64),
        loss=spec,
        estimator=estimator,
        options=_options(
            estimator, arguments["options"], arguments["backend"], arguments.get("client")
        ),
        free=free,
        transform=transform,
        optimizer=resolve_optimizer(arguments["optimizer"], **arguments["optimizer_options"]),
        steps=_positive_int(arguments["steps"], "steps"),
        n=n,
        pool=pool,
        n_eval=max(4 * n, 4000) if n_eval is None else _positive_int(n_eval, "n_eval", 2),
        seed=seed,
        starts=_starting_points(param, u0, names, arguments["starts"], seed),
        stop_window=None if window is None else _positive_int(window, "stop_window", 2),
        backend=arguments["backend"],
        parametrisation=param,
    )
