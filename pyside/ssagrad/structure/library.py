"""The library of candidate mass-action reactions over a set of species.

Enumeration rule
----------------
A *complex* is a multiset of species of total size (order) ``0..max_order``. Complexes
are listed by order, and within an order as :func:`itertools.combinations_with_replacement`
lists them in the given species order: for ``S, I, R`` and order 2,
``0; S; I; R; 2S; S + I; S + R; 2I; I + R; 2R``. There are
``M = C(n_species + max_order, max_order)`` of them.

The library holds one reaction ``reactants --> products`` for every ordered pair of
distinct complexes, reactant complex first in the order above, then product complex:
``M (M - 1)`` reactions. Pairs of equal complexes (no-ops, ``A --> A``) are excluded and no
reaction occurs twice. Catalytic reactions such as ``A + B --> A + C`` are distinct from
``B --> C`` (same change, other propensity) and both are included. For ``S, I, R`` and
order 2 the library has ``10 * 9 = 90`` reactions; for two species, ``6 * 5 = 30``.

Reaction ``i`` (0-based) has the rate parameter ``k{i+1}`` in every network built from
the library, so a learned network names its reactions by their library index.
"""

from __future__ import annotations

import itertools
import math
import numbers
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from ..network import MASS_ACTION, Network, NetworkArrays, RateLaw, Reaction

__all__ = ["Library", "library", "library_size"]

#: Library networks kept per Library (a cache of lowered networks by structure).
CACHE_SIZE = 4096


def library_size(n_species: int, max_order: int) -> int:
    """``M (M - 1)`` with ``M = C(n_species + max_order, max_order)`` complexes.

    Examples
    --------
    >>> library_size(3, 2), library_size(2, 2), library_size(3, 1)
    (90, 30, 12)
    """
    complexes = math.comb(n_species + max_order, max_order)
    return complexes * (complexes - 1)


def _complexes(n_species: int, max_order: int) -> list[tuple[int, ...]]:
    out = []
    for order in range(max_order + 1):
        for combo in itertools.combinations_with_replacement(range(n_species), order):
            counts = [0] * n_species
            for s in combo:
                counts[s] += 1
            out.append(tuple(counts))
    return out


def _side(species: Sequence[str], counts: Iterable[int]) -> tuple[tuple[str, int], ...]:
    return tuple((name, int(c)) for name, c in zip(species, counts, strict=True) if c > 0)


