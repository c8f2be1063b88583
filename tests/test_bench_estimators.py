"""Smoke test of ``ssagrad bench estimators`` at a tiny scale (no timing assertions)."""

import csv
import math

import numpy as np
import pytest

from ssagrad.bench import estimators


@pytest.fixture
def small(monkeypatch):
    """Shrink the workload: two cases, two estimators plus a missing one, three horizons."""
    shrunk = {
        "CASES": estimators.CASES[:2],
        "ESTIMATORS": ("score", "fd", "no_such_estimator"),
        "TEMPERATURES": (1.0,),
        "HORIZONS": (1.0, 2.0, 5.0),
        "TIMING_SECONDS": 0.0,
    }
    for module in (estimators._measure, estimators._report, estimators._plots):
        for name, value in shrunk.items():
            if hasattr(module, name):
                monkeypatch.setattr(module, name, value)


def test_report_writes_tables_and_plots(small, tmp_path):
    text = estimators.report(scale=0.01, out=tmp_path, peers=False, repeats=1)

    for name in (
        "estimators.md",
        "accuracy.csv",
        "gumbel_temperature.csv",
        "horizon_variance.csv",
        "cost.csv",
        "accuracy.png",
        "gumbel_temperature.png",
        "horizon_variance.png",
        "cost.png",
    ):
        assert (tmp_path / name).stat().st_size > 0, name
    assert (tmp_path / "estimators.md").read_text() == text
    for section in ("## 1.", "## 2.", "## 3.", "## 4."):
        assert section in text
    assert (tmp_path / "accuracy.png").read_bytes()[:4] == b"\x89PNG"

    with (tmp_path / "accuracy.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert {r["model"] for r in rows} == {"telegraph", "association"}
    by_name = {(r["model"], r["estimator"]): r for r in rows}
    # the unknown estimator is an error row, not a crash
    assert "unknown estimator" in by_name["telegraph", "no_such_estimator"]["error"]
    # the exact reference agrees with itself; a working estimator has finite summaries
    assert float(by_name["telegraph", "exact"]["rel_error"].split(";")[0]) == 0.0
    score = by_name["telegraph", "score"]
    assert score["error"] == ""
    assert math.isfinite(float(score["max_abs_z"]))
    assert float(score["seconds"]) > 0
    assert "no_such_estimator" in text and "ssa (simulate)" in text


def test_compare_summaries():
    exact = np.array([[[1.0, -2.0]], [[0.0, 0.0]]])  # (T=2, S=1, P=2)
    est = np.array([[[1.3, -2.0]], [[0.0, 0.1]]])
    se = np.array([[[0.1, 0.1]], [[0.0, 0.05]]])
    r = estimators.compare(est, se, exact)
    assert r["max_abs_z"] == pytest.approx(3.0)
    assert r["rel_error"][0] == pytest.approx(0.3 / math.sqrt(5))
    assert math.isnan(r["rel_error"][1])  # exact gradient zero: no relative error
    assert estimators.compare(est, np.zeros_like(se), exact)["max_abs_z"] == math.inf


def test_max_steps_rounds_up():
    assert estimators._max_steps(np.array([10, 100])) == 128
    assert estimators._max_steps(np.array([0])) == 64


def test_stochastix_peer_small():
    pytest.importorskip("jax")
    pytest.importorskip("stochastix")
    import ssagrad
    from ssagrad.bench import stochastix_peer

    # stochastix's mass action is binomial like ours (2A -> B: k A (A - 1) / 2)
    dimer = ssagrad.models.dimerization().network
    assert stochastix_peer.rate_factors(dimer).tolist() == [1.0, 1.0, 1.0, 1.0]
    m = ssagrad.models.telegraph()
    (r,) = stochastix_peer.gs_st_gradient(
        m.network, m.params, m.x0, "M", 2.0, 64, 64, repeats=1, modes=("forward",)
    )
    assert r.parameters == m.network.parameters
    assert r.grad.shape == r.se.shape == (4,)
    assert np.all(np.isfinite(r.grad)) and r.overflow == 0.0
    assert r.grad[2] > 0  # more transcription, more mRNA
