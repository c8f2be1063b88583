"""Peer simulators for side-by-side benchmarks (optional: ``pip install "ssagrad[bench]"``).

Conversions are explicit: GillesPy2 writes the propensity of ``2A -> ...`` as
``k A (A - 1)`` where ssagrad (binomial convention) has ``k A (A - 1) / 2``, so the
GillesPy2 rate of a homodimer reaction is half of ours.
"""

from __future__ import annotations

import importlib.util
from typing import Any

import numpy as np

from ..network import MASS_ACTION, Network


def have(module: str) -> bool:
    """Whether ``module`` can be imported (without importing it)."""
    return importlib.util.find_spec(module) is not None


def gillespy2_model(
    net: Network, params: dict[str, float], x0: dict[str, int], times: np.ndarray
) -> Any:
    """The same network as a GillesPy2 model (mass action of order <= 2 only).

    Raises
    ------
    ValueError
        For Hill laws or reactions of order > 2, which GillesPy2 mass action lacks.
    """
    import gillespy2

    model = gillespy2.Model(name="ssagrad_bench")
    species = {
        s: gillespy2.Species(name=s, initial_value=int(x0.get(s, 0)), mode="discrete")
        for s in net.species
    }
    model.add_species(list(species.values()))
    constants: dict[str, Any] = {}
    for j, reaction in enumerate(net.reactions):
        if reaction.rate.kind != MASS_ACTION:
            raise ValueError("GillesPy2 comparison supports mass-action reactions only")
        order = sum(c for _, c in reaction.reactants)
        if order > 2:
            raise ValueError("GillesPy2 mass action supports reactions of order <= 2 only")
        (term,) = reaction.rate.args
        value = params[term] if isinstance(term, str) else float(term)
        homodimer = any(c == 2 for _, c in reaction.reactants)
        name = f"rate{j}"
        constants[name] = gillespy2.Parameter(
            name=name, expression=value / 2.0 if homodimer else value
        )
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
