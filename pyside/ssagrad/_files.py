"""Every file ssagrad writes goes through here: a temporary file in the same folder, then
``os.replace`` over the target, so an interruption leaves the old file or the new one,
never half of one, and no other path is touched.

The temporary file is ``.NAME.tmp-PID-COUNTER.SUFFIX`` beside ``NAME`` (same file
system, so the rename is atomic; same suffix, so writers that infer the format from it,
like matplotlib's ``savefig``, still do). It is removed if the writer fails.
"""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

_COUNTER = itertools.count()


@contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success rename it over ``path``.

    The parent folder is created if needed (it is part of the path the user gave).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "out.txt"
    >>> with atomic_path(target) as tmp:
    ...     _ = tmp.write_text("done")
    >>> target.read_text(), sorted(p.name for p in target.parent.iterdir())
    ('done', ['out.txt'])
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.tmp-{os.getpid()}-{next(_COUNTER)}{path.suffix}")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_atomic(path: str | os.PathLike, write: Callable[[IO[bytes]], Any]) -> Path:
    """Call ``write(handle)`` on a binary temporary file, fsync it, rename it over ``path``."""
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
    return Path(path)


def write_text(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> write_text(pathlib.Path(tempfile.mkdtemp()) / "a.txt", "hello").read_text()
    'hello'
    """
    return write_atomic(path, lambda handle: handle.write(text.encode("utf-8")))


def write_json(path: str | os.PathLike, obj: Any, **dumps: Any) -> Path:
    """Write ``json.dumps(obj, **dumps)`` and a newline to ``path`` atomically."""
    return write_text(path, json.dumps(obj, **dumps) + "\n")


def write_netcdf(path: str | os.PathLike, ds: Any) -> Path:
    """Write an xarray Dataset to netCDF at ``path`` atomically (lazy ones chunk by chunk)."""
    with atomic_path(path) as tmp:
        ds.to_netcdf(tmp)
    return Path(path)


def save_figure(fig: Any, path: str | os.PathLike, **savefig: Any) -> Path:
    """``fig.savefig`` to ``path`` atomically (format from the suffix)."""
    with atomic_path(path) as tmp:
        fig.savefig(tmp, **savefig)
    return Path(path)
