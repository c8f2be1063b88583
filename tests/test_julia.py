"""The Julia side: static checks of julia/ (always), the Julia test-suite and a Python<->Julia
comparison (only with a Julia executable), and juliacall never imported by accident."""

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from ssagrad import models
from ssagrad.backends.julia import (
    from_julia,
    julia_executable,
    network_arguments,
    unavailable_reason,
)

ROOT = Path(__file__).resolve().parents[1]
JULIA_FILES = sorted((ROOT / "julia").rglob("*.jl"))
NO_JULIA = "no Julia executable: set PYTHON_JULIACALL_EXE or put julia on PATH"


def _fatou() -> str:
    fatou = shutil.which("fatou")
    if fatou is None:
        pytest.skip("the fatou command is missing: pip install -e '.[test]' (test extras)")
    return fatou


def _julia() -> str:
    julia = julia_executable()
    if julia is None:
        pytest.skip(NO_JULIA)
    return julia


# --- static checks: always ---------------------------------------------------------------


def test_julia_package_files_exist():
    assert (ROOT / "julia" / "src" / "SSAGrad.jl").is_file()
    assert (ROOT / "julia" / "test" / "runtests.jl").is_file()
    assert len(JULIA_FILES) >= 3


@pytest.mark.parametrize("path", JULIA_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_fatou_parses_every_julia_file(path):
    # `fatou parse` exits 0 even on syntax errors: they are reported as diagnostics on stderr.
    result = subprocess.run(
        [_fatou(), "parse", "--to", "sexpr", str(path)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert "diagnostic" not in result.stderr, result.stderr


def test_fatou_lint_is_clean():
    result = subprocess.run(
        [_fatou(), "lint", *map(str, JULIA_FILES)], capture_output=True, text=True, cwd=ROOT
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_julia_projects_agree():
    tomllib = pytest.importorskip("tomllib")
    package = tomllib.loads((ROOT / "julia" / "Project.toml").read_text())
    environment = tomllib.loads((ROOT / "Project.toml").read_text())
    assert package["name"] == "SSAGrad"
    assert "name" not in environment  # the root is an environment, not a package
    assert environment["deps"]["SSAGrad"] == package["uuid"]
    assert environment["sources"]["SSAGrad"] == {"path": "julia"}
    assert package["deps"]["JumpProcesses"] == environment["deps"]["JumpProcesses"]
    assert set(package["compat"]) >= {"julia", *package["deps"]}


# --- the Python side of the boundary: no Julia needed ------------------------------------


def test_network_arguments_are_one_based():
    net = models.birth_death().network
    arrays = net.arrays()
    args = network_arguments(arrays)
    assert args["n_species"] == net.n_species
    assert args["reactant_ptr"].tolist() == (arrays.reactant_ptr + 1).tolist() == [1, 1, 2]
    assert args["rate_species"].tolist() == [0, 0]  # -1 ("none") becomes 0
    assert args["rate_slots"].tolist() == [[1, 0, 0], [2, 0, 0]]
    assert args["dependency_index"].tolist() == [2, 2]
    # values that are not indices pass unchanged
    assert args["change_delta"].tolist() == arrays.change_delta.tolist()
    assert args["reactant_coeff"].tolist() == arrays.reactant_coeff.tolist()
    assert args["rate_code"].tolist() == arrays.rate_code.tolist()
    assert all(a.dtype == np.int64 for a in args.values() if isinstance(a, np.ndarray))


def test_julia_arrays_come_back_in_contract_order():
    # A Julia S x T x N array is seen by NumPy as Fortran-ordered with that shape.
    contract = np.arange(2 * 3 * 4, dtype=np.int64).reshape(2, 3, 4)  # (N, T, S)
    julia_view = np.asfortranarray(contract.transpose())  # (S, T, N), same values
    back = from_julia(julia_view, np.int64)
    assert back.shape == (2, 3, 4) and back.flags.c_contiguous
    assert np.array_equal(back, contract)


def test_julia_executable_follows_the_environment(tmp_path, monkeypatch):
    fake = tmp_path / "julia"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    for variable in ("PYTHON_JULIACALL_EXE", "PYTHON_JULIAPKG_EXE"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert julia_executable() is None
    reason = unavailable_reason()
    assert "PYTHON_JULIACALL_EXE" in reason and "no julia on PATH" in reason

    monkeypatch.setenv("PATH", str(tmp_path))
    assert julia_executable() == str(fake)
    monkeypatch.setenv("PYTHON_JULIACALL_EXE", "@default")
    assert julia_executable() == str(fake)
    monkeypatch.setenv("PYTHON_JULIAPKG_EXE", str(tmp_path / "missing"))
    assert julia_executable() == str(fake)  # PYTHON_JULIACALL_EXE comes first
    monkeypatch.delenv("PYTHON_JULIACALL_EXE")
    assert julia_executable() is None  # a configured path that is not there
    assert "PYTHON_JULIAPKG_EXE=" in unavailable_reason()


def test_unavailable_reason_names_juliacall(monkeypatch):
    if importlib.util.find_spec("juliacall") is not None:
        pytest.skip("juliacall is installed here")
    assert "pip install 'ssagrad[julia]'" in unavailable_reason()


def test_importing_ssagrad_never_imports_juliacall():
    script = textwrap.dedent(
        """
        import sys
        import ssagrad
        from ssagrad.backends.julia import julia_executable, unavailable_reason
        julia_executable()
        unavailable_reason()
        ssagrad.available_backends()
        print(sorted(name for name in ("juliacall", "juliapkg") if name in sys.modules))
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


# --- with a Julia executable only --------------------------------------------------------


@pytest.mark.slow
def test_julia_test_suite():
    julia = _julia()
    command = 'import Pkg; Pkg.instantiate(); Pkg.test(julia_args = ["--threads=4"])'
    result = subprocess.run(
        [julia, "--startup-file=no", f"--project={ROOT / 'julia'}", "-e", command],
        capture_output=True,
        text=True,
        timeout=3600,
    )
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-5000:]


_BIRTH_DEATH_RUN = """
import json
import ssagrad
m = ssagrad.models.birth_death()
times = [0.5, 1.0, 2.0, 5.0]
ds = ssagrad.simulate(m, times=times, n=4000, seed={seed})
g = ssagrad.gradient(m, times=times, estimator="score", n=4000, seed={seed})
x = ds.x.values[:, :, 0].astype(float)
print(json.dumps({{
    "backend": ds.attrs["backend"],
    "mean": x.mean(0).tolist(),
    "var": x.var(0, ddof=1).tolist(),
    "dmean": g.dmean.values[:, 0, :].tolist(),
    "dmean_se": g.dmean_se.values[:, 0, :].tolist(),
}}))
"""


def _run_backend(backend: str, seed: int) -> dict:
    env = dict(os.environ, SSAGRAD_BACKEND=backend)
    result = subprocess.run(
        [sys.executable, "-c", _BIRTH_DEATH_RUN.format(seed=seed)],
        capture_output=True,
        text=True,
        env=env,
        timeout=3600,
    )
    assert result.returncode == 0, result.stderr[-5000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_julia_backend_agrees_with_native_in_distribution():
    _julia()
    if importlib.util.find_spec("juliacall") is None:
        pytest.skip("juliacall is not installed: pip install 'ssagrad[julia]'")
    n, times, k, g = 4000, np.array([0.5, 1.0, 2.0, 5.0]), 10.0, 1.0
    exact_mean = k / g * (1 - np.exp(-g * times))
    exact_dmean = np.stack(
        [
            (1 - np.exp(-g * times)) / g,
            -k / g**2 * (1 - np.exp(-g * times)) + k * times * np.exp(-g * times) / g,
        ],
        axis=1,
    )
    julia, native = _run_backend("julia", seed=7), _run_backend("native", seed=8)
    assert julia["backend"] == "julia" and native["backend"] == "native"
    for run in (julia, native):
        mean = np.array(run["mean"])
        assert np.all(np.abs(mean - exact_mean) <= 4 * np.sqrt(exact_mean / n))
        assert np.all(np.abs(np.array(run["var"]) - exact_mean) <= 0.1 * exact_mean + 0.2)
        dmean, se = np.array(run["dmean"]), np.array(run["dmean_se"])
        assert np.all(np.abs(dmean - exact_dmean) <= 4 * se + 1e-9)
    # The two backends against each other: independent samples of the same law.
    difference = np.array(julia["mean"]) - np.array(native["mean"])
    se = np.sqrt((np.array(julia["var"]) + np.array(native["var"])) / n)
    assert np.all(np.abs(difference) <= 4.5 * se)
