"""Exact CME references for the Julia test-suite, written as TOML (Julia's stdlib reads it).

``python -m ssagrad.backends.julia fixtures`` writes ``julia/test/fixtures/cme.toml`` from
:func:`ssagrad.exact.exact` (finite state projection with sensitivities): for each case
the network text, its lowered arrays (0-based, as Python has them), parameters, initial
state, times, and the exact means, variances, the standard deviation of the squared
deviation (for the variance's standard error), one species' marginal distribution and
the gradient of the means. ``julia/test/runtests.jl`` checks SSAGrad's parser, kernels
and estimators against them with the tolerances of the Python audits; a Python test
checks that the committed file is what this module produces.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..._files import write_text

#: Gradients within Z_GRADIENT standard errors (plus ABS_TOL) of the exact ones, as the
#: Python audits (tests/test_score.py, test_altpath.py, test_finite_difference.py).
Z_GRADIENT = 4.0
#: Means, variances and marginal probabilities within Z_MOMENT standard errors.
Z_MOMENT = 4.5
ABS_TOL = 1e-9
#: Smoothing is biased by O(sigma^2): 1 % of the exact entry on top (tests/test_smoothing.py).
SMOOTHING_BIAS = 0.01
#: Trajectories per Julia check.
N_TRAJECTORIES = 4000
#: Marginal probabilities are listed up to the count where the tail is below this.
TAIL = 1e-6
#: Marginals pass a chi-square test at p > MARGINAL_LEVEL / (number of times), bins pooled
#: until each expects MIN_EXPECTED samples (tests/conftest.py, tests/test_methods.py).
MARGINAL_LEVEL = 1e-3
MIN_EXPECTED = 5.0
COMMAND = "python -m ssagrad.backends.julia fixtures"


@dataclass(frozen=True)
class Case:
    """One reference network: text, parameters, initial state, times, marginal species."""

    name: str
    network: str
    params: dict[str, float]
    x0: dict[str, int]
    times: tuple[float, ...]
    marginal: str


CASES = (
    Case(
        "birth_death", "k, 0 --> A\ng, A --> 0\n", {"k": 10.0, "g": 1.0}, {}, (0.5, 2.0, 5.0), "A"
    ),
    Case(
        "telegraph",
        "kon, Goff --> Gon\nkoff, Gon --> Goff\nktx, Gon --> Gon + M\nkdeg, M --> 0\n",
        {"kon": 0.5, "koff": 1.0, "ktx": 10.0, "kdeg": 1.0},
        {"Goff": 1},
        (0.5, 2.0, 5.0),
        "M",
    ),
    Case(
        "dimerization",
        "k1, 0 --> A\nk2, A --> 0\nk3, 2A --> B\nk4, B --> 2A\n",
        {"k1": 5.0, "k2": 0.5, "k3": 0.1, "k4": 1.0},
        {},
        (1.0, 3.0),
        "B",
    ),
    Case(
        "autorepression",
        "hillr(P, v, K, 2), 0 --> P\nd, P --> 0\n",
        {"v": 10.0, "K": 5.0, "d": 1.0},
        {},
        (0.5, 2.0),
        "P",
    ),
)


def fixtures_path() -> Path:
    """``julia/test/fixtures/cme.toml`` of the source checkout (it must be one)."""
    from ._locate import CHECKOUT_PROJECT

    if not (CHECKOUT_PROJECT / "test" / "runtests.jl").is_file():
        raise RuntimeError(
            f"no source checkout at {CHECKOUT_PROJECT.parent}: the fixtures live in "
            "julia/test/fixtures/ of the repository; run this command from a checkout"
        )
    return CHECKOUT_PROJECT / "test" / "fixtures" / "cme.toml"


def chi_square_groups(p: np.ndarray, n: int) -> tuple[list[int], float]:
    """0-based first counts of the pooled chi-square bins of ``p`` and the critical value.

    Neighbouring counts are pooled until each bin expects at least :data:`MIN_EXPECTED`
    of ``n`` samples (a short remainder joins the last bin; counts beyond ``p`` join it
    too), as ``tests/conftest.py`` does. The critical value belongs to the level
    :data:`MARGINAL_LEVEL` before the division by the number of times.
    """
    starts, acc = [0], 0.0
    for k, expected in enumerate(p * n):
        acc += expected
        if acc >= MIN_EXPECTED and k + 1 < len(p):
            starts.append(k + 1)
            acc = 0.0
    if acc < MIN_EXPECTED and len(starts) > 1:
        starts.pop()
    return starts, len(starts) - 1


def case_reference(case: Case) -> dict[str, Any]:
    """The exact reference of one case, as plain numbers and lists."""
    import ssagrad
    from ssagrad.exact import exact, marginal

    net = ssagrad.parse(case.network)
    ds = exact(net, case.params, case.x0, list(case.times))
    states = ds["states"].values.astype(np.float64)
    p = ds["p"].values
    mean, var = ds["mean"].values, ds["var"].values
    fourth = np.einsum("tn,tns->ts", p, (states[None, :, :] - mean[:, None, :]) ** 4)
    dist = marginal(ds, case.marginal).values
    tail = np.cumsum(dist[:, ::-1], axis=1)[:, ::-1]  # P(X >= k)
    small = tail < TAIL
    keep = int(np.where(small.any(axis=1), small.argmax(axis=1), dist.shape[1]).max())
    arrays = net.arrays()
    return {
        "name": case.name,
        "network": case.network,
        "species": list(net.species),
        "parameters": list(net.parameters),
        "params": [case.params[name] for name in net.parameters],
        "x0": [int(case.x0.get(name, 0)) for name in net.species],
        "times": list(case.times),
        "leak": ds["leak"].values.tolist(),
        "mean": mean.tolist(),
        "var": var.tolist(),
        "sd_sq_dev": np.sqrt(np.maximum(fourth - var**2, 0.0)).tolist(),
        "dmean": ds["dmean"].values.tolist(),
        "marginal_species": case.marginal,
        "marginal": dist[:, :keep].tolist(),
        **_chi_square_reference(dist[:, :keep], len(case.times)),
        "arrays": {
            name: getattr(arrays, name).tolist()
            for name in (
                "reactant_ptr",
                "reactant_species",
                "reactant_coeff",
                "change_ptr",
                "change_species",
                "change_delta",
                "rate_code",
                "rate_species",
                "rate_slots",
                "literals",
                "dependency_ptr",
                "dependency_index",
            )
        },
    }


def _chi_square_reference(dist: np.ndarray, n_times: int) -> dict[str, list]:
    """Pooled bins and critical chi-square values of each time's marginal."""
    from scipy import stats

    groups = [chi_square_groups(row, N_TRAJECTORIES) for row in dist]
    critical = [
        float(stats.chi2.isf(MARGINAL_LEVEL / n_times, df)) if df > 0 else 0.0 for _, df in groups
    ]
    return {"marginal_groups": [starts for starts, _ in groups], "marginal_chi2": critical}


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"non-finite value {value!r} in a fixture")
        return repr(value)
    if isinstance(value, str):
        if "\n" in value:
            return '"""\n' + value.replace("\\", "\\\\").replace('"""', '\\"""') + '"""'
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, Iterable):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def _toml_table(header: str, table: dict[str, Any]) -> list[str]:
    lines = [header]
    subtables = []
    for key, value in table.items():
        if isinstance(value, dict):
            subtables.append((key, value))
        else:
            lines.append(f"{key} = {_toml_value(value)}")
    for key, value in subtables:
        lines += ["", *_toml_table(f"[{header.strip('[]')}.{key}]", value)]
    return lines


def render() -> str:
    """The fixture file's text."""
    meta = {
        "command": COMMAND,
        "z_gradient": Z_GRADIENT,
        "z_moment": Z_MOMENT,
        "abs_tol": ABS_TOL,
        "smoothing_bias": SMOOTHING_BIAS,
        "n": N_TRAJECTORIES,
    }
    lines = [
        "# Exact CME references for julia/test/runtests.jl, from ssagrad.exact (finite",
        f"# state projection). Generated by `{COMMAND}`; do not edit.",
        "",
        *_toml_table("[meta]", meta),
    ]
    for case in CASES:
        lines += ["", *_toml_table("[[case]]", case_reference(case))]
    return "\n".join(lines) + "\n"


def write(path: Path | None = None) -> Path:
    """Write the fixtures (default :func:`fixtures_path`); return the path."""
    path = fixtures_path() if path is None else path
    write_text(path, render())
    return path
