"""Alternative-path (stochastic-triple) kernel: uniformisation, star flips, pruning.

For every trajectory the kernel simulates one *primal* path at the nominal parameters
``theta`` and, for each parameter ``p``, one carried *alternative* path with a weight
``W_p`` such that ``dE[f(X(t_m))]/d theta_p = E[W_p(t_m) (f(Y_p(t_m)) - f(X(t_m)))]``.

Uniformisation. Steps come at the rate ``L = margin * a0(x; theta)`` of the primal's
state ``x`` (``margin > 1``), raised where needed to the total propensity of a live
alternative. ``L`` depends on the paths' states and on the nominal ``theta`` as a fixed
constant, never on the ``theta`` being differentiated. A state with ``a0 = 0`` takes its
clock from the propensities with zero-valued parameters replaced by 1, so that a
reaction switched off by a zero rate constant can still be flipped on. A step fires
reaction ``j`` with probability ``a_j / L`` and does nothing (no-op) with probability
``1 - a0 / L``. Self-loop thinning leaves the law of the jump process unchanged, and all
``theta``-dependence sits in the categorical choice, so waiting times need no pathwise
derivative.

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
possible and re-merges when the residual undoes the difference (for a birth-death
process, an extra molecule's death is exactly such a residual event). The coupling
needs no random numbers of its own: the position of the primal's uniform inside its
chosen bin is uniform and independent of the choice, and drives the keep/residual
decisions. Flip selection and pruning draw from a second stream seeded from the
trajectory's seed, so they are independent of everything the step decides.

Observation semantics are those of the direct method: the state after the last step at
or before ``t_m``; flips after ``t_m`` do not touch the record at ``t_m``.
"""

import numpy as np
from numba import njit, prange

from ...network import MASS_ACTION
from .._contract import STATUS_MAX_EVENTS, STATUS_OK
from ._core import fire, propensity_sum, waiting_time
from ._propensity import (
    law_fields,
    law_gradient,
    law_propensity,
    reactant_product,
)
from ._rng import rng_init, rng_init_words, rng_uniform, rng_uniform_words, sub_seed

#: Mixed into a trajectory's seed for its flip-selection and pruning stream.
_AUX_SALT = np.uint64(0xD1B54A32D192ED03)


@njit(cache=True)
def _parameter_reactions(net, n_params):
    """CSR lists ``(ptr, reactions)`` of the reactions whose rate law uses parameter ``p``."""
    slots = net.rate_slots
    n_reactions = slots.shape[0]
    uses = np.zeros((n_params, n_reactions), dtype=np.bool_)
    for j in range(n_reactions):
        for k in range(slots.shape[1]):
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
def _floor_clock(x, theta_floor, laws, margin):
    """Uniformisation rate of a state with ``a0 = 0``: zero parameters count as 1."""
    total = 0.0
    for j in range(laws[0].shape[0]):
        total += law_propensity(j, x, theta_floor, laws)
    return margin * total


@njit(cache=True)
def _general_gradient_row(i, x, grad, buffer, theta, laws):
    """``grad[i, :] = d a_i(x) / d theta`` for a law other than mass action."""
    law_gradient(i, x, theta, laws, buffer)
    for p in range(grad.shape[1]):
        grad[i, p] = buffer[p]


@njit(cache=True)
def _residual_choice(a, a0, b, row, b0, r):
    """A channel (``R`` = no-op) from the residual ``(q - p)^+`` of alternative ``row``.

    ``a``/``a0`` are the primal's propensities and total, ``b[row]``/``b0`` the
    alternative's (the common clock cancels in the no-op bin); ``r`` is uniform on
    [0, 1). Returns -1 if the residual is empty (only rounding separated the two).
    """
    n_reactions = a.shape[0]
    total = 0.0
    for j in range(n_reactions):
        if b[row, j] > a[j]:
            total += b[row, j] - a[j]
    if a0 > b0:  # the no-op bin: (rate - b0) - (rate - a0)
        total += a0 - b0
    if total <= 0.0:
        return -1
    target = r * total
    acc = 0.0
    last = -1
    for j in range(n_reactions):
        if b[row, j] > a[j]:
            acc += b[row, j] - a[j]
            last = j
            if acc > target:
                return j
    if a0 > b0:
        return n_reactions
    return last


