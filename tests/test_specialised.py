"""The direct method compiled per network (``backends/native/_specialised.py``).

Its trajectories must be the generic kernel's bit for bit (states, event counts, status),
with either way of selecting the reaction (a chain of branches or branchless) and with
the one the tier times and keeps, on the zoo and on random mass-action networks,
including runs capped by ``max_events`` and propensities that overflow; the tier must
compile a network only once it is hot, and keep the kernel that was faster.
"""

import math
import time

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from test_properties import networks

from ssagrad import models, parse
from ssagrad.backends.native import NativeBackend, _specialised
from ssagrad.backends.native._kernel_source import SELECTIONS, source
from ssagrad.backends.native._network import kernel_network
from ssagrad.inputs import initial_state, parameter_vector
from ssagrad.network import Network
from ssagrad.seeding import trajectory_seeds


@pytest.fixture
def tier(request, monkeypatch, tmp_path):
    """A fresh tier writing its modules to ``tmp_path``; its :data:`SELECTION` is the
    test's indirect parameter, else ``"chain"`` (where the selection does not matter)."""
    monkeypatch.setattr(_specialised, "_COUNTS", {})
    monkeypatch.setattr(_specialised, "_KERNELS", {})
    monkeypatch.setattr(_specialised, "_FOLDER", [tmp_path])
    monkeypatch.setattr(_specialised, "SELECTION", getattr(request, "param", "chain"))
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
    sample = (start, np.asarray(times, float), seeds, max_events)
    assert tier.ensemble_for(kernel_network(arrays, theta), start.shape[0], sample) is not None
    return generic, engine.simulate(*call)


def _assert_identical(generic, own):
    for mine, theirs in zip(own, generic, strict=True):
        assert mine.dtype == theirs.dtype
        assert np.array_equal(mine, theirs)


@pytest.mark.parametrize(
    ("tier", "name"),
    [(selection, "dimerization") for selection in ("timed", "chain", "branchless")]
    + [("chain", "multistate")],  # 18 reactions: the chain only
    indirect=["tier"],
)
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
# The timed tier keeps one of these two kernels.
@pytest.mark.parametrize("tier", ["chain", "branchless"], indirect=True)
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


def _selection_step(net, n_species, selection):
    """The generated code from the running sums to the refresh, as a Python function
    ``(x, p, target) -> (x, p)`` (the kernel's text, run by Python: same IEEE comparisons)."""
    n = net.rate.shape[0]
    lines = source(net, n_species, selection).splitlines()
    sums = lines[lines.index("    while True:") + 1 : lines.index(f"        a0 = c_{n - 1}") + 1]
    selected = lines[lines.index("        target = u * a0") + 1 : lines.index("        t = t_next")]
    body = [f"    x_{s} = x[{s}]" for s in range(n_species)]
    body += [f"    p_{i} = p[{i}]" for i in range(n)]
    body += [f"    k_{i} = rate[{i}]" for i in range(n)]
    body += [line[4:] for line in sums + selected]
    xs = ", ".join(f"x_{s}" for s in range(n_species))
    ps = ", ".join(f"p_{i}" for i in range(n))
    body.append(f"    return [{xs}], [{ps}]")
    scope = {"np": np, "rate": [float(k) for k in net.rate]}
    exec("def step(x, p, target):\n" + "\n".join(body), scope)
    return scope["step"]


def test_the_branchless_selection_answers_as_the_chain_on_every_edge():
    """Targets on a running sum, at ``u a0`` for ``u`` from 0 to its largest value (whose
    product can round up to ``a0``: the rounding fix), with zero propensities and with an
    overflowed ``a0`` (``u = 0`` then makes the target NaN): both kernels move the same
    counts and propensities, and keep a propensity no fired reaction refreshes."""
    model = models.dimerization()
    arrays = model.network.arrays()
    params = dict(model.params, k3=1e300)  # 2A --> B overflows to inf at large A
    net = kernel_network(arrays, arrays.theta(parameter_vector(model.network, params)))
    chain, branchless = (_selection_step(net, 2, s) for s in ("chain", "branchless"))
    uniforms = [0.0, *np.random.default_rng(5).random(4), 1.0 - 2.0**-53]
    overflowed = 0
    for x in [(0, 0), (0, 3), (5, 0), (7, 2), (10**9, 0), (10**9, 4)]:
        # p_3 one ulp off its law, as a start value may be: kept until 2 or 3 fires
        p = [5.0, 0.5 * x[0], 1e300 * x[0] * (x[0] - 1.0) * 0.5, math.nextafter(x[1], 9.0)]
        sums = [float(c) for c in np.cumsum(p)]
        overflowed += math.isinf(sums[-1])
        for target in [*sums, *(u * sums[-1] for u in uniforms)]:
            assert chain(list(x), p, target) == branchless(list(x), p, target), (x, target)
    assert overflowed == 2


