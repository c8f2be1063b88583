"""The Gumbel-softmax straight-through estimator: exact forward pass, kernel vs a Python
reference, measured bias against the exact CME, the event-time pitfall, options, seeding.

The bias bounds are the ones documented in ``docs/estimators/gumbel.md``.
"""

import math

import numpy as np
import pytest

import ssagrad
from ssagrad import models
from ssagrad.backends.native import NativeBackend
from ssagrad.backends.native._gumbel import EDGE, WINDOW, binomial_derivative
from ssagrad.backends.native._rng import rng_exponential, rng_init
from ssagrad.estimators import estimate
from ssagrad.exact import exact, expectation

N = 20_000
SEED = 2024

# name: (model, params, times, documented bias bound B per time). The test allows
# relative error <= B + 3 relative standard errors (the noise of a 20 000-path run).
BIAS_CASES = {
    "telegraph": (models.telegraph(), None, [0.5, 1.0, 2.0, 5.0, 10.0], [0.1, 0.1, 0.2, 1.2, 3.0]),
    "bimolecular": (
        models.bimolecular_association(),
        None,
        [0.1, 0.5, 1.0, 2.0, 5.0],
        [0.1, 0.1, 0.1, 0.1, 0.1],
    ),
    "bimolecular_high_affinity": (
        models.bimolecular_association(),
        {"kon": 1.0, "koff": 0.05},
        [0.1, 0.5, 1.0, 2.0, 5.0],
        [0.5, 0.6, 0.25, 0.25, 0.25],
    ),
    "dimerization": (
        models.dimerization(),
        None,
        [1.0, 2.0, 5.0, 10.0, 20.0],
        [0.3, 0.2, 0.15, 0.15, 0.15],
    ),
}


@pytest.fixture(scope="module")
def runs():
    """One default-settings run and the exact reference per bias case (shared)."""
    out = {}
    for name, (model, params, times, _) in BIAS_CASES.items():
        samples = estimate(model, params, times=times, estimator="gumbel", n=N, seed=SEED)
        out[name] = (samples, exact(model, params, times=times))
    return out


def relative_errors(grad, se, reference):
    """Per time: ``|grad - exact|`` and the standard error, relative to ``|exact|``.

    Norms are Frobenius norms over (species, parameter).
    """
    n_t = reference.shape[0]
    norm = np.linalg.norm(reference.reshape(n_t, -1), axis=1)
    err = np.linalg.norm((grad - reference).reshape(n_t, -1), axis=1) / norm
    rse = np.linalg.norm(se.reshape(n_t, -1), axis=1) / norm
    return err, rse


@pytest.mark.parametrize("case", sorted(BIAS_CASES))
def test_forward_pass_is_exact(runs, case):
    """Means and second moments of the GS-ST paths agree with the CME within 4.5 se."""
    samples, ref = runs[case]
    x = samples.states.astype(float)
    mean, var = ref["mean"].values, ref["var"].values
    for values, target in ((x, mean), (x**2, var + mean**2)):
        se = values.std(axis=0, ddof=1) / math.sqrt(x.shape[0])
        err = np.abs(values.mean(axis=0) - target)
        assert np.all(err <= 4.5 * se + 1e-9), (case, err / (se + 1e-300))


@pytest.mark.parametrize("case", sorted(BIAS_CASES))
def test_bias_is_within_documented_bound(runs, case):
    samples, ref = runs[case]
    bound = np.asarray(BIAS_CASES[case][3])
    result = samples.expectation()
    err, rse = relative_errors(result.grad, result.se, ref["dmean"].values)
    assert np.all(err <= bound + 3.0 * rse), (case, err, bound + 3.0 * rse)


