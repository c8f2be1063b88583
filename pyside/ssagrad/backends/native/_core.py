"""The SSA core: the pieces of the Gillespie loop, written once for every native kernel.

Every kernel (plain simulation by each method, and each estimator) is a loop built from
these helpers, in this order::

    tau, rng = waiting_time(a0, rng); t_next = t + tau  # E / a0 with E ~ Exp(1)
    m = record_until(states, m, times, t_next, x)  # the state after the last event <= t_m
    if m == T: done;  if events >= max_events: fill_from(states, m, x); capped
    j = select(a, u * a0)                          # inversion, with the rounding fix
    fire(j, x, ...); refresh_dependents(j, x, a, ...)  # other laws: refresh_general

The helpers on the per-event path take scalars and the few arrays they touch, never the
whole :class:`~._network.KernelNetwork`: the kernel takes its fields out once per
trajectory. LLVM then inlines the helpers into the loop (a call that is not inlined, or
one that passes the network tuple, costs a reference count per array, more than an event
of a small network). The random stream is four scalars (see :mod:`._rng`). Propensities of
elementary mass action are written out in :func:`refresh_dependents`; other rate laws
use :func:`~._propensity.propensity`.

The per-event helpers (:func:`select`, :func:`fire`, :func:`refresh_dependents`,
:func:`record_until`) index with unsigned integers (``np.uint64``) and are inlined by
Numba (``inline="always"``). Numba guards every signed index against negative
wraparound; in these small loops the guards cost the direct method 15-25 % per event
(in-process A/B, 2026-11-30), and the unsigned index pays off only when the helper is
inlined at Numba's level. They take and return ordinary (signed) integers.
"""

import numpy as np
from numba import njit

from ._network import KIND_DIMER, KIND_FIRST, KIND_PAIR, KIND_ZEROTH
from ._propensity import law_propensity, propensity
from ._rng import rng_exponential_words

_U1 = np.uint64(1)


@njit(cache=True)
def hot_fields(net):
    """The fields the event loop reads, taken out of ``net`` once per trajectory.

    ``(change_ptr, change_species, change_delta, dependency_ptr, dependency_index,
    general_ptr, kind, first, second, rate)``.
    """
    return (
        net.change_ptr,
        net.change_species,
        net.change_delta,
        net.dependency_ptr,
        net.dependency_index,
        net.general_ptr,
        net.kind,
        net.first,
        net.second,
        net.rate,
    )


@njit(cache=True)
def start(net, x0):
    """A trajectory's state ``x = x0`` and its propensities ``a``."""
    x = x0.copy()
    a = np.empty(net.rate.shape[0])
    initial_propensities(x, net, a)
    return x, a


@njit(cache=True)
def waiting_time(a0, s0, s1, s2, s3):
    """The time to the next event, ``E / a0`` with ``E ~ Exp(1)``, and the stream.

    ``inf`` when ``a0 = 0`` (no draw then).
    """
    if a0 > 0.0:
        e, s0, s1, s2, s3 = rng_exponential_words(s0, s1, s2, s3)
        return e / a0, s0, s1, s2, s3
    return np.inf, s0, s1, s2, s3


@njit(cache=True)
def propensity_sum(a):
    """``sum_j a[j]``, left to right (every kernel sums in this order)."""
    a0 = 0.0
    for j in range(a.shape[0]):
        a0 += a[j]
    return a0


@njit(cache=True, inline="always")
def select(a, target):
    """The reaction ``j`` whose cumulative bin ``[A_{j-1}, A_j)`` holds ``target``.

    Linear inversion; rounding can carry the running sum past the top end, in which case
    the last reaction with a positive propensity is taken. Indexes unsigned, as every
    helper on the per-event path (see the module docstring).
    """
    last = np.uint64(a.shape[0]) - _U1
    j = np.uint64(0)
    acc = a[0]
    while acc <= target and j < last:
        j += _U1
        acc += a[j]
    while a[j] <= 0.0:
        j -= _U1
    return np.int64(j)


@njit(cache=True, inline="always")
def fire(j, x, change_ptr, change_species, change_delta):
    """Apply the state change of reaction ``j`` to ``x``."""
    j = np.uint64(j)
    for p in range(np.uint64(change_ptr[j]), np.uint64(change_ptr[j + _U1])):
        x[np.uint64(change_species[p])] += change_delta[p]


