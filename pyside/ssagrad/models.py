"""The model zoo: standard networks with documented default parameters and initial states.

Each function returns a :class:`Model` (network, default ``params``, default ``x0`` and a
suggested horizon ``t_end``). Use them as they are or override the defaults::

    >>> from ssagrad import models
    >>> m = models.telegraph()
    >>> m.network.parameters
    ('kon', 'koff', 'ktx', 'kdeg')
    >>> m.params
    {'kon': 0.5, 'koff': 1.0, 'ktx': 10.0, 'kdeg': 1.0}
    >>> sorted(models.available())[:3]
    ['bimolecular_association', 'birth_death', 'dimerization']
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from .network import Network, NetworkBuilder
from .parse import parse


@dataclass(frozen=True)
class Model:
    """A network with default parameters, initial state and horizon.

    Attributes
    ----------
    name : str
    network : Network
    params : dict of str to float
    x0 : dict of str to int
        Species not listed start at zero.
    t_end : float
        A horizon over which the model shows its characteristic behaviour.
    description : str
    combinations : dict of str to callable
        Named parameter combinations the model's data are known to determine well
        (functions of the parameter dict), rated by
        :meth:`ssagrad.FitResult.sloppiness`.
    observables : dict of str to Expression
        Quantities defined by expressions of the species and parameters (e.g. SBML
        assignment rules), evaluated on simulated states by :meth:`observe`.
    """

    name: str
    network: Network
    params: dict[str, float]
    x0: dict[str, int]
    t_end: float
    description: str = field(default="", repr=False)
    combinations: dict[str, Callable[[Mapping[str, float]], float]] = field(
        default_factory=dict, repr=False
    )
    observables: dict = field(default_factory=dict, repr=False)

    def observe(self, name: str, states, params: Mapping[str, float] | None = None):
        """Values of observable ``name`` on states ``(..., S)`` (species in network order)."""
        import numpy as np

        if name not in self.observables:
            raise ValueError(f"unknown observable {name!r}; known: {', '.join(self.observables)}")
        states = np.asarray(states, dtype=np.float64)
        env = dict(self.params if params is None else params)
        env.update({s: states[..., i] for i, s in enumerate(self.network.species)})
        env["t"] = 0.0
        return np.broadcast_to(self.observables[name].evaluate(env), states.shape[:-1])


_REGISTRY: dict[str, Callable[[], Model]] = {}


def _register(func: Callable[[], Model]) -> Callable[[], Model]:
    _REGISTRY[func.__name__] = func
    return func


def available() -> tuple[str, ...]:
    """Names of the models in the zoo."""
    return tuple(_REGISTRY)


def get(name: str) -> Model:
    """Return the zoo model called ``name``.

    Raises
    ------
    ValueError
        If there is no such model; the message lists the available ones.
    """
    if name not in _REGISTRY:
        raise ValueError(f"unknown model {name!r}; available: {', '.join(_REGISTRY)}")
    return _REGISTRY[name]()


@_register
def birth_death() -> Model:
    """Birth-death process ``0 -> A`` (k), ``A -> 0`` (g); Poisson(k/g) at steady state."""
    net = parse(
        """
        k, 0 --> A
        g, A --> 0
        """
    )
    return Model("birth_death", net, {"k": 10.0, "g": 1.0}, {"A": 0}, 5.0, birth_death.__doc__)


@_register
def dimerization() -> Model:
    """Production, decay and reversible dimerization: ``0->A, A->0, 2A->B, B->2A``.

    Defaults k1=5, k2=0.5, k3=0.1, k4=1 from A=B=0; at steady state ``A`` is near 10 and
    ``B`` near 4.5 (the dimerization is in detailed balance, so ``B ~ k3 A(A-1) / (2 k4)``).
    """
    net = parse(
        """
        k1, 0 --> A
        k2, A --> 0
        k3, 2A --> B
        k4, B --> 2A
        """
    )
    params = {"k1": 5.0, "k2": 0.5, "k3": 0.1, "k4": 1.0}
    return Model("dimerization", net, params, {"A": 0, "B": 0}, 10.0, dimerization.__doc__)


@_register
def telegraph() -> Model:
    """Two-state (telegraph) promoter: ``Goff <-> Gon``, ``Gon -> Gon + M``, ``M -> 0``.

    Defaults kon=0.5, koff=1, ktx=10, kdeg=1 (Rijal & Mehta's forward test), one gene off.
    Steady state: mean ``ktx kon / (kdeg (kon + koff))``, Fano factor
    ``1 + ktx koff / ((kon + koff)(kon + koff + kdeg))``.
    """
    net = parse(
        """
        kon,  Goff --> Gon
        koff, Gon --> Goff
        ktx,  Gon --> Gon + M
        kdeg, M --> 0
        """
    )
    params = {"kon": 0.5, "koff": 1.0, "ktx": 10.0, "kdeg": 1.0}
    return Model(
        "telegraph",
        net,
        params,
        {"Goff": 1, "Gon": 0, "M": 0},
        10.0,
        telegraph.__doc__,
        {"burst frequency": burst_frequency, "burst size": burst_size},
    )


def burst_frequency(p: Mapping[str, float]) -> float:
    """Telegraph model: bursts per unit time, ``kon koff / (kon + koff)``."""
    return p["kon"] * p["koff"] / (p["kon"] + p["koff"])


def burst_size(p: Mapping[str, float]) -> float:
    """Telegraph model: mean transcripts per burst, ``ktx / koff``."""
    return p["ktx"] / p["koff"]


@_register
def bimolecular_association() -> Model:
    """Bimolecular association ``A + B <-> C`` (kon, koff), from A=B=20, C=0.

    Conserved totals make the state space one-dimensional. Defaults kon=0.05, koff=1;
    the high-affinity regime (large kon/koff) is the hard case for gradient estimators,
    e.g. ``params={"kon": 1.0, "koff": 0.05}``.
    """
    net = parse("(kon, koff), A + B <--> C")
    return Model(
        "bimolecular_association",
        net,
        {"kon": 0.05, "koff": 1.0},
        {"A": 20, "B": 20, "C": 0},
        5.0,
        bimolecular_association.__doc__,
    )


@_register
def sir() -> Model:
    """SIR epidemic ``S + I -> 2I`` (beta), ``I -> R`` (gamma).

    Defaults beta=1e-4, gamma=0.01 from (S, I, R) = (999, 1, 0), horizon 250.
    """
    net = parse(
        """
        beta,  S + I --> 2I
        gamma, I --> R
        """
    )
    params = {"beta": 1e-4, "gamma": 0.01}
    return Model("sir", net, params, {"S": 999, "I": 1, "R": 0}, 250.0, sir.__doc__)


@_register
def lotka_volterra() -> Model:
    """Lotka-Volterra predator-prey: ``X -> 2X`` (a), ``X + Y -> 2Y`` (b), ``Y -> 0`` (c).

    Defaults a=1, b=0.005, c=0.6 from X=50, Y=100.
    """
    net = parse(
        """
        a, X --> 2X
        b, X + Y --> 2Y
        c, Y --> 0
        """
    )
    params = {"a": 1.0, "b": 0.005, "c": 0.6}
    return Model("lotka_volterra", net, params, {"X": 50, "Y": 100}, 30.0, lotka_volterra.__doc__)


@_register
def negative_feedback() -> Model:
    """DNA negative-feedback autoregulation (SciMLBenchmarks / JumpProblemLibrary).

    ``DNA -> DNA + mRNA`` 0.5, ``mRNA -> mRNA + P`` 20 ln2/120, ``mRNA -> 0`` ln2/120,
    ``P -> 0`` ln2/600, ``DNA + P -> DNAR`` 0.025, ``DNAR -> DNA + P`` 1; DNA=1; tf=1000.
    """
    net = parse(
        """
        k1, DNA --> DNA + mRNA
        k2, mRNA --> mRNA + P
        k3, mRNA --> 0
        k4, P --> 0
        k5, DNA + P --> DNAR
        k6, DNAR --> DNA + P
        """
    )
    ln2 = math.log(2.0)
    params = {
        "k1": 0.5,
        "k2": 20 * ln2 / 120,
        "k3": ln2 / 120,
        "k4": ln2 / 600,
        "k5": 0.025,
        "k6": 1.0,
    }
    return Model("negative_feedback", net, params, {"DNA": 1}, 1000.0, negative_feedback.__doc__)


@_register
def multistate() -> Model:
    """Mendes multistate model (Gupta & Mendes 2018; 9 species, 18 reactions).

    Receptor ``S1``, ligand ``S2`` and adaptor ``S3`` bind and the adaptor is
    phosphorylated; kon=kAon=0.01, koff=kAoff=0.1, kAp=0.01, kAdp=0.1, from
    S1=5360, S2=1160, S3=5360; tf=100 (as in SciMLBenchmarks).
    """
    net = parse(
        """
        kon,   S1 + S2 --> S4
        kAon,  S1 + S3 --> S5
        kon,   S2 + S5 --> S6
        koff,  S4 --> S1 + S2
        kAon,  S3 + S4 --> S6
        kAoff, S5 --> S1 + S3
        koff,  S6 --> S2 + S5
        kAoff, S6 --> S3 + S4
        kAp,   S6 --> S7
        koff,  S7 --> S2 + S8
        kAoff, S7 --> S4 + S9
        kAdp,  S7 --> S6
        kon,   S2 + S8 --> S7
        kAon,  S1 + S9 --> S8
        kAon,  S4 + S9 --> S7
        kAoff, S8 --> S1 + S9
        kAdp,  S8 --> S5
        kAdp,  S9 --> S3
        """
    )
    params = {"kon": 0.01, "kAon": 0.01, "koff": 0.1, "kAoff": 0.1, "kAp": 0.01, "kAdp": 0.1}
    x0 = {f"S{i}": 0 for i in range(1, 10)}
    x0.update({"S1": 5360, "S2": 1160, "S3": 5360})
    return Model("multistate", net, params, x0, 100.0, multistate.__doc__)


@_register
def repressilator() -> Model:
    """Repressilator (Elowitz & Leibler) as in Catalyst's tutorial, with Hill repression.

    ``hillr(P3, alpha, K, n), 0 --> m1`` (and cyclically), ``(delta, gamma), m <--> 0``,
    ``beta, m --> m + P``, ``mu, P --> 0``. Defaults alpha=0.5, K=40, n=2,
    delta=ln2/120, gamma=5e-3, beta=ln2/6, mu=ln2/60; all species start at 0;
    horizon 10000 (oscillation period about 2000).
    """
    net = parse(
        """
        hillr(P3, alpha, K, n), 0 --> m1
        hillr(P1, alpha, K, n), 0 --> m2
        hillr(P2, alpha, K, n), 0 --> m3
        (delta, gamma), m1 <--> 0
        (delta, gamma), m2 <--> 0
        (delta, gamma), m3 <--> 0
        beta, m1 --> m1 + P1
        beta, m2 --> m2 + P2
        beta, m3 --> m3 + P3
        mu, P1 --> 0
        mu, P2 --> 0
        mu, P3 --> 0
        """
    )
    ln2 = math.log(2.0)
    params = {
        "alpha": 0.5,
        "K": 40.0,
        "n": 2.0,
        "delta": ln2 / 120,
        "gamma": 5e-3,
        "beta": ln2 / 6,
        "mu": ln2 / 60,
    }
    return Model("repressilator", net, params, {}, 10000.0, repressilator.__doc__)


def diffusion_lattice(n_reactions: int, molecules: int = 100, rate: float = 1.0) -> Model:
    """A 1-D diffusion lattice ``A_i <--> A_{i+1}`` with ``n_reactions`` reactions (even, >= 2).

    ``n_reactions / 2 + 1`` sites, every hop at rate constant ``d`` (default 1); all
    ``molecules`` start on the middle site. Not in the zoo: a family that grows the
    network for the large-network benchmarks (``ssagrad bench lattice``). The molecules
    walk independently, so ``A_i(t)`` is binomial with the walker's occupation
    probability ``p_i(t)`` (the exact reference the tests use).

    Examples
    --------
    >>> m = diffusion_lattice(10)
    >>> m.network.n_reactions, m.network.n_species, m.x0
    (10, 6, {'A3': 100})
    """
    if isinstance(n_reactions, bool) or not isinstance(n_reactions, int):
        raise TypeError(f"n_reactions must be an integer, got {n_reactions!r}")
    if n_reactions < 2 or n_reactions % 2:
        raise ValueError(f"n_reactions must be even and at least 2, got {n_reactions}")
    sites = n_reactions // 2 + 1
    builder = NetworkBuilder()
    for i in range(sites - 1):
        builder.add("d", {f"A{i}": 1}, {f"A{i + 1}": 1})
        builder.add("d", {f"A{i + 1}": 1}, {f"A{i}": 1})
    x0 = {f"A{sites // 2}": int(molecules)}
    return Model("diffusion_lattice", builder.build(), {"d": float(rate)}, x0, 1.0)
