"""The one estimator registry: every estimator is an :class:`Estimator` subclass.

Defining a subclass with a ``name`` registers it; :func:`ssagrad.gradient`'s table,
its error messages and the benchmark's estimator list are generated from the registry,
so adding an estimator touches its own module, its kernel and its docs page, nothing
else. The options an estimator accepts are the keyword parameters of its ``run``; every
estimator rejects unknown options the same way, and ``max_events`` is validated here,
once, for all of them.
"""

from __future__ import annotations

import functools
import inspect
import numbers
from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np

from ..backends import STATUS_MAX_EVENTS
from ..resources import check_memory
from ._problem import Problem
from ._samples import GradientSamples

#: Estimator name -> class, filled by subclassing :class:`Estimator`.
ESTIMATORS: dict[str, type[Estimator]] = {}


class Estimator:
    """Base class of the gradient estimators; a subclass with a ``name`` registers itself.

    Attributes
    ----------
    name : str
        The ``estimator=`` value.
    summary : str
        One line for the table in :func:`ssagrad.gradient`'s documentation.
    capability : str or None
        The backend capability it needs (``None``: none, e.g. the exact solver).
    benchmark : bool
        Whether ``ssagrad bench estimators`` includes it.
    black_box : bool
        Whether it re-simulates perturbed ensembles and so differentiates any function of
        the whole ensemble (a black-box loss), not only expectations.
    run : callable
        ``run(problem, engine, n, seed, **options) -> GradientSamples``; its keyword
        parameters are the estimator's options.
    per_sample_arrays : str
        What its per-sample arrays are, for the memory guard's message; ``""`` for an
        estimator without per-sample arrays (the exact solver guards itself).

    Examples
    --------
    >>> import numpy as np
    >>> from ssagrad.estimators import ESTIMATORS, Estimator
    >>> class Zero(Estimator):  # registered by being defined
    ...     name, summary, capability, benchmark = "zero_doc", "always zero", None, False
    ...     @staticmethod
    ...     def run(problem, engine, n, seed, scale=1.0): ...
    >>> "zero_doc" in ESTIMATORS and Zero.options()
    ('scale',)
    >>> del ESTIMATORS["zero_doc"]
    """

    name: ClassVar[str] = ""
    summary: ClassVar[str] = ""
    capability: ClassVar[str | None] = None
    benchmark: ClassVar[bool] = True
    black_box: ClassVar[bool] = False
    per_sample_arrays: ClassVar[str] = "per-sample tangents and contributions"
    run: ClassVar[Callable[..., GradientSamples]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.name:
            if cls.name in ESTIMATORS and ESTIMATORS[cls.name].__module__ != cls.__module__:
                raise ValueError(f"estimator {cls.name!r} is already registered")
            ESTIMATORS[cls.name] = cls

    @classmethod
    def options(cls) -> tuple[str, ...]:
        """Names of the options ``run`` accepts (read from its signature once)."""
        return _run_options(cls.run)

    @classmethod
    def check_options(cls, options: dict[str, Any]) -> dict[str, Any]:
        """``options`` with ``max_events`` validated, or a ``ValueError`` naming the unknown."""
        unknown = sorted(set(options) - set(cls.options()))
        if unknown:
            raise ValueError(
                f"unknown option(s) for estimator {cls.name!r}: {', '.join(unknown)}; "
                f"valid options: {', '.join(cls.options()) or 'none'}"
            )
        if "max_events" in options:
            options = dict(options, max_events=check_max_events(options["max_events"]))
        return options

    @classmethod
    def copies(cls, n_params: int, options: dict[str, Any]) -> int:
        """How many ``n x T x S`` arrays of 8-byte numbers a run allocates at its peak.

        The states, ``P`` per-sample tangents (or alternative paths, or perturbed
        copies) and ``P`` per-sample contributions to the gradient: ``1 + 2P``.
        """
        return 1 + 2 * n_params

    @classmethod
    def check_memory(cls, problem: Problem, n: int, options: dict[str, Any]) -> None:
        """Refuse a run whose per-sample arrays would exceed :func:`ssagrad.memory_limit`."""
        cls.check_memory_of(
            n, problem.times.size, problem.network.n_species, problem.n_parameters, options
        )

    @classmethod
    def check_memory_of(cls, n: int, n_t: int, n_s: int, n_p: int, options: dict[str, Any]) -> None:
        """:meth:`check_memory` for ``n`` samples, ``n_t`` times, ``n_s`` species and
        ``n_p`` parameters (for parametrisations whose parameters are not the network's)."""
        if not cls.per_sample_arrays:
            return
        copies = cls.copies(n_p, options)
        check_memory(
            8.0 * n * n_t * n_s * copies,
            f"estimator {cls.name!r}",
            f"states and {cls.per_sample_arrays}: n={n} samples x T={n_t} times x S={n_s} "
            f"species x {copies} arrays (P={n_p} parameters) x 8 bytes",
            "Use fewer samples (n), fewer observation times or fewer free parameters "
            "(fixed=... in fit), average several runs with different seeds",
        )


@functools.cache
def _run_options(run: Callable[..., GradientSamples]) -> tuple[str, ...]:
    parameters = list(inspect.signature(run).parameters.values())[4:]
    named = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return tuple(p.name for p in parameters if p.kind in named)


def check_max_events(max_events: Any) -> int:
    """``max_events`` as a positive int, or a ``ValueError`` saying what it got."""
    if (
        isinstance(max_events, bool)
        or not isinstance(max_events, numbers.Integral)
        or max_events < 1
    ):
        raise ValueError(f"max_events must be a positive integer, got {max_events!r}")
    return int(max_events)


def raise_if_stuck(status: np.ndarray, max_events: int, what: str = "trajectories") -> None:
    """``RuntimeError`` if any of ``status`` is :data:`STATUS_MAX_EVENTS` (one message for all)."""
    stuck = np.flatnonzero(status == STATUS_MAX_EVENTS)
    if stuck.size:
        raise RuntimeError(
            f"{stuck.size} of {status.shape[0]} {what} (first: {int(stuck[0])}) hit "
            f"max_events={max_events}; raise max_events or check the model for runaway growth"
        )


def lookup(name: str) -> type[Estimator]:
    """The registered estimator ``name``, or a ``ValueError`` listing the valid ones."""
    if name not in ESTIMATORS:
        raise ValueError(f"unknown estimator {name!r}; valid estimators: {', '.join(ESTIMATORS)}")
    return ESTIMATORS[name]


def estimator_table() -> str:
    """The reStructuredText table of the registered estimators (name and summary)."""
    width = max(len(f"``{name}``") for name in ESTIMATORS)
    rule = f"{'=' * max(width, 14)}  {'=' * 64}"
    rows = [f"{f'``{name}``':<{max(width, 14)}}  {cls.summary}" for name, cls in ESTIMATORS.items()]
    return "\n".join([rule, f"{'``estimator=``':<{max(width, 14)}}  what it is", rule, *rows, rule])


def check_network(arrays: Any, estimator: str, engine: Any) -> None:
    """Refuse networks an estimator cannot differentiate: events and time-dependent rates
    (simulation only), expression laws on a backend without them."""
    if arrays.has_events:
        raise ValueError(
            f"estimator {estimator!r} does not support networks with events (they are "
            "supported in simulation only; see docs/simulation.md)"
        )
    if arrays.time_dependent:
        raise ValueError(
            f"estimator {estimator!r} does not support rate laws that read the time t "
            "(simulation by thinning only; see docs/simulation.md)"
        )
    if estimator != "exact":
        engine.require_network(arrays)


def run_estimator(
    problem: Problem, engine: Any, estimator: str, n: int, seed: int, **options: Any
) -> GradientSamples:
    """Run ``estimator`` on an already validated ``problem`` with a chosen backend.

    The entry point for code that evaluates many parameter vectors of one problem (the
    fit loop): nothing is validated or lowered again, only the estimator's options and
    whether the backend provides what the estimator needs.
    """
    cls = lookup(estimator)
    options = cls.check_options(options)
    if cls.capability is not None:
        engine.require(cls.capability, f"estimator {estimator!r}")
    check_network(problem.arrays, estimator, engine)
    cls.check_memory(problem, n, options)
    samples = cls.run(problem, engine, n, seed, **options)
    samples.seed = seed
    samples.engine_name = engine.name
    return samples
