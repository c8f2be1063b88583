"""The julia backend's bridge without Julia, against a fake juliacall (tests/julia_fakes.py):
backend selection, the "no Julia", "old Julia", "not installed" and "offline" messages,
error mapping, argument marshalling into the kernel network, and results in the
contract's layout."""

import sys

import numpy as np
import pytest
from julia_fakes import encoded, fake_julia, install_fake_julia, install_fake_juliapkg

import ssagrad
from ssagrad import backends, models
from ssagrad.backends.julia import JuliaBackend, julia_project, unavailable_reason
from ssagrad.backends.julia._bridge import julia_error
from ssagrad.estimators import run_estimator
from ssagrad.estimators._problem import Problem

TIMES = [0.5, 1.0, 2.0]


@pytest.fixture
def no_julia(tmp_path, monkeypatch):
    """An environment with no Julia anywhere and the real juliacall not importable."""
    for variable in ("PYTHON_JULIACALL_EXE", "PYTHON_JULIACALL_PROJECT", "PYTHON_JULIAPKG_EXE"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.delitem(sys.modules, "juliacall", raising=False)
    return tmp_path


@pytest.fixture
def fake(tmp_path, monkeypatch):
    return install_fake_julia(monkeypatch, tmp_path)


def _problem(model=None):
    return Problem.build(model or models.telegraph(), None, None, TIMES)


# --- what is missing, and how to get it -----------------------------------------------------


def test_no_julia_says_what_is_missing_and_never_starts_juliacall(no_julia):
    reason = unavailable_reason()
    assert "no Julia executable (no julia on PATH)" in reason
    assert "does not download Julia" in reason
    assert "pip install 'ssagrad[julia]'" in reason
    assert "python -m ssagrad.backends.julia install" in reason
    for offline_piece in ("PYTHON_JULIAPKG_OFFLINE=yes", "PYTHON_JULIAPKG_EXE", "JULIA_DEPOT_PATH"):
        assert offline_piece in reason
    with pytest.raises(RuntimeError, match="no Julia executable"):
        JuliaBackend()
    assert "juliacall" not in sys.modules


def test_configured_executable_that_is_missing(no_julia, monkeypatch):
    monkeypatch.setenv("PYTHON_JULIAPKG_EXE", str(no_julia / "missing"))
    assert "PYTHON_JULIAPKG_EXE=" in unavailable_reason()
    monkeypatch.setenv("PYTHON_JULIAPKG_EXE", "@default")  # juliapkg's "the one on PATH"
    monkeypatch.setenv("PATH", str(no_julia))
    fake_julia(no_julia)
    assert "no Julia executable" not in (unavailable_reason() or "")


def test_old_julia_is_refused_with_the_bound(no_julia, monkeypatch):
    exe = fake_julia(no_julia, version="1.9.4")
    monkeypatch.setenv("PYTHON_JULIAPKG_EXE", str(exe))
    reason = unavailable_reason()
    assert "is Julia 1.9.4" in reason and "'1.10'" in reason and "juliapkg.json" in reason


def test_juliacall_exe_without_project_is_explained(no_julia, monkeypatch):
    monkeypatch.setenv("PYTHON_JULIACALL_EXE", str(fake_julia(no_julia)))
    assert "without PYTHON_JULIACALL_PROJECT" in unavailable_reason()


def _start_through_juliapkg(monkeypatch, tmp_path) -> tuple[str, list]:
    """Julia found by juliapkg (not bypassed), juliapkg unresolved: the error and its calls."""
    monkeypatch.delenv("PYTHON_JULIACALL_PROJECT")
    monkeypatch.delenv("PYTHON_JULIACALL_EXE")
    monkeypatch.setenv("PYTHON_JULIAPKG_EXE", str(fake_julia(tmp_path)))
    calls = install_fake_juliapkg(monkeypatch, resolved=False)
    with pytest.raises(RuntimeError) as error:
        JuliaBackend()
    return str(error.value), calls


def test_packages_not_installed_means_no_download(tmp_path, monkeypatch, fake):
    message, calls = _start_through_juliapkg(monkeypatch, tmp_path)
    assert "not installed in juliacall's environment /fake/julia_env" in message
    assert "python -m ssagrad.backends.julia install" in message
    assert "PYTHON_JULIAPKG_OFFLINE=yes" in message
    assert calls == [("resolve", True)]  # a dry run only
    assert fake.evaluated == []  # juliacall's Main was never used


def test_offline_skips_juliapkg_and_explains_missing_packages(tmp_path, monkeypatch):
    fake = install_fake_julia(
        monkeypatch,
        tmp_path,
        fail_import="ArgumentError: Package PoissonRandom [e409e4f3-bfea-5376-8464-"
        "e040bb5c01ab] is required but does not seem to be installed",
    )
    monkeypatch.setenv("PYTHON_JULIAPKG_OFFLINE", "yes")
    message, calls = _start_through_juliapkg(monkeypatch, tmp_path)
    assert "Julia cannot load PoissonRandom" in message
    assert "You are offline (PYTHON_JULIAPKG_OFFLINE=yes), so nothing was downloaded" in message
    assert "JULIA_DEPOT_PATH" in message
    assert calls == []  # offline: juliapkg is not even asked
    assert fake.load_path == [str(julia_project())]


def test_julia_errors_are_mapped():
    online = julia_error(
        Exception("ArgumentError: Package ForwardDiff not found in current path"), julia_project()
    )
    assert "Julia cannot load ForwardDiff" in str(online)
    assert "python -m ssagrad.backends.julia install" in str(online)
    other = julia_error(Exception("UndefVarError: `x` not defined"), julia_project())
    assert "loading SSAGrad from" in str(other) and "UndefVarError" in str(other)


# --- backend selection ----------------------------------------------------------------------


def test_selection_reports_the_reason_and_is_once_per_process(no_julia, monkeypatch):
    monkeypatch.setattr(backends, "_selected", None)
    monkeypatch.setattr(backends, "_instances", {})
    monkeypatch.delenv("SSAGRAD_BACKEND", raising=False)
    with pytest.raises(ValueError, match="backend 'julia' is not available: .*no Julia executable"):
        backends.get_backend("julia")
    assert backends.get_backend().name == "native"
    info = ssagrad.available_backends()["julia"]
    native_only = set(backends.NETWORK_FEATURES) | {"w1_score"}  # laws, events, W1 kernel
    assert not info.available
    assert set(info.capabilities) == set(backends.CAPABILITIES) - native_only
    install_fake_julia(monkeypatch, no_julia)  # usable now, but native is in use
    assert ssagrad.available_backends()["julia"].available
    with pytest.raises(ValueError, match="already in use in this process"):
        backends.get_backend("julia")


def test_selection_constructs_the_julia_backend(fake, monkeypatch):
    monkeypatch.setattr(backends, "_selected", None)
    monkeypatch.setattr(backends, "_instances", {})
    monkeypatch.setenv("SSAGRAD_BACKEND", "julia")
    engine = backends.get_backend()
    assert isinstance(engine, JuliaBackend) and engine.supports("altpath")
    assert fake.load_path == [str(julia_project())]
    assert "import SSAGrad" in fake.evaluated


# --- marshalling and results ------------------------------------------------------------------


def test_network_is_built_once_with_one_based_arrays(fake):
    engine = JuliaBackend()
    problem = _problem()
    for _ in range(2):
        engine.simulate(
            problem.arrays,
            problem.theta,
            problem.x0,
            problem.times,
            np.arange(3, dtype=np.uint64),
            "direct",
            100,
            0.1,
        )
    built = [c for c in fake.SSAGrad.calls if c[0] == "ReactionNetwork"]
    assert len(built) == 1
    arrays = problem.arrays
    kwargs = built[0][2]
    assert kwargs["reactant_ptr"].tolist() == (arrays.reactant_ptr + 1).tolist()
    assert kwargs["rate_slots"].tolist() == (arrays.rate_slots + 1).tolist()
    assert kwargs["rate_species"].min() == 0  # -1, "none", becomes 0


def test_simulate_marshals_inputs_and_returns_contract_arrays(fake):
    engine = JuliaBackend()
    problem = _problem()
    seeds = np.array([7, 8, 9, 10], dtype=np.uint64)
    states, events, status = engine.simulate(
        problem.arrays, problem.theta, problem.x0, problem.times, seeds, "tau", 50, 0.25
    )
    name, args, kwargs = fake.SSAGrad.calls[-1]
    _, theta, x0, times, passed_seeds = args
    assert theta.dtype == np.float64 and x0.dtype == np.int64 and passed_seeds.dtype == np.uint64
    assert passed_seeds.tolist() == seeds.tolist() and times.tolist() == TIMES
    assert kwargs == {"max_events": 50, "method": "tau", "dt": 0.25}
    n, t, s = 4, len(TIMES), problem.arrays.n_species
    assert states.shape == (n, t, s) and states.flags.c_contiguous
    assert states[3, 2, 1] == 321  # the digits are the (N, T, S) index: the axes came back
    assert events.tolist() == [0, 1, 2, 3] and status.dtype == np.int64
    given = np.zeros((n, t, s), dtype=np.int64)  # e.g. a chunk of a shared file
    into = engine.simulate(
        problem.arrays, problem.theta, problem.x0, problem.times, seeds, "tau", 50, 0.25, given
    )[0]
    assert into is given and (given == states).all()


def test_ssa_methods_run_jumpprocesses_aggregators(fake):
    engine = JuliaBackend()
    problem = _problem()
    for method, aggregator in (
        ("sorting", "SortingDirect()"),
        ("nrm", "NRM()"),
        ("cr", "DirectCR()"),
    ):
        engine.simulate(
            problem.arrays,
            problem.theta,
            problem.x0,
            problem.times,
            np.arange(2, dtype=np.uint64),
            method,
            10,
            1.0,
        )
        assert fake.SSAGrad.calls[-1][2] == {"max_events": 10, "aggregator": aggregator}
    assert fake.evaluated.count("import JumpProcesses") == 3  # loaded on first use of each
    with pytest.raises(ValueError, match="unknown method"):
        engine.simulate(
            problem.arrays,
            problem.theta,
            problem.x0,
            problem.times,
            np.arange(2, dtype=np.uint64),
            "nope",
            10,
            1.0,
        )


@pytest.mark.parametrize("estimator", ["score", "gumbel", "altpath", "cfd", "fd", "smoothing"])
def test_every_estimator_runs_through_the_bridge(fake, estimator):
    engine = JuliaBackend()
    problem = _problem(models.birth_death())
    options = {"time_smoothing": 0.1} if estimator == "gumbel" else {}
    samples = run_estimator(problem, engine, estimator, 5, 1, **options)
    result = samples.expectation()
    assert result.grad.shape == (len(TIMES), 1, 2)
    kernels = {c[0] for c in fake.SSAGrad.calls} - {"ReactionNetwork"}
    expected = {
        "score": "simulate_score",
        "gumbel": "simulate_gumbel",
        "altpath": "simulate_altpath",
        "cfd": "simulate_coupled",
    }
    assert expected.get(estimator, "simulate") in kernels


def test_coupled_passes_one_column_per_perturbation(fake):
    engine = JuliaBackend()
    problem = _problem()
    plus = np.stack([problem.theta * 1.1, problem.theta * 1.2])  # (D, P + L)
    x_plus, x_minus, _, status = engine.coupled(
        problem.arrays,
        plus,
        plus * 0.9,
        problem.x0,
        problem.times,
        np.arange(3, dtype=np.uint64),
        9,
    )
    _, args, kwargs = fake.SSAGrad.calls[-1]
    assert args[1].shape == (plus.shape[1], 2) and np.array_equal(args[1], plus.T)
    assert np.allclose(args[2], (plus * 0.9).T) and kwargs == {"max_events": 9}
    assert x_plus.shape == (3, len(TIMES), problem.arrays.n_species, 2)
    assert x_plus[2, 1, 0, 1] == encoded((2, 3, 3, 3))[1, 0, 1, 2]


def test_threads_warn_when_they_differ(fake):
    engine = JuliaBackend()
    engine.set_threads(None)
    engine.set_threads(2)
    with pytest.warns(RuntimeWarning, match="PYTHON_JULIACALL_THREADS=3"):
        engine.set_threads(3)
