"""The source text of a network's own direct-method kernel (see :mod:`._specialised`).

Each species count and each propensity is a local variable; the cumulative sums of the
selection are those of the propensity sum. The arithmetic is that of :mod:`._core` in the
same order, so a trajectory is bit for bit the generic kernel's. The reaction that fires
is found in one of two ways, with the same answer:

``"chain"``
    a chain of branches, one per reaction, each firing its reaction (state change and
    dependents' refresh in straight-line code). Cheap when the processor predicts the
    branches, i.e. when one or two reactions fire most of the time.
``"branchless"``
    the index counted from the comparisons, the state change and the refresh selected by
    it without branches. Costs a fixed amount per reaction on every event, but no branch
    mispredictions: faster where several reactions fire about equally often (e.g. the
    dimerization model) and the network is small (at most :data:`MAX_BRANCHLESS`).
"""

from __future__ import annotations

from ._network import KIND_FIRST, KIND_PAIR, KIND_ZEROTH, KernelNetwork

#: The ways a kernel can find the reaction that fires (see the module docstring).
SELECTIONS = ("chain", "branchless")
#: Most reactions a branchless kernel is written for (it touches each one on every event).
MAX_BRANCHLESS = 8


def selections_for(n_reactions: int) -> tuple[str, ...]:
    """The :data:`SELECTIONS` a network of ``n_reactions`` reactions can be written with."""
    return SELECTIONS if n_reactions <= MAX_BRANCHLESS else ("chain",)


def _law(net: KernelNetwork, i: int) -> str:
    """Reaction ``i``'s propensity as :func:`~._core.refresh_dependents` computes it."""
    kind, first, second = int(net.kind[i]), int(net.first[i]), int(net.second[i])
    if kind == KIND_ZEROTH:
        return f"k_{i}"
    if kind == KIND_FIRST:
        return f"k_{i} * float(x_{first})"
    if kind == KIND_PAIR:
        return f"k_{i} * float(x_{first}) * float(x_{second})"
    return f"k_{i} * float(x_{first}) * (float(x_{first}) - 1.0) * 0.5"


def _changes(net: KernelNetwork, j: int) -> list[tuple[int, int]]:
    """Reaction ``j``'s state change: (species, delta) in CSR order."""
    span = range(int(net.change_ptr[j]), int(net.change_ptr[j + 1]))
    return [(int(net.change_species[p]), int(net.change_delta[p])) for p in span]


def _dependents(net: KernelNetwork, j: int) -> list[int]:
    """The propensities reaction ``j`` refreshes, in CSR order."""
    span = range(int(net.elementary_ptr[j]), int(net.elementary_ptr[j + 1]))
    return [int(net.elementary_index[p]) for p in span]


def _fire(net: KernelNetwork, j: int, indent: str) -> list[str]:
    """Reaction ``j``'s state change, then its dependents' refresh, in CSR order."""
    lines = [f"{indent}x_{s} += {delta}" for s, delta in _changes(net, j)]
    lines += [f"{indent}p_{i} = {_law(net, i)}" for i in _dependents(net, j)]
    return lines or [f"{indent}pass"]


def _select_chain(net: KernelNetwork) -> list[str]:
    """Inversion on the cumulative sums, each branch firing its reaction.

    The first ``c_k > target`` (``k < n - 1``) is the generic search's answer, and its
    propensity is positive; past them, the rounding fix takes the last reaction with a
    positive propensity (``not p <= 0``, as :func:`~._core.select` tests it).
    """
    n = net.rate.shape[0]
    if n == 1:
        return _fire(net, 0, " " * 8)
    lines = []
    for k in range(n - 1):
        lines.append(f"        {'if' if k == 0 else 'elif'} c_{k} > target:")
        lines += _fire(net, k, " " * 12)
    lines.append("        else:")
    for step, j in enumerate(range(n - 1, 0, -1)):
        lines.append(f"            {'if' if step == 0 else 'elif'} not p_{j} <= 0.0:")
        lines += _fire(net, j, " " * 16)
    lines.append("            else:")
    lines += _fire(net, 0, " " * 16)
    return lines