def test_event_time_term_is_most_of_the_gradient():
    """The stochastix-style hard lookup misses dE[M]/dkon early on; the smoothed term fixes it."""
    m, times = models.telegraph(), [1.0, 2.0]
    exact_dkon = exact(m, times=times)["dmean"].sel(species="M", parameter="kon").values
    hard = ssagrad.gradient(m, times=times, estimator="gumbel", n=N, seed=3, time_smoothing=0)
    smooth = ssagrad.gradient(m, times=times, estimator="gumbel", n=N, seed=3)
    pick = {"species": "M", "parameter": "kon"}
    hard_err = np.abs(hard.dmean.sel(pick).values - exact_dkon) / exact_dkon
    smooth_err = np.abs(smooth.dmean.sel(pick).values - exact_dkon) / exact_dkon
    assert np.all(hard_err > 0.8), hard_err
    assert np.all(smooth_err < 0.15), smooth_err


def test_single_reaction_is_unbiased_up_to_smoothing():
    """``A -> 0`` has no reaction choice: only waiting times and the event-time term act.

    ``dE[A(t)]/dg = -A0 t exp(-g t)``; with a small smoothing scale the estimate is
    unbiased to 0.5 %, with the default one to 3 % (the O(eps^2) smoothing bias).
    """
    net = ssagrad.parse("g, A --> 0")
    times = np.array([0.25, 0.5, 1.0, 2.0])
    truth = -30.0 * times * np.exp(-times)
    for smoothing, rel_tol in ((0.01, 0.005), (None, 0.03)):
        g = ssagrad.gradient(
            net,
            {"g": 1.0},
            {"A": 30},
            times,
            estimator="gumbel",
            n=N,
            seed=5,
            time_smoothing=smoothing,
        )
        est = g.dmean.values[:, 0, 0]
        se = g.dmean_se.values[:, 0, 0]
        assert np.all(np.abs(est - truth) <= 4 * se + rel_tol * np.abs(truth)), (est, truth)


def _extended_propensities(arrays, theta, x):
    """Propensities on real states: binomials as polynomials (0 below ``r - 1``), Hill laws."""
    a = np.empty(arrays.n_reactions)
    for j in range(arrays.n_reactions):
        value = 1.0
        for q in range(arrays.reactant_ptr[j], arrays.reactant_ptr[j + 1]):
            count, r = x[arrays.reactant_species[q]], int(arrays.reactant_coeff[q])
            poly = math.prod(count - i for i in range(r)) / math.factorial(r)
            value *= poly if count >= r - 1 else 0.0
        slots = arrays.rate_slots[j]
        if arrays.rate_code[j] == 0:
            value *= theta[slots[0]]
        else:
            v, big_k, n = theta[slots[0]], theta[slots[1]], theta[slots[2]]
            level = x[arrays.rate_species[j]]
            xn = level**n if level > 0 else 0.0
            top = xn if arrays.rate_code[j] == 1 else big_k**n
            value *= v * top / (big_k**n + xn)
        a[j] = value
    return a


