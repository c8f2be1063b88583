"""ssagrad: gradient-based inference for stochastic reaction networks.

The public surface, re-exported explicitly:

* networks: :func:`parse`, :class:`Network`, :class:`NetworkBuilder`, :func:`hill`,
  :func:`hillr`, :func:`expression`, :class:`Expression`, :class:`Event`, :mod:`models`;
* SBML: :func:`read_sbml`, :func:`write_sbml` (also ``Network.to_sbml``);
* simulation: :func:`simulate`;
* the exact reference: :func:`exact` (module :mod:`ssagrad.exact`);
* gradients: :func:`gradient`, :func:`value_and_grad`, :class:`EnsembleLoss`, and the
  estimators behind them in :mod:`ssagrad.estimators`;
* fitting: :func:`fit`, :class:`FitResult`, :func:`read_data`, and the losses,
  optimisers and reparametrisations in :mod:`ssagrad.fitting`;
* backends: :func:`available_backends`;
* resource guards: :func:`memory_limit`, :func:`set_memory_limit`,
  :class:`MemoryLimitError` (module :mod:`ssagrad.resources`).
"""

from . import estimators, fitting, models
from ._version import __version__
from .backends import available_backends
from .builder import expression
from .data import read_data
from .estimators import EnsembleLoss, gradient, value_and_grad
from .events import Event
from .exact import exact
from .expr import Expression
from .fitting import FitResult, fit
from .network import Network, NetworkBuilder, RateLaw, Reaction, hill, hillr
from .parse import parse
from .resources import MemoryLimitError, memory_limit, set_memory_limit
from .sbml import SBMLError, read_sbml, write_sbml
from .simulate import simulate

__all__ = [
    "__version__",
    "EnsembleLoss",
    "Event",
    "Expression",
    "FitResult",
    "MemoryLimitError",
    "Network",
    "NetworkBuilder",
    "RateLaw",
    "Reaction",
    "SBMLError",
    "available_backends",
    "estimators",
    "exact",
    "expression",
    "fit",
    "fitting",
    "gradient",
    "hill",
    "hillr",
    "memory_limit",
    "models",
    "parse",
    "read_data",
    "read_sbml",
    "set_memory_limit",
    "simulate",
    "value_and_grad",
    "write_sbml",
]
