"""Arguments into and results out of the Julia kernels: no Julia needed to run this.

Indices. ssagrad's network arrays are 0-based and Julia is 1-based: every index and
pointer array is shifted by +1 here, once, when the kernel network is built (the
sentinel ``-1`` becomes ``0``), so the Julia kernels never see 0-based indices.

Inputs. juliacall hands a NumPy array to Julia as a ``PyArray`` with NumPy's shape and
strides, so a ``(D, P + L)`` matrix arrives as ``D x (P + L)``. The Julia kernels take
one column per perturbation, so :func:`kernel_inputs` passes the transpose (a view).

Outputs. Julia is column-major: an ``S x T x N`` Julia array holds exactly the bytes of
the C-ordered ``(N, T, S)`` NumPy array of the kernel contract, so :func:`from_julia`
reverses the axes of the copy.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...network import NetworkArrays

#: ssagrad SSA method -> JumpProcesses aggregator that runs it on the julia backend.
AGGREGATORS = {"sorting": "SortingDirect", "nrm": "NRM", "cr": "DirectCR"}


def network_arguments(arrays: NetworkArrays) -> dict[str, Any]:
    """Keyword arguments of ``SSAGrad.ReactionNetwork``: the network with 1-based indices.

    Index and pointer arrays get +1 (``-1``, "none", becomes ``0``); coefficients, changes
    and rate codes are passed unchanged.

    Examples
    --------
    >>> import ssagrad
    >>> args = network_arguments(ssagrad.parse("k, 0 --> A\\ng, A --> 0").arrays())
    >>> args["reactant_ptr"].tolist(), args["rate_species"].tolist()
    ([1, 1, 2], [0, 0])
    """

    def plain(values: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(values, dtype=np.int64)

    def one_based(values: np.ndarray) -> np.ndarray:
        return plain(values) + 1

    return {
        "n_species": int(arrays.n_species),
        "reactant_ptr": one_based(arrays.reactant_ptr),
        "reactant_species": one_based(arrays.reactant_species),
        "reactant_coeff": plain(arrays.reactant_coeff),
        "change_ptr": one_based(arrays.change_ptr),
        "change_species": one_based(arrays.change_species),
        "change_delta": plain(arrays.change_delta),
        "rate_code": plain(arrays.rate_code),
        "rate_species": one_based(arrays.rate_species),
        "rate_slots": one_based(arrays.rate_slots),
        "dependency_ptr": one_based(arrays.dependency_ptr),
        "dependency_index": one_based(arrays.dependency_index),
    }


def kernel_inputs(
    theta: np.ndarray, x0: np.ndarray, times: np.ndarray, seeds: np.ndarray
) -> tuple[np.ndarray, ...]:
    """``theta``, ``x0``, ``times`` and ``seeds`` as the plain arrays the kernels take.

    A 2-D ``theta`` (``(D, P + L)``, one row per perturbation) is passed transposed, so
    Julia sees one column per perturbation.
    """
    theta = np.asarray(theta, dtype=np.float64)
    return (
        np.ascontiguousarray(theta) if theta.ndim == 1 else np.ascontiguousarray(theta).T,
        np.ascontiguousarray(x0, dtype=np.int64),
        np.ascontiguousarray(times, dtype=np.float64),
        np.ascontiguousarray(seeds, dtype=np.uint64),
    )


def from_julia(array: Any, dtype: type) -> np.ndarray:
    """Copy a Julia array into NumPy, axes reversed: Julia ``S x T x N`` -> ``(N, T, S)``.

    Examples
    --------
    >>> julia_view = np.asfortranarray(np.arange(6).reshape(2, 3).T)  # 3 x 2, column-major
    >>> from_julia(julia_view, np.int64).tolist()
    [[0, 1, 2], [3, 4, 5]]
    """
    return np.ascontiguousarray(np.array(array, dtype=dtype).transpose())


def results(arrays: tuple[Any, ...], dtypes: tuple[type, ...]) -> tuple[np.ndarray, ...]:
    """:func:`from_julia` on each of a kernel's results."""
    return tuple(from_julia(a, d) for a, d in zip(arrays, dtypes, strict=True))
