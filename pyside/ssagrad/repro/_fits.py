"""Helpers shared by the experiments: fixed draws, snapshot data, one fit as a record."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence

import numpy as np
import xarray as xr

from .. import models
from ..bench.fit import snapshot_data
from ..fitting import fit
from ._report import rel_error

__all__ = ["fit_record", "log_uniform", "run_fit", "snapshot"]

#: Points of the loss curve kept per fit (evenly thinned).
CURVE_POINTS = 100


def log_uniform(seed: int, names: Sequence[str], low: float, high: float, count: int) -> list:
    """``count`` dicts of values drawn log-uniformly in ``[low, high]``, from ``seed``.

    Examples
    --------
    >>> sets = log_uniform(1, ["a", "b"], 0.1, 10.0, 3)
    >>> len(sets), all(0.1 <= v <= 10 for s in sets for v in s.values())
    (3, True)
    """
    draws = np.exp(
        np.random.default_rng(seed).uniform(np.log(low), np.log(high), (count, len(names)))
    )
    return [{n: float(v) for n, v in zip(names, row, strict=True)} for row in draws]


def start_factors(seed: int, names: Sequence[str], factor: float) -> dict:
    """One multiplicative offset per name, log-uniform in ``[1/factor, factor]``."""
    return log_uniform(seed, names, 1.0 / factor, factor, 1)[0]


def snapshot(
    model: models.Model, times: Sequence[float], cells: int, seed: int, species: Sequence[str]
) -> xr.Dataset:
    """Independent cells per time (smFISH-like); :func:`ssagrad.bench.fit.snapshot_data`."""
    return snapshot_data(model, list(times), cells, seed, list(species))


def fit_record(result, truth: Mapping[str, float], seconds: float) -> dict:
    """The stored summary of one fit: fitted, start, truth, errors, loss, loss curve, time."""
    best = result.best
    free = list(result.info["free"])
    curve = np.asarray(result.history.loss.isel(start=0).values, dtype=float)
    keep = np.unique(np.linspace(0, curve.size - 1, min(curve.size, CURVE_POINTS)).astype(int))
    return {
        "params": dict(result.params),
        "init": dict(best.init),
        "truth": dict(truth),
        "free": free,
        "errors": {k: rel_error(result.params[k], truth[k]) for k in free},
        "loss": best.loss,
        "loss_se": best.loss_se,
        "status": best.status,
        "seconds": seconds,
        "curve_steps": keep,
        "curve": curve[keep],
    }


def run_fit(
    model: models.Model,
    data: xr.Dataset,
    truth: Mapping[str, float],
    spec: Mapping,
    **extra,
) -> dict:
    """:func:`ssagrad.fit` from a spec; return :func:`fit_record`.

    The spec gives ``init``, ``fixed``, ``loss``, ``estimator``, ``steps``, ``n``,
    ``seed`` and optionally ``n_eval``, ``lr``, ``reparam`` and ``options``.
    """
    options = dict(spec.get("options", {}))
    estimator = spec["estimator"]
    began = time.perf_counter()
    result = fit(
        model,
        data,
        init=dict(spec["init"]),
        fixed=list(spec["fixed"]),
        loss=extra.pop("loss", spec["loss"]),
        estimator=estimator,
        steps=int(spec["steps"]),
        n=1 if estimator == "exact" else int(spec["n"]),
        n_eval=spec.get("n_eval"),
        lr=spec.get("lr"),
        reparam=spec.get("reparam", "log"),
        seed=int(spec["seed"]),
        progress=False,
        threads=None,
        **extra,
        **options,
    )
    return fit_record(result, truth, time.perf_counter() - began)
