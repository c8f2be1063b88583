"""Propensities of the kernel contract, shared by every native kernel.

``net`` is the tuple built by :func:`ssagrad.backends.native.kernel_network`: the CSR
arrays of :class:`ssagrad.network.NetworkArrays` in a fixed order, so one compiled
kernel serves every model.
"""

import math

import numpy as np
from numba import njit

# Positions in the ``net`` tuple.
REACTANT_PTR = 0
REACTANT_SPECIES = 1
REACTANT_COEFF = 2
CHANGE_PTR = 3
CHANGE_SPECIES = 4
CHANGE_DELTA = 5
RATE_CODE = 6
RATE_SPECIES = 7
RATE_SLOTS = 8
DEPENDENCY_PTR = 9
DEPENDENCY_INDEX = 10
REACTION_TABLE = 11

# Columns of the reaction table (one row per reaction), built by ``reaction_table``.
KIND = 0
FIRST = 1
SECOND = 2
# Kinds of reaction: elementary mass action (0 -> .., X -> .., X + Y -> .., 2X -> ..) or
# anything else (higher order, Hill laws).
KIND_ZEROTH = 0
KIND_FIRST = 1
KIND_PAIR = 2
KIND_DIMER = 3
KIND_GENERAL = 4


def reaction_table(reactant_ptr, reactant_species, reactant_coeff, rate_code, rate_slots):
    """(R, 4) int64 table classifying each reaction for :func:`elementary_columns`.

    Columns: kind, first reactant, second reactant, theta slot of the rate constant.
    """
    n_reactions = rate_code.shape[0]
    table = np.zeros((n_reactions, 4), dtype=np.int64)
    for j in range(n_reactions):
        species = reactant_species[reactant_ptr[j] : reactant_ptr[j + 1]]
        coeff = reactant_coeff[reactant_ptr[j] : reactant_ptr[j + 1]]
        kind = KIND_GENERAL
        if rate_code[j] == 0:
            if species.size == 0:
                kind = KIND_ZEROTH
            elif species.size == 1 and coeff[0] == 1:
                kind = KIND_FIRST
            elif species.size == 2 and coeff[0] == 1 and coeff[1] == 1:
                kind = KIND_PAIR
            elif species.size == 1 and coeff[0] == 2:
                kind = KIND_DIMER
        table[j, KIND] = kind
        table[j, FIRST] = species[0] if species.size > 0 else 0
        table[j, SECOND] = species[1] if species.size > 1 else 0
        table[j, 3] = rate_slots[j, 0]
    return table


@njit(cache=True)
def elementary_columns(table, theta):
    """The reaction table as 1-D columns for the hot loop of the direct method.

    Returns ``(kind, first, second, rate)``: arrays per reaction, ``rate`` the rate
    constant taken from ``theta`` (meaningful for elementary mass action only). The hot
    loops evaluate elementary mass action from these columns written out in the loop and
    fall back to :func:`propensity` for :data:`KIND_GENERAL`: a call per event that takes
    arrays costs several times the arithmetic (a helper taking these columns made the
    dimerization event ~4x slower), and 1-D columns index faster than the 2-D table.
    """
    n_reactions = table.shape[0]
    kind = np.empty(n_reactions, dtype=np.int64)
    first = np.empty(n_reactions, dtype=np.int64)
    second = np.empty(n_reactions, dtype=np.int64)
    rate = np.empty(n_reactions)
    for j in range(n_reactions):
        kind[j] = table[j, KIND]
        first[j] = table[j, FIRST]
        second[j] = table[j, SECOND]
        rate[j] = theta[table[j, 3]]
    return kind, first, second, rate


@njit(cache=True)
def combinatorial(j, x, net):
    """``prod_s C(x_s, r_js)`` for reaction ``j`` at state ``x``."""
    ptr = net[REACTANT_PTR]
    species = net[REACTANT_SPECIES]
    coeff = net[REACTANT_COEFF]
    comb = 1.0
    for p in range(ptr[j], ptr[j + 1]):
        count = x[species[p]]
        r = coeff[p]
        if r == 1:
            comb *= count
        elif count < r:
            comb = 0.0
        else:
            c = 1.0
            for i in range(r):
                c = c * (count - i) / (i + 1)
            comb *= c
    return comb


@njit(cache=True)
def rate_factor(j, x, theta, net):
    """The rate law ``f_j(x)``: ``k`` for mass action, a Hill function otherwise."""
    code = net[RATE_CODE][j]
    slots = net[RATE_SLOTS]
    if code == 0:
        return theta[slots[j, 0]]
    v = theta[slots[j, 0]]
    big_k = theta[slots[j, 1]]
    n = theta[slots[j, 2]]
    level = float(x[net[RATE_SPECIES][j]])
    xn = level**n if level > 0.0 else (1.0 if n == 0.0 else 0.0)
    kn = big_k**n
    denom = kn + xn
    if denom <= 0.0:
        return 0.0
    if code == 1:
        return v * xn / denom
    return v * kn / denom


@njit(cache=True)
def propensity(j, x, theta, net):
    """Propensity ``a_j(x) = f_j(x) prod_s C(x_s, r_js)``."""
    # Numba's IR inlining (inline="always") of these helpers made calls ~50x slower;
    # plain njit calls are inlined by LLVM instead.
    return rate_factor(j, x, theta, net) * combinatorial(j, x, net)


@njit(cache=True)
def propensity_gradient(j, x, theta, net, out):
    """Write ``d a_j(x) / d theta`` into ``out`` (length of ``theta``, zeroed first).

    Returns the propensity. Parameters used twice in one rate law accumulate.
    """
    for i in range(out.shape[0]):
        out[i] = 0.0
    comb = combinatorial(j, x, net)
    slots = net[RATE_SLOTS]
    code = net[RATE_CODE][j]
    if comb == 0.0:
        return 0.0
    if code == 0:
        out[slots[j, 0]] += comb
        return theta[slots[j, 0]] * comb
    v = theta[slots[j, 0]]
    big_k = theta[slots[j, 1]]
    n = theta[slots[j, 2]]
    level = float(x[net[RATE_SPECIES][j]])
    kn = big_k**n
    if level <= 0.0 and n != 0.0:
        # x^n = 0 (n > 0): hill = 0 with zero derivatives; hillr = v.
        if code == 2 and kn > 0.0:
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
    if code == 1:
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
