"""Exact stochastic simulation (direct, sorting direct, next reaction, composition-rejection)
and tau-leaping ensembles."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import xarray as xr

from ._version import __version__
from .backends import (
    SSA_METHODS,
    STATUS_BAD_ASSIGNMENT,
    STATUS_CASCADE,
    STATUS_MAX_EVENTS,
    STATUS_RATE_BOUND,
    Backend,
)
from .distributed import engine_for
from .inputs import (
    check_expression_rates,
    initial_state,
    observation_times,
    parameter_vector,
    sample_count,
)
from .models import Model
from .network import Network
from .resources import check_memory
from .seeding import resolve_seed, trajectory_seeds

#: ``method=`` values of :func:`simulate`: the exact SSA methods, tau-leaping, and "auto".
METHODS = (*SSA_METHODS, "tau", "auto")
#: ``method="auto"`` takes the direct method up to this many reactions.
AUTO_DIRECT_MAX_REACTIONS = 100
DEFAULT_MAX_EVENTS = 10_000_000


def resolve_model(
    net: Network | Model,
    params: Mapping[str, float] | Sequence[float] | None,
    x0: Mapping[str, int] | None,
) -> tuple[Network, Mapping[str, float] | Sequence[float], Mapping[str, int] | None]:
    """Unpack a zoo :class:`~ssagrad.models.Model`, filling in its defaults."""
    if isinstance(net, Model):
        return net.network, net.params if params is None else params, (net.x0 if x0 is None else x0)
    if not isinstance(net, Network):
        raise TypeError(f"expected a Network or Model, got {type(net).__name__}")
    if params is None:
        raise ValueError(f"params is required: values for {', '.join(net.parameters)}")
    return net, params, x0


def default_times(net: Network | Model, times: Sequence[float] | np.ndarray | None):
    """``times``, or 21 points over a zoo model's horizon when ``times`` is None."""
    if not isinstance(net, Network | Model):
        hint = " (parse network text with ssagrad.parse first)" if isinstance(net, str) else ""
        raise TypeError(f"expected a Network or Model, got {type(net).__name__}{hint}")
    if times is not None:
        return times
    if isinstance(net, Model):
        return np.linspace(0.0, net.t_end, 21)
    raise ValueError("times is required: the observation times")


def auto_method(n_reactions: int, engine: Backend) -> str:
    """The exact method that ``method="auto"`` runs for a network of ``n_reactions``.

    The direct method up to :data:`AUTO_DIRECT_MAX_REACTIONS` reactions (its ``O(R)``
    sum and search are cheapest there); above, the next reaction method (``"nrm"``, cost
    per event ``O(D log R)`` for ``D`` dependents), where the backend provides it, and
    the direct method otherwise. On the diffusion lattice of ``ssagrad bench lattice``
    the two cross between 100 and 1000 reactions (docs/benchmarks.md).

    Examples
    --------
    >>> from ssagrad.backends import get_backend
    >>> auto_method(4, get_backend()), auto_method(10_000, get_backend())
    ('direct', 'nrm')
    """
    if n_reactions > AUTO_DIRECT_MAX_REACTIONS and engine.supports("nrm"):
        return "nrm"
    return "direct"


def _check_ensemble_memory(n: int, n_times: int, n_species: int, lazy: bool) -> None:
    """Refuse an ensemble whose states (plus events and status) would exceed the limit."""
    batch = "chunk (trajectories computed at once)" if lazy else "n"
    check_memory(
        8.0 * n * (n_times * n_species + 2),
        "simulate",
        f"states, events and status: {batch}={n} samples x (T={n_times} times x "
        f"S={n_species} species + 2) x 8 bytes",
        "Use fewer samples (n) or fewer observation times, simulate in batches of seeds or "
        "with lazy=True and a smaller chunk",
    )


