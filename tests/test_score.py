"""The score-function estimator: audits against the exact CME, the survival term, seeding."""

import numpy as np
import pytest

import ssagrad
from ssagrad import models
from ssagrad.backends.native import kernel_network
from ssagrad.backends.native._propensity import propensity, propensity_gradient
from ssagrad.backends.native._rng import rng_init, rng_uniform, rng_uniform_open
from ssagrad.estimators import estimate
from ssagrad.exact import exact, expectation
from ssagrad.seeding import trajectory_seeds

N = 20_000
ABS_TOL = 1e-9

AUDITS = {
    "telegraph": (models.telegraph(), None, None, [0.5, 1.0, 3.0, 10.0]),
    "bimolecular": (models.bimolecular_association(), None, None, [0.5, 2.0, 5.0]),
    "bimolecular_high_affinity": (
        models.bimolecular_association(),
        {"kon": 1.0, "koff": 0.05},
        None,
        [0.5, 2.0, 5.0],
    ),
    "dimerization": (models.dimerization(), None, None, [0.5, 2.0, 5.0]),
    "hill_repression": (
        ssagrad.parse("hillr(P, v, K, n), 0 --> P\nd, P --> 0"),
        {"v": 10.0, "K": 5.0, "n": 2.0, "d": 1.0},
        {"P": 0},
        [0.5, 2.0, 5.0],
    ),
}


def _assert_within(estimate, se, reference, k=4.0):
    """Every entry within ``k`` standard errors (plus a tiny absolute tolerance)."""
    err = np.abs(estimate - reference)
    bound = k * se + ABS_TOL
    worst = np.unravel_index(np.argmax(err - bound), err.shape)
    assert np.all(err <= bound), (
        f"entry {worst}: estimate {estimate[worst]:.5g}, exact {reference[worst]:.5g}, "
        f"se {se[worst]:.3g}"
    )


@pytest.mark.parametrize("case", sorted(AUDITS))
def test_dmean_matches_exact(case):
    net, params, x0, times = AUDITS[case]
    g = ssagrad.gradient(net, params, x0, times, estimator="score", n=N, seed=11)
    ref = exact(net, params, x0, times)
    assert g.dmean.dims == ("time", "species", "parameter")
    _assert_within(g.dmean.values, g.dmean_se.values, ref["dmean"].values)
    # The estimate is informative, not only noisy: se well below the largest derivative.
    assert g.dmean_se.values.max() < 0.2 * np.abs(ref["dmean"].values).max()


def test_feature_maps_match_exact():
    """Second moments and CDF indicators through ``expectation(phi)``."""
    m, times = models.telegraph(), [1.0, 5.0]
    samples = estimate(m, times=times, estimator="score", n=N, seed=4)
    ref = exact(m, times=times)
    for phi in (lambda x: x**2, lambda x: (x <= 3) * 1.0):
        result = samples.expectation(phi)
        value, dvalue = expectation(ref, lambda x, phi=phi: phi(x.astype(float)))
        assert result.contributions.shape == (N, 2, 3, 4)
        assert np.allclose(result.grad, result.contributions.mean(axis=0))
        _assert_within(result.grad, result.se, dvalue)
        assert np.allclose(result.value, value, rtol=0.05, atol=0.01)


def _reference_scores(net, params, x0, times, seed):
    """Pure-Python direct method with the kernel's random numbers.

    Returns the full causal score (T, P) and the score without the survival piece after
    the last event (what dropping ``- a0'(x_K) (t_m - t_K)`` would give).
    """
    arrays = net.arrays()
    theta = arrays.theta(np.asarray(params, dtype=float))
    kn = kernel_network(arrays, theta)
    n_p, n_r = arrays.n_parameters, arrays.n_reactions
    rng = rng_init(seed)
    x = np.asarray(x0, dtype=np.int64).copy()
    t, m = 0.0, 0
    events, integral = np.zeros(n_p), np.zeros(n_p)
    full, no_survival = np.zeros((len(times), n_p)), np.zeros((len(times), n_p))
    scratch = np.empty(theta.size)
    while True:
        a = np.array([propensity(j, x, theta, kn) for j in range(n_r)])
        grad = np.empty((n_r, n_p))
        for j in range(n_r):
            propensity_gradient(j, x, theta, kn, scratch)
            grad[j] = scratch[:n_p]
        a0 = 0.0
        for j in range(n_r):
            a0 += a[j]
        t_next = t - np.log(rng_uniform_open(rng)) / a0 if a0 > 0.0 else np.inf
        while m < len(times) and times[m] < t_next:
            no_survival[m] = events - integral
            full[m] = no_survival[m] - grad.sum(axis=0) * (times[m] - t)
            m += 1
        if m == len(times):
            return full, no_survival
        target = rng_uniform(rng) * a0
        j, acc = 0, a[0]
        while acc <= target and j < n_r - 1:
            j += 1
            acc += a[j]
        while a[j] <= 0.0:
            j -= 1
        events += grad[j] / a[j]
        integral += grad.sum(axis=0) * (t_next - t)
        x += arrays.stoichiometry[j]
        t = t_next


