"""SBML import and export (needs ``python-libsbml``: ``pip install 'ssagrad[sbml]'``).

:func:`read_sbml` turns an SBML model into a :class:`~ssagrad.models.Model` for
discrete stochastic simulation, as the SBML discrete stochastic test suite (DSMTS)
specifies: a kinetic law is the reaction's whole propensity (``=>``), recognised as
mass action where it is one (``k * A * B``, ``k * A * (A - 1) / 2``); a species with
``hasOnlySubstanceUnits="false"`` stands for its concentration ``amount / V`` in math
(``V`` its compartment's size) and an ``initialConcentration`` ``c`` gives ``c V``
molecules. Supported: global and local parameters, constant and boundary species
(they become parameters of the rate laws), assignment rules and initial assignments on
parameters and species, events without delay. Everything else is refused with an
:class:`SBMLError` naming the SBML element and its id. See docs/sbml.md.

:func:`write_sbml` (``Network.to_sbml``) writes SBML Level 3 Version 2 that
:func:`read_sbml` reads back to an equal network: mass action as its propensity, other
laws as their propensity with the ssagrad rate text in an annotation.
"""

from __future__ import annotations

import math
from typing import Any

from ._sbml_math import NS, SBMLError, _libsbml, comb_tree, from_ast, substitute
from ._sbml_write import write_sbml
from .events import Event
from .expr import TIME, Expression, mul
from .models import Model
from .network import EXPRESSION, MASS_ACTION, Network, RateLaw, Reaction

__all__ = ["SBMLError", "read_sbml", "write_sbml"]

_DEFAULT_T_END = 10.0


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise SBMLError(message)


def _document(source: str) -> Any:
    lib = _libsbml()
    text = str(source)
    doc = lib.readSBMLFromString(text) if text.lstrip().startswith("<") else None
    if doc is None:
        import os

        _check(os.path.exists(text), f"no SBML file at {text!r}")
        doc = lib.readSBMLFromFile(text)
    errors = [
        doc.getError(i)
        for i in range(doc.getNumErrors())
        if doc.getError(i).getSeverity() >= lib.LIBSBML_SEV_ERROR
    ]
    if errors:
        first = errors[0]
        raise SBMLError(f"invalid SBML (line {first.getLine()}): {first.getMessage().strip()}")
    _check(doc.getModel() is not None, "the SBML document has no model")
    return doc


def _refuse_unsupported(model: Any) -> None:
    """Raise for the first element outside the supported subset."""
    lib = _libsbml()
    for i in range(model.getNumRules()):
        rule = model.getRule(i)
        _check(not rule.isAlgebraic(), "algebraicRule: algebraic rules are not supported")
        _check(
            not rule.isRate(), f"rateRule for {rule.getVariable()!r}: rate rules are not supported"
        )
    for name, count in (
        ("functionDefinition", model.getNumFunctionDefinitions()),
        ("constraint", model.getNumConstraints()),
    ):
        _check(count == 0, f"{name}: not supported (found {count})")
    for i in range(model.getNumCompartments()):
        c = model.getCompartment(i)
        _check(
            c.getConstant(),
            f"compartment {c.getId()!r}: non-constant compartments are not supported",
        )
    for i in range(model.getNumEvents()):
        e = model.getEvent(i)
        _check(not e.isSetDelay(), f"event {e.getId()!r}: delays are not supported")
        _check(not e.isSetPriority(), f"event {e.getId()!r}: priorities are not supported")
    for i in range(model.getNumSpecies()):
        s = model.getSpecies(i)
        _check(
            not s.isSetConversionFactor(),
            f"species {s.getId()!r}: conversionFactor is not supported",
        )
    for i in range(model.getNumReactions()):
        r = model.getReaction(i)
        _check(
            not (r.isSetFast() and r.getFast()),
            f"reaction {r.getId()!r}: fast reactions are not supported",
        )
        _check(
            not r.getReversible(),
            f"reaction {r.getId()!r}: reversible reactions have a net rate, not a propensity; "
            "split it into two irreversible reactions",
        )
        _check(
            r.isSetKineticLaw() and r.getKineticLaw().isSetMath(),
            f"reaction {r.getId()!r}: no kinetic law",
        )
        for ref in list(r.getListOfReactants()) + list(r.getListOfProducts()):
            _check(
                not (hasattr(ref, "isSetStoichiometryMath") and ref.isSetStoichiometryMath()),
                f"reaction {r.getId()!r}: stoichiometryMath is not supported",
            )
            value = ref.getStoichiometry() if ref.isSetStoichiometry() else 1.0
            _check(
                math.isfinite(value) and value == int(value) and value >= 0,
                f"reaction {r.getId()!r}: non-integer stoichiometry {value} "
                f"of {ref.getSpecies()!r}",
            )
    del lib


