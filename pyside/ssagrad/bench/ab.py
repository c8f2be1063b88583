"""``ssagrad bench ab --ref REV``: this tree's native kernels against those of a git revision.

The reference revision's ``pyside/ssagrad`` is exported with ``git archive`` into a
temporary folder as the package ``ssagrad_ref``, so both kernel sets run in one process,
interleaved call by call (``old, new, old, new, ...``) on the same inputs: a busy
machine slows both alike. Each kernel is called through the backend contract
(``engine.simulate``, ``engine.score`` ...), whose signatures both revisions share, and
the outputs are checked to be identical before timing.
"""

from __future__ import annotations

import atexit
import copy
import importlib
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from io import BytesIO
from pathlib import Path
from typing import Any

import numpy as np

from .. import models
from ..backends.native import NativeBackend
from ..inputs import initial_state, parameter_vector
from ..seeding import trajectory_seeds

#: (model, horizon, trajectories) of the comparison.
WORKLOADS = (
    ("dimerization", 200.0, 64),
    ("negative_feedback", 300.0, 64),
    ("multistate", 20.0, 16),
)


def reference_backend(ref: str, repo: Path) -> Any:
    """``NativeBackend`` of revision ``ref`` of the git checkout ``repo``."""
    archive = subprocess.run(
        ["git", "-C", str(repo), "archive", ref, "pyside/ssagrad"],
        check=True,
        capture_output=True,
    ).stdout
    root = Path(tempfile.mkdtemp(prefix="ssagrad-ab-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)  # leave nothing behind
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(root, filter="data")
    (root / "pyside" / "ssagrad").rename(root / "ssagrad_ref")
    sys.path.insert(0, str(root))
    return importlib.import_module("ssagrad_ref.backends.native").NativeBackend()


def _calls(engine: Any, arrays: Any, theta: np.ndarray, x0, times, seeds) -> dict[str, Callable]:
    plus = np.array([theta * 1.01, theta * 0.99])
    return {
        "simulate direct": lambda: engine.simulate(
            arrays, theta, x0, times, seeds, "direct", 10**8, 0.0
        ),
        "score": lambda: engine.score(arrays, theta, x0, times, seeds, 10**8),
        "gumbel": lambda: engine.gumbel(arrays, theta, x0, times, seeds, 10**8, 1.0, 0.1),
        "altpath": lambda: engine.altpath(arrays, theta, x0, times, seeds, 10**8, 1.5),
        "cfd (coupled)": lambda: engine.coupled(
            arrays, plus[:1], plus[1:], x0, times, seeds, 10**8
        ),
    }


def run(
    ref: str, repo: Path, repeats: int = 5, threads: int = 1
) -> list[tuple[str, str, float, float]]:
    """Best-of-``repeats`` seconds of each kernel, old and new, interleaved.

    Returns
    -------
    list of (model, kernel, old seconds, new seconds)
    """
    old, new = reference_backend(ref, repo), NativeBackend()
    old.set_threads(threads)
    new.set_threads(threads)
    rows = []
    for name, horizon, n in WORKLOADS:
        model = models.get(name)
        arrays = model.network.arrays()
        theta = arrays.theta(parameter_vector(model.network, model.params))
        x0, times = initial_state(model.network, model.x0), np.linspace(0.0, horizon, 21)
        seeds = trajectory_seeds(1, n)
        # each tree keeps its own kernel caches on the arrays: give each its own copy
        calls_old = _calls(old, copy.copy(arrays), theta, x0, times, seeds)
        calls_new = _calls(new, arrays, theta, x0, times, seeds)
        for kernel in calls_new:
            old_out, new_out = calls_old[kernel](), calls_new[kernel]()
            if len(new_out) == len(old_out) + 1:  # a revision before kernels counted events
                new_out = new_out[:-2] + new_out[-1:]
            for a, b in zip(old_out, new_out, strict=True):
                if not np.array_equal(a, b, equal_nan=a.dtype.kind == "f"):
                    raise AssertionError(f"{name} {kernel}: outputs differ from {ref}")
            best = [np.inf, np.inf]
            for _ in range(repeats):
                for side, call in enumerate((calls_old[kernel], calls_new[kernel])):
                    start = time.perf_counter()
                    call()
                    best[side] = min(best[side], time.perf_counter() - start)
            rows.append((name, kernel, best[0], best[1]))
    return rows


def format_table(rows: list[tuple[str, str, float, float]], ref: str) -> str:
    """A Markdown table: best seconds old and new, and new / old."""
    lines = [
        f"| model | kernel | {ref} s | this tree s | new / old |",
        "|---|---|---:|---:|---:|",
    ]
    for name, kernel, old, new in rows:
        lines.append(f"| {name} | {kernel} | {old:.4f} | {new:.4f} | {new / old:.2f} |")
    return "\n".join(lines)
