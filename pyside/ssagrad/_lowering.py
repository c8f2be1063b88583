"""A :class:`~ssagrad.network.Network` lowered to kernel arrays (``Network.arrays()``).

Mass-action and Hill laws become rate-law codes and ``theta`` slots as before;
expression laws and events become :class:`ExpressionTables`: each expression in its
rational form where it has one (the fast path, see :mod:`ssagrad._exprcode`), in bytecode
otherwise, with bytecode for the derivatives the kernels need. Numbers in expressions
are literals in ``theta`` like those of the other laws.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from ._exprcalc import derivative
from ._exprcode import program, rational
from .events import time_thresholds
from .expr import TIME
from .network import EXPRESSION, Network, NetworkArrays, RateLaw

#: ``ExpressionTables.expr_form`` values.
FORM_NONE, FORM_RATIONAL, FORM_PROGRAM = -1, 0, 1


def _i64(values: Iterable[int], shape: tuple[int, ...] | None = None) -> np.ndarray:
    out = np.ascontiguousarray(np.asarray(list(values), dtype=np.int64))
    return out.reshape(shape) if shape is not None else out


@dataclass(frozen=True)
class ExpressionTables:
    """Expression rate laws and events as plain arrays (empty when there are none).

    Attributes
    ----------
    expr_form : (R,) int64
        :data:`FORM_NONE` (not an expression), :data:`FORM_RATIONAL` or :data:`FORM_PROGRAM`.
    expr_range : (R, 3) int64
        Rational: term indices ``(numerator start, denominator start, end)`` (an empty
        denominator is 1). Program: ``(start, end, 0)`` into ``prog_op``/``prog_arg``.
    term_coef, term_ptr, factor_var, factor_pow :
        Terms ``term_coef[q] * prod v^e`` over factors ``term_ptr[q]:term_ptr[q+1]``;
        ``factor_var >= 0`` is ``theta[var]``, ``< 0`` species ``-1 - var``.
    prog_op, prog_arg : bytecode (see :mod:`ssagrad._exprcode`).
    dprog : (R, W, 2) int64
        Program range of the derivative by the parameter in ``rate_slots[j, k]``
        (programs only; ``-1`` otherwise).
    read_ptr, read_species, read_prog :
        Species each expression reads (CSR) and the program range of the derivative by
        each (programs only).
    event_* :
        Events: trigger programs, ``initial_value``, assignment targets (variable codes as
        ``factor_var``) and value programs (CSR by event), and the programs of the
        watched time thresholds (CSR by event).
    """

    expr_form: np.ndarray
    expr_range: np.ndarray
    term_coef: np.ndarray
    term_ptr: np.ndarray
    factor_var: np.ndarray
    factor_pow: np.ndarray
    prog_op: np.ndarray
    prog_arg: np.ndarray
    dprog: np.ndarray
    read_ptr: np.ndarray
    read_species: np.ndarray
    read_prog: np.ndarray
    event_trigger: np.ndarray
    event_initial: np.ndarray
    event_assign_ptr: np.ndarray
    event_target: np.ndarray
    event_value: np.ndarray
    event_watch_ptr: np.ndarray
    event_watch: np.ndarray
    time_dependent: bool

    @property
    def n_events(self) -> int:
        """Number of events."""
        return int(self.event_initial.shape[0])


class _Builder:
    """Accumulates terms, programs and literals while a network is lowered."""

    def __init__(self, net: Network) -> None:
        self.species = {s: i for i, s in enumerate(net.species)}
        self.params = {p: i for i, p in enumerate(net.parameters)}
        self.literals: list[float] = []
        self.literal_slot: dict[float, int] = {}
        self.terms: list[float] = []
        self.term_ptr = [0]
        self.factor_var: list[int] = []
        self.factor_pow: list[int] = []
        self.ops: list[int] = []
        self.args: list[int] = []

    def literal(self, value: float) -> int:
        """A new theta slot for a rate-law literal (one per use, as before)."""
        self.literals.append(float(value))
        return len(self.params) + len(self.literals) - 1

    def constant(self, value: float) -> int:
        """A theta slot for an expression's number (shared between uses)."""
        if value not in self.literal_slot:
            self.literal_slot[value] = self.literal(value)
        return self.literal_slot[value]

    def resolve(self, name: str) -> int:
        if name in self.species:
            return -1 - self.species[name]
        return self.params[name]

    def program(self, tree: tuple) -> tuple[int, int]:
        lo = len(self.ops)
        for op, arg in program(tree, self.resolve, self.constant):
            self.ops.append(op)
            self.args.append(arg)
        return lo, len(self.ops)

    def add_terms(self, poly: dict) -> None:
        for monomial, coef in poly.items():
            self.terms.append(coef)
            for var, power in monomial:
                self.factor_var.append(var)
                self.factor_pow.append(power)
            self.term_ptr.append(len(self.factor_var))

    def expression(self, tree: tuple) -> tuple[int, tuple[int, int, int]]:
        """Lower one rate expression: ``(form, range)``."""
        form = rational(tree, self.resolve)
        if form is None:
            lo, hi = self.program(tree)
            return FORM_PROGRAM, (lo, hi, 0)
        num, den = form
        if len(den) == 1 and () in den:  # a constant denominator folds into the terms
            num = {m: c / den[()] for m, c in num.items()}
            den = {}
        start = len(self.terms)
        self.add_terms(num)
        middle = len(self.terms)
        self.add_terms(den)
        return FORM_RATIONAL, (start, middle, len(self.terms))


