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
memory runs out), and the caller maps the file only once every chunk is in it. The file
is removed when the call ends, also on an error or Ctrl-C; files left by a caller that
was killed outright are removed by the next call that makes one (their names carry the
caller's process id).
"""

from __future__ import annotations

import math
import mmap
import os
import uuid
from pathlib import Path

import numpy as np

#: Where shared files are made (a memory file system on Linux); ``None`` switches the
#: shared path off.
FOLDER: Path | None = Path("/dev/shm")
#: Least free memory in :data:`FOLDER`, as a multiple of the file's size, to use it.
HEADROOM = 2.0
_ROW = np.dtype(np.int64).itemsize


class SharedStates:
    """A file in :data:`FOLDER` holding an int64 ensemble of ``shape`` (trajectories
    first), written chunk by chunk by the workers.

    Make one with :meth:`create`; hand :attr:`path` to the workers (see
    :class:`ChunkView`); then :meth:`result` (with the chunks the workers returned
    instead) gives the whole array, and the file is gone.
    """

    def __init__(self, path: Path, shape: tuple[int, ...]):
        self.path = path
        self.shape = shape

    @classmethod
    def create(cls, shape: tuple[int, ...]) -> SharedStates | None:
        """An empty shared file for ``shape``, or ``None`` where there is no room for one."""
        if FOLDER is None or not FOLDER.is_dir() or math.prod(shape) == 0:
            return None
        size = math.prod(shape) * _ROW
        _remove_orphans(FOLDER)
        path = FOLDER / f"ssagrad-{os.getpid()}-{uuid.uuid4().hex}.states"
        try:
            free = os.statvfs(FOLDER)
            if free.f_bavail * free.f_frsize < HEADROOM * size:
                return None
            handle = os.open(path, os.O_CREAT | os.O_EXCL | os.O_RDWR, 0o600)
            try:
                os.ftruncate(handle, size)  # sparse: memory is taken as chunks arrive
            finally:
                os.close(handle)
        except OSError:
            return None
        return cls(path, shape)

    def result(self, returned: dict[int, np.ndarray]) -> np.ndarray:
        """The whole ensemble: the file mapped (every chunk was written into it), or, if
        some chunks came back instead (``returned``: first trajectory -> counts), an
        in-memory array of the file's chunks and those. The file is removed either way."""
        try:
            with open(self.path, "r+b") as handle:
                if not returned:
                    shared = mmap.mmap(handle.fileno(), 0)
                    return np.frombuffer(shared, dtype=np.int64).reshape(self.shape)
                whole = np.fromfile(handle, dtype=np.int64).reshape(self.shape)
        finally:
            self.discard()
        for start, part in returned.items():
            whole[start : start + part.shape[0]] = part
        return whole

    def discard(self) -> None:
        """Remove the file (a mapping of it stays valid until it is dropped)."""
        self.path.unlink(missing_ok=True)


class ChunkView:
    """On a worker: the rows of trajectories ``start, ...`` of the shared file at
    ``path``, mapped as an int64 array of ``shape`` for a kernel to write its counts
    into directly (no copy).

    :attr:`states` is ``None`` if the file is not on this host or its memory cannot be
    reserved (a full ``/dev/shm``): the chunk's memory is reserved up front with
    ``posix_fallocate``, so a kernel writing into the mapping never meets a missing page
    (which would be a SIGBUS). :meth:`close` unmaps; drop every reference to
    :attr:`states` first.
    """

    def __init__(self, path: str, start: int, shape: tuple[int, ...]):
        self.states: np.ndarray | None = None
        self._map: mmap.mmap | None = None
        size = math.prod(shape) * _ROW
        offset = start * math.prod(shape[1:]) * _ROW
        page = offset - offset % mmap.ALLOCATIONGRANULARITY
        try:
            handle = os.open(path, os.O_RDWR)
        except OSError:
            return
        try:
            if size:
                os.posix_fallocate(handle, offset, size)
            flags = mmap.MAP_SHARED | getattr(mmap, "MAP_POPULATE", 0)  # no page faults
            self._map = mmap.mmap(handle, size + offset - page, flags, offset=page)
        except OSError:
            return
        finally:
            os.close(handle)
        self.states = np.frombuffer(
            self._map, dtype=np.int64, count=math.prod(shape), offset=offset - page
        ).reshape(shape)

    def close(self) -> None:
        """Unmap the chunk (its counts stay in the file)."""
        self.states = None
        if self._map is not None:
            self._map.close()
            self._map = None


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
