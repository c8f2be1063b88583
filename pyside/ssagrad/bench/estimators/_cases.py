"""The benchmark's cases, settings and result records (see :mod:`ssagrad.bench.estimators`)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ... import models
from ...estimators import ESTIMATORS as REGISTRY

#: Sampling estimators under test (``exact`` is the reference).
ESTIMATORS = tuple(name for name, cls in REGISTRY.items() if cls.benchmark)
#: GS-ST temperatures of section 2.
TEMPERATURES = (0.1, 0.3, 1.0, 3.0, 10.0)
#: Telegraph horizons of section 3.
HORIZONS = (1.0, 2.0, 5.0, 10.0, 20.0)
#: Extra (label, estimator, options) runs of section 3, next to every estimator's defaults.
HORIZON_EXTRA = (("gumbel λ=0.1", "gumbel", {"temperature": 0.1}),)
#: Trajectories at ``scale=1``.
BASE_N = 4000
#: Seed of every estimator run (and of stochastix's keys).
SEED = 2026
#: Least best-of rounds of the (interleaved) section-4 timings, the noisiest ratio.
COST_REPEATS = 5
#: Temperature of the section-4 comparison (stochastix's default ``logits_scale``).
COST_TEMPERATURE = 1.0


@dataclass(frozen=True)
class Case:
    """A benchmark model: zoo name, parameter overrides and observation times."""

    label: str
    model: str
    params: Mapping[str, float] | None
    times: tuple[float, ...]

    def load(self) -> tuple[models.Model, dict[str, float]]:
        """The zoo model and the full parameter dictionary."""
        model = models.get(self.model)
        return model, {**model.params, **(self.params or {})}


CASES = (
    Case("telegraph", "telegraph", None, (1.0, 5.0, 10.0)),
    Case("association", "bimolecular_association", None, (0.1, 1.0, 5.0)),
    Case(
        "association, high affinity",
        "bimolecular_association",
        {"kon": 1.0, "koff": 0.05},
        (0.1, 1.0, 5.0),
    ),
    Case("dimerization", "dimerization", None, (1.0, 5.0, 10.0)),
)
_TELEGRAPH, _HIGH_AFFINITY = CASES[0], CASES[2]


@dataclass
class Accuracy:
    """Estimate against exact, for one (case, estimator[, option]) run."""

    case: str
    estimator: str
    n: int
    max_abs_z: float = math.nan
    rel_error: tuple[float, ...] = ()
    rel_se: tuple[float, ...] = ()
    median_se: float = math.nan
    seconds: float = math.nan
    vs_ssa: float = math.nan
    option: str = ""
    error: str = ""


@dataclass
class HorizonVariance:
    """Per-sample variance ``n se^2`` of ``dE[M(T)]/dtheta_p`` over the horizons."""

    estimator: str
    parameter: str
    variance: list[float] = field(default_factory=list)
    error: str = ""

    def _log_slope(self, x: np.ndarray) -> float:
        v = np.asarray(self.variance[-3:], dtype=float)
        if v.size < 3 or not np.all(np.isfinite(v)) or np.any(v <= 0):
            return math.nan
        return float(np.polyfit(x, np.log(v), 1)[0])

    @property
    def exponent(self) -> float:
        """Log-log slope of the variance over the last three horizons."""
        return self._log_slope(np.log(np.asarray(HORIZONS[-3:])))

    @property
    def rate(self) -> float:
        """Exponential rate: slope of the log variance against T over the last three."""
        return self._log_slope(np.asarray(HORIZONS[-3:]))


@dataclass
class Timing:
    """One line of the cost comparison."""

    what: str
    seconds: float
    events: int
    first_call_seconds: float = math.nan
    note: str = ""
    role: str = ""
    threads: int | None = None


@dataclass
class Report:
    """Everything one benchmark run measured."""

    n: int
    accuracy: list[Accuracy]
    temperature: list[Accuracy]
    horizon: list[HorizonVariance]
    horizon_exact: dict[str, list[float]]
    timings: list[Timing]
    values: dict[str, dict[str, tuple[float, float]]]
    repeats: int = 3
    seconds: float = math.nan


def _error_text(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}".replace("|", "/").replace("\n", " ")[:160]


def compare(
    dmean: np.ndarray, se: np.ndarray, exact: np.ndarray, atol: float = 1e-9
) -> dict[str, Any]:
    """Summaries of an estimate ``dmean`` (T, S, P) with errors ``se`` against ``exact``.

    Returns ``max_abs_z`` (over entries; an entry with zero ``se`` counts as 0 if it is
    within ``atol`` of the exact value and as infinite otherwise), ``rel_error`` and
    ``rel_se`` per
    time (Frobenius norms over species and parameters, relative to ``||exact||``) and
    ``median_se``.

    Examples
    --------
    >>> import numpy as np
    >>> r = compare(np.array([[[1.1]]]), np.array([[[0.05]]]), np.array([[[1.0]]]))
    >>> round(r["max_abs_z"], 6), round(r["rel_error"][0], 6), r["rel_se"][0]
    (2.0, 0.1, 0.05)
    """
    diff = np.abs(dmean - exact)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(se > 0, diff / se, np.where(diff > atol, np.inf, 0.0))
    norm = np.sqrt((exact**2).sum(axis=(1, 2)))
    norm = np.where(norm > 0, norm, np.nan)
    return {
        "max_abs_z": float(np.nanmax(z)),
        "rel_error": tuple(map(float, np.sqrt((diff**2).sum(axis=(1, 2))) / norm)),
        "rel_se": tuple(map(float, np.sqrt((se**2).sum(axis=(1, 2))) / norm)),
        "median_se": float(np.median(se)),
    }
