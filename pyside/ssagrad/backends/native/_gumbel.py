"""Gumbel-softmax straight-through (GS-ST) tangents on exact direct-method paths (native kernel).

Forward pass: an exact SSA. The waiting time is ``tau = E / a0`` with ``E ~ Exp(1)``; the
reaction is chosen by the Gumbel-max trick ``argmax_j (log a_j + g_j)`` over the live
reactions (``a_j > 0``), with ``g_j = -log e_j`` and ``e_j ~ Exp(1)``, i.e. the argmax of
``a_j / e_j``. That picks ``j`` with probability ``a_j / a0``: the path is exact in
distribution (but not the same path as :func:`ssagrad.simulate` for a given seed).

Tangent pass, forward mode, one tangent per parameter ``theta_p``:

* ``d a_j = d a_j/d theta + sum_s d a_j/d x_s dx_s`` (the state derivative uses the
  continuous extension of the binomial and Hill factors, :func:`propensity_state_gradient`);
* relaxed choice ``y = softmax((log a + g) / lambda)``, ``dz_j = d a_j / (a_j lambda)``,
  ``dy = y * (dz - sum_k y_k dz_k)``; straight-through state tangent ``dx += nu^T dy``
  (the values stay exact integers);
* waiting time ``d tau = -tau d a0 / a0`` (``d a0`` includes the state tangents); the
  event-time tangent ``dt_k`` accumulates;
* observation at ``t_m``: the hard part is ``dx`` after the last event at or before
  ``t_m``; the event-time part smooths the step ``H(t_m - t_k)`` to a logistic
  ``sigma((t_m - t_k) / eps_m)`` in the tangent pass only, adding
  ``-nu_{j_k} sigma'((t_m - t_k) / eps_m) / eps_m * dt_k`` for every event within
  ``WINDOW * eps_m`` of ``t_m`` (before or after it: the path is simulated on past the
  last observation time for that). ``eps_m = min(time_smoothing, t_m / EDGE)``;
  ``time_smoothing = 0`` drops the event-time term (hard lookup).

Performance: a non-inlined helper call that takes arrays pays their reference counting
(the ``net`` tuple alone holds eleven), which costs more than the arithmetic of an
event. The per-event path is therefore written out in :func:`gumbel_trajectory` and only
calls scalar helpers; Hill-law reactions take the slower general path.
"""

import math

import numpy as np
from numba import njit, prange

from ._direct import STATUS_MAX_EVENTS, STATUS_OK
from ._propensity import (
    CHANGE_DELTA,
    CHANGE_PTR,
    CHANGE_SPECIES,
    DEPENDENCY_INDEX,
    DEPENDENCY_PTR,
    RATE_CODE,
    RATE_SLOTS,
    RATE_SPECIES,
    REACTANT_COEFF,
    REACTANT_PTR,
    REACTANT_SPECIES,
    propensity_gradient,
    rate_factor,
)
from ._rng import rng_exponential, rng_init

#: Half-width of the event-time window in units of ``eps``: ``sigma'(12) < 7e-6``.
WINDOW = 12.0
#: The smoothing scale at observation ``t_m`` is at most ``t_m / EDGE``.
EDGE = 4.0


@njit(cache=True)
def _binomial(count, r):
    """``C(count, r)`` as a float (0 when ``count < r``)."""
    if r == 1:
        return float(count)
    if count < r:
        return 0.0
    c = 1.0
    for i in range(r):
        c = c * (count - i) / (i + 1)
    return c


@njit(cache=True)
def binomial_derivative(count, r):
    """``d/dx C(x, r)`` at integer ``x = count`` for the polynomial extension.

    ``C(x, r) = x (x - 1) ... (x - r + 1) / r!``, e.g. ``d/dx [x (x - 1) / 2] = x - 1/2``.
    Below ``r - 1`` the extension is taken as zero (a propensity cannot go negative), so
    the derivative is 0 there.
    """
    if r == 1:
        return 1.0
    if count < r - 1:
        return 0.0
    total = 0.0
    for i in range(r):
        prod = 1.0
        for k in range(r):
            if k != i:
                prod *= count - k
        total += prod
    factorial = 1.0
    for k in range(2, r + 1):
        factorial *= k
    return total / factorial


