"""Reparametrisations: the optimiser works on ``u``, the network sees ``theta = f(u) >= 0``.

* ``"log"`` (default, :class:`Log`): ``theta = exp(u)``. Every rate moves by relative
  steps, so one learning rate fits rates of any magnitude; a rate can never reach 0.
* ``"kreikemeyer"`` (:class:`Kreikemeyer`, Kreikemeyer et al. 2024):
  ``theta = exp(a u + c) - exp(c)`` for ``u >= 0``: logarithmic well above
  ``exp(c)``, linear below it, and exactly 0 at ``u = 0`` — a reaction can switch off.
* ``"identity"`` (:class:`Identity`): ``theta = u >= 0``.

Bounds ``(low, high)`` on ``theta`` become bounds on ``u`` (every ``f`` is increasing)
and are enforced by projection after each optimiser step.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass

import numpy as np

__all__ = ["REPARAMETRISATIONS", "Identity", "Kreikemeyer", "Log", "Reparametrisation"]


class Reparametrisation(ABC):
    """An increasing map from the optimised variable ``u`` to a rate ``theta >= 0``."""

    name = ""

    @abstractmethod
    def forward(self, u: float) -> float:
        """``theta = f(u)``."""

    @abstractmethod
    def inverse(self, theta: float) -> float:
        """``u = f^-1(theta)``; may be infinite at the ends of the range."""

    @abstractmethod
    def derivative(self, u: float) -> float:
        """``d theta / d u``."""

    def u_range(self) -> tuple[float, float]:
        """The range of ``u`` that maps to rates ``>= 0``."""
        return (-math.inf, math.inf)

    def resolved(self, init: float) -> Reparametrisation:
        """This reparametrisation with defaults that depend on the initial value filled in."""
        return self

    def check_init(self, name: str, init: float) -> None:  # noqa: B027 (optional hook)
        """Raise ``ValueError`` if ``init`` cannot be represented (every value can, here)."""

    def config(self) -> dict:
        """JSON-able description (for checkpoints and saved results)."""
        return {"name": self.name}


@dataclass(frozen=True)
class Log(Reparametrisation):
    """``theta = exp(u)``.

    Examples
    --------
    >>> r = Log()
    >>> r.forward(r.inverse(2.5))
    2.5
    """

    name = "log"

    def forward(self, u: float) -> float:
        return math.exp(u)

    def inverse(self, theta: float) -> float:
        return math.log(theta) if theta > 0 else -math.inf

    def derivative(self, u: float) -> float:
        return math.exp(u)

    def check_init(self, name: str, init: float) -> None:
        if init <= 0:
            raise ValueError(
                f"parameter {name!r} starts at {init!r}: the log reparametrisation cannot "
                f"represent a zero rate; give a positive init or reparam={{{name!r}: "
                f"'kreikemeyer'}} (which can reach exactly 0)"
            )


@dataclass(frozen=True)
class Kreikemeyer(Reparametrisation):
    """``theta = exp(a u + c) - exp(c)`` for ``u >= 0`` (Kreikemeyer et al. 2024).

    Parameters
    ----------
    a : float
        Slope in log space (default 1: relative steps of about the learning rate for
        rates well above ``exp(c)``).
    c : float, optional
        ``exp(c)`` is the crossover between the logarithmic and the linear part. Default:
        ``log(0.01 * init)`` per parameter (``log(0.01)`` for a zero init), so the map
        is logarithmic over the range of interest and reaches 0 in a few hundred steps.

    Examples
    --------
    >>> r = Kreikemeyer(a=1.0, c=0.0)
    >>> r.forward(0.0), round(r.forward(r.inverse(3.0)), 12)
    (0.0, 3.0)
    """

    a: float = 1.0
    c: float | None = None
    name = "kreikemeyer"

    def __post_init__(self) -> None:
        if not (math.isfinite(self.a) and self.a > 0):
            raise ValueError(f"kreikemeyer reparametrisation needs a > 0, got a={self.a!r}")
        if self.c is not None and not math.isfinite(self.c):
            raise ValueError(f"kreikemeyer reparametrisation needs a finite c, got {self.c!r}")

    def _c(self) -> float:
        if self.c is None:
            raise ValueError("Kreikemeyer.c is unresolved; call resolved(init) first")
        return self.c

    def forward(self, u: float) -> float:
        c = self._c()
        return math.exp(self.a * u + c) - math.exp(c)

    def inverse(self, theta: float) -> float:
        c = self._c()
        return (math.log(theta + math.exp(c)) - c) / self.a

    def derivative(self, u: float) -> float:
        return self.a * math.exp(self.a * u + self._c())

    def u_range(self) -> tuple[float, float]:
        return (0.0, math.inf)

    def resolved(self, init: float) -> Kreikemeyer:
        if self.c is not None:
            return self
        return Kreikemeyer(self.a, math.log(0.01 * init) if init > 0 else math.log(0.01))

    def config(self) -> dict:
        return {"name": self.name, "a": self.a, "c": self.c}


@dataclass(frozen=True)
class Identity(Reparametrisation):
    """``theta = u`` for ``u >= 0``."""

    name = "identity"

    def forward(self, u: float) -> float:
        return u

    def inverse(self, theta: float) -> float:
        return theta

    def derivative(self, u: float) -> float:
        return 1.0

    def u_range(self) -> tuple[float, float]:
        return (0.0, math.inf)


#: Reparametrisations by name.
REPARAMETRISATIONS: dict[str, type[Reparametrisation]] = {
    "log": Log,
    "kreikemeyer": Kreikemeyer,
    "identity": Identity,
}


def resolve(spec: str | Reparametrisation, name: str) -> Reparametrisation:
    """A reparametrisation from a name or an instance, for parameter ``name``."""
    if isinstance(spec, Reparametrisation):
        return spec
    if isinstance(spec, str) and spec in REPARAMETRISATIONS:
        return REPARAMETRISATIONS[spec]()
    raise ValueError(
        f"unknown reparametrisation {spec!r} for parameter {name!r}; choose one of "
        f"{', '.join(REPARAMETRISATIONS)} or pass an instance"
    )


@dataclass(frozen=True)
class Transform:
    """The free parameters' reparametrisations and bounds, vectorised.

    Attributes
    ----------
    maps : tuple of Reparametrisation (one per free parameter)
    lower, upper : (F,) bounds on ``u``
    """

    maps: tuple[Reparametrisation, ...]
    lower: np.ndarray
    upper: np.ndarray

    def forward(self, u: np.ndarray) -> np.ndarray:
        """Rates ``theta`` (F,) of the free parameters."""
        return np.array([m.forward(float(v)) for m, v in zip(self.maps, u, strict=True)])

    def inverse(self, theta: np.ndarray) -> np.ndarray:
        """``u`` (F,) for rates ``theta``."""
        return np.array([m.inverse(float(v)) for m, v in zip(self.maps, theta, strict=True)])

    def derivative(self, u: np.ndarray) -> np.ndarray:
        """``d theta / d u`` (F,)."""
        return np.array([m.derivative(float(v)) for m, v in zip(self.maps, u, strict=True)])

    def project(self, u: np.ndarray) -> np.ndarray:
        """``u`` clipped to the bounds."""
        return np.clip(u, self.lower, self.upper)
