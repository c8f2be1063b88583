"""Gibson and Bruck's next reaction method with an indexed priority queue (native kernel).

Every reaction ``j`` holds an absolute putative firing time ``T_j`` in a binary min-heap
indexed by reaction (``heap[k]`` a reaction, ``where[j]`` its position). The next event is
the heap's top; after it fires, each dependent ``i`` with a changed propensity rescales
its time, ``T_i = t + (a_i^old / a_i^new) (T_i - t)`` (the unused part of its
exponential clock, Gibson and Bruck 2000), or draws a fresh one if it was switched off;
the reaction that fired always draws a fresh exponential. An event costs ``O(D log R)``
for ``D`` dependents: no step is linear in the number of reactions.
"""

import math

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
    save_dependents,
)
from ._rng import rng_exponential_words, rng_init_words


@njit(cache=True)
def _sift(heap, where, times, k):
    """Restore the heap order around position ``k`` after ``times[heap[k]]`` changed."""
    n = heap.shape[0]
    j = heap[k]
    key = times[j]
    while k > 0:  # up
        parent = (k - 1) >> 1
        if times[heap[parent]] <= key:
            break
        heap[k] = heap[parent]
        where[heap[k]] = k
        k = parent
    while True:  # down
        child = 2 * k + 1
        if child >= n:
            break
        if child + 1 < n and times[heap[child + 1]] < times[heap[child]]:
            child += 1
        if times[heap[child]] >= key:
            break
        heap[k] = heap[child]
        where[heap[k]] = k
        k = child
    heap[k] = j
    where[j] = k


@njit(cache=True)
def _build(times, heap, where):
    """Heapify reactions ``0..R-1`` by ``times`` (Floyd's bottom-up construction)."""
    n = heap.shape[0]
    for j in range(n):
        heap[j] = j
        where[j] = j
    for k in range((n - 2) // 2, -1, -1):
        _sift(heap, where, times, k)


@njit(cache=True)
def nrm_trajectory(net, x0, times, seed, max_events, states):
    """Simulate one trajectory into ``states`` (T x S); return (events, status)."""
    s0, s1, s2, s3 = rng_init_words(seed)
    change_ptr, change_species, change_delta = net.change_ptr, net.change_species, net.change_delta
    dep_ptr, dep_index = net.dependency_ptr, net.dependency_index
    kind, first, second, rate = net.kind, net.first, net.second, net.rate
    n_reactions = rate.shape[0]
    x = x0.copy()
    a = np.empty(n_reactions)
    initial_propensities(x, net, a)
    clock = np.empty(n_reactions)  # absolute putative firing times
    for j in range(n_reactions):
        e, s0, s1, s2, s3 = rng_exponential_words(s0, s1, s2, s3)
        clock[j] = e / a[j] if a[j] > 0.0 else math.inf
    heap = np.empty(n_reactions, dtype=np.int64)
    where = np.empty(n_reactions, dtype=np.int64)
    _build(clock, heap, where)
    saved = np.empty(n_reactions)
    m = 0
    events = 0
    while True:
        j = heap[0]
        t = clock[j]
        m = record_until(states, m, times, t, x)
        if m == times.shape[0]:
            return events, STATUS_OK
        if events >= max_events:
            fill_from(states, m, x)
            return events, STATUS_MAX_EVENTS
        fire(j, x, change_ptr, change_species, change_delta)
        save_dependents(j, a, dep_ptr, dep_index, saved)
        if refresh_dependents(j, x, a, dep_ptr, dep_index, kind, first, second, rate):
            refresh_general(j, x, a, net)
        clock[j] = math.inf  # spent: a fresh clock below, whether or not ``j`` depends on itself
        lo = dep_ptr[j]
        for p in range(lo, dep_ptr[j + 1]):
            i = dep_index[p]
            if i != j and a[i] != saved[p - lo]:
                if a[i] <= 0.0:
                    clock[i] = math.inf
                elif saved[p - lo] > 0.0:
                    clock[i] = t + (saved[p - lo] / a[i]) * (clock[i] - t)
                else:
                    e, s0, s1, s2, s3 = rng_exponential_words(s0, s1, s2, s3)
                    clock[i] = t + e / a[i]
                _sift(heap, where, clock, where[i])
        if a[j] > 0.0:
            e, s0, s1, s2, s3 = rng_exponential_words(s0, s1, s2, s3)
            clock[j] = t + e / a[j]
        _sift(heap, where, clock, where[j])
        events += 1


@njit(cache=True, parallel=True)
def nrm_ensemble(net, x0, times, seeds, max_events, states, events, status):
    """Simulate ``len(seeds)`` trajectories in parallel into ``states`` (N x T x S)."""
    for i in prange(seeds.shape[0]):
        e, s = nrm_trajectory(net, x0, times, seeds[i], max_events, states[i])
        events[i] = e
        status[i] = s
