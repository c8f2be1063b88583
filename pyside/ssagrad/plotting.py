"""Plots of simulated ensembles: sample paths with quantile bands."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import xarray as xr


def plot_trajectories(
    ds: xr.Dataset,
    species: Sequence[str] | None = None,
    quantiles: tuple[float, float, float, float] = (0.05, 0.25, 0.75, 0.95),
    n_paths: int = 5,
    ax: Any = None,
) -> Any:
    """Plot the ensemble mean, 50 % and 90 % quantile bands and a few sample paths.

    Parameters
    ----------
    ds : xarray.Dataset
        A result of :func:`ssagrad.simulate` (variable ``x``).
    species : sequence of str, optional
        Species to draw (default: all).
    quantiles : four floats
        Outer and inner band limits.
    n_paths : int
        Number of individual trajectories drawn as thin steps.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import ssagrad
    >>> ds = ssagrad.simulate(ssagrad.models.birth_death(), times=range(6), n=50, seed=0)
    >>> ax = plot_trajectories(ds)
    >>> ax.get_xlabel()
    'time'
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4))
    names = list(species) if species is not None else list(ds.species.values)
    t = ds.time.values
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, name in enumerate(names):
        color = colors[i % len(colors)]
        x = ds.x.sel(species=name).values.astype(float)
        q = np.quantile(x, quantiles, axis=0)
        ax.fill_between(t, q[0], q[3], color=color, alpha=0.15, step="post", linewidth=0)
        ax.fill_between(t, q[1], q[2], color=color, alpha=0.3, step="post", linewidth=0)
        for path in x[:n_paths]:
            ax.step(t, path, where="post", color=color, alpha=0.5, linewidth=0.6)
        ax.plot(t, x.mean(axis=0), color=color, linewidth=2, label=f"{name} (mean)")
    ax.set_xlabel("time")
    ax.set_ylabel("count")
    ax.legend(loc="best", fontsize="small")
    ax.set_title(
        f"{ds.sizes['sample']} trajectories; bands {quantiles[0]:.0%}-{quantiles[3]:.0%} "
        f"and {quantiles[1]:.0%}-{quantiles[2]:.0%}",
        fontsize="small",
    )
    return ax
