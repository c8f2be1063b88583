"""The exact reference (finite state projection) against closed forms and independent solves."""

import json

import numpy as np
import pytest
import scipy.linalg
import scipy.stats

import ssagrad
from ssagrad import models
from ssagrad.exact import _propensities, exact, expectation, marginal
from ssagrad.inputs import parameter_vector

BIRTH_DEATH = ssagrad.parse("k, 0 --> A\ng, A --> 0")
HILLR = ssagrad.parse("hillr(P, v, K, n), 0 --> P\nd, P --> 0")
# Both Hill kinds, K shared by two reactions, a literal Hill exponent.
HILL_MIXED = ssagrad.parse(
    """
    hillr(P, v, K, n), 0 --> P
    hill(P, w, K, 2), 0 --> P
    b, 0 --> P
    d, P --> 0
    """
)


def finite_difference(net, params, x0, times, bounds, rel=1e-5):
    """Central differences of mean and variance, (T, S, P), at fixed bounds."""
    columns = []
    for name in net.parameters:
        h = rel * params[name]
        up = exact(net, {**params, name: params[name] + h}, x0, times, bounds)
        down = exact(net, {**params, name: params[name] - h}, x0, times, bounds)
        columns.append([(up[v].values - down[v].values) / (2 * h) for v in ("mean", "var")])
    mean = np.stack([c[0] for c in columns], axis=-1)
    var = np.stack([c[1] for c in columns], axis=-1)
    return mean, var


