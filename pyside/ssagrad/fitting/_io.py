"""A :class:`~ssagrad.fitting.FitResult` as a netCDF-ready dataset and back."""

from __future__ import annotations

import json

import numpy as np
import xarray as xr

from ..data import ObservedData
from .result import FitResult, StartResult

FORMAT = "ssagrad-fit-result/1"
_START_SCALARS = ("loss", "loss_se")


def _data_variable(data: ObservedData) -> np.ndarray:
    longest = int(data.n_observations.max())
    x = np.full((longest, data.times.size, len(data.species)), np.nan)
    for t, row in enumerate(data.counts):
        for s, counts in enumerate(row):
            x[: counts.size, t, s] = counts
    return x


def to_dataset(result: FitResult) -> xr.Dataset:
    """Everything in ``result`` as one dataset (history, starts, data, fitted cells)."""
    ds = result.history.copy()
    starts = sorted(result.starts, key=lambda s: s.start)
    params = list(ds["parameter"].values)
    ds["init"] = (("start", "parameter"), [[s.init[p] for p in params] for s in starts])
    ds["fitted"] = (("start", "parameter"), [[s.params[p] for p in params] for s in starts])
    ds["fitted_se"] = (
        ("start", "parameter"),
        [[s.param_se.get(p, np.nan) for p in params] for s in starts],
    )
    for name in _START_SCALARS:
        ds[f"final_{name}"] = ("start", [getattr(s, name) for s in starts])
    ds["data_x"] = (("data_cell", "data_time", "data_species"), _data_variable(result.data))
    ds = ds.assign_coords(data_time=result.data.times, data_species=list(result.data.species))
    best = result.best
    if best.cells is not None:
        ds["fitted_x"] = (("fitted_cell", "data_time", "data_species"), best.cells)
    if best.jacobian is not None:
        residuals, jacobian = best.jacobian
        ds["residual"] = ("residual", residuals)
        ds["jacobian"] = (("residual", "free_parameter"), jacobian)
        ds = ds.assign_coords(free_parameter=result.info["free"])
    starts_meta = [
        {"start": s.start, "status": s.status, "steps": s.steps, "candidate": s.candidate}
        for s in starts
    ]
    ds.attrs = {
        "format": FORMAT,
        "info": json.dumps(result.info),
        "starts": json.dumps(starts_meta),
        "best_start": int(best.start),
        "data_layout": result.data.layout,
    }
    return ds


def from_dataset(ds: xr.Dataset) -> FitResult:
    """The inverse of :func:`to_dataset`."""
    if ds.attrs.get("format") != FORMAT:
        raise ValueError("not an ssagrad fit result (written by FitResult.save)")
    info = json.loads(ds.attrs["info"])
    params = [str(p) for p in ds["parameter"].values]
    x = ds["data_x"].values
    counts = tuple(
        tuple(
            np.sort(x[:, t, s][np.isfinite(x[:, t, s])].astype(np.int64)) for s in range(x.shape[2])
        )
        for t in range(x.shape[1])
    )
    data = ObservedData(
        tuple(str(s) for s in ds["data_species"].values),
        ds["data_time"].values.astype(np.float64),
        counts,
        ds.attrs.get("data_layout", "trajectory"),
    )
    best_start = int(ds.attrs["best_start"])
    starts = []
    for i, meta in enumerate(json.loads(ds.attrs["starts"])):
        best = meta["start"] == best_start
        jacobian = None
        if best and "jacobian" in ds:
            jacobian = (ds["residual"].values, ds["jacobian"].values)
        starts.append(
            StartResult(
                start=meta["start"],
                status=meta["status"],
                steps=meta["steps"],
                init=dict(zip(params, ds["init"].values[i].tolist(), strict=True)),
                params=dict(zip(params, ds["fitted"].values[i].tolist(), strict=True)),
                loss=float(ds["final_loss"].values[i]),
                loss_se=float(ds["final_loss_se"].values[i]),
                candidate=meta["candidate"],
                param_se={
                    p: float(v)
                    for p, v in zip(params, ds["fitted_se"].values[i], strict=True)
                    if p in info["free"]
                },
                cells=ds["fitted_x"].values.astype(np.int64) if best and "fitted_x" in ds else None,
                jacobian=jacobian,
            )
        )
    starts.sort(key=lambda s: (s.status == "interrupted", np.nan_to_num(s.loss, nan=np.inf)))
    keep = ["loss", "loss_se", "grad_norm", "wall", "events", "params"]
    history = ds[keep].drop_vars(
        [c for c in ds[keep].coords if c not in ("start", "step", "parameter")]
    )
    return FitResult(dict(starts[0].params), starts, history, data, info)
