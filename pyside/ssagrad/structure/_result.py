"""The result of structure learning, and what it measures: firings, activity, RMSE."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import xarray as xr
from scipy.special import comb

from ..data import ObservedData
from ..fitting import FitResult
from ..network import Network, Reaction


def expected_firings(
    network: Network, rates: np.ndarray, states: np.ndarray, x0: np.ndarray, times: np.ndarray
) -> np.ndarray:
    """Expected firings of each mass-action reaction per cell over ``[0, times[-1]]``.

    The propensity ``a_j(x) = k_j prod_s C(x_s, r_js)`` averaged over the cells
    ``states`` (N, T, S) at each observation time, integrated by the trapezoid rule on
    the observation grid (with ``x0`` at time 0): an approximation that is exact for
    propensities linear in time between observations.
    """
    if not network.parameters:
        return np.zeros(network.n_reactions)
    grid = np.asarray(times, dtype=np.float64)
    cells = np.asarray(states, dtype=np.float64)
    if grid[0] > 0:
        grid = np.concatenate([[0.0], grid])
        start = np.broadcast_to(np.asarray(x0, dtype=np.float64), cells[:, :1].shape)
        cells = np.concatenate([start, cells], axis=1)
    index = {s: i for i, s in enumerate(network.species)}
    out = np.empty(network.n_reactions)
    for j, reaction in enumerate(network.reactions):
        propensity = np.full(cells.shape[:2], float(rates[j]))
        for name, coefficient in reaction.reactants:
            propensity *= comb(cells[:, :, index[name]], coefficient)
        mean = propensity.mean(axis=0)
        out[j] = float(np.sum(np.diff(grid) * (mean[1:] + mean[:-1]) / 2))
    return out


def mean_rmse(states: np.ndarray, data: ObservedData, observed: np.ndarray) -> float:
    """RMSE between simulated and observed mean counts over times and observed species."""
    simulated = states[:, :, observed].mean(axis=0)
    return float(np.sqrt(np.mean((simulated - data.mean()) ** 2)))


def reaction_key(reaction: Reaction, species: tuple[str, ...]) -> tuple:
    """The structure of a reaction as (reactant, product) counts in ``species`` order."""
    reactants, products = dict(reaction.reactants), dict(reaction.products)
    return (
        tuple(reactants.get(s, 0) for s in species),
        tuple(products.get(s, 0) for s in species),
    )


@dataclass(frozen=True)
class StructureResult:
    """What :func:`ssagrad.structure.learn` returns.

    Attributes
    ----------
    formulation : str
    network : Network
        The active reactions (rates ``k{i}`` named by library index) over all species;
        ``network.to_text()`` prints it in ssagrad's text syntax.
    params : dict
        The rates of ``network``.
    active : tuple of str
        The active reactions as text lines with their rates, e.g.
        ``"0.0001012, S + I --> 2I"`` (each line parses with :func:`ssagrad.parse`).
    firings : dict
        Expected firings per cell over the data's horizon of every reaction of the
        realised network (active or not), by rate name.
    rmse : float
        RMSE of the mean counts of ``network`` (the active reactions; 2000 fresh cells)
        against the data's.
    rmse_all : float
        The same for ``realised``, every reaction of the final point: what the fit
        reached before inactive reactions are dropped.
    history : xarray.Dataset
        The fit's per-step history (``loss``, ``grad_norm``, ``wall``, ``params`` in the
        optimised coordinates ``u``).
    fit : FitResult
        The underlying fit (``fit.params``: the final ``u``).
    parametrisation : Parametrisation
    realised : Network
        Every reaction of the final realisation, active or not.
    wall : float
        Seconds for the whole call.
    """

    formulation: str
    network: Network
    params: dict
    active: tuple[str, ...]
    firings: dict
    rmse: float
    rmse_all: float
    history: xr.Dataset = field(repr=False)
    fit: FitResult = field(repr=False)
    parametrisation: Any = field(repr=False)
    realised: Network = field(repr=False)
    wall: float = 0.0

    @property
    def n_active(self) -> int:
        """The parsimony count: number of active reactions."""
        return len(self.active)

    @property
    def steps(self) -> int:
        """Optimiser steps taken (the best start's)."""
        return self.fit.best.steps

    def recovered(self, truth: Network) -> bool:
        """True if the active reactions are exactly the reactions of ``truth``.

        Compared by structure (reactant and product counts per species); rates and
        parameter names are ignored.
        """
        species = self.network.species
        if set(truth.species) - set(species):
            return False
        learned = (
            {reaction_key(r, species) for r in self.network.reactions} if self.active else set()
        )
        return learned == {reaction_key(r, species) for r in truth.reactions}

    def summary(self) -> str:
        """A few lines: formulation, RMSE, parsimony and the active reactions."""
        lines = [
            f"{self.formulation}: RMSE {self.rmse:.4g} ({self.rmse_all:.4g} with inactive "
            f"reactions), {self.n_active} active reaction(s), "
            f"{self.steps} steps, {self.wall:.1f} s",
            *(f"  {line}" for line in self.active),
        ]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"StructureResult({self.formulation}, rmse={self.rmse:.4g}, active={self.active})"