def test_birth_death_mean_poisson_and_derivatives():
    k, g = 6.0, 0.7
    times = np.array([0.0, 0.3, 1.0, 2.5, 6.0])
    ds = exact(BIRTH_DEATH, {"k": k, "g": g}, {"A": 0}, times)
    decay = np.exp(-g * times)
    mean = k / g * (1 - decay)
    np.testing.assert_allclose(ds["mean"].sel(species="A"), mean, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(ds["var"].sel(species="A"), mean, rtol=1e-8, atol=1e-12)
    dmean = ds["dmean"].sel(species="A")
    np.testing.assert_allclose(dmean.sel(parameter="k"), (1 - decay) / g, rtol=1e-9, atol=1e-12)
    dg = -k / g**2 * (1 - decay) + k / g * times * decay
    np.testing.assert_allclose(dmean.sel(parameter="g"), dg, rtol=1e-8, atol=1e-12)
    # Poisson(mean(t)) at every time; the initial distribution at t = 0.
    dist = marginal(ds, "A")
    counts = dist["count"].values
    for i, m in enumerate(mean):
        np.testing.assert_allclose(
            dist.values[i], scipy.stats.poisson.pmf(counts, m), rtol=1e-7, atol=1e-12
        )
    np.testing.assert_array_equal(ds["states"].values[0], [0])
    assert ds["p"].values[0, 0] == 1.0 and not ds["dp"].values[0].any()


def test_probability_is_conserved_between_states_and_sink():
    ds = exact(models.telegraph(), times=[0.5, 3.0])
    total = ds["p"].sum("state") + ds["leak"]
    np.testing.assert_allclose(total, 1.0, atol=1e-12)
    np.testing.assert_allclose(ds["dp"].sum("state"), 0.0, atol=1e-9)


def test_telegraph_steady_state_mean_and_fano():
    m = models.telegraph()
    ds = exact(m, times=[30.0])
    kon, koff, ktx, kdeg = (m.params[p] for p in ("kon", "koff", "ktx", "kdeg"))
    mean = ktx * kon / (kdeg * (kon + koff))
    fano = 1 + ktx * koff / ((kon + koff) * (kon + koff + kdeg))
    got_mean = float(ds["mean"].sel(species="M")[0])
    got_var = float(ds["var"].sel(species="M")[0])
    assert got_mean == pytest.approx(mean, rel=1e-8)
    assert got_var / got_mean == pytest.approx(fano, rel=1e-8)
    # Conservation bounds the gene: only the mRNA bound was widened.
    bounds = json.loads(ds.attrs["bounds"])
    assert bounds["Goff"] == bounds["Gon"] == 20 and bounds["M"] > 20
    assert ds.attrs["n_states"] == 2 * (bounds["M"] + 1)
    assert float(ds["leak"][0]) < 1e-8


def test_telegraph_derivatives_match_finite_differences():
    m = models.telegraph()
    params = {"kon": 0.7, "koff": 1.3, "ktx": 8.0, "kdeg": 0.9}
    times = [0.4, 1.5]
    ds = exact(m.network, params, m.x0, times)
    bounds = json.loads(ds.attrs["bounds"])
    fd_mean, fd_var = finite_difference(m.network, params, m.x0, times, bounds)
    np.testing.assert_allclose(ds["dmean"].values, fd_mean, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(ds["dvar"].values, fd_var, rtol=1e-5, atol=1e-7)
    assert np.abs(ds["dmean"].sel(species="M")).min() > 0.01  # all four matter


def dense_association(kon, koff, total, times):
    """E[C](t) for A + B <-> C from A = B = total by a dense matrix exponential."""
    c = np.arange(total + 1)
    up = kon * (total - c) ** 2
    down = koff * c
    generator = np.diag(-(up + down)) + np.diag(up[:-1], -1) + np.diag(down[1:], 1)
    p0 = np.zeros(total + 1)
    p0[0] = 1.0
    return np.array([scipy.linalg.expm(generator * t) @ p0 @ c for t in times])


def test_bimolecular_association_against_dense_expm():
    m = models.bimolecular_association()
    times = [0.1, 0.5, 2.0]
    ds = exact(m, times=times)
    assert ds.attrs["n_states"] == 21
    kon, koff = m.params["kon"], m.params["koff"]
    mean_c = dense_association(kon, koff, 20, times)
    np.testing.assert_allclose(ds["mean"].sel(species="C"), mean_c, rtol=1e-10)
    np.testing.assert_allclose(ds["mean"].sel(species="A"), 20 - mean_c, rtol=1e-10)
    assert not ds["leak"].any()
    h = 1e-6
    fd_kon = (
        dense_association(kon + h, koff, 20, times) - dense_association(kon - h, koff, 20, times)
    ) / (2 * h)
    np.testing.assert_allclose(ds["dmean"].sel(species="C", parameter="kon"), fd_kon, rtol=1e-6)


@pytest.mark.parametrize(
    ("net", "params"),
    [
        (HILLR, {"v": 12.0, "K": 5.0, "n": 2.5, "d": 0.8}),
        (HILL_MIXED, {"v": 6.0, "K": 4.0, "n": 1.5, "w": 5.0, "b": 0.5, "d": 1.1}),
    ],
)
def test_hill_derivatives_match_finite_differences(net, params):
    times = [0.5, 2.0]
    ds = exact(net, params, {"P": 0}, times)
    bounds = json.loads(ds.attrs["bounds"])
    fd_mean, fd_var = finite_difference(net, params, {"P": 0}, times, bounds)
    np.testing.assert_allclose(ds["dmean"].values, fd_mean, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(ds["dvar"].values, fd_var, rtol=1e-5, atol=1e-7)
    assert np.abs(ds["dmean"].values[-1]).min() > 1e-3


def test_propensities_agree_with_the_native_kernel():
    from ssagrad.backends.native import kernel_network
    from ssagrad.backends.native._propensity import propensity_gradient

    net = ssagrad.parse(
        """
        hillr(P, v, K, n), 0 --> P
        hill(P, w, K, 2), A --> P
        k, 2A + P --> 3A
        """
    )
    arrays = net.arrays()
    theta = arrays.theta(parameter_vector(net, [6.0, 4.0, 1.5, 5.0, 0.3]))
    states = np.array([[a, p] for a in range(5) for p in range(6)], dtype=np.int64)
    rates, drates = _propensities(states, arrays, theta, net)
    kernel = kernel_network(arrays, theta)
    grad = np.empty(theta.size)
    for i, x in enumerate(states):
        for j in range(arrays.n_reactions):
            assert rates[i, j] == pytest.approx(propensity_gradient(j, x, theta, kernel, grad))
            np.testing.assert_allclose(drates[i, j], grad[: arrays.n_parameters], atol=1e-12)


def test_derivative_at_zero_rate():
    # With k = 0 the births never happen, yet d mean / dk is (1 - exp(-g t)) / g.
    g, times = 0.5, np.array([1.0, 4.0])
    ds = exact(BIRTH_DEATH, {"k": 0.0, "g": g}, {"A": 5}, times)
    np.testing.assert_allclose(ds["mean"].sel(species="A"), 5 * np.exp(-g * times), rtol=1e-9)
    np.testing.assert_allclose(
        ds["dmean"].sel(species="A", parameter="k"), (1 - np.exp(-g * times)) / g, rtol=1e-8
    )


def test_expectation_reproduces_moments():
    ds = exact(models.telegraph(), times=[1.0, 2.0])
    value, dvalue = expectation(ds, lambda x: np.column_stack([x, x[:, 2] ** 2]))
    assert value.shape == (2, 4) and dvalue.shape == (2, 4, 4)
    np.testing.assert_allclose(value[:, :3], ds["mean"].values, rtol=1e-12)
    np.testing.assert_allclose(dvalue[:, :3], ds["dmean"].values, rtol=1e-12, atol=1e-14)
    m = ds["mean"].sel(species="M").values
    np.testing.assert_allclose(value[:, 3] - m**2, ds["var"].sel(species="M"), rtol=1e-10)
    with pytest.raises(ValueError, match="phi must map"):
        expectation(ds, lambda x: x[:, 0])


def test_marginal_sums_to_one_minus_leak():
    ds = exact(models.telegraph(), times=[0.0, 2.0], bounds={"M": 8})
    dist = marginal(ds, "M")
    assert dist.dims == ("time", "count") and dist["count"].values.tolist() == list(range(9))
    np.testing.assert_allclose(dist.sum("count"), 1 - ds["leak"], atol=1e-12)
    gene = marginal(ds, "Gon")
    np.testing.assert_allclose(gene.values[0], [1.0, 0.0])
    with pytest.raises(ValueError, match="unknown species 'X'"):
        marginal(ds, "X")


def test_small_manual_bounds_leak_and_automatic_bounds_do_not():
    params, times = {"k": 10.0, "g": 1.0}, [1.0, 5.0]
    small = exact(BIRTH_DEATH, params, None, times, bounds={"A": 5})
    assert small.attrs["n_states"] == 6
    assert float(small["leak"][-1]) > 0.5
    assert np.all(np.diff(small["leak"].values) >= 0)
    auto = exact(BIRTH_DEATH, params, None, times, tol=1e-10)
    assert float(auto["leak"][-1]) < 1e-10


def test_automatic_bounds_that_need_too_many_states_are_refused():
    birth = ssagrad.parse("k, 0 --> A")
    with pytest.raises(ValueError, match=r"too large.*leak .* >= tol=1e-08 by t=10"):
        exact(birth, {"k": 100.0}, None, [10.0], max_states=100)
    # Manual bounds accept the leak they cause.
    ds = exact(birth, {"k": 100.0}, None, [10.0], bounds={"A": 99}, max_states=100)
    assert ds.attrs["n_states"] == 100 and float(ds["leak"][0]) > 0.99


def test_model_defaults_give_21_times():
    ds = exact(models.birth_death())
    assert ds.sizes["time"] == 21 and ds["time"].values[-1] == 5.0
    assert json.loads(ds.attrs["params"]) == {"k": 10.0, "g": 1.0}
    assert ds["dp"].dims == ("time", "state", "parameter")


@pytest.mark.parametrize("bounds", [None, {"I": 999, "R": 999}])
def test_too_many_states_is_refused(bounds):
    with pytest.raises(ValueError, match="too large for the exact solver") as err:
        exact(models.sir(), times=[250.0], bounds=bounds, max_states=1000)
    assert "max_states=1000" in str(err.value) and "bounds=" in str(err.value)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"bounds": {"X": 5}}, "unknown species 'X' in bounds"),
        ({"bounds": {"A": -1}}, "bound of 'A' must be a non-negative integer"),
        ({"bounds": {"A": 2.5}}, "bound of 'A' must be a non-negative integer"),
        ({"bounds": {"A": True}}, "bound of 'A' must be a non-negative integer"),
        ({"x0": {"A": 4}, "bounds": {"A": 3}}, "below its initial count 4"),
        ({"params": {"k": -1.0, "g": 1.0}}, "parameter 'k'"),
        ({"params": {"k": 1.0}}, "missing value for parameter"),
        ({"x0": {"B": 1}}, "unknown species 'B' in x0"),
        ({"times": [1.0, 0.5]}, "strictly increasing"),
        ({"times": None}, "times is required"),
        ({"max_states": 0}, "max_states must be at least 1"),
        ({"tol": 0.0}, "tol must be"),
    ],
)
def test_bad_input_is_named(kwargs, message):
    args = {"params": {"k": 1.0, "g": 1.0}, "x0": None, "times": [1.0], **kwargs}
    with pytest.raises(ValueError, match=message):
        exact(BIRTH_DEATH, **args)
