"""Parametrisations: fits whose network itself depends on the optimised parameters.

``ssagrad.fit(net, data, ...)`` optimises the rates of one fixed network. Passing a
:class:`Parametrisation` instead of a network fits real parameters ``u`` that map to a
network *and* its rates, ``u -> (network(u), theta(u))``: every evaluation — the current
iterate, each perturbed point of the smoothing estimator, the final re-estimate — builds
its own network. Structure learning (:mod:`ssagrad.structure`) is built on it: rounded
stoichiometric coefficients, stepped selections of library reactions or of whole
systems, and softmax mixtures of systems are all parametrisations.

Everything else of a fit stays as it is: losses, optimisers and schedules, multi-start,
progress, callbacks, checkpoints with bit-identical resume. What differs:

* the optimiser works on ``u`` directly; bounds and scales come from the
  parametrisation (``reparam=`` and ``bounds=`` do not apply);
* ``estimator="smoothing"`` perturbs ``u`` itself (:func:`smoothing_in_u`), with common
  random numbers, so it differentiates the smoothed loss even where the network changes
  in steps; other estimators run on the realised network where the parametrisation
  allows it (a fixed structure with rates smooth in ``u``) and their gradients are
  carried to ``u`` through the Jacobian ``d theta / d u`` (:class:`ChainedSamples`);
* a trajectory that reaches the event cap is frozen there instead of raising (candidate
  structures can grow without bound; the frozen state costs loss, so the optimiser moves
  away), and a parametrisation may add a penalty to the loss (e.g. sparsity).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..estimators import run_estimator
from ..estimators._problem import Problem
from ..network import Network, NetworkArrays

__all__ = ["Parametrisation", "Realisation"]


@dataclass(frozen=True)
class Realisation:
    """A parametrisation evaluated at one ``u``: a network, its rates and ``d theta / d u``.

    Attributes
    ----------
    network : Network
    arrays : NetworkArrays
        ``network`` lowered once (parametrisations cache it per structure).
    rates : (P,) float64
        Values of ``network.parameters``.
    jacobian : (P, U) float64 or None
        ``d rates / d u`` where the structure does not change near ``u``; None where the
        realisation is piecewise constant in ``u`` (only smoothing applies).
    """

    network: Network
    arrays: NetworkArrays
    rates: np.ndarray
    jacobian: np.ndarray | None = None

    def problem(self, x0: np.ndarray, times: np.ndarray) -> Problem:
        """The estimator problem of this network from state ``x0`` at ``times``."""
        return Problem(self.network, self.arrays, self.rates, x0, times)


def simulate_capped(
    problem: Problem, engine: Any, rates: np.ndarray, seeds: np.ndarray, max_events: int
) -> tuple[np.ndarray, int]:
    """Direct-method states (N, T, S) and the reactions fired; a trajectory at
    ``max_events`` stays frozen there."""
    network = (problem.arrays, problem.theta_with(rates), problem.x0, problem.times)
    states, events, _ = engine.simulate(*network, seeds, "direct", max_events, 1.0)
    return states, int(events.sum())


class Parametrisation(ABC):
    """Real parameters ``u`` mapped to a network with rates (see the module docstring).

    Subclasses set :attr:`names` and :attr:`species` and implement :meth:`initial` and
    :meth:`realise`; the other methods have defaults.

    Examples
    --------
    A birth-death network whose birth is a dimer above ``u[1] > 0.5`` (a structure that
    changes in a step), fitted with smoothing in ``u``:

    >>> import numpy as np, ssagrad
    >>> from ssagrad.fitting import Parametrisation, Realisation
    >>> class Birth(Parametrisation):
    ...     names, species = ("log_k", "dimer"), ("A",)
    ...     nets = [ssagrad.parse(f"k, 0 --> {b}\\ng, A --> 0") for b in ("A", "2A")]
    ...     def initial(self):
    ...         return np.array([1.0, 0.2])
    ...     def realise(self, u):
    ...         net = self.nets[int(u[1] > 0.5)]
    ...         return Realisation(net, net.arrays(), np.array([np.exp(u[0]), 1.0]))
    >>> data = ssagrad.simulate(ssagrad.parse("k, 0 --> A\\ng, A --> 0"), {"k": 5.0, "g": 1.0},
    ...                         {"A": 0}, [2.0, 4.0], n=200, seed=1)
    >>> r = ssagrad.fit(Birth(), data, x0={"A": 0}, loss="rmse", estimator="smoothing",
    ...                 steps=40, n=50, directions=4, sigma=0.1, n_eval=200, seed=1,
    ...                 progress=False)
    >>> bool(abs(np.exp(r.params["log_k"]) - 5.0) < 1.5), r.params["dimer"] < 0.5
    (True, True)
    """

    #: Names of the coordinates of ``u`` (the keys of ``FitResult.params``).
    names: tuple[str, ...] = ()
    #: Species of every realised network, in this order.
    species: tuple[str, ...] = ()
    #: Estimators besides ``"smoothing"`` that apply (those that need a fixed structure
    #: with rates smooth in ``u``; empty for a piecewise-constant parametrisation).
    estimators: tuple[str, ...] = ()
    #: Default event cap per trajectory (None: the estimator's default).
    max_events: int | None = None

    @abstractmethod
    def initial(self) -> np.ndarray:
        """The default starting point ``u0``."""

    @abstractmethod
    def realise(self, u: np.ndarray) -> Realisation:
        """The network and rates at ``u`` (any real ``u``: clip, round, select inside)."""

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """Lower and upper bounds of ``u`` (enforced by projection after each step)."""
        size = len(self.names)
        return np.full(size, -np.inf), np.full(size, np.inf)

    def random_start(self, rng: np.random.Generator) -> np.ndarray:
        """A random starting point (for ``starts=K``): uniform within finite bounds,
        ``u0 + N(0, 1)`` elsewhere."""
        lower, upper = self.bounds()
        u = self.initial() + rng.standard_normal(len(self.names))
        finite = np.isfinite(lower) & np.isfinite(upper)
        u[finite] = rng.uniform(lower[finite], upper[finite])
        return np.clip(u, lower, upper)

    def penalty(self, u: np.ndarray) -> tuple[float, np.ndarray]:
        """A term added to the loss and its gradient in ``u`` (default: none)."""
        return 0.0, np.zeros(len(self.names))

    def config(self) -> dict:
        """JSON-able description (checked on resume; include every setting)."""
        return {"class": type(self).__name__, "names": list(self.names)}

    def simulate(
        self, u: np.ndarray, base: Problem, engine: Any, seeds: np.ndarray, max_events: int
    ) -> tuple[np.ndarray, int]:
        """States (N, T, S) at ``u`` from ``base.x0`` at ``base.times``, one per seed, and
        the reactions they fired."""
        realised = self.realise(u)
        problem = realised.problem(base.x0, base.times)
        return simulate_capped(problem, engine, realised.rates, seeds, max_events)

    def estimate(
        self,
        u: np.ndarray,
        base: Problem,
        engine: Any,
        estimator: str,
        n: int,
        seed: int,
        options: dict,
    ):
        """Per-sample material whose gradients are with respect to ``u``.

        ``"smoothing"`` perturbs ``u`` (:func:`smoothing_in_u`); an estimator in
        :attr:`estimators` runs on the realised network and is chained through the
        Jacobian.
        """
        from ._uspace import ChainedSamples, smoothing_in_u

        if estimator == "smoothing":
            options = dict(options)
            options.setdefault("max_events", self.max_events)
            return smoothing_in_u(self, u, base, engine, n, seed, **options)
        if estimator not in self.estimators:
            raise ValueError(
                f"{type(self).__name__} supports estimator(s) "
                f"{', '.join(('smoothing',) + self.estimators)}, not {estimator!r}"
            )
        realised = self.realise(u)
        if realised.jacobian is None:
            raise ValueError(f"{type(self).__name__} has no Jacobian at this point")
        problem = realised.problem(base.x0, base.times)
        options = dict(options)
        if self.max_events is not None and estimator != "exact":
            options.setdefault("max_events", self.max_events)
        samples = run_estimator(problem, engine, estimator, n, seed, **options)
        return ChainedSamples(samples, realised.jacobian)
