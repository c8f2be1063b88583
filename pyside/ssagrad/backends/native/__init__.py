"""The native backend: Numba kernels, compiled once and cached on disk.

Everything here takes and returns plain NumPy arrays; nothing knows about xarray.
"""

from __future__ import annotations

import numpy as np

from ...network import NetworkArrays
from ._direct import STATUS_MAX_EVENTS, STATUS_OK, direct_ensemble
from ._propensity import reaction_table
from ._tau import tau_ensemble

__all__ = ["NativeBackend", "STATUS_OK", "STATUS_MAX_EVENTS", "kernel_network"]


def kernel_network(arrays: NetworkArrays) -> tuple[np.ndarray, ...]:
    """The network as the fixed-order tuple of arrays the native kernels take."""
    return (
        arrays.reactant_ptr,
        arrays.reactant_species,
        arrays.reactant_coeff,
        arrays.change_ptr,
        arrays.change_species,
        arrays.change_delta,
        arrays.rate_code,
        arrays.rate_species,
        np.ascontiguousarray(arrays.rate_slots),
        arrays.dependency_ptr,
        arrays.dependency_index,
        reaction_table(
            arrays.reactant_ptr,
            arrays.reactant_species,
            arrays.reactant_coeff,
            arrays.rate_code,
            arrays.rate_slots,
        ),
    )


class NativeBackend:
    """Numba kernels (the default backend)."""

    name = "native"

    def set_threads(self, threads: int | None) -> None:
        """Use ``threads`` worker threads (``None``: all cores)."""
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
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Simulate one trajectory per seed.

        Returns
        -------
        states : (N, T, S) int64
        events : (N,) int64 number of reaction firings
        status : (N,) int64, :data:`STATUS_OK` or :data:`STATUS_MAX_EVENTS`
        """
        n = seeds.shape[0]
        states = np.empty((n, times.shape[0], arrays.n_species), dtype=np.int64)
        events = np.empty(n, dtype=np.int64)
        status = np.empty(n, dtype=np.int64)
        net = kernel_network(arrays)
        if method == "direct":
            direct_ensemble(net, theta, x0, times, seeds, max_events, states, events, status)
        elif method == "tau":
            tau_ensemble(net, theta, x0, times, seeds, dt, max_events, states, events, status)
        else:  # validated above the seam
            raise ValueError(f"unknown method {method!r}")
        return states, events, status

    def score(
        self,
        arrays: NetworkArrays,
        theta: np.ndarray,
        x0: np.ndarray,
        times: np.ndarray,
        seeds: np.ndarray,
        max_events: int,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Direct-method paths with their causal scores.

        Returns
        -------
        states : (N, T, S) int64
        scores : (N, T, P) float64, ``d log p(path on [0, t_m]) / d theta_p`` including
            the survival term up to ``t_m``, for the P network parameters
        status : (N,) int64
        """
        from ._score import score_ensemble

        n, n_t, n_p = seeds.shape[0], times.shape[0], arrays.n_parameters
        states = np.empty((n, n_t, arrays.n_species), dtype=np.int64)
        scores = np.zeros((n, n_t, n_p))
        status = np.empty(n, dtype=np.int64)
        score_ensemble(
            kernel_network(arrays),
            theta,
            n_p,
            x0,
            times,
            seeds,
            max_events,
            states,
            scores,
            status,
        )
        return states, scores, status

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
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Exact direct-method paths with Gumbel-softmax straight-through tangents.

        Returns
        -------
        states : (N, T, S) int64
        tangents : (N, T, S, P) float64, forward-mode tangents ``dX(t_m)/d theta_p``
            including the smoothed event-time term
        status : (N,) int64
        """
        from ._gumbel import gumbel_ensemble

        n, n_t, n_p = seeds.shape[0], times.shape[0], arrays.n_parameters
        states = np.empty((n, n_t, arrays.n_species), dtype=np.int64)
        tangents = np.empty((n, n_t, arrays.n_species, n_p))  # the kernel zeroes each row
        status = np.empty(n, dtype=np.int64)
        gumbel_ensemble(
            kernel_network(arrays),
            theta,
            n_p,
            x0,
            times,
            seeds,
            max_events,
            temperature,
            time_smoothing,
            states,
            tangents,
            status,
        )
        return states, tangents, status

    def altpath(
        self,
        arrays: NetworkArrays,
        theta: np.ndarray,
        x0: np.ndarray,
        times: np.ndarray,
        seeds: np.ndarray,
        max_events: int,
        rate_margin: float,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Primal paths with one pruned alternative path per parameter.

        Returns
        -------
        states : (N, T, S) int64 primal states
        alt_states : (N, T, S, P) int64 state of the carried alternative at ``t_m``
        weights : (N, T, P) float64 signed weight of the alternative at ``t_m``, so that
            ``dE[f(X(t_m))]/d theta_p ~ mean(weights * (f(alt) - f(primal)))``
        status : (N,) int64
        """
        from ._altpath import altpath_ensemble

        n, n_t, n_p = seeds.shape[0], times.shape[0], arrays.n_parameters
        n_s = arrays.n_species
        states = np.empty((n, n_t, n_s), dtype=np.int64)
        alt_states = np.empty((n, n_t, n_s, n_p), dtype=np.int64)
        weights = np.zeros((n, n_t, n_p))
        status = np.empty(n, dtype=np.int64)
        altpath_ensemble(
            kernel_network(arrays),
            theta,
            n_p,
            x0,
            times,
            seeds,
            max_events,
            rate_margin,
            states,
            alt_states,
            weights,
            status,
        )
        return states, alt_states, weights, status

    def coupled(
        self,
        arrays: NetworkArrays,
        theta_plus: np.ndarray,
        theta_minus: np.ndarray,
        x0: np.ndarray,
        times: np.ndarray,
        seeds: np.ndarray,
        max_events: int,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Anderson-coupled pairs of paths, one pair per row of ``theta_plus``/``theta_minus``.

        Returns
        -------
        x_plus, x_minus : (N, T, S, D) int64 states of the coupled pair for each of the
            D perturbations
        status : (N,) int64
        """
        from ._coupled import coupled_ensemble

        n, n_t, n_d = seeds.shape[0], times.shape[0], theta_plus.shape[0]
        x_plus = np.empty((n, n_t, arrays.n_species, n_d), dtype=np.int64)
        x_minus = np.empty((n, n_t, arrays.n_species, n_d), dtype=np.int64)
        status = np.empty(n, dtype=np.int64)
        coupled_ensemble(
            kernel_network(arrays),
            theta_plus,
            theta_minus,
            x0,
            times,
            seeds,
            max_events,
            x_plus,
            x_minus,
            status,
        )
        return x_plus, x_minus, status
