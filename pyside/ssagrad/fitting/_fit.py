"""``ssagrad.fit``: fit rate constants to observed counts by stochastic gradient descent."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import xarray as xr

from ..estimators import EnsembleLoss
from ..models import Model
from ..network import Network
from . import _run
from ._psetup import build_parametrised_setup
from ._setup import build_setup
from .losses import Loss
from .optimizers import Optimizer
from .parametrisation import Parametrisation
from .reparam import Reparametrisation
from .result import FitResult

#: Default number of gradient-tracked cells per step.
DEFAULT_N = 1000


def fit(
    net: Network | Model | Parametrisation,
    data: xr.Dataset | xr.DataArray | str | os.PathLike,
    x0: Mapping[str, int] | None = None,
    loss: str | Loss | EnsembleLoss | Callable = "w1",
    estimator: str = "score",
    init: Mapping[str, float] | None = None,
    fixed: Sequence[str] = (),
    bounds: Mapping[str, tuple[float, float]] | None = None,
    reparam: str | Reparametrisation | Mapping[str, str | Reparametrisation] | None = None,
    optimizer: str | Optimizer = "adam",
    steps: int = 300,
    n: int = DEFAULT_N,
    pool: int | None = None,
    starts: int | Sequence[Mapping[str, float]] = 1,
    seed: int | None = None,
    checkpoint: str | os.PathLike | None = None,
    resume: str | os.PathLike | None = None,
    progress: bool = True,
    callback: Callable | None = None,
    backend: str | None = None,
    threads: int | None = None,
    *,
    lr: float | None = None,
    clip: float | None = None,
    schedule: Any = None,
    n_eval: int | None = None,
    stop_window: int | None = None,
    workers: int | None = None,
    client: Any = None,
    species: Sequence[str] | None = None,
    times: Sequence[float] | None = None,
    **estimator_options: Any,
) -> FitResult:
    """Fit the rate constants of ``net`` to observed counts.

    Each step simulates ``n`` gradient-tracked cells (plus an optional forward-only
    ``pool``) at the current parameters, estimates the loss against ``data`` and its
    gradient with ``estimator``, and takes an optimiser step in reparametrised space. At
    the end, the last and the averaged iterate are re-estimated on fresh simulations and
    the better one is returned (see ``docs/fitting.md``).

    Parameters
    ----------
    net : Network, Model or Parametrisation
        The network; a zoo :class:`~ssagrad.models.Model` supplies default ``x0`` and
        ``init``. A :class:`~ssagrad.fitting.Parametrisation` maps the fitted parameters
        to a network *and* its rates (structure learning, :mod:`ssagrad.structure`); its
        coordinates are then the parameters, with its own scales and bounds (see
        :mod:`ssagrad.fitting.parametrisation`).
    data : xarray.Dataset, DataArray or path
        Counts ``x(sample, time, species)`` (NaN for a missing cell), e.g. the output of
        :func:`ssagrad.simulate` or :func:`ssagrad.read_data`. Observed species may be a
        subset of the network's; the fit simulates at the data's times.
    x0 : mapping of species to count
        Initial state of every simulated cell (zoo default for a Model).
    loss : {"w1", "moments", "rmse"}, Loss, EnsembleLoss or callable
        See :mod:`ssagrad.fitting.losses`. A callable ``loss(states)`` of the whole
        ensemble needs ``estimator`` in ``smoothing``, ``fd``, ``cfd``.
    estimator : str
        Any of :data:`ssagrad.estimators.ESTIMATORS` (``score`` by default).
    init : mapping of parameter to value
        Starting values (zoo defaults for a Model; required for a Network).
    fixed : sequence of str
        Parameters held at their ``init`` values.
    bounds : mapping of parameter to (low, high)
        Natural-scale bounds, enforced by projection in the optimised space; random
        starts are drawn within them.
    reparam : str, Reparametrisation or mapping
        ``"log"`` (default), ``"kreikemeyer"`` or ``"identity"``, for all fitted
        parameters or per parameter (see :mod:`ssagrad.fitting.reparam`). Not with a
        Parametrisation.
    optimizer : {"adam", "sgd"} or Optimizer
        With ``lr``, ``clip`` (gradient-norm clipping) and ``schedule`` (``"cosine"``
        default, ``"constant"``, ``"exponential"`` or ``factor(step, steps)``).
    steps : int
        Optimiser steps per start.
    n : int
        Gradient-tracked cells per step.
    pool : int, optional
        Forward-only cells per step added to the loss value; the gradient stays the
        tracked cells' (not shrunk by ``n/(n+pool)``).
    starts : int or list of dicts
        ``K``: start 0 at ``init``, the others drawn log-uniformly within ``bounds``
        (within a factor 10 of ``init`` where unbounded); or explicit starting points.
        Starts run in parallel worker processes (``workers``, default one per core).
    seed : int, optional
        Fixes every result, independently of thread and worker counts.
    checkpoint : path, optional
        Written atomically every 10 steps, at the end and on interruption.
    resume : path, optional
        A checkpoint of the same fit (same arguments): continue from it; the result
        equals the uninterrupted fit's bit for bit (wall times aside).
    progress : bool
        A progress bar (only on a terminal).
    callback : callable, optional
        ``callback(state)`` after every step with a :class:`~ssagrad.fitting.FitState`
        (``start``, ``step``, ``params``, ``loss``, ...). Raising ``KeyboardInterrupt``
        from it stops the fit like Ctrl-C: the partial result is returned and the
        checkpoint is valid.
    backend, threads :
        Kernel backend and threads (see :func:`ssagrad.simulate`).
    lr, clip, schedule :
        Optimiser options (see :func:`ssagrad.fitting.adam`).
    n_eval : int, optional
        Cells of the final re-estimate (default ``max(4 n, 4000)``).
    stop_window : int, optional
        Early stopping window ``W`` (default: none; see ``docs/fitting.md``).
    workers : int, optional
        Worker processes for multiple starts (1: run them here, one after another).
    client : dask.distributed.Client, optional
        Run the starts as tasks on a Dask cluster instead (``workers`` is then ignored);
        every number equals a local run's (see ``docs/distributed.md``).
    species, times : optional
        Fit only these observed species / data times.
    **estimator_options :
        Passed to the estimator (e.g. ``temperature=`` for ``gumbel``).

    Returns
    -------
    FitResult

    Raises
    ------
    ValueError, TypeError
        Bad input, named: counts, species or times the network lacks, unknown or
        duplicated names in ``fixed``/``init``/``bounds``/``reparam``, ``init`` outside
        ``bounds``, a zero rate under ``"log"``, ``steps < 1``, an estimator that cannot
        differentiate the loss, a checkpoint of another problem.

    Examples
    --------
    >>> import ssagrad
    >>> model = ssagrad.models.birth_death()
    >>> data = ssagrad.simulate(model, times=[5.0], n=500, seed=1)
    >>> result = ssagrad.fit(model, data, init={"k": 5.0, "g": 1.0}, fixed=["g"],
    ...                      loss="moments", steps=60, n=200, seed=2, progress=False, lr=0.1)
    >>> abs(result.params["k"] - 10.0) < 1.5
    True
    """
    optimizer_options = {
        key: value
        for key, value in (("lr", lr), ("clip", clip), ("schedule", schedule))
        if value is not None
    }
    arguments = dict(
        x0=x0,
        loss=loss,
        estimator=estimator,
        init=init,
        fixed=fixed,
        bounds=bounds,
        reparam=reparam,
        optimizer=optimizer,
        optimizer_options=optimizer_options,
        steps=steps,
        n=n,
        pool=pool,
        n_eval=n_eval,
        starts=starts,
        seed=seed,
        stop_window=stop_window,
        species=species,
        times=times,
        backend=backend,
        options=estimator_options,
        client=client,
    )
    if isinstance(net, Parametrisation):
        setup = build_parametrised_setup(net, data, arguments)
    else:
        setup = build_setup(net, data, **arguments)
    return _run.run(
        setup,
        progress=progress,
        callback=callback,
        checkpoint=checkpoint,
        resume=resume,
        workers=workers,
        threads=threads,
        client=client,
    )
