"""Finite-difference estimators: common random numbers (``fd``) and Anderson coupling (``cfd``).

Both estimate ``dE[phi(X(t))]/dtheta_p`` by the central difference
``(phi(X+) - phi(X-)) / (theta+_p - theta-_p)`` per sample, with ``X+`` simulated at
``theta + step_p e_p`` and ``X-`` at ``theta - step_p e_p``. They differ in how the two
paths are tied together:

* ``fd``: common random numbers. ``X+`` and ``X-`` are ordinary direct-method ensembles
  that reuse the same trajectory seeds (and so the same uniforms). The paths agree until
  a reaction choice first differs, then drift apart.
* ``cfd``: Anderson's (2012) coupled finite differences. The pair is simulated jointly,
  each reaction split into a shared channel ``min(a_j(X+), a_j(X-))`` that moves both
  paths and two one-sided remainders; the paths keep being pulled together, so the
  variance of the difference stays ``O(h)`` over long horizons instead of approaching
  that of independent paths.

A finite difference is biased by ``O(step^2)`` (central) for any coupling. Steps are
relative by default: ``step_p = h theta_p``. A parameter at zero gets the absolute
step ``h`` instead, and because rates cannot be negative its lower point stays at zero:
a forward difference ``(phi(X(h)) - phi(X(0))) / h`` (bias ``O(h)``). An absolute step
larger than ``theta_p`` is clipped the same way. The divisor is always the actual
width ``theta+_p - theta-_p``.

Both also differentiate a black-box loss of the whole ensemble
(:meth:`FiniteDifferenceSamples.loss_gradient`), by the central difference of the loss
evaluated on the ``X+`` and ``X-`` ensembles.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from typing import Any

import numpy as np

from ..seeding import trajectory_seeds
from ..simulate import DEFAULT_MAX_EVENTS
from ._problem import Problem
from ._registry import Estimator, raise_if_stuck
from ._samples import Expectation, FeatureMap, GradientSamples, apply_features, identity

#: Groups of the delete-a-group jackknife behind black-box loss standard errors.
JACKKNIFE_GROUPS = 20


def check_positive(name: str, value: Any) -> float:
    """``value`` as a finite float > 0, or a ``ValueError`` naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be > 0 and finite, got {value!r}")
    if not math.isfinite(float(value)) or value <= 0:
        raise ValueError(f"{name} must be > 0 and finite, got {value!r}")
    return float(value)


def simulate_at(
    problem: Problem, engine: Any, params: np.ndarray, seeds: np.ndarray, max_events: int
) -> tuple[np.ndarray, int]:
    """Direct-method states (N, T, S) at ``params`` with trajectory ``seeds``, and the
    number of reactions fired in all of them."""
    states, events, status = engine.simulate(
        problem.arrays,
        problem.theta_with(params),
        problem.x0,
        problem.times,
        seeds,
        "direct",
        max_events,
        1.0,
    )
    raise_if_stuck(status, max_events)
    return states, int(events.sum())


def jackknife_se(statistic: Callable[[np.ndarray], np.ndarray], n: int) -> np.ndarray | None:
    """Delete-a-group jackknife standard error of ``statistic(keep)``.

    ``keep`` is a boolean mask over the ``n`` trajectories; the trajectories are split into
    ``min(JACKKNIFE_GROUPS, n)`` contiguous groups and each is left out in turn. Returns
    None when ``n < 2``.
    """
    groups = min(JACKKNIFE_GROUPS, n)
    if groups < 2:
        return None
    label = np.arange(n) * groups // n
    estimates = np.array([statistic(label != g) for g in range(groups)])
    spread = estimates - estimates.mean(axis=0)
    return np.sqrt((groups - 1) / groups * (spread**2).sum(axis=0))


def perturbations(params: np.ndarray, h: float, relative: bool) -> tuple[np.ndarray, np.ndarray]:
    """Upper and lower parameter vectors, (P, P): row ``p`` moves parameter ``p`` only.

    Relative steps ``h theta_p``; a zero parameter (or ``relative=False``) gets the
    absolute step ``h``. Lower points are clipped at zero.
    """
    step = np.where((params > 0) & relative, h * params, h)
    upper = np.tile(params, (params.shape[0], 1))
    lower = upper.copy()
    idx = np.arange(params.shape[0])
    upper[idx, idx] = params + step
    lower[idx, idx] = np.maximum(params - step, 0.0)
    return upper, lower


