"""Validation of ``fit``'s arguments into one picklable :class:`FitSetup`.

Everything a fit needs is checked here, before any simulation, and every error names
the offending argument; a worker process receives the setup and nothing else.
"""

from __future__ import annotations

import hashlib
import json
import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from ..data import ObservedData, observed
from ..distributed import engine_for
from ..estimators import ESTIMATORS, lookup
from ..estimators._problem import Problem
from ..inputs import parameter_vector, sample_count
from ..models import Model
from ..network import Network
from ..seeding import resolve_seed
from .losses import Loss, resolve_loss
from .optimizers import Optimizer, resolve_optimizer
from .reparam import Reparametrisation, Transform, resolve

#: Default spread of random starting points around ``init`` when a parameter has no bounds.
START_SPREAD = 10.0


@dataclass(frozen=True)
class FitSetup:
    """A validated fitting problem (see :func:`ssagrad.fit` for the meaning of each field)."""

    network: Network
    model_name: str | None
    problem: Problem
    data: ObservedData
    observed: np.ndarray
    loss: Loss
    estimator: str
    options: dict
    free: np.ndarray
    transform: Transform
    optimizer: Optimizer
    steps: int
    n: int
    pool: int | None
    n_eval: int
    seed: int
    starts: tuple[np.ndarray, ...]
    stop_window: int | None
    backend: str | None
    #: A :class:`~ssagrad.fitting.Parametrisation` (then the optimised "parameters" are
    #: its coordinates ``u`` and ``network`` is its realisation at the first start).
    parametrisation: Any = None

    @property
    def parameters(self) -> tuple[str, ...]:
        """All parameter names: the network's, or the parametrisation's coordinates."""
        if self.parametrisation is not None:
            return tuple(self.parametrisation.names)
        return self.network.parameters

    @property
    def free_names(self) -> tuple[str, ...]:
        """Names of the fitted parameters."""
        return tuple(self.parameters[i] for i in self.free)

    def full(self, theta_free: np.ndarray, start: int = 0) -> np.ndarray:
        """All parameters: ``theta_free`` in the free slots, the start's values elsewhere."""
        theta = self.starts[start].copy()
        theta[self.free] = theta_free
        return theta

    def problem_at(self, theta: np.ndarray) -> Problem:
        """The estimator problem at parameters ``theta`` (P,)."""
        return replace(self.problem, params=np.asarray(theta, dtype=np.float64))

    def fingerprint(self) -> str:
        """A hash of everything that determines the fit's numbers (checked on resume)."""
        description = {
            "network": str(self.network),
            "x0": self.problem.x0.tolist(),
            "data": self.data.fingerprint(),
            "observed": self.observed.tolist(),
            "loss": repr(self.loss),
            "estimator": self.estimator,
            "options": {k: repr(v) for k, v in sorted(self.options.items())},
            "free": self.free.tolist(),
            "transform": [m.config() for m in self.transform.maps],
            "lower": self.transform.lower.tolist(),
            "upper": self.transform.upper.tolist(),
            "optimizer": self.optimizer.config(),
            "steps": self.steps,
            "n": self.n,
            "pool": self.pool,
            "n_eval": self.n_eval,
            "seed": self.seed,
            "starts": [s.tolist() for s in self.starts],
            "stop_window": self.stop_window,
        }
        if self.parametrisation is not None:
            description["parametrisation"] = self.parametrisation.config()
        return hashlib.sha256(json.dumps(description, sort_keys=True).encode()).hexdigest()[:20]


def _names(values: Any, what: str, known: Sequence[str]) -> list[str]:
    if isinstance(values, str):
        values = [values]
    names = list(values)
    for name in names:
        if name not in known:
            raise ValueError(
                f"unknown parameter {name!r} in {what}; parameters: {', '.join(known)}"
            )
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise ValueError(f"{what} names {', '.join(map(repr, duplicated))} more than once")
    return names


def _initial(net: Network, model: Model | None, init: Any) -> np.ndarray:
    if init is None:
        if model is None:
            raise ValueError(
                f"init is required for a Network: starting values for {', '.join(net.parameters)}"
            )
        init = model.params
    if not isinstance(init, Mapping):
        raise TypeError("init must be a mapping of parameter names to starting values")
    base = dict(model.params) if model is not None else {}
    _names(list(init), "init", net.parameters)
    base.update(init)
    missing = [p for p in net.parameters if p not in base]
    if missing:
        raise ValueError(f"init has no value for parameter(s) {', '.join(missing)}")
    try:
        return parameter_vector(net, {p: base[p] for p in net.parameters})
    except (TypeError, ValueError) as err:
        raise type(err)(f"init: {err}") from None


