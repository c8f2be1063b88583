"""``ssagrad bench estimators``: bias, noise and cost of every gradient estimator.

Every sampling estimator is compared with the exact reference (finite state projection)
on small models, in one run that writes Markdown and CSV tables and PNG plots:

1. *Accuracy and cost* — per (model, estimator): max ``|z| = |est - exact| / se`` over
   all (time, species, parameter) entries, the relative error
   ``||est - exact|| / ||exact||`` and relative standard error ``||se|| / ||exact||`` at
   each observation time (norms over species and parameters), the median standard
   error, wall seconds per gradient (all parameters, ``n`` trajectories, best of
   ``repeats`` after a warm-up) and that time divided by a plain :func:`ssagrad.simulate`
   of the same ``n`` and times.
2. *GS-ST temperature* — the same numbers for ``gumbel`` at temperatures
   :data:`TEMPERATURES` on the telegraph and the high-affinity association.
3. *Trajectory length* — the per-sample variance ``n se^2`` of each estimator's
   ``dE[M(T)]/dtheta`` on the telegraph model for horizons :data:`HORIZONS`, with the
   log-log growth exponent over the last three horizons.
4. *Cost against the SSA and against stochastix* — a ``gumbel`` gradient of
   ``E[M(T)]`` (telegraph, 4 parameters) divided by a plain SSA run of the same
   trajectories, and stochastix's own GS-ST gradient of the same quantity
   (:mod:`ssagrad.bench.stochastix_peer`) timed side by side, with its values next to
   the exact ones.

A failing or missing estimator becomes a row with its error message; the report goes on.
"""

from __future__ import annotations

from pathlib import Path

from ..._files import write_text
from ._cases import CASES, ESTIMATORS, Report, compare
from ._measure import _max_steps, run  # noqa: F401  (_max_steps: tested)
from ._plots import write_plots
from ._report import format_report, write_csv

__all__ = ["CASES", "ESTIMATORS", "Report", "compare", "format_report", "report", "run"]


def report(
    scale: float = 1.0,
    out: Path = Path("ssagrad-bench"),
    peers: bool = True,
    repeats: int = 3,
) -> str:
    """Run the estimator benchmark; write ``out/`` tables and plots; return the Markdown.

    Writes ``estimators.md`` (the returned text), ``accuracy.csv``,
    ``gumbel_temperature.csv``, ``horizon_variance.csv``, ``cost.csv`` and the plots
    ``accuracy.png``, ``gumbel_temperature.png``, ``horizon_variance.png``, ``cost.png``.

    Parameters
    ----------
    scale : float
        Multiplies the number of trajectories (``n = 4000 scale``, at least 20).
    out : Path
        Output folder (created if needed).
    peers : bool
        Time stochastix's GS-ST gradient side by side, when it is installed.
    repeats : int
        Best-of repeats of every timing.

    Returns
    -------
    str
        The Markdown report.

    Examples
    --------
    >>> from ssagrad.bench import estimators
    >>> text = estimators.report(scale=0.005, out=Path("bench"), peers=False,
    ...                          repeats=1)  # doctest: +SKIP
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    result = run(scale=scale, repeats=repeats, peers=peers)
    text = format_report(result, scale)
    write_text(out / "estimators.md", text)
    write_csv(result, out)
    write_plots(result, out)
    return text
