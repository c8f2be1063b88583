"""The DSMTS conformance runner and the SBML CLI on hand-written cases (the SBML Test
Suite itself is not vendored: docs/sbml.md reports the run against a local copy)."""

import math

import numpy as np
import pytest
import xarray as xr

import ssagrad
from ssagrad.cli import main
from ssagrad.conformance import report, run_dsmts

pytest.importorskip("libsbml")

ALPHA, MU = 10.0, 0.1


def immigration_death(x0: int = 0) -> str:
    """``alpha, 0 --> X`` and ``mu, X --> 0`` as SBML (X(t) is Poisson from X(0) = 0)."""
    net = ssagrad.parse("Alpha, 0 --> X\nMu, X --> 0")
    return net.to_sbml(params={"Alpha": ALPHA, "Mu": MU}, x0={"X": x0})


def results_csv(shift: float = 0.0) -> str:
    lines = ["time,X-mean,X-sd"]
    for t in range(51):
        mean = ALPHA / MU * (1 - math.exp(-MU * t))
        lines.append(f"{t},{mean + shift},{math.sqrt(mean)}")
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def suite(tmp_path_factory):
    """Four cases: exact results; results off by one molecule; no results (judged
    against ssagrad.exact); an unsupported model (a rate rule)."""
    root = tmp_path_factory.mktemp("dsmts")
    unsupported = immigration_death().replace(
        "</listOfReactions>",
        '</listOfReactions><listOfRules><rateRule variable="Alpha">'
        '<math xmlns="http://www.w3.org/1998/Math/MathML"><cn> 1 </cn></math>'
        "</rateRule></listOfRules>",
    )
    files = {
        "00001": (immigration_death(), results_csv()),
        "00002": (immigration_death(), results_csv(shift=1.0)),
        "00003": (immigration_death(), None),
        "00004": (unsupported, results_csv()),
    }
    for case, (model, results) in files.items():
        folder = root / case
        folder.mkdir()
        (folder / f"{case}-sbml-l3v2.xml").write_text(model)
        if results is not None:
            (folder / f"{case}-results.csv").write_text(results)
    return root


def test_runner_passes_exact_cases_and_catches_a_wrong_one(suite):
    results = {r.case: r for r in run_dsmts(suite, n=3000, seed=3, exact_fallback=True)}
    assert results["00001"].passed and results["00001"].checks == 51  # t = 0 is certain
    assert results["00001"].reference == "suite"
    # A mean off by one molecule: Z ~ sqrt(n) / sigma ~ 5.5 at t = 50.
    assert not results["00002"].passed and results["00002"].z_fail > 10
    assert results["00003"].passed and results["00003"].reference == "exact (FSP)"
    assert not results["00004"].supported
    assert "rateRule for 'Alpha'" in results["00004"].reason
    text = report(list(results.values()), 3000)
    assert "| 00004 |" in text and "not run" in text and "FAIL" in text
    assert "3 of 4 cases supported" in text


def test_without_fallback_a_case_without_results_is_reported(suite):
    results = {r.case: r for r in run_dsmts(suite, n=200, seed=1)}
    assert not results["00003"].supported
    assert "no 00003-results.csv" in results["00003"].reason


def test_runner_needs_case_folders(tmp_path):
    with pytest.raises(ValueError, match="holds no case folders"):
        run_dsmts(tmp_path)


def test_cli_conformance_writes_the_report(suite, tmp_path, capsys):
    out = tmp_path / "report.md"
    assert main(["conformance", "dsmts", str(suite), "-n", "500", "--out", str(out)]) == 0
    assert "| 00001 |" in capsys.readouterr().out and "| 00001 |" in out.read_text()


def test_cli_simulates_an_sbml_file(tmp_path):
    path = tmp_path / "model.xml"
    path.write_text(immigration_death(x0=5))
    out = tmp_path / "sim.nc"
    args = ["simulate", str(path), "-n", "50", "--times", "0:10:11", "--out", str(out)]
    assert main([*args, "--seed", "4"]) == 0
    ds = xr.load_dataset(out)
    assert ds.x.shape == (50, 11, 1) and (ds.x.values[:, 0, 0] == 5).all()
    expected = ssagrad.simulate(ssagrad.read_sbml(str(path)), times=np.linspace(0, 10, 11), n=50,
                                seed=4)  # fmt: skip
    assert np.array_equal(ds.x.values, expected.x.values)
