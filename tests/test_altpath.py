"""The alternative-path estimator: sign convention, audits against the master equation,
discontinuous features, special rate laws, reproducibility and bad options."""

import numpy as np
import pytest

import ssagrad
from ssagrad import models
from ssagrad.backends.native import NativeBackend
from ssagrad.estimators import estimate
from ssagrad.estimators._problem import Problem
from ssagrad.exact import exact, expectation
from ssagrad.seeding import trajectory_seeds

TOL = 1e-9


def _within(estimate, se, reference, k=4.0):
    """All entries within ``k`` standard errors (plus TOL) of the reference; worst |z|."""
    err = np.abs(estimate - reference)
    ok = err <= k * se + TOL
    z = np.where(se > 0, err / np.where(se > 0, se, 1.0), np.where(err > TOL, np.inf, 0.0))
    return bool(ok.all()), float(z.max())


def _audit(model, times, n, seed, params=None):
    g = ssagrad.gradient(model, params=params, times=times, estimator="altpath", n=n, seed=seed)
    ref = exact(model, params=params, times=times)
    ok, worst = _within(g.dmean.values, g.dmean_se.values, ref.dmean.values)
    assert ok, f"max |z| = {worst:.2f}"
    # The primal paths are exact SSA paths: their mean matches too.
    x = g.x.values.astype(float)
    se_mean = x.std(axis=0, ddof=1) / np.sqrt(n)
    ok, worst = _within(g["mean"].values, se_mean, ref["mean"].values)
    assert ok, f"mean: max |z| = {worst:.2f}"
    return g


# --- the sign convention on a two-outcome toy ---------------------------------------------


def test_two_outcome_sign():
    """``A -> B`` (k1) or ``A -> C`` (k2) from one A: which product is a flip of the choice.

    ``E[B(t)] = k1/s (1 - exp(-s t))``, ``s = k1 + k2``; raising k1 makes B more and C
    less likely. The kernel contract: ``dE[f]/dk = mean(w (f(alt) - f(x)))``.
    """
    net = ssagrad.parse("k1, A --> B\nk2, A --> C")
    k1, k2, times = 1.0, 2.0, np.array([0.2, 0.7, 1.5])
    problem = Problem.build(net, {"k1": k1, "k2": k2}, {"A": 1}, times)
    n = 20000
    states, alt, weights, _, status = NativeBackend().altpath(
        problem.arrays,
        problem.theta,
        problem.x0,
        problem.times,
        trajectory_seeds(11, n),
        10**6,
        1.5,
    )
    assert (status == 0).all()
    assert (weights >= 0).all()  # star flips carry non-negative weights
    contributions = weights[:, :, None, :] * (alt - states[..., None])  # (N, T, S, P)
    est = contributions.mean(axis=0)
    se = contributions.std(axis=0, ddof=1) / np.sqrt(n)

    s = k1 + k2
    decay = np.exp(-s * times)
    d_b_dk1 = k2 / s**2 * (1 - decay) + k1 / s * times * decay
    d_b_dk2 = -k1 / s**2 * (1 - decay) + k1 / s * times * decay
    d_c_dk1 = -k2 / s**2 * (1 - decay) + k2 / s * times * decay
    d_c_dk2 = k1 / s**2 * (1 - decay) + k2 / s * times * decay
    d_a = -times * decay  # dE[A]/dk for either k
    exact_grad = np.stack(
        [
            np.stack([d_a, d_a], -1),
            np.stack([d_b_dk1, d_b_dk2], -1),
            np.stack([d_c_dk1, d_c_dk2], -1),
        ],
        axis=1,
    )  # (T, S, P)
    ok, worst = _within(est, se, exact_grad)
    assert ok, f"max |z| = {worst:.2f}"
    # At t=1.5 the choice dominates: B up and C down with k1, clearly resolved.
    assert est[2, 1, 0] > 5 * se[2, 1, 0]
    assert est[2, 2, 0] < -5 * se[2, 2, 0]
    # A flip in the k1 direction is "A -> B fired instead of nothing": alternatives of
    # flipped samples that still hold A in the primal have B = 1.
    flipped = (weights[:, 0, 0] > 0) & (states[:, 0, 0] == 1)
    assert flipped.any()
    assert (alt[flipped, 0, 1, 0] == 1).all()


# --- audits against the exact master equation ---------------------------------------------


def test_audit_telegraph_transient():
    _audit(models.telegraph(), [0.5, 2.0], n=16000, seed=1)


def test_audit_telegraph_near_steady_state():
    # relaxation times ~ 1/(kon + koff) and 1/kdeg: t=15 is within 1e-6 of stationarity
    _audit(models.telegraph(), [8.0, 15.0], n=16000, seed=2)


def test_audit_bimolecular_association():
    _audit(models.bimolecular_association(), [0.2, 1.0, 5.0], n=16000, seed=3)