@njit(cache=True)
def rate_factor_derivative(j, x, theta, net):
    """``d f_j / d x`` at the regulating species of a Hill law (0 for mass action).

    ``hill``: ``v n x^(n-1) K^n / (K^n + x^n)^2``; ``hillr`` is its negative. At ``x = 0``
    the value is ``+-v / K`` for ``n = 1`` and 0 otherwise (the right derivative, capped
    at 0 where it is infinite for ``n < 1``).
    """
    code = net[RATE_CODE][j]
    if code == 0:
        return 0.0
    slots = net[RATE_SLOTS]
    v = theta[slots[j, 0]]
    big_k = theta[slots[j, 1]]
    n = theta[slots[j, 2]]
    level = float(x[net[RATE_SPECIES][j]])
    if level <= 0.0:
        d = v / big_k if (n == 1.0 and big_k > 0.0) else 0.0
    else:
        xn = level**n
        kn = big_k**n
        denom = kn + xn
        if denom <= 0.0:
            return 0.0
        d = v * n * (xn / level) * kn / (denom * denom)
    return d if code == 1 else -d


@njit(cache=True)
def propensity_state_gradient(j, x, theta, net, d_reactant):
    """State derivative of ``a_j`` on the continuous extension of its factors.

    Writes ``f_j(x) d/dx_s prod_s C(x_s, r_js)`` into ``d_reactant[q]`` for each reactant
    entry ``q`` of reaction ``j`` (CSR position in ``net``, species
    ``REACTANT_SPECIES[q]``) and returns ``d f_j / d x * prod_s C(x_s, r_js)``, the part
    through the Hill species ``RATE_SPECIES[j]`` (0 for mass action). A species that is
    both a reactant and the Hill species gets both parts.
    """
    ptr = net[REACTANT_PTR]
    species = net[REACTANT_SPECIES]
    coeff = net[REACTANT_COEFF]
    f = rate_factor(j, x, theta, net)
    comb = 1.0
    for q in range(ptr[j], ptr[j + 1]):
        comb *= _binomial(x[species[q]], coeff[q])
        d = f * binomial_derivative(x[species[q]], coeff[q])
        for q2 in range(ptr[j], ptr[j + 1]):
            if q2 != q:
                d *= _binomial(x[species[q2]], coeff[q2])
        d_reactant[q] = d
    return rate_factor_derivative(j, x, theta, net) * comb


@njit(cache=True)
def _refresh_general(j, x, theta, n_params, net, scratch, a, da_theta, d_reactant, d_hill):
    """Recompute ``a[j]``, its parameter gradient and its state derivatives (any rate law)."""
    a[j] = propensity_gradient(j, x, theta, net, scratch)
    for p in range(n_params):
        da_theta[j, p] = scratch[p]
    d_hill[j] = propensity_state_gradient(j, x, theta, net, d_reactant)


@njit(cache=True)
def observation_smoothing(times, time_smoothing):
    """Smoothing scale at each observation: ``min(time_smoothing, t_m / EDGE)``, 0 at ``t_m = 0``.

    No events precede time 0, so the scale shrinks near it; ``X(0) = x0`` has no
    event-time term at all.
    """
    eps = np.zeros(times.shape[0])
    for m in range(times.shape[0]):
        if times[m] > 0.0:
            eps[m] = min(time_smoothing, times[m] / EDGE)
    return eps


