"""The direct method compiled for one network: counts and propensities in registers.

The generic kernel (:func:`~._ssa.direct_trajectory`) reads the network from arrays on
every event. For a small network of elementary mass action this module writes the
network out instead: each species count and each propensity is a local variable, the
cumulative sums of the selection are those of the propensity sum, and every reaction's
state change and its dependents' refresh are straight-line code in its own branch. The
arithmetic is that of :mod:`._core` in the same order, so a trajectory is bit for bit the
generic kernel's (``tests/test_specialised.py`` checks it on random networks).

Compiling costs about a second per network, so it is tiered as JIT compilers are: a
network structure (rate constants are arguments, not code) runs on the generic kernel
until :data:`SPECIALISE_AFTER_EVENTS` events of it have been simulated in this process;
its later direct-method calls run on its own kernel. The generated module is written to
``backends/native/__pycache__/networks/`` (or a temporary folder where the package is
read-only) and Numba caches its machine code next to it, so another process loads it
instead of compiling again.
"""

from __future__ import annotations

import atexit
import hashlib
import importlib.util
import shutil
import sys
import tempfile
import threading
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from ..._files import write_text
from ._network import KIND_DIMER, KIND_FIRST, KIND_PAIR, KIND_ZEROTH, KernelNetwork

#: Switch the tier off (``False``) to run every network on the generic kernel.
SPECIALISE = True
#: Events of one network structure simulated by the generic direct method in this
#: process before it gets a kernel of its own (about 0.3-0.5 s of simulation).
SPECIALISE_AFTER_EVENTS = 10_000_000
#: Largest network written out (the branch per reaction grows the code with the size;
#: beyond this, use the generic kernel or the large-network methods).
MAX_REACTIONS = 32
#: Most species written out (each is a local variable, written at every observation).
MAX_SPECIES = 64

_COUNTS: dict[str, int] = {}  # structure key -> generic events simulated so far
_KERNELS: dict[str, Any] = {}  # structure key -> compiled ensemble function
_LOCK = threading.Lock()
_FOLDER: list[Path] = []
_LAST: tuple = (None, 0, None)  # (network, species, key) of the last _key lookup


def elementary(net: KernelNetwork) -> bool:
    """Whether every rate law of ``net`` is elementary mass action (no general laws)."""
    return net.general_ptr[-1] == 0 and bool(
        np.all((net.kind >= KIND_ZEROTH) & (net.kind <= KIND_DIMER))
    )


def eligible(net: KernelNetwork, n_species: int) -> bool:
    """Whether ``net`` can be written out: elementary mass action, at most
    :data:`MAX_REACTIONS` reactions and :data:`MAX_SPECIES` species."""
    n = net.rate.shape[0]
    return 0 < n <= MAX_REACTIONS and 0 < n_species <= MAX_SPECIES and elementary(net)


def structure_key(net: KernelNetwork, n_species: int) -> str:
    """A hash of everything the generated code bakes in (not the rate constants)."""
    digest = hashlib.sha256(n_species.to_bytes(8, "little"))
    for field in STRUCTURE_FIELDS:
        array = np.ascontiguousarray(getattr(net, field), dtype=np.int64)
        digest.update(field.encode() + array.shape[0].to_bytes(8, "little") + array.tobytes())
    return digest.hexdigest()[:24]


#: The integer arrays of the kernel network that a mass-action network's code is made of.
STRUCTURE_FIELDS = (
    "change_ptr",
    "change_species",
    "change_delta",
    "elementary_ptr",
    "elementary_index",
    "kind",
    "first",
    "second",
)


def _key(net: KernelNetwork, n_species: int) -> str | None:
    """``net``'s structure key if it can be written out, else ``None``; the last answer is
    kept, so a generic run's :func:`ensemble_for` and :func:`record` hash it once."""
    global _LAST
    last_net, last_species, last_key = _LAST
    if last_net is net and last_species == n_species:  # ``is``: _LAST keeps ``net`` alive
        return last_key
    key = structure_key(net, n_species) if eligible(net, n_species) else None
    _LAST = (net, n_species, key)
    return key


def ensemble_for(net: KernelNetwork, n_species: int) -> Any | None:
    """The compiled ensemble of ``net`` once it is hot, else ``None`` (use the generic one).

    Call :func:`record` after each generic run so the tier can count its events.
    """
    key = _key(net, n_species) if SPECIALISE else None
    if key is None:
        return None
    kernel = _KERNELS.get(key)
    if kernel is None and _COUNTS.get(key, 0) >= SPECIALISE_AFTER_EVENTS:
        with _LOCK:
            kernel = _KERNELS.get(key)
            if kernel is None:
                kernel = _load(key, source(net, n_species)).ensemble
                _KERNELS[key] = kernel
    return kernel


def record(net: KernelNetwork, n_species: int, events: np.ndarray) -> None:
    """Count the events a generic direct-method run simulated for ``net``'s structure."""
    key = _key(net, n_species) if SPECIALISE else None
    if key is not None:
        _COUNTS[key] = _COUNTS.get(key, 0) + int(events.sum())


def _folder() -> Path:
    """Where generated modules go: the native kernels' cache folder if writable."""
    if not _FOLDER:
        folder = Path(__file__).with_name("__pycache__") / "networks"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            write_text(folder / ".writable", "")
        except OSError:
            folder = Path(tempfile.mkdtemp(prefix="ssagrad-networks-"))
            atexit.register(shutil.rmtree, folder, ignore_errors=True)
        _FOLDER.append(folder)
    return _FOLDER[0]


def _load(key: str, text: str) -> ModuleType:
    """Import the generated module ``text`` (written once, under its structure key)."""
    path = _folder() / f"network_{key}.py"
    if not path.exists() or path.read_text() != text:
        write_text(path, text)  # atomic: another process never reads half a file
    name = f"ssagrad_network_{key}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # Numba's disk cache finds the module by its name
    spec.loader.exec_module(module)
    return module


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


def _fire(net: KernelNetwork, j: int, indent: str) -> list[str]:
    """Reaction ``j``'s state change, then its dependents' refresh, in CSR order."""
    lines = [
        f"{indent}x_{int(net.change_species[p])} += {int(net.change_delta[p])}"
        for p in range(int(net.change_ptr[j]), int(net.change_ptr[j + 1]))
    ]
    for p in range(int(net.elementary_ptr[j]), int(net.elementary_ptr[j + 1])):
        i = int(net.elementary_index[p])
        lines.append(f"{indent}p_{i} = {_law(net, i)}")
    return lines or [f"{indent}pass"]


def _select_and_fire(net: KernelNetwork) -> list[str]:
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


def source(net: KernelNetwork, n_species: int) -> str:
    """The generated module of ``net`` (a trajectory function and a parallel ensemble)."""
    n = net.rate.shape[0]
    record_rows = [f"            states[m, {s}] = x_{s}" for s in range(n_species)]
    sums = ["        c_0 = 0.0 + p_0"] + [f"        c_{k} = c_{k - 1} + p_{k}" for k in range(1, n)]
    body = [
        '"""Generated by ssagrad.backends.native._specialised: do not edit."""',
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
        *_select_and_fire(net),
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
