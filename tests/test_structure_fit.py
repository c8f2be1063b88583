"""The fit machinery under structure learning: gradients in ``u`` against exact ones
(smoothing in ``u``, chained unbiased estimators, the softmax mixture), the cells' draw
of a candidate, and checkpoints, threads and workers of a parametrised fit."""

import numpy as np
import pytest
from scipy import stats

import ssagrad
from ssagrad.backends import get_backend
from ssagrad.estimators import run_estimator
from ssagrad.fitting import FitResult
from ssagrad.fitting._uspace import ChainedSamples
from ssagrad.structure import LibraryOfReactions, LibraryOfSystems, ReactionSteps, library
from ssagrad.structure._systems import choice_uniforms

X0 = np.array([5])
TIMES = np.array([1.0, 4.0])


def _z(estimate, exact):
    return np.abs(estimate.grad - exact.grad) / estimate.se


@pytest.fixture(scope="module")
def reactions_case():
    """The 6-reaction library over A at a random point with one rate exactly 0."""
    p = LibraryOfReactions(library(["A"], 2), scale=10, horizon=4)
    u = p.initial() + np.random.default_rng(0).uniform(-1, 1, len(p.names))
    u[3] = 0.0
    base = p.realise(u).problem(X0, TIMES)
    exact = p.estimate(u, base, get_backend(), "exact", 1, 1, {}).expectation()
    return p, u, base, exact


def test_smoothing_in_u_matches_the_exact_gradient_also_at_a_zero_rate(reactions_case):
    p, u, base, exact = reactions_case
    options = {"sigma": 0.05, "directions": 48, "orthogonal": True}
    e = p.estimate(u, base, get_backend(), "smoothing", 3000, 2, options).expectation()
    assert _z(e, exact).max() < 4
    assert np.abs(e.grad[..., 3] - exact.grad[..., 3]).max() < 0.2 * np.abs(exact.grad).max()


def test_chained_altpath_is_unbiased_also_at_a_zero_rate(reactions_case):
    p, u, base, exact = reactions_case
    e = p.estimate(u, base, get_backend(), "altpath", 4000, 2, {}).expectation()
    assert _z(e, exact).max() < 4


def test_chained_score_is_unbiased_at_positive_rates_but_blind_at_zero(reactions_case):
    # At k = 0 a reaction never fires, so the score's N/k term, which carries the effect
    # of switching it on, is never sampled: the score function is not usable there.
    p, u, base, exact = reactions_case
    e = p.estimate(u, base, get_backend(), "score", 4000, 2, {}).expectation()
    z = _z(e, exact)
    assert np.delete(z, 3, axis=-1).max() < 4
    assert z[..., 3].max() > 10


@pytest.mark.parametrize(
    "estimator, options",
    [("score", {}), ("smoothing", {"sigma": 0.05, "directions": 32, "orthogonal": True})],
)
def test_softmax_mixture_gradient_matches_the_exact_one(estimator, options):
    lib = library(["A"], 1)  # 0 --> A, A --> 0
    p = LibraryOfSystems(lib, [[0], [0, 1]], selection="softmax", scale=10, horizon=4)
    u = np.r_[0.3, -0.2, p.initial()[2:] + [0.4, -0.3]]
    weights, engine = p.weights(u), get_backend()
    values, grads = [], []
    for k, system in enumerate(p.systems):  # exact mixture: sum_k w_k E_k, by hand
        candidate = p.candidate(k, u)
        jacobian = np.zeros((len(system), len(p.names)))
        for row, i in enumerate(system):
            col = p.n_head + p.position[i]
            jacobian[row, col] = p.rate_derivative(u[col : col + 1], [lib.order(i)])[0]
        problem = candidate.problem(X0, TIMES)
        exact = ChainedSamples(run_estimator(problem, engine, "exact", 1, 1), jacobian)
        values.append(exact.expectation().value)
        grads.append(exact.expectation().grad)
    mean = sum(w * v for w, v in zip(weights, values, strict=True))
    grad = sum(w * g for w, g in zip(weights, grads, strict=True))
    for k in range(2):
        grad[..., k] = weights[k] * (values[k] - mean)
    base = p.realise(u).problem(X0, TIMES)
    e = p.estimate(u, base, engine, estimator, 4000, 3, options).expectation()
    assert np.abs(e.value - mean).max() < 0.1
    assert (np.abs(e.grad - grad) / e.se).max() < 4


def test_cells_draw_their_candidate_uniformly_and_reproducibly():
    seeds = ssagrad.seeding.trajectory_seeds(5, 20000)
    draws = choice_uniforms(seeds)
    assert np.array_equal(draws, choice_uniforms(seeds.copy()))
    assert stats.kstest(draws, "uniform").pvalue > 1e-3
    assert abs(np.corrcoef(draws[:-1], draws[1:])[0, 1]) < 0.03


# --- a parametrised fit: checkpoints, threads, workers ---------------------------------


@pytest.fixture(scope="module")
def small():
    truth = ssagrad.parse("k1, 0 --> A\nk2, A --> 0")
    data = ssagrad.simulate(truth, {"k1": 2.0, "k2": 0.2}, {"A": 0}, [1.0, 4.0], n=200, seed=1)
    param = ReactionSteps(library(["A"], 2), slots=2, scale=10, horizon=4, init_seed=1)
    return param, data


def _fit(param, data, **kwargs):
    arguments = dict(x0={"A": 0}, loss="rmse", estimator="smoothing", n=30, steps=8,
                     seed=4, progress=False, sigma=0.1, directions=4)  # fmt: skip
    arguments.update(kwargs)
    return ssagrad.fit(param, data, **arguments)


def _same(a, b):
    assert a.params == b.params and a.loss == b.loss
    for name in ("loss", "grad_norm", "params"):
        np.testing.assert_array_equal(a.history[name].values, b.history[name].values)


def test_structure_fit_resumes_bit_for_bit(tmp_path, small):
    param, data = small
    full = _fit(param, data)

    def stop(state):
        if state.step == 3:
            raise KeyboardInterrupt

    checkpoint = tmp_path / "structure.npz"
    partial = _fit(param, data, checkpoint=checkpoint, callback=stop)
    assert partial.interrupted and partial.best.steps == 3
    _same(full, _fit(param, data, resume=checkpoint))
    full.save(tmp_path / "fit.nc")
    assert FitResult.load(tmp_path / "fit.nc").params == full.params
    full.plot(tmp_path / "fit.png")  # coordinates u plotted as they are (some are 0)
    assert (tmp_path / "fit.png").stat().st_size > 0
    other = ReactionSteps(library(["A"], 2), slots=2, scale=10, horizon=4, init_seed=2)
    with pytest.raises(ValueError, match="another problem"):
        _fit(other, data, resume=checkpoint)


def test_structure_fit_is_independent_of_threads_and_workers(small):
    param, data = small
    one = _fit(param, data, threads=1, starts=2, workers=1)
    _same(one, _fit(param, data, threads=2, starts=2, workers=1))
    _same(one, _fit(param, data, starts=2, workers=2))
