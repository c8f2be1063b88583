"""The direct method compiled per network (``backends/native/_specialised.py``).

Its trajectories must be the generic kernel's bit for bit (states, event counts, status),
on the zoo and on random mass-action networks, including runs capped by ``max_events``;
and the tier must compile a network only once it is hot.
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from test_properties import networks

from ssagrad import models, parse
from ssagrad.backends.native import NativeBackend, _specialised
from ssagrad.backends.native._network import kernel_network
from ssagrad.inputs import initial_state, parameter_vector
from ssagrad.network import Network
from ssagrad.seeding import trajectory_seeds


@pytest.fixture
def tier(monkeypatch, tmp_path):
    """A fresh tier writing its modules to ``tmp_path``; returns the module."""
    monkeypatch.setattr(_specialised, "_COUNTS", {})
    monkeypatch.setattr(_specialised, "_KERNELS", {})
    monkeypatch.setattr(_specialised, "_FOLDER", [tmp_path])
    return _specialised


def _both(tier, monkeypatch, network, params, x0, times, n, seed, max_events):
    """(generic, specialised) outputs of the direct method on the same call."""
    arrays = network.arrays()
    theta = arrays.theta(parameter_vector(network, params))
    start = initial_state(network, x0)
    seeds = trajectory_seeds(seed, n)
    engine = NativeBackend()
    call = (arrays, theta, start, np.asarray(times, float), seeds, "direct", max_events, 0.0)
    monkeypatch.setattr(tier, "SPECIALISE", False)
    generic = engine.simulate(*call)
    monkeypatch.setattr(tier, "SPECIALISE", True)
    monkeypatch.setattr(tier, "SPECIALISE_AFTER_EVENTS", 0)
    assert tier.ensemble_for(kernel_network(arrays, theta), start.shape[0]) is not None
    return generic, engine.simulate(*call)


def _assert_identical(generic, own):
    for mine, theirs in zip(own, generic, strict=True):
        assert mine.dtype == theirs.dtype
        assert np.array_equal(mine, theirs)


@pytest.mark.parametrize("name", ["dimerization", "multistate"])
def test_a_network_kernel_reproduces_the_generic_direct_method(tier, monkeypatch, name):
    model = models.get(name)
    times = np.linspace(0.0, model.t_end, 11)
    outputs = _both(tier, monkeypatch, model.network, model.params, model.x0, times, 40, 3, 10**7)
    _assert_identical(*outputs)
    assert outputs[0][1].sum() > 0


def test_a_capped_run_is_identical_and_flagged(tier, monkeypatch):
    model = models.dimerization()
    times = np.linspace(0.0, 50.0, 6)
    generic, own = _both(tier, monkeypatch, model.network, model.params, model.x0, times, 8, 1, 25)
    _assert_identical(generic, own)
    assert (own[2] == 1).all() and (own[1] == 25).all()


# The tier fixture is shared by the examples on purpose: kernels are kept per structure.
@settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(networks(max_species=3, max_reactions=5, hill_laws=False, literal_rates=False), st.data())
def test_random_mass_action_networks_run_identically(tier, monkeypatch, net, data):
    arrays = net.arrays()
    params = {p: data.draw(st.floats(0.0, 3.0), label=p) for p in net.parameters}
    kernel = kernel_network(arrays, arrays.theta(parameter_vector(net, params)))
    assume(_specialised.eligible(kernel, len(net.species)))
    x0 = {s: data.draw(st.integers(0, 20), label=s) for s in net.species}
    seed = data.draw(st.integers(0, 2**32), label="seed")
    outputs = _both(tier, monkeypatch, net, params, x0, [0.0, 0.5, 2.0], 12, seed, 5_000)
    _assert_identical(*outputs)


def test_a_network_is_compiled_only_once_it_is_hot(tier, monkeypatch):
    model = models.birth_death()
    arrays = model.network.arrays()
    theta = arrays.theta(parameter_vector(model.network, model.params))
    net = kernel_network(arrays, theta)
    monkeypatch.setattr(tier, "SPECIALISE_AFTER_EVENTS", 1_000)
    assert tier.ensemble_for(net, 1) is None
    tier.record(net, 1, np.array([600]))
    assert tier.ensemble_for(net, 1) is None  # 600 events: still cold
    tier.record(net, 1, np.array([400]))
    own = tier.ensemble_for(net, 1)
    assert own is not None and tier.ensemble_for(net, 1) is own  # compiled once
    other = kernel_network(arrays, theta * 2.0)  # other rate constants, same structure
    assert tier.ensemble_for(other, 1) is own
    assert list(tier._FOLDER[0].glob("network_*.py"))


def test_general_rate_laws_and_large_networks_stay_generic(tier, monkeypatch):
    monkeypatch.setattr(tier, "SPECIALISE_AFTER_EVENTS", 0)
    hill = parse("hill(P, w, K, 2), 0 --> P\nd, P --> 0")
    arrays = hill.arrays()
    net = kernel_network(arrays, arrays.theta(np.array([1.0, 2.0, 0.1])))
    assert not tier.eligible(net, 1) and tier.ensemble_for(net, 1) is None
    lattice = models.diffusion_lattice(tier.MAX_REACTIONS + 2)
    arrays = lattice.network.arrays()
    net = kernel_network(arrays, arrays.theta(parameter_vector(lattice.network, lattice.params)))
    species = lattice.network.n_species
    assert not tier.eligible(net, species) and tier.ensemble_for(net, species) is None
    many = models.birth_death()
    arrays = many.network.arrays()
    net = kernel_network(arrays, arrays.theta(parameter_vector(many.network, many.params)))
    assert tier.eligible(net, 1) and not tier.eligible(net, tier.MAX_SPECIES + 1)


def test_a_species_no_reaction_touches_gets_its_own_kernel(tier, monkeypatch):
    """Same reactions, one more (untouched) species: other code, so another kernel."""
    one = parse("k, 0 --> X\nd, X --> 0")
    two = Network(one.reactions, ("X", "Y"))
    params = {"k": 2.0, "d": 0.5}
    times = [0.0, 1.0, 3.0]
    for network, x0 in ((one, {"X": 1}), (two, {"X": 1, "Y": 7})):
        generic, own = _both(tier, monkeypatch, network, params, x0, times, 6, 2, 10_000)
        _assert_identical(generic, own)
    assert len(tier._KERNELS) == 2
    assert (own[0][:, :, 1] == 7).all()
