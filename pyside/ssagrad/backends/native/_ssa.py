"""The SSA loop, written once for the exact methods: direct, sorting, nrm and cr.

JumpProcesses-style: the loop below is the same for every method, and each method
supplies only its own pieces (:mod:`._sorting`, :mod:`._nrm`, :mod:`._cr`; the direct
method's select-by-inversion and sum are in :mod:`._core`)::

    time of the next event   direct/sorting/cr: t + E / a0    nrm: the heap's top
    record, stop at the end or at max_events
    which reaction           direct: inversion   sorting: inversion in a self-sorting
                             order   cr: composition-rejection   nrm: the heap's top
    fire it, refresh its dependents' propensities
    bookkeeping              sorting/cr: a0 by the changes   nrm: rescale the clocks

``method`` is the method's position in :data:`~ssagrad.backends.SSA_METHODS`
(:data:`METHOD_CODES`); a branch on it costs nothing next to an event. The direct method
draws exactly the random numbers of Gillespie's algorithm (an exponential, then a
uniform), so its paths are those of every earlier version of ssagrad.
"""

import numpy as np
from numba import literally, njit, prange

from .._contract import SSA_METHODS, STATUS_MAX_EVENTS, STATUS_OK
from ._core import (
    dependents_change,
    fill_from,
    fire,
    hot_fields,
    propensity_sum,
    record_until,
    refresh_dependents,
    refresh_general,
    save_dependents,
    select,
    start,
    waiting_time,
)
from ._cr import choose, insert, new_table, regroup, resum
from ._expression import fast_general, fast_tables, refresh_rational
from ._nrm import reschedule, start_clocks
from ._propensity import law_fields
from ._rng import rng_init_words, rng_uniform_words
from ._sorting import promote, search

#: SSA method name -> the code :func:`ssa_ensemble` takes.
METHOD_CODES = {name: code for code, name in enumerate(SSA_METHODS)}
DIRECT = METHOD_CODES["direct"]
SORTING = METHOD_CODES["sorting"]
NRM = METHOD_CODES["nrm"]
CR = METHOD_CODES["cr"]


@njit(cache=True)
def direct_trajectory(net, x0, times, seed, max_events, states):
    """Gillespie's direct method: one trajectory into ``states`` (T x S); (events, status).

    Its own loop, not a case of :func:`ssa_trajectory`: with the other methods' state in
    the same function (even folded away), a negative-feedback event took ~30 % longer.
    """
    s0, s1, s2, s3 = rng_init_words(seed)  # the random stream, held in registers
    fields = hot_fields(net)
    change_ptr, change_species, change_delta, _, _, general_ptr = fields[:6]
    kind, first, second, rate = fields[6:]
    x, a = start(net, x0)
    general = general_ptr[-1] > 0  # loop-invariant: mass-action networks skip the check
    ei, ef = net.expr_int, net.expr_float
    rational = fast_general(ei)  # loop-invariant: only whole-propensity rational forms
    tables = fast_tables(ei)
    theta, general_index, laws = net.theta, net.general_index, law_fields(net)
    elementary_ptr, elementary_index = net.elementary_ptr, net.elementary_index
    t, m, events = 0.0, 0, 0
    while True:
        a0 = propensity_sum(a)
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
        refresh_dependents(j, x, a, elementary_ptr, elementary_index, kind, first, second, rate)
        if general and general_ptr[j] < general_ptr[j + 1]:
            if rational:
                refresh_rational(j, x, a, general_ptr, general_index, ei, ef, tables)
            else:
                refresh_general(j, x, a, theta, general_ptr, general_index, laws)
        t = t_next
        events += 1


