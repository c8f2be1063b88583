"""The julia backend: the SSAGrad Julia package (``julia/`` in the repository) via juliacall.

Importing this module never imports ``juliacall``: :func:`julia_executable` and
:func:`unavailable_reason` only look at the environment, ``PATH`` and the file system.
Julia starts when a :class:`JuliaBackend` is constructed, i.e. the first time the julia
backend is chosen in a process.

Index convention. ssagrad's network arrays are 0-based and Julia is 1-based: every index
and pointer array is shifted by +1 here, once, at the boundary (the sentinel ``-1``
becomes ``0``), so the Julia kernels never see 0-based indices. Julia returns its arrays
with the dimensions reversed (it is column-major): an ``S x T x N`` Julia array holds
exactly the bytes of the C-ordered ``(N, T, S)`` NumPy array of the kernel contract, so
reversing the axes of the copy gives the contract's arrays.

Random streams. Each trajectory runs on Julia's ``Xoshiro`` seeded with its own seed, so
results do not depend on the thread count, but they differ from the native backend's
streams: the two backends agree in distribution, not bitwise.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from ..network import NetworkArrays
from ._contract import Backend, Kernels

__all__ = [
    "JULIA_CAPABILITIES",
    "JuliaBackend",
    "julia_executable",
    "julia_project",
    "unavailable_reason",
]

#: What the SSAGrad Julia kernels provide.
JULIA_CAPABILITIES = ("direct", "tau", "score", "gumbel")

#: Environment variables naming the Julia executable, in the order juliacall honours them.
EXE_VARIABLES = ("PYTHON_JULIACALL_EXE", "PYTHON_JULIAPKG_EXE")

#: Environment variable overriding the location of the SSAGrad Julia package.
PROJECT_VARIABLE = "SSAGRAD_JULIA_PROJECT"


def julia_executable() -> str | None:
    """The Julia executable juliacall would be configured to use, or ``None``.

    Looks at ``PYTHON_JULIACALL_EXE``, then ``PYTHON_JULIAPKG_EXE`` (juliacall's special
    values such as ``@default`` mean the ``julia`` on ``PATH``), then ``julia`` on
    ``PATH``. A variable naming a file that is not executable gives ``None``. Never
    imports juliacall.

    Examples
    --------
    >>> exe = julia_executable()
    >>> exe is None or os.access(exe, os.X_OK)
    True
    """
    for variable in EXE_VARIABLES:
        value = os.environ.get(variable, "").strip()
        if value:
            return shutil.which("julia" if value.startswith("@") else value)
    return shutil.which("julia")


def julia_project() -> Path:
    """The directory of the SSAGrad Julia package (``$SSAGRAD_JULIA_PROJECT`` or ``julia/``)."""
    configured = os.environ.get(PROJECT_VARIABLE)
    if configured:
        return Path(configured).expanduser().resolve()
    return Path(__file__).resolve().parents[3] / "julia"


def unavailable_reason(project: str | os.PathLike[str] | None = None) -> str | None:
    """Why the julia backend cannot be used here (what is missing, how to get it), or ``None``.

    Checks without importing anything: juliacall importable, a Julia executable
    configured, the SSAGrad Julia package present (``project``, default
    :func:`julia_project`).
    """
    missing = []
    if importlib.util.find_spec("juliacall") is None:
        missing.append("juliacall is not installed: pip install 'ssagrad[julia]'")
    if julia_executable() is None:
        configured = [v for v in EXE_VARIABLES if os.environ.get(v, "").strip()]
        where = (
            f"{configured[0]}={os.environ[configured[0]]!r} is not an executable"
            if configured
            else "no julia on PATH"
        )
        missing.append(
            f"no Julia executable ({where}): install Julia >= 1.10 "
            "(https://julialang.org/downloads) and put julia on PATH or set "
            "PYTHON_JULIACALL_EXE to its path"
        )
    project = Path(project) if project is not None else julia_project()
    if not (project / "Project.toml").is_file():
        missing.append(
            f"the SSAGrad Julia package is not at {project}: use a source checkout of "
            f"ssagrad or set {PROJECT_VARIABLE} to its julia/ directory"
        )
    return "; ".join(missing) or None


def network_arguments(arrays: NetworkArrays) -> dict[str, Any]:
    """Keyword arguments of ``SSAGrad.ReactionNetwork``: the network with 1-based indices.

    Index and pointer arrays get +1 (``-1``, "none", becomes ``0``); coefficients, changes
    and rate codes are passed unchanged.
    """

    def plain(values: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(values, dtype=np.int64)

    def one_based(values: np.ndarray) -> np.ndarray:
        return plain(values) + 1

    return {
        "n_species": int(arrays.n_species),
        "reactant_ptr": one_based(arrays.reactant_ptr),
        "reactant_species": one_based(arrays.reactant_species),
        "reactant_coeff": plain(arrays.reactant_coeff),
        "change_ptr": one_based(arrays.change_ptr),
        "change_species": one_based(arrays.change_species),
        "change_delta": plain(arrays.change_delta),
        "rate_code": plain(arrays.rate_code),
        "rate_species": one_based(arrays.rate_species),
        "rate_slots": one_based(arrays.rate_slots),
        "dependency_ptr": one_based(arrays.dependency_ptr),
        "dependency_index": one_based(arrays.dependency_index),
    }


def from_julia(array: Any, dtype: type) -> np.ndarray:
    """Copy a Julia array into NumPy, axes reversed: Julia ``S x T x N`` -> ``(N, T, S)``."""
    return np.ascontiguousarray(np.array(array, dtype=dtype).transpose())


class JuliaBackend(Backend):
    """SSAGrad's Julia kernels through juliacall.

    The first construction in a process starts Julia (threads: ``PYTHON_JULIACALL_THREADS``,
    default ``auto`` here), instantiates the SSAGrad project and loads it; expect a long
    first start while Julia precompiles JumpProcesses and ForwardDiff.

    Parameters
    ----------
    project : path, optional
        The SSAGrad Julia package directory (default :func:`julia_project`).

    Raises
    ------
    RuntimeError
        The backend cannot be used here (the message says what is missing).
    """

    name = "julia"
    capabilities = JULIA_CAPABILITIES

    def __init__(self, project: str | os.PathLike[str] | None = None) -> None:
        path = Path(project) if project is not None else julia_project()
        reason = unavailable_reason(path)
        if reason is not None:
            raise RuntimeError(f"the julia backend is not available: {reason}")
        if "juliacall" in sys.modules:
            if os.environ.get("PYTHON_JULIACALL_HANDLE_SIGNALS") != "yes":
                warnings.warn(
                    "juliacall was imported before ssagrad could set "
                    "PYTHON_JULIACALL_HANDLE_SIGNALS=yes; multithreaded Julia kernels may "
                    "crash. Set it in the environment before importing juliacall.",
                    RuntimeWarning,
                    stacklevel=2,
                )
        else:  # Julia reads these once, when juliacall starts it
            os.environ.setdefault("PYTHON_JULIACALL_HANDLE_SIGNALS", "yes")
            os.environ.setdefault("PYTHON_JULIACALL_THREADS", "auto")
        from juliacall import Main as jl

        jl.seval("import Pkg")
        previous = jl.seval("Base.active_project()")
        try:
            jl.Pkg.activate(str(path), io=jl.devnull)
            jl.Pkg.instantiate(io=jl.devnull)
            jl.seval("import SSAGrad")
        finally:  # give juliacall its own environment back
            if previous is None:
                jl.Pkg.activate(io=jl.devnull)
            else:
                jl.Pkg.activate(previous, io=jl.devnull)
        self._jl = jl
        self._ssagrad = jl.SSAGrad

    def set_threads(self, threads: int | None) -> None:
        """Julia's thread count is fixed at start-up; warn if a different one is asked for."""
        if threads is None:
            return
        running = int(self._jl.Threads.nthreads())
        if threads != running:
            warnings.warn(
                f"the julia backend runs {running} thread(s), fixed when Julia started; "
                f"set PYTHON_JULIACALL_THREADS={threads} before the first call to change it",
                RuntimeWarning,
                stacklevel=3,
            )

    def _network(self, arrays: NetworkArrays) -> Any:
        """The Julia ``ReactionNetwork`` of ``arrays``, built once and kept on them."""
        net = arrays.__dict__.get("_julia_network")
        if net is None:
            net = self._ssagrad.ReactionNetwork(**network_arguments(arrays))
            object.__setattr__(arrays, "_julia_network", net)
        return net

    def simulate(
        self,
        arrays: NetworkArrays,
        theta: np.ndarray,
        x0: np.ndarray,
        times: np.ndarray,
        seeds: np.ndarray,
        method: str,
        max_events: int,
        dt: float,
    ) -> Kernels:
        states, events, status = self._ssagrad.simulate(
            self._network(arrays),
            theta,
            x0,
            times,
            seeds,
            method=method,
            max_events=int(max_events),
            dt=float(dt),
        )
        return (
            from_julia(states, np.int64),
            from_julia(events, np.int64),
            from_julia(status, np.int64),
        )

    def score(
        self,
        arrays: NetworkArrays,
        theta: np.ndarray,
        x0: np.ndarray,
        times: np.ndarray,
        seeds: np.ndarray,
        max_events: int,
    ) -> Kernels:
        states, scores, status = self._ssagrad.simulate_score(
            self._network(arrays),
            theta,
            int(arrays.n_parameters),
            x0,
            times,
            seeds,
            max_events=int(max_events),
        )
        return (
            from_julia(states, np.int64),
            from_julia(scores, np.float64),
            from_julia(status, np.int64),
        )

    def gumbel(
        self,
        arrays: NetworkArrays,
        theta: np.ndarray,
        x0: np.ndarray,
        times: np.ndarray,
        seeds: np.ndarray,
        max_events: int,
        temperature: float,
        time_smoothing: float,
    ) -> Kernels:
        states, tangents, status = self._ssagrad.simulate_gumbel(
            self._network(arrays),
            theta,
            int(arrays.n_parameters),
            x0,
            times,
            seeds,
            temperature=float(temperature),
            time_smoothing=float(time_smoothing),
            max_events=int(max_events),
        )
        return (
            from_julia(states, np.int64),
            from_julia(tangents, np.float64),
            from_julia(status, np.int64),
        )
