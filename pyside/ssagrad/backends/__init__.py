"""Kernel backends: a registry, ``available_backends()`` and a once-per-process choice.

A backend implements the kernel contract (plain arrays in, plain arrays out). The choice
is made once per process, by the ``backend=`` argument of the first call or the
``SSAGRAD_BACKEND`` environment variable, because Numba and Julia can clash over LLVM
in one process.
"""

from __future__ import annotations

import os
from typing import Any

_KNOWN = ("native", "julia")
_selected: str | None = None
_instances: dict[str, Any] = {}


def _julia_missing() -> str | None:
    """Why the julia backend cannot be used here, or None if it can."""
    from .julia import unavailable_reason  # imports neither juliacall nor numba

    return unavailable_reason()


def _native_missing() -> str | None:
    try:
        import numba  # noqa: F401
    except ImportError:
        return "numba is not installed: pip install numba"
    return None


def _missing(name: str) -> str | None:
    return _native_missing() if name == "native" else _julia_missing()


def available_backends() -> dict[str, str | None]:
    """Every known backend with ``None`` if usable, else the reason it is not.

    Examples
    --------
    >>> from ssagrad import available_backends
    >>> available_backends()["native"] is None
    True
    """
    return {name: _missing(name) for name in _KNOWN}


def get_backend(name: str | None = None) -> Any:
    """Return the backend for this process, choosing it on first use.

    Parameters
    ----------
    name : {"native", "julia"}, optional
        Defaults to ``$SSAGRAD_BACKEND`` or ``"native"``.

    Raises
    ------
    ValueError
        Unknown name, an unusable backend (with the reason and how to fix it), or a
        different backend than the one already chosen in this process.
    """
    global _selected
    requested = name or os.environ.get("SSAGRAD_BACKEND") or _selected or "native"
    if requested not in _KNOWN:
        raise ValueError(f"unknown backend {requested!r}; known backends: {', '.join(_KNOWN)}")
    reason = _missing(requested)
    if reason is not None:
        raise ValueError(f"backend {requested!r} is not available: {reason}")
    if _selected is not None and requested != _selected:
        raise ValueError(
            f"backend {_selected!r} is already in use in this process; the backend is "
            f"chosen once per process (Numba and Julia can clash over LLVM). Start a new "
            f"process with SSAGRAD_BACKEND={requested}"
        )
    if requested not in _instances:
        if requested == "julia":
            from .julia import JuliaBackend

            _instances[requested] = JuliaBackend()
        else:
            from .native import NativeBackend

            _instances[requested] = NativeBackend()
    _selected = requested
    return _instances[requested]
