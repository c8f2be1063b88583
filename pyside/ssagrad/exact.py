"""The exact reference: finite state projection of the chemical master equation.

For a small network the chemical master equation ``dp/dt = A(theta) p`` can be solved
exactly on a finite set of states (finite state projection, FSP; Munsky & Khammash
2006), together with the forward sensitivities ``s_i = dp/dtheta_i``, which obey
``ds_i/dt = A s_i + (dA/dtheta_i) p``. The states are those reachable from ``x0`` inside
a box ``0 <= x_s <= bound_s``; reactions that would leave the box feed absorbing *sink*
states, whose total probability (the *leak*) bounds the truncation error. The result is
the yardstick for every sampling gradient estimator's bias and variance.

:func:`exact` returns distributions, moments and their parameter derivatives;
:func:`marginal` and :func:`expectation` evaluate other observables on its result.
"""

from __future__ import annotations

import json
import math
import numbers
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sparse
import xarray as xr
from scipy.sparse.linalg import expm_multiply

from ._version import __version__
from .inputs import initial_state, observation_times, parameter_vector
from .models import Model
from .network import EXPRESSION, HILL, MASS_ACTION, Network, NetworkArrays, RateLaw
from .resources import check_memory
from .simulate import resolve_model

DEFAULT_MAX_STATES = 200_000
_MIN_AUTO_BOUND = 20
_MAX_COUNT = 2**62
_DEFAULT_N_TIMES = 21


class _TooManyStates(Exception):
    """More than ``max_states`` states are reachable; ``count`` were found so far."""

    def __init__(self, count: int) -> None:
        super().__init__(count)
        self.count = count


@dataclass(frozen=True)
class _StateSpace:
    """Enumerated states and the transitions between them.

    ``target[e] == len(states) + s`` means that transition ``e`` leaves the box through
    the bound of species ``s``: each species has its own sink, so that the leak can be
    attributed to the bounds that cause it.
    """

    upper: np.ndarray
    states: np.ndarray
    source: np.ndarray
    reaction: np.ndarray
    target: np.ndarray


def _enumerate(
    x0: np.ndarray, upper: np.ndarray, arrays: NetworkArrays, max_states: int
) -> _StateSpace:
    """Breadth-first search of the states reachable from ``x0`` within ``0 <= x <= upper``.

    A reaction may fire wherever its reactants are present, whatever the rate values,
    so the state space (and hence the sensitivities) stays valid at zero rates.
    """
    n_s = arrays.n_species
    nu = arrays.stoichiometry
    reactants = np.zeros_like(nu)
    for j in range(arrays.n_reactions):
        span = slice(arrays.reactant_ptr[j], arrays.reactant_ptr[j + 1])
        reactants[j, arrays.reactant_species[span]] = arrays.reactant_coeff[span]
    reactants = np.maximum(reactants, -nu)  # a "=>" law has no propensity reactants
    moves = np.any(nu != 0, axis=1)
    as_key = np.dtype((np.void, 8 * n_s))

    index = {x0.tobytes(): 0}
    levels = [x0[None, :]]
    frontier, start = x0[None, :], 0
    sources, reactions, targets = [], [], []
    while frontier.shape[0]:
        fires = np.all(frontier[:, None, :] >= reactants[None, :, :], axis=2) & moves
        i, j = np.nonzero(fires)
        after = frontier[i] + nu[j]
        over = after > upper
        inside = ~over.any(axis=1)
        after = np.ascontiguousarray(after[inside])
        keys = after.view(as_key).ravel().tolist()
        known = len(index)
        ids = np.fromiter(
            (index.setdefault(k, len(index)) for k in keys), dtype=np.int64, count=len(keys)
        )
        if len(index) > max_states:
            raise _TooManyStates(len(index))
        target = -1 - np.argmax(over, axis=1)  # -1 - species, until N is known
        target[inside] = ids
        sources.append(start + i)
        reactions.append(j)
        targets.append(target)
        new = ids >= known
        _, first = np.unique(ids[new], return_index=True)
        start += frontier.shape[0]
        frontier = after[new][first]
        levels.append(frontier)

    states = np.concatenate(levels)
    target = np.concatenate(targets)
    target[target < 0] = states.shape[0] - 1 - target[target < 0]
    return _StateSpace(
        upper=upper,
        states=states,
        source=np.concatenate(sources),
        reaction=np.concatenate(reactions),
        target=target,
    )


