"""Sloppiness: which parameter combinations the data determine, from the Gauss-Newton matrix.

Near an optimum of a least-squares loss ``sum r_i^2`` the curvature is the Gauss-Newton
matrix ``H = J^T J`` with ``J = dr / d log theta`` (free parameters only). Its
eigenvectors with large eigenvalues are *stiff* combinations (well determined), those
with small eigenvalues *sloppy* ones. An eigenvector ``v`` is the combination
``prod theta_p^{v_p}``: a direction in log-parameter space.

The residuals per loss: ``moments`` its scaled mean and variance errors; ``rmse`` the
mean errors; ``w1`` the distribution-function differences ``F_sim(k) - F_data(k)`` at
up to 16 data quantiles per time and species (the Cramer distance, the least-squares
relative of W1); a user's :class:`~ssagrad.EnsembleLoss` the means of its features.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

#: Eigenvalues at least this fraction of the largest count as stiff.
STIFF_RATIO = 1e-3
#: Relative step of the central differences that take log-gradients of combinations.
_LOG_STEP = 1e-5

Combination = Callable[[Mapping[str, float]], float]


@dataclass(frozen=True)
class Sloppiness:
    """Eigen-decomposition of the Gauss-Newton matrix in log parameters.

    Attributes
    ----------
    parameters : tuple of str
        The fitted parameters (columns of ``eigenvectors``).
    eigenvalues : (F,) float64, descending
    eigenvectors : (F, F) float64, row ``i`` is the direction of ``eigenvalues[i]``
    stiff : (F,) bool, ``eigenvalue >= STIFF_RATIO * largest``
    combinations : dict
        Per named combination: ``value``, ``log_gradient`` (F,) and ``stiffness``, the
        fraction of the log-gradient's length inside the stiff subspace (1: determined by
        the data, 0: a purely sloppy direction).
    """

    parameters: tuple[str, ...]
    eigenvalues: np.ndarray
    eigenvectors: np.ndarray
    stiff: np.ndarray
    combinations: dict

    def monomial(self, i: int) -> str:
        """Direction ``i`` as a product of powers, largest exponent scaled to 1."""
        v = self.eigenvectors[i]
        v = v / v[np.argmax(np.abs(v))]
        parts = [f"{p}^{c:+.2f}" for p, c in zip(self.parameters, v, strict=True) if abs(c) >= 0.05]
        return " ".join(parts)

    def __str__(self) -> str:
        largest = self.eigenvalues[0] if self.eigenvalues.size and self.eigenvalues[0] > 0 else 1.0
        lines = ["direction  eigenvalue  rel.      kind    combination"]
        for i, value in enumerate(self.eigenvalues):
            kind = "stiff" if self.stiff[i] else "sloppy"
            lines.append(
                f"{i:9d}  {value:10.3g}  {value / largest:8.2g}  {kind:6s}  {self.monomial(i)}"
            )
        for name, info in self.combinations.items():
            lines.append(f"{name}: {info['value']:.4g}, stiffness {info['stiffness']:.3f}")
        return "\n".join(lines)


def analyse(
    jacobian: np.ndarray,
    parameters: tuple[str, ...],
    params: Mapping[str, float],
    combinations: Mapping[str, Combination] | None = None,
) -> Sloppiness:
    """Sloppiness from ``J = dr/d log theta`` (R, F) at ``params``.

    Examples
    --------
    >>> import numpy as np
    >>> J = np.array([[1.0, 1.0], [1.0, 1.0]])  # only the product a*b is determined
    >>> s = analyse(J, ("a", "b"), {"a": 1.0, "b": 2.0}, {"ab": lambda p: p["a"] * p["b"]})
    >>> s.stiff.tolist(), round(s.combinations["ab"]["stiffness"], 6)
    ([True, False], 1.0)
    """
    hessian = jacobian.T @ jacobian
    values, vectors = np.linalg.eigh(hessian)
    order = np.argsort(values)[::-1]
    values, vectors = np.clip(values[order], 0.0, None), vectors[:, order].T
    largest = values[0] if values.size and values[0] > 0 else 1.0
    stiff = values >= STIFF_RATIO * largest
    basis = vectors[stiff]
    named = {}
    for name, function in (combinations or {}).items():
        gradient = _log_gradient(function, parameters, params)
        norm = np.linalg.norm(gradient)
        inside = np.linalg.norm(basis @ gradient) / norm if norm > 0 else 0.0
        named[name] = {
            "value": float(function(params)),
            "log_gradient": gradient,
            "stiffness": float(inside),
        }
    return Sloppiness(tuple(parameters), values, vectors, stiff, named)


def _log_gradient(
    function: Combination, parameters: tuple[str, ...], params: Mapping[str, float]
) -> np.ndarray:
    """``d log f / d log theta_p`` for the fitted parameters, by central differences."""
    base = dict(params)
    out = np.zeros(len(parameters))
    for i, name in enumerate(parameters):
        up, down = dict(base), dict(base)
        up[name] = base[name] * np.exp(_LOG_STEP)
        down[name] = base[name] * np.exp(-_LOG_STEP)
        out[i] = (np.log(function(up)) - np.log(function(down))) / (2 * _LOG_STEP)
    return out
