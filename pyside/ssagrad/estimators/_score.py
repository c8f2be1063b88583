"""The score-function (likelihood-ratio, REINFORCE) estimator.

``dE[phi(X(t))]/dtheta = E[phi(X(t)) s(t)]``, where ``s(t)`` is the score of the path on
``[0, t]`` (causal: later events carry no information about ``X(t)`` and only add
noise). The kernel computes ``s(t)`` exactly, event terms ``d log a_j / d theta`` plus the
integrated ``-d a0 / d theta`` including the survival piece after the last event. A
leave-one-out baseline ``b_n`` (the mean of the other samples) is subtracted from
``phi``; it is independent of sample ``n``, so the estimate stays unbiased.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..seeding import trajectory_seeds
from ..simulate import DEFAULT_MAX_EVENTS
from ._problem import Problem
from ._registry import Estimator, raise_if_stuck
from ._samples import Expectation, FeatureMap, GradientSamples, apply_features, identity

BASELINES = ("loo", "none")


class ScoreSamples(GradientSamples):
    """Direct-method paths with their causal scores.

    Attributes
    ----------
    problem : Problem
    states : (N, T, S) int64 states at the observation times
    scores : (N, T, P) float64 ``d log p(path on [0, t_m]) / d theta_p``
    baseline : {"loo", "none"}
    """

    def __init__(
        self, problem: Problem, states: np.ndarray, scores: np.ndarray, baseline: str
    ) -> None:
        self.problem = problem
        self.states = states
        self.scores = scores
        self.baseline = baseline

    def expectation(self, phi: FeatureMap = identity) -> Expectation:
        """``E[phi(X(t))]`` and its gradient from per-sample ``(phi_n - b_n) s_n``.

        Parameters
        ----------
        phi : callable
            Float states ``(..., S)`` to features ``(..., F)``.

        Returns
        -------
        Expectation
            ``value`` (T, F), ``grad`` and ``se`` (T, F, P), ``contributions``
            (N, T, F, P).
        """
        features = apply_features(phi, self.states)
        n = features.shape[0]
        value = features.mean(axis=0)
        if self.baseline == "loo":
            centred = features - (features.sum(axis=0) - features) / (n - 1)
        else:
            centred = features
        contributions = centred[..., :, None] * self.scores[:, :, None, :]
        return Expectation.from_contributions(value, contributions)

    def per_sample(self) -> dict[str, tuple[tuple[str, ...], np.ndarray]]:
        """The scores as ``score`` (sample, time, parameter)."""
        return {"score": (("sample", "time", "parameter"), self.scores)}


def run(
    problem: Problem,
    engine: Any,
    n: int,
    seed: int,
    baseline: str = "loo",
    max_events: int = DEFAULT_MAX_EVENTS,
) -> ScoreSamples:
    """Simulate ``n`` paths with their causal scores.

    Parameters
    ----------
    problem : Problem
    engine : backend
        Must provide ``score`` (the native backend does).
    n : int
        Number of trajectories.
    seed : int
        Trajectory ``i`` uses ``trajectory_seeds(seed, n)[i]``, so its path equals
        ``ssagrad.simulate(..., seed=seed)``'s trajectory ``i``.
    baseline : {"loo", "none"}
        ``"loo"`` (default) subtracts the leave-one-out mean of ``phi`` (needs ``n >= 2``);
        ``"none"`` uses ``phi`` as it is (unbiased, usually much noisier).
    max_events : int
        Cap on reaction firings per trajectory.

    Returns
    -------
    ScoreSamples

    Raises
    ------
    ValueError
        Unknown option or ``baseline``, ``n < 2`` with ``baseline="loo"``, or
        ``max_events < 1``.
    RuntimeError
        If any trajectory hits ``max_events``.

    Examples
    --------
    >>> import ssagrad
    >>> g = ssagrad.gradient(ssagrad.models.birth_death(), times=[1.0], estimator="score",
    ...                      n=4000, seed=3)
    >>> d = float(g.dmean.sel(time=1.0, species="A", parameter="k"))  # exact: 1 - exp(-1)
    >>> abs(d - 0.632) < 4 * float(g.dmean_se.sel(time=1.0, species="A", parameter="k"))
    True
    >>> g.score.dims
    ('sample', 'time', 'parameter')
    """
    if baseline not in BASELINES:
        raise ValueError(f"baseline must be one of {', '.join(BASELINES)}, got {baseline!r}")
    if baseline == "loo" and n < 2:
        raise ValueError(f"baseline='loo' needs n >= 2 trajectories, got n={n}")
    states, scores, events, status = engine.score(
        problem.arrays,
        problem.theta,
        problem.x0,
        problem.times,
        trajectory_seeds(seed, n),
        int(max_events),
    )
    raise_if_stuck(status, max_events)
    samples = ScoreSamples(problem, states, scores, baseline)
    samples.events = int(events.sum())
    return samples


class Score(Estimator):
    """The score-function estimator (see :func:`run`)."""

    name = "score"
    summary = "likelihood ratio with the survival term, causal scores, baseline"
    capability = "score"
    run = staticmethod(run)
