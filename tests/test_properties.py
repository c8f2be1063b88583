"""Property-based tests (Hypothesis) of the text syntax, simulation and the exact solver.

Example counts come from the profile loaded in ``tests/conftest.py`` (bounded in the
default run; ``SSAGRAD_HYPOTHESIS=thorough`` for a long hunt).
"""

import json
import re

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from scipy.linalg import null_space

import ssagrad
from ssagrad.network import Network, RateLaw, Reaction, hill, hillr

# Identifiers as Python reads them (the builder's rule), ASCII and not; ``t`` is the time
# in rate laws and names no species or parameter (tested in test_expressions.py).
identifiers = (
    st.text(
        alphabet=st.characters(categories=("L", "Mn", "Mc", "Nd", "Nl", "Pc"), max_codepoint=0x3FF),
        min_size=1,
        max_size=6,
    )
    .filter(str.isidentifier)
    .filter(lambda name: name != ssagrad.network.TIME)
)
literals = st.floats(min_value=0, max_value=1e300, allow_nan=False, allow_infinity=False)


@st.composite
def networks(
    draw,
    max_species=4,
    max_reactions=5,
    hill_laws=True,
    literal_rates=True,
    names=identifiers,
    numbers=literals,
):
    """Networks of ``Reaction`` objects over distinct species and parameter names."""
    identifiers, literals = names, numbers
    names = draw(st.lists(identifiers, min_size=2, max_size=max_species + 4, unique=True))
    n_species = draw(st.integers(1, min(max_species, len(names) - 1)))
    species, parameters = names[:n_species], names[n_species:]
    terms = st.sampled_from(parameters)
    if literal_rates:
        terms = terms | literals

    def side():
        chosen = draw(st.lists(st.sampled_from(species), max_size=2, unique=True))
        return tuple((s, draw(st.integers(1, 2))) for s in chosen)

    reactions = []
    for _ in range(draw(st.integers(1, max_reactions))):
        if hill_laws and draw(st.booleans()):
            law = draw(st.sampled_from([hill, hillr]))
            rate = law(draw(st.sampled_from(species)), draw(terms), draw(terms), draw(terms))
        else:
            rate = RateLaw(0, (draw(terms),))
        reactions.append(Reaction(side(), side(), rate))
    order = draw(st.permutations(species)) if draw(st.booleans()) else ()
    extra = () if not order else tuple(draw(st.lists(identifiers, max_size=1)))
    extra = tuple(e for e in extra if e not in names)
    declared = tuple(order) + extra if order else ()
    if not any(r.reactants or r.products or r.rate.species for r in reactions):
        declared = declared or (species[0],)  # a network needs a species
    return Network(tuple(reactions), declared)


@given(networks())
def test_to_text_then_parse_is_the_identity(net):
    text = net.to_text()
    assert ssagrad.parse(text) == net
    assert ssagrad.parse(text).to_text() == text


# SBML ids (SId) are ASCII: letters, digits and "_", not starting with a digit.
sbml_ids = st.from_regex(r"\A[A-Za-z_][A-Za-z0-9_]{0,5}\Z").filter(
    lambda name: name != ssagrad.network.TIME
)


# Numbers SBML readers read back: 0 and magnitudes from 1e-300 (see the next test).
sbml_numbers = st.just(0.0) | st.floats(1e-300, 1e300)


@given(networks(names=sbml_ids, numbers=sbml_numbers), st.data())
def test_sbml_export_then_import_is_the_identity(tmp_path_factory, net, data):
    params = {p: data.draw(sbml_numbers, label=p) for p in net.parameters}
    x0 = {s: data.draw(st.integers(0, 10**6), label=s) for s in net.species}
    path = tmp_path_factory.mktemp("sbml") / "model.xml"
    net.to_sbml(str(path), params=params, x0=x0)
    model = ssagrad.read_sbml(str(path))
    assert model.network == net
    assert dict(model.params) == params
    assert {s: int(v) for s, v in model.x0.items()} == x0


def test_sbml_export_refuses_numbers_readers_cannot_read_back():
    """Found by Hypothesis: libsbml wrote 1.1e-308 (and 2.2250738585072014e-308, which its
    15 digits round below the smallest normal double) and could not read the file back."""
    net = ssagrad.parse("k, A --> 0\n1e-305, 0 --> A")
    with pytest.raises(ssagrad.SBMLError, match="parameter 'k': the value 2.2250738585072014e-308"):
        net.to_sbml(params={"k": 2.2250738585072014e-308})
    with pytest.raises(ssagrad.SBMLError, match="a number in the rate of 1e-305, 0 --> A"):
        net.to_sbml(params={"k": 1.0})


