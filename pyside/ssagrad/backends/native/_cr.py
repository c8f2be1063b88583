"""Composition-rejection SSA (Slepoy, Thompson and Plimpton 2008; JumpProcesses' DirectCR).

Reactions with a positive propensity are grouped by its binary exponent: group ``e``
holds the reactions with ``2^(e-1) <= a_j < 2^e``. An event picks a group with
probability proportional to its sum (a scan over the few non-empty groups), then a member
by rejection: a uniform member ``j`` is accepted with probability ``a_j / 2^e >= 1/2``.
The result is reaction ``j`` with probability ``a_j / a0`` exactly, at a cost that does
not grow with the number of reactions. Group sums follow the dependents' changes and are
summed afresh every ``R`` events (rounding cannot drift); a reaction whose propensity
changes exponent moves between groups in ``O(1)``.

Groups live in ``SLOTS`` slots, taken and freed as exponents appear and disappear
(``slot_of[e - EXP_MIN]``); a slot's members are a list with capacity ``R``.
"""

import math
from typing import NamedTuple

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
    waiting_time,
)
from ._rng import rng_init_words, rng_uniform_words

#: Binary exponents of positive doubles (``math.frexp``) lie in ``[EXP_MIN, EXP_MAX]``.
EXP_MIN = -1074
EXP_MAX = 1024
#: Most groups at once: positive propensities may span a factor ``2^SLOTS``.
SLOTS = 160


class GroupTable(NamedTuple):
    """Integer bookkeeping of the groups (slots ``g``, exponents ``e``, reactions ``j``)."""

    slot_of: np.ndarray  # (EXP_MAX - EXP_MIN + 1,) slot of exponent e, -1 if none
    groups: np.ndarray  # (G,) exponent of slot g
    size: np.ndarray  # (G,) members of slot g
    active: np.ndarray  # (G + 1,) number of open slots, then the open slots
    active_pos: np.ndarray  # (G,) position of slot g in ``active``
    free: np.ndarray  # (G,) free slots, a stack growing down from the end
    owner: np.ndarray  # (R,) slot of reaction j, -1 if its propensity is 0
    place: np.ndarray  # (R,) position of reaction j among its slot's members


@njit(cache=True)
def new_table(n_reactions):
    """Scratch for :func:`cr_trajectory`: ``(GroupTable, members (G, R), total (G,))``."""
    n_slots = min(SLOTS, n_reactions)
    table = GroupTable(
        np.empty(EXP_MAX - EXP_MIN + 1, dtype=np.int64),
        np.empty(n_slots, dtype=np.int64),
        np.empty(n_slots, dtype=np.int64),
        np.empty(n_slots + 1, dtype=np.int64),
        np.empty(n_slots, dtype=np.int64),
        np.empty(n_slots, dtype=np.int64),
        np.empty(n_reactions, dtype=np.int64),
        np.empty(n_reactions, dtype=np.int64),
    )
    return table, np.empty((n_slots, n_reactions), dtype=np.int64), np.empty(n_slots)


@njit(cache=True)
def reset_table(table):
    """Empty every group."""
    table.slot_of[:] = -1
    table.active[0] = 0
    for g in range(table.free.shape[0]):
        table.free[g] = g
    table.owner[:] = -1


@njit(cache=True)
def _insert(j, aj, table, members, total):
    """Add reaction ``j`` (propensity ``aj > 0``) to the group of its exponent."""
    e = math.frexp(aj)[1]
    g = table.slot_of[e - EXP_MIN]
    if g < 0:  # open a group in a free slot
        n_open = table.active[0]
        if n_open == table.groups.shape[0]:
            raise ValueError("composition-rejection: propensities span more than 2**160")
        g = table.free[table.free.shape[0] - 1 - n_open]
        table.slot_of[e - EXP_MIN] = g
        table.groups[g] = e
        table.active[0] = n_open + 1
        table.active[n_open + 1] = g
        table.active_pos[g] = n_open + 1
        table.size[g] = 0
        total[g] = 0.0
    members[g, table.size[g]] = j
    table.owner[j] = g
    table.place[j] = table.size[g]
    table.size[g] += 1
    total[g] += aj