@pytest.mark.parametrize(
    "text, params, x0",
    [
        (
            "kon, Goff --> Gon\nkoff, Gon --> Goff\nktx, Gon --> Gon + M\nkdeg, M --> 0",
            [0.5, 1.0, 10.0, 1.0],
            [1, 0, 0],
        ),
        # One parameter in three slots of two reactions, a literal Hill coefficient.
        ("hillr(P, k, k, 2), 0 --> P\nk, P --> 0\nc, 2P --> 0", [3.0, 0.1], [2]),
    ],
)
def test_kernel_scores_match_python_reference(text, params, x0):
    net = ssagrad.parse(text)
    times = np.array([0.3, 1.0, 4.0])
    g = ssagrad.gradient(
        net, params, dict(zip(net.species, x0, strict=True)), times, estimator="score", n=50, seed=8
    )
    for i, seed in enumerate(trajectory_seeds(8, 50)):
        full, _ = _reference_scores(net, params, x0, times, seed)
        np.testing.assert_allclose(g.score.values[i], full, rtol=1e-10, atol=1e-10)


def test_survival_term_is_needed():
    """Birth-death against its analytic mean: without the survival piece the score is biased."""
    m, k, d = models.birth_death(), 2.0, 1.0
    times, n, seed = np.array([1.0, 3.0]), 2000, 5
    dk = (1 - np.exp(-d * times)) / d
    dd = -k / d**2 * (1 - np.exp(-d * times)) + k / d * times * np.exp(-d * times)
    analytic = np.stack([dk, dd], axis=-1)  # (time, parameter)
    g = ssagrad.gradient(m, {"k": k, "g": d}, times=times, estimator="score", n=n, seed=seed)
    _assert_within(g.dmean.values[:, 0, :], g.dmean_se.values[:, 0, :], analytic)

    reference = [
        _reference_scores(m.network, [k, d], [0], times, s) for s in trajectory_seeds(seed, n)
    ]
    full = np.array([r[0] for r in reference])
    truncated = np.array([r[1] for r in reference])
    np.testing.assert_allclose(g.score.values, full, rtol=1e-10, atol=1e-10)
    x = g.x.values[:, :, 0].astype(float)
    centred = x - (x.sum(axis=0) - x) / (n - 1)
    contributions = centred[:, :, None] * truncated
    est = contributions.mean(axis=0)
    se = contributions.std(axis=0, ddof=1) / np.sqrt(n)
    assert np.abs(est - analytic).max() > 4 * se.max()


def test_zero_rate_and_zero_propensity():
    """k or g at 0 and A=0 (a_j = 0 with non-zero gradient) are handled: d/dg E[A] = -k t^2/2."""
    m, k, times = models.birth_death(), 5.0, np.array([0.5, 1.0])
    g = ssagrad.gradient(m, {"k": k, "g": 0.0}, times=times, estimator="score", n=N, seed=2)
    analytic = np.stack([times, -k * times**2 / 2], axis=-1)
    assert np.isfinite(g.score.values).all()
    _assert_within(g.dmean.values[:, 0, :], g.dmean_se.values[:, 0, :], analytic)
    frozen = ssagrad.gradient(m, {"k": 0.0, "g": 1.0}, times=times, estimator="score", n=10, seed=2)
    # Nothing ever fires: the score of k is the survival term -t, that of g zero.
    np.testing.assert_allclose(frozen.score.values[:, :, 0], -np.broadcast_to(times, (10, 2)))
    assert (frozen.score.values[:, :, 1] == 0).all()


def test_reproducible_and_thread_independent():
    m, times = models.telegraph(), [1.0, 5.0]
    one = ssagrad.gradient(m, times=times, estimator="score", n=3000, seed=9, threads=1)
    two = ssagrad.gradient(m, times=times, estimator="score", n=3000, seed=9, threads=2)
    again = ssagrad.gradient(m, times=times, estimator="score", n=3000, seed=9, threads=2)
    other = ssagrad.gradient(m, times=times, estimator="score", n=3000, seed=10)
    for result in (two, again):
        np.testing.assert_array_equal(result.score.values, one.score.values)
        np.testing.assert_array_equal(result.x.values, one.x.values)
    assert not np.array_equal(other.score.values, one.score.values)
    # Paths are those of the plain direct method with the same seed.
    sim = ssagrad.simulate(m, times=times, n=3000, seed=9)
    np.testing.assert_array_equal(sim.x.values, one.x.values)
    assert one.attrs["seed"] == "9"


def test_baseline_none_is_unbiased_and_noisier():
    m, times = models.telegraph(), [2.0]
    ref = exact(m, times=times)["dmean"].values
    loo = ssagrad.gradient(m, times=times, estimator="score", n=N, seed=3)
    none = ssagrad.gradient(m, times=times, estimator="score", n=N, seed=3, baseline="none")
    _assert_within(none.dmean.values, none.dmean_se.values, ref)
    m_idx = list(loo.species.values).index("M")
    assert (none.dmean_se.values[:, m_idx] > loo.dmean_se.values[:, m_idx]).all()


@pytest.mark.parametrize(
    "options, n, match",
    [
        ({"baseline": "mean"}, 100, "baseline must be one of loo, none"),
        ({}, 1, "needs n >= 2"),
        ({"max_events": 0}, 100, "max_events must be a positive integer"),
        ({"max_events": 2.5}, 100, "max_events must be a positive integer"),
        ({"temperature": 1.0}, 100, "unknown option.*temperature"),
    ],
)
def test_bad_options(options, n, match):
    with pytest.raises(ValueError, match=match):
        ssagrad.gradient(
            models.birth_death(), times=[1.0], estimator="score", n=n, seed=1, **options
        )


def test_max_events_raises():
    with pytest.raises(RuntimeError, match="hit max_events=5"):
        ssagrad.gradient(
            models.birth_death(), times=[5.0], estimator="score", n=20, seed=1, max_events=5
        )
