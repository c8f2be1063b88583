"""Reproductions of the sources' inference experiments: ``ssagrad repro NAME``.

One module per experiment, each with ``FULL`` and ``QUICK`` sizes, ``tasks(config)``
(the fixed list of fits), ``run_one(spec)`` (one fit) and ``run(out, quick, progress)``
(run what is missing in ``out``, then write tables and figures). Every fit's result is a
small JSON file in ``out/fits`` written atomically, so an interrupted run resumes where
it stopped. See ``docs/reproductions.md`` for settings, results and verdicts.

Examples
--------
>>> from ssagrad import repro
>>> list(repro.EXPERIMENTS)
['telegraph', 'association', 'repressilator', 'sir', 'stochastix', 'gsst']
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._report import Report

__all__ = ["EXPERIMENTS", "run"]

#: Experiment name -> (module, one-line description).
EXPERIMENTS = {
    "telegraph": ("telegraph", "telegraph model, 25 random sets, moments and W1 (Mottes et al.)"),
    "association": ("association", "A + B <-> C, default and high affinity, every estimator"),
    "repressilator": ("repressilator", "repressilator, time-dependent objective (Burger et al.)"),
    "sir": ("sir", "SIR mean-trajectory RMSE, smoothing vs score/altpath (Kreikemeyer et al.)"),
    "stochastix": ("peer", "experiments 1 and 2 side by side with stochastix's GS-ST"),
    "gsst": ("gsst", "GS-ST's bias in fits: temperature, time smoothing, annealing"),
}


def run(
    name: str,
    out: str | os.PathLike,
    quick: bool = False,
    progress: bool = True,
    client=None,
) -> Report:
    """Run experiment ``name`` into folder ``out`` (resuming what is there).

    Parameters
    ----------
    name : str
        One of :data:`EXPERIMENTS`.
    out : path
        Output folder: ``README.md``, tables (``.md`` and ``.csv``), figures (``.png``)
        and ``fits/`` (``fits-quick/`` for ``quick``; one JSON file per finished fit).
    quick : bool
        The small version (a few sets or seeds, few steps), as run by the tests.
    progress : bool
        A progress bar on stderr.
    client : dask.distributed.Client, optional
        Run the fits as tasks on a Dask cluster (each fit's numbers are those of a local
        run; finished fits are stored as they arrive, so an interrupted run resumes).

    Returns
    -------
    Report
        The files written.

    Raises
    ------
    ValueError
        An unknown name (the message lists the experiments).
    """
    if name not in EXPERIMENTS:
        raise ValueError(f"unknown experiment {name!r}; available: {', '.join(EXPERIMENTS)}")
    module = importlib.import_module(f".{EXPERIMENTS[name][0]}", __name__)
    return module.run(Path(out), quick=quick, progress=progress, client=client)
