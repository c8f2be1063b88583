"""Gradient estimators behind one interface.

:func:`gradient` estimates ``dE[X(t)]/dtheta`` for every parameter with the estimator of
your choice; :func:`value_and_grad` differentiates a scalar loss of the ensemble. Each
estimator lives in its own module as an :class:`Estimator` subclass (which registers it)
and returns a :class:`~ssagrad.estimators._samples.GradientSamples`.

{table}
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import xarray as xr

from .._version import __version__
from ..distributed import engine_for
from ..inputs import sample_count
from ..models import Model
from ..network import Network
from ..seeding import resolve_seed
from . import _altpath, _exact, _finite_difference, _gumbel, _score, _smoothing  # noqa: F401
from ._problem import Problem
from ._registry import ESTIMATORS, Estimator, estimator_table, lookup, run_estimator
from ._samples import Expectation, FeatureMap, GradientSamples, apply_features, identity

__all__ = [
    "ESTIMATORS",
    "EnsembleLoss",
    "Estimator",
    "Expectation",
    "GradientSamples",
    "LossGradient",
    "estimate",
    "gradient",
    "run_estimator",
    "value_and_grad",
]

#: Groups of the delete-a-group jackknife of :func:`value_and_grad`.
JACKKNIFE_GROUPS = 20


def estimate(
    net: Network | Model,
    params: Mapping[str, float] | Sequence[float] | None = None,
    x0: Mapping[str, int] | None = None,
    times: Sequence[float] | np.ndarray | None = None,
    estimator: str = "score",
    n: int = 1000,
    seed: int | None = None,
    backend: str | None = None,
    threads: int | None = None,
    *,
    client: Any = None,
    chunk: int | None = None,
    **options: Any,
) -> GradientSamples:
    """Run one estimator and return its per-sample material (see :func:`gradient`).

    The estimator, its options and whether the backend provides what it needs are
    checked before any work.
    """
    cls = lookup(estimator)
    cls.check_options(options)
    engine = engine_for(backend, client, chunk)
    if cls.capability is not None:
        engine.require(cls.capability, f"estimator {estimator!r}")
    problem = Problem.build(net, params, x0, times)
    n = sample_count(n)
    seed = resolve_seed(seed)
    engine.set_threads(threads)
    return run_estimator(problem, engine, estimator, n, seed, **options)


def gradient(
    net: Network | Model,
    params: Mapping[str, float] | Sequence[float] | None = None,
    x0: Mapping[str, int] | None = None,
    times: Sequence[float] | np.ndarray | None = None,
    estimator: str = "score",
    n: int = 1000,
    seed: int | None = None,
    backend: str | None = None,
    threads: int | None = None,
    *,
    client: Any = None,
    chunk: int | None = None,
    **options: Any,
) -> xr.Dataset:
    """Estimate ``dE[X(t)]/dtheta`` for every species, observation time and parameter.

    Parameters
    ----------
    net, params, x0, times :
        As in :func:`ssagrad.simulate`.
    estimator : str
        One of {names} (see the module table).
    n : int
        Number of trajectories (ignored by ``exact``).
    seed : int, optional
        Fixes the result, independently of thread count.
    backend : str, optional
        Kernel backend (see :func:`ssagrad.available_backends`).
    threads : int, optional
        Worker threads (default: all cores).
    client : dask.distributed.Client, optional
        Run the kernels on a Dask cluster in chunks of ``chunk`` trajectories; the
        estimate and its standard error are bit for bit those of a local run.
    chunk : int, optional
        Trajectories per Dask task.
    **options :
        Estimator options, e.g. ``temperature=`` (gumbel), ``h=`` (fd, cfd),
        ``sigma=`` and ``directions=`` (smoothing); see each estimator's page in the docs.

    Returns
    -------
    xarray.Dataset
        ``mean`` (time, species); ``dmean`` and ``dmean_se`` (time, species, parameter),
        natural-scale derivatives; ``x`` (sample, time, species) and the estimator's own
        per-sample variables (scores, tangents, alternative paths ...).

    Raises
    ------
    ValueError
        Unknown estimator (the message lists the valid ones), an option it does not take
        (the message names it), an estimator the backend cannot run (the message lists
        what it supports), bad options or input.

    Examples
    --------
    >>> import ssagrad
    >>> g = ssagrad.gradient(ssagrad.models.birth_death(), times=[1.0], n=2000, seed=1)
    >>> g.dmean.dims
    ('time', 'species', 'parameter')
    >>> abs(g.dmean.sel(species="A", parameter="k").item() - (1 - 2.718281828**-1)) < 0.1
    True
    """
    samples = estimate(
        net,
        params,
        x0,
        times,
        estimator,
        n,
        seed,
        backend,
        threads,
        client=client,
        chunk=chunk,
        **options,
    )
    return _dataset(samples, estimator, options)


def _dataset(samples: GradientSamples, estimator: str, options: Mapping[str, Any]) -> xr.Dataset:
    problem = samples.problem
    result = samples.expectation(identity)
    se = result.se if result.se is not None else np.zeros_like(result.grad)
    data: dict[str, Any] = {
        "mean": (("time", "species"), result.value),
        "dmean": (("time", "species", "parameter"), result.grad),
        "dmean_se": (("time", "species", "parameter"), se),
    }
    if samples.states is not None:
        data["x"] = (("sample", "time", "species"), samples.states)
    data.update(samples.per_sample())
    coords: dict[str, Any] = {
        "time": problem.times,
        "species": list(problem.network.species),
        "parameter": list(problem.network.parameters),
    }
    if samples.states is not None:
        coords["sample"] = np.arange(samples.states.shape[0])
    return xr.Dataset(
        data,
        coords=coords,
        attrs={
            "estimator": estimator,
            "options": json.dumps({k: _jsonable(v) for k, v in options.items()}),
            "params": json.dumps(
                dict(zip(problem.network.parameters, problem.params.tolist(), strict=True))
            ),
            "seed": str(getattr(samples, "seed", "")),
            "backend": getattr(samples, "engine_name", ""),
            "ssagrad_version": __version__,
        },
    )


def _jsonable(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return value if isinstance(value, int | float | str | bool | None) else repr(value)


@dataclass(frozen=True)
class EnsembleLoss:
    """A loss ``objective(E[features(X)])`` of ensemble statistics.

    Parameters
    ----------
    features : callable
        Float states ``(..., S)`` to features ``(..., F)``, e.g. ``lambda x: x`` for means
        or ``lambda x: np.concatenate([x, x**2], -1)`` for first and second moments.
    objective : callable
        Feature means ``(T, F)`` to a float.
    objective_grad : callable, optional
        Gradient of ``objective`` ``(T, F) -> (T, F)``; default: central differences.

    Examples
    --------
    >>> import numpy as np, ssagrad
    >>> target = np.array([[5.0]])
    >>> loss = EnsembleLoss(lambda x: x, lambda m: float(((m - target) ** 2).sum()))
    >>> r = ssagrad.value_and_grad(ssagrad.models.birth_death(), times=[1.0], loss=loss,
    ...                            estimator="exact")
    >>> r.parameters, r.grad.shape
    (('k', 'g'), (2,))
    """

    features: FeatureMap
    objective: Callable[[np.ndarray], float]
    objective_grad: Callable[[np.ndarray], np.ndarray] | None = None

    def outer_gradient(self, means: np.ndarray) -> np.ndarray:
        """``d objective / d means`` at ``means``."""
        if self.objective_grad is not None:
            return np.asarray(self.objective_grad(means), dtype=np.float64)
        grad = np.zeros_like(means)
        flat = means.reshape(-1)
        for i in range(flat.size):
            step = 1e-6 * max(1.0, abs(flat[i]))
            up, down = flat.copy(), flat.copy()
            up[i] += step
            down[i] -= step
            grad.reshape(-1)[i] = (
                self.objective(up.reshape(means.shape)) - self.objective(down.reshape(means.shape))
            ) / (2 * step)
        return grad


@dataclass(frozen=True)
class LossGradient:
    """Value and gradient of a scalar ensemble loss.

    Attributes
    ----------
    value : float
    grad : (P,) gradient with respect to the parameters (natural scale)
    se : (P,) standard error, or None
    parameters : parameter names in gradient order
    """

    value: float
    grad: np.ndarray
    se: np.ndarray | None
    parameters: tuple[str, ...]

    def as_dict(self) -> dict[str, float]:
        """The gradient as ``{parameter: value}``."""
        return dict(zip(self.parameters, self.grad.tolist(), strict=True))


def value_and_grad(
    net: Network | Model,
    params: Mapping[str, float] | Sequence[float] | None = None,
    x0: Mapping[str, int] | None = None,
    times: Sequence[float] | np.ndarray | None = None,
    loss: EnsembleLoss | Callable[[np.ndarray], float] | None = None,
    estimator: str = "score",
    n: int = 1000,
    seed: int | None = None,
    backend: str | None = None,
    threads: int | None = None,
    *,
    client: Any = None,
    chunk: int | None = None,
    **options: Any,
) -> LossGradient:
    """Value and gradient of a scalar loss of the simulated ensemble.

    Parameters
    ----------
    loss : EnsembleLoss or callable
        An :class:`EnsembleLoss` works with every estimator (chain rule through the
        feature means). A plain callable ``loss(states)`` on the ``(N, T, S)`` ensemble
        is a black box: only ``smoothing``, ``fd`` and ``cfd`` can differentiate it.
    Other parameters
        As in :func:`gradient`.

    Returns
    -------
    LossGradient
    """
    if loss is None:
        raise ValueError("loss is required: an EnsembleLoss or a callable on the ensemble")
    samples = estimate(
        net,
        params,
        x0,
        times,
        estimator,
        n,
        seed,
        backend,
        threads,
        client=client,
        chunk=chunk,
        **options,
    )
    names = samples.problem.network.parameters
    if not isinstance(loss, EnsembleLoss):
        if not callable(loss):
            raise TypeError(f"loss must be an EnsembleLoss or a callable, got {loss!r}")
        value, grad, se = samples.loss_gradient(loss)
        return LossGradient(float(value), grad, se, names)
    if samples.black_box:
        # Re-simulating estimators differentiate objective(mean features(X)) directly,
        # with their own standard error (trajectory and direction noise).
        def ensemble_loss(states: np.ndarray) -> float:
            means = apply_features(loss.features, states).mean(axis=0)
            return float(loss.objective(means))

        value, grad, se = samples.loss_gradient(ensemble_loss)
        return LossGradient(float(value), grad, se, names)
    result = samples.expectation(loss.features)
    value = float(loss.objective(result.value))
    if result.contributions is None or result.contributions.shape[0] < 4:
        grad = np.einsum("tf,tfp->p", loss.outer_gradient(result.value), result.grad)
        return LossGradient(value, grad, None, names)
    # The plug-in estimate outer(mean) . dmean is biased by O(1/N) (the feature means and
    # the contributions come from the same samples) and its noise includes that of the
    # outer gradient. A delete-a-group jackknife removes the O(1/N) bias and gives a
    # standard error that covers both sources.
    features = apply_features(loss.features, samples.states)
    n = features.shape[0]
    groups = np.array_split(np.arange(n), min(JACKKNIFE_GROUPS, n))
    feature_sum = features.sum(axis=0)
    contribution_sum = result.contributions.sum(axis=0)

    def plug_in(mean_features: np.ndarray, mean_contributions: np.ndarray) -> np.ndarray:
        return np.einsum("tf,tfp->p", loss.outer_gradient(mean_features), mean_contributions)

    full = plug_in(feature_sum / n, contribution_sum / n)
    leave_out = np.array(
        [
            plug_in(
                (feature_sum - features[g].sum(axis=0)) / (n - g.size),
                (contribution_sum - result.contributions[g].sum(axis=0)) / (n - g.size),
            )
            for g in groups
        ]
    )
    k = len(groups)
    grad = k * full - (k - 1) * leave_out.mean(axis=0)
    se = np.sqrt((k - 1) / k * ((leave_out - leave_out.mean(axis=0)) ** 2).sum(axis=0))
    return LossGradient(value, grad, se, names)


__doc__ = __doc__.format(table=estimator_table())
gradient.__doc__ = gradient.__doc__.replace(
    "{names}", ", ".join(f"``{name}``" for name in ESTIMATORS)
)