def _reference_path(net, params, x0, times, seed, temperature, smoothing):
    """Pure-Python GS-ST with the kernel's random numbers and finite-difference derivatives."""
    arrays = net.arrays()
    theta = arrays.theta(np.asarray(params, dtype=float))
    n_p, n_s = arrays.n_parameters, arrays.n_species
    nu = arrays.stoichiometry.astype(float)
    eps = np.array([min(smoothing, t / EDGE) if t > 0 else 0.0 for t in times])
    reach = WINDOW * eps.max()
    rng = rng_init(np.uint64(seed))
    x = np.array(x0, dtype=np.int64)
    dx, dt, t, m = np.zeros((n_s, n_p)), np.zeros(n_p), 0.0, 0
    states = np.zeros((len(times), n_s), dtype=np.int64)
    tangents = np.zeros((len(times), n_s, n_p))
    events = []
    while True:
        xf = x.astype(float)
        a = _extended_propensities(arrays, theta, xf)
        da = np.empty((arrays.n_reactions, n_p))
        for p in range(n_p):  # central differences in theta
            h = 1e-6 * max(1.0, abs(theta[p]))
            up, down = theta.copy(), theta.copy()
            up[p] += h
            down[p] -= h
            da[:, p] = (
                _extended_propensities(arrays, up, xf) - _extended_propensities(arrays, down, xf)
            ) / (2 * h)
        for s in range(n_s):  # forward differences in x: right derivatives at the kinks
            step = np.zeros(n_s)
            step[s] = 1e-7
            da += np.outer((_extended_propensities(arrays, theta, xf + step) - a) / 1e-7, dx[s])
        a0 = a.sum()
        tau = rng_exponential(rng) / a0 if a0 > 0 else math.inf
        t_next = t + tau
        while m < len(times) and times[m] < t_next:
            states[m], tangents[m] = x, tangents[m] + dx
            m += 1
        if m == len(times) and not t_next - reach <= times[-1]:
            break
        dt = dt - tau * da.sum(axis=0) / a0
        keys = np.array([a[j] / rng_exponential(rng) if a[j] > 0 else 0.0 for j in range(len(a))])
        live = a > 0
        y = np.where(live, (keys / keys.max()) ** (1.0 / temperature), 0.0)
        y /= y.sum()
        dz = np.where(live[:, None], da / np.where(live, a, 1.0)[:, None], 0.0) / temperature
        dx = dx + nu.T @ (y[:, None] * (dz - y @ dz))
        chosen = int(np.argmax(keys))
        x = x + arrays.stoichiometry[chosen]
        t = t_next
        events.append((t, chosen, dt.copy()))
    for t_k, j, dt_k in events:
        for mm, t_m in enumerate(times):
            if eps[mm] > 0 and abs(t_m - t_k) <= WINDOW * eps[mm]:
                u = (t_m - t_k) / eps[mm]
                sig = 1.0 / (1.0 + math.exp(-u))
                tangents[mm] -= np.outer(nu[j], dt_k) * sig * (1 - sig) / eps[mm]
    return states, tangents


REFERENCE_CASES = {
    "telegraph": (models.telegraph().network, [0.5, 1.0, 10.0, 1.0], [1, 0, 0], [0.3, 1.0]),
    "dimerization": (models.dimerization().network, [10.0, 0.1, 0.5, 0.5], [3, 0], [0.2, 0.5]),
    "hill": (
        ssagrad.parse("hillr(P, v, K, n), 0 --> P\nhill(P, w, K, 1.0), P --> 0"),
        [10.0, 5.0, 2.0, 2.0],
        [0],
        [0.3, 1.0],
    ),
}


@pytest.mark.parametrize("case", sorted(REFERENCE_CASES))
@pytest.mark.parametrize("temperature", [1.0, 0.5])
def test_kernel_matches_python_reference(case, temperature):
    net, params, x0, times = REFERENCE_CASES[case]
    arrays = net.arrays()
    seeds = np.array([11, 12, 13], dtype=np.uint64)
    states, tangents, _, status = NativeBackend().gumbel(
        arrays,
        arrays.theta(np.asarray(params, dtype=float)),
        np.array(x0, dtype=np.int64),
        np.array(times),
        seeds,
        10_000,
        temperature,
        0.05,
    )
    assert np.all(status == 0)
    for i, seed in enumerate(seeds):
        ref_states, ref_tangents = _reference_path(
            net, params, x0, np.array(times), int(seed), temperature, 0.05
        )
        assert np.array_equal(states[i], ref_states)
        assert np.allclose(tangents[i], ref_tangents, rtol=1e-4, atol=1e-6)


def test_binomial_derivative():
    assert binomial_derivative(5, 1) == 1.0
    assert binomial_derivative(3, 2) == 2.5  # d/dx x(x-1)/2 = x - 1/2
    assert binomial_derivative(1, 2) == 0.5
    assert binomial_derivative(0, 2) == 0.0  # below r - 1 the extension is 0
    assert binomial_derivative(4, 3) == pytest.approx((3 * 16 - 6 * 4 + 2) / 6)


