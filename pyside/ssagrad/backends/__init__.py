"""Kernel backends: a registry of lazy factories, ``available_backends()`` and one choice.

A backend implements the kernel contract of :class:`Backend` (plain arrays in, plain
arrays out). Each registry entry names the factory (imported only when the backend is
chosen), a check that says why it cannot run here without importing it, and its
capabilities. The choice is made once per process, by the ``backend=`` argument of the
first call or the ``SSAGRAD_BACKEND`` environment variable, because Numba and Julia can
clash over LLVM in one process.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
from collections.abc import Callable
from dataclasses import dataclass

from ._contract import (
    CAPABILITIES,
    NETWORK_FEATURES,
    SSA_METHODS,
    STATUS_BAD_ASSIGNMENT,
    STATUS_CASCADE,
    STATUS_MAX_EVENTS,
    STATUS_OK,
    STATUS_RATE_BOUND,
    Backend,
    BackendInfo,
)
from .julia import JULIA_CAPABILITIES, unavailable_reason

__all__ = [
    "CAPABILITIES",
    "NETWORK_FEATURES",
    "SSA_METHODS",
    "STATUS_BAD_ASSIGNMENT",
    "STATUS_CASCADE",
    "STATUS_MAX_EVENTS",
    "STATUS_OK",
    "STATUS_RATE_BOUND",
    "Backend",
    "BackendInfo",
    "available_backends",
    "get_backend",
    "register_backend",
]


@dataclass(frozen=True)
class _Entry:
    factory: str  # "module:Class", imported on first use
    missing: Callable[[], str | None]
    capabilities: tuple[str, ...]


_REGISTRY: dict[str, _Entry] = {}
_selected: str | None = None
_instances: dict[str, Backend] = {}


def register_backend(
    name: str, factory: str, missing: Callable[[], str | None], capabilities: tuple[str, ...]
) -> None:
    """Register backend ``name``: ``factory`` is ``"module:Class"``, imported lazily.

    Parameters
    ----------
    name : str
    factory : str
        Where the :class:`Backend` subclass lives, e.g. ``"ssagrad.backends.native:NativeBackend"``.
    missing : callable
        Returns why the backend cannot be used here (what to install), or ``None``; it
        must not import the backend.
    capabilities : tuple of str
        What the backend's kernels provide (names from :data:`CAPABILITIES`).
    """
    unknown = set(capabilities) - set(CAPABILITIES)
    if unknown:
        raise ValueError(f"unknown capabilities {sorted(unknown)}; known: {CAPABILITIES}")
    _REGISTRY[name] = _Entry(factory, missing, tuple(capabilities))


def _native_missing() -> str | None:
    if importlib.util.find_spec("numba") is None:
        return "numba is not installed: pip install numba"
    return None


register_backend("native", "ssagrad.backends.native:NativeBackend", _native_missing, CAPABILITIES)
# The julia package imports neither juliacall nor numba.
register_backend(
    "julia", "ssagrad.backends.julia:JuliaBackend", unavailable_reason, JULIA_CAPABILITIES
)


def available_backends() -> dict[str, BackendInfo]:
    """Every registered backend: whether it can run here, why not, and its capabilities.

    Nothing is imported or started: a backend's check only looks at the environment.

    Examples
    --------
    >>> from ssagrad import available_backends
    >>> info = available_backends()["native"]
    >>> info.available, info.reason
    (True, None)
    >>> "altpath" in info.capabilities, "altpath" in available_backends()["julia"].capabilities
    (True, True)
    """
    return {name: BackendInfo(e.missing(), e.capabilities) for name, e in _REGISTRY.items()}


def get_backend(name: str | None = None) -> Backend:
    """Return the backend for this process, choosing it on first use.

    Parameters
    ----------
    name : str, optional
        A registered backend (``"native"``, ``"julia"``). Defaults to
        ``$SSAGRAD_BACKEND`` or ``"native"``.

    Raises
    ------
    ValueError
        Unknown name, an unusable backend (with the reason and how to fix it), or a
        different backend than the one already chosen in this process.
    """
    global _selected
    requested = name or os.environ.get("SSAGRAD_BACKEND") or _selected or "native"
    if requested not in _REGISTRY:
        raise ValueError(f"unknown backend {requested!r}; known backends: {', '.join(_REGISTRY)}")
    entry = _REGISTRY[requested]
    reason = entry.missing()
    if reason is not None:
        raise ValueError(f"backend {requested!r} is not available: {reason}")
    if _selected is not None and requested != _selected:
        raise ValueError(
            f"backend {_selected!r} is already in use in this process; the backend is "
            f"chosen once per process (Numba and Julia can clash over LLVM). Start a new "
            f"process with SSAGRAD_BACKEND={requested}"
        )
    if requested not in _instances:
        module, cls = entry.factory.split(":")
        _instances[requested] = getattr(importlib.import_module(module), cls)()
    _selected = requested
    return _instances[requested]
