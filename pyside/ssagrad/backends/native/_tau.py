"""Fixed-step tau-leaping with a non-negativity guard (native kernel).

Each step of length ``dt`` (shortened to land on observation times) fires reaction
``j`` a Poisson(``a_j(x) dt``) number of times. If a species would become negative the
leap is rejected and retried with half the step (the guard), down to single steps.
"""

import numpy as np
from numba import njit, prange

from .._contract import STATUS_MAX_EVENTS, STATUS_OK
from ._core import fill_from
from ._propensity import propensity
from ._rng import rng_init, rng_poisson


@njit(cache=True)
def tau_trajectory(net, x0, times, seed, dt, max_events, states):
    """Tau-leap one trajectory into ``states`` (T x S); return (reaction firings, status)."""
    n_reactions = net.rate.shape[0]
    change_ptr, change_species, change_delta = net.change_ptr, net.change_species, net.change_delta
    theta = net.theta
    rng = rng_init(seed)
    x = x0.copy()
    trial = np.empty_like(x)
    a = np.empty(n_reactions)
    t = 0.0
    events = 0
    for m in range(times.shape[0]):
        while t < times[m]:
            h = min(dt, times[m] - t)
            for j in range(n_reactions):
                a[j] = propensity(j, x, theta, net)
            while True:
                trial[:] = x
                fired = 0
                for j in range(n_reactions):
                    k = rng_poisson(rng, a[j] * h)
                    fired += k
                    for p in range(change_ptr[j], change_ptr[j + 1]):
                        trial[change_species[p]] += k * change_delta[p]
                if trial.min() >= 0:
                    break
                h *= 0.5
            x[:] = trial
            events += fired
            t = t + h if t + h < times[m] else times[m]
            if events >= max_events:
                fill_from(states, m, x)
                return events, STATUS_MAX_EVENTS
        states[m, :] = x
    return events, STATUS_OK


@njit(cache=True, parallel=True)
def tau_ensemble(net, x0, times, seeds, dt, max_events, states, events, status):
    """Tau-leap ``len(seeds)`` trajectories in parallel into ``states`` (N x T x S)."""
    for i in prange(seeds.shape[0]):
        e, s = tau_trajectory(net, x0, times, seeds[i], dt, max_events, states[i])
        events[i] = e
        status[i] = s