@njit(cache=True)
def _record(m, x, y, live, weight, states, alt_states, weights):
    """Write observation ``m``: primal state, alternatives (primal where none), weights."""
    for s in range(x.shape[0]):
        states[m, s] = x[s]
    for p in range(weight.shape[0]):
        weights[m, p] = weight[p]
        for s in range(x.shape[0]):
            alt_states[m, s, p] = y[p, s] if live[p] else x[s]


@njit(cache=True)
def altpath_trajectory(
    net,
    theta_floor,
    n_params,
    par_ptr,
    par_index,
    x0,
    times,
    seed,
    max_events,
    margin,
    states,
    alt_states,
    weights,
):
    """Simulate one primal path with its alternatives; return (steps, status).

    ``states`` (T, S), ``alt_states`` (T, S, P) and ``weights`` (T, P) are written for
    every observation time. ``steps`` counts uniformisation steps (firings and no-ops).
    """
    # Hot-loop note: calls that Numba/LLVM do not inline (and array views, whose
    # reference counts are atomic) cost more than a whole step, so the loop indexes 2-D
    # arrays by row and copies an alternative's state into ``z`` to evaluate propensities.
    change_ptr, change_species, change_delta = net.change_ptr, net.change_species, net.change_delta
    dep_ptr, dep_index = net.dependency_ptr, net.dependency_index
    rate_code, rate_slots, theta = net.rate_code, net.rate_slots, net.theta
    r_ptr, r_species, r_coeff = net.reactant_ptr, net.reactant_species, net.reactant_coeff
    laws = law_fields(net)
    n_reactions = change_ptr.shape[0] - 1
    n_species = x0.shape[0]
    n_times = times.shape[0]
    s0, s1, s2, s3 = rng_init_words(seed)  # the random stream, held in registers
    aux = rng_init(sub_seed(seed, _AUX_SALT))

    x = x0.copy()
    a = np.empty(n_reactions)
    grad = np.zeros((n_reactions, n_params))
    buffer = np.empty(theta.shape[0])
    for j in range(n_reactions):
        a[j] = law_propensity(j, x, theta, laws)
        _general_gradient_row(j, x, grad, buffer, theta, laws)

    z = np.empty(n_species, dtype=np.int64)
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
        # Common clock: the primal's margin * a0, raised to any live alternative's a0.
        a0 = propensity_sum(a)
        rate = margin * a0 if a0 > 0.0 else _floor_clock(x, theta_floor, laws, margin)
        for p in range(n_params):
            if live[p]:
                total = 0.0
                for j in range(n_reactions):
                    total += b[p, j]
                b0[p] = total
                if total > rate:
                    rate = total
        tau, s0, s1, s2, s3 = waiting_time(rate, s0, s1, s2, s3)
        t_next = t + tau
        while m < n_times and times[m] < t_next:
            _record(m, x, y, live, weight, states, alt_states, weights)
            m += 1
        if m == n_times:
            return steps, STATUS_OK
        if steps >= max_events:
            for mm in range(m, n_times):
                _record(mm, x, y, live, weight, states, alt_states, weights)
            return steps, STATUS_MAX_EVENTS

        # The primal's channel by inversion; n_reactions stands for the no-op. The
        # running sum repeats a0's additions, so it exceeds target before the end.
        u, s0, s1, s2, s3 = rng_uniform_words(s0, s1, s2, s3)
        target = u * rate
        if target < a0:
            choice = 0
            acc = a[0]
            while acc <= target:
                choice += 1
                acc += a[choice]
            size = a[choice]
            within = (target - (acc - size)) / size
        else:
            choice = n_reactions
            size = rate - a0
            within = (target - a0) / size
        # ``within``, the position of the uniform inside the chosen bin, is again uniform
        # on [0, 1) and independent of the choice: it drives the alternatives' coupling.
        within = min(max(within, 0.0), 0.9999999999999999)

        # Channels of the live alternatives, maximally coupled to the primal's: keep
        # ``choice`` with probability min(1, q/p), otherwise draw from the residual.
        for p in range(n_params):
            if live[p]:
                q = b[p, choice] if choice < n_reactions else rate - b0[p]
                alt_choice[p] = choice
                if q < size and within * size >= q:
                    r = (within * size - q) / (size - q)
                    j = _residual_choice(a, a0, b, p, b0[p], min(r, 0.9999999999999999))
                    if j >= 0:
                        alt_choice[p] = j

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
                    flip_choice[p] = par_index[par_ptr[p]]
                    if par_ptr[p + 1] - par_ptr[p] > 1:
                        target = rng_uniform(aux) * gain
                        acc = 0.0
                        for q in range(par_ptr[p], par_ptr[p + 1]):
                            g = grad[par_index[q], p]
                            if g > 0.0:
                                acc += g
                                flip_choice[p] = par_index[q]
                                if acc > target:
                                    break
            else:
                g = grad[choice, p]
                if g < 0.0:
                    flip_weight[p] = -g / a[choice]
                    flip_choice[p] = n_reactions

        # Advance the primal.
        if choice < n_reactions:
            fire(choice, x, change_ptr, change_species, change_delta)
            for q in range(dep_ptr[choice], dep_ptr[choice + 1]):
                i = dep_index[q]
                # Mass action: the one non-zero entry is the combinatorial factor.
                if rate_code[i] == MASS_ACTION:
                    k = rate_slots[i, 0]
                    comb = reactant_product(i, x, r_ptr, r_species, r_coeff)
                    a[i] = theta[k] * comb
                    if k < n_params:
                        grad[i, k] = a[i] / theta[k] if theta[k] > 0.0 else comb
                else:
                    a[i] = law_propensity(i, x, theta, laws)
                    _general_gradient_row(i, x, grad, buffer, theta, laws)

        for p in range(n_params):
            # Advance the live alternative.
            j = alt_choice[p]
            if live[p] and j < n_reactions:
                for q in range(change_ptr[j], change_ptr[j + 1]):
                    y[p, change_species[q]] += change_delta[q]
                for s in range(n_species):
                    z[s] = y[p, s]
                for q in range(dep_ptr[j], dep_ptr[j + 1]):
                    i = dep_index[q]
                    if rate_code[i] == MASS_ACTION:
                        comb = reactant_product(i, z, r_ptr, r_species, r_coeff)
                        b[p, i] = theta[rate_slots[i, 0]] * comb
                    else:
                        b[p, i] = law_propensity(i, z, theta, laws)
            # Merge the flip into the carried alternative (weighted reservoir of one).
            w = flip_weight[p]
            if w > 0.0:
                total = weight[p] + w
                if rng_uniform(aux) * total < w:
                    # The flip's post-step state: undo the primal's choice, do the flip's.
                    for s in range(n_species):
                        z[s] = x[s]
                    for i in range(n_reactions):
                        b[p, i] = a[i]
                    for sign, j in ((-1, choice), (1, flip_choice[p])):
                        if j < n_reactions:
                            for q in range(change_ptr[j], change_ptr[j + 1]):
                                z[change_species[q]] += sign * change_delta[q]
                            for q in range(dep_ptr[j], dep_ptr[j + 1]):
                                i = dep_index[q]
                                if rate_code[i] == MASS_ACTION:
                                    comb = reactant_product(i, z, r_ptr, r_species, r_coeff)
                                    b[p, i] = theta[rate_slots[i, 0]] * comb
                                else:
                                    b[p, i] = law_propensity(i, z, theta, laws)
                    for s in range(n_species):
                        y[p, s] = z[s]
                    live[p] = True
                weight[p] = total
            if live[p]:
                for s in range(n_species):
                    if y[p, s] != x[s]:
                        break
                else:
                    live[p] = False
            if not live[p]:
                weight[p] = 0.0  # a merged alternative contributes nothing from now on
        t = t_next
        steps += 1


