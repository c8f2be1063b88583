"""Gathered ensembles through shared memory when the workers share the caller's host.

A gathered ``simulate`` on a cluster moves every count through the scheduler's sockets
and the caller copies it into the result: on a machine whose workers share its cores
(a ``LocalCluster``) that copying competes with the simulation. When the caller can make
a file in ``/dev/shm`` (memory, not disk) the size of the ensemble's states, each worker
that sees the same file (a worker on this host) maps its chunk of it and simulates
straight into it, and the caller maps the file as the result: no transfer, no copy.
A worker that cannot see the file or reserve its chunk's memory (another host, a full
``/dev/shm``) returns its counts as usual, and the caller then assembles the result in
memory, reading back the chunks already in the file. The counts are the same either way.

Workers reserve their chunk's memory before mapping it (an error, never a signal, when
memory runs out), and the caller maps the file only once every chunk is in it. The file is removed
when a call ends in an error or Ctrl-C. A result's file stays while the result lives;
when it is dropped the file is kept, with its memory, for the next call, which then
neither allocates nor zeroes it again (this process's one *spare*, freed by
:func:`free_shared_memory` and at exit). Files left by a caller that was killed outright are
removed by the next call that makes one (their names carry the caller's process id).
"""

from __future__ import annotations

import atexit
import math
import mmap
import os
import threading
import uuid
import weakref
from pathlib import Path

import numpy as np

try:
    import fcntl
except ImportError:  # Windows: no /dev/shm either
    fcntl = None

#: Where shared files are made (a memory file system on Linux); ``None`` switches the
#: shared path off.
FOLDER: Path | None = Path("/dev/shm") if fcntl is not None else None
#: Least free memory in :data:`FOLDER`, as a multiple of the file's size, to use it.
HEADROOM = 2.0
_ROW = np.dtype(np.int64).itemsize
_lock = threading.Lock()
#: The file of the last result dropped in this process, kept for the next call to reuse.
_spare: Path | None = None
#: The folders this process made files in (removed from at exit).
_folders: set[Path] = set()


class SharedStates:
    """A file in :data:`FOLDER` holding an int64 ensemble of ``shape`` (trajectories
    first), written chunk by chunk by the workers.

    Make one with :meth:`create`; hand :attr:`path` to the workers (see
    :class:`ChunkView`); then :meth:`result` (with the chunks the workers returned
    instead) gives the whole array. A mapped result keeps its file; once the result is
    dropped, the file is kept as this process's spare and reused, memory and all, by
    the next :meth:`create` (see :func:`free_shared_memory`).
    """

    def __init__(self, path: Path, shape: tuple[int, ...]):
        self.path = path
        self.shape = shape
        self._mapped = False

    @classmethod
    def create(cls, shape: tuple[int, ...]) -> SharedStates | None:
        """An empty shared file for ``shape`` (the spare, resized, if there is one), or
        ``None`` where there is no room for one."""
        if FOLDER is None or not FOLDER.is_dir() or math.prod(shape) == 0:
            return None
        size = math.prod(shape) * _ROW
        _remove_orphans(FOLDER)
        _register_cleanup(FOLDER)
        spare = _unused_spare()
        path = spare or FOLDER / f"ssagrad-{os.getpid()}-{uuid.uuid4().hex}.states"
        flags = os.O_RDWR if spare else os.O_RDWR | os.O_CREAT | os.O_EXCL
        try:
            held = spare.stat().st_blocks * 512 if spare else 0  # the spare's memory is ours
            free = os.statvfs(FOLDER)
            if free.f_bavail * free.f_frsize + held < HEADROOM * size:
                path.unlink(missing_ok=True)
                return None
            handle = os.open(path, flags, 0o600)
            try:
                os.ftruncate(handle, size)  # new memory is taken as chunks arrive
            finally:
                os.close(handle)
        except OSError:
            path.unlink(missing_ok=True)
            return None
        return cls(path, shape)

    def result(self, returned: dict[int, np.ndarray]) -> np.ndarray:
        """The whole ensemble: the file mapped (every chunk was written into it), or, if
        some chunks came back instead (``returned``: first trajectory -> counts), an
        in-memory array of the file's chunks and those (and the file is removed)."""
        try:
            with open(self.path, "r+b") as handle:
                if not returned:
                    shared = mmap.mmap(handle.fileno(), 0)
                    weakref.finalize(shared, _keep_spare, self.path).atexit = False
                    self._mapped = True
                    return np.frombuffer(shared, dtype=np.int64).reshape(self.shape)
                whole = np.fromfile(handle, dtype=np.int64).reshape(self.shape)
        finally:
            self.discard()
        for start, part in returned.items():
            whole[start : start + part.shape[0]] = part
        return whole

    def discard(self) -> None:
        """Remove the file, unless a mapped result holds it."""
        if not self._mapped:
            self.path.unlink(missing_ok=True)


