"""The result of a fit: fitted parameters, every start ranked, history, summary, plots, I/O."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import xarray as xr

from .._version import __version__
from ..data import ObservedData
from ._checkpoint import write_atomic
from ._loop import RECORD_FIELDS, StartState
from ._setup import FitSetup
from ._sloppiness import Combination, Sloppiness, analyse

__all__ = ["FitResult", "StartResult"]


@dataclass(frozen=True)
class StartResult:
    """One start of a fit.

    Attributes
    ----------
    start : int
    status : {"finished", "converged", "interrupted"}
    steps : int
        Steps taken.
    init, params : dict
        Starting and fitted values of every parameter (natural scale).
    loss, loss_se : float
        The loss of ``params`` re-estimated on fresh simulations (NaN if interrupted).
    candidate : str
        ``"averaged"``, ``"last"`` or ``"start"``: which candidate won the re-estimate
        (``"start"``: no iterate beat the starting point).
    param_se : dict
        Batch-means standard error of the averaged iterate over the last fifth of the
        steps: the optimisation noise left in ``params``, not a confidence interval.
    """

    start: int
    status: str
    steps: int
    init: dict
    params: dict
    loss: float
    loss_se: float
    candidate: str
    param_se: dict
    cells: np.ndarray | None = field(default=None, repr=False)
    jacobian: tuple[np.ndarray, np.ndarray] | None = field(default=None, repr=False)


@dataclass(frozen=True)
class FitResult:
    """What :func:`ssagrad.fit` returns.

    Attributes
    ----------
    params : dict
        Fitted values of every parameter (fixed ones included) of the best start.
    starts : list of StartResult
        Every start, best first (lowest re-estimated loss; interrupted starts last).
    history : xarray.Dataset
        Over ``start`` and ``step``: ``loss``, ``loss_se``, ``grad_norm``, ``wall``
        (seconds per step), ``events`` (SSA events per step where the estimator counts
        them) and ``params`` (start, step, parameter).
    data : ObservedData
    info : dict
        Network text, x0, estimator, loss, fitted and fixed parameter names.
    """

    params: dict
    starts: list
    history: xr.Dataset
    data: ObservedData
    info: dict

    @property
    def best(self) -> StartResult:
        """The best start."""
        return self.starts[0]

    @property
    def loss(self) -> float:
        """The best start's re-estimated loss."""
        return self.best.loss

    @property
    def interrupted(self) -> bool:
        """True if any start was interrupted (the result is partial)."""
        return any(s.status == "interrupted" for s in self.starts)

    def summary(self, truth: Mapping[str, float] | None = None):
        """A table (pandas DataFrame) of the fitted parameters of the best start.

        Columns ``start`` (initial value), ``fitted``, ``se`` (see
        :attr:`StartResult.param_se`; NaN where unknown) and, given ``truth``, ``true``
        and ``rel_error``. Fixed parameters are marked in ``fixed``.
        """
        import pandas as pd

        best = self.best
        rows = []
        for name, value in best.params.items():
            row = {
                "parameter": name,
                "start": best.init[name],
                "fitted": value,
                "se": best.param_se.get(name, np.nan),
                "fixed": name in self.info["fixed"],
            }
            if truth is not None and name in truth:
                row["true"] = truth[name]
                row["rel_error"] = (value - truth[name]) / truth[name] if truth[name] else np.nan
            rows.append(row)
        return pd.DataFrame(rows).set_index("parameter")

    def sloppiness(self, combinations: Mapping[str, Combination] | None = None) -> Sloppiness:
        """Stiff and sloppy parameter combinations at the optimum (see
        :mod:`ssagrad.fitting._sloppiness`).

        Parameters
        ----------
        combinations : mapping of name to callable, optional
            Named functions of the parameter dict to rate by stiffness; defaults to the
            zoo model's identifiable combinations (e.g. the telegraph model's burst
            frequency and burst size).
        """
        if self.best.jacobian is None:
            raise ValueError(
                "no Gauss-Newton matrix: a black-box loss has no residuals, and a "
                "parametrised fit (structure learning) has no fixed network to analyse"
            )
        if combinations is None:
            combinations = _model_combinations(self.info.get("model"))
        _, jacobian = self.best.jacobian
        return analyse(jacobian, tuple(self.info["free"]), self.params, combinations)

    def plot(self, path: str | os.PathLike | None = None):
        """Loss curves, parameter traces, and fitted against observed moments and
        distributions; saved to ``path`` if given. Returns the matplotlib figure."""
        from ._plots import plot_fit

        return plot_fit(self, path)

    def waterfall(self, path: str | os.PathLike | None = None):
        """The final loss of every start, sorted (as pyPESTO's waterfall plot); saved to
        ``path`` if given. Returns the matplotlib figure."""
        from ._plots import plot_waterfall

        return plot_waterfall(self, path)

    def save(self, path: str | os.PathLike) -> None:
        """Write the result to netCDF (atomically); read it back with :meth:`load`."""
        from ._io import to_dataset

        ds = to_dataset(self)
        write_atomic(Path(path), lambda handle: handle.write(ds.to_netcdf()))

    @classmethod
    def load(cls, path: str | os.PathLike) -> FitResult:
        """Read a result written by :meth:`save`."""
        from ._io import from_dataset

        with xr.open_dataset(path) as ds:
            return from_dataset(ds.load())

    def __repr__(self) -> str:
        fitted = ", ".join(f"{k}={v:.4g}" for k, v in self.params.items())
        return (
            f"FitResult({fitted}; loss {self.loss:.4g} ± {self.best.loss_se:.2g}, "
            f"{len(self.starts)} start(s), {self.best.status})"
        )


