"""Peer simulators for side-by-side benchmarks (optional: ``pip install "ssagrad[bench]"``).

Conversions are explicit: GillesPy2 and bioscrape both write the propensity of
``2A -> ...`` as ``k A (A - 1)`` where ssagrad (binomial convention) has
``k A (A - 1) / 2``, so their rate of a homodimer reaction is half of ours. For
bioscrape this was measured, not assumed (bioscrape 1.4.1: ``2A -> 0`` with ``k = 0.5``
from ``A = 2`` survives to ``t = 1`` with probability ``exp(-1)``, not ``exp(-0.5)``);
``tests/test_bench_ssa.py`` checks it again whenever bioscrape is installed.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from typing import Any

import numpy as np

from ..network import MASS_ACTION, Network


def have(module: str) -> bool:
    """Whether ``module`` can be imported (without importing it)."""
    return importlib.util.find_spec(module) is not None


def _mass_action_rates(net: Network, params: dict[str, float]) -> list[float]:
    """Each reaction's rate constant in the ``k A (A - 1)`` convention of the peers.

    Raises
    ------
    ValueError
        For Hill laws or reactions of order > 2, which the peers' mass action lacks.
    """
    rates = []
    for reaction in net.reactions:
        if reaction.rate.kind != MASS_ACTION:
            raise ValueError("peer comparisons support mass-action reactions only")
        if sum(c for _, c in reaction.reactants) > 2:
            raise ValueError("peer mass action supports reactions of order <= 2 only")
        (term,) = reaction.rate.args
        value = params[term] if isinstance(term, str) else float(term)
        homodimer = any(c == 2 for _, c in reaction.reactants)
        rates.append(value / 2.0 if homodimer else value)
    return rates


def bioscrape_simulator(
    net: Network, params: dict[str, float], x0: dict[str, int], times: np.ndarray
) -> Callable[[int, int], list[np.ndarray]]:
    """The same network in bioscrape: ``run(n, seed)`` simulates ``n`` SSA trajectories.

    The model is lowered to bioscrape's C simulation interface once; each call seeds
    bioscrape's generator and returns ``n`` ``(T, S)`` arrays.
    """
    from bioscrape.random import py_seed_random
    from bioscrape.simulator import ModelCSimInterface, SSASimulator
    from bioscrape.types import Model

    rates = _mass_action_rates(net, params)
    reactions = [
        (
            [s for s, c in r.reactants for _ in range(c)],
            [s for s, c in r.products for _ in range(c)],
            "massaction",
            {"k": f"rate{j}"},
        )
        for j, r in enumerate(net.reactions)
    ]
    model = Model(
        species=list(net.species),
        reactions=reactions,
        parameters={f"rate{j}": k for j, k in enumerate(rates)},
        initial_condition_dict={s: int(x0.get(s, 0)) for s in net.species},
    )
    interface = ModelCSimInterface(model)
    interface.py_prep_deterministic_simulation()
    simulator = SSASimulator()
    timepoints = np.asarray(times, dtype=float)

    def run(n: int, seed: int) -> list[np.ndarray]:
        py_seed_random(seed)
        return [simulator.py_simulate(interface, timepoints).py_get_result() for _ in range(n)]

    return run


def gillespy2_model(
    net: Network, params: dict[str, float], x0: dict[str, int], times: np.ndarray
) -> Any:
    """The same network as a GillesPy2 model (mass action of order <= 2 only)."""
    import gillespy2

    model = gillespy2.Model(name="ssagrad_bench")
    species = {
        s: gillespy2.Species(name=s, initial_value=int(x0.get(s, 0)), mode="discrete")
        for s in net.species
    }
    model.add_species(list(species.values()))
    constants: dict[str, Any] = {}
    for j, (reaction, rate) in enumerate(
        zip(net.reactions, _mass_action_rates(net, params), strict=True)
    ):
        name = f"rate{j}"
        constants[name] = gillespy2.Parameter(name=name, expression=rate)
        model.add_parameter(constants[name])
        model.add_reaction(
            gillespy2.Reaction(
                name=f"r{j}",
                reactants={species[s]: c for s, c in reaction.reactants},
                products={species[s]: c for s, c in reaction.products},
                rate=constants[name],
            )
        )
    model.timespan(np.asarray(times, dtype=float))
    return model
