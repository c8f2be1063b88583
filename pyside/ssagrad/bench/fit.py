"""``ssagrad bench fit``: what a fit costs, where its time goes, what it recovers.

Three measurements, each on synthetic data from known rates:

* **speed**: the telegraph W1 fit to 3 000 steady-state cells (``t = 10`` from the
  gene off), 3 free rates (``kdeg`` fixed: steady-state data only determine ratios to
  it), 300 steps of the score estimator with ``n`` cells. The kernel share is the wall
  time spent inside the backend's kernels (timed by wrapping them); the rest is Python:
  losses, composition, optimiser, bookkeeping. stochastix's GS-ST training loop on the
  same data runs side by side in the same process where it is installed.
* **recovery**: every estimator and built-in loss on birth-death and telegraph time
  courses (snapshot data, as in ``tests/test_fit.py``): relative error of every rate.
* **pooling**: what a forward-only pool buys: the loss value's standard error, the
  gradient's spread and the fitted rates' error with and without a pool, including a
  split of the same cost between tracked and pooled cells.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import xarray as xr

from .. import models
from ..backends import get_backend
from ..estimators import estimate
from ..simulate import simulate
from .peers import have

#: Rates the speed and pooling fits start from (telegraph defaults are the truth).
TELEGRAPH_START = {"kon": 1.0, "koff": 2.0, "ktx": 5.0, "kdeg": 1.0}
#: Starting points of the recovery fits (truth: the zoo defaults).
RECOVERY_STARTS = {
    "birth_death": {"k": 4.0, "g": 2.5},
    "telegraph": {"kon": 1.0, "koff": 2.0, "ktx": 5.0, "kdeg": 2.0},
}
RECOVERY_DESIGNS = {
    "birth_death": ((0.5, 1.0, 2.0, 4.0, 8.0), 500, ["A"]),
    "telegraph": ((0.5, 1.0, 2.0, 4.0, 10.0), 1000, ["M"]),
}
ESTIMATORS = ("score", "altpath", "gumbel", "fd", "cfd", "smoothing", "exact")
ESTIMATOR_OPTIONS = {"smoothing": {"directions": 4, "orthogonal": True}}
_KERNELS = ("simulate", "score", "gumbel", "altpath", "coupled")


def snapshot_data(model: models.Model, times, cells: int, seed: int, species) -> xr.Dataset:
    """Independent cells per time point (smFISH-like), ``cells`` per time."""
    columns = [
        simulate(model, times=[t], n=cells, seed=seed * 100 + k).x.sel(species=list(species))
        for k, t in enumerate(times)
    ]
    data = xr.concat(columns, dim="time").to_dataset(name="x")
    return data.transpose("sample", "time", "species")


class _KernelClock:
    """Wraps the backend's kernel methods to add up the wall time spent in them."""

    def __init__(self) -> None:
        self.engine = get_backend()
        self.seconds = 0.0
        self.originals: dict[str, Callable] = {}

    def __enter__(self) -> _KernelClock:
        for name in _KERNELS:
            original = getattr(self.engine, name, None)
            if original is None:
                continue
            self.originals[name] = original

            def timed(*args, _original=original, **kwargs):
                began = time.perf_counter()
                try:
                    return _original(*args, **kwargs)
                finally:
                    self.seconds += time.perf_counter() - began

            setattr(self.engine, name, timed)
        return self

    def __exit__(self, *exc) -> None:
        for name in self.originals:
            delattr(self.engine, name)


@dataclass(frozen=True)
class SpeedResult:
    """The speed workload: our fit, its kernel share, and stochastix's where installed."""

    cells: int
    steps: int
    n: int
    seconds: float
    kernel_seconds: float
    params: dict
    events_per_step: float
    peer: object | None = None
    peer_note: str = ""

    @property
    def python_share(self) -> float:
        """Fraction of the fit's wall time outside the kernels."""
        return 1.0 - self.kernel_seconds / self.seconds


