"""Propensities and their derivatives, shared by every native kernel.

``net`` is a :class:`~ssagrad.backends.native._network.KernelNetwork`; ``theta`` is
passed on its own so that one network serves several constant vectors (the coupled
pairs of finite differences, the floor clock of the alternative-path kernel).
"""

import math

from numba import njit

from ...network import EXPRESSION, HILL, HILLR, MASS_ACTION
from ._expression import expression_gradient, expression_value


@njit(cache=True, inline="always")
def binomial(count, r):
    """``C(count, r)`` as a float (0 when ``count < r``).

    Inlined by Numba wherever it is used: left to LLVM, this call inside
    :func:`combinatorial` inside :func:`propensity` was not inlined and made a
    propensity ~50x slower.
    """
    if r == 1:
        return float(count)
    if count < r:
        return 0.0
    c = 1.0
    for i in range(r):
        c = c * (count - i) / (i + 1)
    return c


@njit(cache=True)
def combinatorial(j, x, net):
    """``prod_s C(x_s, r_js)`` for reaction ``j`` at state ``x``."""
    ptr = net.reactant_ptr
    species = net.reactant_species
    coeff = net.reactant_coeff
    comb = 1.0
    for p in range(ptr[j], ptr[j + 1]):
        count = x[species[p]]
        if coeff[p] == 1:  # the common case, without the general binomial's branches
            comb *= count
        else:
            comb *= binomial(count, coeff[p])
    return comb


@njit(cache=True)
def rate_factor(j, x, theta, net):
    """The rate law ``f_j(x)``: ``k`` for mass action, a Hill function or an expression.

    Expressions are evaluated at ``t = 0``: time-dependent rates run only in the
    thinning kernel (``_events``), which passes the time itself.
    """
    code = net.rate_code[j]
    slots = net.rate_slots
    if code == MASS_ACTION:
        return theta[slots[j, 0]]
    if code == EXPRESSION:
        return expression_value(j, x, theta, net.expr_int, net.expr_float, 0.0)
    v = theta[slots[j, 0]]
    big_k = theta[slots[j, 1]]
    n = theta[slots[j, 2]]
    level = float(x[net.rate_species[j]])
    xn = level**n if level > 0.0 else (1.0 if n == 0.0 else 0.0)
    kn = big_k**n
    denom = kn + xn
    if denom <= 0.0:
        return 0.0
    if code == HILL:
        return v * xn / denom
    return v * kn / denom


@njit(cache=True)
def propensity(j, x, theta, net):
    """Propensity ``a_j(x) = f_j(x) prod_s C(x_s, r_js)``."""
    # Numba's IR inlining (inline="always") of these helpers made calls ~50x slower;
    # plain njit calls are inlined by LLVM instead. Mass action is served here, before
    # the general rate laws: since expression laws joined them, the alternative-path
    # kernel (which calls this for every dependent) ran 12x slower than before on
    # dimerization with mass action going through them, 6x with this early return
    # (`ssagrad bench ab --ref 2b39d57`); the rest of that regression is still open.
    if net.rate_code[j] == MASS_ACTION:
        return theta[net.rate_slots[j, 0]] * combinatorial(j, x, net)
    return rate_factor(j, x, theta, net) * combinatorial(j, x, net)


@njit(cache=True)
def propensity_gradient(j, x, theta, net, out):
    """Write ``d a_j(x) / d theta`` into ``out`` (length of ``theta``, zeroed first).

    Returns the propensity. Parameters used twice in one rate law accumulate.
    """
    for i in range(out.shape[0]):
        out[i] = 0.0
    comb = combinatorial(j, x, net)
    slots = net.rate_slots
    code = net.rate_code[j]
    if comb == 0.0:
        return 0.0
    if code == MASS_ACTION:
        out[slots[j, 0]] += comb
        return theta[slots[j, 0]] * comb
    if code == EXPRESSION:
        ei, ef = net.expr_int, net.expr_float
        expression_gradient(j, x, theta, slots, ei, ef, comb, out)
        return expression_value(j, x, theta, ei, ef, 0.0) * comb
    v = theta[slots[j, 0]]
    big_k = theta[slots[j, 1]]
    n = theta[slots[j, 2]]
    level = float(x[net.rate_species[j]])
    kn = big_k**n
    if level <= 0.0 and n != 0.0:
        # x^n = 0 (n > 0): hill = 0 with zero derivatives; hillr = v.
        if code == HILLR and kn > 0.0:
            out[slots[j, 0]] += comb
            return v * comb
        return 0.0
    xn = level**n  # 0**0 = 1, as in rate_factor
    denom = kn + xn
    if denom <= 0.0:
        return 0.0
    # d/dn at x = 0 (n = 0) is taken as 0: x^n is not differentiable in n there.
    log_ratio = 0.0
    if level > 0.0:
        log_ratio = math.log(level) - (math.log(big_k) if big_k > 0.0 else -math.inf)
    cross = xn * kn / (denom * denom)
    if code == HILL:
        out[slots[j, 0]] += comb * xn / denom
        if big_k > 0.0:
            out[slots[j, 1]] += comb * (-v * n * cross / big_k)
            out[slots[j, 2]] += comb * v * cross * log_ratio
        return v * xn / denom * comb
    out[slots[j, 0]] += comb * kn / denom
    if big_k > 0.0:
        out[slots[j, 1]] += comb * (v * n * cross / big_k)
        out[slots[j, 2]] += comb * (-v * cross * log_ratio)
    return v * kn / denom * comb
