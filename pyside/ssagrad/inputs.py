"""Validation of user input at the API boundary: parameters, initial state, times.

Every check raises a ``ValueError`` or ``TypeError`` whose message names the offending
item, so that nothing malformed ever reaches a kernel.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence

import numpy as np

from .network import Network


def parameter_vector(net: Network, params: Mapping[str, float] | Sequence[float]) -> np.ndarray:
    """Parameter values in ``net.parameters`` order, checked finite and non-negative.

    Parameters
    ----------
    net : Network
    params : mapping of name to value, or a sequence in ``net.parameters`` order

    Examples
    --------
    >>> import ssagrad
    >>> net = ssagrad.parse("k, A --> 0")
    >>> parameter_vector(net, {"k": 2})
    array([2.])
    >>> parameter_vector(net, {"k": -1})
    Traceback (most recent call last):
    ...
    ValueError: parameter 'k' must be finite and non-negative, got -1
    """
    if isinstance(params, Mapping):
        unknown = [k for k in params if k not in net.parameters]
        if unknown:
            raise ValueError(
                f"unknown parameter {unknown[0]!r}; the network's parameters are "
                f"{', '.join(net.parameters)}"
            )
        missing = [p for p in net.parameters if p not in params]
        if missing:
            raise ValueError(f"missing value for parameter(s) {', '.join(missing)}")
        items = [(p, params[p]) for p in net.parameters]
    else:
        if isinstance(params, str | bytes):
            raise TypeError("params must be a mapping of parameter names to values")
        values = list(np.asarray(params).ravel()) if np.ndim(params) else [params]
        if len(values) != len(net.parameters):
            raise ValueError(
                f"expected {len(net.parameters)} parameter values "
                f"({', '.join(net.parameters)}), got {len(values)}"
            )
        items = list(zip(net.parameters, values, strict=True))
    out = np.empty(len(items))
    for i, (name, value) in enumerate(items):
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise TypeError(f"parameter {name!r} must be a real number, got {value!r}")
        if not math.isfinite(float(value)) or value < 0:
            raise ValueError(f"parameter {name!r} must be finite and non-negative, got {value!r}")
        out[i] = float(value)
    return out


def initial_state(net: Network, x0: Mapping[str, int] | None) -> np.ndarray:
    """Initial counts in ``net.species`` order; species not given start at 0.

    Examples
    --------
    >>> import ssagrad
    >>> net = ssagrad.parse("k, A --> B")
    >>> initial_state(net, {"A": 5})
    array([5, 0])
    >>> initial_state(net, {"A": 2.5})
    Traceback (most recent call last):
    ...
    ValueError: initial count of 'A' must be a non-negative integer, got 2.5
    """
    state = np.zeros(len(net.species), dtype=np.int64)
    if x0 is None:
        return state
    if not isinstance(x0, Mapping):
        raise TypeError("x0 must be a mapping of species names to counts, e.g. {'A': 10}")
    index = {s: i for i, s in enumerate(net.species)}
    for name, value in x0.items():
        if name not in index:
            raise ValueError(
                f"unknown species {name!r} in x0; the network's species are "
                f"{', '.join(net.species)}"
            )
        bad = isinstance(value, bool) or not isinstance(value, numbers.Real)
        if not bad:
            bad = not math.isfinite(float(value)) or value < 0 or float(value) != int(value)
        if bad:
            raise ValueError(
                f"initial count of {name!r} must be a non-negative integer, got {value!r}"
            )
        if int(value) >= 2**62:
            raise ValueError(f"initial count of {name!r} is too large: {value!r}")
        state[index[name]] = int(value)
    return state


def observation_times(times: Sequence[float] | np.ndarray | float) -> np.ndarray:
    """Observation times as a float64 array: finite, non-negative, strictly increasing.

    Examples
    --------
    >>> observation_times([0, 1, 2])
    array([0., 1., 2.])
    >>> observation_times([0, 2, 1])
    Traceback (most recent call last):
    ...
    ValueError: times must be strictly increasing; times[2] = 1.0 follows 2.0
    """
    try:
        arr = np.atleast_1d(np.asarray(times, dtype=np.float64))
    except (TypeError, ValueError):
        raise TypeError(f"times must be an array of numbers, got {times!r}") from None
    if arr.ndim != 1:
        raise ValueError(f"times must be one-dimensional, got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError("times is empty: give at least one observation time")
    if not np.all(np.isfinite(arr)):
        raise ValueError("times must be finite (found NaN or inf)")
    if arr[0] < 0:
        raise ValueError(f"times must be non-negative, got {arr[0]}")
    steps = np.diff(arr)
    if np.any(steps <= 0):
        i = int(np.argmax(steps <= 0)) + 1
        raise ValueError(
            f"times must be strictly increasing; times[{i}] = {arr[i]} follows {arr[i - 1]}"
        )
    return np.ascontiguousarray(arr)


def sample_count(n: int) -> int:
    """Check the number of trajectories: an integer >= 1."""
    if isinstance(n, bool) or not isinstance(n, numbers.Integral):
        raise TypeError(f"n must be an integer, got {n!r}")
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    return int(n)


def check_expression_rates(net: Network, params: np.ndarray, x0: np.ndarray) -> None:
    """``ValueError`` if an expression rate law is negative or not finite at the start.

    A kernel takes an expression that evaluates below 0 or to NaN in some state as 0 (the
    reaction cannot fire there); at the initial state, with the given parameters and
    ``t = 0``, such a value is almost always a mistake in the law or the parameters, so
    it is refused here, naming the reaction and the value (unless the law multiplies a
    mass-action term that is 0 at the start, so that the reaction cannot fire anyway).

    Examples
    --------
    >>> import numpy as np, ssagrad
    >>> net = ssagrad.parse("k - 2, 0 --> A")
    >>> check_expression_rates(net, np.array([1.0]), np.array([0]))
    Traceback (most recent call last):
    ...
    ValueError: reaction 1 (k - 2, 0 --> A): its rate law is -1 at the initial state (t = 0); a rate must be a finite number >= 0
    """  # noqa: E501
    from .network import EXPRESSION, TIME

    env: dict[str, object] = dict(zip(net.parameters, params.tolist(), strict=True))
    env.update(zip(net.species, np.asarray(x0, dtype=np.float64).tolist(), strict=True))
    env[TIME] = 0.0
    for j, reaction in enumerate(net.reactions):
        if reaction.rate.kind != EXPRESSION:
            continue
        if not reaction.rate.full and any(env[s] < c for s, c in reaction.reactants):
            continue  # the mass-action term is 0: the reaction cannot fire whatever the law
        with np.errstate(all="ignore"):
            value = float(reaction.rate.expression.evaluate(env))
        if not (math.isfinite(value) and value >= 0.0):
            raise ValueError(
                f"reaction {j + 1} ({reaction}): its rate law is {value:.6g} at the initial "
                "state (t = 0); a rate must be a finite number >= 0"
            )