def _expression_law(
    law: RateLaw, x: np.ndarray, theta: np.ndarray, net: Network
) -> tuple[np.ndarray, list[tuple[int, np.ndarray]]]:
    """An expression's value at every state, clamped at 0 like the kernels, and its
    derivatives by each parameter (symbolic)."""
    env: dict[str, object] = dict(zip(net.parameters, theta[: len(net.parameters)], strict=True))
    env.update({s: x[:, i] for i, s in enumerate(net.species)})
    env["t"] = 0.0
    ones = np.ones(x.shape[0])
    value = np.nan_to_num(law.expression.evaluate(env) * ones, nan=0.0)
    live = value > 0
    grads = []
    for name in law.parameters():
        if name in env and name not in net.species:
            d = law.expression.derivative(name).evaluate(env) * ones
            grads.append((net.parameters.index(name), np.where(live, d, 0.0)))
    return np.where(live, value, 0.0), grads


def _rate_law(
    j: int, x: np.ndarray, theta: np.ndarray, arrays: NetworkArrays, net: Network
) -> tuple[np.ndarray, list[tuple[int, np.ndarray]]]:
    """Rate factor ``f_j`` at every state and its derivatives as ``(theta slot, df)``."""
    slots = arrays.rate_slots[j]
    if arrays.rate_code[j] == MASS_ACTION:
        ones = np.ones(x.shape[0])
        return theta[slots[0]] * ones, [(slots[0], ones)]
    if arrays.rate_code[j] == EXPRESSION:
        return _expression_law(net.reactions[j].rate, x, theta, net)
    v, big_k, n = (float(theta[s]) for s in slots)
    level = x[:, arrays.rate_species[j]]
    xn = level**n
    kn = big_k**n
    denom = kn + xn
    inv = np.divide(1.0, denom, out=np.zeros_like(denom), where=denom > 0)
    dxn_dn = xn * np.log(level, out=np.zeros_like(level), where=level > 0)
    # d(K^n)/dK and d(K^n)/dn, taken as zero at the degenerate K = 0.
    dkn_dk, dkn_dn = (n * big_k ** (n - 1), kn * math.log(big_k)) if big_k > 0 else (0, 0)
    sign = 1.0 if arrays.rate_code[j] == HILL else -1.0
    numerator = xn if sign > 0 else kn * np.ones_like(xn)
    df_dxn = sign * v * kn * inv**2
    df_dkn = -sign * v * xn * inv**2
    grads = [
        (slots[0], numerator * inv),
        (slots[1], df_dkn * dkn_dk),
        (slots[2], df_dxn * dxn_dn + df_dkn * dkn_dn),
    ]
    return v * numerator * inv, grads


def _propensities(
    states: np.ndarray, arrays: NetworkArrays, theta: np.ndarray, net: Network
) -> tuple[np.ndarray, np.ndarray]:
    """Propensities ``a`` (N, R) and their parameter derivatives ``da`` (N, R, P)."""
    x = states.astype(np.float64)
    n_p = arrays.n_parameters
    a = np.empty((x.shape[0], arrays.n_reactions))
    da = np.zeros((x.shape[0], arrays.n_reactions, n_p))
    for j in range(arrays.n_reactions):
        comb = np.ones(x.shape[0])
        for k in range(arrays.reactant_ptr[j], arrays.reactant_ptr[j + 1]):
            count = x[:, arrays.reactant_species[k]]
            for i in range(arrays.reactant_coeff[k]):
                comb *= (count - i) / (i + 1)
        f, grads = _rate_law(j, x, theta, arrays, net)
        a[:, j] = f * comb
        for slot, df in grads:
            if slot < n_p:  # the rest of theta are literals
                da[:, j, slot] += df * comb
    return a, da


