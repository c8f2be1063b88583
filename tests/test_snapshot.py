"""Refactors keep numbers: kernel outputs on the zoo models match a stored snapshot bitwise.

``tests/data/snapshot.json`` holds SHA-256 digests of the raw bytes of every array that
``simulate`` (direct and tau), ``score``, ``altpath``, ``cfd``, ``gumbel`` and ``smoothing``
return on each zoo model at a fixed seed. It was written before the SSA core refactor
(issue 8) by ``python tests/test_snapshot.py --write``; a kernel change that alters any
bit fails here. Regenerate it only for an intended, announced change of numbers.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import numpy as np
import pytest

import ssagrad
from ssagrad import models

SNAPSHOT = Path(__file__).parent / "data" / "snapshot.json"
N = 24
SEED = 20260
#: (estimator, options) of the gradient snapshots.
ESTIMATORS = (
    ("score", {}),
    ("altpath", {}),
    ("cfd", {}),
    ("gumbel", {}),
    ("gumbel", {"temperature": 0.5, "time_smoothing": 0.0}),
    ("smoothing", {"directions": 2}),
)


def _digest(*arrays: np.ndarray) -> str:
    h = hashlib.sha256()
    for a in arrays:
        a = np.ascontiguousarray(a)
        h.update(str((a.dtype.str, a.shape)).encode())
        h.update(a.tobytes())
    return h.hexdigest()[:24]


def _times(model: models.Model) -> np.ndarray:
    return np.linspace(0.0, model.t_end / 4.0, 5)


def _variables(ds) -> list[np.ndarray]:
    return [ds[name].values for name in sorted(ds.data_vars)]


def snapshot(name: str) -> dict[str, str]:
    """Digests of every snapshot output on zoo model ``name``."""
    model = models.get(name)
    times = _times(model)
    out = {}
    for method in ("direct", "tau"):
        ds = ssagrad.simulate(model, times=times, n=N, seed=SEED, method=method)
        out[f"simulate-{method}"] = _digest(ds.x.values, ds.events.values)
    for estimator, options in ESTIMATORS:
        g = ssagrad.gradient(model, times=times, estimator=estimator, n=N, seed=SEED, **options)
        label = estimator + "".join(f"-{k}={v}" for k, v in sorted(options.items()))
        out[label] = _digest(*_variables(g))
    return out


@pytest.mark.parametrize("name", models.available())
def test_outputs_match_the_pre_refactor_snapshot(name):
    stored = json.loads(SNAPSHOT.read_text())[name]
    assert snapshot(name) == stored


if __name__ == "__main__" and sys.argv[1:] == ["--write"]:
    SNAPSHOT.parent.mkdir(exist_ok=True)
    table = {name: snapshot(name) for name in models.available()}
    SNAPSHOT.write_text(json.dumps(table, indent=1, sort_keys=True) + "\n")
