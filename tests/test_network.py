"""Network syntax, builder, zoo and lowering to kernel arrays."""

import numpy as np
import pytest

import ssagrad
from ssagrad import NetworkBuilder, hillr, models
from ssagrad.network import HILLR, MASS_ACTION


def test_parse_orders_species_and_parameters_by_first_appearance():
    net = ssagrad.parse(
        """
        # telegraph
        kon,  Goff --> Gon
        koff, Gon --> Goff
        ktx,  Gon --> Gon + M   # transcription
        kdeg, M --> ∅
        """
    )
    assert net.species == ("Goff", "Gon", "M")
    assert net.parameters == ("kon", "koff", "ktx", "kdeg")
    arrays = net.arrays()
    assert arrays.stoichiometry.tolist() == [[-1, 1, 0], [1, -1, 0], [0, 0, 1], [0, 0, -1]]


def test_coefficients_reversible_and_unicode_arrows():
    net = ssagrad.parse("(kf, kb), 2A + B <--> C\nk3, 3 * C → 2A")
    assert net.n_reactions == 3
    r0, r1, r2 = net.reactions
    assert r0.reactants == (("A", 2), ("B", 1)) and r0.products == (("C", 1),)
    assert r1.reactants == (("C", 1),) and r1.rate.args == ("kb",)
    assert r2.reactants == (("C", 3),)
    assert net.arrays().stoichiometry[0].tolist() == [-2, -1, 1]


def test_hill_rates_and_literals():
    net = ssagrad.parse("hillr(P, v, K, 2), 0 --> P\n0.5, P --> 0")
    assert net.parameters == ("v", "K")
    arrays = net.arrays()
    assert arrays.rate_code.tolist() == [HILLR, MASS_ACTION]
    assert arrays.rate_species.tolist() == [0, -1]
    theta = arrays.theta(np.array([3.0, 40.0]))
    assert theta.tolist() == [3.0, 40.0, 2.0, 0.5]
    assert arrays.rate_slots[0].tolist() == [0, 1, 2]
    assert arrays.rate_slots[1].tolist() == [3, -1, -1]


def test_builder_matches_parser():
    built = (
        NetworkBuilder().add(hillr("P", "v", "K", "n"), {}, {"P": 1}).add("d", {"P": 1}, {}).build()
    )
    parsed = ssagrad.parse("hillr(P, v, K, n), 0 --> P\nd, P --> 0")
    assert built == parsed
    assert str(parsed) == "hillr(P, v, K, n), 0 --> P\nd, P --> 0"


def test_dependency_graph_links_reactions_that_read_changed_species():
    arrays = models.telegraph().network.arrays()
    deps = [
        arrays.dependency_index[arrays.dependency_ptr[j] : arrays.dependency_ptr[j + 1]].tolist()
        for j in range(4)
    ]
    # kon/koff change Goff and Gon: both switch reactions and transcription depend on them
    assert deps[0] == [0, 1, 2] and deps[1] == [0, 1, 2]
    # transcription and decay change M: only decay reads M
    assert deps[2] == [3] and deps[3] == [3]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("k, A -> B", "line 1: expected an arrow"),
        ("\n\nk A --> B", "line 3: expected 'rate, reactants --> products'"),
        ("k, A + --> B", "line 1: cannot read the term ''"),
        ("k, A --> 2.5B", "line 1: cannot read the term '2.5B'"),
        ("hill(X, v, K), 0 --> X", "line 1: hill takes 4 arguments, got 3"),
        ("(kf), A <--> B", "line 1: a reversible reaction needs two rates"),
        ("k-, A --> B", "line 1: unexpected end of expression"),
        ("foo(k), A --> B", "line 1: unknown function 'foo'"),
        ("k, A --> B --> C", "line 1: more than one arrow"),
        ("k, A --> ", "line 1: empty reaction side"),
        ("# nothing", "contains no reactions"),
        ("k, A --> k", "names used both as species and parameter"),
    ],
)
def test_malformed_lines_name_the_line_and_problem(text, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        ssagrad.parse(text)


def test_parse_never_evaluates_text():
    with pytest.raises(ValueError, match="line 1"):
        ssagrad.parse("__import__('os').system('echo hi'), A --> B")


def test_zoo_models_are_complete():
    expected = {
        "birth_death",
        "dimerization",
        "telegraph",
        "bimolecular_association",
        "sir",
        "lotka_volterra",
        "negative_feedback",
        "multistate",
        "repressilator",
    }
    assert expected <= set(models.available())
    for name in models.available():
        model = models.get(name)
        assert set(model.params) == set(model.network.parameters), name
        assert set(model.x0) <= set(model.network.species), name
        assert model.t_end > 0 and model.description
    multistate = models.multistate().network
    assert (multistate.n_species, multistate.n_reactions) == (9, 18)
    with pytest.raises(ValueError, match="unknown model 'nope'; available: birth_death"):
        models.get("nope")