def _generator(space: _StateSpace, rates: np.ndarray) -> sparse.csr_matrix:
    """Generator (or its derivative) from per-state reaction rates (N, R); sinks last."""
    n = space.states.shape[0] + space.upper.size
    flow = rates[space.source, space.reaction]
    return sparse.csr_matrix(
        (
            np.concatenate([flow, -flow]),
            (
                np.concatenate([space.target, space.source]),
                np.concatenate([space.source, space.source]),
            ),
        ),
        shape=(n, n),
    )


def _propagate(matrix: sparse.spmatrix, times: np.ndarray) -> Iterator[np.ndarray]:
    """Yield ``exp(matrix t) e_0`` at each of ``times`` (from 0), stepping between them."""
    y, now = np.zeros(matrix.shape[0]), 0.0
    y[0] = 1.0  # state 0 is x0
    for t in times:
        if t > now:
            y = expm_multiply(matrix * (t - now), y)
            now = t
        yield y


def _one_norm(matrix: sparse.spmatrix) -> float:
    """Largest absolute column sum."""
    return float(abs(matrix).sum(axis=0).max()) if matrix.nnz else 0.0


def _leaks(generator: sparse.spmatrix, n_states: int, times: np.ndarray, tol: float) -> np.ndarray:
    """Probability in each sink at the last time, or at the first time their sum >= tol."""
    for y in _propagate(generator, times):
        if y[n_states:].sum() >= tol:
            break
    return y[n_states:]


