"""The figure of a fit: loss curves, parameter traces, fitted against observed data."""

from __future__ import annotations

import os

import numpy as np

from .result import FitResult

#: Observation times shown as count distributions (evenly chosen).
MAX_DISTRIBUTION_PANELS = 4
#: Cells simulated for the fitted-model panels when the result holds none.
PLOT_CELLS = 4000


def _fitted_cells(result: FitResult) -> np.ndarray:
    best = result.best
    if best.cells is not None:
        return best.cells
    from ..parse import parse
    from ..simulate import simulate

    net = parse(result.info["network"])
    ds = simulate(net, best.params, result.info["x0"], result.data.times, n=PLOT_CELLS, seed=0)
    return ds.x.sel(species=list(result.data.species)).values


def plot_fit(result: FitResult, path: str | os.PathLike | None = None):
    """Draw the fit (see :meth:`FitResult.plot`)."""
    import matplotlib

    if path is not None:
        matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    data = result.data
    n_times = data.times.size
    shown = np.unique(
        np.linspace(0, n_times - 1, min(n_times, MAX_DISTRIBUTION_PANELS)).astype(int)
    )
    several = len(result.starts) > 1
    columns = max(3 + several, shown.size)
    fig = plt.figure(figsize=(4.2 * columns, 7.6), layout="constrained")
    grid = fig.add_gridspec(2, columns)
    _loss_panel(fig.add_subplot(grid[0, 0]), result)
    _parameter_panel(fig.add_subplot(grid[0, 1]), result)
    if several:
        _waterfall_panel(fig.add_subplot(grid[0, 2]), result)
    cells = _fitted_cells(result)
    _moment_panel(fig.add_subplot(grid[0, 2 + several :]), result, cells)
    for k, t in enumerate(shown):
        _distribution_panel(fig.add_subplot(grid[1, k]), result, cells, int(t))
    fig.suptitle(
        f"fit: {result.info['loss']} loss, {result.info['estimator']} estimator — "
        f"loss {result.loss:.4g} ± {result.best.loss_se:.2g}"
    )
    if path is not None:
        fig.savefig(path, dpi=110)
    return fig


def plot_waterfall(result: FitResult, path: str | os.PathLike | None = None):
    """Final loss of every start, sorted (pyPESTO's waterfall plot); returns the figure."""
    import matplotlib

    if path is not None:
        matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.0, 3.6), layout="constrained")
    _waterfall_panel(ax, result)
    if path is not None:
        fig.savefig(path, dpi=110)
    return fig


def _waterfall_panel(ax, result: FitResult) -> None:
    ranked = [s for s in result.starts if np.isfinite(s.loss)]
    losses = np.array([s.loss for s in ranked])
    errors = np.array([s.loss_se for s in ranked])
    ax.errorbar(np.arange(losses.size), losses, yerr=errors, fmt="o-", ms=4, capsize=2)
    for rank, start in enumerate(ranked):
        ax.annotate(
            str(start.start),
            (rank, losses[rank]),
            textcoords="offset points",
            xytext=(3, 4),
            fontsize=7,
        )
    ax.set_xlabel("start, ranked by final loss (labels: start index)")
    ax.set_ylabel(f"final {result.info['loss']} loss")
    ax.set_title("waterfall", fontsize=10)


def _loss_panel(ax, result: FitResult) -> None:
    history = result.history
    for start in history["start"].values:
        loss = history["loss"].sel(start=start).values
        kept = np.isfinite(loss)
        best = start == result.best.start
        ax.plot(
            history["step"].values[kept],
            loss[kept],
            lw=1.2 if best else 0.6,
            alpha=1.0 if best else 0.5,
            label=f"start {start}" if best else None,
        )
    ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel(f"{result.info['loss']} loss (per-step estimate)")
    ax.axhline(result.loss, color="k", ls=":", lw=1, label="final re-estimate")
    ax.legend(fontsize=8)


def _parameter_panel(ax, result: FitResult) -> None:
    params = result.history["params"].sel(start=result.best.start)
    # A parametrisation's coordinates may be 0 or negative: plot them as they are.
    raw = "parametrisation" in result.info
    for name in result.info["free"][: 12 if raw else None]:
        trace = params.sel(parameter=name).values
        kept = np.isfinite(trace)
        scale = 1.0 if raw else result.params[name]
        ax.plot(np.flatnonzero(kept), trace[kept] / scale, lw=1, label=name)
    if not raw:
        ax.set_yscale("log")
        ax.axhline(1.0, color="k", lw=0.8, ls=":")
    ax.set_xlabel("step")
    ax.set_ylabel("coordinate u (first 12)" if raw else "parameter / fitted value")
    ax.legend(fontsize=8)


def _moment_panel(ax, result: FitResult, cells: np.ndarray) -> None:
    data = result.data
    times = data.times
    fitted_mean, fitted_sd = cells.mean(axis=0), cells.std(axis=0)
    data_mean, data_sd = data.mean(), np.sqrt(data.var())
    for s, name in enumerate(data.species):
        line = ax.plot(times, fitted_mean[:, s], lw=1.5, label=f"{name} fitted mean")[0]
        ax.fill_between(
            times,
            fitted_mean[:, s] - fitted_sd[:, s],
            fitted_mean[:, s] + fitted_sd[:, s],
            color=line.get_color(),
            alpha=0.15,
        )
        ax.errorbar(
            times,
            data_mean[:, s],
            yerr=data_sd[:, s],
            fmt="o",
            ms=4,
            capsize=2,
            color=line.get_color(),
            label=f"{name} data mean ± sd",
        )
    ax.set_xlabel("time")
    ax.set_ylabel("count (band: fitted mean ± sd)")
    ax.legend(fontsize=8)


def _distribution_panel(ax, result: FitResult, cells: np.ndarray, t: int) -> None:
    data = result.data
    for s, name in enumerate(data.species[:3]):
        observed = data.counts[t][s]
        simulated = cells[:, t, s]
        top = int(max(observed.max(), simulated.max())) + 1
        edges = np.arange(top + 1) - 0.5
        observed_p = np.bincount(observed, minlength=top) / observed.size
        simulated_p = np.bincount(simulated, minlength=top) / simulated.size
        bars = ax.bar(np.arange(top), observed_p, width=1.0, alpha=0.35, label=f"{name} data")
        ax.stairs(
            simulated_p,
            edges,
            color=bars.patches[0].get_facecolor()[:3],
            lw=1.5,
            label=f"{name} fitted",
        )
    ax.set_title(f"t = {data.times[t]:g}", fontsize=10)
    ax.set_xlabel("count")
    ax.set_ylabel("probability")
    ax.legend(fontsize=8)