class FiniteDifferenceSamples(GradientSamples):
    """Primal paths and a perturbed pair of paths per parameter.

    Attributes
    ----------
    problem : Problem
    states : (N, T, S) int64 primal states at ``theta``
    x_plus, x_minus : (N, T, S, P) int64 states at ``theta +/- step_p e_p``
    widths : (P,) float64 ``theta+_p - theta-_p``, the divisor of each difference
    """

    black_box = True

    def __init__(
        self,
        problem: Problem,
        states: np.ndarray,
        x_plus: np.ndarray,
        x_minus: np.ndarray,
        widths: np.ndarray,
    ) -> None:
        self.problem = problem
        self.states = states
        self.x_plus = x_plus
        self.x_minus = x_minus
        self.widths = widths

    def expectation(self, phi: FeatureMap = identity) -> Expectation:
        """``E[phi(X(t))]`` and its finite-difference gradient.

        Parameters
        ----------
        phi : callable
            Float states ``(..., S)`` to features ``(..., F)``.

        Returns
        -------
        Expectation
            ``value`` (T, F) the primal ensemble mean; ``grad`` and ``se`` (T, F, P);
            ``contributions`` (N, T, F, P) ``(phi(X+) - phi(X-)) / width_p``.
        """
        value = apply_features(phi, self.states).mean(axis=0)
        # The time axis stays second to last, so phi may depend on the observation time.
        upper = apply_features(phi, np.moveaxis(self.x_plus, 3, 1))  # (N, P, T, F)
        lower = apply_features(phi, np.moveaxis(self.x_minus, 3, 1))
        contributions = np.moveaxis((upper - lower) / self.widths[:, None, None], 1, 3)
        return Expectation.from_contributions(value, contributions)

    def per_sample(self) -> dict[str, tuple[tuple[str, ...], np.ndarray]]:
        """The perturbed states as ``x_plus`` and ``x_minus`` (sample, time, species, parameter)."""
        dims = ("sample", "time", "species", "parameter")
        return {"x_plus": (dims, self.x_plus), "x_minus": (dims, self.x_minus)}

    def loss_gradient(
        self, loss: Callable[[np.ndarray], float]
    ) -> tuple[float, np.ndarray, np.ndarray | None]:
        """Central difference of a black-box loss of the whole ensemble.

        Parameters
        ----------
        loss : callable
            ``loss(states) -> float`` on an int64 ensemble ``(N, T, S)``.

        Returns
        -------
        value : float
            ``loss`` of the primal ensemble.
        grad : (P,) ndarray
            ``(loss(X+_p) - loss(X-_p)) / width_p``.
        se : (P,) ndarray or None
            Delete-a-group jackknife over 20 groups of trajectories (None if ``n < 2``).
        """
        n_p = self.widths.shape[0]

        def difference(keep: np.ndarray) -> np.ndarray:
            upper = [float(loss(self.x_plus[keep, :, :, p])) for p in range(n_p)]
            lower = [float(loss(self.x_minus[keep, :, :, p])) for p in range(n_p)]
            return (np.array(upper) - np.array(lower)) / self.widths

        everyone = np.ones(self.states.shape[0], dtype=bool)
        grad = difference(everyone)
        se = jackknife_se(difference, self.states.shape[0])
        return float(loss(self.states)), grad, se


def _options(h: Any, relative: Any) -> tuple[float, bool]:
    h = check_positive("h", h)
    if not isinstance(relative, bool | np.bool_):
        raise ValueError(f"relative must be True or False, got {relative!r}")
    if relative and h >= 1:
        raise ValueError(
            f"h must be < 1 with relative=True (the lower point is theta_p (1 - h)), got {h!r}"
        )
    return h, bool(relative)


