"""Alternative-path (stochastic-triple) kernel: uniformisation, star flips, pruning.

For every trajectory the kernel simulates one *primal* path at the nominal parameters
``theta`` and, for each parameter ``p``, one carried *alternative* path with a weight
``W_p`` such that ``dE[f(X(t_m))]/d theta_p = E[W_p(t_m) (f(Y_p(t_m)) - f(X(t_m)))]``.

Uniformisation. In state ``x`` the step clock runs at a rate ``L`` that does not depend
on ``theta``: the largest of ``margin * a0(z; theta)`` over the primal and the live
alternatives ``z`` (``margin > 1``; for a state with ``a0 = 0`` the propensities are
taken with zero-valued parameters replaced by 1, so that reactions switched off by a
zero rate constant still get a clock). A step fires reaction ``j`` with probability
``a_j / L`` and does nothing (no-op) with probability ``1 - a0 / L``. Self-loop thinning
leaves the law of the jump process unchanged, and all ``theta``-dependence sits in the
categorical choice, so waiting times need no pathwise derivative.

Flips (derivative of the categorical). Since the probabilities sum to one,
``d E[g(choice)] = sum_j dp_j (g(j) - g(no-op))`` with ``dp_j = (d a_j / d theta_p) / L``.
Mass moves between each reaction and the no-op channel only (a "star" coupling):

* primal chose the no-op: flip to reaction ``j`` (drawn with probability proportional
  to ``max(d a_j, 0)``) with weight ``sum_j max(d a_j, 0) / (L - a0)``;
* primal fired ``j`` with ``d a_j < 0``: flip to the no-op with weight ``-d a_j / a_j``.

The flip's alternative state is the primal's state after the alternative choice.
Compared with neighbours in a fixed inversion order, every unit of moving probability is
carried by one flip instead of a chain of them, and rate constants equal to zero need no
special case (their reaction's bin grows out of the no-op bin).

Pruning. A new flip of weight ``w`` merges with the carried one of weight ``W``: the total
becomes ``W + w`` and the new alternative replaces the carried one with probability
``w / (W + w)``. When the carried alternative coincides with the primal again its
contribution is zero from then on, whatever its weight, so its weight is reset to 0:
``W (V(Y) - V(X))`` (``V`` the value-to-go) is unchanged, which is all that the
martingale argument for unbiasedness needs, and later flips are no longer diluted.

Coupling. Alternatives share the primal's clock (the same step times) and, at every
step, choose their own channel by maximal coupling with the primal's choice ``J``: keep
``J`` with probability ``min(1, q_J / p_J)``, otherwise draw from the residual
``(q - p)^+`` (``p``, ``q`` the primal's and the alternative's step probabilities, no-op
included). The alternative's law is exact; it agrees with the primal as often as
possible and re-merges when the residual undoes the difference. Coupling and pruning
randomness comes from a second stream, so the primal uses two uniforms per step.

Observation semantics are those of the direct method: the state after the last step at
or before ``t_m``; flips after ``t_m`` do not touch the record at ``t_m``.
"""

import numpy as np
from numba import njit, prange

from ...network import MASS_ACTION
from ._direct import STATUS_MAX_EVENTS, STATUS_OK
from ._propensity import (
    CHANGE_DELTA,
    CHANGE_PTR,
    CHANGE_SPECIES,
    DEPENDENCY_INDEX,
    DEPENDENCY_PTR,
    RATE_CODE,
    RATE_SLOTS,
    combinatorial,
    propensity,
    propensity_gradient,
)
from ._rng import rng_init, rng_uniform, rng_uniform_open

#: Mixed into a trajectory's seed for its coupling/pruning stream.
_AUX_SALT = np.uint64(0xD1B54A32D192ED03)


@njit(cache=True)
def _parameter_reactions(net, n_params):
    """CSR lists ``(ptr, reactions)`` of the reactions whose rate law uses parameter ``p``."""
    slots = net[RATE_SLOTS]
    n_reactions = slots.shape[0]
    uses = np.zeros((n_params, n_reactions), dtype=np.bool_)
    for j in range(n_reactions):
        for k in range(3):
            p = slots[j, k]
            if 0 <= p < n_params:
                uses[p, j] = True
    ptr = np.zeros(n_params + 1, dtype=np.int64)
    for p in range(n_params):
        ptr[p + 1] = ptr[p] + np.count_nonzero(uses[p])
    index = np.empty(ptr[n_params], dtype=np.int64)
    for p in range(n_params):
        q = ptr[p]
        for j in range(n_reactions):
            if uses[p, j]:
                index[q] = j
                q += 1
    return ptr, index


@njit(cache=True)
def _floor_clock(x, theta_floor, net, margin):
    """Uniformisation rate of a state with ``a0 = 0``: zero parameters count as 1."""
    total = 0.0
    for j in range(net[CHANGE_PTR].shape[0] - 1):
        total += propensity(j, x, theta_floor, net)
    return margin * total