@njit(cache=True)
def initial_propensities(x, net, a):
    """``a[j] = a_j(x)`` for every reaction."""
    for j in range(a.shape[0]):
        a[j] = propensity(j, x, net.theta, net)


@njit(cache=True, inline="always")
def refresh_dependents(j, x, a, dep_ptr, dep_index, kind, first, second, rate):
    """Recompute the elementary mass-action propensities that reaction ``j`` may change.

    ``dep_ptr``/``dep_index`` list them: the network's ``elementary_ptr`` and
    ``elementary_index`` (or the whole dependency graph, whose other entries are
    skipped). ``kind``, ``first``, ``second`` and ``rate`` are the fields of the
    :class:`~._network.KernelNetwork` of those names. Elementary mass action is written
    out here, in the loop (as a helper of its own it is not inlined, and the call costs
    three times the arithmetic). Dependents with other rate laws are left to
    :func:`refresh_general`, which the loop calls only for a ``j`` that has such
    dependents (``general_ptr[j] < general_ptr[j + 1]``).
    """
    j = np.uint64(j)
    for p in range(np.uint64(dep_ptr[j]), np.uint64(dep_ptr[j + _U1])):
        i = np.uint64(dep_index[p])
        k = kind[i]
        if k == KIND_ZEROTH:
            a[i] = rate[i]
        elif k == KIND_FIRST:
            a[i] = rate[i] * float(x[np.uint64(first[i])])
        elif k == KIND_PAIR:
            a[i] = rate[i] * float(x[np.uint64(first[i])]) * float(x[np.uint64(second[i])])
        elif k == KIND_DIMER:
            count = float(x[np.uint64(first[i])])
            a[i] = rate[i] * count * (count - 1.0) * 0.5


@njit(cache=True)
def elementary_comb(kind, count1, count2):
    """``prod_s C(x_s, r_s)`` of elementary mass action of ``kind`` from reactant counts.

    The arithmetic of :func:`~._propensity.combinatorial` (so ``k * comb`` is bit for bit
    its propensity); ``count2`` is read for :data:`KIND_PAIR` only. Scalars in, scalar
    out, so it inlines.
    """
    if kind == KIND_ZEROTH:
        return 1.0
    if kind == KIND_FIRST:
        return float(count1)
    if kind == KIND_PAIR:
        return float(count1) * float(count2)
    count = float(count1)
    return count * (count - 1.0) / 2.0


@njit(cache=True)
def refresh_general(j, x, a, theta, general_ptr, general_index, laws):
    """Recompute the general-law propensities among the dependents of ``j`` at ``theta``.

    ``laws`` is :func:`~._propensity.law_fields` of the network, taken out once per
    trajectory: this call sits in event loops, where passing the whole network tuple
    (one reference count per array) slowed the loop even when the call was not taken.
    """
    for p in range(general_ptr[j], general_ptr[j + 1]):
        i = general_index[p]
        a[i] = law_propensity(i, x, theta, laws)


@njit(cache=True)
def save_dependents(j, a, dep_ptr, dep_index, saved):
    """Copy the propensities of reaction ``j``'s dependents into ``saved`` (before a refresh)."""
    lo = dep_ptr[j]
    for p in range(lo, dep_ptr[j + 1]):
        saved[p - lo] = a[dep_index[p]]


@njit(cache=True)
def dependents_change(j, a, dep_ptr, dep_index, saved):
    """``sum (a_new - a_old)`` over reaction ``j``'s dependents (``saved``: the old values)."""
    lo = dep_ptr[j]
    change = 0.0
    for p in range(lo, dep_ptr[j + 1]):
        change += a[dep_index[p]] - saved[p - lo]
    return change


@njit(cache=True, inline="always")
def record_until(states, m, times, t_next, x):
    """Write ``x`` for every observation before ``t_next`` from index ``m``; the next ``m``.

    Inlined by Numba (``inline="always"``): left to LLVM, the call was not inlined and
    cost the direct method ~10 % per event (in-process A/B).
    """
    m = np.uint64(m)
    end = np.uint64(times.shape[0])
    while m < end and times[m] < t_next:
        for s in range(x.shape[0]):
            states[m, s] = x[s]
        m += _U1
    return np.int64(m)


@njit(cache=True)
def fill_from(states, m, x):
    """Hold ``x`` at every observation from index ``m`` on (a capped trajectory)."""
    for mm in range(m, states.shape[0]):
        for s in range(x.shape[0]):
            states[mm, s] = x[s]
