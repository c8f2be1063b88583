"""The text syntax for reaction networks (Catalyst style), parsed without ``eval``.

One reaction per line::

    rate, reactants --> products      # a comment

* ``rate`` is a parameter name (mass action), a number, a Hill law written as in
  Catalyst: ``hill(X, v, K, n)`` or ``hillr(X, v, K, n)`` (each of ``v, K, n`` a
  parameter name or a number), or any expression of the grammar of :mod:`ssagrad.expr`
  over parameters, numbers, species and the time ``t``. With ``-->`` the rate
  multiplies the mass-action term; with ``=>`` (or ``⇒``) it is the whole propensity
  (Catalyst's convention). In an expression, a name is a species if the network has a
  species of that name (a species read only by rates must be listed, with all the
  others, in the ``@species`` line).
* Each side is ``0`` or ``∅`` (nothing) or terms joined by ``+``; a term is a species
  name with an optional integer coefficient (``2A``, ``2 A`` or ``2*A``).
* Names of species and parameters are Python identifiers (letters of any script, digits
  and ``_``, not starting with a digit), the rule of :class:`~ssagrad.NetworkBuilder`.
* A reversible pair is written ``(kf, kb), A + B <--> C`` (also ``↔``).
* ``→`` may be used for ``-->``. Blank lines and ``#`` comments are ignored.
* An optional line ``@species A B C`` (as in Catalyst; names separated by spaces or
  commas) fixes the species order and may list species that take part in no reaction;
  without it, species are ordered by first appearance. :meth:`Network.to_text` writes
  it when needed, so every network round-trips through the text.
"""

from __future__ import annotations

import re

from .builder import expression
from .network import MASS_ACTION, Network, RateLaw, Reaction, Term, hill, hillr

_NUMBER = r"[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?"
_NUMBER_RE = re.compile(rf"^{_NUMBER}$")
_TERM_RE = re.compile(r"^(?:(\d+)\s*\*?\s*)?(\S+)$")
_HILL_RE = re.compile(r"^(hillr?)\s*\((.*)\)$")
_FORWARD = ("-->", "→")
_FULL = ("=>", "⇒")
_REVERSIBLE = ("<-->", "↔", "⇌")


def _is_name(text: str) -> bool:
    """Names are Python identifiers (Unicode letters too), the rule of the builder."""
    return text.isidentifier()


def parse(text: str) -> Network:
    """Parse reaction-network text into a :class:`~ssagrad.network.Network`.

    Parameters
    ----------
    text : str
        One reaction per line, see the module documentation for the syntax.

    Returns
    -------
    Network

    Raises
    ------
    ValueError
        For a malformed line; the message names the line number and the problem.

    Examples
    --------
    >>> import ssagrad
    >>> net = ssagrad.parse('''
    ...     kon,  Goff --> Gon
    ...     koff, Gon --> Goff
    ...     ktx,  Gon --> Gon + M
    ...     kdeg, M --> 0          # 0 or ∅ means nothing
    ... ''')
    >>> net.species
    ('Goff', 'Gon', 'M')
    >>> ssagrad.parse("(kf, kb), 2A <--> B").n_reactions
    2
    >>> ssagrad.parse("k, A -> B")
    Traceback (most recent call last):
    ...
    ValueError: line 1: expected an arrow '-->' (or '<-->') in 'k, A -> B'
    """
    if not isinstance(text, str):
        raise TypeError(f"network text must be a str, got {type(text).__name__}")
    reactions: list[Reaction] = []
    lines: list[int] = []  # the line of each reaction
    species: tuple[str, ...] = ()
    species_line = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        try:
            if line.startswith("@species"):
                if species:
                    raise ValueError("a second @species line")
                species, species_line = _parse_species(line[len("@species") :]), number
            else:
                parsed = _parse_line(line)
                reactions.extend(parsed)
                lines.extend([number] * len(parsed))
        except (ValueError, TypeError) as err:
            raise ValueError(f"line {number}: {err}") from None
    if not reactions:
        raise ValueError("network text contains no reactions")
    network = _network(reactions, lines, species)
    undeclared = [s for s in network.species if s not in species]
    if species and undeclared:
        raise ValueError(
            f"line {species_line}: species {', '.join(map(repr, undeclared))} missing from @species"
        )
    return network