@njit(cache=True)
def _total(a):
    """``sum(a)`` in index order (the order the channel search accumulates in)."""
    s = 0.0
    for j in range(a.shape[0]):
        s += a[j]
    return s


@njit(cache=True)
def _apply(j, sign, x, change_ptr, change_species, change_delta):
    """``x += sign * nu_j``."""
    for q in range(change_ptr[j], change_ptr[j + 1]):
        x[change_species[q]] += sign * change_delta[q]


@njit(cache=True)
def _refresh(j, x, a, theta, net):
    """Recompute the propensities that reaction ``j``'s firing may change."""
    dep_ptr = net[DEPENDENCY_PTR]
    dep_index = net[DEPENDENCY_INDEX]
    for q in range(dep_ptr[j], dep_ptr[j + 1]):
        i = dep_index[q]
        a[i] = propensity(i, x, theta, net)


@njit(cache=True)
def _general_gradient_row(i, x, grad, buffer, theta, net):
    """``grad[i, :] = d a_i(x) / d theta`` for any rate law (a slow call: Hill laws only)."""
    propensity_gradient(i, x, theta, net, buffer)
    for p in range(grad.shape[1]):
        grad[i, p] = buffer[p]


@njit(cache=True)
def _same(x, y):
    for s in range(x.shape[0]):
        if x[s] != y[s]:
            return False
    return True


@njit(cache=True)
def _coupled_choice(choice, a, a0, b, b0, rate, aux):
    """The alternative's channel (``R`` = no-op) maximally coupled to the primal's ``choice``.

    ``a``/``a0`` are the primal's propensities, ``b``/``b0`` the alternative's, ``rate``
    the common clock.
    """
    n_reactions = a.shape[0]
    if choice < n_reactions:
        p = a[choice]
        q = b[choice]
    else:
        p = rate - a0
        q = rate - b0
    if q >= p or rng_uniform(aux) * p < q:
        return choice
    total = 0.0
    for j in range(n_reactions):
        if b[j] > a[j]:
            total += b[j] - a[j]
    if a0 > b0:  # the no-op bin: (rate - b0) - (rate - a0)
        total += a0 - b0
    if total <= 0.0:  # only rounding separated p and q
        return choice
    target = rng_uniform(aux) * total
    acc = 0.0
    last = choice
    for j in range(n_reactions):
        if b[j] > a[j]:
            acc += b[j] - a[j]
            last = j
            if acc > target:
                return j
    if a0 > b0:
        return n_reactions
    return last


