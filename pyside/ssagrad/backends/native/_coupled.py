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
from ._core import (
    elementary_comb,
    fill_from,
    fire,
    hot_fields,
    record_until,
    refresh_general,
    waiting_time,
)
from ._network import KIND_GENERAL
from ._propensity import law_fields, law_propensity
from ._rng import family_salt, mix64, rng_init_words, rng_uniform_words, sub_seed


@njit(cache=True)
def direction_seed(seed, d):
    """Seed of direction ``d``'s stream: the ``d``-th family sub-seed, hashed once more."""
    return mix64(sub_seed(seed, family_salt(d)))


@njit(cache=True)
def coupled_pair(
    net, theta_plus, theta_minus, rates, x0, times, seed, max_events, out_plus, out_minus
):
    """Simulate one pair into ``out_plus``/``out_minus`` (T x S); return (events, status).

    ``rates`` (2, R): the rate constants of every reaction at ``theta_plus`` and at
    ``theta_minus``, for the written-out elementary propensities.
    """
    fields = hot_fields(net)
    change_ptr, change_species, change_delta, dep_ptr, dep_index, general_ptr = fields[:6]
    kind, first, second = fields[6:9]
    general_index, laws = net.general_index, law_fields(net)
    n_reactions = net.rate.shape[0]
    s0, s1, s2, s3 = rng_init_words(seed)  # the random stream, held in registers
    xp = x0.copy()
    xm = x0.copy()
    ap = np.empty(n_reactions)
    am = np.empty(n_reactions)
    for j in range(n_reactions):
        ap[j] = law_propensity(j, xp, theta_plus, laws)
        am[j] = law_propensity(j, xm, theta_minus, laws)
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
        both = target < min(ap[j], am[j]) or ap[j] == am[j]
        moves = (both or ap[j] > am[j], both or am[j] > ap[j])  # before either path moves
        for side in range(2):  # X+ on the shared channel or its own, then X- likewise
            if not moves[side]:
                continue
            x, a, theta = (xp, ap, theta_plus) if side == 0 else (xm, am, theta_minus)
            fire(j, x, change_ptr, change_species, change_delta)
            for p in range(dep_ptr[j], dep_ptr[j + 1]):
                i = dep_index[p]
                if kind[i] != KIND_GENERAL:
                    a[i] = rates[side, i] * elementary_comb(kind[i], x[first[i]], x[second[i]])
            if general_ptr[j] < general_ptr[j + 1]:
                refresh_general(j, x, a, theta, general_ptr, general_index, laws)
        t = t_next
        events += 1


@njit(cache=True, parallel=True)
def coupled_ensemble(
    net, theta_plus, theta_minus, x0, times, seeds, max_events, x_plus, x_minus, events, status
):
    """Coupled pairs for every trajectory seed and every row of ``theta_plus``/``theta_minus``.

    ``x_plus``/``x_minus`` are (N, T, S, D); ``events[i]`` counts the coupled steps of
    trajectory ``i`` over all ``D`` pairs; ``status[i]`` is :data:`STATUS_MAX_EVENTS` if
    any pair of trajectory ``i`` hit ``max_events``, else :data:`STATUS_OK`.
    """
    n_dirs = theta_plus.shape[0]
    n_times = times.shape[0]
    rates = np.empty((n_dirs, 2, net.rate.shape[0]))
    for d in range(n_dirs):
        for j in range(net.rate.shape[0]):
            rates[d, 0, j] = theta_plus[d, net.rate_slots[j, 0]]
            rates[d, 1, j] = theta_minus[d, net.rate_slots[j, 0]]
    n_species = x0.shape[0]
    for i in prange(seeds.shape[0]):
        out_plus = np.empty((n_times, n_species), dtype=np.int64)
        out_minus = np.empty((n_times, n_species), dtype=np.int64)
        worst = STATUS_OK
        total = 0
        for d in range(n_dirs):
            e, s = coupled_pair(
                net,
                theta_plus[d],
                theta_minus[d],
                rates[d],
                x0,
                times,
                direction_seed(seeds[i], d),
                max_events,
                out_plus,
                out_minus,
            )
            total += e
            if s != STATUS_OK:
                worst = s
            for mm in range(n_times):
                for sp in range(n_species):
                    x_plus[i, mm, sp, d] = out_plus[mm, sp]
                    x_minus[i, mm, sp, d] = out_minus[mm, sp]
        events[i] = total
        status[i] = worst
