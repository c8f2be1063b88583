"""Losses between a simulated ensemble and observed data.

Every built-in loss is a function of ensemble expectations ``m = E[phi(X(t))]`` of a few
per-state features, compared per observation time and observed species:

* ``"rmse"`` (:class:`RMSE`, Kreikemeyer et al.): root mean squared difference of the
  mean trajectories, ``sqrt(mean_{t,s} (E[X_s(t)] - xbar_s(t))^2)``.
* ``"moments"`` (:class:`Moments`): mean and variance per time and species, each as a
  relative error so that species of different magnitude weigh alike,
  ``mean_{t,s} [((mu - xbar)/c_mu)^2 + ((sigma^2 - s^2)/c_var)^2]`` with
  ``c_mu = max(|xbar|, 1)`` and ``c_var = max(s^2, 1)`` (data mean ``xbar``, data
  variance ``s^2``).
* ``"w1"`` (:class:`W1`): the 1-Wasserstein distance between simulated and observed
  count distributions, summed over times and species; on integer counts it is the L1
  distance between distribution functions, ``sum_k |F_sim(k) - F_data(k)|``.

Because ``m`` is an expectation, every unbiased estimator differentiates these losses
through :meth:`~ssagrad.estimators.GradientSamples.expectation`: the gradient is
``sum dL/dm * dm/dtheta``, computed as the gradient of one scalar per-state "surrogate"
feature ``psi(x) = sum_f dL/dm_f phi_f(x)`` (for W1 the features are the indicators
``1{x <= k}``). Straight-through (``gumbel``) tangents vanish on indicators, so for
``gumbel`` W1 is differentiated in its sorted-sample form
``int_0^1 |Q_sim(u) - Q_data(u)| du`` (stochastix): each simulated cell moves along its
tangent with weight ``+-1`` by the sign of its difference to the data quantile it is
matched with.

A user's :class:`~ssagrad.EnsembleLoss` (features + objective of their means) works with
every estimator the same way; a plain callable ``loss(states)`` of the whole ensemble is
a black box that only ``smoothing``, ``fd`` and ``cfd`` can differentiate.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..data import ObservedData
from ..estimators import EnsembleLoss
from ._bound import BoundLoss, EnsembleBound, MomentsBound, RMSEBound, W1Bound

__all__ = ["LOSSES", "RMSE", "BlackBox", "Loss", "Moments", "W1", "resolve_loss"]


class Loss(ABC):
    """A loss specification; :meth:`bind` ties it to observed data."""

    name: str = ""
    #: True for losses of expectations (every estimator can differentiate them).
    expectation_based = True

    @abstractmethod
    def bind(self, data: ObservedData, observed: np.ndarray) -> BoundLoss:
        """The loss for ``data``; ``observed`` indexes the data's species in the network."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class RMSE(Loss):
    """Root mean squared error of the mean trajectories (Kreikemeyer et al.).

    Examples
    --------
    >>> from ssagrad.fitting import losses
    >>> losses.resolve_loss("rmse")
    RMSE()
    """

    name = "rmse"

    def bind(self, data: ObservedData, observed: np.ndarray) -> BoundLoss:
        return RMSEBound(data, observed)


class Moments(Loss):
    """Relative errors of the mean and variance per time and species (see module doc)."""

    name = "moments"

    def bind(self, data: ObservedData, observed: np.ndarray) -> BoundLoss:
        return MomentsBound(data, observed)


class W1(Loss):
    """1-Wasserstein distance of the count distributions per time and species, summed."""

    name = "w1"

    def bind(self, data: ObservedData, observed: np.ndarray) -> BoundLoss:
        return W1Bound(data, observed)


@dataclass(frozen=True)
class _UserEnsemble(Loss):
    loss: EnsembleLoss
    name = "ensemble"

    def bind(self, data: ObservedData, observed: np.ndarray) -> BoundLoss:
        return EnsembleBound(data, observed, self.loss)


@dataclass(frozen=True)
class BlackBox(Loss):
    """A callable ``loss(states)`` of the whole ``(N, T, S)`` ensemble at the data times."""

    function: Callable[[np.ndarray], float]
    name = "callable"
    expectation_based = False

    def bind(self, data: ObservedData, observed: np.ndarray) -> BoundLoss:
        raise TypeError("a black-box loss has no tallies; it is evaluated on whole ensembles")


#: Built-in losses by name.
LOSSES: dict[str, type[Loss]] = {"rmse": RMSE, "moments": Moments, "w1": W1}


def resolve_loss(loss: str | Loss | EnsembleLoss | Callable[[np.ndarray], float]) -> Loss:
    """A :class:`Loss` from a name, a Loss, an :class:`~ssagrad.EnsembleLoss` or a callable.

    Raises
    ------
    ValueError
        Unknown loss name (the message lists the built-in ones).
    """
    if isinstance(loss, Loss):
        return loss
    if isinstance(loss, str):
        if loss.lower() not in LOSSES:
            raise ValueError(
                f"unknown loss {loss!r}; built-in losses: {', '.join(LOSSES)} (or pass an "
                f"EnsembleLoss or a callable of the ensemble)"
            )
        return LOSSES[loss.lower()]()
    if isinstance(loss, EnsembleLoss):
        return _UserEnsemble(loss)
    if callable(loss):
        return BlackBox(loss)
    raise TypeError(f"loss must be a name, a Loss, an EnsembleLoss or a callable, got {loss!r}")
