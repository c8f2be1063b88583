"""SBML import and export: round trips of every zoo model, libsbml validation of the
export, the DSMTS reading rules on small hand-written models, and clear errors for
malformed or unsupported SBML (each naming the element and its id)."""

import numpy as np
import pytest

import ssagrad
from ssagrad import models

libsbml = pytest.importorskip("libsbml")

from sbml_documents import MALFORMED, MATH, PLAIN_X, reaction, sbml  # noqa: E402


@pytest.mark.parametrize("name", models.available())
def test_zoo_round_trip_simulates_identically(name):
    m = models.get(name)
    back = ssagrad.read_sbml(m.network.to_sbml(params=m.params, x0=m.x0, t_end=m.t_end))
    assert back.network == m.network
    assert back.params == dict(m.params) and back.t_end == m.t_end
    assert {s: back.x0[s] for s in m.x0} == dict(m.x0)
    assert all(v == 0 for s, v in back.x0.items() if s not in m.x0)
    times = np.linspace(0, m.t_end, 5)
    one = ssagrad.simulate(m, times=times, n=40, seed=7)
    two = ssagrad.simulate(back, times=times, n=40, seed=7)
    assert np.array_equal(one.x.values, two.x.values)


@pytest.mark.parametrize("name", models.available())
def test_export_validates_without_errors(name):
    m = models.get(name)
    doc = libsbml.readSBMLFromString(m.network.to_sbml(params=m.params, x0=m.x0))
    doc.checkConsistency()
    errors = [
        doc.getError(i).getMessage()
        for i in range(doc.getNumErrors())
        if doc.getError(i).getSeverity() >= libsbml.LIBSBML_SEV_ERROR
    ]
    assert errors == []


def test_expressions_and_events_round_trip(tmp_path):
    net = (
        ssagrad.NetworkBuilder()
        .add("ks", {}, {"S": 1})
        .add("Vmax * S / (Km + S)", {"S": 1}, {"P": 1}, full=True)
        .add("d * exp(-P / 50)", {"P": 1}, {})
        .event("P > 30", {"S": "0"})
        .build()
    )
    params = {"ks": 5.0, "Vmax": 4.0, "Km": 3.0, "d": 0.5}
    path = tmp_path / "mm.xml"
    net.to_sbml(str(path), params=params, x0={"S": 2})
    back = ssagrad.read_sbml(str(path))
    assert back.network == net and back.params == params and back.x0 == {"S": 2, "P": 0}
    one = ssagrad.simulate(net, params, {"S": 2}, times=[0, 5, 20], n=30, seed=3)
    two = ssagrad.simulate(back, times=[0, 5, 20], n=30, seed=3)
    assert np.array_equal(one.x.values, two.x.values)


def test_kinetic_laws_recognised_as_mass_action():
    dimer = reaction(
        "R1",
        "<ci> k </ci><ci> X </ci><apply><minus/><ci> X </ci><cn> 1 </cn></apply><cn> 0.5 </cn>",
        reactants='"X" stoichiometry="2"',
        products='"Y" stoichiometry="1"',
    )
    species = (
        '<species id="X" compartment="c" initialAmount="10" hasOnlySubstanceUnits="true" '
        'boundaryCondition="false" constant="false"/>'
        '<species id="Y" compartment="c" initialAmount="0" hasOnlySubstanceUnits="true" '
        'boundaryCondition="false" constant="false"/>'
    )
    m = ssagrad.read_sbml(sbml(species=species, reactions=dimer))
    assert str(m.network) == "k, 2X --> Y"
    mm = reaction(
        "R1",
        "<ci> k </ci><apply><divide/><ci> X </ci>"
        "<apply><plus/><cn> 1 </cn><ci> X </ci></apply></apply>",
        reactants=PLAIN_X,
    )
    rate = ssagrad.read_sbml(sbml(reactions=mm)).network.reactions[0].rate
    assert rate.kind == ssagrad.network.EXPRESSION and rate.full  # the whole propensity
    assert str(rate) == "k * (X / (1 + X))"


def test_concentrations_and_local_parameters_follow_dsmts():
    """A species in concentration is ``amount / V`` in math; a local parameter shadows."""
    species = (
        '<species id="X" compartment="c" initialConcentration="50" '
        'hasOnlySubstanceUnits="false" boundaryCondition="false" constant="false"/>'
    )
    law = (
        f"<kineticLaw>{MATH.format('<apply><times/><ci> k </ci><ci> X </ci></apply>')}"
        '<listOfLocalParameters><localParameter id="k" value="3"/></listOfLocalParameters>'
        "</kineticLaw>"
    )
    compartment = '<compartment id="c" spatialDimensions="3" size="2" constant="true"/>'
    m = ssagrad.read_sbml(
        sbml(species=species, compartment=compartment, reactions=reaction("R1", "", '"X"', law=law))
    )
    assert m.x0 == {"X": 100}  # 50 per volume x volume 2
    assert m.params["R1_k"] == 3.0
    x = np.array([[10.0]])
    rate = m.network.reactions[0].rate.expression.evaluate({"R1_k": 3.0, "X": x[0, 0], "t": 0})
    assert rate == pytest.approx(3.0 * 10 / 2)


def test_assignment_rule_is_an_observable():
    species = (
        '<species id="X" compartment="c" initialAmount="10" hasOnlySubstanceUnits="true" '
        'boundaryCondition="false" constant="false"/>'
        '<species id="y" compartment="c" initialAmount="0" hasOnlySubstanceUnits="true" '
        'boundaryCondition="false" constant="false"/>'
    )
    rule = (
        '<listOfRules><assignmentRule variable="y">'
        f"{MATH.format('<apply><times/><cn> 2 </cn><ci> X </ci></apply>')}"
        "</assignmentRule></listOfRules>"
    )
    m = ssagrad.read_sbml(sbml(body=rule, species=species))
    assert m.network.species == ("X",)
    assert np.array_equal(m.observe("y", np.array([[3], [4]])), [6.0, 8.0])


def test_time_event_resets_a_species():
    event = (
        '<listOfEvents><event id="reset" useValuesFromTriggerTime="true">'
        '<trigger initialValue="false" persistent="true">'
        + MATH.format(
            '<apply><geq/><csymbol encoding="text" '
            'definitionURL="http://www.sbml.org/sbml/symbols/time"> t </csymbol>'
            "<cn> 2 </cn></apply>"
        )
        + '</trigger><listOfEventAssignments><eventAssignment variable="X">'
        + MATH.format("<cn> 50 </cn>")
        + "</eventAssignment></listOfEventAssignments></event></listOfEvents>"
    )
    m = ssagrad.read_sbml(sbml(body=event))
    ds = ssagrad.simulate(m, times=[0.0, 1.9, 2.0, 2.5], n=200, seed=2)
    x = ds.x.sel(species="X").values
    assert (x[:, 2] == 50).all()  # the event at t = 2 is applied before observing t = 2
    assert (x[:, 1] <= 10).all() and (x[:, 3] <= 50).all()


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_or_unsupported_sbml_is_refused_clearly(case):
    source, message = MALFORMED[case]
    with pytest.raises(ssagrad.SBMLError) as info:
        ssagrad.read_sbml(source)
    assert message in str(info.value)


def test_sbml_error_is_a_value_error():
    assert issubclass(ssagrad.SBMLError, ValueError)