def _lower_expression(b: _Builder, law: RateLaw) -> tuple:
    """``(form, range, parameter slots, derivative programs by parameter, species read)``
    of an expression law; each species read comes with its derivative program (bytecode
    form only, else ``(-1, -1)``)."""
    tree = law.expression.tree
    names = [n for n in law.expression.names if n != TIME]
    params = [n for n in names if n not in b.species]
    form, rng = b.expression(tree)
    program = form == FORM_PROGRAM
    read = [
        (b.species[n], b.program(derivative(tree, n)) if program else (-1, -1))
        for n in names
        if n in b.species
    ]
    dprogs = [b.program(derivative(tree, n)) for n in params] if program else []
    return form, rng, [b.params[n] for n in params], dprogs, read


def _slot_tables(slot_rows: list[list[int]], dprog_rows: list[list]) -> tuple[np.ndarray, ...]:
    """``rate_slots (R, W)`` and ``dprog (R, W, 2)``, padded with -1."""
    n_r, width = len(slot_rows), max([3] + [len(r) for r in slot_rows])
    rate_slots = np.full((n_r, width), -1, dtype=np.int64)
    dprog = np.full((n_r, width, 2), -1, dtype=np.int64)
    for j, row in enumerate(slot_rows):
        rate_slots[j, : len(row)] = row
        for k, rng in enumerate(dprog_rows[j]):
            dprog[j, k] = rng
    return rate_slots, dprog


