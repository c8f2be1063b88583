"""Losses and their composed gradients, audited against the exact master equation.

* values: W1 against scipy's Wasserstein distance, moments and RMSE against formulas;
* gradients: the composed (cross-fitted) gradient of every built-in loss with the score,
  altpath and cfd estimators against the exact-estimator gradient, which is itself checked
  against central differences of exact loss values;
* pooling: with a forward-only pool the gradient stays unbiased (not shrunk by
  n/(n+M)) while the loss value's standard error shrinks;
* the sorted-sample W1 weights of straight-through fits against numerical derivatives;
* the feature-map convention (time axis second to last) for every estimator.
"""

import numpy as np
import pytest
from scipy import stats

import ssagrad
from ssagrad.data import observed
from ssagrad.estimators import estimate
from ssagrad.fitting._compose import evaluate, loss_value
from ssagrad.fitting.losses import RMSE, W1, Moments

MODEL = ssagrad.models.telegraph()
TIMES = [1.0, 4.0]
PARAMS = {"kon": 0.8, "koff": 1.0, "ktx": 7.0, "kdeg": 1.0}
M_INDEX = np.array([2])


@pytest.fixture(scope="module")
def data():
    ds = ssagrad.simulate(MODEL, times=TIMES, n=3000, seed=5)
    return observed(ds.x.sel(species=["M"]))


def test_w1_value_is_the_wasserstein_distance(data):
    cells = ssagrad.simulate(MODEL, PARAMS, times=TIMES, n=700, seed=2).x.values
    value, se = loss_value(W1().bind(data, M_INDEX), cells)
    expected = sum(stats.wasserstein_distance(cells[:, t, 2], data.counts[t][0]) for t in range(2))
    assert value == pytest.approx(expected, rel=1e-12)
    assert 0 < se < value


def test_moment_losses_match_their_formulas(data):
    cells = ssagrad.simulate(MODEL, PARAMS, times=TIMES, n=500, seed=3).x.values[:, :, 2]
    mean, var = cells.mean(0), cells.var(0)
    d_mean, d_var = data.mean()[:, 0], data.var()[:, 0]
    rmse, _ = loss_value(RMSE().bind(data, M_INDEX), cells[:, :, None].repeat(3, -1))
    assert rmse == pytest.approx(np.sqrt(np.mean((mean - d_mean) ** 2)))
    moments, _ = loss_value(Moments().bind(data, M_INDEX), cells[:, :, None].repeat(3, -1))
    expected = np.mean(((mean - d_mean) / d_mean) ** 2 + ((var - d_var) / d_var) ** 2)
    assert moments == pytest.approx(expected)


@pytest.fixture(scope="module")
def exact_gradients(data):
    samples = estimate(MODEL, PARAMS, times=TIMES, estimator="exact")
    return {
        loss.name: evaluate(samples, loss.bind(data, M_INDEX)) for loss in (RMSE(), Moments(), W1())
    }


@pytest.mark.parametrize("loss", [RMSE(), Moments(), W1()], ids=lambda loss: loss.name)
def test_exact_loss_gradient_matches_central_differences(data, exact_gradients, loss):
    bound = loss.bind(data, M_INDEX)
    grad = exact_gradients[loss.name].grad
    for p, name in enumerate(MODEL.network.parameters):
        step = 1e-5 * PARAMS[name]
        up, down = dict(PARAMS), dict(PARAMS)
        up[name] += step
        down[name] -= step
        values = [
            evaluate(estimate(MODEL, q, times=TIMES, estimator="exact"), bound).value
            for q in (up, down)
        ]
        assert (values[0] - values[1]) / (2 * step) == pytest.approx(grad[p], rel=1e-4, abs=1e-7)


def _replicates(estimator, bound, reps, n, pool=None):
    grads, ses = [], []
    for rep in range(reps):
        samples = estimate(MODEL, PARAMS, times=TIMES, estimator=estimator, n=n, seed=100 + rep)
        cells = None
        if pool:
            cells = ssagrad.simulate(MODEL, PARAMS, times=TIMES, n=pool, seed=900 + rep).x.values
        result = evaluate(samples, bound, cells)
        grads.append(result.grad)
        ses.append(result.value_se)
    grads = np.array(grads)
    return grads.mean(0), grads.std(0, ddof=1) / np.sqrt(reps), float(np.mean(ses))


@pytest.mark.parametrize("estimator", ["score", "altpath", "cfd"])
@pytest.mark.parametrize("loss", [RMSE(), Moments()], ids=lambda loss: loss.name)
def test_composed_gradient_is_unbiased_against_exact(data, exact_gradients, estimator, loss):
    mean, se, _ = _replicates(estimator, loss.bind(data, M_INDEX), reps=12, n=1500)
    exact = exact_gradients[loss.name].grad
    z = (mean - exact) / se
    assert np.all(np.abs(z) < 4.0), (mean, exact, z)