def speed(
    scale: float = 1.0, peers: bool = True, peer_steps: int | None = None, seed: int = 2026
) -> SpeedResult:
    """Run the speed workload (see the module docstring)."""
    from ..fitting import fit

    model = models.telegraph()
    cells, steps, n = 3000, max(10, int(300 * scale)), 1000
    data = simulate(model, times=[10.0], n=cells, seed=seed).sel(species=["M"])
    kwargs = dict(
        init=TELEGRAPH_START,
        fixed=["kdeg"],
        loss="w1",
        estimator="score",
        n=n,
        seed=seed,
        progress=False,
    )
    fit(model, data, steps=2, **kwargs)  # warm-up: compiled kernels loaded
    with _KernelClock() as clock:
        began = time.perf_counter()
        result = fit(model, data, steps=steps, **kwargs)
        seconds = time.perf_counter() - began
    events = _events_per_trajectory(model, result.params) * n
    peer, note = None, ""
    if peers and have("stochastix") and have("optax"):
        from .stochastix_fit import gs_st_fit

        peer_steps = peer_steps or max(5, steps // 10)
        peer = gs_st_fit(
            model.network,
            TELEGRAPH_START,
            model.x0,
            "M",
            10.0,
            data.x.values[:, 0, 0].astype(np.int64),
            ["kon", "koff", "ktx"],
            n=n,
            steps=peer_steps,
            max_steps=400,
            seed=seed,
        )
    elif peers:
        note = "stochastix/optax not installed: pip install '.[bench]'"
    return SpeedResult(cells, steps, n, seconds, clock.seconds, result.params, events, peer, note)


def _events_per_trajectory(model: models.Model, params: dict) -> float:
    ds = simulate(model, params, times=[10.0], n=500, seed=1)
    return float(ds.events.mean())


@dataclass(frozen=True)
class RecoveryRow:
    """One fit of the recovery table."""

    model: str
    loss: str
    estimator: str
    errors: dict
    seconds: float
    steps: int
    n: int


def recovery(scale: float = 1.0, estimators=ESTIMATORS, seed: int = 7) -> list[RecoveryRow]:
    """Every estimator and built-in loss on the birth-death and telegraph time courses."""
    from ..fitting import fit

    rows = []
    for name, (times, cells, species) in RECOVERY_DESIGNS.items():
        model = models.get(name)
        data = snapshot_data(model, times, cells, 1 if name == "birth_death" else 2, species)
        steps = max(20, int((150 if name == "birth_death" else 300) * scale))
        n = 300 if name == "birth_death" else 500
        for loss in ("moments", "w1"):
            for estimator in estimators:
                began = time.perf_counter()
                result = fit(
                    model,
                    data,
                    init=RECOVERY_STARTS[name],
                    loss=loss,
                    estimator=estimator,
                    n=n if estimator != "exact" else 1,
                    steps=steps,
                    seed=seed,
                    progress=False,
                    **ESTIMATOR_OPTIONS.get(estimator, {}),
                )
                errors = {k: result.params[k] / v - 1 for k, v in model.params.items()}
                rows.append(
                    RecoveryRow(
                        name, loss, estimator, errors, time.perf_counter() - began, steps, n
                    )
                )
    return rows


@dataclass(frozen=True)
class PoolingRow:
    """One configuration of the pooling comparison."""

    estimator: str
    n: int
    pool: int
    seconds_per_step: float
    value_se: float
    gradient_sd: np.ndarray = field(repr=False)
    fit_error: float = float("nan")

    @property
    def label(self) -> str:
        """``n=..., pool=...``."""
        return f"{self.estimator}: n={self.n}" + (f" + pool={self.pool}" if self.pool else "")


def _cost_ratio(model: models.Model, estimator: str, n: int, seed: int) -> float:
    """Cost of one tracked cell of ``estimator`` over one forward-only cell."""

    def timed(call) -> float:
        call()
        began = time.perf_counter()
        for _ in range(5):
            call()
        return time.perf_counter() - began

    tracked = timed(
        lambda: estimate(model, TELEGRAPH_START, times=[10.0], estimator=estimator, n=n, seed=seed)
    )
    forward = timed(lambda: simulate(model, TELEGRAPH_START, times=[10.0], n=n, seed=seed))
    return tracked / forward


def pooling(
    n: int = 1000, repeats: int = 20, fits: int = 3, seed: int = 3, estimators=("score", "altpath")
) -> list[PoolingRow]:
    """What a forward-only pool buys at equal cost (see the module docstring).

    Per estimator: ``n`` tracked cells alone; ``n`` plus a pool of ``4n``; and ``n/2``
    tracked plus the pool that costs what the other ``n/2`` tracked cells did (so the
    step costs what ``n`` tracked cells alone do). For each: seconds per step, the loss
    value's jackknife se, the spread of the gradient over ``repeats`` steps, and the
    worst relative error of ``fits`` telegraph W1 fits (300 steps, 3 free rates).
    """
    from ..data import observed
    from ..fitting import fit
    from ..fitting._compose import evaluate
    from ..fitting.losses import W1

    model = models.telegraph()
    data = simulate(model, times=[10.0], n=3000, seed=seed).sel(species=["M"])
    bound = W1().bind(observed(data), np.array([2]))
    rows = []
    for estimator in estimators:
        ratio = _cost_ratio(model, estimator, n, seed)
        half = n // 2
        for tracked, pool in ((n, 0), (n, 4 * n), (half, int(round(half * ratio)))):
            grads, ses, began = [], [], time.perf_counter()
            for rep in range(repeats):
                samples = estimate(
                    model,
                    TELEGRAPH_START,
                    times=[10.0],
                    estimator=estimator,
                    n=tracked,
                    seed=seed * 1000 + rep,
                )
                cells = None
                if pool:
                    cells = simulate(
                        model, TELEGRAPH_START, times=[10.0], n=pool, seed=seed * 1000 + 500 + rep
                    ).x.values
                result = evaluate(samples, bound, cells, engine=get_backend())
                grads.append(result.grad)
                ses.append(result.value_se)
            per_step = (time.perf_counter() - began) / repeats
            errors = [
                max(
                    abs(v / model.params[k] - 1)
                    for k, v in fit(
                        model,
                        data,
                        init=TELEGRAPH_START,
                        fixed=["kdeg"],
                        loss="w1",
                        estimator=estimator,
                        n=tracked,
                        pool=pool or None,
                        steps=300,
                        seed=seed + f,
                        progress=False,
                    ).params.items()
                )
                for f in range(fits)
            ]
            rows.append(
                PoolingRow(
                    estimator,
                    tracked,
                    pool,
                    per_step,
                    float(np.mean(ses)),
                    np.std(grads, axis=0, ddof=1),
                    float(np.mean(errors)) if errors else float("nan"),
                )
            )
    return rows
