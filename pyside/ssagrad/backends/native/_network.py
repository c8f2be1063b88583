"""The network as the native kernels take it: a :class:`KernelNetwork`, built once.

A :class:`KernelNetwork` is a ``NamedTuple`` of plain arrays, which Numba passes to a
compiled kernel as one argument and whose fields it reads by name at no cost. Its
structural part depends on the network only and is built once per
:class:`~ssagrad.network.NetworkArrays` (and cached on it); the constants ``theta`` and
``rate`` depend on the parameter vector, so :func:`kernel_network` caches whole
networks per parameter vector, keyed by the bytes of ``theta`` (a new parameter vector
never reuses the constants of another).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ...network import EXPRESSION, MASS_ACTION, NetworkArrays
from ._expression import coefficients, pack

#: Elementary mass-action kinds: ``0 -> ..``, ``X -> ..``, ``X + Y -> ..``, ``2X -> ..``;
#: anything else (higher order, Hill laws) is general and takes the slower path.
KIND_ZEROTH = 0
KIND_FIRST = 1
KIND_PAIR = 2
KIND_DIMER = 3
KIND_GENERAL = 4

#: Parameter vectors whose kernel networks are kept per network.
CACHE_SIZE = 8
#: Serve whole-propensity expressions that are elementary mass action (``k*A``, ...) by
#: the mass-action paths (switched off only to benchmark the general path).
RECOGNISE_MASS_ACTION = True


class KernelNetwork(NamedTuple):
    """Everything a native kernel reads about the network, as arrays.

    The first eleven fields are those of :class:`~ssagrad.network.NetworkArrays` (CSR
    reactants, changes and dependency graph; rate-law codes, species and slots);
    ``general_ptr``/``general_index`` list, in CSR, the dependents of each reaction whose
    rate law is not elementary mass action, ``elementary_ptr``/``elementary_index`` the
    others (the dependency graph itself when every law is elementary). ``kind``,
    ``first`` and ``second`` classify each reaction for the written-out elementary
    mass-action propensities; ``theta`` holds the constants (parameters, then literals)
    and ``rate[j] = theta[rate_slots[j, 0]]`` the rate constant of reaction ``j``.
    ``expr_int``/``expr_float`` are the expression
    tables of :class:`ssagrad._lowering.ExpressionTables`, packed (see
    :func:`~._expression.pack`).
    """

    reactant_ptr: np.ndarray
    reactant_species: np.ndarray
    reactant_coeff: np.ndarray
    change_ptr: np.ndarray
    change_species: np.ndarray
    change_delta: np.ndarray
    rate_code: np.ndarray
    rate_species: np.ndarray
    rate_slots: np.ndarray
    dependency_ptr: np.ndarray
    dependency_index: np.ndarray
    general_ptr: np.ndarray
    general_index: np.ndarray
    elementary_ptr: np.ndarray
    elementary_index: np.ndarray
    kind: np.ndarray
    first: np.ndarray
    second: np.ndarray
    theta: np.ndarray
    rate: np.ndarray
    expr_int: np.ndarray
    expr_float: np.ndarray


def _classify(arrays: NetworkArrays) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(kind, first, second)`` of every reaction, vectorised (linear in the network)."""
    ptr = arrays.reactant_ptr
    order = np.diff(ptr)
    n_r = order.shape[0]
    safe = np.minimum(ptr[:-1], max(arrays.reactant_species.shape[0] - 1, 0))
    species = np.append(arrays.reactant_species, 0)
    coeff = np.append(arrays.reactant_coeff, 0)
    first = np.where(order > 0, species[safe], 0)
    second = np.where(order > 1, species[np.minimum(safe + 1, species.shape[0] - 1)], 0)
    c0 = np.where(order > 0, coeff[safe], 0)
    c1 = np.where(order > 1, coeff[np.minimum(safe + 1, coeff.shape[0] - 1)], 0)
    mass = arrays.rate_code == MASS_ACTION
    kind = np.full(n_r, KIND_GENERAL, dtype=np.int64)
    kind[mass & (order == 0)] = KIND_ZEROTH
    kind[mass & (order == 1) & (c0 == 1)] = KIND_FIRST
    kind[mass & (order == 2) & (c0 == 1) & (c1 == 1)] = KIND_PAIR
    kind[mass & (order == 1) & (c0 == 2)] = KIND_DIMER
    first, second = first.astype(np.int64), second.astype(np.int64)
    recognised = (arrays.rate_code == EXPRESSION) & (order == 0) & RECOGNISE_MASS_ACTION
    for j in np.flatnonzero(recognised):
        found = _elementary_expression(arrays, int(j))
        if found is not None:
            kind[j], first[j], second[j] = found
    return kind, first, second


