"""A validated gradient problem: the network lowered to arrays, parameters, state, times."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ..inputs import check_expression_rates, initial_state, observation_times, parameter_vector
from ..models import Model
from ..network import Network, NetworkArrays
from ..simulate import default_times, resolve_model


@dataclass(frozen=True)
class Problem:
    """Everything an estimator needs, checked once at the API boundary.

    Attributes
    ----------
    network : Network
    arrays : NetworkArrays
    params : (P,) float64 parameter values in ``network.parameters`` order
    x0 : (S,) int64 initial counts
    times : (T,) float64 observation times
    """

    network: Network
    arrays: NetworkArrays
    params: np.ndarray
    x0: np.ndarray
    times: np.ndarray

    @classmethod
    def build(
        cls,
        net: Network | Model,
        params: Mapping[str, float] | Sequence[float] | None,
        x0: Mapping[str, int] | None,
        times: Sequence[float] | np.ndarray | None,
    ) -> Problem:
        """Validate user input into a problem."""
        times = default_times(net, times)
        net, params, x0 = resolve_model(net, params, x0)
        values, state0 = parameter_vector(net, params), initial_state(net, x0)
        check_expression_rates(net, values, state0)
        return cls(net, net.arrays(), values, state0, observation_times(times))

    @property
    def theta(self) -> np.ndarray:
        """Kernel constants: parameters followed by rate-law literals."""
        return self.arrays.theta(self.params)

    def theta_with(self, params: np.ndarray) -> np.ndarray:
        """Kernel constants for other parameter values."""
        return self.arrays.theta(params)

    @property
    def n_parameters(self) -> int:
        """Number of network parameters (gradient dimension)."""
        return self.arrays.n_parameters
