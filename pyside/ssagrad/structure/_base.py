"""What every formulation shares: the library, rate coordinates, steps, and formulation 1.

Rates. Every rate is optimised through the ``kreikemeyer`` reparametrisation
(Kreikemeyer et al.), applied to the reaction's pace at a typical count ``scale``:

    theta = (exp(u + c) - exp(c)) * scale^(1 - r)        for u >= 0 (0 below),

with ``r`` the reactant order. It is logarithmic well above ``exp(c)`` and exactly 0 at
``u = 0``, so a reaction can switch off, and one smoothing scale suits rates of any
magnitude; the factor ``scale^(1 - r)`` makes ``u`` mean the same turnover whatever the
order, so a slot whose reaction changes order keeps its pace. All rates start at
``u0 = log(1 + 1/0.01)``, i.e. ``exp(c) = 0.01 / (horizon * m)``: each of the ``m``
reactions that may be present at once turns over about ``scale / m`` molecules over the
horizon, so that together they start at the data's pace.

Steps. A stepped coordinate (a coefficient, a library index, a system index) moves by
one step per ``unit`` of ``u``: its value is ``floor(u / unit)`` (selections) or
``round(u / unit)`` (coefficients). With the smoothing estimator's ``sigma`` (in units of
``u``), ``sigma / unit`` is the smoothing scale in steps.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from ..fitting.parametrisation import Parametrisation, Realisation
from .library import Library

#: Starting rate relative to the crossover of the kreikemeyer map: ``theta0 = exp(c) / 0.01``.
CROSSOVER = 0.01
#: Estimators that apply to a fixed structure with rates smooth in ``u``.
UNBIASED = ("score", "altpath", "gumbel", "fd", "cfd", "exact")


def check_positive(name: str, value: Any) -> float:
    """``value`` as a finite float > 0, or a ``ValueError`` naming it."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a positive number, got {value!r}")
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a positive number, got {value!r}")
    return float(value)


