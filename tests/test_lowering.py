"""Network lowering: linear-time construction equals the definition; caches never go stale."""

import dataclasses

import numpy as np

import ssagrad
from ssagrad import models
from ssagrad.backends import get_backend
from ssagrad.backends.native import kernel_network
from ssagrad.estimators import Problem, run_estimator


def _brute_dependencies(arrays):
    """Reaction i depends on j if i reads (reactant or Hill species) a species j changes."""
    nu = arrays.stoichiometry
    reads = []
    for i in range(arrays.n_reactions):
        r = set(arrays.reactant_species[arrays.reactant_ptr[i] : arrays.reactant_ptr[i + 1]])
        if arrays.rate_species[i] >= 0:
            r.add(int(arrays.rate_species[i]))
        reads.append(r)
    return [
        [i for i in range(arrays.n_reactions) if reads[i] & set(np.flatnonzero(nu[j]).tolist())]
        for j in range(arrays.n_reactions)
    ]


def test_dependency_graph_matches_its_definition_on_every_zoo_model():
    nets = [models.get(name).network for name in models.available()]
    nets += [
        models.diffusion_lattice(40).network,
        ssagrad.parse("k, A + B --> A\nhill(A, v, K, n), B --> 2B"),
    ]
    for net in nets:
        arrays = net.arrays()
        expected = _brute_dependencies(arrays)
        for j in range(arrays.n_reactions):
            lo, hi = arrays.dependency_ptr[j], arrays.dependency_ptr[j + 1]
            assert arrays.dependency_index[lo:hi].tolist() == expected[j], (net, j)


def test_lowering_is_kept_on_the_network_and_kernel_networks_per_parameter_vector():
    net = models.diffusion_lattice(1000).network
    assert net.arrays() is net.arrays()
    arrays = net.arrays()
    one, two = arrays.theta([1.0]), arrays.theta([2.0])
    assert kernel_network(arrays, one) is kernel_network(arrays, one.copy())
    assert float(kernel_network(arrays, two).rate[0]) == 2.0
    assert float(kernel_network(arrays, one).rate[0]) == 1.0


def test_a_replaced_problem_uses_its_own_constants():
    """What the fit loop does: dataclasses.replace(problem, params=...) then run_estimator."""
    problem = Problem.build(models.birth_death(), None, None, [2.0])
    engine = get_backend()
    slow = dataclasses.replace(problem, params=np.array([1.0, 1.0]))
    fast = dataclasses.replace(problem, params=np.array([50.0, 1.0]))
    low = run_estimator(slow, engine, "score", 200, 1).states.mean()
    high = run_estimator(fast, engine, "score", 200, 1).states.mean()
    assert low < 3 < 30 < high
    again = run_estimator(slow, engine, "score", 200, 1).states.mean()
    assert again == low
