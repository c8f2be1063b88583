"""Gillespie's direct method with a reaction dependency graph (native kernel).

Contract: plain arrays in, plain arrays out. ``states[i, m, :]`` is the state of
trajectory ``i`` after the last event at or before ``times[m]``. Each event sums the
propensities (``O(R)``), draws the waiting time and then the reaction by linear
inversion, and refreshes the dependents of the reaction that fired.
"""

import numpy as np
from numba import njit, prange

from .._contract import STATUS_MAX_EVENTS, STATUS_OK
from ._core import (
    fill_from,
    fire,
    initial_propensities,
    record_until,
    refresh_dependents,
    refresh_general,
    select,
    total,
    waiting_time,
)
from ._rng import rng_init_words, rng_uniform_words


@njit(cache=True)
def direct_trajectory(net, x0, times, seed, max_events, states):
    """Simulate one trajectory into ``states`` (T x S); return (events, status)."""
    s0, s1, s2, s3 = rng_init_words(seed)  # the random stream, held in registers
    x = x0.copy()
    change_ptr, change_species, change_delta = net.change_ptr, net.change_species, net.change_delta
    dep_ptr, dep_index = net.dependency_ptr, net.dependency_index
    kind, first, second, rate = net.kind, net.first, net.second, net.rate
    a = np.empty(rate.shape[0])
    initial_propensities(x, net, a)
    m = 0
    t = 0.0
    events = 0
    while True:
        a0 = total(a)
        tau, s0, s1, s2, s3 = waiting_time(a0, s0, s1, s2, s3)
        t_next = t + tau
        m = record_until(states, m, times, t_next, x)
        if m == times.shape[0]:
            return events, STATUS_OK
        if events >= max_events:
            fill_from(states, m, x)
            return events, STATUS_MAX_EVENTS
        u, s0, s1, s2, s3 = rng_uniform_words(s0, s1, s2, s3)
        j = select(a, u * a0)
        fire(j, x, change_ptr, change_species, change_delta)
        if refresh_dependents(j, x, a, dep_ptr, dep_index, kind, first, second, rate):
            refresh_general(j, x, a, net)
        t = t_next
        events += 1


@njit(cache=True, parallel=True)
def direct_ensemble(net, x0, times, seeds, max_events, states, events, status):
    """Simulate ``len(seeds)`` trajectories in parallel into ``states`` (N x T x S)."""
    for i in prange(seeds.shape[0]):
        e, s = direct_trajectory(net, x0, times, seeds[i], max_events, states[i])
        events[i] = e
        status[i] = s
