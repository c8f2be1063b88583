"""The C reference of ``ssagrad bench ssa``: the direct method's own algorithm, in C.

``c_direct.c`` (next to this module) is the direct-method loop of the native kernel in
plain C. It is compiled at benchmark time with the system's C compiler (``cc -O3
-march=native``) and runs on the arrays of the kernel network, so the benchmark can
report the machine's floor for *this* algorithm (same random numbers, same arithmetic)
next to ssagrad's compiled kernel. Its output is checked equal to ssagrad's, bit for bit,
before it is timed. Networks with rate laws other than elementary mass action have no C
reference.
"""

from __future__ import annotations

import atexit
import ctypes
import shutil
import subprocess
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np

from .. import models
from ..backends.native._network import kernel_network
from ..backends.native._specialised import STRUCTURE_FIELDS, elementary
from ..inputs import initial_state, parameter_vector
from ..seeding import trajectory_seeds
from ..simulate import DEFAULT_MAX_EVENTS

SOURCE = Path(__file__).with_name("c_direct.c")
_LIBRARY: list[ctypes.CDLL | None] = []  # compiled once per process


def compiler() -> str | None:
    """The C compiler on ``PATH`` (``cc``, ``gcc`` or ``clang``), or ``None``."""
    return next((c for c in ("cc", "gcc", "clang") if shutil.which(c)), None)


def _library() -> ctypes.CDLL | None:
    """``c_direct.c`` compiled and loaded (once per process), or ``None`` if that fails."""
    if not _LIBRARY:
        folder = Path(tempfile.mkdtemp(prefix="ssagrad-cref-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)  # leave nothing behind
        target = folder / "c_direct.so"
        flags = ["-O3", "-march=native", "-shared", "-fPIC"]
        command = [compiler(), *flags, "-o", str(target), str(SOURCE), "-lm"]
        try:
            subprocess.run(command, check=True, capture_output=True)
        except (OSError, subprocess.CalledProcessError) as error:
            warnings.warn(f"no C reference: compiling it failed ({error})", stacklevel=3)
            _LIBRARY.append(None)
        else:
            library = ctypes.CDLL(str(target))
            library.direct_ensemble.restype = ctypes.c_int64
            _LIBRARY.append(library)
    return _LIBRARY[0]


def _pointer(array: np.ndarray) -> ctypes.c_void_p:
    return array.ctypes.data_as(ctypes.c_void_p)


def c_direct(
    model: models.Model, times: np.ndarray, n: int, seed: int
) -> Callable[[], np.ndarray] | None:
    """A call running the C direct method on ``n`` trajectories, or ``None``.

    ``None`` when no C compiler is found (or compiling fails, with a warning) or the
    network has a rate law other than elementary mass action. The call returns the
    states (``n × time × species``), the same array ``simulate(model, times=times, n=n,
    seed=seed).x`` holds, computed on one thread.

    Examples
    --------
    >>> import numpy as np
    >>> from ssagrad import models, simulate
    >>> times = np.linspace(0.0, 50.0, 6)
    >>> run = c_direct(models.dimerization(), times, 4, seed=3)
    >>> run is None or bool(np.array_equal(run(), simulate(
    ...     models.dimerization(), times=times, n=4, seed=3).x.values))
    True
    """
    arrays = model.network.arrays()
    net = kernel_network(arrays, arrays.theta(parameter_vector(model.network, model.params)))
    if compiler() is None or not elementary(net):
        return None
    library = _library()
    if library is None:
        return None
    x0 = np.ascontiguousarray(initial_state(model.network, model.x0), dtype=np.int64)
    times = np.ascontiguousarray(times, dtype=np.float64)
    seeds = np.ascontiguousarray(trajectory_seeds(seed, n), dtype=np.uint64)
    states = np.empty((n, times.shape[0], x0.shape[0]), dtype=np.int64)
    events = np.empty(n, dtype=np.int64)
    fields = [np.ascontiguousarray(getattr(net, f), dtype=np.int64) for f in STRUCTURE_FIELDS]
    rate = np.ascontiguousarray(net.rate, dtype=np.float64)
    sizes = (net.rate.shape[0], x0.shape[0])

    def run() -> np.ndarray:
        library.direct_ensemble(
            *map(ctypes.c_int64, sizes),
            *map(_pointer, (*fields, rate, x0, times)),
            ctypes.c_int64(times.shape[0]),
            _pointer(seeds),
            *map(ctypes.c_int64, (n, DEFAULT_MAX_EVENTS)),
            *map(_pointer, (states, events)),
        )
        return states

    return run
