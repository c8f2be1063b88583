"""The kernel contract every backend implements: plain arrays in, plain arrays out.

A backend is a :class:`Backend`: a name, the set of :attr:`~Backend.capabilities` its
kernels provide (SSA methods such as ``"direct"`` and gradient kernels such as
``"score"``), and the kernel calls below. Callers ask :meth:`Backend.supports` before
any work, so a missing kernel is reported up front with the list of what the backend
can do. Kernel calls take the network as
:class:`~ssagrad.network.NetworkArrays` plus the constant vector ``theta``; what a
backend builds from them (e.g. the native :class:`~.native.KernelNetwork`) it builds
once and keeps.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

import numpy as np

from ..network import NetworkArrays

#: A trajectory reached its last observation time.
STATUS_OK = 0
#: A trajectory stopped at ``max_events``; its state is held from there on.
STATUS_MAX_EVENTS = 1

#: Exact SSA methods a backend may provide through :meth:`Backend.simulate`.
SSA_METHODS = ("direct", "sorting", "nrm", "cr")
#: What a backend's kernels can run beyond mass-action and Hill laws: expression rate
#: laws (``"expressions"``) and events or time-dependent rates (``"events"``, through
#: :meth:`Backend.simulate_events`).
NETWORK_FEATURES = ("expressions", "events")
#: Every capability name: SSA methods, tau-leaping, the gradient kernels, network features.
#: ``w1_score``: the compiled evaluation of the W1 loss on score samples (a fit's step).
CAPABILITIES = (
    *SSA_METHODS, "tau", "score", "gumbel", "altpath", "cfd", "w1_score", *NETWORK_FEATURES
)  # fmt: skip
#: A trajectory's total propensity exceeded ``rate_bound`` (``simulate_events`` only).
STATUS_RATE_BOUND = 2
#: An event assigned a negative or non-finite count (``simulate_events`` only).
STATUS_BAD_ASSIGNMENT = 3
#: Events kept triggering each other at one instant (``simulate_events`` only).
STATUS_CASCADE = 4

Kernels = tuple[np.ndarray, ...]


@dataclass(frozen=True)
class BackendInfo:
    """What :func:`ssagrad.available_backends` says about one backend.

    Attributes
    ----------
    reason : str or None
        ``None`` if the backend can be used here, else why not and how to fix it.
    capabilities : tuple of str
        What its kernels provide (see :data:`CAPABILITIES`), known without starting it.
    """

    reason: str | None
    capabilities: tuple[str, ...]

    @property
    def available(self) -> bool:
        """Whether the backend can be used in this environment."""
        return self.reason is None


def unsupported(backend: Backend, capability: str, what: str) -> ValueError:
    """The error for ``what`` needing ``capability`` that ``backend`` lacks."""
    return ValueError(
        f"{what} needs {capability!r}, which the {backend.name!r} backend does not provide; "
        f"it supports: {', '.join(backend.capabilities)}"
        + ("" if backend.name == "native" else " (the native backend provides all)")
    )


def into_states(states: np.ndarray | None, outputs: Kernels) -> Kernels:
    """``outputs`` of a simulation, their states copied into ``states`` if given (for a
    backend whose kernels cannot write into a given array)."""
    if states is None:
        return outputs
    states[...] = outputs[0]
    return (states, *outputs[1:])


class Backend(ABC):
    """A kernel backend.

    Subclasses set :attr:`name` and :attr:`capabilities` and implement
    :meth:`set_threads`, :meth:`simulate` and the gradient kernels named in their
    capabilities; the others raise a ``ValueError`` naming what the backend supports.
    """

    #: Registry name, e.g. ``"native"``.
    name: str = ""
    #: Capability names (see :data:`CAPABILITIES`).
    capabilities: tuple[str, ...] = ()

    def supports(self, capability: str) -> bool:
        """Whether this backend provides ``capability`` (an SSA method or kernel name).

        Raises
        ------
        ValueError
            ``capability`` is no known capability name.
        """
        if capability not in CAPABILITIES:
            raise ValueError(f"unknown capability {capability!r}; known: {', '.join(CAPABILITIES)}")
        return capability in self.capabilities

    def require(self, capability: str, what: str) -> None:
        """Raise the ``ValueError`` of :func:`unsupported` unless ``capability`` is there."""
        if not self.supports(capability):
            raise unsupported(self, capability, what)

    def require_network(self, arrays: NetworkArrays) -> None:
        """Raise the :func:`unsupported` error if the network has expression rate laws,
        events or time-dependent rates and the backend cannot run them."""
        if arrays.has_expressions:
            self.require("expressions", "a network with expression rate laws")
        if arrays.has_events or arrays.time_dependent:
            what = "events" if arrays.has_events else "time-dependent rate laws"
            self.require("events", f"a network with {what}")

    def simulate_events(
        self,
        arrays: NetworkArrays,
        theta: np.ndarray,
        x0: np.ndarray,
        times: np.ndarray,
        seeds: np.ndarray,
        max_events: int,
        rate_bound: float,
    ) -> Kernels:
        """Exact direct-method paths of a network with events and/or time-dependent rates.

        Time-dependent rates are simulated by thinning with candidates at the constant
        rate ``rate_bound`` (``0``: the network has none).

        Returns
        -------
        states : (N, T, S) int64
        events : (N,) int64 reaction firings
        status : (N,) int64, :data:`STATUS_OK`, :data:`STATUS_MAX_EVENTS`,
            :data:`STATUS_RATE_BOUND`, :data:`STATUS_BAD_ASSIGNMENT` or
            :data:`STATUS_CASCADE`
        """
        raise unsupported(self, "events", "simulation with events or time-dependent rates")

    @abstractmethod
    def set_threads(self, threads: int | None) -> None:
        """Use ``threads`` worker threads (``None``: the backend's default, all cores)."""

    @abstractmethod
    def simulate(
        self,
        arrays: NetworkArrays,
        theta: np.ndarray,
        x0: np.ndarray,
        times: np.ndarray,
        seeds: np.ndarray,
        method: str,
        max_events: int,
        dt: float,
        states: np.ndarray | None = None,
    ) -> Kernels:
        """Simulate one trajectory per seed with ``method`` (an SSA method or ``"tau"``).

        ``states``, if given, is a C-contiguous (N, T, S) int64 array the counts are
        written into and returned as the first output (a new array otherwise).

        Returns
        -------
        states : (N, T, S) int64, the state after the last event at or before each time
        events : (N,) int64 number of reaction firings
        status : (N,) int64, :data:`STATUS_OK` or :data:`STATUS_MAX_EVENTS`
        """

    def score(
        self,
        arrays: NetworkArrays,
        theta: np.ndarray,
        x0: np.ndarray,
        times: np.ndarray,
        seeds: np.ndarray,
        max_events: int,
    ) -> Kernels:
        """Direct-method paths with their causal scores.

        Returns
        -------
        states : (N, T, S) int64
        scores : (N, T, P) float64, ``d log p(path on [0, t_m]) / d theta_p`` including
            the survival term up to ``t_m``, for the P network parameters
        events : (N,) int64 reactions fired
        status : (N,) int64
        """
        raise unsupported(self, "score", "the score kernel")

    def gumbel(
        self,
        arrays: NetworkArrays,
        theta: np.ndarray,
        x0: np.ndarray,
        times: np.ndarray,
        seeds: np.ndarray,
        max_events: int,
        temperature: float,
        time_smoothing: float,
    ) -> Kernels:
        """Exact direct-method paths with Gumbel-softmax straight-through tangents.

        Returns
        -------
        states : (N, T, S) int64
        tangents : (N, T, S, P) float64, forward-mode tangents ``dX(t_m)/d theta_p``
            including the smoothed event-time term
        events : (N,) int64 reactions fired
        status : (N,) int64
        """
        raise unsupported(self, "gumbel", "the gumbel kernel")

    def altpath(
        self,
        arrays: NetworkArrays,
        theta: np.ndarray,
        x0: np.ndarray,
        times: np.ndarray,
        seeds: np.ndarray,
        max_events: int,
        rate_margin: float,
    ) -> Kernels:
        """Primal paths with one pruned alternative path per parameter.

        Returns
        -------
        states : (N, T, S) int64 primal states
        alt_states : (N, T, S, P) int64 state of the carried alternative at ``t_m``
        weights : (N, T, P) float64 signed weight of the alternative at ``t_m``, so that
            ``dE[f(X(t_m))]/d theta_p ~ mean(weights * (f(alt) - f(primal)))``
        events : (N,) int64 uniformisation steps taken (firings and no-ops)
        status : (N,) int64
        """
        raise unsupported(self, "altpath", "the altpath kernel")

    def coupled(
        self,
        arrays: NetworkArrays,
        theta_plus: np.ndarray,
        theta_minus: np.ndarray,
        x0: np.ndarray,
        times: np.ndarray,
        seeds: np.ndarray,
        max_events: int,
    ) -> Kernels:
        """Anderson-coupled pairs of paths, one pair per row of ``theta_plus``/``theta_minus``.

        Returns
        -------
        x_plus, x_minus : (N, T, S, D) int64 states of the coupled pair for each of the
            D perturbations
        events : (N,) int64 coupled steps taken, summed over the D pairs
        status : (N,) int64
        """
        raise unsupported(self, "cfd", "the coupled (cfd) kernel")

    def w1_score(
        self,
        tracked: np.ndarray,
        pool: np.ndarray,
        scores: np.ndarray,
        data_cdf: np.ndarray,
        groups: int,
        loo: bool,
    ) -> tuple[float, float, np.ndarray]:
        """The W1 loss of a fit step on score samples: value, jackknife se, gradient.

        The formulas of :func:`ssagrad.fitting._compose.evaluate` for a
        :class:`~ssagrad.fitting._bound.W1Bound` on score samples, compiled. A backend
        without it leaves the evaluation to that NumPy composition.

        Parameters
        ----------
        tracked : (N, T, S_obs) int64 observed counts of the gradient-tracked cells
        pool : (M, T, S_obs) int64 forward-only cells (``M = 0``: cross-fitting)
        scores : (N, T, P) float64 the tracked cells' scores
        data_cdf : (T, S_obs, K) float64 the data's distribution functions
        groups : int jackknife groups of all ``M + N`` cells
        loo : bool subtract the leave-one-out baseline

        Returns
        -------
        value, se : float
        grad : (P,) float64
        """
        raise unsupported(self, "w1_score", "the compiled W1 evaluation")