def _network(reactions: list[Reaction], lines: list[int], species: tuple[str, ...]) -> Network:
    """The network of the parsed reactions. An error of the whole network (a name used
    both as species and parameter, the reserved ``t``, no species at all) names the line
    of the reaction at which it first appears: the shortest failing prefix, by bisection."""
    try:
        return Network(tuple(reactions), species)
    except ValueError as err:
        low, high = 1, len(reactions)  # the first `high` reactions fail
        while low < high:
            middle = (low + high) // 2
            try:
                Network(tuple(reactions[:middle]), species)
            except ValueError:
                high = middle
            else:
                low = middle + 1
        raise ValueError(f"line {lines[high - 1]}: {err}") from None


def _parse_species(text: str) -> tuple[str, ...]:
    names = text.replace(",", " ").split()
    if not names:
        raise ValueError("@species names no species")
    for name in names:
        if not _is_name(name):
            raise ValueError(f"invalid species name {name!r} in @species")
    if len(set(names)) != len(names):
        raise ValueError("@species names a species twice")
    return tuple(names)


def _split_top_level_comma(text: str) -> tuple[str, str]:
    depth = 0
    for i, char in enumerate(text):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth < 0:
                raise ValueError(f"unbalanced ')' in {text!r}")
        elif char == "," and depth == 0:
            return text[:i].strip(), text[i + 1 :].strip()
    raise ValueError(f"expected 'rate, reactants --> products' in {text!r}")


def _parse_line(line: str) -> list[Reaction]:
    rate_text, equation = _split_top_level_comma(line)
    for arrow in _REVERSIBLE:
        if arrow in equation:
            lhs, rhs = equation.split(arrow, 1)
            rates = _split_pair(rate_text)
            left, right = _parse_side(lhs), _parse_side(rhs)
            return [
                Reaction(left, right, _parse_rate(rates[0])),
                Reaction(right, left, _parse_rate(rates[1])),
            ]
    for arrow in _FORWARD + _FULL:
        if arrow in equation:
            lhs, rhs = equation.split(arrow, 1)
            if any(a in rhs for a in _FORWARD + _FULL):
                raise ValueError(f"more than one arrow in {line!r}")
            rate = _parse_rate(rate_text, full=arrow in _FULL)
            return [Reaction(_parse_side(lhs), _parse_side(rhs), rate)]
    raise ValueError(f"expected an arrow '-->' (or '<-->') in {line!r}")


def _split_pair(rate_text: str) -> tuple[str, str]:
    message = f"a reversible reaction needs two rates '(kf, kb)', got {rate_text!r}"
    if not (rate_text.startswith("(") and rate_text.endswith(")")):
        raise ValueError(message)
    try:
        return _split_top_level_comma(rate_text[1:-1])
    except ValueError:
        raise ValueError(message) from None


def _parse_term(text: str, what: str) -> Term:
    text = text.strip()
    if _is_name(text):
        return text
    if _NUMBER_RE.match(text):
        return float(text)
    raise ValueError(f"{what} must be a parameter name or a number, got {text!r}")


def _parse_rate(text: str, full: bool = False) -> RateLaw:
    text = text.strip()
    if full:
        return expression(text, full=True)
    match = _HILL_RE.match(text)
    if match:
        args = [a.strip() for a in match.group(2).split(",")]
        simple = len(args) == 4 and all(_is_name(a) or _NUMBER_RE.match(a) for a in args)
        if simple and _is_name(args[0]):
            v, big_k, n = (_parse_term(a, f"{match.group(1)} argument") for a in args[1:])
            law = hill if match.group(1) == "hill" else hillr
            return law(args[0], v, big_k, n)
    if _is_name(text) or _NUMBER_RE.match(text):
        return RateLaw(MASS_ACTION, (_parse_term(text, "rate"),))
    return expression(text)


def _parse_side(text: str) -> tuple[tuple[str, int], ...]:
    text = text.strip()
    if text in ("0", "∅", ""):
        if text == "":
            raise ValueError("empty reaction side: write 0 or ∅ for nothing")
        return ()
    coefficients: dict[str, int] = {}
    for term in text.split("+"):
        term = term.strip()
        match = _TERM_RE.match(term)
        if not match or not _is_name(match.group(2)):
            raise ValueError(f"cannot read the term {term!r} (expected e.g. 'A' or '2A')")
        coeff = int(match.group(1)) if match.group(1) else 1
        if coeff < 1:
            raise ValueError(f"coefficient of {match.group(2)!r} must be positive")
        coefficients[match.group(2)] = coefficients.get(match.group(2), 0) + coeff
    return tuple(coefficients.items())
