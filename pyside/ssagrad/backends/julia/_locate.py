"""What the julia backend needs, found without importing juliacall or starting Julia.

* The SSAGrad Julia package: ``$SSAGRAD_JULIA_PROJECT``, else the copy shipped inside
  the installed Python package (``ssagrad/_julia``, package data of the wheel), else the
  ``julia/`` directory of a source checkout (editable installs, ``PYTHONPATH=pyside``).
* The Julia requirements: ``ssagrad/juliapkg.json``, read by juliapkg (juliacall's
  package manager) to install the Julia dependencies into juliacall's own environment.
* A Julia executable, as juliacall and juliapkg would find it, and its version checked
  against the ``julia`` compat bound of ``juliapkg.json``.

Every check here reads files, environment variables and ``PATH``; the only process it
starts is ``julia --version`` (cached per executable).
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

#: Environment variable overriding the location of the SSAGrad Julia package.
PROJECT_VARIABLE = "SSAGRAD_JULIA_PROJECT"
#: The Python package directory (``ssagrad/``).
PACKAGE_DIR = Path(__file__).resolve().parents[2]
#: The Julia requirements juliapkg reads (shipped in the wheel next to the sources).
JULIAPKG_JSON = PACKAGE_DIR / "juliapkg.json"
#: Where the wheel puts the Julia package (package data).
SHIPPED_PROJECT = PACKAGE_DIR / "_julia"
#: Where a source checkout keeps it.
CHECKOUT_PROJECT = PACKAGE_DIR.parents[1] / "julia"

#: How to get the backend's Python and Julia parts, for error messages.
INSTALL_HINT = (
    "install it with: pip install 'ssagrad[julia]' (juliacall), install Julia >= 1.10 "
    "(https://julialang.org/downloads, or juliaup) and put julia on PATH or set "
    "PYTHON_JULIAPKG_EXE to it, then run once: python -m ssagrad.backends.julia install"
)
#: The route without network access, for error messages and the docs.
OFFLINE_HINT = (
    "Offline: set PYTHON_JULIAPKG_OFFLINE=yes (juliapkg then never downloads), "
    "PYTHON_JULIAPKG_EXE=/path/to/julia, and JULIA_DEPOT_PATH to an existing depot whose "
    "environment already has juliacall's PythonCall and the packages of "
    "ssagrad/juliapkg.json (select it with "
    "PYTHON_JULIAPKG_PROJECT, or set PYTHON_JULIACALL_EXE together with "
    "PYTHON_JULIACALL_PROJECT to bypass juliapkg)"
)


def _is_ssagrad_project(path: Path) -> bool:
    project = path / "Project.toml"
    if not project.is_file():
        return False
    return re.search(r'^name\s*=\s*"SSAGrad"', project.read_text(), re.MULTILINE) is not None


def julia_project() -> Path | None:
    """The directory of the SSAGrad Julia package, or ``None`` if there is none.

    ``$SSAGRAD_JULIA_PROJECT`` if set (it must hold the package), else the copy shipped
    as package data, else a source checkout's ``julia/``.

    Examples
    --------
    >>> path = julia_project()
    >>> path is None or (path / "src" / "SSAGrad.jl").is_file()
    True
    """
    configured = os.environ.get(PROJECT_VARIABLE, "").strip()
    if configured:
        path = Path(configured).expanduser().resolve()
        return path if _is_ssagrad_project(path) else None
    for path in (SHIPPED_PROJECT, CHECKOUT_PROJECT):
        if _is_ssagrad_project(path):
            return path
    return None


def julia_requirements() -> dict[str, Any]:
    """``juliapkg.json``: the Julia compat bound and the packages with their bounds.

    Examples
    --------
    >>> sorted(julia_requirements()["packages"])
    ['ForwardDiff', 'JumpProcesses', 'PoissonRandom', 'Random']
    """
    return json.loads(JULIAPKG_JSON.read_text())


def julia_executable() -> str | None:
    """The Julia executable juliacall would start, or ``None``; never imports juliacall.

    ``PYTHON_JULIACALL_EXE`` (with ``PYTHON_JULIACALL_PROJECT``: juliacall then bypasses
    juliapkg), else ``PYTHON_JULIAPKG_EXE`` (juliapkg's override; ``@``-values such as
    ``@default`` mean the ``julia`` on ``PATH``), else ``julia`` on ``PATH``. A variable
    naming something that is not an executable gives ``None``.

    Examples
    --------
    >>> exe = julia_executable()
    >>> exe is None or os.access(exe, os.X_OK)
    True
    """
    for variable in ("PYTHON_JULIACALL_EXE", "PYTHON_JULIAPKG_EXE"):
        value = os.environ.get(variable, "").strip()
        if value:
            return shutil.which("julia" if value.startswith("@") else value)
    return shutil.which("julia")


@functools.lru_cache(maxsize=8)
def _version_of(exe: str, stamp: float) -> tuple[int, int, int] | None:
    try:
        out = subprocess.run(
            [exe, "--version"], capture_output=True, text=True, timeout=120, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    found = re.search(r"julia version (\d+)\.(\d+)\.(\d+)", out)
    return None if found is None else (int(found[1]), int(found[2]), int(found[3]))


def julia_version(exe: str) -> tuple[int, int, int] | None:
    """``(major, minor, patch)`` from ``exe --version``, or ``None`` if it is not Julia."""
    try:
        stamp = os.stat(exe).st_mtime
    except OSError:
        return None
    return _version_of(exe, stamp)


def _clause(text: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """``[low, high)`` of one Julia compat clause (caret, tilde, ``=`` or ``a - b``)."""
    text = text.strip()

    def numbers(part: str) -> list[int]:
        if not re.fullmatch(r"\d+(\.\d+){0,2}", part.strip()):
            raise ValueError(f"unsupported Julia compat clause {text!r}")
        return [int(p) for p in part.strip().split(".")]

    def padded(parts: list[int]) -> tuple[int, ...]:
        return tuple(parts + [0] * (3 - len(parts)))

    def bump(parts: list[int], at: int) -> tuple[int, ...]:
        return padded(parts[:at] + [parts[at] + 1])

    if " - " in text:
        low, high = text.split(" - ", 1)
        upper = numbers(high)
        return padded(numbers(low)), bump(upper, len(upper) - 1)
    if text.startswith("="):
        exact = list(padded(numbers(text[1:])))
        return tuple(exact), bump(exact, 2)
    if text.startswith("~"):  # ~1: [1, 2); ~1.2 and ~1.2.3: [1.2(.3), 1.3); ~0.0.3: patch
        parts = numbers(text[1:])
        fixed = 0 if len(parts) == 1 else 2 if parts[:2] == [0, 0] and len(parts) == 3 else 1
        return padded(parts), bump(parts, fixed)
    parts = numbers(text.lstrip("^"))  # caret: the first non-zero part is fixed
    first = next((i for i, p in enumerate(parts) if p != 0), len(parts) - 1)
    return padded(parts), bump(parts, first)


def compat_contains(spec: str, version: tuple[int, int, int]) -> bool:
    """Whether ``version`` satisfies the Julia compat ``spec`` (e.g. ``"1.10"``).

    Examples
    --------
    >>> compat_contains("1.10", (1, 11, 2)), compat_contains("1.10", (1, 9, 4))
    (True, False)
    >>> compat_contains("0.10, 1", (0, 10, 38)), compat_contains("0.10, 1", (0, 11, 0))
    (True, False)
    """
    for clause in spec.split(","):
        low, high = _clause(clause)
        if low <= tuple(version) < high:
            return True
    return False


def _executable_problem() -> str | None:
    """What is wrong with the Julia executable configuration, or ``None``."""
    if os.environ.get("PYTHON_JULIACALL_EXE") and not os.environ.get("PYTHON_JULIACALL_PROJECT"):
        return (
            "PYTHON_JULIACALL_EXE is set without PYTHON_JULIACALL_PROJECT, which juliacall "
            "refuses: set PYTHON_JULIAPKG_EXE to the executable instead, or also set "
            "PYTHON_JULIACALL_PROJECT to a Julia environment that has the packages"
        )
    exe = julia_executable()
    if exe is None:
        configured = [
            v for v in ("PYTHON_JULIACALL_EXE", "PYTHON_JULIAPKG_EXE") if os.environ.get(v)
        ]
        where = (
            f"{configured[0]}={os.environ[configured[0]]!r} is not an executable"
            if configured
            else "no julia on PATH"
        )
        return f"no Julia executable ({where}); ssagrad does not download Julia for you"
    version = julia_version(exe)
    bound = julia_requirements()["julia"]
    if version is None:
        return f"{exe} does not answer `--version` like Julia does"
    if not compat_contains(bound, version):
        found = ".".join(map(str, version))
        return (
            f"{exe} is Julia {found}, but SSAGrad needs julia {bound!r} (compat bound of "
            f"ssagrad/juliapkg.json and julia/Project.toml): install a newer Julia"
        )
    return None


def unavailable_reason() -> str | None:
    """Why the julia backend cannot be used here (what is missing and how to get it), or ``None``.

    Checks, without importing juliacall: juliacall importable, a Julia executable of a
    supported version configured as juliacall would find it, and the SSAGrad Julia
    package present. The Julia packages themselves are checked when the backend starts.
    """
    import importlib.util

    missing = []
    if importlib.util.find_spec("juliacall") is None:
        missing.append("juliacall is not installed")
    problem = _executable_problem()
    if problem is not None:
        missing.append(problem)
    if julia_project() is None:
        missing.append(
            "the SSAGrad Julia package is missing (looked at "
            + (
                f"{PROJECT_VARIABLE}={os.environ[PROJECT_VARIABLE]!r}"
                if os.environ.get(PROJECT_VARIABLE, "").strip()
                else f"{SHIPPED_PROJECT} and {CHECKOUT_PROJECT}"
            )
            + "): reinstall ssagrad, or point SSAGRAD_JULIA_PROJECT at its julia/ directory"
        )
    if not missing:
        return None
    return "; ".join(missing) + f". To use the julia backend, {INSTALL_HINT}. {OFFLINE_HINT}"