@njit(cache=True)
def _remove(j, old, table, members, total):
    """Take reaction ``j`` (previous propensity ``old``) out of its group; close an empty one."""
    g = table.owner[j]
    n = table.size[g] - 1
    last = members[g, n]
    members[g, table.place[j]] = last
    table.place[last] = table.place[j]
    table.size[g] = n
    total[g] -= old
    table.owner[j] = -1
    if n == 0:
        table.slot_of[table.groups[g] - EXP_MIN] = -1
        n_open = table.active[0]
        moved = table.active[n_open]  # the last open group takes g's place in the list
        table.active[table.active_pos[g]] = moved
        table.active_pos[moved] = table.active_pos[g]
        table.active[0] = n_open - 1
        table.free[table.free.shape[0] - n_open] = g


@njit(cache=True)
def _resum(a, table, members, total):
    """Sum every open group afresh; return the total propensity."""
    a0 = 0.0
    for k in range(1, table.active[0] + 1):
        g = table.active[k]
        s = 0.0
        for q in range(table.size[g]):
            s += a[members[g, q]]
        total[g] = s
        a0 += s
    return a0


@njit(cache=True)
def _choose(a, target, table, members, total, s0, s1, s2, s3):
    """Composition (group by ``target``), then rejection (member); return (j, stream)."""
    g = table.active[1]
    for k in range(1, table.active[0] + 1):
        g = table.active[k]
        if target < total[g]:
            break
        target -= total[g]
    bound = math.ldexp(1.0, table.groups[g])
    size = table.size[g]
    while True:
        u, s0, s1, s2, s3 = rng_uniform_words(s0, s1, s2, s3)
        j = members[g, int(u * size)]
        v, s0, s1, s2, s3 = rng_uniform_words(s0, s1, s2, s3)
        if v * bound < a[j]:
            return j, s0, s1, s2, s3


@njit(cache=True)
def _regroup(j, a, saved, dep_ptr, dep_index, table, members, total):
    """Move reaction ``j``'s dependents to their new groups; return the change of ``a0``."""
    lo = dep_ptr[j]
    change = 0.0
    for p in range(lo, dep_ptr[j + 1]):
        i = dep_index[p]
        old = saved[p - lo]
        new = a[i]
        if new == old:
            continue
        change += new - old
        g = table.owner[i]
        if g >= 0 and new > 0.0 and math.frexp(new)[1] == table.groups[g]:
            total[g] += new - old
            continue
        if g >= 0:
            _remove(i, old, table, members, total)
        if new > 0.0:
            _insert(i, new, table, members, total)
    return change


@njit(cache=True)
def cr_trajectory(net, x0, times, seed, max_events, states, table, members, total):
    """Simulate one trajectory into ``states`` (T x S); return (events, status).

    ``table``, ``members`` and ``total`` are scratch (see :func:`new_table`), reset here.
    """
    s0, s1, s2, s3 = rng_init_words(seed)
    change_ptr, change_species, change_delta = net.change_ptr, net.change_species, net.change_delta
    dep_ptr, dep_index = net.dependency_ptr, net.dependency_index
    kind, first, second, rate = net.kind, net.first, net.second, net.rate
    n_reactions = rate.shape[0]
    x = x0.copy()
    a = np.empty(n_reactions)
    initial_propensities(x, net, a)
    reset_table(table)
    for j in range(n_reactions):
        if a[j] > 0.0:
            _insert(j, a[j], table, members, total)
    a0 = _resum(a, table, members, total)
    saved = np.empty(n_reactions)
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
        j, s0, s1, s2, s3 = _choose(a, u * a0, table, members, total, s0, s1, s2, s3)
        fire(j, x, change_ptr, change_species, change_delta)
        save_dependents(j, a, dep_ptr, dep_index, saved)
        if refresh_dependents(j, x, a, dep_ptr, dep_index, kind, first, second, rate):
            refresh_general(j, x, a, net)
        a0 += _regroup(j, a, saved, dep_ptr, dep_index, table, members, total)
        t = t_next
        events += 1
        if events % n_reactions == 0:
            a0 = _resum(a, table, members, total)


@njit(cache=True, parallel=True)
def cr_ensemble(net, x0, times, seeds, max_events, states, events, status):
    """Simulate ``len(seeds)`` trajectories in parallel into ``states`` (N x T x S)."""
    for i in prange(seeds.shape[0]):
        table, members, total = new_table(net.rate.shape[0])
        e, s = cr_trajectory(net, x0, times, seeds[i], max_events, states[i], table, members, total)
        events[i] = e
        status[i] = s
