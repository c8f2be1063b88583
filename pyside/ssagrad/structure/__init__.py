"""Structure learning: which reactions exist, and their rates, from observed counts.

Kreikemeyer, Andelfinger & Uhrmacher (2024) learn stochastic reaction networks by
gradient descent through exact simulation, in four formulations; each is a
:class:`~ssagrad.fitting.Parametrisation` usable with :func:`ssagrad.fit`:

* :func:`library`: the candidate mass-action reactions over the species;
* :class:`LibraryOfReactions` (1): every library reaction with its own rate;
* :class:`CoefficientSteps` (2): real stoichiometric coefficients, rounded;
* :class:`ReactionSteps` (3): reaction slots selecting library reactions in steps;
* :class:`LibraryOfSystems` (4): whole candidate systems, stepped or softmax-weighted;
* :func:`learn`: all of it in one call, returning a :class:`StructureResult`.

See ``docs/structure.md``.
"""

from ._base import LibraryOfReactions, Structure
from ._result import StructureResult, expected_firings
from ._steps import CoefficientSteps, ReactionSteps
from ._systems import LibraryOfSystems, enumerate_systems
from .learn import FORMULATIONS, build_formulation, learn
from .library import Library, library, library_size

__all__ = [
    "FORMULATIONS",
    "CoefficientSteps",
    "Library",
    "LibraryOfReactions",
    "LibraryOfSystems",
    "ReactionSteps",
    "Structure",
    "StructureResult",
    "build_formulation",
    "enumerate_systems",
    "expected_firings",
    "learn",
    "library",
    "library_size",
]