@njit(cache=True)
def altpath_trajectory(
    net, theta, theta_floor, n_params, par_ptr, par_index, x0, times, seed, max_events,
    margin, states, alt_states, weights,
):
    """Simulate one primal path with its alternatives; return (steps, status).

    ``states`` (T, S), ``alt_states`` (T, S, P) and ``weights`` (T, P) are written for
    every observation time. ``steps`` counts uniformisation steps (firings and no-ops).
    """
    n_reactions = net[CHANGE_PTR].shape[0] - 1
    n_species = x0.shape[0]
    n_times = times.shape[0]
    change_ptr = net[CHANGE_PTR]
    change_species = net[CHANGE_SPECIES]
    change_delta = net[CHANGE_DELTA]
    dep_ptr = net[DEPENDENCY_PTR]
    dep_index = net[DEPENDENCY_INDEX]
    rate_code = net[RATE_CODE]
    rate_slots = net[RATE_SLOTS]
    rng = rng_init(seed)
    aux = rng_init(np.uint64(seed) ^ _AUX_SALT)

    x = x0.copy()
    a = np.empty(n_reactions)
    grad = np.zeros((n_reactions, n_params))
    buffer = np.empty(theta.shape[0])
    for j in range(n_reactions):
        a[j] = propensity(j, x, theta, net)
        _general_gradient_row(j, x, grad, buffer, theta, net)

    y = np.empty((n_params, n_species), dtype=np.int64)
    b = np.zeros((n_params, n_reactions))
    b0 = np.zeros(n_params)
    live = np.zeros(n_params, dtype=np.bool_)
    weight = np.zeros(n_params)
    alt_choice = np.empty(n_params, dtype=np.int64)
    flip_weight = np.zeros(n_params)
    flip_choice = np.empty(n_params, dtype=np.int64)

    m = 0
    t = 0.0
    steps = 0
    while True:
        a0 = _total(a)
        rate = margin * a0 if a0 > 0.0 else _floor_clock(x, theta_floor, net, margin)
        for p in range(n_params):
            if live[p]:
                b0[p] = _total(b[p])
                if b0[p] > 0.0:
                    rate_p = margin * b0[p]
                else:
                    rate_p = _floor_clock(y[p], theta_floor, net, margin)
                if rate_p > rate:
                    rate = rate_p
        if rate > 0.0:
            t_next = t - np.log(rng_uniform_open(rng)) / rate
        else:
            t_next = np.inf
        while m < n_times and times[m] < t_next:
            for s in range(n_species):
                states[m, s] = x[s]
            for p in range(n_params):
                weights[m, p] = weight[p]
                for s in range(n_species):
                    alt_states[m, s, p] = y[p, s] if live[p] else x[s]
            m += 1
        if m == n_times:
            return steps, STATUS_OK
        if steps >= max_events:
            for mm in range(m, n_times):
                for s in range(n_species):
                    states[mm, s] = x[s]
                for p in range(n_params):
                    weights[mm, p] = weight[p]
                    for s in range(n_species):
                        alt_states[mm, s, p] = y[p, s] if live[p] else x[s]
            return steps, STATUS_MAX_EVENTS

        # The primal's channel by inversion; n_reactions stands for the no-op.
        target = rng_uniform(rng) * rate
        choice = n_reactions
        if target < a0:
            choice = 0
            acc = a[0]
            while acc <= target:
                choice += 1
                acc += a[choice]

        # Coupled channels of the live alternatives (their pre-step states).
        for p in range(n_params):
            if live[p]:
                alt_choice[p] = _coupled_choice(choice, a, a0, b[p], b0[p], rate, aux)

        # Flips of the primal's choice, per parameter, from the pre-step state.
        for p in range(n_params):
            flip_weight[p] = 0.0
            if choice == n_reactions:
                gain = 0.0
                for q in range(par_ptr[p], par_ptr[p + 1]):
                    g = grad[par_index[q], p]
                    if g > 0.0:
                        gain += g
                if gain > 0.0:
                    flip_weight[p] = gain / (rate - a0)
                    target_g = rng_uniform(aux) * gain
                    acc_g = 0.0
                    for q in range(par_ptr[p], par_ptr[p + 1]):
                        g = grad[par_index[q], p]
                        if g > 0.0:
                            acc_g += g
                            flip_choice[p] = par_index[q]
                            if acc_g > target_g:
                                break
            else:
                g = grad[choice, p]
                if g < 0.0:
                    flip_weight[p] = -g / a[choice]
                    flip_choice[p] = n_reactions

        # Advance the primal and the live alternatives.
        if choice < n_reactions:
            _apply(choice, 1, x, change_ptr, change_species, change_delta)
            for q in range(dep_ptr[choice], dep_ptr[choice + 1]):
                i = dep_index[q]
                a[i] = propensity(i, x, theta, net)
                # Mass action: the one non-zero entry is the combinatorial factor (inline;
                # the general gradient call costs far more than a whole step).
                if rate_code[i] == MASS_ACTION:
                    k = rate_slots[i, 0]
                    if k < n_params:
                        grad[i, k] = combinatorial(i, x, net)
                else:
                    _general_gradient_row(i, x, grad, buffer, theta, net)
        for p in range(n_params):
            if live[p] and alt_choice[p] < n_reactions:
                _apply(alt_choice[p], 1, y[p], change_ptr, change_species, change_delta)
                _refresh(alt_choice[p], y[p], b[p], theta, net)

        # Merge each flip into the carried alternative (reservoir of size one).
        for p in range(n_params):
            w = flip_weight[p]
            if w > 0.0:
                total = weight[p] + w
                if rng_uniform(aux) * total < w:
                    # The alternative's post-step state: undo the primal's choice, do the flip's.
                    for s in range(n_species):
                        y[p, s] = x[s]
                    for j in range(n_reactions):
                        b[p, j] = a[j]
                    if choice < n_reactions:
                        _apply(choice, -1, y[p], change_ptr, change_species, change_delta)
                        _refresh(choice, y[p], b[p], theta, net)
                    if flip_choice[p] < n_reactions:
                        _apply(flip_choice[p], 1, y[p], change_ptr, change_species, change_delta)
                        _refresh(flip_choice[p], y[p], b[p], theta, net)
                    live[p] = True
                weight[p] = total
            if live[p] and _same(x, y[p]):
                live[p] = False
            if not live[p]:
                weight[p] = 0.0  # a merged alternative contributes nothing from now on
        t = t_next
        steps += 1


@njit(cache=True, parallel=True)
def altpath_ensemble(
    net, theta, n_params, x0, times, seeds, max_events, rate_margin, states, alt_states,
    weights, status,
):
    """``len(seeds)`` primal paths with one pruned alternative per parameter, in parallel.

    ``states`` (N, T, S), ``alt_states`` (N, T, S, P), ``weights`` (N, T, P) and
    ``status`` (N,) are filled in; ``dE[f(X(t_m))]/d theta_p`` is estimated by
    ``mean_n weights[n, m, p] * (f(alt_states[n, m, :, p]) - f(states[n, m, :]))``.
    """
    theta_floor = theta.copy()
    for p in range(n_params):
        if theta_floor[p] == 0.0:
            theta_floor[p] = 1.0
    par_ptr, par_index = _parameter_reactions(net, n_params)
    for i in prange(seeds.shape[0]):
        _, s = altpath_trajectory(
            net, theta, theta_floor, n_params, par_ptr, par_index, x0, times, seeds[i],
            max_events, rate_margin, states[i], alt_states[i], weights[i],
        )
        status[i] = s