@njit(cache=True)
def gumbel_trajectory(
    net, theta, n_params, x0, times, seed, max_events, inv_temp, eps, states, tangents
):
    """One GS-ST trajectory: states (T x S) and tangents (T x S x P); return (events, status).

    ``tangents`` is overwritten. ``inv_temp`` is ``1 / temperature``; ``eps`` (T,) the time
    smoothing at each observation (0: hard lookup, no event-time term).
    """
    n_reactions = net[CHANGE_PTR].shape[0] - 1
    n_species = x0.shape[0]
    change_ptr = net[CHANGE_PTR]
    change_species = net[CHANGE_SPECIES]
    change_delta = net[CHANGE_DELTA]
    dep_ptr = net[DEPENDENCY_PTR]
    dep_index = net[DEPENDENCY_INDEX]
    rate_code = net[RATE_CODE]
    hill_species = net[RATE_SPECIES]
    rate_slots = net[RATE_SLOTS]
    reactant_ptr = net[REACTANT_PTR]
    reactant_species = net[REACTANT_SPECIES]
    reactant_coeff = net[REACTANT_COEFF]
    n_times = times.shape[0]
    rng = rng_init(seed)

    x = x0.copy()
    a = np.empty(n_reactions)
    da_theta = np.zeros((n_reactions, n_params))  # d a_j / d theta_p at the current state
    d_reactant = np.zeros(reactant_species.shape[0])  # d a_j / d x at each reactant entry
    d_hill = np.zeros(n_reactions)  # d a_j / d x at the Hill species
    scratch = np.empty(theta.shape[0])
    da = np.empty((n_reactions, n_params))  # total tangent of a_j
    dx = np.zeros((n_species, n_params))
    dt = np.zeros(n_params)
    y = np.empty(n_reactions)
    mean_dz = np.empty(n_params)
    for j in range(n_reactions):
        _refresh_general(j, x, theta, n_params, net, scratch, a, da_theta, d_reactant, d_hill)
    tangents[:, :, :] = 0.0

    reach = 0.0
    for mm in range(n_times):
        reach = max(reach, WINDOW * eps[mm])
    t_last = times[n_times - 1]
    m = 0  # next observation to record
    t = 0.0
    events = 0
    while True:
        a0 = 0.0
        for j in range(n_reactions):
            a0 += a[j]
        if a0 > 0.0:
            tau = rng_exponential(rng) / a0
            t_next = t + tau
        else:
            tau = np.inf
            t_next = np.inf
        while m < n_times and times[m] < t_next:
            for s in range(n_species):
                states[m, s] = x[s]
                for p in range(n_params):
                    tangents[m, s, p] += dx[s, p]
            m += 1
        # Done once every observation is recorded and the next event is out of their reach.
        if m == n_times and not t_next - reach <= t_last:
            return events, STATUS_OK
        if events >= max_events:
            for mm in range(m, n_times):
                for s in range(n_species):
                    states[mm, s] = x[s]
                    for p in range(n_params):
                        tangents[mm, s, p] += dx[s, p]
            return events, STATUS_MAX_EVENTS

        # Total propensity tangents (parameters and state) and the waiting-time tangent.
        for j in range(n_reactions):
            for p in range(n_params):
                da[j, p] = da_theta[j, p]
            for q in range(reactant_ptr[j], reactant_ptr[j + 1]):
                d = d_reactant[q]
                if d != 0.0:
                    s = reactant_species[q]
                    for p in range(n_params):
                        da[j, p] += d * dx[s, p]
            s = hill_species[j]
            if s >= 0 and d_hill[j] != 0.0:
                for p in range(n_params):
                    da[j, p] += d_hill[j] * dx[s, p]
        for p in range(n_params):
            da0 = 0.0
            for j in range(n_reactions):
                da0 += da[j, p]
            dt[p] -= tau * da0 / a0

        # Gumbel-max choice: argmax_j log(a_j / e_j); y_j proportional to (a_j / e_j)^(1/lambda).
        chosen = -1
        key_max = 0.0
        for j in range(n_reactions):
            if a[j] > 0.0:
                key = a[j] / max(rng_exponential(rng), 1e-300)  # Exp(1) can return 0
                y[j] = key
                if key > key_max:
                    key_max = key
                    chosen = j
            else:
                y[j] = 0.0
        total = 0.0
        for j in range(n_reactions):
            if y[j] > 0.0:
                ratio = y[j] / key_max
                y[j] = ratio if inv_temp == 1.0 else ratio**inv_temp
                total += y[j]
        for p in range(n_params):
            mean_dz[p] = 0.0
        for j in range(n_reactions):
            if y[j] > 0.0:
                y[j] /= total
                w = y[j] * inv_temp / a[j]
                for p in range(n_params):
                    mean_dz[p] += w * da[j, p]
        # Straight-through state tangent: dx += nu^T dy, dy_j = y_j (dz_j - <dz>).
        for j in range(n_reactions):
            if y[j] > 0.0:
                w = y[j] * inv_temp / a[j]
                for q in range(change_ptr[j], change_ptr[j + 1]):
                    s = change_species[q]
                    delta = change_delta[q]
                    for p in range(n_params):
                        dx[s, p] += delta * (w * da[j, p] - y[j] * mean_dz[p])

        # The event itself: exact integer update at t_next.
        for q in range(change_ptr[chosen], change_ptr[chosen + 1]):
            x[change_species[q]] += change_delta[q]
        t = t_next
        events += 1

        # Smoothed event-time term at the observations within reach of t: those before
        # index m lie before t, the others at or after it.
        if reach > 0.0:
            mm = m
            while mm > 0 and times[mm - 1] >= t - reach:
                mm -= 1
            while mm < n_times and times[mm] <= t + reach:
                lag = times[mm] - t
                e = eps[mm]
                if abs(lag) <= WINDOW * e:
                    c = math.cosh(0.5 * lag / e)
                    weight = 1.0 / (4.0 * e * c * c)  # sigma'(lag / e) / e
                    for q in range(change_ptr[chosen], change_ptr[chosen + 1]):
                        s = change_species[q]
                        delta = change_delta[q]
                        for p in range(n_params):
                            tangents[mm, s, p] -= delta * weight * dt[p]
                mm += 1

        # Propensities, parameter and state derivatives of the affected reactions.
        for q in range(dep_ptr[chosen], dep_ptr[chosen + 1]):
            i = dep_index[q]
            if rate_code[i] != 0:
                _refresh_general(
                    i, x, theta, n_params, net, scratch, a, da_theta, d_reactant, d_hill
                )
                continue
            k = theta[rate_slots[i, 0]]
            comb = 1.0
            for r in range(reactant_ptr[i], reactant_ptr[i + 1]):
                comb *= _binomial(x[reactant_species[r]], reactant_coeff[r])
                d = k * binomial_derivative(x[reactant_species[r]], reactant_coeff[r])
                for r2 in range(reactant_ptr[i], reactant_ptr[i + 1]):
                    if r2 != r:
                        d *= _binomial(x[reactant_species[r2]], reactant_coeff[r2])
                d_reactant[r] = d
            a[i] = k * comb
            if rate_slots[i, 0] < n_params:  # the only non-zero of the row
                da_theta[i, rate_slots[i, 0]] = comb


@njit(cache=True, parallel=True)
def gumbel_ensemble(
    net,
    theta,
    n_params,
    x0,
    times,
    seeds,
    max_events,
    temperature,
    time_smoothing,
    states,
    tangents,
    status,
):
    """``len(seeds)`` GS-ST trajectories in parallel into ``states`` and ``tangents``.

    Each trajectory owns the random stream of its seed, so results do not depend on the
    number of threads.
    """
    inv_temp = 1.0 / temperature
    eps = observation_smoothing(times, time_smoothing)
    for i in prange(seeds.shape[0]):
        _, s = gumbel_trajectory(
            net, theta, n_params, x0, times, seeds[i], max_events, inv_temp, eps, states[i],
            tangents[i],
        )
        status[i] = s