def free_shared_memory() -> None:
    """Free the shared memory this process keeps for its next gathered Dask call.

    A gathered ``simulate(..., client=)`` whose workers share this host returns counts
    that live in a file in :data:`FOLDER` (``/dev/shm``). Once such a result is dropped,
    its file (one at most: the last) is kept, so that the next call reuses its memory
    instead of allocating and zeroing it again. This gives that memory back now; it is
    also given back when the process exits.

    Examples
    --------
    >>> from ssagrad.distributed import free_shared_memory
    >>> free_shared_memory()  # nothing kept: nothing to do
    """
    path = _take_spare()
    if path is not None:
        path.unlink(missing_ok=True)


def _take_spare() -> Path | None:
    global _spare
    with _lock:
        path, _spare = _spare, None
    return path


def _unused_spare() -> Path | None:
    """The spare, if no worker still has it open (else it is removed): ``None`` if none."""
    path = _take_spare()
    if path is None:
        return None
    if path.parent != FOLDER:  # made before FOLDER changed
        path.unlink(missing_ok=True)
        return None
    try:
        handle = os.open(path, os.O_RDWR)
    except OSError:
        return None
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)  # released by close
    except OSError:  # a worker still writes into it: its memory goes once the worker is done
        path.unlink(missing_ok=True)
        return None
    finally:
        os.close(handle)
    return path


def _keep_spare(path: Path) -> None:
    """A mapped result was dropped: keep its file for reuse (replacing an older spare)."""
    global _spare
    with _lock:
        older, _spare = _spare, path
    if older is not None:
        older.unlink(missing_ok=True)


def _register_cleanup(folder: Path) -> None:
    with _lock:
        if not _folders:
            atexit.register(_remove_own_files)
        _folders.add(folder)


def _remove_own_files() -> None:
    """At exit: remove this process's files (the spare, and those of live results)."""
    for folder in list(_folders):
        for path in folder.glob(f"ssagrad-{os.getpid()}-*.states"):
            path.unlink(missing_ok=True)


class ChunkView:
    """On a worker: the rows of trajectories ``start, ...`` of the shared file at
    ``path``, mapped as an int64 array of ``shape`` for a kernel to write its counts
    into directly (no copy).

    :attr:`states` is ``None`` if the file is not on this host or its memory cannot be
    reserved (a full ``/dev/shm``): the chunk's memory is reserved up front with
    ``posix_fallocate``, so a kernel writing into the mapping never meets a missing page
    (which would be a SIGBUS). While the view is open the worker holds a shared lock on
    the file, so the caller never reuses a file a worker may still write into (a worker
    the scheduler gave up on, say). :meth:`close` unmaps and unlocks; drop every
    reference to :attr:`states` first.
    """

    def __init__(self, path: str, start: int, shape: tuple[int, ...]):
        self.states: np.ndarray | None = None
        self._map: mmap.mmap | None = None
        self._handle: int | None = None
        size = math.prod(shape) * _ROW
        offset = start * math.prod(shape[1:]) * _ROW
        page = offset - offset % mmap.ALLOCATIONGRANULARITY
        try:
            self._handle = os.open(path, os.O_RDWR)
            fcntl.flock(self._handle, fcntl.LOCK_SH)
            if size:
                os.posix_fallocate(self._handle, offset, size)
            flags = mmap.MAP_SHARED | getattr(mmap, "MAP_POPULATE", 0)  # no page faults
            self._map = mmap.mmap(self._handle, size + offset - page, flags, offset=page)
        except OSError:
            self.close()
            return
        self.states = np.frombuffer(
            self._map, dtype=np.int64, count=math.prod(shape), offset=offset - page
        ).reshape(shape)

    def close(self) -> None:
        """Unmap the chunk and unlock the file (its counts stay in it)."""
        self.states = None
        if self._map is not None:
            try:
                self._map.close()
            except BufferError:  # a view still lives (a kernel's error traceback): freed later
                pass
            self._map = None
        if self._handle is not None:
            os.close(self._handle)
            self._handle = None


def _remove_orphans(folder: Path) -> None:
    """Remove the shared files of callers that no longer run (killed mid-call)."""
    for path in folder.glob("ssagrad-*-*.states"):
        pid = path.name.split("-")[1]
        if pid.isdigit() and not _running(int(pid)):
            path.unlink(missing_ok=True)


def _running(pid: int) -> bool:
    """Whether process ``pid`` exists (on this host)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, owned by someone else
        return True
    return True