def simulate(
    net: Network | Model,
    params: Mapping[str, float] | Sequence[float] | None = None,
    x0: Mapping[str, int] | None = None,
    times: Sequence[float] | np.ndarray | None = None,
    n: int = 1,
    seed: int | None = None,
    method: str = "direct",
    backend: str | None = None,
    max_events: int = DEFAULT_MAX_EVENTS,
    on_max_events: str = "raise",
    dt: float | None = None,
    threads: int | None = None,
    rate_bound: float | None = None,
    *,
    client: Any = None,
    chunk: int | None = None,
    lazy: bool = False,
) -> xr.Dataset:
    """Simulate ``n`` independent trajectories and observe them at ``times``.

    Parameters
    ----------
    net : Network or Model
        The network; a zoo :class:`~ssagrad.models.Model` supplies default ``params``,
        ``x0`` and ``times`` (21 points over its horizon).
    params : mapping of parameter name to value
        Rate constants (finite, non-negative), binomial mass-action convention.
    x0 : mapping of species name to count, optional
        Initial counts; missing species start at 0.
    times : array of float
        Strictly increasing, non-negative observation times. The observed state at
        ``t`` is the state after the last event at or before ``t``.
    n : int
        Number of trajectories.
    seed : int, optional
        Fixes every result, independently of thread count; ``None`` draws fresh entropy
        (recorded in the result's attrs so the run can be repeated).
    method : {"direct", "sorting", "nrm", "cr", "tau", "auto"}
        An exact SSA method: Gillespie's direct method (default), sorting direct, the
        next reaction method (Gibson-Bruck, indexed priority queue) or
        composition-rejection (cost per event independent of the network size); or
        fixed-step tau-leaping with a non-negativity guard; or ``"auto"``, an exact
        method chosen by :func:`auto_method` (recorded in the result's ``method``
        attribute). The exact methods agree in distribution, not path by path.
    backend : {"native", "julia"}, optional
        Kernel backend, chosen once per process (default ``$SSAGRAD_BACKEND`` or native).
    max_events : int
        Cap on reaction firings per trajectory, so that runaway populations cannot hang.
    on_max_events : {"raise", "flag"}
        ``"raise"``: a ``RuntimeError`` naming how many trajectories hit the cap.
        ``"flag"``: return anyway; ``truncated[i]`` is True for those trajectories and
        their state is held at its value when the cap was hit.
    dt : float, optional
        Tau-leaping step (default: horizon / 1000).
    threads : int, optional
        Worker threads (default: all cores). Results do not depend on it.
    rate_bound : float, optional
        Required when a rate law reads the time ``t``: a bound ``B >= a0(x, t)`` on the
        total propensity along the paths; such networks are simulated exactly by
        thinning (candidates at rate ``B``; a candidate above the bound is an error).
        Networks with events or time-dependent rates run the direct method only.
    client : dask.distributed.Client, optional
        Run the ensemble on a Dask cluster in chunks of trajectories; the result is bit
        for bit the local one (see :mod:`ssagrad.distributed`).
    chunk : int, optional
        Trajectories per Dask task (with ``client`` or ``lazy``). Default: two tasks per
        worker thread of the cluster (per local core for ``lazy`` without a client), at
        least 256 trajectories, and for ``lazy`` at most 100 000.
    lazy : bool
        Return dask arrays computed chunk by chunk on demand (on ``client`` if given,
        else on local threads), for ensembles larger than memory; needs
        ``on_max_events="flag"`` (nothing is computed before you ask).

    Returns
    -------
    xarray.Dataset
        ``x`` (sample, time, species) int64 counts; ``events`` (sample) reaction firings;
        ``truncated`` (sample) bool. Attrs record params, x0, seed, method, backend and
        the package version.

    Raises
    ------
    ValueError, TypeError
        Malformed input, naming the problem.
    RuntimeError
        Trajectories reached ``max_events`` with ``on_max_events="raise"``.

    Examples
    --------
    >>> import ssagrad
    >>> net = ssagrad.parse("k, 0 --> A\\ng, A --> 0")
    >>> ds = ssagrad.simulate(net, {"k": 10, "g": 1}, {"A": 0}, [0, 1, 2], n=100, seed=1)
    >>> ds.x.dims
    ('sample', 'time', 'species')
    >>> ds.x.sizes["sample"], int(ds.x.isel(time=0).sum())
    (100, 0)
    """
    times = default_times(net, times)
    net, params, x0 = resolve_model(net, params, x0)
    theta_params = parameter_vector(net, params)
    state0 = initial_state(net, x0)
    check_expression_rates(net, theta_params, state0)
    obs = observation_times(times)
    n = sample_count(n)
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    if on_max_events not in ("raise", "flag"):
        raise ValueError(f"on_max_events must be 'raise' or 'flag', got {on_max_events!r}")
    if isinstance(max_events, bool) or not isinstance(max_events, int | np.integer):
        raise TypeError(f"max_events must be an integer, got {max_events!r}")
    if max_events < 1:
        raise ValueError(f"max_events must be at least 1, got {max_events}")
    if dt is None:
        dt = obs[-1] / 1000.0 if obs[-1] > 0 else 1.0
    if not np.isfinite(dt) or dt <= 0:
        raise ValueError(f"dt must be a positive finite step, got {dt!r}")
    seed = resolve_seed(seed)

    if lazy and on_max_events == "raise":
        raise ValueError(
            "lazy=True computes nothing before you ask, so it cannot raise on max_events: "
            "pass on_max_events='flag' and check the result's truncated variable"
        )
    if lazy and chunk is None:
        from .distributed._lazy import default_chunk

        chunk = default_chunk(n, client)
    _check_ensemble_memory(n if not lazy else min(n, chunk), obs.size, net.n_species, lazy)
    engine = engine_for(backend, client, chunk if not lazy else None)
    arrays = net.arrays()
    engine.require_network(arrays)
    special = arrays.has_events or arrays.time_dependent
    bound = _rate_bound(arrays, rate_bound, method)
    if method == "auto":
        method = "direct" if special else auto_method(arrays.n_reactions, engine)
    engine.require(method, f"method={method!r}")
    engine.set_threads(threads)
    seeds = trajectory_seeds(seed, n)
    theta = arrays.theta(theta_params)
    if special:
        if lazy:
            raise ValueError("lazy=True runs networks without events or time-dependent rates")
        states, events, status = engine.simulate_events(
            arrays, theta, state0, obs, seeds, int(max_events), bound
        )
        _raise_on_event_status(status, bound)
    else:
        arguments = (arrays, theta, state0, obs, seeds, method, int(max_events), float(dt))
        if lazy:
            from .distributed._lazy import lazy_ensemble

            states, events, status = lazy_ensemble(engine.name, *arguments, chunk)
        else:
            states, events, status = engine.simulate(*arguments)
    truncated = status == STATUS_MAX_EVENTS
    if on_max_events == "raise" and truncated.any():
        raise RuntimeError(
            f"{int(truncated.sum())} of {n} trajectories reached max_events={max_events} "
            f"before t={obs[-1]} (a runaway population?). Raise max_events, shorten the "
            f"horizon, or pass on_max_events='flag' to keep the truncated trajectories"
        )
    return xr.Dataset(
        {
            "x": (("sample", "time", "species"), states),
            "events": ("sample", events),
            "truncated": ("sample", truncated),
        },
        coords={"sample": np.arange(n), "time": obs, "species": list(net.species)},
        attrs={
            "network": str(net),
            "params": json.dumps(dict(zip(net.parameters, theta_params.tolist(), strict=True))),
            "x0": json.dumps(dict(zip(net.species, state0.tolist(), strict=True))),
            "seed": str(seed),
            "method": method,
            "dt": float(dt) if method == "tau" else 0.0,
            "backend": engine.name,
            "ssagrad_version": __version__,
        },
    )


