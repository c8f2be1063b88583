"""Optimisers built from small gradient transformations chained together (as in optax).

A :class:`Transformation` turns a gradient into an update and keeps its own state (a
dict of arrays, saved in checkpoints). :func:`chain` composes them; :func:`adam` and
:func:`sgd` are the usual chains::

    adam(lr, clip, schedule) = chain(clip_by_global_norm(clip), scale_by_adam(),
                                     scale_by_schedule(schedule), scale(-lr))

Learning-rate schedules are multiplicative factors of the step: ``"stable-decay"``
(1 for the first 60 % of the steps, then a cosine decay to 0.1), ``"constant"``,
``"cosine"`` (from 1 down to 0.1 at the last step), ``"exponential"`` (geometric decay to
0.1), or any callable ``factor(step, steps)``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

__all__ = [
    "OPTIMIZERS",
    "Optimizer",
    "Transformation",
    "adam",
    "chain",
    "clip_by_global_norm",
    "scale",
    "scale_by_adam",
    "scale_by_schedule",
    "schedule_factor",
    "sgd",
    "trace",
]

State = dict[str, np.ndarray]
Schedule = str | Callable[[int, int], float] | None

#: The smallest learning-rate factor the built-in decaying schedules reach.
DEFAULT_FINAL_FACTOR = 0.1
#: Fraction of the steps the ``"stable-decay"`` schedule holds the full learning rate.
STABLE_FRACTION = 0.6


@dataclass(frozen=True)
class Transformation:
    """``init(size) -> state`` and ``update(g, state, step, steps) -> (update, state)``."""

    init: Callable[[int], State]
    update: Callable[[np.ndarray, State, int, int], tuple[np.ndarray, State]]
    config: dict = field(default_factory=dict)


def clip_by_global_norm(max_norm: float | None) -> Transformation:
    """Rescale the gradient to Euclidean norm at most ``max_norm`` (None: no clipping)."""

    def update(g: np.ndarray, state: State, step: int, steps: int) -> tuple[np.ndarray, State]:
        norm = float(np.linalg.norm(g))
        if max_norm is not None and norm > max_norm:
            g = g * (max_norm / norm)
        return g, state

    return Transformation(lambda size: {}, update, {"clip": max_norm})


def scale_by_adam(b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8) -> Transformation:
    """Adam's bias-corrected first moment over the root of the second moment."""

    def init(size: int) -> State:
        return {"m": np.zeros(size), "v": np.zeros(size)}

    def update(g: np.ndarray, state: State, step: int, steps: int) -> tuple[np.ndarray, State]:
        m = b1 * state["m"] + (1.0 - b1) * g
        v = b2 * state["v"] + (1.0 - b2) * g * g
        m_hat = m / (1.0 - b1 ** (step + 1))
        v_hat = v / (1.0 - b2 ** (step + 1))
        return m_hat / (np.sqrt(v_hat) + eps), {"m": m, "v": v}

    return Transformation(init, update, {"b1": b1, "b2": b2, "eps": eps})


def trace(momentum: float = 0.9) -> Transformation:
    """Heavy-ball momentum: ``velocity = momentum * velocity + g``."""

    def update(g: np.ndarray, state: State, step: int, steps: int) -> tuple[np.ndarray, State]:
        velocity = momentum * state["velocity"] + g
        return velocity, {"velocity": velocity}

    return Transformation(lambda size: {"velocity": np.zeros(size)}, update, {"momentum": momentum})


def schedule_factor(schedule: Schedule, step: int, steps: int) -> float:
    """The learning-rate factor of ``schedule`` at ``step`` (0-based) of ``steps``.

    Examples
    --------
    >>> [round(schedule_factor("cosine", s, 5), 3) for s in range(5)]
    [1.0, 0.868, 0.55, 0.232, 0.1]
    """
    if schedule is None or schedule == "constant":
        return 1.0
    progress = step / max(steps - 1, 1)
    if schedule == "cosine":
        final = DEFAULT_FINAL_FACTOR
        return final + (1.0 - final) * 0.5 * (1.0 + math.cos(math.pi * progress))
    if schedule == "exponential":
        return DEFAULT_FINAL_FACTOR**progress
    if schedule == "stable-decay":
        if progress <= STABLE_FRACTION:
            return 1.0
        tail = (progress - STABLE_FRACTION) / (1.0 - STABLE_FRACTION)
        final = DEFAULT_FINAL_FACTOR
        return final + (1.0 - final) * 0.5 * (1.0 + math.cos(math.pi * tail))
    if callable(schedule):
        return float(schedule(step, steps))
    raise ValueError(
        f"unknown schedule {schedule!r}; choose constant, cosine, exponential, stable-decay "
        f"or a callable factor(step, steps)"
    )


def scale_by_schedule(schedule: Schedule) -> Transformation:
    """Multiply by the schedule's factor at the current step."""
    schedule_factor(schedule, 0, 1)  # validate early

    def update(g: np.ndarray, state: State, step: int, steps: int) -> tuple[np.ndarray, State]:
        return g * schedule_factor(schedule, step, steps), state

    name = schedule if isinstance(schedule, str) or schedule is None else repr(schedule)
    return Transformation(lambda size: {}, update, {"schedule": name})


def scale(factor: float) -> Transformation:
    """Multiply by a constant (``-lr`` turns a direction into a descent step)."""

    def update(g: np.ndarray, state: State, step: int, steps: int) -> tuple[np.ndarray, State]:
        return g * factor, state

    return Transformation(lambda size: {}, update, {"scale": factor})


