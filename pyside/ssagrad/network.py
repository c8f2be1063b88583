"""Reaction networks as data: species, parameters, reactions and rate laws.

A :class:`Network` is an immutable description of a stochastic reaction network.
It is built from text with :func:`ssagrad.parse`, with the :class:`NetworkBuilder`,
or taken from :mod:`ssagrad.models`. :meth:`Network.arrays` lowers it to the plain
arrays that every simulation kernel takes (see :class:`NetworkArrays`).

Propensities follow the binomial mass-action convention of Gillespie, Catalyst and
JumpProcesses: ``a_j(x) = f_j(x) * prod_s C(x_s, r_js)``, where ``f_j`` is the rate
law (a constant ``k`` for mass action, ``hill``/``hillr`` of one species for Hill
kinetics) and ``r_js`` the reactant coefficients.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np

#: Rate-law codes used by the kernels.
MASS_ACTION = 0
HILL = 1
HILLR = 2

RATE_LAW_NAMES = {MASS_ACTION: "mass action", HILL: "hill", HILLR: "hillr"}

Term = str | float
"""A rate-law argument: a parameter name or a numeric literal."""


def _check_name(name: str, what: str) -> str:
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"invalid {what} name {name!r}: use letters, digits and '_' only")
    return name


def _check_term(term: Term, what: str) -> Term:
    if isinstance(term, bool):
        raise TypeError(f"{what} must be a parameter name or a number, got {term!r}")
    if isinstance(term, str):
        return _check_name(term, "parameter")
    if isinstance(term, int | float | np.integer | np.floating):
        value = float(term)
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"{what} literal must be finite and non-negative, got {term!r}")
        return value
    raise TypeError(f"{what} must be a parameter name or a number, got {term!r}")


@dataclass(frozen=True)
class RateLaw:
    """The rate factor ``f(x)`` multiplying a reaction's combinatorial mass-action term.

    Parameters
    ----------
    kind : int
        :data:`MASS_ACTION`, :data:`HILL` or :data:`HILLR`.
    args : tuple
        Mass action: ``(k,)``. Hill: ``(v, K, n)`` with ``hill = v x^n / (K^n + x^n)``
        and ``hillr = v K^n / (K^n + x^n)``. Each is a parameter name or a number.
    species : str or None
        The regulating species of a Hill law.
    """

    kind: int
    args: tuple[Term, ...]
    species: str | None = None

    def __post_init__(self) -> None:
        if self.kind == MASS_ACTION:
            if len(self.args) != 1 or self.species is not None:
                raise ValueError("a mass-action rate takes one argument and no species")
        elif self.kind in (HILL, HILLR):
            if len(self.args) != 3 or self.species is None:
                raise ValueError("a Hill rate takes a species and three arguments (v, K, n)")
            _check_name(self.species, "species")
        else:
            raise ValueError(f"unknown rate-law code {self.kind}")
        object.__setattr__(self, "args", tuple(_check_term(a, "rate argument") for a in self.args))

    def parameters(self) -> tuple[str, ...]:
        """Parameter names used by this rate law, in argument order."""
        return tuple(a for a in self.args if isinstance(a, str))

    def __str__(self) -> str:
        args = ", ".join(_term_str(a) for a in self.args)
        if self.kind == MASS_ACTION:
            return args
        return f"{RATE_LAW_NAMES[self.kind]}({self.species}, {args})"


def _term_str(term: Term) -> str:
    return term if isinstance(term, str) else repr(float(term) + 0.0)  # + 0.0: no "-0.0"


@dataclass(frozen=True)
class Reaction:
    """One reaction: reactant and product coefficients and a rate law.

    Parameters
    ----------
    reactants, products : tuple of (species, coefficient)
        Each species at most once, coefficients positive integers.
    rate : RateLaw
    """

    reactants: tuple[tuple[str, int], ...]
    products: tuple[tuple[str, int], ...]
    rate: RateLaw

    def __post_init__(self) -> None:
        for side, terms in (("reactant", self.reactants), ("product", self.products)):
            seen = set()
            for name, coeff in terms:
                _check_name(name, "species")
                if name in seen:
                    raise ValueError(f"species {name!r} appears twice among the {side}s")
                seen.add(name)
                if isinstance(coeff, bool) or not isinstance(coeff, int | np.integer):
                    raise TypeError(f"{side} coefficient of {name!r} must be an integer")
                if coeff < 1:
                    raise ValueError(f"{side} coefficient of {name!r} must be positive")

    def __str__(self) -> str:
        def side(terms: tuple[tuple[str, int], ...]) -> str:
            if not terms:
                return "0"
            return " + ".join(f"{c}{s}" if c > 1 else s for s, c in terms)

        return f"{self.rate}, {side(self.reactants)} --> {side(self.products)}"


@dataclass(frozen=True)
class NetworkArrays:
    """A network lowered to the plain arrays every kernel takes.

    All integer arrays are ``int64``; ``S`` species, ``R`` reactions, ``P`` parameters.
    The constant vector passed to kernels is ``theta = concat(parameter values,
    literals)``, so rate-law slots index either a parameter or a literal.

    Attributes
    ----------
    reactant_ptr, reactant_species, reactant_coeff :
        Reactants of reaction ``j`` are ``reactant_species[reactant_ptr[j]:reactant_ptr[j+1]]``
        (CSR layout) with their coefficients.
    change_ptr, change_species, change_delta :
        Net state change of each reaction (CSR layout, zero changes omitted).
    rate_code : (R,) array
        :data:`MASS_ACTION`, :data:`HILL` or :data:`HILLR`.
    rate_species : (R,) array
        Species index of a Hill law, ``-1`` for mass action.
    rate_slots : (R, 3) array
        Indices into ``theta``: ``k`` in slot 0 for mass action, ``(v, K, n)`` for Hill;
        unused slots are ``-1``.
    literals : (L,) float64 array
    dependency_ptr, dependency_index :
        Reactions whose propensity may change when reaction ``j`` fires (CSR layout,
        including ``j`` itself when it changes its own reactants).
    """

    n_species: int
    n_reactions: int
    n_parameters: int
    reactant_ptr: np.ndarray
    reactant_species: np.ndarray
    reactant_coeff: np.ndarray
    change_ptr: np.ndarray
    change_species: np.ndarray
    change_delta: np.ndarray
    rate_code: np.ndarray
    rate_species: np.ndarray
    rate_slots: np.ndarray
    literals: np.ndarray
    dependency_ptr: np.ndarray
    dependency_index: np.ndarray

    @property
    def stoichiometry(self) -> np.ndarray:
        """Dense ``(R, S)`` net change ``nu`` (built on request: small networks only)."""
        nu = np.zeros((self.n_reactions, self.n_species), dtype=np.int64)
        rows = np.repeat(np.arange(self.n_reactions), np.diff(self.change_ptr))
        nu[rows, self.change_species] = self.change_delta
        return nu

    def theta(self, parameter_values: np.ndarray) -> np.ndarray:
        """The constant vector ``concat(parameter_values, literals)`` for the kernels."""
        values = np.asarray(parameter_values, dtype=np.float64)
        return np.ascontiguousarray(np.concatenate([values, self.literals]))


@dataclass(frozen=True)
class Network:
    """An immutable stochastic reaction network.

    Parameters
    ----------
    reactions : tuple of Reaction
    species : tuple of str, optional
        Species order; defaults to order of first appearance. Species that appear in no
        reaction may be listed (they stay constant).

    Examples
    --------
    >>> import ssagrad
    >>> net = ssagrad.parse('''
    ...     k1, 0 --> A
    ...     k2, A --> 0
    ... ''')
    >>> net.species, net.parameters
    (('A',), ('k1', 'k2'))
    >>> print(net)
    k1, 0 --> A
    k2, A --> 0
    """

    reactions: tuple[Reaction, ...]
    species: tuple[str, ...] = ()
    parameters: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        if not self.reactions:
            raise ValueError("a network needs at least one reaction")
        species, parameters = _names(self.reactions, self.species)
        if not species:
            raise ValueError(
                "a network needs at least one species: every reaction here has 0 on both sides"
            )
        clash = set(species) & set(parameters)
        if clash:
            raise ValueError(f"names used both as species and parameter: {sorted(clash)}")
        object.__setattr__(self, "reactions", tuple(self.reactions))
        object.__setattr__(self, "species", tuple(species))
        object.__setattr__(self, "parameters", tuple(parameters))
        object.__setattr__(self, "_arrays", None)  # built on first use, then kept
        object.__setattr__(self, "_text", None)

    def __str__(self) -> str:
        if self._text is None:
            object.__setattr__(self, "_text", "\n".join(str(r) for r in self.reactions))
        return self._text

    def to_text(self) -> str:
        """The network in ssagrad's text syntax; ``ssagrad.parse(net.to_text()) == net``.

        One reaction per line as :func:`ssagrad.parse` reads it. When the species order
        is not the order of first appearance in the reactions (or a species takes part in
        no reaction), a first line ``@species A B C`` (as in Catalyst) declares it.

        Examples
        --------
        >>> import ssagrad
        >>> net = ssagrad.Network(ssagrad.parse("k, S + I --> 2I").reactions, ("S", "I", "R"))
        >>> print(net.to_text())
        @species S I R
        k, S + I --> 2I
        >>> ssagrad.parse(net.to_text()) == net
        True
        """
        body = str(self)
        if tuple(_names(self.reactions, ())[0]) == self.species:
            return body
        return f"@species {' '.join(self.species)}\n{body}"

    @property
    def n_species(self) -> int:
        """Number of species."""
        return len(self.species)

    @property
    def n_reactions(self) -> int:
        """Number of reactions."""
        return len(self.reactions)

    def arrays(self) -> NetworkArrays:
        """Lower the network to the plain arrays of the kernel contract (built once, kept).

        Linear in the size of the network: the dependency graph goes through the
        reactions that read each species.
        """
        if self._arrays is None:
            object.__setattr__(self, "_arrays", _lower(self))
        return self._arrays


def _names(
    reactions: Iterable[Reaction], declared: tuple[str, ...]
) -> tuple[dict[str, None], dict[str, None]]:
    """Species (``declared`` first, then by first appearance) and parameters, in order.

    Dicts as ordered sets: linear in the size of the network.
    """
    species = dict.fromkeys(declared)
    parameters: dict[str, None] = {}
    for reaction in reactions:
        if not isinstance(reaction, Reaction):
            raise TypeError(f"expected a Reaction, got {type(reaction).__name__}")
        if reaction.rate.species is not None:
            species.setdefault(reaction.rate.species)
        for name, _ in reaction.reactants + reaction.products:
            species.setdefault(name)
        for name in reaction.rate.parameters():
            parameters.setdefault(name)
    return species, parameters


def _lower(net: Network) -> NetworkArrays:
    """:meth:`Network.arrays` without the cache."""
    sp = {s: i for i, s in enumerate(net.species)}
    par = {p: i for i, p in enumerate(net.parameters)}
    n_s, n_r, n_p = len(sp), len(net.reactions), len(par)
    literals: list[float] = []
    reactant_ptr, reactant_species, reactant_coeff = [0], [], []
    change_ptr, change_species, change_delta = [0], [], []
    rate_code = np.zeros(n_r, dtype=np.int64)
    rate_species = np.full(n_r, -1, dtype=np.int64)
    rate_slots = np.full((n_r, 3), -1, dtype=np.int64)
    readers: list[list[int]] = [[] for _ in range(n_s)]  # reactions reading each species
    for j, reaction in enumerate(net.reactions):
        change: dict[int, int] = {}
        for name, coeff in reaction.reactants:
            reactant_species.append(sp[name])
            reactant_coeff.append(coeff)
            change[sp[name]] = -coeff
            readers[sp[name]].append(j)
        for name, coeff in reaction.products:
            change[sp[name]] = change.get(sp[name], 0) + coeff
        reactant_ptr.append(len(reactant_species))
        for s in sorted(change):
            if change[s]:
                change_species.append(s)
                change_delta.append(change[s])
        change_ptr.append(len(change_species))
        rate_code[j] = reaction.rate.kind
        if reaction.rate.species is not None:
            rate_species[j] = sp[reaction.rate.species]
            hill_readers = readers[rate_species[j]]
            if not hill_readers or hill_readers[-1] != j:
                hill_readers.append(j)
        for k, term in enumerate(reaction.rate.args):
            if isinstance(term, str):
                rate_slots[j, k] = par[term]
            else:
                literals.append(float(term))
                rate_slots[j, k] = n_p + len(literals) - 1
    dependency_ptr, dependency_index = [0], []
    for j in range(n_r):
        changed = change_species[change_ptr[j] : change_ptr[j + 1]]
        dependency_index.extend(sorted({i for s in changed for i in readers[s]}))
        dependency_ptr.append(len(dependency_index))

    def i64(values: Iterable[int]) -> np.ndarray:
        return np.ascontiguousarray(np.asarray(values, dtype=np.int64))

    return NetworkArrays(
        n_species=n_s,
        n_reactions=n_r,
        n_parameters=n_p,
        reactant_ptr=i64(reactant_ptr),
        reactant_species=i64(reactant_species),
        reactant_coeff=i64(reactant_coeff),
        change_ptr=i64(change_ptr),
        change_species=i64(change_species),
        change_delta=i64(change_delta),
        rate_code=rate_code,
        rate_species=rate_species,
        rate_slots=rate_slots,
        literals=np.asarray(literals, dtype=np.float64),
        dependency_ptr=i64(dependency_ptr),
        dependency_index=i64(dependency_index),
    )


class NetworkBuilder:
    """Build a :class:`Network` reaction by reaction.

    Examples
    --------
    >>> from ssagrad import NetworkBuilder
    >>> net = (
    ...     NetworkBuilder()
    ...     .add("kon", {"Goff": 1}, {"Gon": 1})
    ...     .add("koff", {"Gon": 1}, {"Goff": 1})
    ...     .add("ktx", {"Gon": 1}, {"Gon": 1, "M": 1})
    ...     .add("kdeg", {"M": 1}, {})
    ...     .build()
    ... )
    >>> net.parameters
    ('kon', 'koff', 'ktx', 'kdeg')
    """

    def __init__(self) -> None:
        self._reactions: list[Reaction] = []

    def add(
        self,
        rate: Term | RateLaw,
        reactants: Mapping[str, int] | None = None,
        products: Mapping[str, int] | None = None,
    ) -> NetworkBuilder:
        """Add a reaction ``reactants --> products`` with ``rate``.

        Parameters
        ----------
        rate : str, float or RateLaw
            A parameter name or number (mass action), or a rate law from
            :func:`hill` / :func:`hillr`.
        reactants, products : mapping of species name to coefficient
        """
        if not isinstance(rate, RateLaw):
            rate = RateLaw(MASS_ACTION, (rate,))
        reaction = Reaction(tuple((reactants or {}).items()), tuple((products or {}).items()), rate)
        self._reactions.append(reaction)
        return self

    def build(self) -> Network:
        """Return the network built so far."""
        return Network(tuple(self._reactions))


def hill(species: str, v: Term, K: Term, n: Term) -> RateLaw:
    """Activating Hill rate law ``v x^n / (K^n + x^n)`` of ``species`` (Catalyst ``hill``)."""
    return RateLaw(HILL, (v, K, n), species)


def hillr(species: str, v: Term, K: Term, n: Term) -> RateLaw:
    """Repressing Hill rate law ``v K^n / (K^n + x^n)`` of ``species`` (Catalyst ``hillr``)."""
    return RateLaw(HILLR, (v, K, n), species)
