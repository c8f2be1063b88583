"""``ssagrad.fit``: recovery of known parameters with every estimator, multi-start,
sloppiness, bounds and reparametrisations, early stopping.

Tolerances (documented in docs/fitting.md, where the full measured table is): birth-death
within 15 % of truth for every estimator and loss; telegraph W1 on a time course within
20 % for the unbiased estimators; telegraph moments within 20 % for ``kon`` and ``ktx``
and 45 % for the sloppy pair ``koff``/``kdeg`` (the exact-gradient fit to the same data
lands at +22 % / -12 %: the data, not the optimiser, limit it).
"""

import numpy as np
import pytest
import xarray as xr

import ssagrad
from ssagrad.fitting import Kreikemeyer

BD = ssagrad.models.birth_death()
TG = ssagrad.models.telegraph()
BD_START = {"k": 4.0, "g": 2.5}
TG_START = {"kon": 1.0, "koff": 2.0, "ktx": 5.0, "kdeg": 2.0}


def snapshot(model, times, cells, seed, species):
    """Independent cells at each time (smFISH-like snapshot data)."""
    columns = [
        ssagrad.simulate(model, times=[t], n=cells, seed=seed * 100 + k).x.sel(species=species)
        for k, t in enumerate(times)
    ]
    data = xr.concat(columns, dim="time").to_dataset(name="x")
    return data.transpose("sample", "time", "species")


@pytest.fixture(scope="module")
def bd_data():
    return snapshot(BD, (0.5, 1, 2, 4, 8), 500, 1, ["A"])


@pytest.fixture(scope="module")
def tg_data():
    return snapshot(TG, (0.5, 1, 2, 4, 10), 1000, 2, ["M"])


def _errors(result, model):
    return {k: result.params[k] / model.params[k] - 1 for k in model.params}


ESTIMATOR_OPTIONS = {"smoothing": {"directions": 4, "orthogonal": True}}


@pytest.mark.parametrize("loss", ["moments", "w1"])
@pytest.mark.parametrize("estimator", ["score", "altpath", "gumbel", "fd", "cfd", "smoothing"])
def test_birth_death_is_recovered_by_every_estimator(bd_data, estimator, loss):
    result = ssagrad.fit(
        BD,
        bd_data,
        init=BD_START,
        loss=loss,
        estimator=estimator,
        n=300,
        steps=150,
        seed=7,
        progress=False,
        **ESTIMATOR_OPTIONS.get(estimator, {}),
    )
    errors = _errors(result, BD)
    assert max(abs(e) for e in errors.values()) < 0.15, errors
    assert result.best.status == "finished"
    assert np.isfinite(result.loss) and result.best.loss_se > 0


def _fit_telegraph(data, estimator, loss, **kwargs):
    options = dict(ESTIMATOR_OPTIONS.get(estimator, {}), **kwargs)
    n = 500 if estimator != "exact" else 1
    result = ssagrad.fit(
        TG,
        data,
        init=TG_START,
        loss=loss,
        estimator=estimator,
        n=n,
        steps=300,
        seed=7,
        progress=False,
        **options,
    )
    return _errors(result, TG)


@pytest.mark.parametrize(
    "estimator",
    [
        "score",
        "altpath",
        "cfd",
        pytest.param("fd", marks=pytest.mark.slow),
        pytest.param("smoothing", marks=pytest.mark.slow),
        pytest.param("exact", marks=pytest.mark.slow),
    ],
)
def test_telegraph_w1_time_course_is_recovered(tg_data, estimator):
    errors = _fit_telegraph(tg_data, estimator, "w1")
    assert max(abs(e) for e in errors.values()) < 0.20, errors


@pytest.mark.parametrize("estimator", ["score", "altpath"])
def test_telegraph_moments_time_course_is_recovered(tg_data, estimator):
    errors = _fit_telegraph(tg_data, estimator, "moments")
    assert abs(errors["kon"]) < 0.20 and abs(errors["ktx"]) < 0.20, errors
    assert abs(errors["koff"]) < 0.45 and abs(errors["kdeg"]) < 0.45, errors


def test_gumbel_bias_shows_in_telegraph_fits(tg_data):
    # GS-ST's late-time telegraph gradients are off several-fold (docs/estimators/gumbel.md):
    # on the same data where score recovers every rate, gumbel misses kdeg badly.
    gumbel = _fit_telegraph(tg_data, "gumbel", "w1")
    score = _fit_telegraph(tg_data, "score", "w1")
    assert abs(score["kdeg"]) < 0.2
    assert abs(gumbel["kdeg"]) > 0.5, gumbel


def test_several_starts_are_ranked_and_independent_of_the_worker_count(bd_data):
    kwargs = dict(
        init=BD_START,
        loss="moments",
        n=200,
        steps=60,
        seed=3,
        starts=3,
        bounds={"k": (1.0, 40.0), "g": (0.2, 5.0)},
        progress=False,
    )
    here = ssagrad.fit(BD, bd_data, workers=1, **kwargs)
    spread = ssagrad.fit(BD, bd_data, workers=2, **kwargs)
    assert [s.start for s in here.starts] == [s.start for s in spread.starts]
    for a, b in zip(here.starts, spread.starts, strict=True):
        assert a.params == b.params and a.loss == b.loss
    np.testing.assert_array_equal(here.history.loss.values, spread.history.loss.values)
    losses = [s.loss for s in here.starts]
    assert losses == sorted(losses)
    inits = [s.init["k"] for s in here.starts]
    assert len(set(inits)) == 3 and all(1.0 <= k <= 40.0 for k in inits)
    assert abs(here.params["k"] / 10 - 1) < 0.25