class _Reader:
    """State of one import: names, values, substitutions."""

    def __init__(self, model: Any) -> None:
        self.model = model
        self.volume = {
            c.getId(): (c.getSize() if c.isSetSize() else 1.0)
            for c in model.getListOfCompartments()
        }
        self.values: dict[str, float] = {}  # parameters (and constant species) and their values
        self.counts: dict[str, float] = {}  # dynamic species -> initial amount
        self.subst: dict[str, tuple] = {}  # name -> tree (compartments, concentrations, rules)
        self.scale: dict[str, float] = {}  # species given in concentration -> volume
        self.concentration: dict[str, tuple] = {}  # species read as amount / V
        for cid, size in self.volume.items():
            self.subst[cid] = ("num", float(size))
        self.rules = {r.getVariable(): r for r in model.getListOfRules() if r.isAssignment()}

    def species(self) -> None:
        for s in self.model.getListOfSpecies():
            sid, volume = s.getId(), self.volume.get(s.getCompartment(), 1.0)
            amount = s.getInitialAmount() if s.isSetInitialAmount() else None
            if s.isSetInitialConcentration():
                amount = s.getInitialConcentration() * volume
            if not s.getHasOnlySubstanceUnits() and volume != 1.0:
                self.scale[sid] = volume
            if s.getConstant() or s.getBoundaryCondition() or sid in self.rules:
                self.values[sid] = amount if amount is not None else math.nan
            else:
                self.counts[sid] = amount if amount is not None else math.nan

    def parameters(self) -> None:
        for p in self.model.getListOfParameters():
            if p.getId() not in self.rules:
                value = p.getValue() if p.isSetValue() else math.nan
                self.values[p.getId()] = _exact_value(p, value)

    def tree(self, tree: tuple, where: str) -> tuple:
        """A math tree in amounts: rules and compartments substituted (to a fixed point),
        then species given in concentration as ``amount / V`` (once)."""
        for _ in range(len(self.rules) + 2):  # rules may read rules
            new = substitute(tree, self.subst)
            if new == tree:
                return substitute(tree, self.concentration)
            tree = new
        raise SBMLError(f"{where}: assignment rules refer to each other in a cycle")


def _prepare(reader: _Reader) -> None:
    """Concentrations, assignment rules and initial assignments."""
    for sid, volume in reader.scale.items():
        reader.concentration[sid] = ("/", ("name", sid), ("num", volume))
    for var, rule in reader.rules.items():
        _check(
            _only_read(reader.model, var),
            f"assignmentRule for {var!r}: the species changes in reactions",
        )
        reader.values.pop(var, None)
        reader.subst[var] = from_ast(rule.getMath(), f"assignmentRule for {var!r}")
    for ia in reader.model.getListOfInitialAssignments():
        var = ia.getSymbol()
        where = f"initialAssignment for {var!r}"
        tree = reader.tree(from_ast(ia.getMath(), where), where)
        env = {**reader.values, **reader.counts, TIME: 0.0}
        try:
            value = float(Expression(tree).evaluate(env))
        except ValueError as err:
            raise SBMLError(f"{where}: {err}") from None
        if var in reader.counts:
            reader.counts[var] = value * reader.scale.get(var, 1.0)
        elif var in reader.values:
            reader.values[var] = value * reader.scale.get(var, 1.0)
        else:
            raise SBMLError(f"{where}: not a parameter or species ssagrad can assign")