def _select_branchless(net: KernelNetwork) -> list[str]:
    """The chain's answer without its branches.

    ``j`` counts the ``c_k <= target`` (``k < n - 1``). While ``a0`` is finite the sums
    are finite and rise, so this is the chain's first ``c_k > target``. The rest takes a
    branch, rarely taken: the rounding fix (``j = n - 1`` with ``p_{n-1} <= 0``) and a
    non-finite ``a0`` (overflow), where the chain's comparisons are written out.

    Each species moves by its delta for ``j`` (a sum of ``delta * (j == r)``), and each
    propensity that some reaction refreshes is recomputed, and kept only if ``j`` is one
    of those reactions (bit ``j`` of a mask): a propensity keeps its start value until
    the chain's kernel would refresh it.
    """
    n = net.rate.shape[0]
    counts = " + ".join(f"np.int64(c_{k} <= target)" for k in range(n - 1)) or "0"
    lines = [f"        j = {counts}"]
    if n > 1:
        lines.append(f"        if (j == {n - 1} and p_{n - 1} <= 0.0) or not a0 < np.inf:")
        lines.append(f"            j = {n}")
        for k in range(n - 2, -1, -1):
            lines += [f"            if c_{k} > target:", f"                j = {k}"]
        lines += [f"            if j == {n}:", "                j = 0"]
        for k in range(1, n):
            lines += [f"                if not p_{k} <= 0.0:", f"                    j = {k}"]
    moves: dict[int, list[str]] = {}
    refreshed_by: dict[int, int] = {}
    for j in range(n):
        for s, delta in _changes(net, j):
            moves.setdefault(s, []).append(f"{delta} * np.int64(j == {j})")
        for i in _dependents(net, j):
            refreshed_by[i] = refreshed_by.get(i, 0) | (1 << j)
    lines += [f"        x_{s} += {' + '.join(terms)}" for s, terms in sorted(moves.items())]
    for i, mask in sorted(refreshed_by.items()):
        keep = "" if mask == (1 << n) - 1 else f" if ({mask} >> j) & 1 else p_{i}"
        lines.append(f"        p_{i} = {_law(net, i)}{keep}")
    return lines


def source(net: KernelNetwork, n_species: int, selection: str = "chain") -> str:
    """The generated module of ``net`` (a trajectory function and a parallel ensemble).

    ``selection`` is one of :data:`SELECTIONS`; ``"branchless"`` only for networks of at
    most :data:`MAX_BRANCHLESS` reactions.
    """
    n = net.rate.shape[0]
    if selection not in selections_for(n):
        raise ValueError(f"no {selection!r} kernel for a network of {n} reactions")
    select = _select_branchless if selection == "branchless" else _select_chain
    record_rows = [f"            states[m, {s}] = x_{s}" for s in range(n_species)]
    sums = ["        c_0 = 0.0 + p_0"] + [f"        c_{k} = c_{k - 1} + p_{k}" for k in range(1, n)]
    body = [
        '"""Generated by ssagrad.backends.native._kernel_source: do not edit."""',
        "import numpy as np",
        "from numba import njit, prange",
        "from ssagrad.backends._contract import STATUS_MAX_EVENTS, STATUS_OK",
        "from ssagrad.backends.native._core import waiting_time",
        "from ssagrad.backends.native._rng import rng_init_words, rng_uniform_words",
        "",
        "",
        "@njit(cache=True)",
        "def trajectory(x0, times, seed, max_events, states, rate, a_start):",
        "    s0, s1, s2, s3 = rng_init_words(seed)",
        *[f"    x_{s} = x0[{s}]" for s in range(n_species)],
        *[f"    k_{i} = rate[{i}]" for i in range(n)],
        *[f"    p_{i} = a_start[{i}]" for i in range(n)],
        "    end = times.shape[0]",
        "    t, m, events = 0.0, 0, 0",
        "    while True:",
        *sums,
        f"        a0 = c_{n - 1}",
        "        tau, s0, s1, s2, s3 = waiting_time(a0, s0, s1, s2, s3)",
        "        t_next = t + tau",
        "        while m < end and times[m] < t_next:",
        *record_rows,
        "            m += 1",
        "        if m == end:",
        "            return events, STATUS_OK",
        "        if events >= max_events:",
        "            while m < end:",
        *["    " + row for row in record_rows],
        "                m += 1",
        "            return events, STATUS_MAX_EVENTS",
        "        u, s0, s1, s2, s3 = rng_uniform_words(s0, s1, s2, s3)",
        "        target = u * a0",
        *select(net),
        "        t = t_next",
        "        events += 1",
        "",
        "",
        "@njit(cache=True, parallel=True)",
        "def ensemble(x0, times, seeds, max_events, states, events, status, rate, a_start):",
        "    for i in prange(seeds.shape[0]):",
        "        events[i], status[i] = trajectory(",
        "            x0, times, seeds[i], max_events, states[i], rate, a_start",
        "        )",
        "",
    ]
    return "\n".join(body)
