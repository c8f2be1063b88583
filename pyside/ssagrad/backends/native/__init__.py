"""The native backend: Numba kernels, compiled once and cached on disk.

Everything here takes and returns plain NumPy arrays; nothing knows about xarray. Each
call turns the network and constants into a :class:`KernelNetwork`, built once per
network and parameter vector (see :func:`kernel_network`), and hands it to a kernel.
The exact SSA methods share one loop (``_ssa``, with the pieces of ``_sorting``, ``_nrm``
and ``_cr``); tau-leaping (``_tau``) and the gradient kernels (``_score``, ``_gumbel``,
``_altpath``, ``_coupled``) have loops of their own; all are built from :mod:`._core`.
"""

from __future__ import annotations

import numpy as np

from ...network import NetworkArrays
from .._contract import CAPABILITIES, STATUS_MAX_EVENTS, STATUS_OK, Backend, Kernels
from ._network import KernelNetwork, kernel_network

__all__ = ["STATUS_MAX_EVENTS", "STATUS_OK", "KernelNetwork", "NativeBackend", "kernel_network"]


class NativeBackend(Backend):
    """Numba kernels (the default backend); provides every capability."""

    name = "native"
    capabilities = CAPABILITIES

    def set_threads(self, threads: int | None) -> None:
        import numba

        numba.set_num_threads(threads if threads is not None else numba.config.NUMBA_NUM_THREADS)

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
        if arrays.has_events or arrays.time_dependent:
            raise ValueError(
                "this kernel ignores events and the time t in rate laws: a network with "
                "either runs through simulate_events (ssagrad.simulate does so)"
            )
        states, events, status = _trajectory_outputs(arrays, times, seeds, states)
        net = kernel_network(arrays, theta)
        if method == "tau":
            from ._tau import tau_ensemble

            tau_ensemble(net, x0, times, seeds, dt, max_events, states, events, status)
            return states, events, status
        from ._ssa import METHOD_CODES, ssa_ensemble

        if method not in METHOD_CODES:  # validated above the seam
            raise ValueError(f"unknown method {method!r}")
        if method == "direct":
            _direct(net, x0, times, seeds, max_events, states, events, status)
        else:
            code = METHOD_CODES[method]
            ssa_ensemble(net, code, x0, times, seeds, max_events, states, events, status)
        return states, events, status

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
        from ._events import event_ensemble

        states, events, status = _trajectory_outputs(arrays, times, seeds)
        t = arrays.expressions
        ev = (
            t.event_trigger,
            t.event_initial,
            t.event_assign_ptr,
            t.event_target,
            t.event_value,
            t.event_watch_ptr,
            t.event_watch,
        )
        net = kernel_network(arrays, theta)
        event_ensemble(net, ev, x0, times, seeds, max_events, rate_bound, states, events, status)
        return states, events, status

    def score(
        self,
        arrays: NetworkArrays,
        theta: np.ndarray,
        x0: np.ndarray,
        times: np.ndarray,
        seeds: np.ndarray,
        max_events: int,
    ) -> Kernels:
        from ._score import score_ensemble

        n, n_t, n_p = seeds.shape[0], times.shape[0], arrays.n_parameters
        states = np.empty((n, n_t, arrays.n_species), dtype=np.int64)
        scores = np.zeros((n, n_t, n_p))
        events = np.empty(n, dtype=np.int64)
        status = np.empty(n, dtype=np.int64)
        net = kernel_network(arrays, theta)
        score_ensemble(net, n_p, x0, times, seeds, max_events, states, scores, events, status)
        return states, scores, events, status

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
        from ._gumbel import gumbel_ensemble

        n, n_t, n_p = seeds.shape[0], times.shape[0], arrays.n_parameters
        states = np.empty((n, n_t, arrays.n_species), dtype=np.int64)
        tangents = np.empty((n, n_t, arrays.n_species, n_p))  # the kernel zeroes each row
        events = np.empty(n, dtype=np.int64)
        status = np.empty(n, dtype=np.int64)
        gumbel_ensemble(
            kernel_network(arrays, theta),
            n_p,
            x0,
            times,
            seeds,
            max_events,
            temperature,
            time_smoothing,
            states,
            tangents,
            events,
            status,
        )
        return states, tangents, events, status

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
        from ._altpath import altpath_ensemble

        n, n_t, n_p = seeds.shape[0], times.shape[0], arrays.n_parameters
        n_s = arrays.n_species
        states = np.empty((n, n_t, n_s), dtype=np.int64)
        alt_states = np.empty((n, n_t, n_s, n_p), dtype=np.int64)
        weights = np.zeros((n, n_t, n_p))
        events = np.empty(n, dtype=np.int64)
        status = np.empty(n, dtype=np.int64)
        altpath_ensemble(
            kernel_network(arrays, theta),
            n_p,
            x0,
            times,
            seeds,
            max_events,
            rate_margin,
            states,
            alt_states,
            weights,
            events,
            status,
        )
        return states, alt_states, weights, events, status

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
        from ._coupled import coupled_ensemble

        n, n_t, n_d = seeds.shape[0], times.shape[0], theta_plus.shape[0]
        x_plus = np.empty((n, n_t, arrays.n_species, n_d), dtype=np.int64)
        x_minus = np.empty((n, n_t, arrays.n_species, n_d), dtype=np.int64)
        events = np.empty(n, dtype=np.int64)
        status = np.empty(n, dtype=np.int64)
        net = kernel_network(arrays, theta_plus[0])
        coupled_ensemble(
            net,
            theta_plus,
            theta_minus,
            x0,
            times,
            seeds,
            max_events,
            x_plus,
            x_minus,
            events,
            status,
        )
        return x_plus, x_minus, events, status

    def w1_score(self, tracked, pool, scores, data_cdf, groups, loo):
        from ._w1_score import w1_score_evaluation

        return w1_score_evaluation(tracked, pool, scores, data_cdf, groups, loo)


def _direct(net, x0, times, seeds, max_events, states, events, status) -> None:
    """The direct method: on the network's own kernel once it is hot, else the generic one
    (:mod:`._specialised`; the results are the same)."""
    from . import _specialised
    from ._core import start
    from ._ssa import direct_ensemble

    own = _specialised.ensemble_for(net, x0.shape[0], (x0, times, seeds, max_events))
    if own is not None:
        _, a_start = start(net, x0)
        own(x0, times, seeds, max_events, states, events, status, net.rate, a_start)
    else:
        direct_ensemble(net, x0, times, seeds, max_events, states, events, status)
        _specialised.record(net, x0.shape[0], events)


def _trajectory_outputs(
    arrays: NetworkArrays,
    times: np.ndarray,
    seeds: np.ndarray,
    states: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``states`` (N, T, S; empty if not given), empty ``events`` (N,) and ``status`` (N,)
    for a simulation."""
    n = seeds.shape[0]
    shape = (n, times.shape[0], arrays.n_species)
    if states is None:
        states = np.empty(shape, dtype=np.int64)
    elif states.shape != shape or states.dtype != np.int64 or not states.flags.c_contiguous:
        raise ValueError(f"states must be a C-contiguous int64 array of shape {shape}")
    return states, np.empty(n, dtype=np.int64), np.empty(n, dtype=np.int64)
