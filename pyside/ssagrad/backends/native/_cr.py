"""Composition-rejection (Slepoy, Thompson and Plimpton 2008; JumpProcesses' DirectCR): its
pieces of the SSA loop (:mod:`._ssa`).

Reactions with a positive propensity are grouped by its binary exponent: group ``e``
holds the reactions with ``2^(e-1) <= a_j < 2^e``. An event picks a group with
probability proportional to its sum (a scan over the few non-empty groups), then a member
by rejection: a uniform member ``j`` is accepted with probability ``a_j / 2^e >= 1/2``.
The result is reaction ``j`` with probability ``a_j / a0`` exactly, at a cost that does
not grow with the number of reactions. Group sums follow the dependents' changes and are
summed afresh every ``R`` events (rounding cannot drift); a reaction whose propensity
changes exponent moves between groups in ``O(1)``.

Groups live in ``SLOTS`` slots, taken and freed as exponents appear and disappear; a
slot's members are a list with capacity ``R``. The integer bookkeeping is one array,
``book`` (see :func:`new_table`): helpers called once per event take three arrays, not a
tuple of eight, whose reference counts would cost more than the rest of the event.
"""

import math

import numpy as np
from numba import njit

from ._rng import rng_uniform_words

#: Binary exponents of positive doubles (``math.frexp``) lie in ``[EXP_MIN, EXP_MAX]``.
EXP_MIN = -1074
EXP_MAX = 1024
#: Most groups at once: positive propensities may span a factor ``2^SLOTS``.
SLOTS = 160
#: ``book[SLOT_OF + e - EXP_MIN]``: the slot of exponent ``e``, -1 if none.
SLOT_OF = 1


@njit(cache=True)
def _offsets(n_slots, n_reactions):
    """Where the parts of ``book`` start: (groups, size, active, active_pos, free, owner, place).

    ``book[0]`` is the number of open slots; then ``slot_of`` (one per exponent); per
    slot ``g``: its exponent, its member count, the open-slot list and ``g``'s position
    in it, the free-slot stack (growing down from its end); per reaction ``j``: its slot
    (-1 if its propensity is 0) and its position among the slot's members.
    """
    groups = SLOT_OF + EXP_MAX - EXP_MIN + 1
    size = groups + n_slots
    active = size + n_slots
    active_pos = active + n_slots
    free = active_pos + n_slots
    owner = free + n_slots
    return groups, size, active, active_pos, free, owner, owner + n_reactions


@njit(cache=True)
def new_table(n_reactions):
    """Empty groups for ``n_reactions``: ``(book, members (G, R), total (G,))``."""
    n_slots = min(SLOTS, n_reactions)
    _, _, _, _, free, owner, place = _offsets(n_slots, n_reactions)
    book = np.empty(place + n_reactions, dtype=np.int64)
    book[0] = 0
    book[SLOT_OF : SLOT_OF + EXP_MAX - EXP_MIN + 1] = -1
    for g in range(n_slots):
        book[free + g] = g
    book[owner:place] = -1
    return book, np.empty((n_slots, n_reactions), dtype=np.int64), np.empty(n_slots)


@njit(cache=True)
def insert(j, aj, book, members, total):
    """Add reaction ``j`` (propensity ``aj > 0``) to the group of its exponent."""
    n_slots, n_reactions = members.shape
    groups, size, active, active_pos, free, owner, place = _offsets(n_slots, n_reactions)
    e = math.frexp(aj)[1]
    g = book[SLOT_OF + e - EXP_MIN]
    if g < 0:  # open a group in a free slot
        n_open = book[0]
        if n_open == n_slots:
            raise ValueError("composition-rejection: propensities span more than 2**160")
        g = book[free + n_slots - 1 - n_open]
        book[SLOT_OF + e - EXP_MIN] = g
        book[groups + g] = e
        book[active + n_open] = g
        book[active_pos + g] = n_open
        book[0] = n_open + 1
        book[size + g] = 0
        total[g] = 0.0
    k = book[size + g]
    members[g, k] = j
    book[owner + j] = g
    book[place + j] = k
    book[size + g] = k + 1
    total[g] += aj


@njit(cache=True)
def _remove(j, old, book, members, total):
    """Take reaction ``j`` (previous propensity ``old``) out of its group; close an empty one."""
    n_slots, n_reactions = members.shape
    groups, size, active, active_pos, free, owner, place = _offsets(n_slots, n_reactions)
    g = book[owner + j]
    n = book[size + g] - 1
    last = members[g, n]
    members[g, book[place + j]] = last
    book[place + last] = book[place + j]
    book[size + g] = n
    total[g] -= old
    book[owner + j] = -1
    if n == 0:
        book[SLOT_OF + book[groups + g] - EXP_MIN] = -1
        n_open = book[0]
        moved = book[active + n_open - 1]  # the last open slot takes g's place in the list
        book[active + book[active_pos + g]] = moved
        book[active_pos + moved] = book[active_pos + g]
        book[0] = n_open - 1
        book[free + n_slots - n_open] = g


@njit(cache=True)
def resum(a, book, members, total):
    """Sum every open group afresh; return the total propensity."""
    active = _offsets(members.shape[0], members.shape[1])[2]
    size = active - members.shape[0]
    a0 = 0.0
    for k in range(book[0]):
        g = book[active + k]
        s = 0.0
        for q in range(book[size + g]):
            s += a[members[g, q]]
        total[g] = s
        a0 += s
    return a0


@njit(cache=True)
def choose(a, target, book, members, total, s0, s1, s2, s3):
    """Composition (group by ``target``), then rejection (member); return (j, stream)."""
    groups, size, active, _, _, _, _ = _offsets(members.shape[0], members.shape[1])
    g = book[active]
    for k in range(book[0]):
        g = book[active + k]
        if target < total[g]:
            break
        target -= total[g]
    bound = math.ldexp(1.0, book[groups + g])
    n = book[size + g]
    while True:
        u, s0, s1, s2, s3 = rng_uniform_words(s0, s1, s2, s3)
        j = members[g, int(u * n)]
        v, s0, s1, s2, s3 = rng_uniform_words(s0, s1, s2, s3)
        if v * bound < a[j]:
            return j, s0, s1, s2, s3


@njit(cache=True)
def regroup(j, a, saved, dep_ptr, dep_index, book, members, total):
    """Move reaction ``j``'s dependents to their new groups; return the change of ``a0``."""
    groups, _, _, _, _, owner, _ = _offsets(members.shape[0], members.shape[1])
    lo = dep_ptr[j]
    change = 0.0
    for p in range(lo, dep_ptr[j + 1]):
        i = dep_index[p]
        old = saved[p - lo]
        new = a[i]
        if new == old:
            continue
        change += new - old
        g = book[owner + i]
        if g >= 0 and new > 0.0 and math.frexp(new)[1] == book[groups + g]:
            total[g] += new - old
            continue
        if g >= 0:
            _remove(i, old, book, members, total)
        if new > 0.0:
            insert(i, new, book, members, total)
    return change
