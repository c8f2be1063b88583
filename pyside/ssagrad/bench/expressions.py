"""Cost per event of expression rate laws against the same network in mass action.

``ssagrad bench expressions``: each workload is simulated four ways on one thread, with
the same seeds and so the same number of events: as the zoo writes it (mass action,
written-out elementary propensities); with every rate written as its whole propensity
``k * A * (A - 1) / 2 => ...`` (expressions), as ssagrad runs them (those that are
elementary mass action recognised as such); the same with that recognition switched
off (the general rational-form path); and forced into bytecode. The ratio to mass
action is the cost per event.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import numpy as np

from .. import _exprcode, models
from ..network import Network, Reaction
from ..simulate import simulate
from .timing import best_of_interleaved

#: (zoo model, horizon, trajectories).
WORKLOADS = (("dimerization", 400.0, 200), ("negative_feedback", 1000.0, 200))


@dataclass(frozen=True)
class Row:
    """One measurement: seconds per call and events per call."""

    model: str
    form: str
    events: int
    seconds: float

    @property
    def ns_per_event(self) -> float:
        """Nanoseconds per reaction event."""
        return 1e9 * self.seconds / max(self.events, 1)


def as_expressions(net: Network) -> Network:
    """``net`` with every mass-action law written as its whole propensity (``=>``).

    Examples
    --------
    >>> print(as_expressions(models.dimerization().network).reactions[2])
    k3 * (A * (A - 1) / 2), 2A => B
    """
    from .._sbml_write import _propensity_tree
    from ..builder import expression

    out = []
    for r in net.reactions:
        law = expression(str(_expr(_propensity_tree(r))), full=True)
        out.append(Reaction(r.reactants, r.products, law))
    return Network(tuple(out), net.species)


def _expr(tree: tuple):
    from ..expr import Expression

    return Expression(tree)


def _built(net: Network, params: dict, recognise: bool) -> Network:
    """``net`` with its kernel network built now, with or without the recognition."""
    from ..backends.native import _network
    from ..inputs import parameter_vector

    saved = _network.RECOGNISE_MASS_ACTION
    _network.RECOGNISE_MASS_ACTION = recognise
    try:
        arrays = net.arrays()
        _network.kernel_network(arrays, arrays.theta(parameter_vector(net, params)))
    finally:
        _network.RECOGNISE_MASS_ACTION = saved
    return net


def run(scale: float = 1.0, repeats: int = 5) -> list[Row]:
    """Time each workload in the four forms (one thread), interleaved round by round."""
    rows = []
    for name, horizon, n_base in WORKLOADS:
        model = models.get(name)
        n = max(2, int(n_base * scale))
        times = np.linspace(0.0, horizon, 101)
        recognised = as_expressions(model.network)
        rational = _built(as_expressions(model.network), model.params, recognise=False)
        saved = _exprcode.MAX_TERMS
        _exprcode.MAX_TERMS = 0  # no rational forms: bytecode
        try:
            bytecode = _built(as_expressions(model.network), model.params, recognise=False)
        finally:
            _exprcode.MAX_TERMS = saved
        nets = {"mass action": model.network, "expressions": recognised,
                "expressions, no recognition (rational)": rational,
                "expressions, no recognition (bytecode)": bytecode}  # fmt: skip
        calls = {
            form: partial(simulate, net, model.params, model.x0, times, n=n, seed=1, threads=1)
            for form, net in nets.items()
        }
        for form, (seconds, ds) in best_of_interleaved(repeats, calls).items():
            rows.append(Row(name, form, int(ds.events.sum()), seconds))
    return rows


def format_table(rows: list[Row]) -> str:
    """Markdown table with the ratio to mass action of each model."""
    base = {r.model: r.ns_per_event for r in rows if r.form == "mass action"}
    lines = ["| model | rates | events | ns/event | × mass action |", "|---|---|---:|---:|---:|"]
    for r in rows:
        lines.append(
            f"| {r.model} | {r.form} | {r.events} | {r.ns_per_event:.1f} | "
            f"{r.ns_per_event / base[r.model]:.2f} |"
        )
    return "\n".join(lines)
