"""Gaussian smoothing in log-parameter space with antithetic pairs and common random numbers.

The gradient of the smoothed loss ``L_sigma(w) = E_u[L(theta e^{sigma u})]`` with
``w = log theta`` and ``u ~ N(0, I_P)`` is estimated with ``K`` antithetic directions:

    g_w = (1/K) sum_i (L(theta e^{sigma u_i}) - L(theta e^{-sigma u_i})) / (2 sigma) u_i,

and converted to the natural scale, ``dL/dtheta_p = g_w,p / theta_p``. Working in
``log theta`` puts all parameters on a common scale, so one ``sigma`` fits all (a
relative perturbation of about ``sigma``). Every perturbed ensemble reuses the same
``n`` trajectory seeds (common random numbers), and the directions come from their own
stream derived from the seed. The antithetic pair cancels the even part of ``L`` along
``u_i``; what remains is the smoothing bias, ``O(sigma^2)``, and the direction noise:
with Gaussian directions the spread of ``(u_i . grad) u_i`` around ``grad`` does not
shrink with ``n``, only with ``K``. ``orthogonal=True`` removes it for the linear part:
directions come in blocks of ``P`` orthogonal vectors of length ``sqrt(P)`` (rows of a
Haar-random rotation), for which ``sum_block (u . grad) u = P grad`` exactly. Each
direction is then uniform on the sphere of radius ``sqrt(P)`` (spherical rather than
Gaussian smoothing; same ``O(sigma^2)`` bias order).

For ``expectation(phi)``, ``L`` is the ensemble mean of ``phi``; any black-box function
of the whole ensemble works through :meth:`SmoothingSamples.loss_gradient`. Parameters
at zero have no log scale and are rejected.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from typing import Any

import numpy as np

from ..seeding import trajectory_seeds
from ..simulate import DEFAULT_MAX_EVENTS
from ._finite_difference import check_positive, jackknife_se, simulate_at
from ._problem import Problem
from ._registry import Estimator
from ._samples import Expectation, FeatureMap, GradientSamples, apply_features, identity

#: Seed stream of the direction draws (trajectory seeds use stream 0).
DIRECTION_STREAM = 1


class SmoothingSamples(GradientSamples):
    """Primal paths and an antithetic pair of perturbed ensembles per direction.

    Attributes
    ----------
    problem : Problem
    states : (N, T, S) int64 primal states at ``theta``
    directions : (K, P) float64 the directions ``u_i``
    sigma : float
    block : int
        Directions per independent unit: ``P`` for orthogonal blocks, else 1.
    x_plus, x_minus : (K, N, T, S) int64 states at ``theta e^{+/- sigma u_i}``
    """

    black_box = True

    def __init__(
        self,
        problem: Problem,
        states: np.ndarray,
        directions: np.ndarray,
        sigma: float,
        block: int,
        x_plus: np.ndarray,
        x_minus: np.ndarray,
    ) -> None:
        self.problem = problem
        self.states = states
        self.directions = directions
        self.sigma = sigma
        self.block = block
        self.x_plus = x_plus
        self.x_minus = x_minus

    def _weights(self) -> np.ndarray:
        """(K, P) ``u_i / (2 sigma theta)``: turns a difference of ``L`` into a gradient term."""
        return self.directions / (2.0 * self.sigma * self.problem.params)

    def _direction_variance(self, per_direction: np.ndarray) -> np.ndarray:
        """Variance of the mean of ``per_direction`` (K, ...) over independent direction units.

        Orthogonal blocks are the units (their members are dependent); with a single unit
        the direction noise cannot be estimated and is left out.
        """
        units = per_direction.reshape((-1, self.block) + per_direction.shape[1:]).mean(axis=1)
        if units.shape[0] < 2:
            return np.zeros(per_direction.shape[1:])
        return units.var(axis=0, ddof=1) / units.shape[0]

    def expectation(self, phi: FeatureMap = identity) -> Expectation:
        """``E[phi(X(t))]`` and its smoothed gradient.

        Trajectories and directions form a crossed design: the term of trajectory ``n``
        and direction ``i`` is ``c_ni = (phi(X+_ni) - phi(X-_ni)) u_i / (2 sigma theta)``.
        The standard error adds both sources of noise,
        ``se^2 = var_n(mean_i c_ni) / N + var_i(mean_n c_ni) / K``, a slightly
        conservative estimate of the variance of the double mean (with orthogonal
        blocks, the second term is taken over block means).

        Parameters
        ----------
        phi : callable
            Float states ``(..., S)`` to features ``(..., F)``.

        Returns
        -------
        Expectation
            ``value`` (T, F) the primal ensemble mean; ``grad`` and ``se`` (T, F, P);
            ``contributions`` (N, T, F, P) the per-trajectory terms averaged over the
            directions (their spread alone ignores the direction noise).
        """
        value = apply_features(phi, self.states).mean(axis=0)
        diff = apply_features(phi, self.x_plus) - apply_features(phi, self.x_minus)  # K,N,T,F
        weights = self._weights()
        n_dirs, n = diff.shape[:2]
        per_trajectory = np.einsum("kntf,kp->ntfp", diff, weights) / n_dirs
        per_direction = np.einsum("ktf,kp->ktfp", diff.mean(axis=1), weights)
        grad = per_trajectory.mean(axis=0)
        if n < 2:
            return Expectation(value, grad, np.full_like(grad, np.nan), per_trajectory)
        variance = per_trajectory.var(axis=0, ddof=1) / n
        se = np.sqrt(variance + self._direction_variance(per_direction))
        return Expectation(value, grad, se, per_trajectory)

    def per_sample(self) -> dict[str, tuple[tuple[str, ...], np.ndarray]]:
        """Per-trajectory terms of ``dmean``, averaged over directions, as ``contribution``."""
        contributions = self.expectation(identity).contributions
        return {"contribution": (("sample", "time", "species", "parameter"), contributions)}

    def loss_gradient(
        self, loss: Callable[[np.ndarray], float]
    ) -> tuple[float, np.ndarray, np.ndarray | None]:
        """Smoothed gradient of a black-box loss of the whole ensemble.

        Parameters
        ----------
        loss : callable
            ``loss(states) -> float`` on an int64 ensemble ``(N, T, S)``.

        Returns
        -------
        value : float
            ``loss`` of the primal ensemble at ``theta``.
        grad : (P,) ndarray
            The smoothed natural-scale gradient.
        se : (P,) ndarray or None
            ``sqrt(jack^2 + var_i(g_i) / K)``: a delete-a-group jackknife over 20 groups
            of trajectories (trajectory noise) plus the spread of the ``K`` direction
            terms ``g_i`` (direction noise; over block means with orthogonal blocks).
            None if ``n < 2``.
        """
        weights = self._weights()
        n_dirs, n = self.x_plus.shape[:2]

        def terms(keep: np.ndarray) -> np.ndarray:
            diffs = np.array(
                [
                    float(loss(self.x_plus[k, keep])) - float(loss(self.x_minus[k, keep]))
                    for k in range(n_dirs)
                ]
            )
            return diffs[:, None] * weights

        per_direction = terms(np.ones(n, dtype=bool))
        grad = per_direction.mean(axis=0)
        jack = jackknife_se(lambda keep: terms(keep).mean(axis=0), n)
        se = None if jack is None else np.sqrt(jack**2 + self._direction_variance(per_direction))
        return float(loss(self.states)), grad, se


def draw_directions(seed: int, n_dirs: int, n_params: int, orthogonal: bool) -> np.ndarray:
    """The (K, P) directions of ``seed`` (stream :data:`DIRECTION_STREAM`).

    Standard normal rows, or ``K / P`` blocks of orthogonal rows of length ``sqrt(P)``.
    """
    stream = trajectory_seeds(seed, 1, stream=DIRECTION_STREAM)[0]
    rng = np.random.default_rng(int(stream))
    if not orthogonal:
        return rng.standard_normal((n_dirs, n_params))
    blocks = []
    for _ in range(n_dirs // n_params):
        q, r = np.linalg.qr(rng.standard_normal((n_params, n_params)))
        blocks.append(np.sqrt(n_params) * (q * np.sign(np.diag(r))).T)
    return np.concatenate(blocks)


def run(
    problem: Problem,
    engine: Any,
    n: int,
    seed: int,
    sigma: float = 0.05,
    directions: int = 16,
    orthogonal: bool = False,
    max_events: int = DEFAULT_MAX_EVENTS,
) -> SmoothingSamples:
    """Gaussian smoothing with antithetic directions and common random numbers.

    Simulates ``1 + 2K`` direct-method ensembles, all with the trajectory seeds
    ``trajectory_seeds(seed, n)``: the primal at ``theta`` and ``theta e^{+/- sigma u_i}``
    for ``K`` directions ``u_i ~ N(0, I_P)``.

    Parameters
    ----------
    problem : Problem
    engine : backend
        Must provide ``simulate``.
    n : int
        Number of trajectories per ensemble.
    seed : int
        Fixes trajectories and directions, independently of thread count.
    sigma : float
        Smoothing scale on ``log theta`` (about a relative perturbation).
    directions : int
        Number ``K`` of antithetic direction pairs.
    orthogonal : bool
        Draw the directions in orthogonal blocks of ``P`` (``directions`` must then be a
        multiple of ``P``): no direction noise from the linear part of the loss.
    max_events : int
        Cap on reaction firings per trajectory.

    Returns
    -------
    SmoothingSamples

    Raises
    ------
    ValueError
        ``sigma <= 0`` or not finite, ``directions < 1`` (or not a multiple of ``P`` with
        ``orthogonal=True``), ``max_events < 1``, or a parameter at zero (no log scale).
    RuntimeError
        If any trajectory hits ``max_events``.

    Examples
    --------
    >>> import ssagrad
    >>> g = ssagrad.gradient(ssagrad.models.birth_death(), times=[1.0], estimator="smoothing",
    ...                      n=2000, seed=3, sigma=0.05, directions=16)
    >>> abs(g.dmean.sel(species="A", parameter="k").item() - (1 - 2.718281828**-1)) < 0.2
    True
    """
    sigma = check_positive("sigma", sigma)
    if (
        isinstance(directions, bool)
        or not isinstance(directions, numbers.Integral)
        or directions < 1
    ):
        raise ValueError(f"directions must be an integer >= 1, got {directions!r}")
    if not isinstance(orthogonal, bool | np.bool_):
        raise ValueError(f"orthogonal must be True or False, got {orthogonal!r}")
    n_p = problem.n_parameters
    if orthogonal and directions % n_p:
        raise ValueError(
            f"directions must be a multiple of the number of parameters ({n_p}) with "
            f"orthogonal=True, got {directions}"
        )
    zero = [p for p, v in zip(problem.network.parameters, problem.params, strict=True) if v <= 0]
    if zero:
        raise ValueError(
            f"smoothing perturbs parameters on the log scale; parameter {zero[0]!r} is 0 "
            f"(use estimator='fd' or 'cfd', which take a forward step there)"
        )
    seeds = trajectory_seeds(seed, n)
    u = draw_directions(seed, int(directions), n_p, bool(orthogonal))
    states, events = simulate_at(problem, engine, problem.params, seeds, max_events)
    shape = (u.shape[0],) + states.shape
    x_plus = np.empty(shape, dtype=np.int64)
    x_minus = np.empty(shape, dtype=np.int64)
    for k in range(u.shape[0]):
        x_plus[k], up = simulate_at(
            problem, engine, problem.params * np.exp(sigma * u[k]), seeds, max_events
        )
        x_minus[k], down = simulate_at(
            problem, engine, problem.params * np.exp(-sigma * u[k]), seeds, max_events
        )
        events += up + down
    block = n_p if orthogonal else 1
    samples = SmoothingSamples(problem, states, u, sigma, block, x_plus, x_minus)
    samples.events = events
    return samples


class Smoothing(Estimator):
    """Gaussian smoothing with common random numbers (see :func:`run`)."""

    name = "smoothing"
    black_box = True
    summary = "Gaussian smoothing with common random numbers"
    capability = "direct"
    run = staticmethod(run)
