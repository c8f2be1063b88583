"""Sorting direct method (McCollum et al. 2006): its pieces of the SSA loop (:mod:`._ssa`).

Reactions are searched in the order ``order``; each time reaction ``order[k]`` fires it
swaps places with ``order[k - 1]``, so frequent reactions drift to the front and the
linear search stops early. The loop keeps the total propensity up to date by the changes
of the refreshed dependents (``O(dependents)`` per event) and sums it afresh every ``R``
events, so rounding cannot drift.
"""

from numba import njit


@njit(cache=True)
def search(a, order, target):
    """Position ``k`` of the reaction ``order[k]`` whose bin in search order holds ``target``.

    As :func:`~._core.select`, in the order ``order``: rounding past the top end takes
    the last position with a positive propensity.
    """
    n = order.shape[0]
    k = 0
    acc = a[order[0]]
    while acc <= target and k < n - 1:
        k += 1
        acc += a[order[k]]
    while a[order[k]] <= 0.0:
        k -= 1
    return k


@njit(cache=True)
def promote(order, k):
    """The reaction at search position ``k``, swapped one place towards the front."""
    j = order[k]
    if k > 0:
        order[k] = order[k - 1]
        order[k - 1] = j
    return j
