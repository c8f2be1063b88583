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
event. The per-event path is therefore written out in :func:`_gumbel_chunk` and only
calls helpers that take scalars or a few plain arrays (the random stream is kept in four
scalars); Hill-law reactions take the slower general path. The
ensemble runs trajectories in chunks that share their scratch buffers (each trajectory
resets them, so results do not depend on the chunking or the thread count).
"""

import math

import numpy as np
from numba import njit, prange

from ...network import EXPRESSION, HILL, MASS_ACTION
from .._contract import STATUS_MAX_EVENTS, STATUS_OK
from ._core import propensity_sum, waiting_time
from ._expression import expression_derivative, expression_reads, read_entry, read_range
from ._propensity import binomial, combinatorial, propensity_gradient, rate_factor
from ._rng import rng_exponential_words, rng_init_words

#: Half-width of the event-time window in units of ``eps``: ``sigma'(12) < 7e-6``.
WINDOW = 12.0
#: The smoothing scale at observation ``t_m`` is at most ``t_m / EDGE``.
EDGE = 4.0


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
    code = net.rate_code[j]
    if code == MASS_ACTION:
        return 0.0
    slots = net.rate_slots
    v = theta[slots[j, 0]]
    big_k = theta[slots[j, 1]]
    n = theta[slots[j, 2]]
    level = float(x[net.rate_species[j]])
    if level <= 0.0:
        d = v / big_k if (n == 1.0 and big_k > 0.0) else 0.0
    else:
        xn = level**n
        kn = big_k**n
        denom = kn + xn
        if denom <= 0.0:
            return 0.0
        d = v * n * (xn / level) * kn / (denom * denom)
    return d if code == HILL else -d


@njit(cache=True)
def propensity_state_gradient(j, x, theta, net, d_reactant):
    """State derivative of ``a_j`` on the continuous extension of its factors.

    Writes ``f_j(x) d/dx_s prod_s C(x_s, r_js)`` into ``d_reactant[q]`` for each reactant
    entry ``q`` of reaction ``j`` (CSR position in ``net``, species
    ``REACTANT_SPECIES[q]``) and returns ``d f_j / d x * prod_s C(x_s, r_js)``, the part
    through the Hill species ``RATE_SPECIES[j]`` (0 for mass action). A species that is
    both a reactant and the Hill species gets both parts.
    """
    ptr = net.reactant_ptr
    species = net.reactant_species
    coeff = net.reactant_coeff
    f = rate_factor(j, x, theta, net)
    comb = 1.0
    for q in range(ptr[j], ptr[j + 1]):
        comb *= binomial(x[species[q]], coeff[q])
        d = f * binomial_derivative(x[species[q]], coeff[q])
        for q2 in range(ptr[j], ptr[j + 1]):
            if q2 != q:
                d *= binomial(x[species[q2]], coeff[q2])
        d_reactant[q] = d
    return rate_factor_derivative(j, x, theta, net) * comb


@njit(cache=True)
def _refresh_general(j, x, theta, n_params, net, scratch, a, da_theta, d_reactant, d_hill):
    """Recompute ``a[j]``, its parameter gradient and its state derivatives (any rate law)."""
    a[j] = propensity_gradient(j, x, theta, net, scratch)
    for p in range(n_params):
        da_theta[j, p] = scratch[p]
    d_hill[j] = propensity_state_gradient(j, x, theta, net, d_reactant)
    if net.rate_code[j] == EXPRESSION:
        # d a_j / d x_s of the species the expression reads, after the R Hill entries.
        comb = combinatorial(j, x, net)
        offset = net.rate_code.shape[0]
        ei, ef = net.expr_int, net.expr_float
        start, end = read_range(j, ei)
        for e in range(start, end):
            s, lo, hi = read_entry(e, ei)
            d_hill[offset + e] = comb * expression_derivative(j, -1 - s, lo, hi, x, theta, ei, ef)


@njit(cache=True)
def _refresh_mass_action(
    j,
    x,
    theta,
    n_params,
    reactant_ptr,
    reactant_species,
    reactant_coeff,
    rate_slots,
    a,
    da_theta,
    d_reactant,
):
    """Propensity and derivatives of mass-action reaction ``j`` at state ``x``.

    Writes ``a[j]``, the rate-constant entry of ``da_theta[j]`` (the only non-zero of the
    row) and ``d a_j / d x`` at each reactant entry. Takes the arrays, not the ``net``
    tuple (see the module notes on performance). Coefficient 1 is written out:
    C(x, 1) = x, d/dx C(x, 1) = 1.
    """
    k = theta[rate_slots[j, 0]]
    comb = 1.0
    for r in range(reactant_ptr[j], reactant_ptr[j + 1]):
        count = x[reactant_species[r]]
        if reactant_coeff[r] == 1:
            comb *= float(count)
            d = k
        else:
            comb *= binomial(count, reactant_coeff[r])
            d = k * binomial_derivative(count, reactant_coeff[r])
        for r2 in range(reactant_ptr[j], reactant_ptr[j + 1]):
            if r2 != r:
                if reactant_coeff[r2] == 1:
                    d *= float(x[reactant_species[r2]])
                else:
                    d *= binomial(x[reactant_species[r2]], reactant_coeff[r2])
        d_reactant[r] = d
    a[j] = k * comb
    if rate_slots[j, 0] < n_params:
        da_theta[j, rate_slots[j, 0]] = comb


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


#: Trajectories per work item of :func:`gumbel_ensemble` (they share scratch buffers).
CHUNK = 32


@njit(cache=True, error_model="numpy")
def _gumbel_chunk(
    net,
    n_params,
    x0,
    times,
    seeds,
    lo,
    hi,
    max_events,
    inv_temp,
    eps,
    states,
    tangents,
    events_out,
    status,
):
    """GS-ST trajectories ``lo .. hi - 1`` into ``states[i]`` (T x S), ``tangents[i]``.

    The scratch buffers are allocated once here and fully reset for every trajectory, so
    each trajectory depends on its own seed only (not on the chunking or the threads).
    ``tangents[i]`` is overwritten; ``inv_temp`` is ``1 / temperature``; ``eps`` (T,) the
    time smoothing at each observation (0: hard lookup, no event-time term).
    """
    n_reactions = net.rate.shape[0]
    n_species = x0.shape[0]
    theta = net.theta
    change_ptr, change_species, change_delta = net.change_ptr, net.change_species, net.change_delta
    dep_ptr, dep_index = net.dependency_ptr, net.dependency_index
    rate_code, hill_species, rate_slots = net.rate_code, net.rate_species, net.rate_slots
    reactant_ptr, reactant_species = net.reactant_ptr, net.reactant_species
    reactant_coeff = net.reactant_coeff
    n_times = times.shape[0]

    x = np.empty(n_species, dtype=x0.dtype)
    a = np.empty(n_reactions)
    da_theta = np.empty((n_reactions, n_params))  # d a_j / d theta_p at the current state
    d_reactant = np.empty(reactant_species.shape[0])  # d a_j / d x at each reactant entry
    # d a_j / d x at the Hill species, then at each species an expression reads
    read_ptr, read_species = expression_reads(net.expr_int, n_reactions)
    d_hill = np.zeros(n_reactions + read_species.shape[0])
    scratch = np.empty(theta.shape[0])
    da = np.empty((n_reactions, n_params))  # total tangent of a_j
    dx = np.empty((n_species, n_params))
    dt = np.empty(n_params)
    y = np.empty(n_reactions)
    mean_dz = np.empty(n_params)
    w = np.empty(n_reactions)  # y_j / (lambda a_j)
    dz = np.empty(n_params)  # w_j d a_j - y_j <dz>, the relaxed-choice tangent per nu_j
    delta_f = np.empty(change_delta.shape[0])  # the state changes as floats
    for q in range(change_delta.shape[0]):
        delta_f[q] = change_delta[q]
    general = False
    for j in range(n_reactions):
        if rate_code[j] != MASS_ACTION:
            general = True

    reach = 0.0
    for mm in range(n_times):
        reach = max(reach, WINDOW * eps[mm])
    t_last = times[n_times - 1]
    unit_temp = inv_temp == 1.0

    for traj in range(lo, hi):
        # Random stream of this trajectory (rng_init, held in scalars).
        s0, s1, s2, s3 = rng_init_words(seeds[traj])

        for s in range(n_species):
            x[s] = x0[s]
            for p in range(n_params):
                dx[s, p] = 0.0
        for p in range(n_params):
            dt[p] = 0.0
        for m in range(n_times):
            for s in range(n_species):
                for p in range(n_params):
                    tangents[traj, m, s, p] = 0.0
        # Initial propensities and derivatives; mass action as in propensity_gradient.
        for j in range(n_reactions):
            if rate_code[j] != MASS_ACTION:
                _refresh_general(
                    j, x, theta, n_params, net, scratch, a, da_theta, d_reactant, d_hill
                )
                continue
            for p in range(n_params):
                da_theta[j, p] = 0.0
            d_hill[j] = 0.0
            _refresh_mass_action(
                j,
                x,
                theta,
                n_params,
                reactant_ptr,
                reactant_species,
                reactant_coeff,
                rate_slots,
                a,
                da_theta,
                d_reactant,
            )

        m = 0  # next observation to record
        t = 0.0
        events = 0
        while True:
            a0 = propensity_sum(a)
            tau, s0, s1, s2, s3 = waiting_time(a0, s0, s1, s2, s3)
            t_next = t + tau
            while m < n_times and times[m] < t_next:
                for s in range(n_species):
                    states[traj, m, s] = x[s]
                    for p in range(n_params):
                        tangents[traj, m, s, p] += dx[s, p]
                m += 1
            # Done once every observation is recorded and the next event is out of reach.
            if m == n_times and not t_next - reach <= t_last:
                status[traj] = STATUS_OK
                break
            if events >= max_events:
                for mm in range(m, n_times):
                    for s in range(n_species):
                        states[traj, mm, s] = x[s]
                        for p in range(n_params):
                            tangents[traj, mm, s, p] += dx[s, p]
                status[traj] = STATUS_MAX_EVENTS
                break

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
                if general:
                    s = hill_species[j]
                    if s >= 0 and d_hill[j] != 0.0:
                        for p in range(n_params):
                            da[j, p] += d_hill[j] * dx[s, p]
                    for e in range(read_ptr[j], read_ptr[j + 1]):
                        d = d_hill[n_reactions + e]
                        if d != 0.0:
                            for p in range(n_params):
                                da[j, p] += d * dx[read_species[e], p]
            for p in range(n_params):  # (a scalar sum: no memset call for a tiny array)
                da0 = 0.0
                for j in range(n_reactions):
                    da0 += da[j, p]
                dt[p] -= tau * da0 / a0

            # Gumbel-max choice: argmax_j log(a_j / e_j); y_j proportional to
            # (a_j / e_j)^(1/lambda).
            chosen = -1
            key_max = 0.0
            for j in range(n_reactions):
                if a[j] > 0.0:
                    e, s0, s1, s2, s3 = rng_exponential_words(s0, s1, s2, s3)
                    if e < 1e-300:  # Exp(1) can return 0
                        e = 1e-300
                    key = a[j] / e
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
                    y[j] = ratio if unit_temp else ratio**inv_temp
                    total += y[j]
            for j in range(n_reactions):
                if y[j] > 0.0:
                    y[j] /= total
                    w[j] = y[j] * inv_temp / a[j]
            for p in range(n_params):
                acc = 0.0
                for j in range(n_reactions):
                    if y[j] > 0.0:
                        acc += w[j] * da[j, p]
                mean_dz[p] = acc
            # Straight-through state tangent: dx += nu^T dy, dy_j = y_j (dz_j - <dz>).
            for j in range(n_reactions):
                if y[j] > 0.0:
                    yj = y[j]
                    wj = w[j]
                    for p in range(n_params):
                        dz[p] = wj * da[j, p] - yj * mean_dz[p]
                    for q in range(change_ptr[j], change_ptr[j + 1]):
                        s = change_species[q]
                        delta = delta_f[q]
                        for p in range(n_params):
                            dx[s, p] += delta * dz[p]

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
                            dw = delta_f[q] * weight
                            for p in range(n_params):
                                tangents[traj, mm, s, p] -= dw * dt[p]
                    mm += 1

            # Propensities, parameter and state derivatives of the affected reactions.
            for q in range(dep_ptr[chosen], dep_ptr[chosen + 1]):
                i = dep_index[q]
                if rate_code[i] != MASS_ACTION:
                    _refresh_general(
                        i, x, theta, n_params, net, scratch, a, da_theta, d_reactant, d_hill
                    )
                    continue
                _refresh_mass_action(
                    i,
                    x,
                    theta,
                    n_params,
                    reactant_ptr,
                    reactant_species,
                    reactant_coeff,
                    rate_slots,
                    a,
                    da_theta,
                    d_reactant,
                )
        events_out[traj] = events


@njit(cache=True, parallel=True)
def gumbel_ensemble(
    net,
    n_params,
    x0,
    times,
    seeds,
    max_events,
    temperature,
    time_smoothing,
    states,
    tangents,
    events,
    status,
):
    """``len(seeds)`` GS-ST trajectories in parallel into ``states`` and ``tangents``.

    Trajectories run in chunks of :data:`CHUNK` that share scratch buffers; each owns the
    random stream of its seed and resets every buffer, so results do not depend on the
    number of threads.
    """
    inv_temp = 1.0 / temperature
    eps = observation_smoothing(times, time_smoothing)
    n = seeds.shape[0]
    n_chunks = (n + CHUNK - 1) // CHUNK
    for c in prange(n_chunks):
        lo = c * CHUNK
        hi = min(lo + CHUNK, n)
        _gumbel_chunk(
            net,
            n_params,
            x0,
            times,
            seeds,
            lo,
            hi,
            max_events,
            inv_temp,
            eps,
            states,
            tangents,
            events,
            status,
        )
