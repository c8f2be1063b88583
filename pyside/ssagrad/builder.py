"""Build a :class:`~ssagrad.network.Network` reaction by reaction, and rate-law helpers."""

from __future__ import annotations

import re
from collections.abc import Mapping

from .events import Event
from .expr import Expression
from .network import EXPRESSION, HILL, HILLR, MASS_ACTION, Network, RateLaw, Reaction, Term

_NUMBER = re.compile(r"^[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?$")


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

    A rate may be an expression; ``full=True`` makes it the whole propensity
    (Catalyst's ``=>``) instead of a factor of the mass-action term:

    >>> mm = NetworkBuilder().add("Vmax * S / (Km + S)", {"S": 1}, {"P": 1}, full=True).build()
    >>> print(mm)
    Vmax * S / (Km + S), S => P
    """

    def __init__(self) -> None:
        self._reactions: list[Reaction] = []
        self._species: list[str] = []
        self._events: list[Event] = []

    def add(
        self,
        rate: Term | RateLaw,
        reactants: Mapping[str, int] | None = None,
        products: Mapping[str, int] | None = None,
        full: bool = False,
    ) -> NetworkBuilder:
        """Add a reaction ``reactants --> products`` with ``rate``.

        Parameters
        ----------
        rate : str, float or RateLaw
            A parameter name or number (mass action), an expression (text), or a rate
            law from :func:`hill`, :func:`hillr` or :func:`expression`.
        reactants, products : mapping of species name to coefficient
        full : bool
            The rate is the whole propensity (``=>``), not a factor of the mass-action
            term (``-->``).
        """
        if not isinstance(rate, RateLaw):
            rate = rate_law(rate, full)
        elif full and not rate.full:
            raise ValueError("full=True needs an expression rate (or pass expression(..., True))")
        reaction = Reaction(tuple((reactants or {}).items()), tuple((products or {}).items()), rate)
        self._reactions.append(reaction)
        return self

    def species(self, *names: str) -> NetworkBuilder:
        """Declare species (e.g. ones read only by rate expressions)."""
        self._species.extend(names)
        return self

    def event(
        self, trigger: str, assignments: Mapping[str, str], initial_value: bool = True
    ) -> NetworkBuilder:
        """Add an :class:`~ssagrad.events.Event` (simulation only), e.g.
        ``.event("t >= 10", {"X": "0"})``."""
        self._events.append(Event.parse(trigger, assignments, initial_value))
        return self

    def build(self) -> Network:
        """Return the network built so far."""
        return Network(tuple(self._reactions), tuple(self._species), tuple(self._events))


def rate_law(rate: Term, full: bool = False) -> RateLaw:
    """A parameter name or number (mass action, unless ``full``) or an expression text."""
    if isinstance(rate, str) and not full:
        text = rate.strip()
        if text.isidentifier():
            return RateLaw(MASS_ACTION, (text,))
        if _NUMBER.match(text):
            return RateLaw(MASS_ACTION, (float(text),))
        return expression(text)
    if isinstance(rate, str) or full:
        return expression(str(rate) if not isinstance(rate, str) else rate, full)
    return RateLaw(MASS_ACTION, (rate,))


def expression(text: str | Expression, full: bool = False) -> RateLaw:
    """An expression rate law (see :mod:`ssagrad.expr` for the grammar).

    Parameters
    ----------
    text : str or Expression
    full : bool
        ``True``: the expression is the whole propensity (``=>``); ``False``: it
        multiplies the mass-action term ``prod_s C(x_s, r_s)`` (``-->``).

    Examples
    --------
    >>> law = expression("k * E / (K + E)")
    >>> law.parameters(), law.full
    (('k', 'E', 'K'), False)
    """
    tree = text if isinstance(text, Expression) else Expression.parse(text)
    return RateLaw(EXPRESSION, (), None, tree, bool(full))


def hill(species: str, v: Term, K: Term, n: Term) -> RateLaw:
    """Activating Hill rate law ``v x^n / (K^n + x^n)`` of ``species`` (Catalyst ``hill``)."""
    return RateLaw(HILL, (v, K, n), species)


def hillr(species: str, v: Term, K: Term, n: Term) -> RateLaw:
    """Repressing Hill rate law ``v K^n / (K^n + x^n)`` of ``species`` (Catalyst ``hillr``)."""
    return RateLaw(HILLR, (v, K, n), species)
