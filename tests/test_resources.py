"""Resource guards: jobs over the memory limit get ssagrad's own error, at once."""

import time

import numpy as np
import pytest

import ssagrad
from ssagrad import models, structure
from ssagrad.resources import ENV_VAR, MemoryLimitError, parse_size


@pytest.fixture(autouse=True)
def _default_limit(monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    ssagrad.set_memory_limit(None)
    yield
    ssagrad.set_memory_limit(None)


def _refused_quickly(call) -> MemoryLimitError:
    start = time.perf_counter()
    with pytest.raises(MemoryLimitError) as info:
        call()
    elapsed = time.perf_counter() - start
    assert elapsed < 1.0, f"the guard took {elapsed:.2f} s"
    return info.value


def test_simulate_n_10_12_refused_in_under_a_second():
    net = ssagrad.parse("k, 0 --> A")
    err = _refused_quickly(lambda: ssagrad.simulate(net, {"k": 1.0}, None, [1.0], n=10**12))
    message = str(err)
    assert "n=1000000000000" in message and "24 TB" in message
    assert "memory limit" in message and "set_memory_limit" in message
    assert isinstance(err, MemoryError) and isinstance(err, ValueError)


def test_per_sample_tangents_refused_in_under_a_second():
    model = models.telegraph()
    times = np.linspace(1, 100, 100)
    err = _refused_quickly(
        lambda: ssagrad.gradient(model, times=times, estimator="gumbel", n=10**8, seed=1)
    )
    assert "per-sample tangents" in str(err) and "P=4 parameters" in str(err)
    assert "2.16 TB" in str(err)


def test_value_and_grad_and_fit_share_the_guard():
    model = models.birth_death()
    loss = ssagrad.EnsembleLoss(lambda x: x, lambda m: float((m**2).sum()))
    ssagrad.set_memory_limit("1MB")
    with pytest.raises(MemoryLimitError, match="estimator 'score'"):
        ssagrad.value_and_grad(model, times=[1.0, 2.0], loss=loss, n=100_000, seed=1)


def test_exact_refuses_a_projection_over_the_limit():
    ssagrad.set_memory_limit("100kB")
    with pytest.raises(MemoryLimitError, match=r"exact: .* states x \(1 \+ P=4 parameters\)"):
        ssagrad.exact(models.telegraph(), times=np.arange(1.0, 101.0))


def test_the_limit_can_be_raised_and_is_read_from_the_environment(monkeypatch):
    net = ssagrad.parse("k, 0 --> A")
    ssagrad.set_memory_limit(1000)
    with pytest.raises(MemoryLimitError, match=r"limit of 1 kB"):
        ssagrad.simulate(net, {"k": 1.0}, None, [1.0, 2.0], n=100, seed=1)
    ssagrad.set_memory_limit("1MB")
    assert ssagrad.simulate(net, {"k": 1.0}, None, [1.0, 2.0], n=100, seed=1).sizes["sample"]
    ssagrad.set_memory_limit(None)
    monkeypatch.setenv(ENV_VAR, "2KiB")
    assert ssagrad.memory_limit() == 2048
    with pytest.raises(MemoryLimitError, match="limit of 2.05 kB"):
        ssagrad.simulate(net, {"k": 1.0}, None, [1.0, 2.0], n=100, seed=1)
    monkeypatch.setenv(ENV_VAR, "plenty")
    with pytest.raises(ValueError, match="environment variable SSAGRAD_MEMORY_LIMIT"):
        ssagrad.memory_limit()


def test_lazy_ensembles_are_checked_by_chunk():
    net = ssagrad.parse("k, 0 --> A")
    ssagrad.set_memory_limit("1MB")
    ds = ssagrad.simulate(
        net, {"k": 1.0}, None, [1.0], n=10**6, seed=1, lazy=True, chunk=1000, on_max_events="flag"
    )
    assert ds.sizes["sample"] == 10**6  # nothing computed, so nothing refused


@pytest.mark.parametrize("bad", ["", "8XB", "-1GB", 0, True, float("inf"), None])
def test_parse_size_rejects(bad):
    with pytest.raises(ValueError, match="memory limit must be a positive size"):
        parse_size(bad)


def test_keep_samples_false_drops_the_per_sample_arrays_only():
    model = models.telegraph()
    full = ssagrad.gradient(model, times=[1.0, 2.0], estimator="gumbel", n=200, seed=3)
    small = ssagrad.gradient(
        model, times=[1.0, 2.0], estimator="gumbel", n=200, seed=3, keep_samples=False
    )
    assert "tangent" in full and "x" in full
    assert sorted(small.data_vars) == ["dmean", "dmean_se", "mean"]
    assert "sample" not in small.dims
    for name in ("mean", "dmean", "dmean_se"):
        np.testing.assert_array_equal(small[name].values, full[name].values)
    assert small.nbytes < full.nbytes / 50


def test_fit_and_structure_learning_are_refused_before_the_first_step():
    data = ssagrad.simulate(models.birth_death(), times=[1.0, 2.0], n=20, seed=1)
    ssagrad.set_memory_limit("1GB")
    start = time.perf_counter()
    with pytest.raises(MemoryLimitError, match="n_eval=100000000"):
        ssagrad.fit(models.birth_death(), data, steps=1000, n=10, n_eval=10**8, progress=False)
    with pytest.raises(MemoryLimitError, match=r"estimator 'smoothing'.*n=1000000000 samples"):
        structure.learn(data, x0={"A": 0}, steps=1000, n=10**9)
    assert time.perf_counter() - start < 1.0  # no step was taken
