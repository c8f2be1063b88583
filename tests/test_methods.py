"""Every exact SSA method against the master equation, a large lattice, and reproducibility."""

import numpy as np
import pytest
from scipy.linalg import expm

import ssagrad
from ssagrad import models
from ssagrad.exact import exact, marginal
from ssagrad.simulate import AUTO_DIRECT_MAX_REACTIONS, auto_method

METHODS = ("sorting", "nrm", "cr")
N = 4000
CASES = {
    "dimerization": (models.dimerization(), [0.5, 2.0, 10.0], None),
    "telegraph": (models.telegraph(), [0.5, 2.0, 10.0], None),
    "bimolecular_high_affinity": (
        models.bimolecular_association(),
        [0.1, 1.0, 5.0],
        {"kon": 1.0, "koff": 0.05},
    ),
    # Hill laws take the general propensity path of every method.
    "hill_feedback": (
        ssagrad.models.Model(
            "hill_feedback",
            ssagrad.parse("hillr(P, v, K, n), 0 --> P\ng, P --> 0"),
            {"v": 20.0, "K": 8.0, "n": 2.0, "g": 1.0},
            {},
            5.0,
        ),
        [0.5, 5.0],
        None,
    ),
}


def _z_scores(x: np.ndarray, mean: np.ndarray, var: np.ndarray) -> float:
    return float(np.abs((x.mean(0) - mean) / np.sqrt(np.maximum(var, 1e-12) / x.shape[0])).max())


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("case", sorted(CASES))
def test_method_matches_master_equation(method, case, chi_square_pvalue):
    model, times, params = CASES[case]
    params = params or model.params
    sim = ssagrad.simulate(model, params, times=times, n=N, seed=11, method=method)
    ref = exact(model, params, times=times)
    x = sim.x.values.astype(float)
    assert _z_scores(x, ref["mean"].values, ref["var"].values) < 4.0
    n_tests = len(times) * len(model.network.species)
    for species in model.network.species:
        dist = marginal(ref, species)
        for m in range(len(times)):
            samples = sim.x.sel(species=species).isel(time=m).values
            pvalue = chi_square_pvalue(samples, dist.isel(time=m).values)
            assert pvalue > 1e-3 / n_tests, (species, times[m], pvalue)


def _lattice_reference(model: models.Model, t: float) -> tuple[np.ndarray, np.ndarray]:
    """Mean and variance of every site: independent walkers, binomial occupation."""
    sites = model.network.n_species
    generator = np.zeros((sites, sites))
    for i in range(sites - 1):
        generator[i, i + 1] = generator[i + 1, i] = model.params["d"]
    generator -= np.diag(generator.sum(axis=1))
    start = np.zeros(sites)
    ((name, count),) = model.x0.items()
    start[model.network.species.index(name)] = 1.0
    p = start @ expm(generator * t)
    return count * p, count * p * (1 - p)


@pytest.mark.parametrize("method", ("direct", *METHODS))
def test_lattice_of_400_reactions_matches_the_walkers(method):
    """Many reactions and propensities that change groups often (cr) or clocks (nrm)."""
    model = models.diffusion_lattice(400, molecules=60, rate=2.0)
    sim = ssagrad.simulate(model, times=[0.5, 3.0], n=1500, seed=5, method=method)
    x = sim.x.values.astype(float)
    for m, t in enumerate((0.5, 3.0)):
        mean, var = _lattice_reference(model, t)
        assert _z_scores(x[:, m], mean, var) < 4.6  # 201 sites x 2 times
    assert (x.sum(axis=2) == 60).all()


def test_wrong_method_fails_the_lattice_check():
    """The lattice check has power: a 20 % faster hop rate is rejected."""
    model = models.diffusion_lattice(400, molecules=60, rate=2.0)
    sim = ssagrad.simulate(model, {"d": 2.4}, times=[0.5], n=1500, seed=5, method="cr")
    mean, var = _lattice_reference(model, 0.5)
    assert _z_scores(sim.x.values[:, 0].astype(float), mean, var) > 6.0


@pytest.mark.parametrize("method", METHODS)
def test_method_reproducible_per_seed_and_thread_count(method):
    model = models.multistate()
    times = np.linspace(0, 2, 5)
    a = ssagrad.simulate(model, times=times, n=33, seed=4, method=method, threads=1)
    b = ssagrad.simulate(model, times=times, n=33, seed=4, method=method, threads=2)
    np.testing.assert_array_equal(a.x.values, b.x.values)
    np.testing.assert_array_equal(a.events.values, b.events.values)
    c = ssagrad.simulate(model, times=times, n=10, seed=4, method=method)
    np.testing.assert_array_equal(a.x.values[:10], c.x.values)
    assert a.attrs["method"] == method


def test_max_events_caps_every_method():
    net = ssagrad.parse("k, A --> 2A")
    for method in METHODS:
        ds = ssagrad.simulate(
            net,
            {"k": 5.0},
            {"A": 10},
            [100.0],
            n=3,
            seed=1,
            max_events=500,
            method=method,
            on_max_events="flag",
        )
        assert ds.truncated.all() and (ds.events == 500).all()


def test_auto_rule_is_recorded():
    engine = ssagrad.backends.get_backend()
    assert auto_method(AUTO_DIRECT_MAX_REACTIONS, engine) == "direct"
    assert auto_method(AUTO_DIRECT_MAX_REACTIONS + 1, engine) == "nrm"
    small = ssagrad.simulate(models.telegraph(), times=[1.0], n=2, seed=1, method="auto")
    large = ssagrad.simulate(models.diffusion_lattice(200), times=[0.1], n=2, seed=1, method="auto")
    assert (small.attrs["method"], large.attrs["method"]) == ("direct", "nrm")


def test_unknown_method_names_the_choices():
    with pytest.raises(ValueError, match="unknown method 'gillespie'.*sorting, nrm, cr"):
        ssagrad.simulate(models.telegraph(), times=[1.0], method="gillespie")
