"""The direct method compiled for one network: counts and propensities in registers.

The generic kernel (:func:`~._ssa.direct_trajectory`) reads the network from arrays on
every event. For a small network of elementary mass action this module writes the
network out instead (:mod:`._kernel_source`): each species count and each propensity is a
local variable, the cumulative sums of the selection are those of the propensity sum, and
the state change and refresh are straight-line code. The arithmetic is that of
:mod:`._core` in the same order, so a trajectory is bit for bit the generic kernel's
(``tests/test_specialised.py`` checks it on random networks).

Compiling costs about 1.3 s per kernel, so it is tiered as JIT compilers are: a
network structure (rate constants are arguments, not code) runs on the generic kernel
until :data:`SPECIALISE_AFTER_EVENTS` events of it have been simulated in this process;
its later direct-method calls run on its own kernel. The generated module is written to
``backends/native/__pycache__/networks/`` (or a temporary folder where the package is
read-only) and Numba caches its machine code next to it, so another process loads it
instead of compiling again.

A network of at most :data:`~._kernel_source.MAX_BRANCHLESS` reactions gets both of the
kernels of :mod:`._kernel_source`, a chain of branches and a branchless one; which is
faster depends on how predictable the network's reaction mix is, so the tier times both
on a sample of the call that makes the network hot and keeps the faster
(:data:`SELECTION`). Either gives the same trajectories: the choice moves no number.
"""

from __future__ import annotations

import atexit
import hashlib
import importlib.util
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from ..._files import write_text
from ._core import start
from ._kernel_source import selections_for, source
from ._network import KIND_DIMER, KIND_ZEROTH, KernelNetwork

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
#: How a hot network's kernel finds the reaction that fires: ``"timed"`` (both kernels
#: of :mod:`._kernel_source` for a network they fit, the faster on a sample of the call
#: kept), or one of :data:`~._kernel_source.SELECTIONS` (``"branchless"`` where it fits).
SELECTION = "timed"
#: The timed sample: the call's first trajectories, each capped at this many events.
TIMING_TRAJECTORIES = 16
TIMING_EVENTS = 20_000
#: Timed runs of each candidate (after one warm-up); the best counts.
TIMING_ROUNDS = 3

_COUNTS: dict[str, int] = {}  # structure key -> generic events simulated so far
#: (structure key, SELECTION) -> ensemble; under "timed", the one of the others it kept
_KERNELS: dict[tuple[str, str], Any] = {}
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


def ensemble_for(net: KernelNetwork, n_species: int, call: tuple) -> Any | None:
    """The compiled ensemble of ``net`` once it is hot, else ``None`` (use the generic one).

    ``call`` is ``(x0, times, seeds, max_events)`` of the direct-method call at hand: its
    first trajectories are the sample the candidate kernels are timed on. Call
    :func:`record` after each generic run so the tier can count its events.
    """
    key = _key(net, n_species) if SPECIALISE else None
    if key is None:
        return None
    kernel = _KERNELS.get((key, SELECTION))
    if kernel is None and _COUNTS.get(key, 0) >= SPECIALISE_AFTER_EVENTS:
        with _LOCK:
            kernel = _KERNELS.get((key, SELECTION))
            if kernel is None:
                kernel = _compile(key, net, n_species, call)
                _KERNELS[key, SELECTION] = kernel
    return kernel


def _compile(key: str, net: KernelNetwork, n_species: int, call: tuple) -> Any:
    """``net``'s ensemble function for :data:`SELECTION` (timing the candidates if asked);
    each kernel is loaded once and kept under its own selection too."""
    fits = selections_for(net.rate.shape[0])
    names = fits if SELECTION == "timed" else [SELECTION if SELECTION in fits else "chain"]
    kernels = {
        name: _KERNELS.get((key, name))
        or _load(f"{key}_{name}", source(net, n_species, name)).ensemble
        for name in names
    }
    _KERNELS.update({(key, name): kernel for name, kernel in kernels.items()})
    if len(kernels) == 1:
        return next(iter(kernels.values()))
    return kernels[_fastest(kernels, net, call)]


def _fastest(kernels: dict[str, Any], net: KernelNetwork, call: tuple) -> str:
    """The name of the kernel that runs a sample of ``call`` fastest (best of
    :data:`TIMING_ROUNDS`, interleaved, after a warm-up that loads or compiles each)."""
    x0, times, seeds, max_events = call
    sample = seeds[:TIMING_TRAJECTORIES]
    cap = min(max_events, TIMING_EVENTS)
    _, a_start = start(net, x0)
    states = np.empty((sample.shape[0], times.shape[0], x0.shape[0]), dtype=np.int64)
    events = np.empty(sample.shape[0], dtype=np.int64)
    status = np.empty(sample.shape[0], dtype=np.int64)
    best = dict.fromkeys(kernels, np.inf)
    for timed in [False] + [True] * TIMING_ROUNDS:
        for name, kernel in kernels.items():
            began = time.perf_counter()
            kernel(x0, times, sample, cap, states, events, status, net.rate, a_start)
            if timed:
                best[name] = min(best[name], time.perf_counter() - began)
    return min(best, key=best.__getitem__)


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