def lower(net: Network) -> NetworkArrays:
    """:meth:`Network.arrays` without the cache; linear in the size of the network."""
    b = _Builder(net)
    sp, par = b.species, b.params
    n_s, n_r, n_p = len(sp), len(net.reactions), len(par)
    reactant_ptr, reactant_species, reactant_coeff = [0], [], []
    change_ptr, change_species, change_delta = [0], [], []
    rate_code = np.zeros(n_r, dtype=np.int64)
    rate_species = np.full(n_r, -1, dtype=np.int64)
    slot_rows: list[list[int]] = []
    expr_form = np.full(n_r, FORM_NONE, dtype=np.int64)
    expr_range = np.zeros((n_r, 3), dtype=np.int64)
    dprog_rows: list[list[tuple[int, int]]] = []
    read_ptr, read_species, read_prog = [0], [], []
    readers: list[list[int]] = [[] for _ in range(n_s)]  # reactions reading each species

    def reads(s: int, j: int) -> None:
        if not readers[s] or readers[s][-1] != j:
            readers[s].append(j)

    for j, reaction in enumerate(net.reactions):
        law = reaction.rate
        change: dict[int, int] = {}
        for name, coeff in reaction.reactants:
            change[sp[name]] = -coeff
            if not law.full:
                reactant_species.append(sp[name])
                reactant_coeff.append(coeff)
                reads(sp[name], j)
        for name, coeff in reaction.products:
            change[sp[name]] = change.get(sp[name], 0) + coeff
        reactant_ptr.append(len(reactant_species))
        for s in sorted(change):
            if change[s]:
                change_species.append(s)
                change_delta.append(change[s])
        change_ptr.append(len(change_species))
        rate_code[j] = law.kind
        dprog_rows.append([])
        if law.kind == EXPRESSION:
            expr_form[j], expr_range[j], slots, dprog_rows[j], read = _lower_expression(b, law)
            slot_rows.append(slots)
            for s, prog in read:
                reads(s, j)
                read_species.append(s)
                read_prog.append(prog)
            read_ptr.append(len(read_species))
            continue
        read_ptr.append(len(read_species))
        if law.species is not None:
            rate_species[j] = sp[law.species]
            reads(rate_species[j], j)
        slot_rows.append([par[t] if isinstance(t, str) else b.literal(float(t)) for t in law.args])
    rate_slots, dprog = _slot_tables(slot_rows, dprog_rows)
    dependency_ptr, dependency_index = [0], []
    for j in range(n_r):
        changed = change_species[change_ptr[j] : change_ptr[j + 1]]
        dependency_index.extend(sorted({i for s in changed for i in readers[s]}))
        dependency_ptr.append(len(dependency_index))
    events = _lower_events(net, b)
    tables = ExpressionTables(
        expr_form=expr_form,
        expr_range=expr_range,
        term_coef=np.asarray(b.terms, dtype=np.float64),
        term_ptr=_i64(b.term_ptr),
        factor_var=_i64(b.factor_var),
        factor_pow=_i64(b.factor_pow),
        prog_op=_i64(b.ops),
        prog_arg=_i64(b.args),
        dprog=dprog,
        read_ptr=_i64(read_ptr),
        read_species=_i64(read_species),
        read_prog=_i64([v for r in read_prog for v in r], (len(read_prog), 2)),
        **events,
        time_dependent=net.time_dependent,
    )
    return NetworkArrays(
        n_species=n_s,
        n_reactions=n_r,
        n_parameters=n_p,
        reactant_ptr=_i64(reactant_ptr),
        reactant_species=_i64(reactant_species),
        reactant_coeff=_i64(reactant_coeff),
        change_ptr=_i64(change_ptr),
        change_species=_i64(change_species),
        change_delta=_i64(change_delta),
        rate_code=rate_code,
        rate_species=rate_species,
        rate_slots=rate_slots,
        literals=np.asarray(b.literals, dtype=np.float64),
        dependency_ptr=_i64(dependency_ptr),
        dependency_index=_i64(dependency_index),
        expressions=tables,
    )


def _lower_events(net: Network, b: _Builder) -> dict[str, np.ndarray]:
    """The ``event_*`` arrays of :class:`ExpressionTables`."""
    trigger, initial, assign_ptr, target, value = [], [], [0], [], []
    watch_ptr, watch = [0], []
    for event in net.events:
        trigger.append(b.program(event.trigger.tree))
        initial.append(int(event.initial_value))
        for name, expr in event.assignments:
            target.append(b.resolve(name))
            value.append(b.program(expr.tree))
        assign_ptr.append(len(target))
        for threshold in time_thresholds(event.trigger.tree):
            watch.append(b.program(threshold))
        watch_ptr.append(len(watch))

    def ranges(rows: list[tuple[int, int]]) -> np.ndarray:
        return _i64([v for r in rows for v in r], (len(rows), 2))

    return {
        "event_trigger": ranges(trigger),
        "event_initial": _i64(initial),
        "event_assign_ptr": _i64(assign_ptr),
        "event_target": _i64(target),
        "event_value": ranges(value),
        "event_watch_ptr": _i64(watch_ptr),
        "event_watch": ranges(watch),
    }
