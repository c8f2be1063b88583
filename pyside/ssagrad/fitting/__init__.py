"""Fitting networks to observed counts: :func:`ssagrad.fit` and its building blocks.

* :mod:`~ssagrad.fitting.losses`: ``"w1"``, ``"moments"``, ``"rmse"`` and user losses;
* :mod:`~ssagrad.fitting.optimizers`: :func:`adam`, :func:`sgd` and the transformations
  they chain;
* :mod:`~ssagrad.fitting.reparam`: ``"log"``, ``"kreikemeyer"``, ``"identity"``;
* :mod:`~ssagrad.fitting.parametrisation`: :class:`Parametrisation`, real parameters
  mapped to a network and its rates (structure learning);
* :class:`FitResult` (with :meth:`~FitResult.sloppiness`, :meth:`~FitResult.plot`,
  :meth:`~FitResult.save` / :meth:`~FitResult.load`) and :class:`FitState` (what a
  callback receives).
"""

from ._fit import fit
from ._run import FitState
from ._sloppiness import Sloppiness
from .losses import RMSE, W1, Loss, Moments
from .optimizers import Optimizer, adam, sgd
from .parametrisation import Parametrisation, Realisation
from .reparam import Identity, Kreikemeyer, Log, Reparametrisation
from .result import FitResult, StartResult

__all__ = [
    "RMSE",
    "W1",
    "FitResult",
    "FitState",
    "Identity",
    "Kreikemeyer",
    "Log",
    "Loss",
    "Moments",
    "Optimizer",
    "Parametrisation",
    "Realisation",
    "Reparametrisation",
    "Sloppiness",
    "StartResult",
    "adam",
    "fit",
    "sgd",
]
