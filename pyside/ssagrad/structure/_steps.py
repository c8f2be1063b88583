"""Formulations 2 and 3: reaction slots whose structure moves in steps.

Both have ``slots`` reactions, each with a rate coordinate (see :mod:`._base`); they
differ in how a slot's reaction is chosen:

* :class:`CoefficientSteps`: real reactant and product coefficients per species,
  ``round(u / unit)`` clipped to ``0..max_order``. A slot whose rounded reaction is a
  no-op or has a side of order above ``max_order`` (so is not a library reaction) is
  switched off.
* :class:`ReactionSteps`: one real selector per slot, library reaction
  ``floor(u / unit)`` (clipped to the library).

Slots that land on the same reaction are merged (their rates add, which is exact for
mass action), so every realisation is an ordinary network of library reactions. The
realisation is piecewise constant in the structural coordinates: only the smoothing
estimator applies. Starting structures are distinct library reactions drawn from
``init_seed`` among those that can fire at ``x0`` (when given), each coordinate at the
centre of its step.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..fitting.parametrisation import Realisation
from ._base import Structure, check_count
from .library import Library


def _slots(library: Library, slots: Any) -> int:
    slots = check_count("slots", slots)
    if slots > len(library):
        raise ValueError(
            f"slots={slots} is more than the {len(library)} reactions of the library "
            f"(species {', '.join(library.species)}, max_order {library.max_order})"
        )
    return slots


class _Slots(Structure):
    """Shared: slot count, starting reactions, rate coordinates and merging."""

    def __init__(self, library: Library, slots: int, init_seed: int = 0, **common: Any) -> None:
        super().__init__(library, **common)
        self.slots = _slots(library, slots)
        self.init_seed = check_count("init_seed", init_seed, 0)
        self.set_present(self.slots)
        rng = np.random.default_rng(np.random.SeedSequence([self.init_seed, 0x5107]))
        pool = np.flatnonzero(self.startable)
        if pool.size < self.slots:
            pool = np.arange(len(library))
        self.start_reactions = rng.choice(pool, size=self.slots, replace=False)

    def _merged(self, picks: list[int], rate_u: np.ndarray) -> Realisation:
        selection: dict[int, float] = {}
        for slot, index in enumerate(picks):
            if index < 0:
                continue
            rate = float(self.rates(rate_u[slot : slot + 1], [self.library.order(index)])[0])
            selection[index] = selection.get(index, 0.0) + rate
        return self.realise_selection(selection)

    def config(self) -> dict:
        return {**super().config(), "slots": self.slots, "init_seed": self.init_seed}


class CoefficientSteps(_Slots):
    """Formulation 2: real stoichiometric coefficients, rounded in the simulator.

    Coordinates per slot ``j``: ``slot{j}.reactant[X]`` and ``slot{j}.product[X]`` for
    every species ``X`` (the coefficient is ``round(u / unit)`` within
    ``0..max_order``), and ``slot{j}.rate``.

    Examples
    --------
    >>> from ssagrad.structure import CoefficientSteps, library
    >>> p = CoefficientSteps(library(["A", "B"], 1), slots=1, unit=1.0)
    >>> p.names
    ('slot1.reactant[A]', 'slot1.reactant[B]', 'slot1.product[A]', 'slot1.product[B]', 'slot1.rate')
    >>> import numpy as np
    >>> print(p.realise(np.array([0.9, 0.2, -0.3, 1.4, 4.6])).network.to_text())
    k4, A --> B
    """

    def __init__(self, library: Library, slots: int, init_seed: int = 0, **common: Any) -> None:
        super().__init__(library, slots, init_seed, **common)
        species = library.species
        names = []
        for j in range(1, self.slots + 1):
            names += [f"slot{j}.reactant[{s}]" for s in species]
            names += [f"slot{j}.product[{s}]" for s in species]
            names.append(f"slot{j}.rate")
        self.names = tuple(names)
        self.width = 2 * len(species) + 1

    def initial(self) -> np.ndarray:
        u = np.empty(len(self.names))
        for slot, index in enumerate(self.start_reactions):
            block = slot * self.width
            coefficients = np.concatenate(
                [self.library.reactants[index], self.library.products[index]]
            )
            u[block : block + self.width - 1] = coefficients * self.unit
            u[block + self.width - 1] = self.initial_u()
        return u

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        lower = np.full(len(self.names), -0.49 * self.unit)
        upper = np.full(len(self.names), (self.library.max_order + 0.49) * self.unit)
        rate = np.arange(self.slots) * self.width + self.width - 1
        lower[rate], upper[rate] = 0.0, np.inf
        return lower, upper

    def reaction_of(self, u: np.ndarray, slot: int) -> int:
        """Library index of slot ``slot``'s rounded reaction, or -1 (switched off)."""
        n_s, top = len(self.species), self.library.max_order
        block = u[slot * self.width : slot * self.width + 2 * n_s]
        counts = np.clip(np.rint(block / self.unit), 0, top).astype(np.int64)
        reactants, products = counts[:n_s], counts[n_s:]
        if reactants.sum() > top or products.sum() > top or (reactants == products).all():
            return -1
        names = self.species
        return self.library.index(
            dict(zip(names, reactants.tolist(), strict=True)),
            dict(zip(names, products.tolist(), strict=True)),
        )

    def realise(self, u: np.ndarray) -> Realisation:
        u = np.asarray(u, dtype=np.float64)
        picks = [self.reaction_of(u, slot) for slot in range(self.slots)]
        return self._merged(picks, u[self.width - 1 :: self.width])


class ReactionSteps(_Slots):
    """Formulation 3: slots that select library reactions by stepped real parameters.

    Coordinates per slot ``j``: ``slot{j}.reaction`` (library index
    ``floor(u / unit)``, clipped to ``0..L-1``) and ``slot{j}.rate``.

    Examples
    --------
    >>> from ssagrad.structure import ReactionSteps, library
    >>> p = ReactionSteps(library(["A"], 1), slots=1, unit=1.0)
    >>> p.names
    ('slot1.reaction', 'slot1.rate')
    >>> import numpy as np
    >>> print(p.realise(np.array([1.5, 4.6])).network.to_text())
    k2, A --> 0
    """

    def __init__(self, library: Library, slots: int, init_seed: int = 0, **common: Any) -> None:
        super().__init__(library, slots, init_seed, **common)
        self.names = tuple(
            name
            for j in range(1, self.slots + 1)
            for name in (f"slot{j}.reaction", f"slot{j}.rate")
        )

    def initial(self) -> np.ndarray:
        u = np.empty(2 * self.slots)
        u[0::2] = (self.start_reactions + 0.5) * self.unit
        u[1::2] = self.initial_u()
        return u

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        lower = np.zeros(2 * self.slots)
        upper = np.full(2 * self.slots, np.inf)
        upper[0::2] = len(self.library) * self.unit
        return lower, upper

    def realise(self, u: np.ndarray) -> Realisation:
        u = np.asarray(u, dtype=np.float64)
        picks = np.clip(np.floor(u[0::2] / self.unit), 0, len(self.library) - 1).astype(int)
        return self._merged(picks.tolist(), u[1::2])