def _model_combinations(name: str | None) -> dict:
    if not name:
        return {}
    from .. import models

    return dict(models.get(name).combinations) if name in models.available() else {}


def _start_result(setup: FitSetup, state: StartState) -> StartResult:
    names = setup.parameters
    free = setup.free_names
    final = state.final
    if final is None:  # interrupted: the current iterate, no re-estimate
        theta = setup.full(setup.transform.forward(state.u), state.start)
        final = {
            "params": theta,
            "loss": np.nan,
            "loss_se": np.nan,
            "candidate": "last",
            "param_se": np.full(len(free), np.nan),
            "cells": None,
            "jacobian": None,
        }
    return StartResult(
        start=state.start,
        status=state.status,
        steps=state.step,
        init=dict(zip(names, setup.starts[state.start].tolist(), strict=True)),
        params=dict(zip(names, np.asarray(final["params"]).tolist(), strict=True)),
        loss=float(final["loss"]),
        loss_se=float(final["loss_se"]),
        candidate=str(final["candidate"]),
        param_se=dict(zip(free, np.asarray(final["param_se"]).tolist(), strict=True)),
        cells=final["cells"],
        jacobian=final["jacobian"],
    )


def history_dataset(setup: FitSetup, states: list[StartState]) -> xr.Dataset:
    """The per-step history of every start, NaN-padded to the longest."""
    length = max(max((s.step for s in states), default=0), 1)
    n_starts, n_params = len(states), len(setup.parameters)
    data = {name: np.full((n_starts, length), np.nan) for name in RECORD_FIELDS}
    params = np.full((n_starts, length, n_params), np.nan)
    for i, state in enumerate(states):
        for name in RECORD_FIELDS:
            data[name][i, : state.step] = state.records[name]
        if state.step:
            params[i, : state.step] = np.asarray(state.params_history)
    variables = {name: (("start", "step"), values) for name, values in data.items()}
    variables["params"] = (("start", "step", "parameter"), params)
    return xr.Dataset(
        variables,
        coords={
            "start": [s.start for s in states],
            "step": np.arange(length),
            "parameter": list(setup.parameters),
        },
    )


def build_result(setup: FitSetup, states: list[StartState]) -> FitResult:
    """Rank the starts and assemble the :class:`FitResult`."""
    starts = [_start_result(setup, s) for s in states]
    starts.sort(key=lambda s: (s.status == "interrupted", np.nan_to_num(s.loss, nan=np.inf)))
    free = set(setup.free_names)
    fixed = [p for p in setup.parameters if p not in free]
    info = {
        "network": str(setup.network),
        "model": setup.model_name,
        "x0": dict(zip(setup.network.species, setup.problem.x0.tolist(), strict=True)),
        "estimator": setup.estimator,
        "options": {k: repr(v) for k, v in setup.options.items()},
        "loss": setup.loss.name,
        "free": list(setup.free_names),
        "fixed": fixed,
        "n": setup.n,
        "pool": setup.pool,
        "steps": setup.steps,
        "seed": setup.seed,
        "optimizer": setup.optimizer.config(),
        "ssagrad_version": __version__,
    }
    if setup.parametrisation is not None:
        info["parametrisation"] = type(setup.parametrisation).__name__
    return FitResult(
        dict(starts[0].params), starts, history_dataset(setup, states), setup.data, info
    )


def info_json(info: dict) -> str:
    """``info`` as JSON (for the netCDF attributes)."""
    return json.dumps(info)
