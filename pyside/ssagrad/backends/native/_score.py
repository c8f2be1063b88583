"""Direct-method paths with their causal score functions (native kernel).

For each observation time ``t_m`` the kernel returns the score of the path on
``[0, t_m]``, the derivative of its log-likelihood with respect to every parameter::

    s(t_m) = sum_{t_k <= t_m} d log a_{j_k}(x_{k-1}) / d theta
             - int_0^{t_m} d a0(X(s)) / d theta ds

The integral includes the survival piece from the last event to ``t_m`` (the
probability that nothing fired in between). Paths use exactly the random numbers and
arithmetic of :func:`~ssagrad.backends.native._ssa.ssa_trajectory` (direct), so a seed gives
the same states as :func:`ssagrad.simulate`.

Bookkeeping: a reaction's propensity gradient is non-zero only at its rate-law slots
(one for mass action, three for Hill laws, those an expression reads), so gradients are
stored per reaction and slot. Each reaction carries its own running integral ``int g_j
ds``, brought up to date only when its propensity changes (it is in the dependency list
of the fired reaction). An event therefore costs ``O(dependents)`` like the plain direct
method; only the observation times sum over all reactions. Mass-action propensities and
gradients (``a = k C``, ``da/dk = C``) are written out in the event loop; Hill laws use
:func:`~ssagrad.backends.native._propensity.propensity_gradient`.
"""

import numpy as np
from numba import njit, prange

from ...network import MASS_ACTION
from .._contract import STATUS_MAX_EVENTS, STATUS_OK
from ._core import (
    elementary_comb,
    fill_from,
    fire,
    propensity_sum,
    record_until,
    select,
    waiting_time,
)
from ._network import KIND_GENERAL
from ._propensity import law_fields, law_gradient, reactant_product
from ._rng import rng_init_words, rng_uniform_words


@njit(cache=True)
def _gradient_slots(net, n_params):
    """``(R, W)`` parameter index of each rate-law slot, ``-1`` for literals and repeats.

    A parameter used twice in one rate law keeps only its first slot: the gradient kernel
    accumulates both uses there.
    """
    slots = net.rate_slots
    n_reactions = slots.shape[0]
    width = slots.shape[1]
    out = np.full((n_reactions, width), -1, dtype=np.int64)
    for j in range(n_reactions):
        for k in range(width):
            p = slots[j, k]
            if p < 0 or p >= n_params:
                continue
            repeat = False
            for kk in range(k):
                if slots[j, kk] == p:
                    repeat = True
            if not repeat:
                out[j, k] = p
    return out


@njit(cache=True)
def _general_refresh(j, x, theta, laws, gslot, scratch, a, grad):
    """Recompute a reaction's propensity ``a[j]`` and slot gradients ``grad[j, :]`` (any law)."""
    a[j] = law_gradient(j, x, theta, laws, scratch)
    for k in range(gslot.shape[1]):
        p = gslot[j, k]
        grad[j, k] = scratch[p] if p >= 0 else 0.0


@njit(cache=True)
def _observe(t_obs, event_score, gslot, grad, integral, t_last, out):
    """Score at ``t_obs`` into ``out``: event terms minus the integrated gradient of ``a0``."""
    for p in range(out.shape[0]):
        out[p] = event_score[p]
    for j in range(grad.shape[0]):
        dt = t_obs - t_last[j]
        for k in range(gslot.shape[1]):
            p = gslot[j, k]
            if p >= 0:
                out[p] -= integral[j, k] + grad[j, k] * dt