def _only_read(model: Any, sid: str) -> bool:
    for r in model.getListOfReactions():
        for ref in list(r.getListOfReactants()) + list(r.getListOfProducts()):
            if ref.getSpecies() == sid:
                return False
    return True


def _side(refs: Any, reader: _Reader) -> dict[str, int]:
    out: dict[str, int] = {}
    for ref in refs:
        sid = ref.getSpecies()
        if sid in reader.counts:  # constant and boundary species do not change
            coeff = int(ref.getStoichiometry()) if ref.isSetStoichiometry() else 1
            out[sid] = out.get(sid, 0) + coeff
    return {k: v for k, v in out.items() if v}


def _rate_law(tree: tuple, reactants: dict[str, int], annotation: str | None) -> RateLaw:
    """Mass action where the propensity is one, else the expression as the whole propensity."""
    if annotation:
        from .parse import _parse_rate

        text, full = annotation
        return _parse_rate(text, full=full)
    expr = Expression(tree)
    params = [n for n in expr.names if n not in reactants and n != TIME]
    candidates = params[:1] if len(params) == 1 else []
    if len(params) <= 1 and TIME not in expr.names:
        from ._exprcode import rational

        codes = {n: i for i, n in enumerate(list(reactants) + params)}
        got = rational(tree, lambda n: codes[n])
        for k in candidates or [None]:
            base = ("name", k) if k else ("num", 1.0)
            want = rational(mul(base, comb_tree(reactants)), lambda n: codes[n])
            if got is not None and want is not None and _ratio(got, want) is not None:
                ratio = _ratio(got, want)
                if k is None:
                    return RateLaw(MASS_ACTION, (ratio,))
                if ratio == 1.0:
                    return RateLaw(MASS_ACTION, (k,))
    return RateLaw(EXPRESSION, (), None, expr, True)


def _unit_denominator(form: tuple) -> tuple:
    """``(N / c, {})`` if the denominator is a constant ``c``, else ``(N, None)``."""
    num, den = form
    if len(den) == 1 and () in den:
        return {m: c / den[()] for m, c in num.items()}, {}
    return num, None


def _ratio(got: tuple, want: tuple) -> float | None:
    """``c`` if the rational form ``got`` is ``c`` times ``want`` (both with unit denominators)."""
    (n1, d1), (n2, d2) = (_unit_denominator(f) for f in (got, want))
    if d1 is None or d2 is None:
        return None
    if not n1:  # got is 0: zero times want
        return 0.0
    if set(n1) != set(n2):
        return None
    ratios = {round(n1[m] / n2[m], 12) for m in n1}
    return float(ratios.pop()) if len(ratios) == 1 else None


def _annotation(element: Any) -> tuple[str, bool] | None:
    if not element.isSetAnnotation():
        return None
    text = element.getAnnotationString()
    if NS not in text:
        return None
    import xml.etree.ElementTree as ET

    node = ET.fromstring(text).find(f"{{{NS}}}rate")
    return None if node is None else (node.text or "", node.get("arrow") == "=>")


