"""One conformance suite for every backend in ``available_backends()``.

Each usable backend runs the same networks (the cases of the Julia fixtures: birth-death,
telegraph, dimerisation, Hill autorepression) in its own process
(``tests/conformance_run.py``) with every SSA method and gradient estimator it provides.
Its moments, one species' marginal and its unbiased gradients must match the exact CME
(``ssagrad.exact``); any two usable backends must agree with each other (two-sample
tests on the means, marginals and every estimator's gradient, GS-ST included: it is
biased, but equally on both). An unusable backend is skipped with its reason.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conformance_run import N

import ssagrad
from ssagrad.backends.julia._fixtures import ABS_TOL, CASES, SMOOTHING_BIAS, Z_GRADIENT, Z_MOMENT

RUNNER = Path(__file__).with_name("conformance_run.py")
BACKENDS = sorted(ssagrad.available_backends())
#: Unbiased estimators (smoothing up to its documented O(sigma^2) bias) audited against exact.
UNBIASED = ("score", "altpath", "cfd", "fd", "smoothing")
_RUNS: dict[str, dict] = {}


def _usable(name: str) -> None:
    info = ssagrad.available_backends()[name]
    if not info.available:
        pytest.skip(f"backend {name!r} is not usable here: {info.reason}")


def results(name: str) -> dict:
    """The conformance run of backend ``name`` (one subprocess, cached)."""
    if name not in _RUNS:
        env = dict(os.environ, SSAGRAD_BACKEND=name)
        env["PYTHONPATH"] = os.pathsep.join(
            filter(None, [str(Path(ssagrad.__file__).parents[1]), env.get("PYTHONPATH")])
        )
        done = subprocess.run(
            [sys.executable, str(RUNNER), name],
            capture_output=True,
            text=True,
            env=env,
            timeout=3600,
        )
        assert done.returncode == 0, done.stderr[-5000:]
        _RUNS[name] = json.loads(done.stdout.strip().splitlines()[-1])
    return _RUNS[name]


@pytest.fixture(scope="module")
def exact():
    """Exact means, variances, sd of squared deviations, marginals and gradients per case."""
    from ssagrad.backends.julia._fixtures import case_reference

    return {case.name: case_reference(case) for case in CASES}


def _within(estimate, reference, se, z, tol=ABS_TOL) -> tuple[bool, float]:
    estimate, reference, se = map(np.asarray, (estimate, reference, se))
    err = np.abs(estimate - reference)
    ok = err <= z * se + tol
    return bool(ok.all()), float(np.max(err / np.maximum(se, 1e-300)))


def _samples(counts) -> np.ndarray:
    """The samples behind a histogram of counts 0, 1, ... (the last entry: more)."""
    return np.repeat(np.arange(len(counts)), counts)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("case", [c.name for c in CASES])
def test_moments_and_marginal_against_exact(backend, case, exact, chi_square_pvalue):
    _usable(backend)
    ref = exact[case]
    for method, run in results(backend)[case]["methods"].items():
        ok, worst = _within(run["mean"], ref["mean"], np.sqrt(np.array(ref["var"]) / N), Z_MOMENT)
        assert ok, f"{backend}/{method} mean: max |z| {worst:.2f}"
        se_var = np.array(ref["sd_sq_dev"]) / np.sqrt(N)
        ok, worst = _within(run["var"], ref["var"], se_var, Z_MOMENT)
        assert ok, f"{backend}/{method} variance: max |z| {worst:.2f}"
        # as the Python audits: chi-square with pooled bins, p > 1e-3 / number of tests
        for m, p in enumerate(ref["marginal"]):
            pvalue = chi_square_pvalue(_samples(run["counts"][m]), np.array(p))
            assert pvalue > 1e-3 / len(ref["marginal"]), f"{backend}/{method} marginal {m}"


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("case", [c.name for c in CASES])
def test_gradients_against_exact(backend, case, exact):
    _usable(backend)
    ref = np.array(exact[case]["dmean"])
    runs = results(backend)[case]["estimators"]
    assert set(UNBIASED) <= set(runs), f"{backend} lacks estimators {set(UNBIASED) - set(runs)}"
    for name in UNBIASED:
        bias = SMOOTHING_BIAS * np.abs(ref) if name == "smoothing" else 0.0
        est, se = runs[name]["dmean"], runs[name]["dmean_se"]
        ok, worst = _within(est, ref, se, Z_GRADIENT, ABS_TOL + bias)
        assert ok, f"{backend}/{name} on {case}: max |z| {worst:.2f}"


def two_sample_pvalue(a: np.ndarray, b: np.ndarray, min_expected: float = 5.0) -> float:
    """Chi-square test of homogeneity of two histograms, bins pooled to expect 5 each."""
    from scipy import stats

    rows, acc = [], np.zeros(2)
    for pair in zip(a, b, strict=True):
        acc = acc + pair
        if acc.sum() / 2 >= min_expected:
            rows.append(acc)
            acc = np.zeros(2)
    if rows and acc.sum():
        rows[-1] = rows[-1] + acc
    if len(rows) < 2:
        return 1.0
    return float(stats.chi2_contingency(np.array(rows).T)[1])


PAIRS = list(itertools.combinations(BACKENDS, 2))


def _pair_usable(pair) -> None:
    reasons = {b: ssagrad.available_backends()[b].reason for b in pair}
    missing = {b: r for b, r in reasons.items() if r is not None}
    if missing:
        pytest.skip(f"two-sample test needs both backends; unusable here: {missing}")


@pytest.mark.parametrize("pair", PAIRS, ids=["-".join(p) for p in PAIRS])
@pytest.mark.parametrize("case", [c.name for c in CASES])
def test_backends_agree_with_each_other(pair, case):
    _pair_usable(pair)
    first, second = (results(b)[case] for b in pair)
    for method in set(first["methods"]) & set(second["methods"]):
        a, b = first["methods"][method], second["methods"][method]
        se = np.sqrt((np.array(a["var"]) + np.array(b["var"])) / N)
        ok, worst = _within(a["mean"], b["mean"], se, Z_MOMENT)
        assert ok, f"{method} means differ: max |z| {worst:.2f}"
        for m, (ca, cb) in enumerate(zip(a["counts"], b["counts"], strict=True)):
            pvalue = two_sample_pvalue(np.array(ca), np.array(cb))
            assert pvalue > 1e-3 / len(a["counts"]), f"{method} marginals differ at time {m}"
    for name in set(first["estimators"]) & set(second["estimators"]):
        a, b = first["estimators"][name], second["estimators"][name]
        se = np.hypot(np.array(a["dmean_se"]), np.array(b["dmean_se"]))
        ok, worst = _within(a["dmean"], b["dmean"], se, Z_GRADIENT + 0.5)
        assert ok, f"{name} gradients differ: max |z| {worst:.2f}"


def test_every_registered_backend_is_in_the_suite():
    assert "native" in BACKENDS and "julia" in BACKENDS
    assert PAIRS, "the two-sample tests need two registered backends"