def _elementary_expression(arrays: NetworkArrays, j: int) -> tuple[int, int, int] | None:
    """``(kind, first, second)`` if the whole-propensity expression of reaction ``j`` is
    elementary mass action in its first parameter (``k``, ``k*A``, ``k*A*B``,
    ``k*A*(A-1)/2``), so that the mass-action paths may serve it; else None."""
    t = arrays.expressions
    if t.expr_form[j] != 0 or t.expr_range[j, 1] != t.expr_range[j, 2]:
        return None
    k = arrays.rate_slots[j, 0]
    if k < 0 or arrays.rate_slots.shape[1] > 1 and arrays.rate_slots[j, 1] >= 0:
        return None  # exactly one parameter
    terms = {}
    for q in range(t.expr_range[j, 0], t.expr_range[j, 1]):
        factors = tuple(
            (int(t.factor_var[f]), int(t.factor_pow[f]))
            for f in range(t.term_ptr[q], t.term_ptr[q + 1])
        )
        terms[tuple(sorted(factors))] = float(t.term_coef[q])
    species = sorted({-1 - v for m in terms for v, _ in m if v < 0})
    kp = (int(k), 1)
    candidates = {KIND_ZEROTH: {(kp,): 1.0}} if not species else {}
    if len(species) == 1:
        a = (-1 - species[0], 1)
        candidates[KIND_FIRST] = {tuple(sorted((kp, a))): 1.0}
        a2 = (-1 - species[0], 2)
        candidates[KIND_DIMER] = {tuple(sorted((kp, a2))): 0.5, tuple(sorted((kp, a))): -0.5}
    elif len(species) == 2:
        pair = tuple(sorted((kp, (-1 - species[0], 1), (-1 - species[1], 1))))
        candidates[KIND_PAIR] = {pair: 1.0}
    for kind, want in candidates.items():
        if set(want) == set(terms) and all(abs(terms[m] - c) <= 1e-12 for m, c in want.items()):
            first = species[0] if species else 0
            return kind, first, species[1] if len(species) == 2 else 0
    return None


def _dependents(arrays: NetworkArrays, keep: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The dependency graph restricted to the entries where ``keep`` holds (CSR)."""
    if keep.all():
        return arrays.dependency_ptr, arrays.dependency_index
    n_reactions = arrays.dependency_ptr.shape[0] - 1
    owner = np.repeat(np.arange(n_reactions), np.diff(arrays.dependency_ptr))
    counts = np.bincount(owner[keep], minlength=n_reactions)
    ptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    return ptr, np.ascontiguousarray(arrays.dependency_index[keep])


def _fast_general(arrays: NetworkArrays, kind: np.ndarray) -> bool:
    """Every general law a rational expression without a mass-action factor."""
    general = kind == KIND_GENERAL
    if not general.any():
        return False
    tables = arrays.expressions
    no_factor = np.diff(arrays.reactant_ptr) == 0
    ok = (arrays.rate_code == EXPRESSION) & (tables.expr_form == 0) & no_factor
    return bool(ok[general].all())


def _structure(arrays: NetworkArrays) -> tuple[np.ndarray, ...]:
    """The parameter-free fields, built once per ``arrays`` and kept on it."""
    cached = arrays.__dict__.get("_kernel_structure")
    if cached is None:
        kind, first, second = _classify(arrays)
        general = kind[arrays.dependency_index] == KIND_GENERAL  # per dependency entry
        cached = (
            arrays.reactant_ptr,
            arrays.reactant_species,
            arrays.reactant_coeff,
            arrays.change_ptr,
            arrays.change_species,
            arrays.change_delta,
            arrays.rate_code,
            arrays.rate_species,
            np.ascontiguousarray(arrays.rate_slots),
            arrays.dependency_ptr,
            arrays.dependency_index,
            *_dependents(arrays, general),
            *_dependents(arrays, ~general),
            kind,
            first,
            second,
        )
        cached = (cached, pack(arrays.expressions, _fast_general(arrays, kind)))
        object.__setattr__(arrays, "_kernel_structure", cached)
        object.__setattr__(arrays, "_kernel_networks", {})
    return cached


def kernel_network(arrays: NetworkArrays, theta: np.ndarray) -> KernelNetwork:
    """The :class:`KernelNetwork` of ``arrays`` at constants ``theta``, built once.

    Parameters
    ----------
    arrays : NetworkArrays
    theta : (P + L,) float64
        Kernel constants, ``arrays.theta(parameter_values)``.

    Examples
    --------
    >>> import numpy as np, ssagrad
    >>> arrays = ssagrad.parse("k, 2A --> B").arrays()
    >>> net = kernel_network(arrays, arrays.theta([0.5]))
    >>> int(net.kind[0]) == KIND_DIMER, float(net.rate[0])
    (True, 0.5)
    >>> kernel_network(arrays, arrays.theta([0.5])) is net
    True
    """
    structure, expr_int = _structure(arrays)
    theta = np.ascontiguousarray(theta, dtype=np.float64)
    cache: dict[bytes, KernelNetwork] = arrays.__dict__["_kernel_networks"]
    key = theta.tobytes()
    net = cache.get(key)
    if net is None:
        slot = arrays.rate_slots[:, 0] if arrays.n_reactions else np.zeros(0, dtype=np.int64)
        rate = theta[slot] if theta.shape[0] else np.zeros(slot.shape[0])
        rate = np.where(slot >= 0, rate, 0.0)  # expression laws may read no parameter
        expr_float = coefficients(arrays.expressions, theta)
        net = KernelNetwork(*structure, theta, np.ascontiguousarray(rate), expr_int, expr_float)
        if len(cache) >= CACHE_SIZE:
            cache.pop(next(iter(cache)))
        cache[key] = net
    return net
