"""One backend's side of the conformance suite: run in its own process (the backend is
chosen once per process), print JSON.

``python tests/conformance_run.py BACKEND`` simulates every case of the Julia fixtures
(:data:`ssagrad.backends.julia._fixtures.CASES`) with each SSA method the backend
provides and runs each gradient estimator it can, and prints moments, one species'
marginal histogram, and gradients with their standard errors.
"""

from __future__ import annotations

import json
import sys

import numpy as np

import ssagrad
from ssagrad.backends import SSA_METHODS
from ssagrad.backends.julia._fixtures import CASES

#: Trajectories per ensemble.
N = 2000
#: Gradient estimators compared, with their options.
ESTIMATORS = {
    "score": {},
    "altpath": {},
    "cfd": {},
    "fd": {},
    "smoothing": {"orthogonal": True, "directions": 12},  # P = 2, 3, 4 all divide 12
    "gumbel": {"time_smoothing": 0.05},
}
#: Largest count whose marginal frequency is reported.
MAX_COUNT = 40


def run_case(case, info) -> dict:
    """Moments, marginals and gradients of one case on the chosen backend."""
    net = ssagrad.parse(case.network)
    species = list(net.species).index(case.marginal)
    out: dict = {"methods": {}, "estimators": {}}
    for method in (m for m in SSA_METHODS if m in info.capabilities):
        ds = ssagrad.simulate(net, case.params, case.x0, case.times, n=N, seed=21, method=method)
        x = ds.x.values.astype(np.float64)
        counts = ds.x.values[:, :, species]
        out["methods"][method] = {
            "mean": x.mean(axis=0).tolist(),
            "var": x.var(axis=0, ddof=1).tolist(),
            "counts": [  # trajectories with each count 0..MAX_COUNT, then with more
                np.bincount(np.minimum(c, MAX_COUNT + 1), minlength=MAX_COUNT + 2).tolist()
                for c in counts.T
            ],
        }
    for name, options in ESTIMATORS.items():
        capability = ssagrad.estimators.ESTIMATORS[name].capability
        if capability not in info.capabilities:
            continue
        g = ssagrad.gradient(
            net, case.params, case.x0, case.times, estimator=name, n=N, seed=5, **options
        )
        out["estimators"][name] = {
            "dmean": g.dmean.values.tolist(),
            "dmean_se": g.dmean_se.values.tolist(),
        }
    return out


def main(backend: str) -> None:
    """Print the results of every case on ``backend`` as one JSON line."""
    info = ssagrad.available_backends()[backend]
    ssagrad.backends.get_backend(backend)
    print(json.dumps({case.name: run_case(case, info) for case in CASES}))


if __name__ == "__main__":
    main(sys.argv[1])
