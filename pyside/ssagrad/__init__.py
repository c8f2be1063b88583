"""ssagrad: gradient-based inference for stochastic reaction networks.

The public surface, re-exported explicitly:

* networks: :func:`parse`, :class:`Network`, :class:`NetworkBuilder`, :func:`hill`,
  :func:`hillr`, :mod:`models`;
* simulation: :func:`simulate`;
* the exact reference: :func:`exact` (module :mod:`ssagrad.exact`);
* gradients: :func:`gradient`, :func:`value_and_grad`, :class:`EnsembleLoss`, and the
  estimators behind them in :mod:`ssagrad.estimators`;
* backends: :func:`available_backends`.
"""

from . import estimators, models
from ._version import __version__
from .backends import available_backends
from .estimators import EnsembleLoss, gradient, value_and_grad
from .exact import exact
from .network import Network, NetworkBuilder, RateLaw, Reaction, hill, hillr
from .parse import parse
from .simulate import simulate

__all__ = [
    "__version__",
    "EnsembleLoss",
    "Network",
    "NetworkBuilder",
    "RateLaw",
    "Reaction",
    "available_backends",
    "estimators",
    "exact",
    "gradient",
    "hill",
    "hillr",
    "models",
    "parse",
    "simulate",
    "value_and_grad",
]
