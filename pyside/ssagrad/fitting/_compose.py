"""Loss value, its standard error and its gradient from one estimator run (and a pool).

The value uses every simulated cell: the gradient-tracked ``n`` and, with ``pool=M``, a
forward-only pool of ``M`` more. The gradient ``sum dL/dm * dm/dtheta`` is composed so
that it is the tracked cells' gradient, never shrunk by ``n / (n + M)`` (Mottes et al.):
the outer derivative ``dL/dm`` is evaluated on cells that are independent of the ones
whose ``dm/dtheta`` it multiplies, which also removes the ``O(1/n)`` bias of a plug-in
product of two estimates from the same cells:

* with a pool: ``dL/dm`` at the pool's statistics times the tracked cells' ``dm``;
* without: cross-fitting, ``(dL/dm|_A . dm_B + dL/dm|_B . dm_A) / 2`` over the two halves
  ``A``, ``B`` of the tracked cells.

The standard error of the value is a delete-a-group jackknife over all cells.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..backends import Backend
from ..estimators._samples import GradientSamples
from ._bound import BoundLoss, W1Bound, group_bounds
from .losses import BlackBox

#: Groups of the delete-a-group jackknife of the loss value.
JACKKNIFE_GROUPS = 20


@dataclass(frozen=True)
class Evaluation:
    """One loss evaluation.

    Attributes
    ----------
    value : float
    value_se : float
        Jackknife standard error of ``value`` (0 for the exact estimator).
    grad : (P,) float64 or None
        Natural-scale gradient with respect to every network parameter.
    """

    value: float
    value_se: float
    grad: np.ndarray | None = None


def _cells(samples: GradientSamples, pool: np.ndarray | None) -> np.ndarray:
    return samples.states if pool is None else np.concatenate([pool, samples.states])


def _jackknife(values: np.ndarray) -> float:
    k = values.shape[0]
    if k < 2:
        return float("nan")
    return float(np.sqrt((k - 1) / k * ((values - values.mean()) ** 2).sum()))


def loss_value(bound: BoundLoss, states: np.ndarray) -> tuple[float, float]:
    """Loss of the ensemble ``states`` (N, T, S) and its jackknife standard error."""
    n = states.shape[0]
    return _jackknifed(bound, bound.tally(states, min(JACKKNIFE_GROUPS, n)), n)


def _jackknifed(bound: BoundLoss, tallies: np.ndarray, n: int) -> tuple[float, float]:
    """Value from the group tallies ``(G, ...)`` of ``n`` cells, and its jackknife se."""
    groups = tallies.shape[0]
    sizes = np.diff(group_bounds(n, groups))
    total = tallies.sum(axis=0)
    value = bound.value(total, n)
    if groups < 2:
        return value, float("nan")
    leave_out = bound.values(total[None] - tallies, n - sizes)
    return value, _jackknife(leave_out)


def black_box_value(loss: BlackBox, states: np.ndarray) -> tuple[float, float]:
    """A black-box loss of the ensemble and its delete-a-group jackknife standard error."""
    n = states.shape[0]
    value = float(loss.function(states))
    groups = np.array_split(np.arange(n), min(JACKKNIFE_GROUPS, n))
    if len(groups) < 2:
        return value, float("nan")
    keep = np.ones(n, dtype=bool)
    leave_out = []
    for g in groups:
        keep[g] = False
        leave_out.append(float(loss.function(states[keep])))
        keep[g] = True
    return value, _jackknife(np.array(leave_out))


def evaluate(
    samples: GradientSamples,
    loss: BoundLoss | BlackBox,
    pool: np.ndarray | None = None,
    engine: Backend | None = None,
) -> Evaluation:
    """Value, standard error and gradient of ``loss`` from one estimator run.

    Parameters
    ----------
    samples : GradientSamples
        The gradient-tracked cells (or the exact distribution).
    loss : BoundLoss or BlackBox
    pool : (M, T, S) int64, optional
        Forward-only cells at the same parameters.
    engine : Backend, optional
        The run's backend: where it has the ``w1_score`` capability, the W1 loss on
        score samples is evaluated by its compiled kernel (same formulas, same numbers
        to rounding); otherwise, and for every other pair, by the NumPy composition.
    """
    if isinstance(loss, BlackBox):
        value, se = black_box_value(loss, _cells(samples, pool))
        _, grad, _ = samples.loss_gradient(loss.function)
        return Evaluation(value, se, np.asarray(grad, dtype=np.float64))
    if samples.states is None:
        return _evaluate_distribution(samples, loss)
    if engine is not None and _compiled_pair(samples, loss, pool, engine):
        return _compiled_w1_score(samples, loss, pool, engine)
    cells = _cells(samples, pool)
    tallies = loss.tally(cells, min(JACKKNIFE_GROUPS, cells.shape[0]))
    value, se = _jackknifed(loss, tallies, cells.shape[0])
    tangents = getattr(samples, "tangents", None)
    if loss.pathwise and tangents is not None:
        grad = _sorted_sample_gradient(samples.states, tangents, loss, pool)
    elif pool is not None:
        psi = loss.surrogate(loss.tally(pool)[0], pool.shape[0])
        grad = samples.expectation(psi).grad.sum(axis=(0, 1))
    else:
        grad = _cross_fitted_gradient(samples, loss, tallies)
    return Evaluation(value, se, grad)


def _compiled_pair(samples, loss, pool, engine: Backend) -> bool:
    """Whether ``engine``'s ``w1_score`` kernel serves this evaluation."""
    from ..estimators._score import ScoreSamples

    return (
        type(loss) is W1Bound
        and type(samples) is ScoreSamples
        and (pool is not None or samples.states.shape[0] >= 4)  # else the n >= 4 error
        and engine.supports("w1_score")
    )


