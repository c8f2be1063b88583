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


@njit(cache=True, inline="always")
def reactant_product(j, x, reactant_ptr, reactant_species, reactant_coeff):
    """``prod_s C(x_s, r_js)`` for reaction ``j`` at state ``x``, from the reactant CSR.

    Takes the three arrays it reads rather than the network: a call that is not inlined
    and passes the whole network tuple costs a reference count per array. Inlined by
    Numba (``inline="always"``): left to LLVM it was not inlined into the
    alternative-path loop, which then ran 1.2-1.4x slower (in-process A/B).
    """
    comb = 1.0
    for p in range(reactant_ptr[j], reactant_ptr[j + 1]):
        count = x[reactant_species[p]]
        if reactant_coeff[p] == 1:  # the common case, without the general binomial's branches
            comb *= count
        else:
            comb *= binomial(count, reactant_coeff[p])
    return comb


@njit(cache=True)
def combinatorial(j, x, net):
    """``prod_s C(x_s, r_js)`` for reaction ``j`` at state ``x``."""
    return reactant_product(j, x, net.reactant_ptr, net.reactant_species, net.reactant_coeff)


@njit(cache=True)
def law_factor(j, x, theta, rate_code, rate_slots, rate_species, ei, ef):
    """The rate law ``f_j(x)``: ``k`` for mass action, a Hill function or an expression.

    Takes the arrays it reads, not the network (see :func:`reactant_product`).
    Expressions are evaluated at ``t = 0``: time-dependent rates run only in the
    thinning kernel (``_events``), which passes the time itself.
    """
    code = rate_code[j]
    if code == MASS_ACTION:
        return theta[rate_slots[j, 0]]
    if code == EXPRESSION:
        return expression_value(j, x, theta, ei, ef, 0.0)
    v = theta[rate_slots[j, 0]]
    big_k = theta[rate_slots[j, 1]]
    n = theta[rate_slots[j, 2]]
    level = float(x[rate_species[j]])
    xn = level**n if level > 0.0 else (1.0 if n == 0.0 else 0.0)
    kn = big_k**n
    denom = kn + xn
    if denom <= 0.0:
        return 0.0
    if code == HILL:
        return v * xn / denom
    return v * kn / denom


@njit(cache=True)
def rate_factor(j, x, theta, net):
    """The rate law ``f_j(x)`` of reaction ``j`` (see :func:`law_factor`)."""
    return law_factor(
        j, x, theta, net.rate_code, net.rate_slots, net.rate_species, net.expr_int, net.expr_float
    )


@njit(cache=True)
def law_fields(net):
    """The fields of ``net`` that :func:`law_propensity` reads, as one tuple.

    ``(rate_code, rate_slots, rate_species, reactant_ptr, reactant_species,
    reactant_coeff, expr_int, expr_float)``.
    """
    return (
        net.rate_code,
        net.rate_slots,
        net.rate_species,
        net.reactant_ptr,
        net.reactant_species,
        net.reactant_coeff,
        net.expr_int,
        net.expr_float,
    )


@njit(cache=True)
def law_propensity(j, x, theta, laws):
    """Propensity ``a_j(x) = f_j(x) prod_s C(x_s, r_js)``; ``laws`` from :func:`law_fields`.

    For event loops, which take the fields out of the network once: a call that is not
    inlined and passes the whole network tuple costs a reference count per array (the
    alternative-path kernel ran 6x slower through :func:`propensity`).
    """
    rate_code, rate_slots, rate_species, r_ptr, r_species, r_coeff, ei, ef = laws
    comb = reactant_product(j, x, r_ptr, r_species, r_coeff)
    if rate_code[j] == MASS_ACTION:
        return theta[rate_slots[j, 0]] * comb
    return law_factor(j, x, theta, rate_code, rate_slots, rate_species, ei, ef) * comb


@njit(cache=True)
def propensity(j, x, theta, net):
    """Propensity ``a_j(x) = f_j(x) prod_s C(x_s, r_js)``."""
    return law_propensity(j, x, theta, law_fields(net))


@njit(cache=True)
def propensity_gradient(j, x, theta, net, out):
    """Write ``d a_j(x) / d theta`` into ``out`` (see :func:`law_gradient`)."""
    return law_gradient(j, x, theta, law_fields(net), out)


@njit(cache=True)
def law_gradient(j, x, theta, laws, out):
    """Write ``d a_j(x) / d theta`` into ``out`` (length of ``theta``, zeroed first).

    ``laws`` is :func:`law_fields` of the network. Returns the propensity. Parameters
    used twice in one rate law accumulate.
    """
    code_of, slots, rate_species, r_ptr, r_species, r_coeff, ei, ef = laws
    for i in range(out.shape[0]):
        out[i] = 0.0
    comb = reactant_product(j, x, r_ptr, r_species, r_coeff)
    code = code_of[j]
    if comb == 0.0:
        return 0.0
    if code == MASS_ACTION:
        out[slots[j, 0]] += comb
        return theta[slots[j, 0]] * comb
    if code == EXPRESSION:
        expression_gradient(j, x, theta, slots, ei, ef, comb, out)
        return expression_value(j, x, theta, ei, ef, 0.0) * comb
    v = theta[slots[j, 0]]
    big_k = theta[slots[j, 1]]
    n = theta[slots[j, 2]]
    level = float(x[rate_species[j]])
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
