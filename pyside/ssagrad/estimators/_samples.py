"""The common result of every estimator: per-sample material that differentiates expectations.

An estimator run returns a :class:`GradientSamples`. Its :meth:`~GradientSamples.expectation`
turns any per-state feature map ``phi`` (e.g. ``x``, ``x**2``, ``x <= k``) into the
ensemble value ``E[phi(X(t))]`` and its gradient with respect to every parameter, with
per-sample contributions where the estimator has them. :func:`ssagrad.gradient` uses the
identity feature map; losses on other ensemble statistics use the same machinery.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ._problem import Problem

FeatureMap = Callable[[np.ndarray], np.ndarray]
"""Maps float64 states ``(..., T, S)`` to features ``(..., T, F)``.

Every estimator calls a feature map with the observation-time axis second to last (the
``T`` states of one trajectory, or of one perturbed or alternative copy of it), so a map
may depend on the observation time through that axis; most are elementwise over all
leading axes.
"""


def identity(states: np.ndarray) -> np.ndarray:
    """The identity feature map: the species counts themselves."""
    return states


def apply_features(phi: FeatureMap, states: np.ndarray) -> np.ndarray:
    """``phi`` on float states ``(..., S)``, checked to return ``(..., F)``."""
    out = np.asarray(phi(np.asarray(states, dtype=np.float64)), dtype=np.float64)
    if out.shape[:-1] != states.shape[:-1]:
        raise ValueError(
            f"feature map must keep the leading axes {states.shape[:-1]}, returned {out.shape}"
        )
    return out


@dataclass(frozen=True)
class Expectation:
    """Value and gradient of ``E[phi(X(t))]``.

    Attributes
    ----------
    value : (T, F) ensemble mean of the features
    grad : (T, F, P) gradient estimate with respect to each parameter
    se : (T, F, P) standard error of ``grad`` (given, or computed from the contributions
        when first asked for), or None where the estimator has neither
    contributions : (N, T, F, P) per-sample gradient contributions whose mean is ``grad``,
        or None
    """

    value: np.ndarray
    grad: np.ndarray
    given_se: np.ndarray | None = None
    contributions: np.ndarray | None = None

    @property
    def se(self) -> np.ndarray | None:
        """Standard error of ``grad``: the given one, or that of the contributions' mean."""
        if self.given_se is not None or self.contributions is None:
            return self.given_se
        cached = self.__dict__.get("_se")
        if cached is None:
            n = self.contributions.shape[0]
            if n > 1:
                cached = self.contributions.std(axis=0, ddof=1) / np.sqrt(n)
            else:
                cached = np.full_like(self.grad, np.nan)
            object.__setattr__(self, "_se", cached)
        return cached

    @classmethod
    def from_contributions(cls, value: np.ndarray, contributions: np.ndarray) -> Expectation:
        """The mean over the sample axis of ``contributions`` (its se computed on demand)."""
        return cls(value, contributions.mean(axis=0), None, contributions)


class GradientSamples(ABC):
    """What one estimator run leaves behind.

    Attributes
    ----------
    problem : Problem
    states : (N, T, S) int64 primal trajectories at the observation times
    events : int or None
        SSA events the run simulated (kernel steps of every ensemble it ran; None where
        nothing was simulated, e.g. the exact estimator).
    """

    problem: Problem
    states: np.ndarray
    events: int | None = None
    #: True for estimators that re-simulate perturbed ensembles and so differentiate any
    #: function of the ensemble through :meth:`loss_gradient`.
    black_box: bool = False

    @abstractmethod
    def expectation(self, phi: FeatureMap = identity) -> Expectation:
        """Estimate ``E[phi(X(t))]`` and its gradient for every parameter."""

    def per_sample(self) -> dict[str, tuple[tuple[str, ...], np.ndarray]]:
        """Estimator-specific per-sample variables for the result dataset.

        Keys are variable names, values ``(dims, array)`` with dims drawn from
        ``sample, time, species, parameter``.
        """
        return {}

    def loss_gradient(
        self, loss: Callable[[np.ndarray], float]
    ) -> tuple[float, np.ndarray, np.ndarray | None]:
        """Value, gradient (P,) and standard error of a black-box ensemble loss.

        Only estimators that re-simulate perturbed ensembles (``smoothing``, ``fd``,
        ``cfd``) can differentiate an arbitrary function of the whole ensemble.
        """
        raise TypeError(
            f"the {type(self).__name__} estimator cannot differentiate a black-box loss; "
            f"use an EnsembleLoss (features + objective) or estimator='smoothing', 'fd' "
            f"or 'cfd'"
        )
