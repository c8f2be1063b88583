"""Finite differences with common random numbers (fd) and Anderson coupling (cfd).

Audits compare ``dE[X(t)]/dtheta`` with the exact reference entry by entry. A central
difference with the default relative step h = 0.05 is biased by O(h^2); on these cases
the exact central difference at h = 0.05 differs from the exact derivative by at most
0.25 % of the entry (docs/estimators/finite_differences.md), far below 4 se, so the audits
compare with the exact derivative itself and a tolerance of ``4 se + 1e-9``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import ssagrad
from ssagrad.estimators import estimate, value_and_grad
from ssagrad.exact import exact, expectation

N = 3000
CASES = {
    "telegraph": ("telegraph", None, [1.0, 10.0]),
    "bimolecular": ("bimolecular_association", None, [0.5, 5.0]),
    "bimolecular_high_affinity": (
        "bimolecular_association",
        {"kon": 1.0, "koff": 0.05},
        [0.1, 2.0],
    ),
    "dimerization": ("dimerization", None, [2.0, 10.0]),
}


@pytest.fixture(scope="module")
def reference():
    """Exact results per case, computed once."""
    cache = {}

    def get(case):
        if case not in cache:
            name, params, times = CASES[case]
            cache[case] = exact(ssagrad.models.get(name), params, times=times)
        return cache[case]

    return get


def _audit(estimator, case, reference, **options):
    name, params, times = CASES[case]
    g = ssagrad.gradient(
        ssagrad.models.get(name),
        params,
        times=times,
        estimator=estimator,
        n=N,
        seed=11,
        **options,
    )
    ref = reference(case)
    err = np.abs(g.dmean.values - ref["dmean"].values)
    bound = 4 * g.dmean_se.values + 1e-9
    worst = np.unravel_index(np.argmax(err - bound), err.shape)
    assert (err <= bound).all(), (
        f"{estimator} on {case}: entry {worst} estimate {g.dmean.values[worst]:.4g} "
        f"exact {ref['dmean'].values[worst]:.4g} se {g.dmean_se.values[worst]:.3g}"
    )
    # The value is the primal ensemble mean.
    mean_se = g.x.std("sample").values / math.sqrt(N)
    assert np.all(np.abs(g["mean"].values - ref["mean"].values) <= 5 * mean_se + 1e-9)
    return g


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("estimator", ["fd", "cfd"])
def test_audit_against_exact(estimator, case, reference):
    g = _audit(estimator, case, reference)
    assert g.attrs["estimator"] == estimator
    assert (g.dmean_se.values >= 0).all()


def test_primal_is_simulate_with_same_seed():
    m = ssagrad.models.telegraph()
    g = ssagrad.gradient(m, times=[1.0, 2.0], estimator="fd", n=50, seed=4)
    ds = ssagrad.simulate(m, times=[1.0, 2.0], n=50, seed=4)
    np.testing.assert_array_equal(g.x.values, ds.x.values)
    assert g.x_plus.dims == ("sample", "time", "species", "parameter")


def test_large_step_is_the_exact_central_difference():
    """With h = 0.5 the O(h^2) bias is visible; the estimate targets the difference quotient.

    Birth-death from A=5: ``E[A(t)] = 5 e^{-g t} + (k/g)(1 - e^{-g t})``.
    """

    def mean(k, g, t):
        return 5 * math.exp(-g * t) + k / g * (1 - math.exp(-g * t))

    model = ssagrad.models.birth_death()
    params, t = {"k": 10.0, "g": 1.0}, 1.0
    for relative, step in ((True, 0.5), (False, 0.4)):
        hg = step * params["g"] if relative else step
        target = (mean(10, 1 + hg, t) - mean(10, 1 - hg, t)) / (2 * hg)
        derivative = -5 * t * math.exp(-t) - 10 * (1 - math.exp(-t) - t * math.exp(-t))
        assert abs(target - derivative) > 0.05  # the bias at this step is resolvable
        for estimator in ("fd", "cfd"):
            g = ssagrad.gradient(
                model,
                params,
                {"A": 5},
                [t],
                estimator=estimator,
                n=20000,
                seed=2,
                h=step,
                relative=relative,
            )
            est = g.dmean.sel(species="A", parameter="g").item()
            se = g.dmean_se.sel(species="A", parameter="g").item()
            assert abs(est - target) <= 4 * se, (estimator, relative, est, target, se)
            assert abs(est - target) < abs(target - derivative)


def test_zero_parameter_takes_a_forward_step():
    """k = 0: absolute step h, lower point at 0; E[A(t)] is linear in k so it is exact."""
    model = ssagrad.models.birth_death()
    t = 2.0
    target = 1 - math.exp(-t)
    for estimator in ("fd", "cfd"):
        g = ssagrad.gradient(
            model,
            {"k": 0.0, "g": 1.0},
            {"A": 5},
            [t],
            estimator=estimator,
            n=4000,
            seed=5,
            h=0.5,
        )
        est = g.dmean.sel(species="A", parameter="k").item()
        se = g.dmean_se.sel(species="A", parameter="k").item()
        assert se > 0
        assert abs(est - target) <= 4 * se, (estimator, est, target, se)
    samples = estimate(
        model, {"k": 0.0, "g": 1.0}, {"A": 5}, [t], estimator="fd", n=10, seed=5, h=0.5
    )
    np.testing.assert_allclose(samples.widths, [0.5, 1.0])  # k: forward step h; g: 2 h g


def test_coupled_marginals_are_exact_paths():
    """Each side of an Anderson pair is an exact SSA path at its own parameters."""
    model = ssagrad.models.telegraph()
    times = [0.5, 3.0]
    n = 6000
    samples = estimate(model, times=times, estimator="cfd", n=n, seed=8, h=0.5)
    params = dict(model.params)
    for p, name in enumerate(model.network.parameters):
        for side, factor in ((samples.x_plus, 1.5), (samples.x_minus, 0.5)):
            moved = dict(params, **{name: params[name] * factor})
            ref = exact(model, moved, times=times)["mean"].values
            x = side[..., p].astype(float)
            se = x.std(axis=0, ddof=1) / math.sqrt(n)
            assert np.all(np.abs(x.mean(axis=0) - ref) <= 4.5 * se + 1e-9), (name, factor)


def test_cfd_has_lower_variance_than_fd_at_small_h(reference):
    """Anderson's coupling: per-sample variance several times below CRN at h = 0.01."""
    name, params, times = CASES["dimerization"]
    model = ssagrad.models.get(name)
    ref = np.abs(reference("dimerization")["dmean"].values)
    big = ref > 0.05 * ref.max()
    se = {
        est: ssagrad.gradient(
            model, params, times=times, estimator=est, n=2000, seed=3, h=0.01
        ).dmean_se.values[big]
        for est in ("fd", "cfd")
    }
    ratio = (se["fd"] / se["cfd"]) ** 2
    assert np.median(ratio) > 4, ratio
    assert ratio.min() > 1.5, ratio


