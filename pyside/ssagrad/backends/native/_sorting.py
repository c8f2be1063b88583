"""Sorting direct method (McCollum et al. 2006): the direct method with a self-sorting search.

Reactions are searched in the order ``order``; each time reaction ``order[k]`` fires it
swaps places with ``order[k - 1]``, so frequent reactions drift to the front and the
linear search stops early. The total propensity is kept up to date by the changes of the
refreshed dependents (``O(dependents)`` per event) and summed afresh every ``R`` events,
so rounding cannot drift.
"""

import numpy as np
from numba import njit, prange

from .._contract import STATUS_MAX_EVENTS, STATUS_OK
from ._core import (
    dependents_change,
    fill_from,
    fire,
    initial_propensities,
    record_until,
    refresh_dependents,
    refresh_general,
    save_dependents,
    total,
    waiting_time,
)
from ._rng import rng_init_words, rng_uniform_words


@njit(cache=True)
def _search(a, order, target):
    """Position ``k`` of the reaction ``order[k]`` whose bin in search order holds ``target``.

    As :func:`~._core.select`, in the order ``order``: rounding past the top end takes
    the last position with a positive propensity.
    """
    n = order.shape[0]
    k = 0
    acc = a[order[0]]
    while acc <= target and k < n - 1:
        k += 1
        acc += a[order[k]]
    while a[order[k]] <= 0.0:
        k -= 1
    return k


@njit(cache=True)
def sorting_trajectory(net, x0, times, seed, max_events, states):
    """Simulate one trajectory into ``states`` (T x S); return (events, status)."""
    s0, s1, s2, s3 = rng_init_words(seed)
    change_ptr, change_species, change_delta = net.change_ptr, net.change_species, net.change_delta
    dep_ptr, dep_index = net.dependency_ptr, net.dependency_index
    kind, first, second, rate = net.kind, net.first, net.second, net.rate
    n_reactions = rate.shape[0]
    x = x0.copy()
    a = np.empty(n_reactions)
    initial_propensities(x, net, a)
    order = np.arange(n_reactions)
    saved = np.empty(n_reactions)  # propensities of the dependents before an event
    a0 = total(a)
    m = 0
    t = 0.0
    events = 0
    while True:
        tau, s0, s1, s2, s3 = waiting_time(a0, s0, s1, s2, s3)
        t_next = t + tau
        m = record_until(states, m, times, t_next, x)
        if m == times.shape[0]:
            return events, STATUS_OK
        if events >= max_events:
            fill_from(states, m, x)
            return events, STATUS_MAX_EVENTS
        u, s0, s1, s2, s3 = rng_uniform_words(s0, s1, s2, s3)
        k = _search(a, order, u * a0)
        j = order[k]
        if k > 0:
            order[k] = order[k - 1]
            order[k - 1] = j
        fire(j, x, change_ptr, change_species, change_delta)
        save_dependents(j, a, dep_ptr, dep_index, saved)
        if refresh_dependents(j, x, a, dep_ptr, dep_index, kind, first, second, rate):
            refresh_general(j, x, a, net)
        a0 += dependents_change(j, a, dep_ptr, dep_index, saved)
        t = t_next
        events += 1
        if events % n_reactions == 0:
            a0 = total(a)


@njit(cache=True, parallel=True)
def sorting_ensemble(net, x0, times, seeds, max_events, states, events, status):
    """Simulate ``len(seeds)`` trajectories in parallel into ``states`` (N x T x S)."""
    for i in prange(seeds.shape[0]):
        e, s = sorting_trajectory(net, x0, times, seeds[i], max_events, states[i])
        events[i] = e
        status[i] = s