@pytest.mark.parametrize("tier", ["timed", "chain"], indirect=True)
def test_a_network_is_compiled_only_once_it_is_hot(tier, monkeypatch):
    model = models.birth_death()
    arrays = model.network.arrays()
    theta = arrays.theta(parameter_vector(model.network, model.params))
    net = kernel_network(arrays, theta)
    call = (np.array([3]), np.linspace(0.0, 5.0, 6), trajectory_seeds(1, 4), 10**6)
    monkeypatch.setattr(tier, "SPECIALISE_AFTER_EVENTS", 1_000)
    assert tier.ensemble_for(net, 1, call) is None
    tier.record(net, 1, np.array([600]))
    assert tier.ensemble_for(net, 1, call) is None  # 600 events: still cold
    tier.record(net, 1, np.array([400]))
    own = tier.ensemble_for(net, 1, call)
    assert own is not None and tier.ensemble_for(net, 1, call) is own  # compiled once
    other = kernel_network(arrays, theta * 2.0)  # other rate constants, same structure
    assert tier.ensemble_for(other, 1, call) is own
    assert list(tier._FOLDER[0].glob("network_*.py"))
    key = tier.structure_key(net, 1)
    timed = tier._KERNELS.get((key, "timed"))  # only the timed tier chooses
    kept = next((s for s in SELECTIONS if timed and tier._KERNELS.get((key, s)) is timed), None)
    assert kept in (SELECTIONS if tier.SELECTION == "timed" else (None,))


@pytest.mark.parametrize("slow", ["chain", "branchless"])
def test_the_timed_tier_keeps_the_faster_kernel(slow):
    """The candidates are timed on the call's sample: the one that takes longer loses."""
    tier = _specialised
    calls = []

    def candidate(name):
        def ensemble(x0, times, seeds, max_events, states, events, status, rate, a_start):
            calls.append((name, seeds.shape[0], max_events))
            time.sleep(0.004 if name == slow else 0.0)

        return ensemble

    kernels = {name: candidate(name) for name in SELECTIONS}
    model = models.dimerization()
    arrays = model.network.arrays()
    net = kernel_network(arrays, arrays.theta(parameter_vector(model.network, model.params)))
    call = (np.zeros(2, np.int64), np.linspace(0.0, 1.0, 3), trajectory_seeds(1, 100), 10**9)
    fastest = tier._fastest(kernels, net, call)
    assert fastest != slow and fastest in SELECTIONS
    assert len(calls) == 2 * (1 + tier.TIMING_ROUNDS)  # a warm-up, then the timed rounds
    assert {(n, m) for _, n, m in calls} == {(tier.TIMING_TRAJECTORIES, tier.TIMING_EVENTS)}


@pytest.mark.parametrize("tier", ["chain", "branchless"], indirect=True)
def test_overflowing_propensities_select_as_the_generic_kernel(tier, monkeypatch):
    """A propensity overflowing to inf makes ``a0`` infinite: the branchless kernel then
    takes the chain's comparisons, and every kernel fires what the generic one fires."""
    network = parse("k1, A + B --> C\nk2, C --> A + B\nk3, A --> 0\nk4, 0 --> B")
    params = {"k1": 1e300, "k2": 1.0, "k3": 1.0, "k4": 2.0}
    x0 = {"A": 10**10, "B": 1, "C": 0}
    outputs = _both(tier, monkeypatch, network, params, x0, [0.0, 1.0], 5, 4, 200)
    _assert_identical(*outputs)
    assert outputs[0][1].sum() > 0


def test_general_rate_laws_and_large_networks_stay_generic(tier, monkeypatch):
    monkeypatch.setattr(tier, "SPECIALISE_AFTER_EVENTS", 0)
    hill = parse("hill(P, w, K, 2), 0 --> P\nd, P --> 0")
    arrays = hill.arrays()
    net = kernel_network(arrays, arrays.theta(np.array([1.0, 2.0, 0.1])))
    assert not tier.eligible(net, 1) and tier.ensemble_for(net, 1, None) is None
    lattice = models.diffusion_lattice(tier.MAX_REACTIONS + 2)
    arrays = lattice.network.arrays()
    net = kernel_network(arrays, arrays.theta(parameter_vector(lattice.network, lattice.params)))
    species = lattice.network.n_species
    assert not tier.eligible(net, species) and tier.ensemble_for(net, species, None) is None
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
