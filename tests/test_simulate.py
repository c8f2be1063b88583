"""The exact SSA against the master equation, reproducibility, and bad input."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

import ssagrad
from ssagrad import models
from ssagrad.exact import exact, marginal

N = 4000
CASES = {
    "dimerization": (models.dimerization(), [0.5, 2.0, 10.0]),
    "telegraph": (models.telegraph(), [0.5, 2.0, 10.0]),
    "bimolecular_association": (models.bimolecular_association(), [0.2, 1.0, 5.0]),
    "bimolecular_high_affinity": (models.bimolecular_association(), [0.1, 1.0, 5.0]),
}
PARAMS = {"bimolecular_high_affinity": {"kon": 1.0, "koff": 0.05}}


def _moments_agree(sim, ref, n):
    """z-scores of the simulated mean and variance against the exact distribution."""
    x = sim.x.values.astype(float)  # (sample, time, species)
    mean, var = x.mean(0), x.var(0, ddof=1)
    states = ref.states.values.astype(float)  # (state, species)
    p = ref.p.values  # (time, state)
    centred = states[None, :, :] - ref["mean"].values[:, None, :]
    mu4 = np.einsum("ts,tsk->tk", p, centred**4)
    exact_var = ref["var"].values
    z_mean = (mean - ref["mean"].values) / np.sqrt(np.maximum(exact_var, 1e-12) / n)
    se_var = np.sqrt(np.maximum(mu4 - exact_var**2, 1e-12) / n)
    z_var = (var - exact_var) / se_var
    return np.abs(z_mean).max(), np.abs(z_var).max()


@pytest.mark.parametrize("case", sorted(CASES))
def test_direct_method_matches_master_equation(case, chi_square_pvalue):
    model, times = CASES[case]
    params = PARAMS.get(case, model.params)
    sim = ssagrad.simulate(model, params, times=times, n=N, seed=11)
    ref = exact(model, params, times=times)
    z_mean, z_var = _moments_agree(sim, ref, N)
    assert z_mean < 4.0 and z_var < 4.0, (z_mean, z_var)
    # goodness of fit of every species' marginal at every time (Bonferroni over the tests)
    n_tests = len(times) * len(model.network.species)
    for species in model.network.species:
        dist = marginal(ref, species)
        for m, _ in enumerate(times):
            samples = sim.x.sel(species=species).isel(time=m).values
            pvalue = chi_square_pvalue(samples, dist.isel(time=m).values)
            assert pvalue > 1e-3 / n_tests, (species, times[m], pvalue)


def test_goodness_of_fit_detects_wrong_rates(chi_square_pvalue):
    """The distribution test has power: a 15 % change in ktx is rejected."""
    model = models.telegraph()
    wrong = dict(model.params, ktx=model.params["ktx"] * 1.15)
    sim = ssagrad.simulate(model, wrong, times=[10.0], n=N, seed=3)
    dist = marginal(exact(model, times=[10.0]), "M")
    assert chi_square_pvalue(sim.x.sel(species="M").values[:, 0], dist.values[0]) < 1e-6


@pytest.mark.parametrize("case", ["dimerization", "telegraph"])
def test_tau_leaping_within_documented_tolerance(case):
    """Tau-leaping (dt = horizon/1000): means within 3 % + 4 se, variances within 10 % + 4 se."""
    model, times = CASES[case]
    sim = ssagrad.simulate(model, times=times, n=N, seed=5, method="tau")
    ref = exact(model, times=times)
    x = sim.x.values.astype(float)
    mean_err = np.abs(x.mean(0) - ref["mean"].values)
    se = np.sqrt(ref["var"].values / N)
    assert np.all(mean_err <= 0.03 * np.abs(ref["mean"].values) + 4 * se)
    var_err = np.abs(x.var(0, ddof=1) - ref["var"].values)
    assert np.all(var_err <= 0.10 * ref["var"].values + 4 * ref["var"].values * np.sqrt(2 / N))
    assert (x >= 0).all()


def test_tau_leaping_guard_keeps_counts_non_negative():
    """Fast decay with a coarse step would overshoot below zero without the guard."""
    net = ssagrad.parse("k, A --> 0")
    sim = ssagrad.simulate(
        net, {"k": 50.0}, {"A": 5}, [0.1, 0.2, 1.0], n=500, seed=2, method="tau", dt=0.1
    )
    assert sim.x.values.min() >= 0


def test_same_seed_bit_identical_across_runs_and_threads():
    model = models.telegraph()
    times = np.linspace(0, 5, 11)
    a = ssagrad.simulate(model, times=times, n=301, seed=42, threads=1)
    b = ssagrad.simulate(model, times=times, n=301, seed=42, threads=2)
    c = ssagrad.simulate(model, times=times, n=301, seed=42)
    np.testing.assert_array_equal(a.x.values, b.x.values)
    np.testing.assert_array_equal(a.x.values, c.x.values)
    np.testing.assert_array_equal(a.events.values, b.events.values)
    d = ssagrad.simulate(model, times=times, n=301, seed=43)
    assert not np.array_equal(a.x.values, d.x.values)
    tau1 = ssagrad.simulate(model, times=times, n=64, seed=1, method="tau", threads=1)
    tau2 = ssagrad.simulate(model, times=times, n=64, seed=1, method="tau", threads=2)
    np.testing.assert_array_equal(tau1.x.values, tau2.x.values)


def test_prefix_of_larger_ensemble_is_the_smaller_ensemble():
    model = models.birth_death()
    small = ssagrad.simulate(model, times=[1, 2], n=10, seed=9)
    large = ssagrad.simulate(model, times=[1, 2], n=50, seed=9)
    np.testing.assert_array_equal(small.x.values, large.x.values[:10])


def test_result_layout_and_attrs(tmp_path):
    model = models.telegraph()
    ds = ssagrad.simulate(model, times=[0, 1, 2], n=5, seed=7)
    assert ds.x.dims == ("sample", "time", "species")
    assert ds.x.dtype == np.int64
    assert list(ds.species.values) == ["Goff", "Gon", "M"]
    assert json.loads(ds.attrs["params"]) == model.params
    assert json.loads(ds.attrs["x0"]) == {"Goff": 1, "Gon": 0, "M": 0}
    assert ds.attrs["seed"] == "7" and ds.attrs["method"] == "direct"
    assert ds.attrs["backend"] == "native" and ds.attrs["ssagrad_version"] == ssagrad.__version__
    np.testing.assert_array_equal(ds.x.isel(time=0).values, [[1, 0, 0]] * 5)
    path = tmp_path / "out.nc"
    ds.to_netcdf(path)
    import xarray as xr

    back = xr.load_dataset(path)
    np.testing.assert_array_equal(back.x.values, ds.x.values)


def test_unseeded_run_records_its_entropy_and_can_be_repeated():
    model = models.birth_death()
    first = ssagrad.simulate(model, times=[1.0], n=20)
    again = ssagrad.simulate(model, times=[1.0], n=20, seed=int(first.attrs["seed"]))
    np.testing.assert_array_equal(first.x.values, again.x.values)


def test_observation_at_exact_zero_and_absorbing_state():
    net = ssagrad.parse("k, A --> 0")
    ds = ssagrad.simulate(net, {"k": 1.0}, {"A": 3}, [0.0, 100.0], n=10, seed=1)
    assert (ds.x.values[:, 0, 0] == 3).all()
    assert (ds.x.values[:, 1, 0] == 0).all()
    assert (ds.events.values == 3).all()


BAD_INPUT = [
    (
        dict(params={"kon": 1, "koff": 1, "ktx": 1, "kdeg": 1, "zz": 1}),
        ValueError,
        "unknown parameter 'zz'",
    ),
    (dict(params={"kon": 1, "koff": 1, "ktx": 1}), ValueError, "missing value for parameter"),
    (
        dict(params={"kon": -1, "koff": 1, "ktx": 1, "kdeg": 1}),
        ValueError,
        "parameter 'kon' must be finite and non-negative",
    ),
    (
        dict(params={"kon": float("nan"), "koff": 1, "ktx": 1, "kdeg": 1}),
        ValueError,
        "parameter 'kon' must be finite",
    ),
    (
        dict(params={"kon": float("inf"), "koff": 1, "ktx": 1, "kdeg": 1}),
        ValueError,
        "parameter 'kon' must be finite",
    ),
    (
        dict(params={"kon": "1", "koff": 1, "ktx": 1, "kdeg": 1}),
        TypeError,
        "parameter 'kon' must be a real number",
    ),
    (dict(x0={"Q": 1}), ValueError, "unknown species 'Q' in x0"),
    (dict(x0={"M": 1.5}), ValueError, "initial count of 'M' must be a non-negative integer"),
    (dict(x0={"M": -1}), ValueError, "initial count of 'M' must be a non-negative integer"),
    (dict(times=[0, 2, 1]), ValueError, "times must be strictly increasing"),
    (dict(times=[1, 1]), ValueError, "times must be strictly increasing"),
    (dict(times=[-1, 1]), ValueError, "times must be non-negative"),
    (dict(times=[]), ValueError, "times is empty"),
    (dict(times=[0, float("nan")]), ValueError, "times must be finite"),
    (dict(n=0), ValueError, "n must be at least 1"),
    (dict(n=2.5), TypeError, "n must be an integer"),
    (
        dict(method="euler"),
        ValueError,
        "unknown method 'euler'; choose one of direct, sorting, nrm, cr, tau, auto",
    ),
    (dict(seed=-3), ValueError, "seed must be a non-negative integer"),
    (dict(max_events=0), ValueError, "max_events must be at least 1"),
    (dict(dt=0.0, method="tau"), ValueError, "dt must be a positive finite step"),
    (dict(backend="fortran"), ValueError, "unknown backend 'fortran'"),
]


@pytest.mark.parametrize(("kwargs", "error", "message"), BAD_INPUT)
def test_bad_input_names_the_problem(kwargs, error, message):
    model = models.telegraph()
    call = dict(times=[0.0, 1.0], n=2, seed=1)
    call.update(kwargs)
    params = call.pop("params", None)
    x0 = call.pop("x0", None)
    with pytest.raises(error, match=message):
        ssagrad.simulate(model, params, x0, **call)


def test_julia_backend_request_is_a_clear_error():
    with pytest.raises(ValueError, match="backend 'julia' is not available"):
        ssagrad.simulate(models.birth_death(), times=[1.0], backend="julia")
    assert not ssagrad.available_backends()["julia"].available


def test_runaway_population_raises_or_flags_never_hangs():
    net = ssagrad.parse("k, A --> 2A")
    with pytest.raises(RuntimeError, match=r"3 of 3 trajectories reached max_events=10000"):
        ssagrad.simulate(net, {"k": 5.0}, {"A": 10}, [100.0], n=3, seed=1, max_events=10_000)
    ds = ssagrad.simulate(
        net,
        {"k": 5.0},
        {"A": 10},
        [1.0, 100.0],
        n=3,
        seed=1,
        max_events=10_000,
        on_max_events="flag",
    )
    assert ds.truncated.values.all()
    assert (ds.events.values == 10_000).all()
    calm = ssagrad.simulate(
        net, {"k": 0.1}, {"A": 1}, [1.0], n=3, seed=1, max_events=10_000, on_max_events="flag"
    )
    assert not calm.truncated.values.any()


def test_compiled_kernels_are_cached_for_the_next_process():
    code = (
        "import ssagrad; ssagrad.simulate(ssagrad.models.birth_death(), times=[1.0], n=2, seed=1)"
    )
    env = dict(os.environ, NUMBA_DEBUG_CACHE="1")
    subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True)
    second = subprocess.run(
        [sys.executable, "-c", code], env=env, check=True, capture_output=True, text=True
    )
    lines = [line for line in second.stdout.splitlines() if "direct_ensemble" in line]
    assert any("data loaded" in line for line in lines), second.stdout[-2000:]
    assert not any("data saved" in line for line in lines), second.stdout[-2000:]


@pytest.mark.parametrize("seed", [0, 1, 7, 2**40 + 3, 2**64 + 11, 10**30])
@pytest.mark.parametrize("stream", [0, 1, 7])
def test_trajectory_seeds_are_seed_sequence_words(seed, stream):
    from ssagrad.seeding import trajectory_seeds

    key = (stream,) if stream else ()
    for n in (1, 3, 1000, 2500):
        expected = np.random.SeedSequence(seed, spawn_key=key).generate_state(n, np.uint64)
        np.testing.assert_array_equal(trajectory_seeds(seed, n, stream), expected)