def test_audit_bimolecular_high_affinity():
    _audit(
        models.bimolecular_association(),
        [0.1, 1.0, 5.0],
        n=16000,
        seed=4,
        params={"kon": 1.0, "koff": 0.05},
    )


def test_audit_dimerization():
    _audit(models.dimerization(), [1.0, 5.0, 20.0], n=12000, seed=5)


def test_hill_laws_zero_rates_and_literals():
    """Hill derivatives of both signs (skip flips), a zero rate constant (the clock floor)
    and a literal rate."""
    net = ssagrad.parse("hillr(A, v, K, n), 0 --> A\nb, 0 --> A\ng, A --> 0\n0.3, A --> 0")
    params = {"v": 10.0, "K": 5.0, "n": 2.0, "b": 0.0, "g": 1.0}
    times = [0.5, 2.0]
    g = ssagrad.gradient(net, params, {"A": 0}, times, estimator="altpath", n=8000, seed=6)
    ref = exact(net, params, {"A": 0}, times)
    ok, worst = _within(g.dmean.values, g.dmean_se.values, ref.dmean.values)
    assert ok, f"max |z| = {worst:.2f}"
    assert g.dmean.sel(parameter="b").min() > 0.1  # the switched-off reaction still counts


# --- any feature map, including discontinuous ones ----------------------------------------


def test_indicator_feature():
    """``P(X <= 3)`` is a step function of the state: pathwise derivatives are 0 a.e.,
    the alternative path still gets it right."""
    model = models.telegraph()
    times = [1.0, 5.0]
    samples = estimate(model, times=times, estimator="altpath", n=8000, seed=8)

    def phi(x):
        return (x <= 3).astype(float)

    result = samples.expectation(phi)
    value, dvalue = expectation(exact(model, times=times), phi)
    assert result.contributions.shape == (8000, 2, 3, 4)
    ok, worst = _within(result.grad, result.se, dvalue)
    assert ok, f"max |z| = {worst:.2f}"
    # P(M <= 3) falls with ktx: resolved and of the right sign.
    m, ktx = 2, 2
    assert result.grad[1, m, ktx] < -5 * result.se[1, m, ktx]
    assert np.abs(result.value - value).max() < 0.03


# --- output, reproducibility, options -----------------------------------------------------


def test_dataset_variables():
    g = ssagrad.gradient(models.birth_death(), times=[0.5, 1.0], estimator="altpath", n=50, seed=9)
    assert g.x_alt.dims == ("sample", "time", "species", "parameter")
    assert g.alt_weight.dims == ("sample", "time", "parameter")
    assert g.x_alt.shape == (50, 2, 1, 2)
    assert g.attrs["estimator"] == "altpath"
    # Without a carried alternative the alternative is the primal state itself.
    none = g.alt_weight.values == 0
    x = np.broadcast_to(g.x.values[..., None], g.x_alt.shape)
    assert (g.x_alt.values.transpose(0, 1, 3, 2)[none] == x.transpose(0, 1, 3, 2)[none]).all()


def test_reproducible_across_thread_counts():
    kwargs = dict(times=[1.0, 4.0], estimator="altpath", n=300, seed=12)
    one = ssagrad.gradient(models.dimerization(), threads=1, **kwargs)
    two = ssagrad.gradient(models.dimerization(), threads=2, **kwargs)
    for name in ("x", "x_alt", "alt_weight", "dmean", "dmean_se"):
        np.testing.assert_array_equal(one[name].values, two[name].values)
    other = ssagrad.gradient(models.dimerization(), threads=2, **{**kwargs, "seed": 13})
    assert not np.array_equal(one.x_alt.values, other.x_alt.values)


@pytest.mark.parametrize("margin", [1.0, 0.5, -2.0, float("nan"), float("inf"), True, "2"])
def test_rate_margin_must_exceed_one(margin):
    with pytest.raises(ValueError, match="rate_margin must be a finite number > 1"):
        ssagrad.gradient(
            models.birth_death(), times=[1.0], estimator="altpath", n=10, seed=1, rate_margin=margin
        )


def test_rate_margin_option_is_used():
    kwargs = dict(times=[1.0], estimator="altpath", n=200, seed=1)
    a = ssagrad.gradient(models.birth_death(), rate_margin=1.5, **kwargs)
    b = ssagrad.gradient(models.birth_death(), rate_margin=3.0, **kwargs)
    assert not np.array_equal(a.alt_weight.values, b.alt_weight.values)


def test_max_events():
    with pytest.raises(ValueError, match="max_events"):
        ssagrad.gradient(
            models.birth_death(), times=[1.0], estimator="altpath", n=10, seed=1, max_events=0
        )
    with pytest.raises(RuntimeError, match="hit max_events=5"):
        ssagrad.gradient(
            models.birth_death(), times=[5.0], estimator="altpath", n=10, seed=1, max_events=5
        )