@dataclass(frozen=True)
class Library:
    """The candidate reactions (see the module docstring for the enumeration rule).

    Attributes
    ----------
    species : tuple of str
    max_order : int
    reactants, products : (L, S) int64
        Coefficients of reaction ``i``.

    Examples
    --------
    >>> from ssagrad.structure import library
    >>> lib = library(["S", "I", "R"], 2)
    >>> len(lib), lib.text(lib.index({"S": 1, "I": 1}, {"I": 2}))
    (90, 'S + I --> 2I')
    >>> net, rates = lib.network({lib.index({"I": 1}, {"R": 1}): 0.01})
    >>> print(net.to_text())
    @species S I R
    k21, I --> R
    """

    species: tuple[str, ...]
    max_order: int
    reactants: np.ndarray = field(repr=False)
    products: np.ndarray = field(repr=False)
    _keys: dict = field(default_factory=dict, repr=False, compare=False)
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    def __len__(self) -> int:
        return int(self.reactants.shape[0])

    def key(self, i: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """The structure of reaction ``i``: (reactant counts, product counts) per species."""
        return tuple(self.reactants[i].tolist()), tuple(self.products[i].tolist())

    def order(self, i: int) -> int:
        """Reactant order (molecularity) of reaction ``i``."""
        return int(self.reactants[i].sum())

    def reaction(self, i: int, rate: str | float | None = None) -> Reaction:
        """Reaction ``i`` with rate parameter ``k{i+1}`` (or the given rate)."""
        rate = f"k{i + 1}" if rate is None else rate
        return Reaction(
            _side(self.species, self.reactants[i]),
            _side(self.species, self.products[i]),
            RateLaw(MASS_ACTION, (rate,)),
        )

    def text(self, i: int) -> str:
        """``"S + I --> 2I"``: reaction ``i`` without its rate."""
        return str(self.reaction(i)).split(", ", 1)[1]

    def index(self, reactants: Mapping[str, int], products: Mapping[str, int]) -> int:
        """Library index of ``reactants --> products``; ``ValueError`` if not in the library."""
        if not self._keys:
            self._keys.update({self.key(i): i for i in range(len(self))})
        unknown = [s for s in (*reactants, *products) if s not in self.species]
        if unknown:
            raise ValueError(f"species {unknown[0]!r} is not in the library ({self.species})")
        key = (
            tuple(int(reactants.get(s, 0)) for s in self.species),
            tuple(int(products.get(s, 0)) for s in self.species),
        )
        if key not in self._keys:
            raise ValueError(f"{reactants} --> {products} is not in the library")
        return self._keys[key]

    def index_of(self, reaction: Reaction) -> int:
        """Library index of a mass-action ``reaction`` (its rate is ignored)."""
        return self.index(dict(reaction.reactants), dict(reaction.products))

    def lowered(self, indices: tuple[int, ...]) -> tuple[Network, NetworkArrays]:
        """The network of the library reactions ``indices`` (sorted, distinct), lowered.

        No reactions at all give the inert network ``0.0, 0 --> 0`` (nothing happens).
        """
        cached = self._cache.get(indices)
        if cached is None:
            if indices:
                reactions = tuple(self.reaction(i) for i in indices)
            else:
                reactions = (Reaction((), (), RateLaw(MASS_ACTION, (0.0,))),)
            network = Network(reactions, self.species)
            if len(self._cache) >= CACHE_SIZE:
                self._cache.clear()
            cached = self._cache[indices] = (network, network.arrays())
        return cached

    def network(self, selection: Mapping[int, float]) -> tuple[Network, np.ndarray]:
        """The network of the selected reactions with their rates.

        Parameters
        ----------
        selection : mapping of library index to rate

        Returns
        -------
        network : Network
            The reactions in library order, over all library species.
        rates : (P,) float64
            In ``network.parameters`` order.
        """
        indices = tuple(sorted(selection))
        network, _ = self.lowered(indices)
        return network, np.array([float(selection[i]) for i in indices], dtype=np.float64)


def library(species: Sequence[str], max_order: int) -> Library:
    """All mass-action reactions over ``species`` up to order ``max_order`` on each side.

    See the module docstring for the enumeration rule and :func:`library_size` for the
    size.

    Raises
    ------
    ValueError
        No species, a repeated or invalid species name, ``max_order`` not an integer
        ``>= 1``, or a species named like a library rate (``k1``, ``k2``, ...).
    """
    if isinstance(species, str):
        species = [species]
    species = tuple(species)
    if not species:
        raise ValueError("the library needs at least one species")
    if len(set(species)) != len(species):
        raise ValueError(f"species listed twice: {species}")
    for name in species:
        if not isinstance(name, str) or not name.isidentifier():
            raise ValueError(f"invalid species name {name!r}")
        if name[0] == "k" and name[1:].isdigit():
            raise ValueError(f"species {name!r} clashes with the library's rate names k1, k2, ...")
    if isinstance(max_order, bool) or not isinstance(max_order, numbers.Integral) or max_order < 1:
        raise ValueError(f"max_order must be an integer >= 1, got {max_order!r}")
    complexes = _complexes(len(species), int(max_order))
    pairs = [(r, p) for r in complexes for p in complexes if r != p]
    reactants = np.array([r for r, _ in pairs], dtype=np.int64)
    products = np.array([p for _, p in pairs], dtype=np.int64)
    return Library(species, int(max_order), reactants, products)
