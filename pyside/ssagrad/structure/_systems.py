"""Formulation 4: a library of whole candidate systems.

Each candidate system is a set of library reactions; every library reaction that occurs
in some candidate has one rate coordinate ``rate[k{i}]``, shared by all candidates that
contain it. Two ways to choose among the ``K`` candidates:

* ``selection="stepped"``: one coordinate ``system``, candidate ``floor(u / unit)``
  (clipped): piecewise constant, for the smoothing estimator.
* ``selection="softmax"``: logits ``logit[k]``, weights ``w = softmax(logits)``, and the
  simulated population is the *mixture* of the candidates: each cell belongs to
  candidate ``k`` with probability ``w_k`` (drawn from its own trajectory seed, so
  perturbed evaluations share the draw: common random numbers). Every expectation is
  ``sum_k w_k E_k[phi]``, smooth in the logits and the rates. With
  ``estimator="score"`` its gradient is estimated without bias by the score function
  of the mixture: ``e_k - w`` for the logits and the path score of the cell's own
  candidate for the rates (leave-one-out baseline over all cells); the cost per step
  does not grow with ``K``. A cell that reaches the event cap is frozen there and its
  path score is cut at the cap. ``estimator="smoothing"`` also applies.

The learned network is the selected candidate (stepped) or the candidate of largest
weight (softmax).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..estimators._problem import Problem
from ..estimators._samples import GradientSamples
from ..estimators._score import ScoreSamples
from ..fitting.parametrisation import Realisation, simulate_capped
from ..network import Network
from ..seeding import trajectory_seeds
from ._base import Structure, check_count
from .library import Library

#: Default largest number of enumerated candidate systems.
MAX_SYSTEMS = 5000
_MIX = (
    np.uint64(0x9E3779B97F4A7C15),
    np.uint64(0xBF58476D1CE4E5B9),
    np.uint64(0x94D049BB133111EB),
)
#: Mixed into a trajectory seed before hashing it to the cell's candidate draw.
_CHOICE_KEY = np.uint64(0xD1B54A32D192ED03)


def enumerate_systems(
    library: Library, size: int, max_systems: int = MAX_SYSTEMS
) -> tuple[tuple[int, ...], ...]:
    """Every set of ``size`` distinct library reactions, in lexicographic index order.

    Raises
    ------
    ValueError
        ``size`` not in ``1..len(library)``, or more than ``max_systems`` candidates.
    """
    size = check_count("size", size)
    if size > len(library):
        raise ValueError(f"size={size} is more than the {len(library)} library reactions")
    count = math.comb(len(library), size)
    if count > max_systems:
        raise ValueError(
            f"{count} candidate systems of {size} reactions from a library of "
            f"{len(library)} exceed max_systems={max_systems}; pass systems=[...], a "
            f"smaller size or max_order, or raise max_systems"
        )
    return tuple(itertools.combinations(range(len(library)), size))


def choice_uniforms(seeds: np.ndarray) -> np.ndarray:
    """A uniform in [0, 1) per trajectory seed (splitmix64 of the keyed seed)."""
    z = (np.asarray(seeds, dtype=np.uint64) ^ _CHOICE_KEY) + _MIX[0]
    z = (z ^ (z >> np.uint64(30))) * _MIX[1]
    z = (z ^ (z >> np.uint64(27))) * _MIX[2]
    z ^= z >> np.uint64(31)
    return (z >> np.uint64(11)).astype(np.float64) * 2.0**-53


def _system(library: Library, system: Any) -> tuple[int, ...]:
    if isinstance(system, str | Network):
        from ..parse import parse

        network = parse(system) if isinstance(system, str) else system
        indices = [library.index_of(r) for r in network.reactions]
    else:
        indices = [int(i) for i in system]
    if not indices or any(not 0 <= i < len(library) for i in indices):
        raise ValueError(f"candidate system {system!r} is empty or not in the library")
    return tuple(sorted(set(indices)))


class LibraryOfSystems(Structure):
    """Formulation 4: choose among whole candidate systems (see the module docstring).

    Parameters
    ----------
    library : Library
    systems : sequence
        Candidates, each a sequence of library indices, a Network or network text.
    selection : {"softmax", "stepped"}
    init_seed : int
        The starting candidate of the stepped selection (drawn among candidates whose
        reactions can all fire at ``x0``, when given).

    Examples
    --------
    >>> from ssagrad.structure import LibraryOfSystems, library
    >>> lib = library(["A"], 1)
    >>> p = LibraryOfSystems(lib, [[0], [0, 1]], selection="softmax")
    >>> p.names
    ('logit[0]', 'logit[1]', 'rate[k1]', 'rate[k2]')
    >>> p.weights(p.initial()).tolist()
    [0.5, 0.5]
    """

    def __init__(
        self,
        library: Library,
        systems: Sequence[Any],
        selection: str = "softmax",
        init_seed: int = 0,
        **common: Any,
    ) -> None:
        super().__init__(library, **common)
        if selection not in ("softmax", "stepped"):
            raise ValueError(f"selection must be 'softmax' or 'stepped', got {selection!r}")
        candidates = tuple(_system(library, s) for s in systems)
        if not candidates:
            raise ValueError("the library of systems needs at least one candidate system")
        if len(set(candidates)) != len(candidates):
            raise ValueError("a candidate system is listed twice")
        self.systems, self.selection = candidates, selection
        self.init_seed = check_count("init_seed", init_seed, 0)
        self.used = tuple(sorted({i for s in candidates for i in s}))
        self.position = {index: k for k, index in enumerate(self.used)}
        self.set_present(max(len(s) for s in candidates))
        k = len(candidates)
        head = ("system",) if selection == "stepped" else tuple(f"logit[{i}]" for i in range(k))
        self.n_head = len(head)
        self.names = head + tuple(f"rate[k{i + 1}]" for i in self.used)
        self.estimators = ("score",) if selection == "softmax" else ()

    def initial(self) -> np.ndarray:
        u = np.full(len(self.names), self.initial_u())
        if self.selection == "softmax":
            u[: self.n_head] = 0.0
        else:
            rng = np.random.default_rng(np.random.SeedSequence([self.init_seed, 0x5157]))
            live = [k for k, s in enumerate(self.systems) if self.startable[list(s)].all()]
            u[0] = (rng.choice(live or range(len(self.systems))) + 0.5) * self.unit
        return u

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        lower = np.zeros(len(self.names))
        upper = np.full(len(self.names), np.inf)
        if self.selection == "softmax":
            lower[: self.n_head] = -np.inf
        else:
            upper[0] = len(self.systems) * self.unit
        return lower, upper

    def weights(self, u: np.ndarray) -> np.ndarray:
        """Softmax weights of the candidates (one-hot for the stepped selection)."""
        if self.selection == "stepped":
            weights = np.zeros(len(self.systems))
            weights[self.selected(u)] = 1.0
            return weights
        logits = np.asarray(u[: self.n_head], dtype=np.float64)
        e = np.exp(logits - logits.max())
        return e / e.sum()

    def selected(self, u: np.ndarray) -> int:
        """The candidate reported: the stepped choice, or the largest weight."""
        if self.selection == "softmax":
            return int(np.argmax(u[: self.n_head]))
        return int(np.clip(np.floor(u[0] / self.unit), 0, len(self.systems) - 1))

    def candidate(self, k: int, u: np.ndarray) -> Realisation:
        """Candidate ``k`` with the rates at ``u``."""
        indices = self.systems[k]
        rate_u = np.array([u[self.n_head + self.position[i]] for i in indices])
        rates = self.rates(rate_u, [self.library.order(i) for i in indices])
        return self.realise_selection(dict(zip(indices, rates.tolist(), strict=True)))

    def realise(self, u: np.ndarray) -> Realisation:
        return self.candidate(self.selected(u), np.asarray(u, dtype=np.float64))

    def _groups(self, u: np.ndarray, seeds: np.ndarray):
        """(candidate, cell indices) of a mixture draw."""
        cumulative = np.cumsum(self.weights(u))
        choice = np.searchsorted(cumulative / cumulative[-1], choice_uniforms(seeds), "right")
        choice = np.minimum(choice, len(self.systems) - 1)
        for k in np.unique(choice):
            yield int(k), np.flatnonzero(choice == k)

    def simulate(
        self, u: np.ndarray, base: Problem, engine: Any, seeds: np.ndarray, max_events: int
    ) -> tuple[np.ndarray, int]:
        if self.selection == "stepped":
            return super().simulate(u, base, engine, seeds, max_events)
        u = np.asarray(u, dtype=np.float64)
        states = np.empty((seeds.shape[0], base.times.shape[0], len(self.species)), np.int64)
        events = 0
        for k, cells in self._groups(u, seeds):
            realised = self.candidate(k, u)
            problem = realised.problem(base.x0, base.times)
            states[cells], fired = simulate_capped(
                problem, engine, realised.rates, seeds[cells], max_events
            )
            events += fired
        return states, events

    def estimate(
        self,
        u: np.ndarray,
        base: Problem,
        engine: Any,
        estimator: str,
        n: int,
        seed: int,
        options: dict,
    ) -> GradientSamples:
        if estimator != "score" or self.selection != "softmax":
            return super().estimate(u, base, engine, estimator, n, seed, options)
        unknown = set(options) - {"max_events"}
        if unknown:
            raise ValueError(f"the mixture score estimator takes only max_events, not {unknown}")
        cap = int(options.get("max_events", self.max_events))
        u = np.asarray(u, dtype=np.float64)
        seeds = trajectory_seeds(seed, n)
        n_t, weights = base.times.shape[0], self.weights(u)
        states = np.empty((n, n_t, len(self.species)), np.int64)
        scores = np.zeros((n, n_t, len(self.names)))
        events = 0
        for k, cells in self._groups(u, seeds):
            realised = self.candidate(k, u)
            problem = realised.problem(base.x0, base.times)
            theta = problem.theta_with(realised.rates)
            states[cells], path, fired, _ = engine.score(
                problem.arrays, theta, base.x0, base.times, seeds[cells], cap
            )
            events += int(fired.sum())
            indices = self.systems[k]
            slope = self.rate_derivative(
                np.array([u[self.n_head + self.position[i]] for i in indices]),
                [self.library.order(i) for i in indices],
            )
            columns = [self.n_head + self.position[i] for i in indices]
            # A cell at the event cap has no path score from the cap on (NaN): cut it there;
            # its frozen state still counts in the loss and in the logits' score.
            path = np.where(np.isfinite(path), path, 0.0)
            scores[np.ix_(cells, np.arange(n_t), columns)] = path * slope
            scores[cells, :, k] += 1.0
        scores[:, :, : self.n_head] -= weights
        samples = ScoreSamples(self.realise(u).problem(base.x0, base.times), states, scores, "loo")
        samples.seed, samples.events = seed, events
        return samples

    def config(self) -> dict:
        return {
            **super().config(),
            "selection": self.selection,
            "init_seed": self.init_seed,
            "systems": [list(s) for s in self.systems],
        }