@njit(cache=True)
def score_trajectory(net, gslot, x0, times, seed, max_events, states, scores):
    """One trajectory into ``states`` (T x S) and ``scores`` (T x P); return (events, status).

    ``gslot`` is :func:`_gradient_slots` for the ``P`` parameters. ``scores[m, p]`` is
    ``d log p(path on [0, times[m]]) / d theta[p]``. Times not reached before
    ``max_events`` get the last state and NaN scores.
    """
    n_reactions = net.rate.shape[0]
    n_params = scores.shape[1]
    change_ptr, change_species, change_delta = net.change_ptr, net.change_species, net.change_delta
    dep_ptr, dep_index = net.dependency_ptr, net.dependency_index
    rate_code, theta = net.rate_code, net.theta
    kind, first, second, rate = net.kind, net.first, net.second, net.rate
    laws = law_fields(net)
    r_ptr, r_species, r_coeff = laws[3:6]
    scratch = np.empty(theta.shape[0])
    s0, s1, s2, s3 = rng_init_words(seed)  # the random stream, held in registers
    x = x0.copy()
    a = np.zeros(n_reactions)
    width = gslot.shape[1]  # 3, or the most parameters an expression law reads
    grad = np.zeros((n_reactions, width))
    integral = np.zeros((n_reactions, width))
    t_last = np.zeros(n_reactions)
    event_score = np.zeros(n_params)
    # Reactions to refresh before the next draw: all of them at the start, then the
    # dependents of the reaction that fired.
    stale = np.arange(n_reactions)
    lo, hi = 0, n_reactions
    n_times = times.shape[0]
    m = 0
    t = 0.0
    events = 0
    while True:
        for q in range(lo, hi):
            i = stale[q]
            dt = t - t_last[i]
            for k in range(width):
                integral[i, k] += grad[i, k] * dt
            t_last[i] = t
            if kind[i] != KIND_GENERAL:
                # Elementary mass action written out, with the arithmetic of
                # ``combinatorial`` (a call that takes the network tuple costs more than
                # the event): comb = C, then a = k C and da/dk = C.
                comb = elementary_comb(kind[i], x[first[i]], x[second[i]])
                a[i] = rate[i] * comb
                grad[i, 0] = comb if gslot[i, 0] >= 0 else 0.0
            elif rate_code[i] == MASS_ACTION:
                comb = reactant_product(i, x, r_ptr, r_species, r_coeff)
                a[i] = rate[i] * comb
                grad[i, 0] = comb if gslot[i, 0] >= 0 else 0.0
            else:
                _general_refresh(i, x, theta, laws, gslot, scratch, a, grad)
        a0 = propensity_sum(a)
        tau, s0, s1, s2, s3 = waiting_time(a0, s0, s1, s2, s3)
        t_next = t + tau
        reached = record_until(states, m, times, t_next, x)
        for mm in range(m, reached):
            _observe(times[mm], event_score, gslot, grad, integral, t_last, scores[mm])
        m = reached
        if m == n_times:
            return events, STATUS_OK
        if events >= max_events:
            fill_from(states, m, x)
            scores[m:] = np.nan
            return events, STATUS_MAX_EVENTS
        u, s0, s1, s2, s3 = rng_uniform_words(s0, s1, s2, s3)
        j = select(a, u * a0)
        # Event term d log a_j / d theta at the pre-event state (a[j] > 0 here).
        for k in range(width):
            p = gslot[j, k]
            if p >= 0 and grad[j, k] != 0.0:
                event_score[p] += grad[j, k] / a[j]
        fire(j, x, change_ptr, change_species, change_delta)
        stale = dep_index
        lo, hi = dep_ptr[j], dep_ptr[j + 1]
        t = t_next
        events += 1


@njit(cache=True, parallel=True)
def score_ensemble(net, n_params, x0, times, seeds, max_events, states, scores, events, status):
    """``len(seeds)`` trajectories in parallel into ``states`` (N x T x S), ``scores`` (N x T x P)
    and ``events`` (N,), the reactions each fired.

    Each trajectory owns the random stream of its seed, so results do not depend on the
    number of threads.
    """
    gslot = _gradient_slots(net, n_params)
    for i in prange(seeds.shape[0]):
        e, s = score_trajectory(net, gslot, x0, times, seeds[i], max_events, states[i], scores[i])
        events[i] = e
        status[i] = s
