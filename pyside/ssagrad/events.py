"""Discrete events: when a trigger becomes true, assign new values to species or parameters.

An :class:`Event` follows SBML's semantics without delays: it fires at the instant its
trigger goes from false to true (a trigger that is already true at ``t = 0`` fires then
only if ``initial_value`` is false), every assignment is evaluated with the values just
before the event and then applied together; events that become true through another
event's assignments fire in turn at the same instant. Species assignments are rounded
to the nearest integer count (a negative count is an error).

Triggers may read species, parameters and the time ``t``; comparisons with ``t`` on one
side (``t >= 5``, ``X > 2 && t < 10``) are watched exactly: the simulation stops at the
threshold, whose other side may not read ``t``. ``t > c`` is taken as ``t >= c`` (the
same instant in continuous time).

Examples
--------
>>> from ssagrad.events import Event
>>> e = Event.parse("t >= 25", {"X": "X + 50"})
>>> str(e)
'@event t >= 25: X = X + 50'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from .expr import COMPARISONS, TIME, Expression


@dataclass(frozen=True)
class Event:
    """A trigger and the assignments it makes when it becomes true.

    Parameters
    ----------
    trigger : Expression
        True where non-zero (usually a comparison).
    assignments : tuple of (name, Expression)
        Targets are species or parameters of the network.
    initial_value : bool
        The trigger's value "before" ``t = 0`` (SBML ``initialValue``): if False, a
        trigger true at the start fires at ``t = 0``.
    id : str
        A name for messages (not part of equality: an SBML export names every event).
    """

    trigger: Expression
    assignments: tuple[tuple[str, Expression], ...]
    initial_value: bool = True
    id: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.trigger, Expression):
            raise TypeError("an event trigger must be an Expression")
        if not self.assignments:
            raise ValueError(f"event {self.id!r} assigns nothing")
        seen = set()
        for target, value in self.assignments:
            if not isinstance(target, str) or not target.isidentifier() or target == TIME:
                raise ValueError(f"event {self.id!r}: cannot assign to {target!r}")
            if target in seen:
                raise ValueError(f"event {self.id!r} assigns {target!r} twice")
            seen.add(target)
            if not isinstance(value, Expression):
                raise TypeError(f"event {self.id!r}: the value of {target!r} is no Expression")
        _check_time_comparisons(self.trigger.tree, self.id)

    @classmethod
    def parse(
        cls,
        trigger: str,
        assignments: Mapping[str, str],
        initial_value: bool = True,
        id: str = "",
    ) -> Event:
        """An event from text: ``Event.parse("X > 100", {"X": "0"})``."""
        return cls(
            Expression.parse(trigger),
            tuple((k, Expression.parse(str(v))) for k, v in assignments.items()),
            initial_value,
            id,
        )

    def names(self) -> tuple[str, ...]:
        """Every name read or assigned, in order of first appearance."""
        out: dict[str, None] = dict.fromkeys(self.trigger.names)
        for target, value in self.assignments:
            out.setdefault(target)
            out.update(dict.fromkeys(value.names))
        return tuple(out)

    def __str__(self) -> str:
        body = ", ".join(f"{k} = {v}" for k, v in self.assignments)
        return f"@event {self.trigger}: {body}"


def time_thresholds(tree: tuple) -> list[tuple]:
    """The other sides of the comparisons with ``t`` in a trigger (the watched times)."""
    out: list[tuple] = []
    _thresholds(tree, out)
    return out


def _thresholds(node: tuple, out: list[tuple]) -> None:
    if node[0] in COMPARISONS:
        for side, other in ((node[1], node[2]), (node[2], node[1])):
            if side == ("name", TIME):
                out.append(other)
        return
    if node[0] == "call":
        for arg in node[2]:
            _thresholds(arg, out)
    elif node[0] not in ("num", "name"):
        for child in node[1:]:
            _thresholds(child, out)


def _check_time_comparisons(node: tuple, event_id: str) -> None:
    """Time may appear in a trigger only as one whole side of a comparison."""
    if node == ("name", TIME):
        raise ValueError(
            f"event {event_id!r}: the trigger reads t other than as a side of a comparison "
            "(write e.g. 't >= 5')"
        )
    if node[0] in COMPARISONS:
        for side, other in ((node[1], node[2]), (node[2], node[1])):
            if side == ("name", TIME):
                if TIME in Expression(other).names:
                    raise ValueError(f"event {event_id!r}: both sides of a comparison read t")
            elif TIME in Expression(side).names:
                raise ValueError(
                    f"event {event_id!r}: t may appear in a trigger only as a whole side "
                    "of a comparison (e.g. 't >= 5')"
                )
        return
    if node[0] == "call":
        for arg in node[2]:
            _check_time_comparisons(arg, event_id)
    elif node[0] not in ("num", "name"):
        for child in node[1:]:
            _check_time_comparisons(child, event_id)