def _select(data: ObservedData, net: Network, species: Any, times: Any) -> ObservedData:
    unknown = [s for s in data.species if s not in net.species]
    if species is None and unknown:
        raise ValueError(
            f"the data has species {', '.join(map(repr, unknown))} that the network does not "
            f"have (network species: {', '.join(net.species)}); pass species=[...] to fit a "
            f"subset"
        )
    keep_s = list(range(len(data.species)))
    if species is not None:
        wanted = [species] if isinstance(species, str) else list(species)
        for name in wanted:
            if name not in net.species:
                raise ValueError(
                    f"species {name!r} is not in the network ({', '.join(net.species)})"
                )
            if name not in data.species:
                raise ValueError(f"species {name!r} is not in the data ({', '.join(data.species)})")
        keep_s = [data.species.index(name) for name in wanted]
    keep_t = list(range(data.times.size))
    if times is not None:
        wanted_t = np.atleast_1d(np.asarray(times, dtype=np.float64))
        keep_t = []
        for t in wanted_t:
            hit = np.flatnonzero(np.isclose(data.times, t, rtol=1e-12, atol=1e-12))
            if hit.size == 0:
                raise ValueError(
                    f"time {t:g} is not in the data (data times: "
                    f"{', '.join(f'{v:g}' for v in data.times)})"
                )
            keep_t.append(int(hit[0]))
    counts = tuple(tuple(data.counts[t][s] for s in keep_s) for t in keep_t)
    return ObservedData(
        tuple(data.species[s] for s in keep_s), data.times[keep_t], counts, data.layout
    )


def _options(estimator: str, options: dict, backend: str | None, client: Any) -> dict:
    """The estimator's options checked, and the backend checked to run it, before any work."""
    cls = lookup(estimator)
    options = cls.check_options(dict(options))
    if cls.capability is not None:
        engine_for(backend, client).require(cls.capability, f"estimator {estimator!r}")
    return options


def black_box_estimators() -> tuple[str, ...]:
    """The registered estimators that can differentiate a black-box loss."""
    return tuple(name for name, cls in ESTIMATORS.items() if cls.black_box)


def _transform(names: Sequence[str], init: np.ndarray, reparam: Any, bounds: Any) -> Transform:
    specs: dict[str, Any]
    if isinstance(reparam, str | Reparametrisation):
        specs = {name: reparam for name in names}
    elif isinstance(reparam, Mapping):
        unknown = [k for k in reparam if k not in names]
        if unknown:
            raise ValueError(
                f"reparam names {unknown[0]!r}, which is not a fitted parameter "
                f"(fitted: {', '.join(names)})"
            )
        specs = {name: reparam.get(name, "log") for name in names}
    else:
        raise TypeError("reparam must be a name, a Reparametrisation or a mapping of them")
    bounds = {} if bounds is None else bounds
    if not isinstance(bounds, Mapping):
        raise TypeError("bounds must be a mapping of parameter name to (low, high)")
    for name in bounds:
        if name not in names:
            raise ValueError(
                f"bounds name {name!r}, which is not a fitted parameter "
                f"(fitted: {', '.join(names)})"
            )
    maps, lower, upper = [], [], []
    for name, value in zip(names, init, strict=True):
        rmap = resolve(specs[name], name).resolved(float(value))
        rmap.check_init(name, float(value))
        low, high = _bound(name, bounds.get(name, (0.0, math.inf)))
        if not low <= value <= high:
            raise ValueError(
                f"init value {value:g} of {name!r} is outside its bounds [{low:g}, {high:g}]"
            )
        u_low, u_high = rmap.u_range()
        maps.append(rmap)
        lower.append(max(u_low, rmap.inverse(low)) if low > 0 else u_low)
        upper.append(min(u_high, rmap.inverse(high)) if math.isfinite(high) else u_high)
    return Transform(tuple(maps), np.array(lower), np.array(upper))


def _bound(name: str, pair: Any) -> tuple[float, float]:
    try:
        low, high = (float(v) for v in pair)
    except (TypeError, ValueError):
        raise ValueError(f"bounds of {name!r} must be a pair (low, high), got {pair!r}") from None
    if math.isnan(low) or math.isnan(high) or low < 0 or not low < high:
        raise ValueError(f"bounds of {name!r} must satisfy 0 <= low < high, got ({low}, {high})")
    return low, high


