"""The default fit's evaluation, compiled: the W1 loss on score-function samples.

The native backend's ``w1_score`` capability. :func:`~ssagrad.fitting._compose.evaluate`
composes a step's loss value, its jackknife
standard error and its gradient from NumPy pieces (tallies, distribution functions,
surrogate tables, the estimator's per-sample contributions), each a pass over the whole
ensemble with temporaries of its own. For the pair a fit uses by default (``loss="w1"``,
``estimator="score"``) that was a third of the Python time of a step at ``n = 1000``
(``ssagrad bench fit``), so this module computes the same quantities in a few compiled
passes over the counts:

* one histogram per jackknife group of all cells (pool first, then the tracked cells),
  and one per half of the tracked cells;
* value ``sum_{t,s,k} |F_sim(k) - F_data(k)|`` and the delete-a-group jackknife from
  the group histograms;
* the surrogate ``psi(x) = sum_{k >= x} sign(F(k) - F_data(k))`` per half (cross-fitted)
  or from the pool, applied to each tracked cell, centred by the leave-one-out baseline
  and contracted with the cell's score.

The formulas are those of :mod:`ssagrad.fitting._compose` and
:class:`~ssagrad.fitting._bound.W1Bound`; only the order of floating-point additions
differs, so results agree with the NumPy composition to rounding (tested to 1e-12).
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def _histograms(x, groups, offset, out):
    """Add cell ``i`` of ``x`` (N, T, S) to ``out[offset + g]``, ``g`` its group.

    The ``groups`` groups are contiguous: group ``g`` holds cells ``g * N // groups`` to
    ``(g + 1) * N // groups - 1``, as :func:`~ssagrad.fitting._bound.group_bounds` has it.
    """
    n = x.shape[0]
    g = 0
    for i in range(n):
        while (g + 1) * n // groups <= i:
            g += 1
        for t in range(x.shape[1]):
            for s in range(x.shape[2]):
                out[offset + g, t, s, x[i, t, s]] += 1.0


@njit(cache=True)
def _distance(counts, count, data_cdf):
    """``sum_{t,s,k} |cumsum(counts)/count - F_data|`` for one histogram (T, S, K)."""
    total = 0.0
    for t in range(counts.shape[0]):
        for s in range(counts.shape[1]):
            running = 0.0
            for k in range(counts.shape[2]):
                running += counts[t, s, k]
                total += abs(running / count - data_cdf[t, s, k])
    return total


@njit(cache=True)
def _surrogate_table(counts, count, data_cdf):
    """``table[t, s, k] = sum_{k' >= k} sign(F(k') - F_data(k'))``, 0 at ``k = K``."""
    n_t, n_s, size = counts.shape
    table = np.zeros((n_t, n_s, size + 1))
    sign = np.empty(size)
    for t in range(n_t):
        for s in range(n_s):
            running = 0.0
            for k in range(size):
                running += counts[t, s, k]
                sign[k] = np.sign(running / count - data_cdf[t, s, k])
            acc = 0.0
            for k in range(size - 1, -1, -1):
                acc += sign[k]
                table[t, s, k] = acc
    return table


@njit(cache=True)
def _psi(table, x, i, t):
    """The surrogate of cell ``i`` at time ``t``: summed over the observed species."""
    value = 0.0
    size = table.shape[2] - 1
    for s in range(x.shape[2]):
        value += table[t, s, min(max(x[i, t, s], 0), size)]
    return value


@njit(cache=True)
def _score_gradient(x, scores, tables, split, loo):
    """``sum_t sum_n c_n(t) s_n(t) / N``: ``c`` the surrogate of the table that does not
    hold cell ``n`` (cells below ``split`` use ``tables[1]``, the others ``tables[0]``;
    one table serves every cell when ``split`` is 0), centred by the leave-one-out
    baseline when ``loo``."""
    n, n_t = x.shape[0], x.shape[1]
    n_tables = tables.shape[0]
    features = np.empty((n, n_t, n_tables))
    sums = np.zeros((n_t, n_tables))
    for i in range(n):
        for t in range(n_t):
            for h in range(n_tables):
                f = _psi(tables[h], x, i, t)
                features[i, t, h] = f
                sums[t, h] += f
    grad = np.zeros(scores.shape[2])
    for i in range(n):
        h = 0 if n_tables == 1 or i >= split else 1
        for t in range(n_t):
            f = features[i, t, h]
            if loo:
                f -= (sums[t, h] - f) / (n - 1)
            for p in range(scores.shape[2]):
                grad[p] += f * scores[i, t, p]
    return grad / n


@njit(cache=True)
def w1_score_evaluation(tracked, pool, scores, data_cdf, groups, loo):
    """Value, jackknife se and gradient of W1 for score samples (see the module notes).

    Parameters
    ----------
    tracked : (N, T, S) int64
        Observed counts of the gradient-tracked cells.
    pool : (M, T, S) int64
        Observed counts of the forward-only pool (``M = 0``: none, cross-fitting).
    scores : (N, T, P) float64
    data_cdf : (T, S, K_data) float64
    groups : int
        Jackknife groups of all ``M + N`` cells.
    loo : bool
        Subtract the leave-one-out baseline.
    """
    n, m = tracked.shape[0], pool.shape[0]
    cells = np.concatenate((pool, tracked)) if m else tracked
    size = max(cells.max() + 1 if cells.size else 1, data_cdf.shape[2])
    n_t, n_s = tracked.shape[1], tracked.shape[2]
    cdf = np.ones((n_t, n_s, size))
    cdf[:, :, : data_cdf.shape[2]] = data_cdf
    tallies = np.zeros((groups + 2, n_t, n_s, size))  # the groups, then two more
    _histograms(cells, groups, 0, tallies)
    total = tallies[:groups].sum(axis=0)
    n_all = n + m
    value = _distance(total, float(n_all), cdf)
    se = np.nan
    if groups >= 2:
        leave_out = np.empty(groups)
        for g in range(groups):
            kept = n_all - ((g + 1) * n_all // groups - g * n_all // groups)
            leave_out[g] = _distance(total - tallies[g], float(kept), cdf)
        se = np.sqrt((groups - 1) / groups * ((leave_out - leave_out.mean()) ** 2).sum())
    if m:
        _histograms(pool, 1, groups, tallies)
        tables = np.empty((1, n_t, n_s, size + 1))
        tables[0] = _surrogate_table(tallies[groups], float(m), cdf)
        return value, se, _score_gradient(tracked, scores, tables, 0, loo)
    half = n // 2
    _histograms(tracked, 2, groups, tallies)
    tables = np.empty((2, n_t, n_s, size + 1))
    tables[0] = _surrogate_table(tallies[groups], float(half), cdf)
    tables[1] = _surrogate_table(tallies[groups + 1], float(n - half), cdf)
    return value, se, _score_gradient(tracked, scores, tables, half, loo)
