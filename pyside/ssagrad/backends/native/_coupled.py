"""Anderson's coupled finite differences: pairs of paths simulated jointly (native kernel).

For each perturbation ``d`` a pair ``(X+, X-)`` is simulated at constants
``theta_plus[d]`` and ``theta_minus[d]``. Each reaction ``j`` is split into three channels
(Anderson 2012, "An efficient finite difference method for parameter sensitivities of
continuous time Markov chains"):

* a shared channel with rate ``min(a_j(X+), a_j(X-))`` that moves both paths,
* ``a_j(X+) - min`` that moves ``X+`` only,
* ``a_j(X-) - min`` that moves ``X-`` only.

The ``3R``-channel system is simulated exactly with the direct method. Each marginal
``X+`` (``X-``) is an exact SSA path at ``theta_plus`` (``theta_minus``), while the two
stay close, so ``f(X+) - f(X-)`` has variance ``O(h)`` rather than ``O(1)``.

Contract: ``x_plus[i, m, :, d]`` / ``x_minus[i, m, :, d]`` are the states of pair ``d`` of
trajectory ``i`` after the last event at or before ``times[m]``. Pair ``d`` of trajectory
``i`` draws from its own stream, derived from ``seeds[i]`` and ``d``, so results do not
depend on thread count and the directions are independent of one another.
"""

import numpy as np
from numba import njit, prange

from .._contract import STATUS_MAX_EVENTS, STATUS_OK
from ._core import fill_from, fire, record_until, waiting_time
from ._propensity import propensity
from ._rng import family_salt, mix64, rng_init_words, rng_uniform_words, sub_seed


@njit(cache=True)
def direction_seed(seed, d):
    """Seed of direction ``d``'s stream: the ``d``-th family sub-seed, hashed once more."""
    return mix64(sub_seed(seed, family_salt(d)))


@njit(cache=True)
def _step(j, x, net, a, theta):
    """Apply reaction ``j`` to ``x`` and refresh the propensities it affects (at ``theta``)."""
    fire(j, x, net.change_ptr, net.change_species, net.change_delta)
    for p in range(net.dependency_ptr[j], net.dependency_ptr[j + 1]):
        i = net.dependency_index[p]
        a[i] = propensity(i, x, theta, net)


@njit(cache=True)
def coupled_pair(net, theta_plus, theta_minus, x0, times, seed, max_events, out_plus, out_minus):
    """Simulate one pair into ``out_plus``/``out_minus`` (T x S); return (events, status)."""
    n_reactions = net.rate.shape[0]
    s0, s1, s2, s3 = rng_init_words(seed)  # the random stream, held in registers
    xp = x0.copy()
    xm = x0.copy()
    ap = np.empty(n_reactions)
    am = np.empty(n_reactions)
    for j in range(n_reactions):
        ap[j] = propensity(j, xp, theta_plus, net)
        am[j] = propensity(j, xm, theta_minus, net)
    n_times = times.shape[0]
    m = 0
    t = 0.0
    events = 0
    while True:
        total = 0.0
        for j in range(n_reactions):
            total += max(ap[j], am[j])
        tau, s0, s1, s2, s3 = waiting_time(total, s0, s1, s2, s3)
        t_next = t + tau
        record_until(out_minus, m, times, t_next, xm)
        m = record_until(out_plus, m, times, t_next, xp)
        if m == n_times:
            return events, STATUS_OK
        if events >= max_events:
            fill_from(out_plus, m, xp)
            fill_from(out_minus, m, xm)
            return events, STATUS_MAX_EVENTS
        u, s0, s1, s2, s3 = rng_uniform_words(s0, s1, s2, s3)
        target = u * total
        # Reaction j owns the interval of width max(ap_j, am_j): first the shared part
        # min(ap_j, am_j), then the one-sided part of whichever path has the larger rate.
        j = 0
        width = max(ap[0], am[0])
        while target >= width and j < n_reactions - 1:
            target -= width
            j += 1
            width = max(ap[j], am[j])
        while max(ap[j], am[j]) <= 0.0:  # rounding at the top end: last live reaction
            j -= 1
        shared = min(ap[j], am[j])
        if target < shared or ap[j] == am[j]:
            _step(j, xp, net, ap, theta_plus)
            _step(j, xm, net, am, theta_minus)
        elif ap[j] > am[j]:
            _step(j, xp, net, ap, theta_plus)
        else:
            _step(j, xm, net, am, theta_minus)
        t = t_next
        events += 1


@njit(cache=True, parallel=True)
def coupled_ensemble(
    net, theta_plus, theta_minus, x0, times, seeds, max_events, x_plus, x_minus, status
):
    """Coupled pairs for every trajectory seed and every row of ``theta_plus``/``theta_minus``.

    ``x_plus``/``x_minus`` are (N, T, S, D); ``status[i]`` is :data:`STATUS_MAX_EVENTS` if
    any pair of trajectory ``i`` hit ``max_events``, else :data:`STATUS_OK`.
    """
    n_dirs = theta_plus.shape[0]
    n_times = times.shape[0]
    n_species = x0.shape[0]
    for i in prange(seeds.shape[0]):
        out_plus = np.empty((n_times, n_species), dtype=np.int64)
        out_minus = np.empty((n_times, n_species), dtype=np.int64)
        worst = STATUS_OK
        for d in range(n_dirs):
            _, s = coupled_pair(
                net,
                theta_plus[d],
                theta_minus[d],
                x0,
                times,
                direction_seed(seeds[i], d),
                max_events,
                out_plus,
                out_minus,
            )
            if s != STATUS_OK:
                worst = s
            for mm in range(n_times):
                for sp in range(n_species):
                    x_plus[i, mm, sp, d] = out_plus[mm, sp]
                    x_minus[i, mm, sp, d] = out_minus[mm, sp]
        status[i] = worst