def run_fd(
    problem: Problem,
    engine: Any,
    n: int,
    seed: int,
    h: float = 0.05,
    relative: bool = True,
    max_events: int = DEFAULT_MAX_EVENTS,
) -> FiniteDifferenceSamples:
    """Central finite differences with common random numbers.

    Simulates ``1 + 2P`` direct-method ensembles that all use the trajectory seeds
    ``trajectory_seeds(seed, n)``: the primal at ``theta`` and, for each parameter ``p``,
    ``theta +/- step_p e_p``.

    Parameters
    ----------
    problem : Problem
    engine : backend
        Must provide ``simulate``.
    n : int
        Number of trajectories per ensemble.
    seed : int
        Trajectory ``i`` uses ``trajectory_seeds(seed, n)[i]`` in every ensemble, so the
        primal ensemble equals ``ssagrad.simulate(..., seed=seed)``.
    h : float
        Step, relative (``step_p = h theta_p``, needs ``h < 1``) or absolute. A zero
        parameter gets the absolute step ``h`` and a forward difference.
    relative : bool
        Relative (default) or absolute steps.
    max_events : int
        Cap on reaction firings per trajectory.

    Returns
    -------
    FiniteDifferenceSamples

    Raises
    ------
    ValueError
        ``h <= 0`` or not finite, ``h >= 1`` with ``relative=True``, or ``max_events < 1``.
    RuntimeError
        If any trajectory hits ``max_events``.

    Examples
    --------
    >>> import ssagrad
    >>> g = ssagrad.gradient(ssagrad.models.birth_death(), times=[1.0], estimator="fd",
    ...                      n=4000, seed=3, h=0.05)
    >>> abs(g.dmean.sel(species="A", parameter="k").item() - (1 - 2.718281828**-1)) < 0.1
    True
    >>> g.x_plus.dims
    ('sample', 'time', 'species', 'parameter')
    """
    h, relative = _options(h, relative)
    seeds = trajectory_seeds(seed, n)
    upper, lower = perturbations(problem.params, h, relative)
    states, events = simulate_at(problem, engine, problem.params, seeds, max_events)
    x_plus = np.empty(states.shape + (problem.n_parameters,), dtype=np.int64)
    x_minus = np.empty_like(x_plus)
    for p in range(problem.n_parameters):
        x_plus[..., p], up = simulate_at(problem, engine, upper[p], seeds, max_events)
        x_minus[..., p], down = simulate_at(problem, engine, lower[p], seeds, max_events)
        events += up + down
    widths = np.diagonal(upper - lower).copy()
    samples = FiniteDifferenceSamples(problem, states, x_plus, x_minus, widths)
    samples.events = events
    return samples


def run_cfd(
    problem: Problem,
    engine: Any,
    n: int,
    seed: int,
    h: float = 0.05,
    relative: bool = True,
    max_events: int = DEFAULT_MAX_EVENTS,
) -> FiniteDifferenceSamples:
    """Anderson's coupled finite differences.

    Simulates the primal ensemble at ``theta`` and, for each parameter ``p``, ``n``
    coupled pairs at ``theta +/- step_p e_p`` (kernel ``coupled``). Pair ``p`` of
    trajectory ``i`` draws from a stream derived from ``trajectory_seeds(seed, n)[i]``
    and ``p``.

    Parameters
    ----------
    problem : Problem
    engine : backend
        Must provide ``simulate`` and ``coupled``.
    n : int
        Number of trajectories (pairs per parameter).
    seed : int
        Fixes the result, independently of thread count.
    h, relative, max_events :
        As in :func:`run_fd`.

    Returns
    -------
    FiniteDifferenceSamples

    Raises
    ------
    ValueError
        ``h <= 0`` or not finite, ``h >= 1`` with ``relative=True``, or ``max_events < 1``.
    RuntimeError
        If any trajectory or pair hits ``max_events``.

    Examples
    --------
    >>> import ssagrad
    >>> g = ssagrad.gradient(ssagrad.models.birth_death(), times=[1.0], estimator="cfd",
    ...                      n=4000, seed=3, h=0.05)
    >>> abs(g.dmean.sel(species="A", parameter="k").item() - (1 - 2.718281828**-1)) < 0.05
    True
    """
    h, relative = _options(h, relative)
    seeds = trajectory_seeds(seed, n)
    upper, lower = perturbations(problem.params, h, relative)
    states, events = simulate_at(problem, engine, problem.params, seeds, max_events)
    theta_plus = np.ascontiguousarray(np.stack([problem.theta_with(u) for u in upper]))
    theta_minus = np.ascontiguousarray(np.stack([problem.theta_with(m) for m in lower]))
    x_plus, x_minus, coupled_events, status = engine.coupled(
        problem.arrays, theta_plus, theta_minus, problem.x0, problem.times, seeds, max_events
    )
    raise_if_stuck(status, max_events, "coupled trajectories")
    widths = np.diagonal(upper - lower).copy()
    samples = FiniteDifferenceSamples(problem, states, x_plus, x_minus, widths)
    samples.events = events + int(coupled_events.sum())
    return samples


class FiniteDifferences(Estimator):
    """Central finite differences with common random numbers (see :func:`run_fd`)."""

    name = "fd"
    black_box = True
    summary = "central finite differences with common random numbers"
    capability = "direct"
    run = staticmethod(run_fd)


class CoupledFiniteDifferences(Estimator):
    """Anderson's coupled finite differences (see :func:`run_cfd`)."""

    name = "cfd"
    black_box = True
    summary = "Anderson's coupled finite differences"
    capability = "cfd"
    run = staticmethod(run_cfd)
