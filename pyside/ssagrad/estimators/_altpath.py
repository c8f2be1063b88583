"""The alternative-path (stochastic-triple) estimator with pruning.

Each trajectory is a primal path at the nominal parameters plus, for every parameter
``theta_p``, one carried alternative path ``Y_p`` and its weight ``W_p``:

    dE[phi(X(t))]/dtheta_p = E[W_p(t) (phi(Y_p(t)) - phi(X(t)))]

The kernel uniformises the jump process with a clock that does not depend on ``theta``
(``rate_margin`` times the total propensity, the rest filled by a no-op channel), so the
whole dependence on ``theta`` sits in which channel each step takes. A small change of
``theta`` flips that choice with a probability proportional to the change: such a flip
spawns an alternative path, simulated on with randomness coupled to the primal's; flips
are merged into one alternative per parameter by weighted reservoir sampling. The
estimate is unbiased for any feature map, including discontinuous ones such as
indicators, because it compares whole states instead of differentiating them. See
:mod:`ssagrad.backends.native._altpath` and ``docs/estimators/altpath.md`` for the maths.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from ..seeding import trajectory_seeds
from ..simulate import DEFAULT_MAX_EVENTS
from ._problem import Problem
from ._registry import Estimator, raise_if_stuck
from ._samples import Expectation, FeatureMap, GradientSamples, apply_features, identity


class AltPathSamples(GradientSamples):
    """Primal paths with one weighted alternative path per parameter.

    Attributes
    ----------
    problem : Problem
    states : (N, T, S) int64 primal states at the observation times
    alt_states : (N, T, S, P) int64 state of the carried alternative for each parameter
        (equal to the primal state where there is none)
    weights : (N, T, P) float64 weight of the carried alternative
    rate_margin : float
        Uniformisation margin the paths were simulated with.
    """

    def __init__(
        self,
        problem: Problem,
        states: np.ndarray,
        alt_states: np.ndarray,
        weights: np.ndarray,
        rate_margin: float,
    ) -> None:
        self.problem = problem
        self.states = states
        self.alt_states = alt_states
        self.weights = weights
        self.rate_margin = rate_margin

    def expectation(self, phi: FeatureMap = identity) -> Expectation:
        """``E[phi(X(t))]`` and its gradient from per-sample ``W (phi(Y) - phi(X))``.

        Parameters
        ----------
        phi : callable
            Float states ``(..., S)`` to features ``(..., F)``; any function, continuous
            or not.

        Returns
        -------
        Expectation
            ``value`` (T, F), ``grad`` and ``se`` (T, F, P), ``contributions``
            (N, T, F, P).
        """
        features = apply_features(phi, self.states)  # (N, T, F)
        # The time axis stays second to last, so phi may depend on the observation time.
        alt = apply_features(phi, np.moveaxis(self.alt_states, 3, 1))  # (N, P, T, F)
        difference = np.moveaxis(alt, 1, 3) - features[..., None]  # (N, T, F, P)
        contributions = self.weights[:, :, None, :] * difference
        return Expectation.from_contributions(features.mean(axis=0), contributions)

    def per_sample(self) -> dict[str, tuple[tuple[str, ...], np.ndarray]]:
        """``x_alt`` (sample, time, species, parameter) and ``alt_weight`` (sample, time,
        parameter)."""
        return {
            "x_alt": (("sample", "time", "species", "parameter"), self.alt_states),
            "alt_weight": (("sample", "time", "parameter"), self.weights),
        }


def run(
    problem: Problem,
    engine: Any,
    n: int,
    seed: int,
    rate_margin: float = 1.5,
    max_events: int = DEFAULT_MAX_EVENTS,
) -> AltPathSamples:
    """Simulate ``n`` primal paths, each with one pruned alternative per parameter.

    Parameters
    ----------
    problem : Problem
    engine : backend
        Must provide ``altpath`` (the native backend does).
    n : int
        Number of trajectories.
    seed : int
        Trajectory ``i`` uses ``trajectory_seeds(seed, n)[i]``; results do not depend on
        the thread count.
    rate_margin : float
        Uniformisation clock as a multiple of the total propensity, ``> 1`` (default
        1.5). Larger values cost proportionally more steps (no-ops) and change the
        variance little; values near 1 make flips rare but heavy.
    max_events : int
        Cap on uniformisation steps (firings and no-ops) per trajectory.

    Returns
    -------
    AltPathSamples

    Raises
    ------
    ValueError
        ``rate_margin`` not a finite number ``> 1``, or ``max_events < 1``.
    RuntimeError
        If any trajectory hits ``max_events``.

    Examples
    --------
    >>> import ssagrad
    >>> g = ssagrad.gradient(ssagrad.models.birth_death(), times=[1.0], estimator="altpath",
    ...                      n=4000, seed=3)
    >>> d = float(g.dmean.sel(time=1.0, species="A", parameter="k"))  # exact: 1 - exp(-1)
    >>> abs(d - 0.632) < 4 * float(g.dmean_se.sel(time=1.0, species="A", parameter="k"))
    True
    >>> g.x_alt.dims
    ('sample', 'time', 'species', 'parameter')
    """
    if (
        isinstance(rate_margin, bool)
        or not isinstance(rate_margin, numbers.Real)
        or not math.isfinite(float(rate_margin))
        or rate_margin <= 1
    ):
        raise ValueError(f"rate_margin must be a finite number > 1, got {rate_margin!r}")
    states, alt_states, weights, events, status = engine.altpath(
        problem.arrays,
        problem.theta,
        problem.x0,
        problem.times,
        trajectory_seeds(seed, n),
        int(max_events),
        float(rate_margin),
    )
    raise_if_stuck(status, max_events, "trajectories (uniformisation steps)")
    samples = AltPathSamples(problem, states, alt_states, weights, float(rate_margin))
    samples.events = int(events.sum())
    return samples


class AltPath(Estimator):
    """The alternative-path estimator (see :func:`run`)."""

    name = "altpath"
    summary = "alternative-path (stochastic-triple) estimator with pruning"
    capability = "altpath"
    run = staticmethod(run)