def _rate_bound(arrays, rate_bound: float | None, method: str) -> float:
    """The thinning bound (0 without time-dependent rates), checked against the network."""
    special = arrays.has_events or arrays.time_dependent
    if special and method not in ("direct", "auto"):
        what = "events" if arrays.has_events else "time-dependent rate laws"
        raise ValueError(f"a network with {what} is simulated with method='direct' only")
    if rate_bound is None:
        if arrays.time_dependent:
            raise ValueError(
                "a rate law reads the time t: pass rate_bound=B, a bound on the total "
                "propensity along the paths (simulation by thinning; see docs/simulation.md)"
            )
        return 0.0
    if not arrays.time_dependent:
        raise ValueError("rate_bound applies only to networks whose rate laws read the time t")
    if isinstance(rate_bound, bool) or not np.isfinite(rate_bound) or rate_bound <= 0:
        raise ValueError(f"rate_bound must be a positive finite number, got {rate_bound!r}")
    return float(rate_bound)


def _raise_on_event_status(status: np.ndarray, bound: float) -> None:
    """The errors of :meth:`Backend.simulate_events` statuses other than OK/max_events."""
    messages = {
        STATUS_RATE_BOUND: f"the total propensity exceeded rate_bound={bound} (raise it)",
        STATUS_BAD_ASSIGNMENT: "an event assigned a negative or non-finite species count",
        STATUS_CASCADE: "events kept triggering each other at one instant (100 rounds)",
    }
    for code, message in messages.items():
        count = int((status == code).sum())
        if count:
            raise RuntimeError(f"{count} of {status.size} trajectories stopped: {message}")