def _compiled_w1_score(samples, loss: W1Bound, pool, engine: Backend) -> Evaluation:
    """W1 of score samples by the backend's compiled kernel (see ``Backend.w1_score``)."""
    observed = loss.observed
    tracked = np.ascontiguousarray(samples.states[..., observed], dtype=np.int64)
    if pool is None:
        rest = np.zeros((0,) + tracked.shape[1:], dtype=np.int64)
    else:
        rest = np.ascontiguousarray(pool[..., observed], dtype=np.int64)
    groups = min(JACKKNIFE_GROUPS, tracked.shape[0] + rest.shape[0])
    value, se, grad = engine.w1_score(
        tracked,
        rest,
        np.ascontiguousarray(samples.scores, dtype=np.float64),
        np.ascontiguousarray(loss.data_cdf, dtype=np.float64),
        groups,
        samples.baseline == "loo",
    )
    return Evaluation(float(value), float(se), grad)


def _evaluate_distribution(samples: GradientSamples, loss: BoundLoss) -> Evaluation:
    """The exact estimator: expectations over the projected state space."""
    solution = getattr(samples, "solution", None)
    size = int(solution["states"].values.max()) + 1 if solution is not None else 1
    per_cell = loss.expected_tally(samples, size)
    psi = loss.surrogate(per_cell, 1.0)
    grad = samples.expectation(psi).grad.sum(axis=(0, 1))
    return Evaluation(loss.value(per_cell, 1.0), 0.0, grad)


def _cross_fitted_gradient(
    samples: GradientSamples, loss: BoundLoss, group_tallies: np.ndarray | None = None
) -> np.ndarray:
    """Cross-fitted gradient; ``group_tallies`` (G, ...) of the tracked cells in an even
    number of contiguous groups give the two halves' tallies without another pass."""
    n = samples.states.shape[0]
    if n < 4:
        raise ValueError(f"fitting needs at least n=4 gradient-tracked cells, got n={n}")
    half = group_bounds(n, 2)[1]
    groups = 0 if group_tallies is None else group_tallies.shape[0]
    if groups and groups % 2 == 0 and group_bounds(n, groups)[groups // 2] == half:
        middle = groups // 2
        tallies = (group_tallies[:middle].sum(axis=0), group_tallies[middle:].sum(axis=0))
    else:
        tallies = loss.tally(samples.states, 2)
    psi_a = loss.surrogate(tallies[0], half)
    psi_b = loss.surrogate(tallies[1], n - half)

    def both(states: np.ndarray) -> np.ndarray:
        return np.concatenate([psi_a(states), psi_b(states)], axis=-1)

    contributions = samples.expectation(both).contributions  # (N, T, 2, P)
    # Half A's outer derivative multiplies half B's cells, and the other way round.
    crossed = contributions[half:, :, 0].sum(axis=(0, 1)) + contributions[:half, :, 1].sum(
        axis=(0, 1)
    )
    return crossed / n


def _sorted_sample_gradient(
    states: np.ndarray, tangents: np.ndarray, loss: BoundLoss, pool: np.ndarray | None
) -> np.ndarray:
    """Straight-through gradient of the sorted-sample W1: ``mean_n sum w_n dX_n/dtheta``."""
    weights = loss.pathwise_weights(states, pool)  # (N, T, S_obs)
    moved = tangents[:, :, loss.observed, :]  # (N, T, S_obs, P)
    return np.einsum("nts,ntsp->p", weights, moved) / states.shape[0]