def test_other_feature_maps_against_exact(reference):
    """``expectation(phi)`` for second moments and an indicator."""
    name, params, times = CASES["telegraph"]
    ref = reference("telegraph")

    def phi(x):
        return np.stack([x[..., 2] ** 2, (x[..., 2] <= 2).astype(float)], axis=-1)

    value, dvalue = expectation(ref, phi)
    for estimator in ("fd", "cfd"):
        samples = estimate(
            ssagrad.models.get(name), params, times=times, estimator=estimator, n=N, seed=6
        )
        r = samples.expectation(phi)
        assert r.contributions.shape == (N, 2, 2, 4)
        assert np.all(np.abs(r.grad - dvalue) <= 4 * r.se + 1e-9), estimator
        np.testing.assert_allclose(r.value, phi(samples.states.astype(float)).mean(axis=0))


@pytest.mark.parametrize("estimator", ["fd", "cfd"])
def test_black_box_loss_against_exact(estimator, reference):
    """value_and_grad with a plain callable on the (N, T, S) ensemble."""
    name, params, times = CASES["telegraph"]
    ref = reference("telegraph")
    target = np.array([1.0, 3.0])

    def loss(states):
        return float(((states[:, :, 2].mean(axis=0) - target) ** 2).sum())

    mean = ref["mean"].values[:, 2]
    exact_grad = 2 * ((mean - target)[:, None] * ref["dmean"].values[:, 2, :]).sum(axis=0)
    r = value_and_grad(
        ssagrad.models.get(name), params, times=times, loss=loss, estimator=estimator, n=N, seed=9
    )
    assert r.parameters == ("kon", "koff", "ktx", "kdeg")
    assert r.se is not None and (r.se > 0).all()
    assert np.all(np.abs(r.grad - exact_grad) <= 4 * r.se + 1e-9), (r.grad, exact_grad, r.se)
    assert abs(r.value - float(((mean - target) ** 2).sum())) < 0.5