def test_start_points_can_be_given_explicitly(bd_data):
    result = ssagrad.fit(
        BD,
        bd_data,
        init=BD_START,
        starts=[{"k": 3.0}, {"k": 20.0, "g": 0.5}],
        loss="moments",
        n=100,
        steps=5,
        seed=1,
        progress=False,
        workers=1,
    )
    inits = sorted((s.start, s.init["k"], s.init["g"]) for s in result.starts)
    assert inits == [(0, 3.0, 2.5), (1, 20.0, 0.5)]


def test_fixed_parameters_stay_and_bounds_hold(bd_data):
    result = ssagrad.fit(
        BD,
        bd_data,
        init={"k": 4.0, "g": 1.3},
        fixed=["g"],
        bounds={"k": (2.0, 6.0)},
        loss="moments",
        n=200,
        steps=40,
        seed=1,
        progress=False,
    )
    params = result.history.params.sel(start=0)
    assert np.all(params.sel(parameter="g").values == 1.3)
    k = params.sel(parameter="k").values
    assert k.max() <= 6.0 + 1e-9 and k.min() >= 2.0 - 1e-9
    assert result.params["k"] == pytest.approx(6.0, rel=0.02)  # the truth, 10, is outside


def test_kreikemeyer_reparametrisation_switches_a_reaction_off_exactly():
    net = ssagrad.parse("k, 0 --> A\ng, A --> 0\nleak, A --> B")
    truth = {"k": 10.0, "g": 1.0, "leak": 0.0}
    data = ssagrad.simulate(net, truth, {"A": 0}, [1.0, 2.0, 4.0], n=2000, seed=4)
    result = ssagrad.fit(
        net,
        data,
        x0={"A": 0},
        init={"k": 10.0, "g": 1.0, "leak": 0.03},
        fixed=["k"],
        reparam={"leak": Kreikemeyer(a=1.0, c=np.log(0.05))},
        loss="moments",
        n=300,
        steps=100,
        seed=1,
        progress=False,
    )
    leak = result.history.params.sel(start=0, parameter="leak").values
    assert np.any(leak == 0.0)
    assert result.params["leak"] < 0.01 and abs(result.params["g"] - 1.0) < 0.1


def test_sloppiness_names_burst_frequency_and_size_as_stiff_from_moments():
    # Bursty telegraph (koff >> kon, kdeg): from steady-state mean and variance only the
    # burst frequency and the burst size are determined (Mottes et al.).
    truth = {"kon": 0.2, "koff": 10.0, "ktx": 100.0, "kdeg": 1.0}
    data = ssagrad.simulate(TG, truth, times=[12.0], n=3000, seed=8).sel(species=["M"])
    result = ssagrad.fit(
        TG,
        data,
        init=truth,
        fixed=["kdeg"],
        loss="moments",
        estimator="exact",
        steps=3,
        seed=1,
        progress=False,
    )
    sloppy = result.sloppiness()
    assert sloppy.stiff.tolist() == [True, True, False]
    assert sloppy.combinations["burst frequency"]["stiffness"] > 0.98
    assert sloppy.combinations["burst size"]["stiffness"] > 0.98
    assert "burst frequency" in str(sloppy)
    # koff alone is not determined: most of it lies along the sloppy direction.
    koff = ssagrad.fitting._sloppiness.analyse(
        result.best.jacobian[1],
        tuple(result.info["free"]),
        result.params,
        {"koff": lambda p: p["koff"]},
    )
    assert koff.combinations["koff"]["stiffness"] < 0.9


def test_early_stopping_ends_a_converged_fit(bd_data):
    result = ssagrad.fit(
        BD,
        bd_data,
        init={"k": 9.0, "g": 1.0},
        loss="moments",
        n=300,
        steps=400,
        stop_window=25,
        seed=1,
        progress=False,
    )
    assert result.best.status == "converged"
    assert result.best.steps < 400 and result.best.steps % 25 == 0
    assert abs(result.params["k"] / 10 - 1) < 0.1


def test_pool_fits_and_reports_a_smaller_value_se(bd_data):
    kwargs = dict(init=BD_START, loss="w1", n=200, steps=40, seed=5, progress=False)
    alone = ssagrad.fit(BD, bd_data, **kwargs)
    pooled = ssagrad.fit(BD, bd_data, pool=3000, **kwargs)
    se_alone = np.nanmean(alone.history.loss_se.values)
    se_pooled = np.nanmean(pooled.history.loss_se.values)
    assert se_pooled < se_alone / 2


def test_a_user_ensemble_loss_and_a_black_box_loss_fit(bd_data):
    target = bd_data.x.mean("sample").values  # (T, S)
    loss = ssagrad.EnsembleLoss(lambda x: x, lambda m: float(((m - target) ** 2).sum()))
    result = ssagrad.fit(
        BD, bd_data, init=BD_START, loss=loss, n=300, steps=100, seed=2, progress=False
    )
    assert abs(result.params["k"] / 10 - 1) < 0.15

    def black_box(states):
        return float(((states.mean(axis=0) - target) ** 2).sum())

    result = ssagrad.fit(
        BD,
        bd_data,
        init=BD_START,
        loss=black_box,
        estimator="cfd",
        n=300,
        steps=100,
        seed=2,
        progress=False,
    )
    assert abs(result.params["k"] / 10 - 1) < 0.15
    with pytest.raises(ValueError, match="black-box loss has no residuals"):
        result.sloppiness()