def check_count(name: str, value: Any, minimum: int = 1) -> int:
    """``value`` as an int ``>= minimum``, or a ``ValueError`` naming it."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


class Structure(Parametrisation):
    """Common base: a library, kreikemeyer rate coordinates and stepped coordinates.

    Parameters
    ----------
    library : Library
    scale : float
        A typical count (``learn`` uses the largest mean count in the data or ``x0``).
    horizon : float
        The time span of the data.
    unit : float
        Length in ``u`` of one structural step.
    max_events : int, optional
        Event cap per trajectory (capped trajectories are frozen); default
        ``50 * scale * n_species + 10000``.
    x0 : mapping of species to count, optional
        The initial state: random starting structures are drawn among library reactions
        that can fire there (a start where nothing fires has a gradient of exactly 0).
    """

    def __init__(
        self,
        library: Library,
        scale: float = 1.0,
        horizon: float = 1.0,
        unit: float = 0.2,
        max_events: int | None = None,
        x0: dict | None = None,
    ) -> None:
        if not isinstance(library, Library):
            raise TypeError(f"expected a Library, got {type(library).__name__}")
        self.library = library
        self.species = library.species
        self.scale = max(1.0, check_positive("scale", scale))
        self.horizon = check_positive("horizon", horizon)
        self.unit = check_positive("unit", unit)
        default_cap = int(50 * self.scale * len(library.species)) + 10_000
        counts = np.array([int((x0 or {}).get(s, 0)) for s in library.species])
        #: Library reactions that can fire at ``x0`` (all of them without ``x0``).
        self.startable = (
            np.ones(len(library), dtype=bool)
            if x0 is None
            else (library.reactants <= counts).all(axis=1)
        )
        self.max_events = check_count(
            "max_events", default_cap if max_events is None else max_events
        )

    # --- rates -----------------------------------------------------------------------
    def set_present(self, present: int) -> None:
        """Fix ``c = log(0.01 / (horizon * present))`` for ``present`` reactions at once."""
        self.offset = math.log(CROSSOVER / (self.horizon * present))

    def order_factor(self, orders: np.ndarray) -> np.ndarray:
        """``scale^(1 - r)`` per reactant order ``r``."""
        return self.scale ** (1.0 - np.asarray(orders, dtype=np.float64))

    def rates(self, u: np.ndarray, orders: np.ndarray) -> np.ndarray:
        """Rates of reactions of reactant ``orders`` at rate coordinates ``u``."""
        pace = math.exp(self.offset) * np.expm1(np.maximum(u, 0.0))  # exactly 0 at u <= 0
        return pace * self.order_factor(orders)

    def rate_derivative(self, u: np.ndarray, orders: np.ndarray) -> np.ndarray:
        """``d theta / d u``: ``exp(u + c) scale^(1 - r)`` for ``u >= 0``, 0 below."""
        slope = np.where(u >= 0, math.exp(self.offset) * np.exp(np.maximum(u, 0.0)), 0.0)
        return slope * self.order_factor(orders)

    @staticmethod
    def initial_u() -> float:
        """The ``u`` of ``theta0``: ``log(1 + 1/0.01)``."""
        return math.log1p(1.0 / CROSSOVER)

    # --- bookkeeping ---------------------------------------------------------------
    def config(self) -> dict:
        return {
            "class": type(self).__name__,
            "species": list(self.species),
            "max_order": self.library.max_order,
            "library": len(self.library),
            "scale": self.scale,
            "horizon": self.horizon,
            "unit": self.unit,
            "max_events": self.max_events,
            "startable": np.flatnonzero(self.startable).tolist(),
            "names": list(self.names),
        }

    def realise_selection(self, selection: dict[int, float]) -> Realisation:
        """The realisation of ``{library index: rate}`` (piecewise constant: no Jacobian)."""
        network, rates = self.library.network(selection)
        _, arrays = self.library.lowered(tuple(sorted(selection)))
        return Realisation(network, arrays, rates)


class LibraryOfReactions(Structure):
    """Formulation 1: every library reaction with its own rate (smooth in ``u``).

    Coordinates ``rate[k{i}]``, one per library reaction (kreikemeyer, ``u >= 0``).
    ``sparsity=lam`` adds ``lam * sum(u)`` to the loss: an L1 penalty on the
    reparametrised rates, which pushes weak reactions to exactly 0. The structure never
    changes, so every estimator applies (chained through ``d theta / d u``).

    Examples
    --------
    >>> from ssagrad.structure import LibraryOfReactions, library
    >>> p = LibraryOfReactions(library(["A"], 1), scale=10, horizon=5)
    >>> p.names
    ('rate[k1]', 'rate[k2]')
    >>> print(p.realise(p.initial()).network.to_text())
    k1, 0 --> A
    k2, A --> 0
    """

    estimators = UNBIASED

    def __init__(self, library: Library, *, sparsity: float = 0.0, **common: Any) -> None:
        super().__init__(library, **common)
        if isinstance(sparsity, bool) or not isinstance(sparsity, numbers.Real):
            raise ValueError(f"sparsity must be a number >= 0, got {sparsity!r}")
        if not (math.isfinite(sparsity) and sparsity >= 0):
            raise ValueError(f"sparsity must be a number >= 0, got {sparsity!r}")
        self.sparsity = float(sparsity)
        size = len(library)
        self.names = tuple(f"rate[k{i + 1}]" for i in range(size))
        self.orders = library.reactants.sum(axis=1)
        self.set_present(size)
        self.network, self.arrays = library.lowered(tuple(range(size)))

    def initial(self) -> np.ndarray:
        return np.full(len(self.names), self.initial_u())

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        size = len(self.names)
        return np.zeros(size), np.full(size, np.inf)

    def realise(self, u: np.ndarray) -> Realisation:
        u = np.asarray(u, dtype=np.float64)
        jacobian = np.diag(self.rate_derivative(u, self.orders))
        return Realisation(self.network, self.arrays, self.rates(u, self.orders), jacobian)

    def penalty(self, u: np.ndarray) -> tuple[float, np.ndarray]:
        if not self.sparsity:
            return 0.0, np.zeros(len(self.names))
        return self.sparsity * float(np.maximum(u, 0).sum()), np.full(len(u), self.sparsity)

    def config(self) -> dict:
        return {**super().config(), "sparsity": self.sparsity}
