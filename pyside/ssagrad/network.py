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
from typing import TYPE_CHECKING

import numpy as np

from .events import Event
from .expr import TIME, Expression

if TYPE_CHECKING:
    from ._lowering import ExpressionTables

#: Rate-law codes used by the kernels.
MASS_ACTION = 0
HILL = 1
HILLR = 2
EXPRESSION = 3

RATE_LAW_NAMES = {
    MASS_ACTION: "mass action",
    HILL: "hill",
    HILLR: "hillr",
    EXPRESSION: "expression",
}

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
        :data:`MASS_ACTION`, :data:`HILL`, :data:`HILLR` or :data:`EXPRESSION`.
    args : tuple
        Mass action: ``(k,)``. Hill: ``(v, K, n)`` with ``hill = v x^n / (K^n + x^n)``
        and ``hillr = v K^n / (K^n + x^n)``. Each is a parameter name or a number.
        Expression: ``()``.
    species : str or None
        The regulating species of a Hill law.
    expression : Expression or None
        The rate of an :data:`EXPRESSION` law (see :func:`expression`).
    full : bool
        Expression laws only: ``True`` if the expression is the whole propensity
        (Catalyst's ``=>``), ``False`` if it multiplies the mass-action term (``-->``).
    """

    kind: int
    args: tuple[Term, ...]
    species: str | None = None
    expression: Expression | None = None
    full: bool = False

    def __post_init__(self) -> None:
        if self.kind == EXPRESSION:
            if not isinstance(self.expression, Expression) or self.args or self.species:
                raise ValueError("an expression rate takes an Expression and no arguments")
            for name in self.expression.names:
                _check_name(name, "rate-law")
            return
        if self.expression is not None or self.full:
            raise ValueError("only an expression rate law takes 'expression' and 'full'")
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
        """Parameter names used by this rate law, in argument order.

        For an expression: every name but the time ``t`` (the network tells species from
        parameters).
        """
        if self.kind == EXPRESSION:
            return tuple(n for n in self.expression.names if n != TIME)
        return tuple(a for a in self.args if isinstance(a, str))

    @property
    def time_dependent(self) -> bool:
        """Whether the rate reads the time ``t``."""
        return self.kind == EXPRESSION and self.expression.time_dependent

    def __str__(self) -> str:
        if self.kind == EXPRESSION:
            return str(self.expression)
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

        arrow = "=>" if self.rate.full else "-->"
        return f"{self.rate}, {side(self.reactants)} {arrow} {side(self.products)}"


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
    expressions : ExpressionTables
        Expression rate laws and events lowered to kernel tables (all empty without them);
        see :mod:`ssagrad._lowering`. With an expression law, ``rate_slots`` lists the
        parameters it reads (as many columns as the widest law needs, at least 3) and
        the reactant arrays hold no reactants of a ``=>`` (whole-propensity) law.
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
    expressions: ExpressionTables = field(default=None, repr=False)  # type: ignore[assignment]

    @property
    def has_expressions(self) -> bool:
        """Whether any rate law is an expression."""
        return bool((self.rate_code == EXPRESSION).any())

    @property
    def has_events(self) -> bool:
        """Whether the network has events."""
        return self.expressions is not None and self.expressions.n_events > 0

    @property
    def time_dependent(self) -> bool:
        """Whether any rate law reads the time ``t``."""
        return self.expressions is not None and self.expressions.time_dependent

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
    events: tuple[Event, ...] = ()
    parameters: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        if not self.reactions:
            raise ValueError("a network needs at least one reaction")
        # dicts as ordered sets: linear in the size of the network
        names: dict[str, bool] = {}  # candidate parameters -> read by an expression/event
        for reaction in self.reactions:
            if not isinstance(reaction, Reaction):
                raise TypeError(f"expected a Reaction, got {type(reaction).__name__}")
            flexible = reaction.rate.kind == EXPRESSION
            for name in reaction.rate.parameters():
                names[name] = names.get(name, True) and flexible
        for event in self.events:
            if not isinstance(event, Event):
                raise TypeError(f"expected an Event, got {type(event).__name__}")
            for name in event.names():
                if name != TIME:
                    names.setdefault(name, True)
        species = dict.fromkeys((*self.species, *_species_in(self.reactions)))
        if not species:
            raise ValueError(
                "a network needs at least one species: every reaction here has 0 on both sides"
            )
        clash = sorted(n for n, flexible in names.items() if not flexible and n in species)
        if clash:
            raise ValueError(f"names used both as species and parameter: {clash}")
        # In expressions and events, a name is a species if the network has that species.
        parameters = [n for n in names if n not in species]
        if TIME in species or TIME in parameters:
            raise ValueError(f"{TIME!r} is the time in rate laws: rename that species or parameter")
        object.__setattr__(self, "reactions", tuple(self.reactions))
        object.__setattr__(self, "species", tuple(species))
        object.__setattr__(self, "events", tuple(self.events))
        object.__setattr__(self, "parameters", tuple(parameters))
        object.__setattr__(self, "_arrays", None)  # built on first use, then kept
        object.__setattr__(self, "_text", None)

    def __str__(self) -> str:
        if self._text is None:
            lines = [str(r) for r in self.reactions] + [str(e) for e in self.events]
            object.__setattr__(self, "_text", "\n".join(lines))
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
        if _species_in(self.reactions) == self.species:
            return body
        return f"@species {' '.join(self.species)}\n{body}"

    @property
    def time_dependent(self) -> bool:
        """Whether a rate law reads the time ``t`` (simulation by thinning only)."""
        return any(r.rate.time_dependent for r in self.reactions)

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
            from ._lowering import lower

            object.__setattr__(self, "_arrays", lower(self))
        return self._arrays

    def to_sbml(
        self,
        path: str | None = None,
        params: Mapping[str, float] | None = None,
        x0: Mapping[str, int] | None = None,
        t_end: float | None = None,
    ) -> str:
        """Write the network as SBML Level 3 (needs ``python-libsbml``; see :mod:`ssagrad.sbml`).

        Returns the document text; writes it to ``path`` if given.
        """
        from .sbml import write_sbml

        return write_sbml(self, path, params=params, x0=x0, t_end=t_end)


def _species_in(reactions: Iterable[Reaction]) -> tuple[str, ...]:
    """The species the reactions name (reactants, products, Hill laws), by first appearance."""
    species: dict[str, None] = {}  # an ordered set
    for reaction in reactions:
        if reaction.rate.species is not None:
            species.setdefault(reaction.rate.species)
        for name, _ in reaction.reactants + reaction.products:
            species.setdefault(name)
    return tuple(species)


# The builder and the rate-law helpers live in ssagrad.builder; re-exported here.
from .builder import NetworkBuilder, expression, hill, hillr  # noqa: E402

__all__ = [
    "EXPRESSION", "HILL", "HILLR", "MASS_ACTION", "Network", "NetworkArrays", "NetworkBuilder",
    "RateLaw", "Reaction", "Term", "expression", "hill", "hillr",
]  # fmt: skip
