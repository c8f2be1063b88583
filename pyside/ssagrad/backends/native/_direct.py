"""Gillespie's direct method with a reaction dependency graph (native kernel).

Contract: plain arrays in, plain arrays out. ``states[i, m, :]`` is the state of
trajectory ``i`` after the last event at or before ``times[m]``.
"""

import numpy as np
from numba import njit, prange

from ._propensity import (
    CHANGE_DELTA,
    CHANGE_PTR,
    CHANGE_SPECIES,
    DEPENDENCY_INDEX,
    DEPENDENCY_PTR,
    KIND_DIMER,
    KIND_FIRST,
    KIND_PAIR,
    KIND_ZEROTH,
    REACTION_TABLE,
    elementary_columns,
    propensity,
)
from ._rng import rng_exponential_words, rng_init_words, rng_uniform_words

#: Status codes per trajectory.
STATUS_OK = 0
STATUS_MAX_EVENTS = 1


@njit(cache=True)
def direct_trajectory(net, theta, columns, x0, times, seed, max_events, states):
    """Simulate one trajectory into ``states`` (T x S); return (events, status).

    ``columns`` is :func:`elementary_columns` of the network at ``theta``.
    """
    n_reactions = net[CHANGE_PTR].shape[0] - 1
    change_ptr = net[CHANGE_PTR]
    change_species = net[CHANGE_SPECIES]
    change_delta = net[CHANGE_DELTA]
    dep_ptr = net[DEPENDENCY_PTR]
    dep_index = net[DEPENDENCY_INDEX]
    kind, first, second, rate = columns
    s0, s1, s2, s3 = rng_init_words(seed)  # the random stream, held in registers
    x = x0.copy()
    a = np.empty(n_reactions)
    for j in range(n_reactions):
        a[j] = propensity(j, x, theta, net)
    n_times = times.shape[0]
    m = 0
    t = 0.0
    events = 0
    while True:
        a0 = 0.0
        for j in range(n_reactions):
            a0 += a[j]
        if a0 > 0.0:
            e, s0, s1, s2, s3 = rng_exponential_words(s0, s1, s2, s3)
            t_next = t + e / a0
        else:
            t_next = np.inf
        while m < n_times and times[m] < t_next:
            for s in range(x.shape[0]):
                states[m, s] = x[s]
            m += 1
        if m == n_times:
            return events, STATUS_OK
        if events >= max_events:
            for mm in range(m, n_times):
                for s in range(x.shape[0]):
                    states[mm, s] = x[s]
            return events, STATUS_MAX_EVENTS
        u, s0, s1, s2, s3 = rng_uniform_words(s0, s1, s2, s3)
        target = u * a0
        j = 0
        acc = a[0]
        while acc <= target and j < n_reactions - 1:
            j += 1
            acc += a[j]
        while a[j] <= 0.0:  # rounding at the top end: take the last live reaction
            j -= 1
        for p in range(change_ptr[j], change_ptr[j + 1]):
            x[change_species[p]] += change_delta[p]
        for p in range(dep_ptr[j], dep_ptr[j + 1]):
            i = dep_index[p]
            kind_i = kind[i]  # elementary mass action written out (see elementary_columns)
            if kind_i == KIND_ZEROTH:
                a[i] = rate[i]
            elif kind_i == KIND_FIRST:
                a[i] = rate[i] * float(x[first[i]])
            elif kind_i == KIND_PAIR:
                a[i] = rate[i] * float(x[first[i]]) * float(x[second[i]])
            elif kind_i == KIND_DIMER:
                count = float(x[first[i]])
                a[i] = rate[i] * count * (count - 1.0) * 0.5
            else:
                a[i] = propensity(i, x, theta, net)
        t = t_next
        events += 1


@njit(cache=True, parallel=True)
def direct_ensemble(net, theta, x0, times, seeds, max_events, states, events, status):
    """Simulate ``len(seeds)`` trajectories in parallel into ``states`` (N x T x S)."""
    columns = elementary_columns(net[REACTION_TABLE], theta)
    for i in prange(seeds.shape[0]):
        e, s = direct_trajectory(net, theta, columns, x0, times, seeds[i], max_events, states[i])
        events[i] = e
        status[i] = s
