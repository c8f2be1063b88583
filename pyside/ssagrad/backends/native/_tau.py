"""Fixed-step tau-leaping with a non-negativity guard (native kernel).

Each step of length ``dt`` (shortened to land on observation times) fires reaction
``j`` a Poisson(``a_j(x) dt``) number of times. If a species would become negative the
leap is rejected and retried with half the step (the guard), down to single steps.
"""

import numpy as np
from numba import njit, prange

from ._direct import STATUS_MAX_EVENTS, STATUS_OK
from ._propensity import CHANGE_DELTA, CHANGE_PTR, CHANGE_SPECIES, propensity
from ._rng import rng_init, rng_poisson


@njit(cache=True)
def tau_trajectory(net, theta, x0, times, seed, dt, max_events, states):
    """Tau-leap one trajectory into ``states`` (T x S); return (reaction firings, status)."""
    n_reactions = net[CHANGE_PTR].shape[0] - 1
    change_ptr = net[CHANGE_PTR]
    change_species = net[CHANGE_SPECIES]
    change_delta = net[CHANGE_DELTA]
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
                for mm in range(m, times.shape[0]):
                    states[mm, :] = x
                return events, STATUS_MAX_EVENTS
        states[m, :] = x
    return events, STATUS_OK


@njit(cache=True, parallel=True)
def tau_ensemble(net, theta, x0, times, seeds, dt, max_events, states, events, status):
    """Tau-leap ``len(seeds)`` trajectories in parallel into ``states`` (N x T x S)."""
    for i in prange(seeds.shape[0]):
        e, s = tau_trajectory(net, theta, x0, times, seeds[i], dt, max_events, states[i])
        events[i] = e
        status[i] = s