def test_expectation_feature_maps():
    """Directional derivatives of phi along the tangents, for any feature map."""
    samples = estimate(models.telegraph(), times=[1.0, 2.0], estimator="gumbel", n=500, seed=1)
    x, v = samples.states.astype(float), samples.tangents
    identity = samples.expectation()
    assert np.allclose(identity.grad, v.mean(axis=0), rtol=1e-8, atol=1e-10)
    square = samples.expectation(lambda s: s**2)
    assert square.contributions.shape == (500, 2, 3, 4)
    assert np.allclose(square.contributions, 2 * x[..., None] * v, rtol=1e-6, atol=1e-8)
    both = samples.expectation(lambda s: np.concatenate([s, s[..., :1] * s[..., 2:]], -1))
    assert both.grad.shape == (2, 4, 4)
    # An indicator jumps at integers, where the states are: a secant over one molecule
    # (at most |v| / 2 in size), never a 1/h blow-up.
    indicator = samples.expectation(lambda s: (s <= 3) * 1.0)
    half_size = np.abs(v).max(axis=2)[:, :, None, :] / 2
    assert np.all(np.abs(indicator.contributions) <= half_size + 1e-12)
    assert np.any(indicator.contributions != 0.0)


def test_indicator_gradient_has_the_right_sign():
    """CDF features (for W1 losses): signs right, magnitudes within a factor ~2.5."""
    m, times = models.telegraph(), [1.0, 2.0]
    samples = estimate(m, times=times, estimator="gumbel", n=N, seed=4)
    ref = exact(m, times=times)
    phi = lambda s: (s[..., 2:] <= 3) * 1.0  # noqa: E731
    result = samples.expectation(phi)
    _, dvalue = expectation(ref, lambda s: phi(s.astype(float)))
    big = np.abs(dvalue) > 0.02
    assert np.all(np.sign(result.grad[big]) == np.sign(dvalue[big]))
    ratio = result.grad[big] / dvalue[big]
    assert np.all((ratio > 0.3) & (ratio < 1.5)), ratio


@pytest.mark.parametrize("bad", [0, -1.0, float("nan"), float("inf"), "1"])
def test_temperature_must_be_positive(bad):
    with pytest.raises(ValueError, match="temperature must be > 0"):
        ssagrad.gradient(
            models.birth_death(), times=[1.0], estimator="gumbel", n=10, seed=1, temperature=bad
        )


@pytest.mark.parametrize("bad", [-0.1, float("nan"), "auto"])
def test_time_smoothing_is_checked(bad):
    with pytest.raises(ValueError, match="time_smoothing must be None or a finite number"):
        ssagrad.gradient(
            models.birth_death(), times=[1.0], estimator="gumbel", n=10, seed=1, time_smoothing=bad
        )


def test_max_events_raises():
    with pytest.raises(RuntimeError, match="hit max_events=5"):
        ssagrad.gradient(
            models.birth_death(),
            times=[5.0],
            estimator="gumbel",
            n=10,
            seed=1,
            time_smoothing=0.1,
            max_events=5,
        )


def test_reproducible_across_threads():
    kwargs = dict(times=[0.5, 2.0], estimator="gumbel", n=300, seed=9)
    one = ssagrad.gradient(models.dimerization(), threads=1, **kwargs)
    two = ssagrad.gradient(models.dimerization(), threads=2, **kwargs)
    again = ssagrad.gradient(models.dimerization(), threads=2, **kwargs)
    assert np.array_equal(one.x.values, two.x.values)
    assert np.array_equal(one.tangent.values, two.tangent.values)
    assert np.array_equal(two.dmean.values, again.dmean.values)
    assert one.tangent.dims == ("sample", "time", "species", "parameter")


def test_time_zero_has_no_tangent():
    g = ssagrad.gradient(models.telegraph(), times=[0.0, 1.0], estimator="gumbel", n=200, seed=2)
    assert np.all(g.tangent.isel(time=0).values == 0.0)
    assert np.all(g.x.isel(time=0).values == [1, 0, 0])
