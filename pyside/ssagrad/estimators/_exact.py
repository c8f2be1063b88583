"""The ``exact`` estimator: gradients from the finite state projection (small systems)."""

from __future__ import annotations

from typing import Any

import numpy as np
import xarray as xr

from ..exact import exact
from ._problem import Problem
from ._registry import Estimator
from ._samples import Expectation, FeatureMap, GradientSamples, apply_features, identity


class ExactSamples(GradientSamples):
    """The exact distribution and its sensitivities; no samples, no standard error."""

    def __init__(self, problem: Problem, solution: xr.Dataset) -> None:
        self.problem = problem
        self.solution = solution
        self.states = None

    def expectation(self, phi: FeatureMap = identity) -> Expectation:
        """``E[phi(X(t))]`` and its gradient, summed over the projected state space.

        ``phi`` sees the states as ``(n_states, T, S)`` (every state at every observation
        time), so it may depend on the time like any feature map.
        """
        states = self.solution["states"].values.astype(np.float64)
        n_times = self.solution.sizes["time"]
        stacked = np.broadcast_to(states[:, None, :], (states.shape[0], n_times, states.shape[1]))
        features = apply_features(phi, stacked)  # (n_states, T, F)
        value = np.einsum("tn,ntf->tf", self.solution["p"].values, features)
        grad = np.einsum("tnp,ntf->tfp", self.solution["dp"].values, features)
        return Expectation(value, grad, np.zeros_like(grad), None)

    def per_sample(self) -> dict[str, tuple[tuple[str, ...], np.ndarray]]:
        return {"leak": (("time",), self.solution["leak"].values)}

    def loss_gradient(self, loss: Any) -> tuple[float, np.ndarray, np.ndarray | None]:
        """Not available: a black-box ensemble loss needs samples."""
        raise TypeError(
            "the exact estimator has no samples to pass to a black-box loss; use an "
            "EnsembleLoss (features + objective)"
        )


def run(
    problem: Problem,
    engine: Any,
    n: int,
    seed: int,
    bounds: dict[str, int] | None = None,
    max_states: int | None = None,
    tol: float = 1e-8,
) -> ExactSamples:
    """Solve the master equation with sensitivities (``n``, ``seed``, ``engine`` unused).

    Options ``bounds``, ``max_states`` and ``tol`` are passed to :func:`ssagrad.exact`;
    a system with more reachable states than ``max_states`` is rejected there.
    """
    net = problem.network
    extra = {} if max_states is None else {"max_states": max_states}
    solution = exact(
        net,
        problem.params,
        dict(zip(net.species, problem.x0.tolist(), strict=True)),
        problem.times,
        bounds=bounds,
        tol=tol,
        **extra,
    )
    return ExactSamples(problem, solution)


class Exact(Estimator):
    """The finite state projection of the master equation (see :func:`run`)."""

    name = "exact"
    summary = "finite state projection of the master equation (small systems)"
    benchmark = False
    per_sample_arrays = ""
    run = staticmethod(run)