@njit(cache=True, parallel=True)
def altpath_ensemble(
    net,
    n_params,
    x0,
    times,
    seeds,
    max_events,
    rate_margin,
    states,
    alt_states,
    weights,
    events,
    status,
):
    """``len(seeds)`` primal paths with one pruned alternative per parameter, in parallel.

    ``states`` (N, T, S), ``alt_states`` (N, T, S, P), ``weights`` (N, T, P), ``events``
    (N,) (uniformisation steps taken, firings and no-ops) and ``status`` (N,) are filled
    in; ``dE[f(X(t_m))]/d theta_p`` is estimated by
    ``mean_n weights[n, m, p] * (f(alt_states[n, m, :, p]) - f(states[n, m, :]))``.
    """
    theta_floor = net.theta.copy()
    for p in range(n_params):
        if theta_floor[p] == 0.0:
            theta_floor[p] = 1.0
    par_ptr, par_index = _parameter_reactions(net, n_params)
    for i in prange(seeds.shape[0]):
        e, s = altpath_trajectory(
            net,
            theta_floor,
            n_params,
            par_ptr,
            par_index,
            x0,
            times,
            seeds[i],
            max_events,
            rate_margin,
            states[i],
            alt_states[i],
            weights[i],
        )
        events[i] = e
        status[i] = s
