"""The estimator registry and the backend contract: one place decides, errors come first."""

import numpy as np
import pytest

import ssagrad
from ssagrad import models
from ssagrad.backends import (
    CAPABILITIES,
    NETWORK_FEATURES,
    Backend,
    available_backends,
    get_backend,
)
from ssagrad.backends.julia import JuliaBackend
from ssagrad.estimators import ESTIMATORS, Estimator, Expectation, GradientSamples
from ssagrad.estimators._registry import estimator_table


class _ZeroSamples(GradientSamples):
    def __init__(self, problem, states):
        self.problem, self.states = problem, states

    def expectation(self, phi=None):
        value = self.states.mean(axis=0).astype(float)
        return Expectation(value, np.zeros((*value.shape, self.problem.n_parameters)))


def test_a_toy_estimator_needs_nothing_but_its_definition():
    class Zero(Estimator):
        name = "toy_zero"
        summary = "gradient zero, for the test"
        capability = "direct"
        benchmark = False

        @staticmethod
        def run(problem, engine, n, seed, level=0.0, max_events=10):
            states, _, _ = engine.simulate(
                problem.arrays,
                problem.theta,
                problem.x0,
                problem.times,
                ssagrad.seeding.trajectory_seeds(seed, n),
                "direct",
                max_events,
                0.0,
            )
            return _ZeroSamples(problem, states)

    try:
        g = ssagrad.gradient(models.birth_death(), times=[1.0], estimator="toy_zero", n=5, seed=1)
        assert float(np.abs(g.dmean).max()) == 0.0 and g.attrs["estimator"] == "toy_zero"
        assert "toy_zero" in estimator_table()
        with pytest.raises(ValueError, match="unknown option.*'toy_zero': temperature; valid"):
            ssagrad.gradient(models.birth_death(), times=[1.0], estimator="toy_zero", temperature=1)
        with pytest.raises(ValueError, match="valid estimators: .*toy_zero"):
            ssagrad.gradient(models.birth_death(), times=[1.0], estimator="nope")
    finally:
        del ESTIMATORS["toy_zero"]


@pytest.mark.parametrize("estimator", sorted(ESTIMATORS))
def test_every_estimator_rejects_an_unknown_option_by_name(estimator):
    with pytest.raises(ValueError, match=rf"unknown option\(s\) for estimator '{estimator}': "):
        ssagrad.gradient(models.birth_death(), times=[1.0], estimator=estimator, tempo=3)


@pytest.mark.parametrize(
    "estimator", sorted(e for e, cls in ESTIMATORS.items() if "max_events" in cls.options())
)
@pytest.mark.parametrize("bad", [0, -3, 2.5, True, "10"])
def test_max_events_is_validated_one_way(estimator, bad):
    with pytest.raises(ValueError, match=rf"max_events must be a positive integer, got {bad!r}"):
        ssagrad.gradient(models.birth_death(), times=[1.0], estimator=estimator, max_events=bad)


def test_capabilities_are_consulted_before_any_work():
    class Limited(Backend):
        name = "limited"
        capabilities = ("direct", "tau")
        calls = 0

        def set_threads(self, threads):
            pass

        def simulate(self, *args):
            Limited.calls += 1
            return get_backend().simulate(*args)

    engine = Limited()
    problem = ssagrad.estimators.Problem.build(models.birth_death(), None, None, [1.0])
    with pytest.raises(ValueError, match="needs 'altpath'.*supports: direct, tau"):
        ssagrad.estimators.run_estimator(problem, engine, "altpath", 10, 1)
    with pytest.raises(ValueError, match="needs 'cfd'"):
        engine.coupled(None, None, None, None, None, None, 1)
    assert Limited.calls == 0
    assert engine.supports("direct") and not engine.supports("score")
    with pytest.raises(ValueError, match="unknown capability 'warp'"):
        engine.supports("warp")


def test_available_backends_reports_capabilities_without_starting_them():
    info = available_backends()
    assert info["native"].available and info["native"].capabilities == CAPABILITIES
    # Every kernel has a Julia version; expression laws and events are native only.
    assert info["julia"].capabilities == tuple(
        c for c in CAPABILITIES if c not in NETWORK_FEATURES and c != "w1_score"
    )
    assert not set(NETWORK_FEATURES) & set(info["julia"].capabilities)
    assert JuliaBackend.capabilities == info["julia"].capabilities
    assert info["julia"].available or "julia" in info["julia"].reason.lower()


def test_simulate_method_must_be_a_backend_capability():
    engine = get_backend()
    assert all(engine.supports(m) for m in ("direct", "sorting", "nrm", "cr", "tau"))