def _box(
    net: Network, bounds: Mapping[str, int] | None, state0: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Upper bounds per species and which of them are automatic."""
    upper = np.maximum(2 * state0, _MIN_AUTO_BOUND)
    auto = np.ones(net.n_species, dtype=bool)
    if bounds is None:
        return upper, auto
    if not isinstance(bounds, Mapping):
        raise TypeError("bounds must be a mapping of species names to counts, e.g. {'M': 50}")
    index = {s: i for i, s in enumerate(net.species)}
    for name, value in bounds.items():
        if name not in index:
            raise ValueError(
                f"unknown species {name!r} in bounds; the network's species are "
                f"{', '.join(net.species)}"
            )
        bad = isinstance(value, bool) or not isinstance(value, numbers.Real)
        if not bad:
            bad = not math.isfinite(float(value)) or value < 0 or float(value) != int(value)
        if bad or int(value) > _MAX_COUNT:
            raise ValueError(f"bound of {name!r} must be a non-negative integer, got {value!r}")
        i = index[name]
        if int(value) < state0[i]:
            raise ValueError(
                f"bound of {name!r} is {int(value)}, below its initial count {state0[i]}"
            )
        upper[i] = int(value)
        auto[i] = False
    return upper, auto


def _too_large(
    net: Network, count: int, upper: np.ndarray, auto: np.ndarray, max_states: int, why: str
) -> ValueError:
    box = ", ".join(
        f"{s} <= {int(b)}{' (automatic)' if a else ''}"
        for s, b, a in zip(net.species, upper, auto, strict=True)
    )
    return ValueError(
        f"the system is too large for the exact solver: {why}at least {count} states are "
        f"reachable within the box {box}, more than max_states={max_states}. Pass "
        f"bounds={{species: count}} (accepting the leak they cause), raise max_states (time "
        f"and memory grow with states x (1 + parameters)), or use a sampling estimator"
    )


def exact(
    net: Network | Model,
    params: Mapping[str, float] | Sequence[float] | None = None,
    x0: Mapping[str, int] | None = None,
    times: Sequence[float] | np.ndarray | None = None,
    bounds: Mapping[str, int] | None = None,
    max_states: int = DEFAULT_MAX_STATES,
    tol: float = 1e-8,
) -> xr.Dataset:
    """Exact distributions, moments and parameter derivatives by finite state projection.

    Solves the chemical master equation ``dp/dt = A p`` and the forward sensitivity
    equations ``ds_i/dt = A s_i + (dA/dtheta_i) p`` on the states reachable from ``x0``
    inside the box ``0 <= x_s <= bound_s``, with ``scipy.sparse.linalg.expm_multiply``
    from one observation time to the next. Reactions leaving the box go to absorbing
    sinks whose total probability, ``leak``, bounds the truncation error.

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
        Strictly increasing, non-negative observation times (0 gives the initial state).
    bounds : mapping of species name to int, optional
        Largest count kept for a species. Species not given are bounded automatically:
        from ``max(2 x0, 20)``, the bounds through which probability leaks are doubled
        until the leak at the last time is below ``tol``; species bounded by
        conservation never leak.
    max_states : int
        Largest state space allowed, checked during enumeration. Time and memory grow
        with states x (1 + parameters).
    tol : float
        Target leak at the last time for automatic bounds.

    Returns
    -------
    xarray.Dataset
        Coordinates ``time``, ``species``, ``parameter`` and ``state`` (index into the
        state list) and variables

        * ``states`` (state, species) int64: the enumerated states, ``x0`` first;
        * ``p`` (time, state) and ``dp`` (time, state, parameter): probabilities and their
          derivatives;
        * ``mean``, ``var`` (time, species) and ``dmean``, ``dvar`` (time, species,
          parameter): moments of the truncated distribution, i.e. sums over the
          enumerated states without renormalisation (the leaked mass is left out);
        * ``leak`` (time,): probability in the sinks.

        Index ``mean`` and ``var`` as ``ds["mean"]``: ``ds.mean`` is the Dataset method.

        Attrs record ``n_states``, ``bounds`` (the final box), ``params`` and ``x0``
        (JSON), ``tol``, ``network`` and ``ssagrad_version``.

    Raises
    ------
    ValueError, TypeError
        Malformed input, naming the problem; or more than ``max_states`` states needed
        (reachable within the given bounds, or for a leak below ``tol``).

    Examples
    --------
    >>> from ssagrad import models
    >>> from ssagrad.exact import exact
    >>> ds = exact(models.telegraph(), times=[0.0, 1.0, 20.0])
    >>> round(float(ds["mean"].sel(species="M", time=20.0)), 6)  # ktx kon / (kdeg (kon + koff))
    3.333333
    >>> ds["dmean"].sel(species="M", time=20.0).round(3).values.tolist()  # d/d kon, koff, ktx, kdeg
    [4.444, -2.222, 0.333, -3.333]
    >>> bool(ds.leak[-1] < 1e-8), ds.attrs["bounds"]
    (True, '{"Goff": 20, "Gon": 20, "M": 40}')
    """
    if times is None:
        if not isinstance(net, Model):
            raise ValueError("times is required: the observation times")
        times = np.linspace(0.0, net.t_end, _DEFAULT_N_TIMES)
    net, params, x0 = resolve_model(net, params, x0)
    if net.time_dependent or net.events:
        raise ValueError(
            "the exact solver needs a time-homogeneous network without events: "
            + ("a rate law reads the time t" if net.time_dependent else "the network has events")
        )
    values = parameter_vector(net, params)
    state0 = initial_state(net, x0)
    obs = observation_times(times)
    if isinstance(max_states, bool) or not isinstance(max_states, numbers.Integral):
        raise TypeError(f"max_states must be an integer, got {max_states!r}")
    if max_states < 1:
        raise ValueError(f"max_states must be at least 1, got {max_states}")
    if isinstance(tol, bool) or not isinstance(tol, numbers.Real) or not 0 < tol < 1:
        raise ValueError(f"tol must be a number between 0 and 1, got {tol!r}")
    upper, auto = _box(net, bounds, state0)
    arrays = net.arrays()
    theta = arrays.theta(values)

    try:
        space = _enumerate(state0, upper, arrays, max_states)
    except _TooManyStates as err:
        raise _too_large(net, err.count, upper, auto, max_states, "") from None
    n_states = space.states.shape[0]
    while True:
        rates, drates = _propensities(space.states, arrays, theta, net)
        generator = _generator(space, rates)
        widen = auto & (space.upper < _MAX_COUNT)
        if not widen.any():
            break
        leaks = _leaks(generator, n_states, obs, tol)  # the leak only grows with time
        # If the leak is too large, some automatic bound leaks at least tol / #automatic.
        widen &= leaks >= tol / widen.sum()
        if leaks.sum() < tol or not widen.any():
            break
        wider = np.where(widen, np.minimum(2 * space.upper, _MAX_COUNT), space.upper)
        try:
            space = _enumerate(state0, wider, arrays, max_states)
        except _TooManyStates as err:
            why = (
                f"bounds {dict(zip(net.species, space.upper.tolist(), strict=True))} leak "
                f"{leaks.sum():.3g} >= tol={tol} by t={obs[-1]:g}, and with wider bounds "
            )
            raise _too_large(net, err.count, wider, auto, max_states, why) from None
        n_states = space.states.shape[0]

    # Solve for scale_i * s_i, with scale_i making the forcing block no larger than
    # ||A|| / P: unscaled, derivatives by small rates would inflate the norm and with it
    # the number of matrix-vector products.
    n_p = arrays.n_parameters
    check_memory(
        8.0 * generator.shape[0] * (1 + n_p) * (2 * obs.size + 2)
        + 24.0 * generator.nnz * (1 + 2 * n_p),
        "exact",
        f"probabilities and sensitivities: {n_states} states x (1 + P={n_p} parameters) x "
        f"T={obs.size} times, twice, and the augmented generator",
        "Use fewer observation times, pass bounds={species: count} or a smaller max_states",
    )
    forcing = [_generator(space, drates[:, :, i]) for i in range(n_p)]
    norms = np.array([_one_norm(generator)] + [_one_norm(d) for d in forcing])
    scale = np.ones(1 + n_p)
    scale[1:] = np.divide(norms[0] / max(n_p, 1), norms[1:], out=scale[1:], where=norms[1:] > 0)
    blocks: list[list[sparse.spmatrix | None]] = [[None] * (1 + n_p) for _ in range(1 + n_p)]
    for i in range(1 + n_p):
        blocks[i][i] = generator
        if i:
            blocks[i][0] = scale[i] * forcing[i - 1]
    augmented = sparse.bmat(blocks, format="csr")
    y = np.array(list(_propagate(augmented, obs)))
    y = y.reshape(obs.size, 1 + n_p, generator.shape[0]) / scale[:, None]
    p = y[:, 0, :n_states]
    dp = y[:, 1:, :n_states].transpose(0, 2, 1)
    mean, dmean = _expect(p, dp, space.states)
    second, dsecond = _expect(p, dp, space.states.astype(np.float64) ** 2)

    return xr.Dataset(
        {
            "states": (("state", "species"), space.states),
            "p": (("time", "state"), p),
            "dp": (("time", "state", "parameter"), dp),
            "mean": (("time", "species"), mean),
            "var": (("time", "species"), second - mean**2),
            "dmean": (("time", "species", "parameter"), dmean),
            "dvar": (("time", "species", "parameter"), dsecond - 2 * mean[..., None] * dmean),
            "leak": ("time", y[:, 0, n_states:].sum(axis=1)),
        },
        coords={
            "time": obs,
            "species": list(net.species),
            "parameter": list(net.parameters),
            "state": np.arange(space.states.shape[0]),
        },
        attrs={
            "network": str(net),
            "n_states": n_states,
            "bounds": json.dumps(dict(zip(net.species, space.upper.tolist(), strict=True))),
            "params": json.dumps(dict(zip(net.parameters, values.tolist(), strict=True))),
            "x0": json.dumps(dict(zip(net.species, state0.tolist(), strict=True))),
            "tol": float(tol),
            "ssagrad_version": __version__,
        },
    )


def _expect(p: np.ndarray, dp: np.ndarray, features: np.ndarray) -> tuple[np.ndarray, ...]:
    """``sum_x p(x) phi(x)`` (T, F) and ``sum_x s_i(x) phi(x)`` (T, F, P)."""
    features = np.asarray(features, dtype=np.float64)
    return p @ features, np.einsum("tnp,nf->tfp", dp, features)


def marginal(ds: xr.Dataset, species: str) -> xr.DataArray:
    """Marginal distribution of one species over time.

    Parameters
    ----------
    ds : xarray.Dataset
        A result of :func:`exact`.
    species : str

    Returns
    -------
    xarray.DataArray
        ``p`` (time, count) for counts ``0..max``; each row sums to ``1 - leak``.

    Examples
    --------
    >>> import ssagrad
    >>> from ssagrad.exact import exact, marginal
    >>> net = ssagrad.parse("k, 0 --> A\\ng, A --> 0")
    >>> ds = exact(net, {"k": 2.0, "g": 1.0}, times=[0.0, 30.0])
    >>> m = marginal(ds, "A")
    >>> m.dims
    ('time', 'count')
    >>> m.sel(time=30.0, count=[0, 1, 2]).round(4).values.tolist()  # Poisson(2)
    [0.1353, 0.2707, 0.2707]
    """
    names = ds["species"].values.tolist()
    if species not in names:
        raise ValueError(f"unknown species {species!r}; the species are {', '.join(names)}")
    counts = ds["states"].sel(species=species).values
    onehot = sparse.csr_matrix(
        (np.ones(counts.size), (counts, np.arange(counts.size))),
        shape=(int(counts.max()) + 1, counts.size),
    )
    return xr.DataArray(
        (onehot @ ds["p"].values.T).T,
        dims=("time", "count"),
        coords={"time": ds["time"].values, "count": np.arange(onehot.shape[0])},
        name="p",
        attrs={"species": species},
    )


def expectation(
    ds: xr.Dataset, phi: Callable[[np.ndarray], np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """Expectation of features of the state, and its parameter derivatives.

    Parameters
    ----------
    ds : xarray.Dataset
        A result of :func:`exact`.
    phi : callable
        Maps the int64 states (n_states, S), species in ``ds.species`` order, to
        features (n_states, F).

    Returns
    -------
    value : (T, F) ndarray
        ``sum_x p(x) phi(x)`` over the enumerated states.
    dvalue : (T, F, P) ndarray
        ``sum_x dp(x)/dtheta_i phi(x)``.

    Examples
    --------
    >>> import ssagrad
    >>> from ssagrad.exact import exact, expectation
    >>> net = ssagrad.parse("k, 0 --> A\\ng, A --> 0")
    >>> ds = exact(net, {"k": 2.0, "g": 1.0}, times=[30.0])
    >>> value, dvalue = expectation(ds, lambda x: (x >= 1).astype(float))
    >>> value.shape, dvalue.shape
    ((1, 1), (1, 1, 2))
    >>> round(float(value[0, 0]), 4)  # 1 - exp(-2)
    0.8647
    """
    states = ds["states"].values
    features = np.asarray(phi(states), dtype=np.float64)
    if features.ndim != 2 or features.shape[0] != states.shape[0]:
        raise ValueError(
            f"phi must map the states ({states.shape[0]}, {states.shape[1]}) to an array "
            f"of shape ({states.shape[0]}, F), got shape {features.shape}"
        )
    return _expect(ds["p"].values, ds["dp"].values, features)
