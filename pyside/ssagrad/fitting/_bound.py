"""Losses bound to observed data: tallies, values, surrogate features and residuals.

The implementations behind the specifications in :mod:`ssagrad.fitting.losses` (read
its docstring for the formulas).
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np

from ..data import ObservedData
from ..estimators import EnsembleLoss
from ..estimators._samples import FeatureMap, GradientSamples, apply_features

#: Thresholds per time and species of the W1 residuals behind the sloppiness analysis.
W1_RESIDUAL_QUANTILES = 16


class BoundLoss(ABC):
    """A loss bound to observed data: tallies, value, surrogate feature, residuals.

    Tallies are additive sufficient statistics of an ensemble (sums over cells), so the
    tallies of a forward-only pool and of the gradient-tracked cells combine by addition
    and a delete-a-group jackknife needs one tally per group.
    """

    #: True where the loss has a sorted-sample (pathwise) form for straight-through tangents.
    pathwise = False

    def __init__(self, data: ObservedData, observed: np.ndarray) -> None:
        self.data = data
        self.observed = observed

    @abstractmethod
    def tally(self, states: np.ndarray, groups: int = 1) -> np.ndarray:
        """Sums of the statistics over ``groups`` contiguous groups of cells, ``(G, ...)``.

        ``states`` are the simulated counts ``(N, T, S)`` of every network species.
        """

    @abstractmethod
    def stat_features(self, states: np.ndarray, size: int) -> np.ndarray:
        """Per-state statistics ``(..., T, F)`` whose expectation is the tally per cell
        (for distributions rather than samples, e.g. the exact estimator); ``size``
        bounds the counts that can occur."""

    @abstractmethod
    def value(self, sums: np.ndarray, count: float) -> float:
        """The loss of an ensemble with tally ``sums`` over ``count`` cells."""

    def values(self, sums: np.ndarray, counts: np.ndarray) -> np.ndarray:
        """:meth:`value` of a batch of tallies ``(G, ...)`` over ``counts (G,)`` cells."""
        return np.array([self.value(s, c) for s, c in zip(sums, counts, strict=True)])

    @abstractmethod
    def surrogate(self, sums: np.ndarray, count: float) -> FeatureMap:
        """``psi(states) (..., T, 1)``: the outer derivative at these statistics contracted
        with the features, so that ``dE[psi]/dtheta`` is the loss gradient."""

    @abstractmethod
    def residual_jacobian(self, samples: GradientSamples) -> tuple[np.ndarray, np.ndarray]:
        """Residuals ``r`` and their Jacobian ``dr/dtheta`` (R, P) at the samples'
        parameters, for the Gauss-Newton matrix ``J^T J`` of the sloppiness analysis."""

    def pathwise_weights(self, tracked: np.ndarray, pool: np.ndarray | None) -> np.ndarray:
        """Per-cell weights ``(N, T, S_obs)`` of the sorted-sample form (W1 only)."""
        raise TypeError(f"{type(self).__name__} has no sorted-sample form")

    def expected_tally(self, samples: GradientSamples, size: int) -> np.ndarray:
        """The tally per cell of a distribution (the exact estimator), counts below ``size``."""
        e = samples.expectation(lambda s: self.stat_features(s, size))
        return e.value.reshape(e.value.shape[0], self.observed.size, -1)


def _obs(states: np.ndarray, observed: np.ndarray) -> np.ndarray:
    return states[..., observed]


def group_bounds(n: int, groups: int) -> np.ndarray:
    """Start of each of ``groups`` contiguous groups of ``n`` cells, and ``n`` (G + 1,)."""
    return np.arange(groups + 1) * n // groups


def _group_sums(values: np.ndarray, groups: int) -> np.ndarray:
    """Sums of ``values`` (N, ...) over ``groups`` contiguous groups, ``(G, ...)``."""
    return np.add.reduceat(values, group_bounds(values.shape[0], groups)[:-1], axis=0)


class MomentLoss(BoundLoss):
    """Losses of the first two moments per time and species; tally ``(G, T, S, 2)``."""

    def __init__(self, data: ObservedData, observed: np.ndarray) -> None:
        super().__init__(data, observed)
        self.data_mean = data.mean()
        self.data_var = data.var()
        self.terms = self.data_mean.size

    def tally(self, states: np.ndarray, groups: int = 1) -> np.ndarray:
        x = _obs(states, self.observed).astype(np.float64)
        return _group_sums(np.stack([x, x * x], axis=-1), groups)

    def stat_features(self, states: np.ndarray, size: int) -> np.ndarray:
        x = _obs(states, self.observed).astype(np.float64)
        both = np.stack([x, x * x], axis=-1)  # (..., T, S, 2) like the tally
        return both.reshape(both.shape[:-2] + (-1,))

    @staticmethod
    def _moments(sums: np.ndarray, count) -> tuple[np.ndarray, np.ndarray]:
        """Mean and variance (..., T, S); ``count`` a number or one per leading index."""
        count = np.asarray(count, dtype=np.float64)[..., None, None]
        mean = sums[..., 0] / count
        return mean, np.maximum(sums[..., 1] / count - mean * mean, 0.0)

    def value(self, sums: np.ndarray, count: float) -> float:
        return float(self.values(sums[None], np.array([count]))[0])

    @abstractmethod
    def outer(self, mean: np.ndarray, var: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``dL/dE[x]`` and ``dL/dE[x^2]`` (T, S)."""

    def surrogate(self, sums: np.ndarray, count: float) -> FeatureMap:
        linear, quadratic = self.outer(*self._moments(sums, count))
        observed = self.observed

        def psi(states: np.ndarray) -> np.ndarray:
            x = states[..., observed]
            return (x * (linear + quadratic * x)).sum(axis=-1, keepdims=True)

        return psi

    def _moment_gradients(self, samples: GradientSamples) -> tuple[np.ndarray, ...]:
        """``E[x]``, ``E[x^2]`` (T, S) and their gradients (T, S, P)."""
        e = samples.expectation(lambda s: self.stat_features(s, 0))
        return e.value[:, 0::2], e.value[:, 1::2], e.grad[:, 0::2], e.grad[:, 1::2]


