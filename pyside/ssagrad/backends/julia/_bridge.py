"""Starting Julia through juliacall and loading SSAGrad, with no download behind your back.

:func:`start` is the only place that imports juliacall. Before it does:

* :func:`~._locate.unavailable_reason` must be ``None`` (juliacall, a Julia executable
  of a supported version, the SSAGrad sources);
* unless juliapkg is bypassed (``PYTHON_JULIACALL_EXE`` with ``PYTHON_JULIACALL_PROJECT``)
  or offline (``PYTHON_JULIAPKG_OFFLINE=yes``), juliapkg must already have resolved the
  requirements of ``juliapkg.json`` into juliacall's environment — what
  ``python -m ssagrad.backends.julia install`` does, once, on request. Otherwise
  importing juliacall would resolve them there and then, downloading packages.

SSAGrad itself is loaded from its directory, which :func:`start` appends to Julia's
``LOAD_PATH``: its dependencies come from juliacall's environment (and the other
environments on the load path), no second environment is activated, and nothing is
written into the installed or source tree. Julia errors about missing packages are
mapped to messages that say what is missing and how to install it (:func:`julia_error`).
"""

from __future__ import annotations

import os
import re
import sys
import warnings
from pathlib import Path
from typing import Any

from ._locate import INSTALL_HINT, OFFLINE_HINT, julia_project, unavailable_reason

#: Julia's words for a package it cannot load (1.10 and later).
_MISSING_PACKAGE = re.compile(
    r"Package (\w+)(?: \[[0-9a-f-]+\])? (?:not found in current path|is required but does "
    r"not seem to be installed)"
)


def juliapkg_bypassed() -> bool:
    """Whether juliacall is told its executable and project, so juliapkg never runs."""
    return bool(os.environ.get("PYTHON_JULIACALL_EXE")) and bool(
        os.environ.get("PYTHON_JULIACALL_PROJECT")
    )


def offline() -> bool:
    """Whether juliapkg is in offline mode (``PYTHON_JULIAPKG_OFFLINE=yes``)."""
    return os.environ.get("PYTHON_JULIAPKG_OFFLINE", "").strip().lower() == "yes"


def check_resolved() -> None:
    """Raise unless importing juliacall can go ahead without downloading anything.

    Raises
    ------
    RuntimeError
        juliapkg has not yet installed the Julia packages (or must re-resolve them after
        an upgrade); the message gives the install command and the offline route.
    """
    if juliapkg_bypassed() or offline():
        return
    import juliapkg

    if not juliapkg.resolve(dry_run=True):
        from juliapkg.state import STATE

        raise RuntimeError(
            "the Julia packages of the julia backend (ssagrad/juliapkg.json: "
            "ForwardDiff, PoissonRandom, JumpProcesses) are not installed in juliacall's "
            f"environment {STATE['project']}, and ssagrad does not download them behind "
            "your back. Install them once with: python -m ssagrad.backends.julia install "
            f"(downloads and precompiles them; minutes). {OFFLINE_HINT}"
        )


def julia_error(error: BaseException, project: Path) -> RuntimeError:
    """A ``RuntimeError`` saying what is missing and how to install it, for a Julia error.

    Examples
    --------
    >>> err = Exception("ArgumentError: Package ForwardDiff [f6369f11-...] is required "
    ...                 "but does not seem to be installed")
    >>> "ForwardDiff" in str(julia_error(err, Path("julia")))
    True
    """
    text = str(error)
    missing = sorted(set(_MISSING_PACKAGE.findall(text)))
    if not missing:
        return RuntimeError(f"loading SSAGrad from {project} failed in Julia: {text}")
    names = ", ".join(missing)
    route = (
        "You are offline (PYTHON_JULIAPKG_OFFLINE=yes), so nothing was downloaded. " + OFFLINE_HINT
        if offline()
        else f"Run: python -m ssagrad.backends.julia install. {OFFLINE_HINT}"
    )
    return RuntimeError(
        f"Julia cannot load {names}, needed by SSAGrad ({project}): the package is not "
        f"installed in juliacall's environment nor in any other environment on Julia's "
        f"load path. {route}"
    )


def _set_juliacall_defaults() -> None:
    """Signal handling and threads for juliacall, unless set by the user or too late."""
    if "juliacall" in sys.modules:
        if os.environ.get("PYTHON_JULIACALL_HANDLE_SIGNALS") != "yes":
            warnings.warn(
                "juliacall was imported before ssagrad could set "
                "PYTHON_JULIACALL_HANDLE_SIGNALS=yes; multithreaded Julia kernels may "
                "crash. Set it in the environment before importing juliacall.",
                RuntimeWarning,
                stacklevel=3,
            )
        return
    os.environ.setdefault("PYTHON_JULIACALL_HANDLE_SIGNALS", "yes")
    os.environ.setdefault("PYTHON_JULIACALL_THREADS", "auto")


def start() -> tuple[Any, Any]:
    """Start Julia (once per process) and load SSAGrad; return ``(Main, SSAGrad)``.

    Raises
    ------
    RuntimeError
        Something is missing: juliacall, Julia, the SSAGrad sources, or Julia packages
        (the message names it and says how to install it, online or offline).
    """
    reason = unavailable_reason()
    if reason is not None:
        raise RuntimeError(f"the julia backend is not available: {reason}")
    check_resolved()
    project = julia_project()
    assert project is not None  # checked by unavailable_reason
    _set_juliacall_defaults()
    from juliacall import Main as jl

    try:
        add_to_load_path = jl.seval("p -> (p in LOAD_PATH || push!(LOAD_PATH, p); nothing)")
        add_to_load_path(str(project))
        jl.seval("import SSAGrad")
    except Exception as error:  # juliacall.JuliaError
        raise julia_error(error, project) from error
    return jl, jl.SSAGrad


def load_jumpprocesses(jl: Any) -> Any:
    """``import JumpProcesses`` (which loads SSAGrad's extension); return the module.

    Raises
    ------
    RuntimeError
        JumpProcesses is not installed (the message says how to install it).
    """
    try:
        jl.seval("import JumpProcesses")
    except Exception as error:  # juliacall.JuliaError
        raise julia_error(error, julia_project() or Path("julia")) from error
    return jl.JumpProcesses


__all__ = ["INSTALL_HINT", "OFFLINE_HINT", "check_resolved", "julia_error", "start"]
