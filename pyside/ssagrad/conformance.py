"""Run ssagrad against a local copy of the SBML Test Suite's stochastic cases (DSMTS).

The suite is not shipped with ssagrad. Point :func:`run_dsmts` (or ``ssagrad
conformance dsmts PATH``) at a folder of case folders ``NNNNN/`` holding a model
(``NNNNN-sbml-l3v2.xml``, ``-l3v1``, or the original ``dsmts-YYY-ZZ.xml``) and its
expected moments (``NNNNN-results.csv``, or ``dsmts-YYY-ZZ-mean.csv`` and ``-sd.csv``).
Each case is simulated ``n`` times and judged by the suite's criteria (Evans,
Gillespie & Wilkinson 2008): for every output and time with ``sigma_t > 0``,
``Z_t = sqrt(n) (mean_t - mu_t) / sigma_t`` must lie in ``(-3, 3)`` and
``Y_t = sqrt(n / 2) (S_t^2 / sigma_t^2 - 1)`` in ``(-5, 5)``.

A partial copy of the suite may lack a case's expected results. With
``exact_fallback=True`` such a case, if it has no events, is judged against moments from
:func:`ssagrad.exact` (finite state projection) at the suite's times ``0, 1, ..., 50``
for every species, and the report says so (``reference`` column). Where both exist,
the suite's files and the exact solution agree to the files' rounding (docs/sbml.md).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

#: The suite's ranges for Z_t and Y_t.
Z_RANGE, Y_RANGE = 3.0, 5.0
#: Largest state space of the exact (FSP) reference of a case without expected results.
FSP_MAX_STATES = 5_000
_MODEL_NAMES = ("{case}-sbml-l3v2.xml", "{case}-sbml-l3v1.xml")


@dataclass
class CaseResult:
    """The verdict on one case (``supported`` False: ``reason`` says why)."""

    case: str
    name: str = ""
    supported: bool = False
    reason: str = ""
    z_max: float = float("nan")
    y_max: float = float("nan")
    z_fail: int = 0
    y_fail: int = 0
    checks: int = 0
    outputs: list[str] = field(default_factory=list)
    reference: str = "suite"

    @property
    def passed(self) -> bool:
        """All Z and Y within the suite's ranges."""
        return self.supported and self.z_fail == 0 and self.y_fail == 0


def _read_table(path: Path) -> dict[str, np.ndarray]:
    with open(path, newline="") as handle:
        rows = [r for r in csv.reader(handle) if r and any(c.strip() for c in r)]
    header = [h.strip().strip('"') for h in rows[0]]
    data = np.array([[float(c) for c in r] for r in rows[1:]])
    return {h: data[:, i] for i, h in enumerate(header)}


def expected_moments(folder: Path) -> tuple[np.ndarray, dict[str, tuple[np.ndarray, np.ndarray]]]:
    """``(times, {variable: (mu, sigma)})`` of a case folder."""
    case = folder.name
    results = folder / f"{case}-results.csv"
    if results.is_file():
        table = _read_table(results)
        names = [h[: -len("-mean")] for h in table if h.endswith("-mean")]
        return table["time"], {v: (table[f"{v}-mean"], table[f"{v}-sd"]) for v in names}
    means = sorted(folder.glob("dsmts-*-mean.csv"))
    if not means:
        raise FileNotFoundError(f"{folder}: no {case}-results.csv nor dsmts-*-mean.csv")
    mean = _read_table(means[0])
    sd = _read_table(Path(str(means[0]).replace("-mean.csv", "-sd.csv")))
    names = [h for h in mean if h.lower() != "time"]
    time_key = next(h for h in mean if h.lower() == "time")
    return mean[time_key], {v: (mean[v], sd[v]) for v in names}


def model_file(folder: Path) -> Path:
    """The case's SBML model (Level 3 preferred)."""
    for pattern in _MODEL_NAMES:
        path = folder / pattern.format(case=folder.name)
        if path.is_file():
            return path
    found = sorted(folder.glob("dsmts-*.xml"))
    if not found:
        raise FileNotFoundError(f"{folder}: no SBML model")
    return found[0]