def chain(*transformations: Transformation) -> Transformation:
    """Apply ``transformations`` in order; their states are kept under ``"<i>/<key>"``."""

    def init(size: int) -> State:
        state: State = {}
        for i, t in enumerate(transformations):
            state.update({f"{i}/{k}": v for k, v in t.init(size).items()})
        return state

    def update(g: np.ndarray, state: State, step: int, steps: int) -> tuple[np.ndarray, State]:
        new_state: State = {}
        for i, t in enumerate(transformations):
            prefix = f"{i}/"
            own = {k[len(prefix) :]: v for k, v in state.items() if k.startswith(prefix)}
            g, own = t.update(g, own, step, steps)
            new_state.update({prefix + k: v for k, v in own.items()})
        return g, new_state

    config = {"chain": [t.config for t in transformations]}
    return Transformation(init, update, config)


@dataclass(frozen=True)
class Optimizer:
    """A named optimiser: a :class:`Transformation` chain and the options that built it.

    It pickles as its builder and options (the chain is rebuilt), so it travels to
    worker processes when every option does.
    """

    name: str
    transformation: Transformation
    options: dict

    def __reduce__(self):
        return (_rebuild, (self.name, self.options))

    def init(self, size: int) -> State:
        """Initial state for ``size`` optimised variables."""
        return self.transformation.init(size)

    def update(
        self, grad: np.ndarray, state: State, step: int, steps: int
    ) -> tuple[np.ndarray, State]:
        """The step to add to the optimised variables, and the new state."""
        return self.transformation.update(grad, state, step, steps)

    def config(self) -> dict:
        """JSON-able description."""
        options = {
            k: v if v is None or isinstance(v, int | float | str) else repr(v)
            for k, v in self.options.items()
        }
        return {"name": self.name, **options}


def _rebuild(name: str, options: dict) -> Optimizer:
    return OPTIMIZERS[name](**options)


def _check_rate(name: str, value: float, upper: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    if value <= 0 or (upper is not None and value >= upper):
        bound = f" and < {upper}" if upper is not None else ""
        raise ValueError(f"{name} must be > 0{bound}, got {value!r}")
    return float(value)


def adam(
    lr: float = 0.1,
    b1: float = 0.9,
    b2: float = 0.999,
    eps: float = 1e-8,
    clip: float | None = None,
    schedule: Schedule = "stable-decay",
) -> Optimizer:
    """Adam with optional gradient-norm clipping and learning-rate schedule.

    Parameters
    ----------
    lr : float
        Learning rate in the optimised space (for the log reparametrisation, roughly the
        relative change of a rate per step).
    b1, b2, eps : float
        Adam's moment decay rates and denominator offset.
    clip : float, optional
        Clip the gradient to this Euclidean norm before Adam sees it.
    schedule : str or callable
        ``"stable-decay"`` (default: the full rate for the first 60 % of the steps,
        then a cosine decay to a tenth), ``"constant"``, ``"cosine"`` (decays to a
        tenth of ``lr`` at the last step), ``"exponential"`` or ``factor(step, steps)``.

    Examples
    --------
    >>> opt = adam()
    >>> state = opt.init(2)
    >>> step, state = opt.update(np.array([1.0, -2.0]), state, 0, 10)
    >>> step.round(3).tolist()  # first Adam step: -lr * sign(g)
    [-0.1, 0.1]
    """
    lr = _check_rate("lr", lr)
    _check_rate("b1", b1, 1.0)
    _check_rate("b2", b2, 1.0)
    if clip is not None:
        _check_rate("clip", clip)
    transformation = chain(
        clip_by_global_norm(clip),
        scale_by_adam(b1, b2, eps),
        scale_by_schedule(schedule),
        scale(-lr),
    )
    options = {"lr": lr, "b1": b1, "b2": b2, "eps": eps, "clip": clip, "schedule": schedule}
    return Optimizer("adam", transformation, options)


def sgd(
    lr: float = 0.01,
    momentum: float = 0.9,
    clip: float | None = None,
    schedule: Schedule = "stable-decay",
) -> Optimizer:
    """Stochastic gradient descent with heavy-ball momentum (``momentum=0``: plain SGD).

    Parameters
    ----------
    lr, clip, schedule :
        As in :func:`adam`.
    momentum : float
        In ``[0, 1)``.
    """
    lr = _check_rate("lr", lr)
    if not (isinstance(momentum, int | float) and 0.0 <= momentum < 1.0):
        raise ValueError(f"momentum must be in [0, 1), got {momentum!r}")
    if clip is not None:
        _check_rate("clip", clip)
    transformation = chain(
        clip_by_global_norm(clip), trace(momentum), scale_by_schedule(schedule), scale(-lr)
    )
    options = {"lr": lr, "momentum": momentum, "clip": clip, "schedule": schedule}
    return Optimizer("sgd", transformation, options)


#: Optimisers by name (their default options).
OPTIMIZERS: dict[str, Callable[..., Optimizer]] = {"adam": adam, "sgd": sgd}


def resolve_optimizer(spec: str | Optimizer, **options) -> Optimizer:
    """An :class:`Optimizer` from a name (with options such as ``lr=``) or an instance."""
    if isinstance(spec, Optimizer):
        if options:
            raise ValueError(
                f"optimizer options {sorted(options)} given with an Optimizer instance; "
                f"build the instance with them instead"
            )
        return spec
    if isinstance(spec, str) and spec in OPTIMIZERS:
        return OPTIMIZERS[spec](**options)
    raise ValueError(
        f"unknown optimizer {spec!r}; choose one of {', '.join(OPTIMIZERS)} or pass an "
        f"Optimizer (e.g. ssagrad.fitting.adam(lr=0.1, clip=1.0))"
    )
