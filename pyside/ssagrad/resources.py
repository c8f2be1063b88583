"""Resource guards: refuse a job whose results would not fit in memory, before allocating.

Every entry point that allocates per-sample arrays (:func:`ssagrad.simulate`,
:func:`ssagrad.gradient`, :func:`ssagrad.value_and_grad`, the fit loop) or a finite
state projection (:func:`ssagrad.exact`) first estimates the bytes it is about to
allocate and compares them with one limit:

* the default is half of the machine's physical memory;
* the environment variable ``SSAGRAD_MEMORY_LIMIT`` overrides it for a process
  (bytes, or a size such as ``"64GB"``, ``"512MiB"``);
* :func:`set_memory_limit` overrides both at run time (``None`` restores the default).

A job over the limit raises :class:`MemoryLimitError` (a ``ValueError`` and a
``MemoryError``) naming the estimated size, the limit, and how to reduce it. The
estimate counts the arrays of the result (``n x T x S`` states, ``n x T x S x P``
per-sample tangents or perturbed copies, ``states x (1 + P) x T`` for the exact solver),
not Python's own overhead, so it is a lower bound of the peak.

Examples
--------
>>> import ssagrad
>>> net = ssagrad.parse("k, 0 --> A")
>>> ssagrad.simulate(net, {"k": 1.0}, None, [1.0], n=10**12)  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
ssagrad.resources.MemoryLimitError: simulate: the result (...) needs 24 TB, over ...limit...
>>> ssagrad.set_memory_limit("1GB"); ssagrad.memory_limit()
1000000000
>>> ssagrad.set_memory_limit(None)  # back to the default
"""

from __future__ import annotations

import os
import re

ENV_VAR = "SSAGRAD_MEMORY_LIMIT"
_UNITS = {
    "": 1,
    "B": 1,
    "KB": 10**3,
    "MB": 10**6,
    "GB": 10**9,
    "TB": 10**12,
    "KIB": 2**10,
    "MIB": 2**20,
    "GIB": 2**30,
    "TIB": 2**40,
}
_SIZE_RE = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)\s*([A-Za-z]*)\s*$")
_override: int | None = None


class MemoryLimitError(ValueError, MemoryError):
    """A job whose estimated memory exceeds :func:`memory_limit` (raised before allocating)."""


def parse_size(size: int | float | str, what: str = "memory limit") -> int:
    """A size in bytes from an int or a string such as ``"8GB"`` or ``"512MiB"``.

    Examples
    --------
    >>> parse_size("8GB"), parse_size("1.5 KiB"), parse_size(100)
    (8000000000, 1536, 100)
    >>> parse_size("lots")
    Traceback (most recent call last):
    ...
    ValueError: memory limit must be a positive size such as 8GB or 512MiB, got 'lots'
    """
    message = f"{what} must be a positive size such as 8GB or 512MiB, got {size!r}"
    if isinstance(size, bool):
        raise ValueError(message)
    if isinstance(size, int | float):
        value = float(size)
    elif isinstance(size, str):
        match = _SIZE_RE.match(size)
        if not match or match.group(2).upper() not in _UNITS:
            raise ValueError(message)
        value = float(match.group(1)) * _UNITS[match.group(2).upper()]
    else:
        raise ValueError(message)
    if not value >= 1 or value == float("inf"):
        raise ValueError(message)
    return int(value)


def format_size(nbytes: float) -> str:
    """``nbytes`` in decimal units, e.g. ``'7.3 TB'``.

    Examples
    --------
    >>> format_size(8e12), format_size(1536), format_size(12)
    ('8 TB', '1.54 kB', '12 B')
    """
    for unit, scale in (("PB", 1e15), ("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if nbytes >= scale:
            return f"{nbytes / scale:.3g} {unit}"
    return f"{int(nbytes)} B"


def _physical_memory() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # not POSIX: assume 8 GB
        return 8 * 10**9


def memory_limit() -> int:
    """The limit in bytes in force: :func:`set_memory_limit`, else the environment, else
    half of physical memory.

    Raises
    ------
    ValueError
        ``SSAGRAD_MEMORY_LIMIT`` is set but is not a size.

    Examples
    --------
    >>> import ssagrad
    >>> ssagrad.memory_limit() > 0
    True
    """
    if _override is not None:
        return _override
    env = os.environ.get(ENV_VAR)
    if env:
        return parse_size(env, f"environment variable {ENV_VAR}")
    return _physical_memory() // 2


def set_memory_limit(limit: int | str | None) -> None:
    """Set the memory limit for this process (bytes or a size string); ``None`` resets it.

    Parameters
    ----------
    limit : int, str or None
        E.g. ``64 * 10**9`` or ``"64GB"``; ``None`` goes back to ``SSAGRAD_MEMORY_LIMIT``
        or half of physical memory.

    Examples
    --------
    >>> import ssagrad
    >>> ssagrad.set_memory_limit("512MiB"); ssagrad.memory_limit()
    536870912
    >>> ssagrad.set_memory_limit(None)
    """
    global _override
    _override = None if limit is None else parse_size(limit)


def check_memory(nbytes: float, what: str, layout: str, advice: str) -> None:
    """Raise :class:`MemoryLimitError` if ``nbytes`` is over :func:`memory_limit`.

    Parameters
    ----------
    nbytes : float
        Estimated bytes (a float, so that huge products do not overflow).
    what : str
        The entry point, e.g. ``"simulate"``.
    layout : str
        What the bytes are, e.g. ``"states: n=10 samples x T=3 times x S=2 species"``.
    advice : str
        How to reduce it, first; the message adds how to raise the limit.

    Examples
    --------
    >>> check_memory(1e3, "demo", "1000 bytes", "Ask for less")  # under the limit: nothing
    >>> check_memory(1e30, "demo", "a lot", "Ask for less")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ssagrad.resources.MemoryLimitError: demo: the result (a lot) needs 1e+15 PB, over ...
    """
    limit = memory_limit()
    if nbytes > limit:
        raise MemoryLimitError(
            f"{what}: the result ({layout}) needs {format_size(nbytes)}, over the memory "
            f"limit of {format_size(limit)}. {advice}, or raise the limit with "
            f"ssagrad.set_memory_limit(...) or {ENV_VAR}."
        )