def test_sbml_round_trip_keeps_every_digit_and_zero_rates(tmp_path):
    """Found by Hypothesis: a literal rate lost its 16th digit in MathML, a rate of 0 came
    back as an expression, and a Hill exponent of 1024 overflowed while exporting."""
    net = ssagrad.parse("@species A B\n1000000000000001.0, A --> 0\n0.0, 0 --> B\n"
                        "hill(A, 1.0, 2.0, 1024.0), 0 --> B")  # fmt: skip
    net.to_sbml(str(tmp_path / "m.xml"), x0={"A": 1})
    assert ssagrad.read_sbml(str(tmp_path / "m.xml")).network == net


LINE = re.compile(r"^line \d+: ")
arbitrary_text = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=300
) | st.lists(
    st.sampled_from(
        [
            "k",
            "A",
            "B",
            "2A",
            " + ",
            ", ",
            "-->",
            "<-->",
            "→",
            "↔",
            "0",
            "∅",
            "(",
            ")",
            "#",
            "@species",
            "hill(",
            "hillr(",
            "1e5",
            ".5",
            "\n",
            "\x00",
            "\x0b",
            "\u2028",
            "é",
            "9" * 500,
            "A" * 5000,
            " ",
            ",",
            "*",
        ]
    ),
    max_size=40,
).map("".join)


@given(arbitrary_text)
def test_parser_raises_only_value_errors_naming_a_line(text):
    try:
        ssagrad.parse(text)
    except ValueError as err:
        message = str(err)
        assert LINE.match(message) or message == "network text contains no reactions", message
        number = int(message.split(":")[0].split()[1]) if LINE.match(message) else None
        if number is not None:
            assert 1 <= number <= max(1, len(text.splitlines())), message


def _conservation_laws(net: Network) -> np.ndarray:
    """Rows ``c`` with ``c . nu_j = 0`` for every reaction (left null space of nu)."""
    nu = net.arrays().stoichiometry.astype(np.float64)
    return null_space(nu).T if nu.size else np.eye(net.n_species)


@given(
    networks(max_species=4, max_reactions=4, literal_rates=False),
    st.data(),
)
def test_simulate_conserves_what_the_stoichiometry_conserves(net, data):
    params = {p: data.draw(st.floats(0.0, 3.0), label=p) for p in net.parameters}
    x0 = {s: data.draw(st.integers(0, 20), label=s) for s in net.species}
    ds = ssagrad.simulate(
        net,
        params,
        x0,
        [0.0, 0.5, 1.0],
        n=20,
        seed=data.draw(st.integers(0, 2**32)),
        max_events=20_000,
        on_max_events="flag",
    )
    x = ds.x.values.astype(np.float64)
    start = np.array([x0[s] for s in net.species], dtype=np.float64)
    assert (x >= 0).all()
    assert (x[:, 0, :] == start).all()
    laws = _conservation_laws(net)
    drift = np.abs((x - start) @ laws.T)
    assert drift.max(initial=0.0) < 1e-6 * (1 + np.abs(x).max(initial=0)), laws


@given(networks(max_species=2, max_reactions=3, literal_rates=False), st.data())
def test_exact_gradients_match_finite_differences_of_exact(net, data):
    params = {p: data.draw(st.floats(0.2, 2.0), label=p) for p in net.parameters}
    x0 = {s: data.draw(st.integers(0, 3), label=s) for s in net.species}
    times = [0.5, 1.0]
    try:
        ref = ssagrad.exact(net, params, x0, times, max_states=3000, tol=1e-6)
    except ValueError as err:
        assume("too large" not in str(err))
        raise
    bounds = json.loads(ref.attrs["bounds"])
    for p in net.parameters:
        h = 1e-5 * params[p]
        up = ssagrad.exact(net, {**params, p: params[p] + h}, x0, times, bounds=bounds)
        down = ssagrad.exact(net, {**params, p: params[p] - h}, x0, times, bounds=bounds)
        fd = (up["mean"] - down["mean"]).values / (2 * h)
        analytic = ref["dmean"].sel(parameter=p).values
        scale = 1.0 + np.abs(analytic).max()
        assert np.allclose(analytic, fd, rtol=1e-4, atol=1e-5 * scale), (p, analytic, fd)


@pytest.mark.parametrize("name", ["α", "ª", "Ωmega", "x_é", "e\u0301"])
def test_non_ascii_names_round_trip(name):
    """Found by Hypothesis: the builder took Unicode identifiers, the parser only ASCII."""
    net = ssagrad.NetworkBuilder().add("k", {name: 1}, {}).build()
    assert ssagrad.parse(net.to_text()) == net


def test_a_network_without_species_is_refused():
    """Found by Hypothesis: 'k, 0 --> 0' parsed, then exact() crashed in numpy argmax."""
    with pytest.raises(ValueError, match="at least one species"):
        ssagrad.parse("k, 0 --> 0")