def exact_moments(model, times: np.ndarray) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Expected means and standard deviations of every species by finite state projection."""
    from .exact import exact

    try:
        ds = exact(model.network, model.params, model.x0, times, max_states=FSP_MAX_STATES)
    except (ValueError, RuntimeError) as err:
        raise FileNotFoundError(f"no expected results, and no exact reference: {err}") from None
    return {
        s: (
            ds["mean"].sel(species=s).values,
            np.sqrt(np.maximum(ds["var"].sel(species=s).values, 0)),
        )
        for s in model.network.species
    }


def run_case(folder: Path, n: int, seed: int, exact_fallback: bool = False) -> CaseResult:
    """Simulate one case and compute its Z and Y statistics."""
    from .sbml import SBMLError, read_sbml
    from .simulate import simulate

    result = CaseResult(folder.name)
    try:
        model = read_sbml(str(model_file(folder)))
        result.name = model.description
        try:
            times, expected = expected_moments(folder)
        except FileNotFoundError:
            if not exact_fallback or model.network.events:
                raise
            times = np.arange(51.0)
            expected, result.reference = exact_moments(model, times), "exact (FSP)"
    except (SBMLError, FileNotFoundError) as err:
        result.reason = str(err)
        return result
    known = set(model.network.species) | set(model.observables) | set(model.params)
    missing = [v for v in expected if v not in known]
    if missing:
        result.reason = f"output {missing[0]!r} is not a species, parameter or assignment rule"
        return result
    ds = simulate(model, times=times, n=n, seed=seed)
    result.supported, result.outputs = True, list(expected)
    z_all, y_all = [], []
    for name, (mu, sigma) in expected.items():
        x = _output(model, ds, name)
        live = sigma > 0
        mean, var = x.mean(axis=0)[live], x.var(axis=0, ddof=1)[live]
        z_all.append(np.sqrt(n) * (mean - mu[live]) / sigma[live])
        y_all.append(np.sqrt(n / 2) * (var / sigma[live] ** 2 - 1))
        # Where sigma_t = 0 the value is certain: every path must hold it (as a Z failure).
        off = ~np.isclose(x[:, ~live], mu[~live], rtol=1e-6, atol=1e-9).all(axis=0)
        z_all.append(np.where(off, np.inf, 0.0))
    z, y = np.concatenate(z_all), np.concatenate(y_all)
    result.checks = int(z.size)
    result.z_max = float(np.abs(z).max()) if z.size else 0.0
    result.y_max = float(np.abs(y).max()) if y.size else 0.0
    result.z_fail = int((np.abs(z) >= Z_RANGE).sum())
    result.y_fail = int((np.abs(y) >= Y_RANGE).sum())
    return result


def _output(model: Any, ds: Any, name: str) -> np.ndarray:
    """``(n, T)`` values of a case's output: a species, an assignment rule or a constant."""
    if name in model.network.species:
        return ds.x.sel(species=name).values.astype(float)
    if name in model.observables:
        return model.observe(name, ds.x.values)
    return np.full(ds.x.shape[:2], float(model.params[name]))


def run_dsmts(
    path: str | Path, n: int = 10_000, seed: int = 1, exact_fallback: bool = False
) -> list[CaseResult]:
    """Every case folder under ``path``, in order; each simulated with its own seed."""
    root = Path(path)
    if not root.is_dir():
        raise ValueError(f"{root} is not a folder of DSMTS case folders")
    folders = sorted(p for p in root.iterdir() if p.is_dir() and p.name.isdigit())
    if not folders:
        raise ValueError(f"{root} holds no case folders (NNNNN/)")
    return [run_case(f, n, seed + i, exact_fallback) for i, f in enumerate(folders)]


def report(results: list[CaseResult], n: int) -> str:
    """A markdown table of the results and a summary line."""
    lines = [
        "| case | model | supported | reference | max abs Z | max abs Y | Z fails | Y fails "
        "| result |",
        "|---|---|---|---|---:|---:|---:|---:|---|",
    ]
    for r in results:
        if not r.supported:
            lines.append(f"| {r.case} | {r.name} | no: {r.reason} | | | | | | not run |")
            continue
        verdict = "pass" if r.passed else "FAIL"
        lines.append(
            f"| {r.case} | {r.name} | yes | {r.reference} | {r.z_max:.2f} | {r.y_max:.2f} "
            f"| {r.z_fail} | {r.y_fail} | {verdict} |"
        )
    run = [r for r in results if r.supported]
    z_fail, y_fail = sum(r.z_fail for r in run), sum(r.y_fail for r in run)
    checks = sum(r.checks for r in run)
    lines.append(
        f"\n{len(run)} of {len(results)} cases supported, n = {n}: "
        f"{sum(r.passed for r in run)} pass all checks; {z_fail} Z and {y_fail} Y of "
        f"{checks} (time, output) checks outside (-3, 3) and (-5, 5)."
    )
    return "\n".join(lines)