def _starts(
    starts: Any,
    init: np.ndarray,
    free: np.ndarray,
    names: Sequence[str],
    transform: Transform,
    seed: int,
) -> tuple[np.ndarray, ...]:
    starts = check_starts(starts)
    if isinstance(starts, int):
        rng = start_generator(seed)
        points = [init.copy()]
        for _ in range(int(starts) - 1):
            point = init.copy()
            for k, i in enumerate(free):
                rmap = transform.maps[k]
                low = (
                    transform.lower[k]
                    if math.isfinite(transform.lower[k])
                    else rmap.inverse(init[i] / START_SPREAD if init[i] > 0 else 0.0)
                )
                high = (
                    transform.upper[k]
                    if math.isfinite(transform.upper[k])
                    else rmap.inverse(init[i] * START_SPREAD if init[i] > 0 else 1.0)
                )
                point[i] = rmap.forward(rng.uniform(max(low, rmap.u_range()[0]), high))
            points.append(point)
        return tuple(points)
    points = []
    for given in starts:
        _names(list(given), "a start point", names)
        point = init.copy()
        for k, i in enumerate(free):
            if names[k] in given:
                point[i] = float(given[names[k]])
                transform.maps[k].check_init(names[k], point[i])
        points.append(point)
    return tuple(points)


def check_starts(starts: Any) -> int | Sequence[Mapping]:
    """``starts`` as a count ``>= 1`` or a non-empty list of dicts, else an error."""
    if isinstance(starts, bool):
        raise TypeError(f"starts must be a count or a list of dicts, got {starts!r}")
    if isinstance(starts, numbers.Integral):
        if starts < 1:
            raise ValueError(f"starts must be at least 1, got {starts}")
        return int(starts)
    if isinstance(starts, Sequence) and starts and all(isinstance(s, Mapping) for s in starts):
        return starts
    raise TypeError(f"starts must be a count or a non-empty list of dicts, got {starts!r}")


def start_generator(seed: int) -> np.random.Generator:
    """The generator of the random starting points of ``seed``."""
    return np.random.default_rng(np.random.SeedSequence([seed, 1_000_003]))


def _positive_int(value: Any, name: str, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def build_setup(
    net: Network | Model,
    data: Any,
    *,
    x0: Mapping[str, int] | None,
    loss: Any,
    estimator: str,
    init: Mapping[str, float] | None,
    fixed: Sequence[str],
    bounds: Mapping[str, tuple[float, float]] | None,
    reparam: Any,
    optimizer: Any,
    optimizer_options: dict,
    steps: int,
    n: int,
    pool: int | None,
    n_eval: int | None,
    starts: Any,
    seed: int | None,
    stop_window: int | None,
    species: Any,
    times: Any,
    backend: str | None,
    options: dict,
    client: Any = None,
) -> FitSetup:
    """Check every argument of :func:`ssagrad.fit` and build the setup."""
    reparam = "log" if reparam is None else reparam
    model = net if isinstance(net, Model) else None
    if model is not None:
        net = model.network
        x0 = model.x0 if x0 is None else x0
    if not isinstance(net, Network):
        raise TypeError(f"expected a Network or a zoo Model, got {type(net).__name__}")
    lookup(estimator)
    spec = resolve_loss(loss)
    if not spec.expectation_based and not ESTIMATORS[estimator].black_box:
        raise ValueError(
            f"estimator {estimator!r} cannot differentiate a black-box loss of the ensemble; "
            f"estimators that can: {', '.join(black_box_estimators())} (or write the loss as "
            f"an EnsembleLoss, which every estimator supports)"
        )
    obs_data = _select(observed(data), net, species, times)
    init_values = _initial(net, model, init)
    fixed_names = _names(
        list(fixed) if not isinstance(fixed, str) else [fixed], "fixed", net.parameters
    )
    free = np.array(
        [i for i, p in enumerate(net.parameters) if p not in fixed_names], dtype=np.int64
    )
    if free.size == 0:
        raise ValueError("every parameter is fixed: nothing to fit")
    names = [net.parameters[i] for i in free]
    transform = _transform(names, init_values[free], reparam, bounds)
    seed = resolve_seed(seed)
    steps = _positive_int(steps, "steps")
    n = _positive_int(sample_count(n), "n", 4 if estimator != "exact" else 1)
    if pool is not None:
        pool = _positive_int(pool, "pool")
        if estimator == "exact":
            raise ValueError("pool needs a sampling estimator; the exact estimator has no samples")
    n_eval = max(4 * n, 4000) if n_eval is None else _positive_int(n_eval, "n_eval", 2)
    if stop_window is not None:
        stop_window = _positive_int(stop_window, "stop_window", 2)
    problem = Problem.build(net, init_values, x0, obs_data.times)
    return FitSetup(
        network=net,
        model_name=model.name if model is not None else None,
        problem=problem,
        data=obs_data,
        observed=np.array([net.species.index(s) for s in obs_data.species], dtype=np.int64),
        loss=spec,
        estimator=estimator,
        options=_options(estimator, options, backend, client),
        free=free,
        transform=transform,
        optimizer=resolve_optimizer(optimizer, **optimizer_options),
        steps=steps,
        n=n,
        pool=pool,
        n_eval=n_eval,
        seed=seed,
        starts=_starts(starts, init_values, free, names, transform, seed),
        stop_window=stop_window,
        backend=backend,
    )
