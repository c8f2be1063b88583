"""Gradients with respect to a parametrisation's ``u``: smoothing in ``u`` and chaining.

* :func:`smoothing_in_u`: Gaussian smoothing with antithetic directions and common random
  numbers, as :mod:`ssagrad.estimators._smoothing`, but the perturbed points are
  ``u +- sigma v_i`` in the parametrisation's own coordinates (not ``log theta``) and each
  is realised into its own network. The estimate is the gradient of the smoothed loss
  ``E_v[L(u + sigma v)]``, which exists even where ``L`` is piecewise constant in ``u``
  (rounded coefficients, stepped selections) and where rates are exactly zero.
* :class:`ChainedSamples`: another estimator's material on a fixed realised network,
  with every gradient carried to ``u`` by ``d theta / d u``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..estimators._finite_difference import check_positive
from ..estimators._registry import check_max_events
from ..estimators._samples import Expectation, FeatureMap, GradientSamples, identity
from ..estimators._smoothing import SmoothingSamples, draw_directions
from ..seeding import trajectory_seeds
from ..simulate import DEFAULT_MAX_EVENTS
from ._setup import _positive_int


class USmoothingSamples(SmoothingSamples):
    """Smoothing material over ``u``: the gradient terms are ``dL v_i / (2 sigma)``.

    Same attributes as :class:`~ssagrad.estimators._smoothing.SmoothingSamples`; its
    ``expectation`` and ``loss_gradient`` (and their standard errors) apply unchanged.
    """

    def _weights(self) -> np.ndarray:
        return self.directions / (2.0 * self.sigma)


def smoothing_in_u(
    parametrisation: Any,
    u: np.ndarray,
    base: Any,
    engine: Any,
    n: int,
    seed: int,
    sigma: float = 0.05,
    directions: int = 16,
    orthogonal: bool = False,
    max_events: int | None = DEFAULT_MAX_EVENTS,
) -> USmoothingSamples:
    """Smoothing over ``u``: ``1 + 2K`` ensembles with the trajectory seeds of ``seed``.

    Parameters
    ----------
    parametrisation : Parametrisation
    u : (U,) float64
        The point; ``u +- sigma v_i`` are realised as they are (the parametrisation
        clips, rounds and selects).
    base : Problem
        Supplies ``x0`` and ``times``.
    engine : backend
    n, seed : int
        Trajectories per ensemble; the seed fixes trajectories and directions
        (directions from stream 1, as the smoothing estimator).
    sigma, directions, orthogonal :
        As for ``estimator="smoothing"``; ``sigma`` is in units of ``u``.
    max_events : int or None
        Event cap per trajectory (None: the default); a capped trajectory is frozen.

    Returns
    -------
    USmoothingSamples
    """
    sigma = check_positive("sigma", sigma)
    directions = _positive_int(directions, "directions")
    size = u.shape[0]
    if orthogonal and directions % size:
        raise ValueError(f"orthogonal=True needs directions a multiple of {size}, got {directions}")
    max_events = check_max_events(DEFAULT_MAX_EVENTS if max_events is None else max_events)
    seeds = trajectory_seeds(seed, n)
    v = draw_directions(seed, int(directions), size, bool(orthogonal))
    states, events = parametrisation.simulate(u, base, engine, seeds, max_events)
    x_plus = np.empty((v.shape[0],) + states.shape, dtype=np.int64)
    x_minus = np.empty_like(x_plus)
    for k in range(v.shape[0]):
        x_plus[k], up = parametrisation.simulate(u + sigma * v[k], base, engine, seeds, max_events)
        x_minus[k], down = parametrisation.simulate(
            u - sigma * v[k], base, engine, seeds, max_events
        )
        events += up + down
    realised = parametrisation.realise(u).problem(base.x0, base.times)
    block = size if orthogonal else 1
    samples = USmoothingSamples(realised, states, v, sigma, block, x_plus, x_minus)
    samples.events = events
    return samples


class ChainedSamples(GradientSamples):
    """An estimator's material on a realised network, with gradients carried to ``u``.

    Every natural-scale gradient ``g`` (P,) becomes ``g @ J`` with ``J = d theta / d u``
    (P, U); standard errors are recomputed from the chained per-sample contributions
    where the estimator has them, else propagated as ``sqrt(se^2 @ J^2)`` (exact for
    the diagonal Jacobians of rate reparametrisations).
    """

    def __init__(self, inner: GradientSamples, jacobian: np.ndarray) -> None:
        self.inner = inner
        self.jacobian = np.asarray(jacobian, dtype=np.float64)
        self.problem = inner.problem
        self.states = inner.states
        self.black_box = inner.black_box
        tangents = getattr(inner, "tangents", None)
        if tangents is not None:
            self.tangents = tangents @ self.jacobian
        for name in ("events", "seed", "engine_name", "solution"):
            if hasattr(inner, name):
                setattr(self, name, getattr(inner, name))

    def _se(self, se: np.ndarray | None) -> np.ndarray | None:
        return None if se is None else np.sqrt(se**2 @ self.jacobian**2)

    def expectation(self, phi: FeatureMap = identity) -> Expectation:
        """The inner estimator's expectation with gradients in ``u``."""
        e = self.inner.expectation(phi)
        if e.contributions is not None:
            return Expectation.from_contributions(e.value, e.contributions @ self.jacobian)
        return Expectation(e.value, e.grad @ self.jacobian, self._se(e.se))

    def loss_gradient(self, loss):
        """The inner estimator's black-box gradient, in ``u``."""
        value, grad, se = self.inner.loss_gradient(loss)
        return value, np.asarray(grad) @ self.jacobian, self._se(se)

    def __getattr__(self, name: str):
        # Estimator-specific extras (e.g. the exact estimator's expected tallies).
        if name == "inner":
            raise AttributeError(name)
        return getattr(self.inner, name)
