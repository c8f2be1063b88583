"""The exact SSA with events and time-dependent rates (native kernel; simulation only).

The direct method, extended in two ways (see docs/simulation.md):

* **Events** (:mod:`ssagrad.events`). Triggers are checked after every reaction and at
  every watched time (the thresholds of the comparisons with ``t``, evaluated at the
  current state); an event fires when its trigger goes from false to true, all its
  assignments are computed first and then applied, and triggers are checked again
  until none fires (a cascade of at most :data:`MAX_CASCADE` rounds). Between reactions
  the propensities are constant in time, so a waiting time that would reach past a
  watched time is cut there and drawn again from it (exact, by memorylessness).
* **Time-dependent rates** by thinning (Lewis & Shedler 1979): candidate times come at
  the constant rate ``B`` (``rate_bound``), a candidate at ``s`` is a reaction with
  probability ``a0(x, s) / B`` (chosen by inversion of ``a(x, s)``) and nothing
  otherwise. Exact as long as ``a0 <= B`` along the path; a candidate with
  ``a0 > B`` stops the trajectory with :data:`STATUS_RATE_BOUND`.

Every propensity is computed by the general path at the trajectory's own copy of
``theta`` (events may assign parameters).
"""

import math

import numpy as np
from numba import njit, prange

from ...network import EXPRESSION
from .._contract import (
    STATUS_BAD_ASSIGNMENT,
    STATUS_CASCADE,
    STATUS_MAX_EVENTS,
    STATUS_OK,
    STATUS_RATE_BOUND,
)
from ._core import fill_from, fire, propensity_sum, record_until, select
from ._expression import expression_value, run
from ._propensity import combinatorial, propensity
from ._rng import rng_exponential_words, rng_init_words, rng_uniform_words

#: Rounds of events triggered by events at one instant before giving up.
MAX_CASCADE = 100


@njit(cache=True)
def propensity_at(j, x, theta, net, t):
    """``a_j(x)`` at time ``t`` (only expression laws read the time)."""
    if net.rate_code[j] == EXPRESSION:
        value = expression_value(j, x, theta, net.expr_int, net.expr_float, t)
        return value * combinatorial(j, x, net)
    return propensity(j, x, theta, net)


@njit(cache=True)
def all_propensities(x, theta, net, t, a):
    """``a[j] = a_j(x)`` at time ``t`` for every reaction."""
    for j in range(a.shape[0]):
        a[j] = propensity_at(j, x, theta, net, t)


@njit(cache=True)
def next_watch(ev, x, theta, net, t):
    """The earliest watched threshold after ``t`` (``inf`` if none)."""
    watch = ev[6]
    best = math.inf
    for w in range(watch.shape[0]):
        c = run(net.expr_int, watch[w, 0], watch[w, 1], x, theta, t)
        if c > t and c < best:
            best = c
    return best


@njit(cache=True)
def fire_events(ev, x, theta, net, t, armed, values):
    """Fire every event whose trigger became true at ``t``, in cascades; a status."""
    trigger, _, assign_ptr, target, value = ev[0], ev[1], ev[2], ev[3], ev[4]
    for _ in range(MAX_CASCADE):
        fired = False
        for e in range(trigger.shape[0]):
            now = run(net.expr_int, trigger[e, 0], trigger[e, 1], x, theta, t)
            if now == 0.0:
                armed[e] = True  # false now: may fire when it becomes true
                continue
            if not armed[e]:
                continue
            armed[e] = False
            fired = True
            lo, hi = assign_ptr[e], assign_ptr[e + 1]
            for q in range(lo, hi):  # every value first, with the state before the event
                values[q - lo] = run(net.expr_int, value[q, 0], value[q, 1], x, theta, t)
            for q in range(lo, hi):
                var, v = target[q], values[q - lo]
                if var >= 0:
                    theta[var] = v
                else:
                    count = math.floor(v + 0.5) if math.isfinite(v) else -1.0
                    if count < 0.0:
                        return STATUS_BAD_ASSIGNMENT
                    x[-1 - var] = np.int64(count)
        if not fired:
            return STATUS_OK
    return STATUS_CASCADE


@njit(cache=True)
def event_trajectory(net, ev, x0, times, seed, max_events, rate_bound, states):
    """One trajectory with events and/or thinning into ``states``; (events, status)."""
    s0, s1, s2, s3 = rng_init_words(seed)
    theta = net.theta.copy()
    x = x0.copy()
    n_times = times.shape[0]
    a = np.empty(net.rate.shape[0])
    armed = ev[1] == 0  # initial_value False: a trigger true at t = 0 fires
    values = np.empty(max(ev[3].shape[0], 1))
    thinning = rate_bound > 0.0
    t, m, events = 0.0, 0, 0
    status = fire_events(ev, x, theta, net, t, armed, values)
    all_propensities(x, theta, net, t, a)
    while status == STATUS_OK:
        watch = next_watch(ev, x, theta, net, t)
        total = rate_bound if thinning else propensity_sum(a)
        tau = math.inf
        if total > 0.0:
            e, s0, s1, s2, s3 = rng_exponential_words(s0, s1, s2, s3)
            tau = e / total
        t_next = t + tau
        if t_next >= watch:  # stop at the watched time, let events fire, draw again
            m = record_until(states, m, times, watch, x)
            if m == n_times:
                return events, STATUS_OK
            t = watch
            status = fire_events(ev, x, theta, net, t, armed, values)
            all_propensities(x, theta, net, t, a)
            continue
        m = record_until(states, m, times, t_next, x)
        if m == n_times:
            return events, STATUS_OK
        if events >= max_events:
            fill_from(states, m, x)
            return events, STATUS_MAX_EVENTS
        u, s0, s1, s2, s3 = rng_uniform_words(s0, s1, s2, s3)
        t = t_next
        if thinning:
            all_propensities(x, theta, net, t, a)
            a0 = propensity_sum(a)
            if a0 > rate_bound:
                fill_from(states, m, x)
                return events, STATUS_RATE_BOUND
            if u * rate_bound >= a0:
                continue  # a rejected candidate: nothing happens
            j = select(a, u * rate_bound)
        else:
            j = select(a, u * total)
        fire(j, x, net.change_ptr, net.change_species, net.change_delta)
        events += 1
        status = fire_events(ev, x, theta, net, t, armed, values)
        all_propensities(x, theta, net, t, a)
    fill_from(states, m, x)
    return events, status


@njit(cache=True, parallel=True)
def event_ensemble(net, ev, x0, times, seeds, max_events, rate_bound, states, events, status):
    """:func:`event_trajectory` for every seed, in parallel (thread-count independent)."""
    for i in prange(seeds.shape[0]):
        e, s = event_trajectory(net, ev, x0, times, seeds[i], max_events, rate_bound, states[i])
        events[i], status[i] = e, s
