"""``ssagrad demo``: fit the telegraph model to synthetic single-cell data.

The demo plays a whole inference: it simulates an smFISH-like time course of the
telegraph model (independent cells measured at a few times after the gene is induced)
from known rates, fits all four rates from a start that is off by a factor of 2 to 3,
prints true, start and fitted values with the identifiable combinations (burst frequency
and burst size), and saves the data, the fit and its figure.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from . import models
from ._files import write_json, write_netcdf
from ._version import __version__

#: Measurement times of the synthetic time course.
DEMO_TIMES = (0.5, 1.0, 2.0, 4.0, 10.0)
#: The demo's perturbed starting point (true values: the telegraph model's defaults).
DEMO_START = {"kon": 1.2, "koff": 2.5, "ktx": 4.0, "kdeg": 2.0}


def run_demo(
    out: str | Path,
    cells: int = 2000,
    steps: int = 600,
    n: int = 1000,
    seed: int = 2026,
    progress: bool = True,
) -> dict:
    """Simulate data, fit, report; returns the paths written and the result.

    Parameters
    ----------
    out : path
        Folder for ``data.nc``, ``fit.nc``, ``fit.png`` and ``fitted_params.json``.
    cells : int
        Cells measured per time point (independent cells: snapshot data).
    steps, n : int
        Optimiser steps and gradient-tracked cells per step.
    seed : int
        Fixes the data and the fit.
    """
    from .fitting import fit
    from .simulate import simulate

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    model = models.telegraph()
    truth = dict(model.params)
    # Snapshot data: a fresh, independent set of cells at every time point.
    columns = [
        simulate(model, times=[t], n=cells, seed=seed + k).x.sel(species=["M"])
        for k, t in enumerate(DEMO_TIMES)
    ]
    import xarray as xr

    data = (
        xr.concat(columns, dim="time").to_dataset(name="x").transpose("sample", "time", "species")
    )
    data.attrs["layout"] = "snapshot"
    write_netcdf(out / "data.nc", data)
    began = time.perf_counter()
    result = fit(
        model,
        data,
        init=DEMO_START,
        loss="w1",
        estimator="score",
        steps=steps,
        n=n,
        seed=seed,
        progress=progress,
    )
    elapsed = time.perf_counter() - began
    result.save(out / "fit.nc")
    result.plot(out / "fit.png")
    write_json(out / "fitted_params.json", result.params, indent=2)
    _report(result, truth, elapsed, cells)
    paths = {name: out / name for name in ("data.nc", "fit.nc", "fit.png", "fitted_params.json")}
    print("wrote " + ", ".join(str(p) for p in paths.values()))
    return {"paths": paths, "result": result, "truth": truth}


def _report(result, truth: dict, elapsed: float, cells: int) -> None:
    print(
        f"ssagrad {__version__} demo: telegraph model (Goff <-> Gon, Gon -> Gon + M, M -> 0), "
        f"{cells} cells at each of t = {', '.join(f'{t:g}' for t in DEMO_TIMES)}"
    )
    print(
        f"fit: W1 loss, score-function gradients, {result.info['steps']} Adam steps, "
        f"{result.info['n']} simulated cells per step, {elapsed:.1f} s"
    )
    table = result.summary(truth=truth)
    print(f"{'parameter':>10} {'true':>9} {'start':>9} {'fitted':>9} {'error':>8}")
    for name, row in table.iterrows():
        print(
            f"{name:>10} {row['true']:9.3f} {row['start']:9.3f} {row['fitted']:9.3f} "
            f"{100 * row['rel_error']:7.1f}%"
        )
    print(f"final loss {result.loss:.4f} ± {result.best.loss_se:.4f} (re-estimated on fresh cells)")
    sloppy = result.sloppiness()
    for name, info in sloppy.combinations.items():
        function = models.telegraph().combinations[name]
        true_value = function(truth)
        print(
            f"{name:>16}: true {true_value:.3f}, fitted {info['value']:.3f} "
            f"({100 * (info['value'] / true_value - 1):+.1f}%), stiffness {info['stiffness']:.2f}"
        )
    stiff = int(np.sum(sloppy.stiff))
    print(
        f"Gauss-Newton matrix: {stiff} stiff and {sloppy.stiff.size - stiff} sloppy directions; "
        f"stiffest: {sloppy.monomial(0)}"
    )