def read_sbml(source: str) -> Model:
    """Read an SBML model (file path or document text) for exact stochastic simulation.

    Returns
    -------
    Model
        ``network``, default ``params`` (parameter values, including constant and
        boundary species), ``x0`` (initial molecule counts) and ``t_end`` (10 unless the
        file was written by ssagrad with a horizon).

    Raises
    ------
    SBMLError
        Invalid SBML, or an element outside the supported subset, named with its id.
    ImportError
        python-libsbml is not installed.

    Examples
    --------
    >>> import ssagrad
    >>> text = ssagrad.models.birth_death().network.to_sbml(params={"k": 10, "g": 1})
    >>> m = ssagrad.read_sbml(text)
    >>> print(m.network)
    k, 0 --> A
    g, A --> 0
    """
    model = _document(source).getModel()
    _refuse_unsupported(model)
    reader = _Reader(model)
    reader.species()
    reader.parameters()
    _prepare(reader)
    reactions = []
    for r in model.getListOfReactions():
        law = r.getKineticLaw()
        local = {}
        for p in list(law.getListOfLocalParameters()) + list(law.getListOfParameters()):
            if p.getId() in local:  # L3: both lists hold the local parameters
                continue
            name = f"{r.getId()}_{p.getId()}"
            _check(
                name not in reader.values,
                f"reaction {r.getId()!r}: local parameter name clash {name!r}",
            )
            reader.values[name] = p.getValue()
            local[p.getId()] = ("name", name)
        tree = substitute(from_ast(law.getMath(), f"kineticLaw of reaction {r.getId()!r}"), local)
        tree = reader.tree(tree, f"reaction {r.getId()!r}")
        reactants, products = (
            _side(r.getListOfReactants(), reader),
            _side(r.getListOfProducts(), reader),
        )
        rate = _rate_law(tree, reactants, _annotation(r))
        reactions.append(Reaction(tuple(reactants.items()), tuple(products.items()), rate))
    events = tuple(_event(e, reader) for e in model.getListOfEvents())
    _check(reactions, "the model has no reactions")
    net = Network(tuple(reactions), tuple(reader.counts), events)
    params = {p: reader.values[p] for p in net.parameters if p in reader.values}
    missing = [p for p in net.parameters if p not in params or math.isnan(params[p])]
    _check(not missing, f"parameter {missing[0]!r}: no value" if missing else "")
    x0 = {}
    for sid, amount in reader.counts.items():
        _check(
            math.isfinite(amount) and amount == round(amount) and amount >= 0,
            f"species {sid!r}: initial amount {amount} is not a molecule count",
        )
        x0[sid] = int(round(amount))
    observables = {
        var: Expression(reader.tree(tree, f"assignmentRule for {var!r}"))
        for var, tree in ((v, reader.subst[v]) for v in reader.rules)
    }
    for s in model.getListOfSpecies():  # constant and boundary species no law reads
        if s.getId() in reader.values and s.getId() not in params:
            observables[s.getId()] = Expression(("num", float(reader.values[s.getId()])))
    name, t_end = model.getId() or "sbml", _t_end(model)
    return Model(name, net, params, x0, t_end, model.getName(), observables=observables)


def _event(e: Any, reader: _Reader) -> Event:
    eid = e.getId() or "(no id)"
    _check(e.isSetTrigger() and e.getTrigger().isSetMath(), f"event {eid!r}: no trigger")
    where = f"trigger of event {eid!r}"
    trigger = reader.tree(from_ast(e.getTrigger().getMath(), where), where)
    assignments = []
    for a in e.getListOfEventAssignments():
        var = a.getVariable()
        _check(
            var in reader.counts or var in reader.values,
            f"eventAssignment of event {eid!r}: cannot assign {var!r}",
        )
        where = f"eventAssignment of event {eid!r} to {var!r}"
        value = reader.tree(from_ast(a.getMath(), where), where)
        if var in reader.scale:  # a concentration: amount = c V
            value = mul(value, ("num", reader.scale[var]))
        assignments.append((var, Expression(value)))
    initial = e.getTrigger().getInitialValue() if e.getTrigger().isSetInitialValue() else True
    try:
        return Event(Expression(trigger), tuple(assignments), bool(initial), eid)
    except ValueError as err:
        raise SBMLError(f"event {eid!r}: {err}") from None


def _exact_value(element: Any, value: float) -> float:
    """The full-precision value ssagrad's export keeps in an annotation, if there."""
    if element.isSetAnnotation() and NS in element.getAnnotationString():
        import xml.etree.ElementTree as ET

        node = ET.fromstring(element.getAnnotationString()).find(f"{{{NS}}}value")
        exact = float(node.text) if node is not None and node.text else value
        if abs(exact - value) <= 1e-12 * max(1.0, abs(value)):  # not a stale annotation
            return exact
    return value


def _t_end(model: Any) -> float:
    if model.isSetAnnotation() and NS in model.getAnnotationString():
        import xml.etree.ElementTree as ET

        node = ET.fromstring(model.getAnnotationString()).find(f"{{{NS}}}horizon")
        if node is not None and node.text:
            return float(node.text)
    return _DEFAULT_T_END