def test_hill_kinetics_with_cfd():
    net = ssagrad.parse(
        """
        hillr(A, v, K, 2), 0 --> A
        g, A --> 0
        """
    )
    params = {"v": 20.0, "K": 8.0, "g": 1.0}
    ref = exact(net, params, times=[1.0, 4.0])["dmean"].values
    g = ssagrad.gradient(net, params, times=[1.0, 4.0], estimator="cfd", n=N, seed=1)
    assert np.all(np.abs(g.dmean.values - ref) <= 4 * g.dmean_se.values + 1e-9)


@pytest.mark.parametrize("estimator", ["fd", "cfd"])
def test_reproducible_across_thread_counts(estimator):
    model = ssagrad.models.dimerization()
    runs = [
        ssagrad.gradient(
            model, times=[1.0, 5.0], estimator=estimator, n=300, seed=21, threads=threads
        )
        for threads in (1, 2, 1)
    ]
    for other in runs[1:]:
        np.testing.assert_array_equal(runs[0].dmean.values, other.dmean.values)
        np.testing.assert_array_equal(runs[0].x_plus.values, other.x_plus.values)
    different = ssagrad.gradient(model, times=[1.0, 5.0], estimator=estimator, n=300, seed=22)
    assert not np.array_equal(different.dmean.values, runs[0].dmean.values)


def test_cfd_directions_use_distinct_streams():
    """Pairs of different parameters are not driven by the same random numbers."""
    net = ssagrad.parse("k1, 0 --> A\nk2, 0 --> A\nk3, A --> 0")  # k1, k2: the same role
    samples = estimate(
        net, {"k1": 5.0, "k2": 5.0, "k3": 1.0}, times=[3.0], estimator="cfd", n=200, seed=1
    )
    assert not np.array_equal(samples.x_plus[..., 0], samples.x_plus[..., 1])


@pytest.mark.parametrize("estimator", ["fd", "cfd"])
@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"h": 0.0}, "h must be > 0"),
        ({"h": -0.1}, "h must be > 0"),
        ({"h": float("nan")}, "h must be > 0"),
        ({"h": float("inf")}, "h must be > 0"),
        ({"h": "0.1"}, "h must be > 0"),
        ({"h": 1.0}, "h must be < 1 with relative=True"),
        ({"relative": "yes"}, "relative must be True or False"),
        ({"max_events": 0}, "max_events must be a positive integer"),
        ({"max_events": 2.5}, "max_events must be a positive integer"),
    ],
)
def test_option_errors(estimator, options, message):
    with pytest.raises(ValueError, match=message):
        ssagrad.gradient(
            ssagrad.models.birth_death(), times=[1.0], estimator=estimator, n=10, seed=1, **options
        )


def test_absolute_step_may_exceed_one():
    g = ssagrad.gradient(
        ssagrad.models.birth_death(),
        times=[1.0],
        estimator="fd",
        n=100,
        seed=1,
        h=2.0,
        relative=False,
    )
    assert np.isfinite(g.dmean.values).all()


@pytest.mark.parametrize("estimator", ["fd", "cfd"])
def test_max_events_raises(estimator):
    with pytest.raises(RuntimeError, match="max_events=5"):
        ssagrad.gradient(
            ssagrad.models.birth_death(),
            times=[5.0],
            estimator=estimator,
            n=20,
            seed=1,
            max_events=5,
        )