def test_pooled_gradient_is_the_tracked_gradient_and_the_value_se_shrinks(data, exact_gradients):
    bound = Moments().bind(data, M_INDEX)
    exact = exact_gradients["moments"].grad
    mean, se, value_se_pooled = _replicates("score", bound, reps=12, n=500, pool=8000)
    z = (mean - exact) / se
    assert np.all(np.abs(z) < 4.0), (mean, exact, z)
    # A naive pooled gradient would be shrunk by n / (n + M) = 1/17: far outside.
    assert np.all(np.abs(mean - exact / 17) > 4 * se)
    _, _, value_se_alone = _replicates("score", bound, reps=12, n=500)
    assert value_se_pooled < value_se_alone / 3


def test_w1_with_sampled_gradients_agrees_with_exact_away_from_kinks(data, exact_gradients):
    # W1 is piecewise linear in the distribution functions; with a large pool the signs
    # dL/dF(k) are those of the exact distribution, so the gradient is the exact one.
    bound = W1().bind(data, M_INDEX)
    exact = evaluate(estimate(MODEL, PARAMS, times=TIMES, estimator="exact"), bound)
    sim = estimate(MODEL, PARAMS, times=TIMES, estimator="exact").solution
    assert exact.value > 0.5 and sim is not None
    mean, se, _ = _replicates("score", bound, reps=8, n=2000, pool=100_000)
    assert np.all(np.abs(mean - exact.grad) < 4 * se + 0.1 * np.abs(exact.grad)), (mean, exact.grad)


def _sorted_w1(sim: np.ndarray, data_cells: np.ndarray) -> float:
    return stats.wasserstein_distance(sim, data_cells)


def test_sorted_sample_weights_are_the_w1_derivatives():
    rng = np.random.default_rng(4)
    data_cells = rng.poisson(6.0, size=(301, 1, 1))
    sim = rng.permutation(np.arange(40))[:25].reshape(25, 1, 1)  # distinct counts: no ties
    obs = observed(ssagrad.simulate(ssagrad.models.birth_death(), times=[1.0], n=2, seed=1))
    obs = type(obs)(("A",), np.array([1.0]), ((np.sort(data_cells[:, 0, 0]),),), "snapshot")
    weights = W1().bind(obs, np.array([0])).pathwise_weights(sim, None)[:, 0, 0]
    for i in range(sim.shape[0]):
        up, down = sim[:, 0, 0].astype(float), sim[:, 0, 0].astype(float)
        up[i] += 1e-6
        down[i] -= 1e-6
        numeric = _sorted_w1(up, data_cells[:, 0, 0]) - _sorted_w1(down, data_cells[:, 0, 0])
        assert weights[i] / sim.shape[0] == pytest.approx(numeric / 2e-6, abs=1e-6)


@pytest.mark.parametrize(
    "estimator", ["score", "gumbel", "altpath", "fd", "cfd", "smoothing", "exact"]
)
def test_feature_maps_see_the_time_axis_second_to_last(estimator):
    weights = np.array([1.0, -2.0, 3.5])  # one per observation time

    def timed(x):
        return x[..., :1] * weights[:, None]

    times = [0.5, 1.0, 2.0]
    samples = estimate(
        ssagrad.models.birth_death(), times=times, estimator=estimator, n=300, seed=2
    )
    plain = samples.expectation(lambda x: x[..., :1])
    scaled = samples.expectation(timed)
    np.testing.assert_allclose(
        scaled.grad, plain.grad * weights[:, None, None], rtol=1e-9, atol=1e-12
    )
    np.testing.assert_allclose(scaled.value, plain.value * weights[:, None], rtol=1e-12)


@pytest.mark.parametrize(
    ("n", "pool", "baseline"),
    [(1000, None, "loo"), (37, None, "loo"), (7, None, "none"), (301, 450, "loo"), (5, 3, "loo")],
)
def test_compiled_w1_score_evaluation_equals_the_numpy_composition(data, n, pool, baseline):
    """The native backend's ``w1_score`` kernel gives the composition's value, se and
    gradient to rounding: jackknife groups, odd halves, pools, both baselines."""
    samples = estimate(
        MODEL, PARAMS, times=TIMES, estimator="score", n=n, seed=4, baseline=baseline
    )
    cells = None
    if pool:
        cells = ssagrad.simulate(MODEL, PARAMS, times=TIMES, n=pool, seed=8).x.values
    bound = W1().bind(data, M_INDEX)
    fused = evaluate(samples, bound, cells, engine=ssagrad.backends.get_backend("native"))
    reference = evaluate(samples, bound, cells)  # no engine: the NumPy composition
    assert fused.value == pytest.approx(reference.value, rel=1e-12)
    assert fused.value_se == pytest.approx(reference.value_se, rel=1e-9)
    np.testing.assert_allclose(fused.grad, reference.grad, rtol=1e-10, atol=1e-12)
    assert np.abs(reference.grad).max() > 0  # a gradient that can disagree