@njit(cache=True)
def ssa_trajectory(net, method, x0, times, seed, max_events, states):
    """One trajectory with ``method`` (sorting, nrm or cr) into ``states``; (events, status).

    Compiled once per method (``literally``), so the branches on ``method`` fold away.
    """
    literally(method)
    s0, s1, s2, s3 = rng_init_words(seed)  # the random stream, held in registers
    fields = hot_fields(net)
    change_ptr, change_species, change_delta, dep_ptr, dep_index, general_ptr = fields[:6]
    kind, first, second, rate = fields[6:]
    x, a = start(net, x0)
    n = a.shape[0]
    ei, ef = net.expr_int, net.expr_float
    rational = fast_general(ei)
    tables = fast_tables(ei)
    theta, general_index, laws = net.theta, net.general_index, law_fields(net)
    elementary_ptr, elementary_index = net.elementary_ptr, net.elementary_index
    saved = np.empty(n)  # the dependents' propensities before an event
    order = np.arange(n if method == SORTING else 0)
    size = n if method == NRM else 0
    clock, heap, where = np.empty(size), np.empty(size, np.int64), np.empty(size, np.int64)
    table, members, group_total = new_table(n if method == CR else 0)
    a0 = propensity_sum(a)
    if method == NRM:
        s0, s1, s2, s3 = start_clocks(a, clock, heap, where, s0, s1, s2, s3)
    elif method == CR:
        for j in range(n):
            if a[j] > 0.0:
                insert(j, a[j], table, members, group_total)
    m = 0
    t = 0.0
    events = 0
    while True:
        if method == NRM:
            j = heap[0]
            t_next = clock[j]
        else:
            tau, s0, s1, s2, s3 = waiting_time(a0, s0, s1, s2, s3)
            t_next = t + tau
        m = record_until(states, m, times, t_next, x)
        if m == times.shape[0] or events >= max_events:
            fill_from(states, m, x)  # nothing left to fill at the end
            return events, STATUS_OK if m == times.shape[0] else STATUS_MAX_EVENTS
        if method != NRM:
            u, s0, s1, s2, s3 = rng_uniform_words(s0, s1, s2, s3)
            if method == SORTING:
                j = promote(order, search(a, order, u * a0))
            else:
                j, s0, s1, s2, s3 = choose(a, u * a0, table, members, group_total, s0, s1, s2, s3)
        fire(j, x, change_ptr, change_species, change_delta)
        save_dependents(j, a, dep_ptr, dep_index, saved)
        refresh_dependents(j, x, a, elementary_ptr, elementary_index, kind, first, second, rate)
        if general_ptr[j] < general_ptr[j + 1]:
            if rational:
                refresh_rational(j, x, a, general_ptr, general_index, ei, ef, tables)
            else:
                refresh_general(j, x, a, theta, general_ptr, general_index, laws)
        if method == SORTING:
            a0 += dependents_change(j, a, dep_ptr, dep_index, saved)
        elif method == CR:
            a0 += regroup(j, a, saved, dep_ptr, dep_index, table, members, group_total)
        elif method == NRM:
            s0, s1, s2, s3 = reschedule(
                j, t_next, a, saved, clock, heap, where, dep_ptr, dep_index, s0, s1, s2, s3
            )
        t = t_next
        events += 1
        if method != NRM and events % n == 0:  # no drift from the running sums
            a0 = resum(a, table, members, group_total) if method == CR else propensity_sum(a)


@njit(cache=True, parallel=True)
def ssa_ensemble(net, method, x0, times, seeds, max_events, states, events, status):
    """Simulate ``len(seeds)`` trajectories with ``method`` in parallel into ``states``.

    Each trajectory runs on its own seed, so results depend on neither the thread count
    nor the other trajectories. The direct method has a kernel of its own,
    :func:`direct_ensemble` (sharing one with the other methods slowed it down).
    """
    code = literally(method)  # compiled once per method
    for i in prange(seeds.shape[0]):
        e, s = ssa_trajectory(net, code, x0, times, seeds[i], max_events, states[i])
        events[i], status[i] = e, s


@njit(cache=True, parallel=True)
def direct_ensemble(net, x0, times, seeds, max_events, states, events, status):
    """:func:`ssa_ensemble` of the direct method."""
    for i in prange(seeds.shape[0]):
        events[i], status[i] = direct_trajectory(net, x0, times, seeds[i], max_events, states[i])