class RMSEBound(MomentLoss):
    def values(self, sums: np.ndarray, counts: np.ndarray) -> np.ndarray:
        mean, _ = self._moments(sums, counts)
        return np.sqrt(np.mean((mean - self.data_mean) ** 2, axis=(-2, -1)))

    def outer(self, mean: np.ndarray, var: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        rmse = np.sqrt(np.mean((mean - self.data_mean) ** 2))
        linear = (mean - self.data_mean) / (self.terms * rmse) if rmse > 0 else 0.0 * mean
        return linear, np.zeros_like(mean)

    def residual_jacobian(self, samples: GradientSamples) -> tuple[np.ndarray, np.ndarray]:
        mean, _, dmean, _ = self._moment_gradients(samples)
        scale = np.sqrt(self.terms)
        p = dmean.shape[-1]
        return ((mean - self.data_mean) / scale).ravel(), (dmean / scale).reshape(-1, p)


class MomentsBound(MomentLoss):
    def __init__(self, data: ObservedData, observed: np.ndarray) -> None:
        super().__init__(data, observed)
        self.mean_scale = np.maximum(np.abs(self.data_mean), 1.0)
        self.var_scale = np.maximum(self.data_var, 1.0)

    def values(self, sums: np.ndarray, counts: np.ndarray) -> np.ndarray:
        mean, var = self._moments(sums, counts)
        err_mean = (mean - self.data_mean) / self.mean_scale
        err_var = (var - self.data_var) / self.var_scale
        return np.mean(err_mean**2 + err_var**2, axis=(-2, -1))

    def outer(self, mean: np.ndarray, var: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        d_mean = 2.0 * (mean - self.data_mean) / self.mean_scale**2 / self.terms
        d_var = 2.0 * (var - self.data_var) / self.var_scale**2 / self.terms
        # var = E[x^2] - E[x]^2
        return d_mean - 2.0 * mean * d_var, d_var

    def residual_jacobian(self, samples: GradientSamples) -> tuple[np.ndarray, np.ndarray]:
        mean, square, dmean, dsquare = self._moment_gradients(samples)
        scale = np.sqrt(self.terms)
        var = square - mean**2
        dvar = dsquare - 2.0 * mean[..., None] * dmean
        p = dmean.shape[-1]
        residuals = (
            np.concatenate(
                [
                    ((mean - self.data_mean) / self.mean_scale).ravel(),
                    ((var - self.data_var) / self.var_scale).ravel(),
                ]
            )
            / scale
        )
        jacobian = (
            np.concatenate(
                [
                    (dmean / self.mean_scale[..., None]).reshape(-1, p),
                    (dvar / self.var_scale[..., None]).reshape(-1, p),
                ]
            )
            / scale
        )
        return residuals, jacobian


class W1Bound(BoundLoss):
    """W1 per time and species from histograms; tally ``(G, T, S, K)``."""

    pathwise = True

    def __init__(self, data: ObservedData, observed: np.ndarray) -> None:
        super().__init__(data, observed)
        self.data_size = data.max_count + 1
        self.data_cdf = data.cdf(self.data_size)  # (T, S, K_data)
        self._padded: dict[int, np.ndarray] = {}

    def tally(self, states: np.ndarray, groups: int = 1) -> np.ndarray:
        x = _obs(states, self.observed)
        n, n_t, n_s = x.shape
        size = int(x.max()) + 1 if x.size else 1
        group = np.repeat(np.arange(groups), np.diff(group_bounds(n, groups)))
        cell = (group[:, None, None] * n_t + np.arange(n_t)[:, None]) * n_s + np.arange(n_s)
        flat = np.bincount((cell * size + x).ravel(), minlength=groups * n_t * n_s * size)
        return flat.reshape(groups, n_t, n_s, size).astype(np.float64)

    def stat_features(self, states: np.ndarray, size: int) -> np.ndarray:
        x = _obs(states, self.observed).astype(np.int64)
        onehot = (x[..., None] == np.arange(size)).astype(np.float64)
        return onehot.reshape(onehot.shape[:-2] + (-1,))

    def _cdfs(self, sums: np.ndarray, count) -> tuple[np.ndarray, np.ndarray]:
        """Simulated and observed distribution functions over a common support."""
        size = max(sums.shape[-1], self.data_size)
        count = np.asarray(count, dtype=np.float64)[..., None, None, None]
        sim = np.cumsum(_pad(sums, size), axis=-1) / count
        if size not in self._padded:
            self._padded[size] = _pad(self.data_cdf, size, fill=1.0)
        return sim, self._padded[size]

    def value(self, sums: np.ndarray, count: float) -> float:
        return float(self.values(sums[None], np.array([count]))[0])

    def values(self, sums: np.ndarray, counts: np.ndarray) -> np.ndarray:
        sim, data = self._cdfs(sums, counts)
        return np.abs(sim - data).sum(axis=(-3, -2, -1))

    def surrogate(self, sums: np.ndarray, count: float) -> FeatureMap:
        sim, data = self._cdfs(sums, count)
        sign = np.sign(sim - data)  # dL/dF(k)
        # psi(x) = sum_k sign_k 1{x <= k} = C(x), the reverse cumulative sum; 0 past the end.
        table = np.concatenate(
            [np.cumsum(sign[..., ::-1], axis=-1)[..., ::-1], np.zeros(sign.shape[:-1] + (1,))],
            axis=-1,
        )
        n_t, n_s, size = sign.shape
        observed = self.observed
        t_index = np.arange(n_t)[:, None]
        s_index = np.arange(n_s)[None, :]

        def psi(states: np.ndarray) -> np.ndarray:
            x = np.clip(states[..., observed], 0, size).astype(np.int64)
            return table[t_index, s_index, x].sum(axis=-1, keepdims=True)

        return psi

    def pathwise_weights(self, tracked: np.ndarray, pool: np.ndarray | None) -> np.ndarray:
        x = _obs(tracked, self.observed)
        everything = x if pool is None else np.concatenate([x, _obs(pool, self.observed)])
        n_all = everything.shape[0]
        # Rank of each tracked cell in the combined sample (ties broken by position).
        order = np.argsort(everything, axis=0, kind="stable")
        ranks = np.empty_like(order)
        np.put_along_axis(ranks, order, np.arange(n_all)[:, None, None], axis=0)
        ranks = ranks[: x.shape[0]]
        lower, upper = ranks / n_all, (ranks + 1) / n_all
        # A cell at x matched with the quantiles u in [lower, upper): the data quantile is
        # below x for u < F_data(x - 1) and above x for u > F_data(x).
        below = _lookup(self.data_cdf, x - 1)
        above = _lookup(self.data_cdf, x)
        width = 1.0 / n_all
        return n_all * (np.clip(below - lower, 0.0, width) - np.clip(upper - above, 0.0, width))

    def residual_jacobian(self, samples: GradientSamples) -> tuple[np.ndarray, np.ndarray]:
        # Cramer residuals F_sim(k) - F_data(k) at up to W1_RESIDUAL_QUANTILES data
        # quantiles per time and species (keeps the indicator features small).
        levels = np.linspace(0.0, 1.0, W1_RESIDUAL_QUANTILES + 2)[1:-1]
        thresholds = np.array(
            [
                [np.quantile(c, levels, method="inverted_cdf") for c in row]
                for row in self.data.counts
            ],
            dtype=np.int64,
        )  # (T, S, Q)
        observed = self.observed

        def indicators(states: np.ndarray) -> np.ndarray:
            x = states[..., observed][..., None]
            out = (x <= thresholds).astype(np.float64)
            return out.reshape(out.shape[:-2] + (-1,))

        e = samples.expectation(indicators)
        data = np.moveaxis(_lookup(self.data_cdf, np.moveaxis(thresholds, -1, 0)), 0, -1)
        p = e.grad.shape[-1]
        return (e.value - data.reshape(e.value.shape)).ravel(), e.grad.reshape(-1, p)


def _pad(array: np.ndarray, size: int, fill: float = 0.0) -> np.ndarray:
    """``array`` extended along its last axis to ``size`` with ``fill``."""
    extra = size - array.shape[-1]
    if extra <= 0:
        return array
    return np.concatenate([array, np.full(array.shape[:-1] + (extra,), fill)], axis=-1)


def _lookup(cdf: np.ndarray, x: np.ndarray) -> np.ndarray:
    """``cdf[t, s, x]`` for counts ``x (..., T, S)``: 0 below 0, 1 past the end."""
    n_t, n_s, size = cdf.shape
    table = np.concatenate([np.zeros((n_t, n_s, 1)), cdf, np.ones((n_t, n_s, 1))], axis=-1)
    index = np.clip(x + 1, 0, size + 1)
    return table[np.arange(n_t)[:, None], np.arange(n_s)[None, :], index]


class EnsembleBound(BoundLoss):
    """A user's :class:`~ssagrad.EnsembleLoss` on the states of every network species."""

    def __init__(self, data: ObservedData, observed: np.ndarray, loss: EnsembleLoss) -> None:
        super().__init__(data, observed)
        self.loss = loss

    def tally(self, states: np.ndarray, groups: int = 1) -> np.ndarray:
        return _group_sums(apply_features(self.loss.features, states), groups)

    def stat_features(self, states: np.ndarray, size: int) -> np.ndarray:
        return apply_features(self.loss.features, states)

    def expected_tally(self, samples: GradientSamples, size: int) -> np.ndarray:
        return samples.expectation(self.loss.features).value

    def value(self, sums: np.ndarray, count: float) -> float:
        return float(self.loss.objective(sums / count))

    def surrogate(self, sums: np.ndarray, count: float) -> FeatureMap:
        weights = self.loss.outer_gradient(sums / count)  # (T, F)
        features = self.loss.features

        def psi(states: np.ndarray) -> np.ndarray:
            return (apply_features(features, states) * weights).sum(axis=-1, keepdims=True)

        return psi

    def residual_jacobian(self, samples: GradientSamples) -> tuple[np.ndarray, np.ndarray]:
        # No residual structure is known: the sensitivities of the feature means stand in.
        e = samples.expectation(self.loss.features)
        return e.value.ravel(), e.grad.reshape(-1, e.grad.shape[-1])
