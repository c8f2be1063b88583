"""Gibson and Bruck's next reaction method: its pieces of the SSA loop (:mod:`._ssa`).

Every reaction ``j`` holds an absolute putative firing time ``T_j`` in a binary min-heap
indexed by reaction (``heap[k]`` a reaction, ``where[j]`` its position). The next event is
the heap's top; after it fires, each dependent ``i`` with a changed propensity rescales
its time, ``T_i = t + (a_i^old / a_i^new) (T_i - t)`` (the unused part of its
exponential clock, Gibson and Bruck 2000), or draws a fresh one if it was switched off;
the reaction that fired always draws a fresh exponential. An event costs ``O(D log R)``
for ``D`` dependents: no step is linear in the number of reactions.
"""

import math

from numba import njit

from ._rng import rng_exponential_words


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
def start_clocks(a, clock, heap, where, s0, s1, s2, s3):
    """Draw every reaction's first firing time into ``clock`` and heapify; return the stream."""
    for j in range(a.shape[0]):
        e, s0, s1, s2, s3 = rng_exponential_words(s0, s1, s2, s3)
        clock[j] = e / a[j] if a[j] > 0.0 else math.inf
    _build(clock, heap, where)
    return s0, s1, s2, s3


@njit(cache=True)
def reschedule(j, t, a, saved, clock, heap, where, dep_ptr, dep_index, s0, s1, s2, s3):
    """New clocks after ``j`` fired at ``t``: rescaled for changed dependents, fresh for ``j``.

    ``saved`` holds the dependents' propensities before the event. Returns the stream.
    """
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
    return s0, s1, s2, s3
