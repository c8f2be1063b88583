"""SBML export: :func:`write_sbml` (``Network.to_sbml``) writes SBML Level 3 Version 2
that :func:`ssagrad.read_sbml` reads back to an equal network: mass action as its
propensity, other laws as their propensity with the ssagrad rate text in an annotation,
parameter values and the horizon in annotations too (full precision)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from xml.sax.saxutils import escape

from ._files import write_text
from ._sbml_math import NS, SBMLError, _libsbml, comb_tree, to_ast
from .events import Event
from .expr import Expression, expand_hill, mul
from .network import EXPRESSION, MASS_ACTION, Network, Reaction

#: Smallest non-zero magnitude of a number written to SBML.
SMALLEST = 1e-300


def _propensity_tree(reaction: Reaction) -> tuple:
    """The whole propensity of a reaction as a tree (what an SBML kinetic law holds)."""
    law = reaction.rate
    comb = comb_tree(dict(reaction.reactants))
    if law.kind == EXPRESSION:
        return law.expression.tree if law.full else mul(law.expression.tree, comb)
    for a in law.args:
        if not isinstance(a, str):
            _check_readable(float(a), f"a number in the rate of {reaction}")
    args = [("name", a) if isinstance(a, str) else ("num", float(a)) for a in law.args]
    if law.kind == MASS_ACTION:
        return mul(args[0], comb)
    name = "hill" if law.species is not None and str(law).startswith("hill(") else "hillr"
    return mul(expand_hill(("call", name, (("name", law.species), *args))), comb)


def _check_readable(value: float, what: str) -> None:
    """``SBMLError`` for a number too small for SBML readers (libsbml) to read back."""
    if value != 0.0 and abs(value) < SMALLEST:
        raise SBMLError(
            f"{what}: the value {value!r} is below {SMALLEST:g} in magnitude, which SBML "
            "readers cannot read back (libsbml writes 15 digits, and such numbers round to "
            "subnormals); round it to 0 or a larger number"
        )


def write_sbml(
    net: Network,
    path: str | None = None,
    params: Mapping[str, float] | None = None,
    x0: Mapping[str, int] | None = None,
    t_end: float | None = None,
) -> str:
    """SBML Level 3 Version 2 text of ``net`` (and write it to ``path`` if given).

    Parameters
    ----------
    net : Network
    params : mapping, optional
        Parameter values (a parameter without one is written without a value).
    x0 : mapping, optional
        Initial counts (missing species start at 0).
    t_end : float, optional
        A horizon, kept in an annotation that :func:`read_sbml` reads back.

    Examples
    --------
    >>> import ssagrad
    >>> text = ssagrad.models.telegraph().network.to_sbml(params={"kon": 0.5})
    >>> "<listOfReactions>" in text
    True
    """
    lib = _libsbml()
    params, x0 = dict(params or {}), dict(x0 or {})
    doc = lib.SBMLDocument(3, 2)
    model = doc.createModel()
    model.setId("ssagrad_model")
    if t_end is not None:
        model.setAnnotation(
            f'<ssagrad:horizon xmlns:ssagrad="{NS}">{float(t_end)!r}</ssagrad:horizon>'
        )
    comp = model.createCompartment()
    comp.setId("cell")
    comp.setSize(1.0)
    comp.setConstant(True)
    comp.setSpatialDimensions(3)
    for s in net.species:
        sp = model.createSpecies()
        sp.setId(s)
        sp.setCompartment("cell")
        sp.setHasOnlySubstanceUnits(True)
        sp.setBoundaryCondition(False)
        sp.setConstant(False)
        sp.setInitialAmount(float(x0.get(s, 0)))
    assigned = {t for e in net.events for t, _ in e.assignments}
    for p in net.parameters:
        par = model.createParameter()
        par.setId(p)
        par.setConstant(p not in assigned)
        if p in params:
            _check_readable(float(params[p]), f"parameter {p!r}")
            par.setValue(float(params[p]))  # libsbml writes 15 digits: keep all 17 too
            par.setAnnotation(
                f'<ssagrad:value xmlns:ssagrad="{NS}">{float(params[p])!r}</ssagrad:value>'
            )
    for j, reaction in enumerate(net.reactions):
        _write_reaction(model, f"R{j + 1}", reaction, set(net.species))
    for k, event in enumerate(net.events):
        _write_event(model, event, k)
    text = lib.writeSBMLToString(doc)
    if path is not None:
        write_text(path, text)
    return text


def _write_reaction(model: Any, rid: str, reaction: Reaction, species: set[str]) -> None:
    rx = model.createReaction()
    rx.setId(rid)
    rx.setReversible(False)
    for side, create in (
        (reaction.reactants, rx.createReactant),
        (reaction.products, rx.createProduct),
    ):
        for name, coeff in side:
            ref = create()
            ref.setSpecies(name)
            ref.setStoichiometry(float(coeff))
            ref.setConstant(True)
    tree = _propensity_tree(reaction)
    reactants = {name for name, _ in reaction.reactants}
    for name in Expression(tree).names:
        if name in species and name not in reactants:
            rx.createModifier().setSpecies(name)
    law = rx.createKineticLaw()
    law.setMath(to_ast(tree))
    if reaction.rate.kind != MASS_ACTION or not isinstance(reaction.rate.args[0], str):
        # the rate text at full precision (MathML numbers keep 15 digits)
        arrow = "=>" if reaction.rate.full else "-->"
        text = escape(str(reaction.rate))
        rx.setAnnotation(
            f'<ssagrad:rate xmlns:ssagrad="{NS}" arrow="{arrow}">{text}</ssagrad:rate>'
        )


def _write_event(model: Any, event: Event, k: int) -> None:
    ev = model.createEvent()
    ev.setId(event.id or f"E{k + 1}")
    ev.setUseValuesFromTriggerTime(True)
    trigger = ev.createTrigger()
    trigger.setMath(to_ast(event.trigger.tree))
    trigger.setInitialValue(bool(event.initial_value))
    trigger.setPersistent(True)
    for target, value in event.assignments:
        assignment = ev.createEventAssignment()
        assignment.setVariable(target)
        assignment.setMath(to_ast(value.tree))
