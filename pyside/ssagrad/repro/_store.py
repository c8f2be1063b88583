"""One small result file per fit, written atomically; finished fits are skipped on resume.

An experiment is a list of :class:`Task`\\ s, each a key and a JSON-able ``spec`` that
fixes everything the fit depends on (data seed, parameters, estimator, steps, ...).
:func:`run_tasks` runs the tasks whose result file ``DIR/fits/KEY.json`` is missing (or
holds another spec) and writes each result as soon as its fit is done, to a temporary
file renamed over the final name: an interruption at any moment loses at most the fit
in progress, and the next run of the same command picks up where this one stopped.
Before each fit the folder is looked at again, so two processes running the same
experiment into one folder do not redo what the other has finished (they may both run
the fit that neither had finished when they reached it).
"""

from __future__ import annotations

import json
import math
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..fitting._checkpoint import write_atomic

__all__ = ["FitStore", "Task", "run_tasks", "write_json_atomic", "write_text_atomic"]


@dataclass(frozen=True)
class Task:
    """One fit of an experiment.

    Attributes
    ----------
    key : str
        File-name-safe identifier, unique within the experiment.
    spec : dict
        Everything the fit depends on (JSON-able); a stored result of another spec is
        not reused.
    """

    key: str
    spec: dict = field(hash=False)


def _clean(value: Any) -> Any:
    """JSON-able copy: numpy scalars and arrays to Python, NaN and inf to None."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if hasattr(value, "tolist"):
        return _clean(value.tolist())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def write_text_atomic(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` to ``path`` through a temporary file renamed over it.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> write_text_atomic(folder / "a.txt", "hello").read_text()
    'hello'
    """
    path = Path(path)
    write_atomic(path, lambda handle: handle.write(text.encode()))
    return path


def write_json_atomic(path: str | os.PathLike, obj: Any) -> Path:
    """Write ``obj`` as JSON (NaN as null) atomically; see :func:`write_text_atomic`."""
    return write_text_atomic(path, json.dumps(_clean(obj), indent=1, sort_keys=True) + "\n")


class FitStore:
    """The folder ``DIR/fits`` (``DIR/fits-quick`` for ``--quick``) of per-fit result files.

    Examples
    --------
    >>> import tempfile
    >>> store = FitStore(tempfile.mkdtemp())
    >>> task = Task("a", {"seed": 1})
    >>> store.get(task) is None
    True
    >>> store.put(task, {"error": 0.1})["error"]
    0.1
    >>> store.get(task)["spec"]
    {'seed': 1}
    >>> store.get(Task("a", {"seed": 2})) is None  # another spec: not reused
    True
    """

    def __init__(self, out: str | os.PathLike, quick: bool = False) -> None:
        self.folder = Path(out) / ("fits-quick" if quick else "fits")

    def path(self, task: Task) -> Path:
        """The result file of ``task``."""
        return self.folder / f"{task.key}.json"

    def get(self, task: Task) -> dict | None:
        """The stored result of ``task``, or None if missing, unreadable or of another spec."""
        path = self.path(task)
        if not path.is_file():
            return None
        try:
            record = json.loads(path.read_text())
        except (OSError, ValueError):
            return None
        return record if record.get("spec") == _clean(task.spec) else None

    def put(self, task: Task, result: dict) -> dict:
        """Store ``result`` (with the task's key and spec) atomically; return the record."""
        record = _clean({**result, "key": task.key, "spec": task.spec})
        write_json_atomic(self.path(task), record)
        return record


def run_tasks(
    tasks: Sequence[Task],
    run_one: Callable[[dict], dict],
    out: str | os.PathLike,
    progress: bool = True,
    label: str = "fits",
    quick: bool = False,
    client: Any = None,
) -> list[dict]:
    """Run the tasks not yet finished in ``out``; return every task's record, in order.

    Parameters
    ----------
    tasks : sequence of Task
    run_one : callable
        ``run_one(spec) -> dict`` performs one fit; its result is stored at once.
    out : path
        The experiment's output folder (results in ``out/fits``).
    progress : bool
        A progress bar on stderr (fits done / total, the current fit's key).
    label : str
        The bar's label.
    quick : bool
        Store in ``out/fits-quick`` (so a quick run never replaces a full run's fits).
    client : dask.distributed.Client, optional
        Run the unfinished fits as tasks on a Dask cluster, storing each as it arrives.

    Examples
    --------
    >>> import tempfile
    >>> out = tempfile.mkdtemp()
    >>> calls = []
    >>> def square(spec):
    ...     calls.append(spec["x"])
    ...     return {"y": spec["x"] ** 2}
    >>> tasks = [Task(f"x{i}", {"x": i}) for i in range(3)]
    >>> [r["y"] for r in run_tasks(tasks, square, out, progress=False)]
    [0, 1, 4]
    >>> _ = run_tasks(tasks, square, out, progress=False)  # all finished: nothing runs
    >>> calls
    [0, 1, 2]
    """
    from tqdm.auto import tqdm

    keys = [task.key for task in tasks]
    if len(set(keys)) != len(keys):
        raise ValueError("task keys must be unique")
    store = FitStore(out, quick)
    records: list[dict | None] = [store.get(task) for task in tasks]
    done = sum(r is not None for r in records)
    bar = tqdm(total=len(tasks), initial=done, desc=label, disable=not progress, file=sys.stderr)
    if progress and done:
        bar.write(f"{label}: {done} of {len(tasks)} fits already in {store.folder}, skipped")
    try:
        if client is not None:
            _run_on_cluster(client, tasks, run_one, store, records, bar)
        for i, task in enumerate(tasks):
            if records[i] is not None:
                continue
            records[i] = store.get(task)  # another process on the folder may have done it
            if records[i] is None:
                bar.set_postfix_str(task.key)
                records[i] = store.put(task, _timed(run_one, task.spec))
            bar.update(1)
    finally:
        bar.close()
    return [r for r in records if r is not None]


def _timed(run_one: Callable[[dict], dict], spec: dict) -> dict:
    """``run_one(spec)`` with its wall time under ``seconds`` (unless it reports one)."""
    began = time.perf_counter()
    result = run_one(spec)
    result.setdefault("seconds", time.perf_counter() - began)
    return result


def _run_on_cluster(
    client: Any,
    tasks: Sequence[Task],
    run_one: Callable[[dict], dict],
    store: FitStore,
    records: list,
    bar: Any,
) -> None:
    """Submit every unfinished task to ``client``; store the results as they complete."""
    from distributed import as_completed

    from ..distributed import check_client

    check_client(client)
    futures = {
        client.submit(_timed, run_one, task.spec, pure=False): i
        for i, task in enumerate(tasks)
        if records[i] is None
    }
    for future in as_completed(futures):
        i = futures[future]
        records[i] = store.put(tasks[i], future.result())
        bar.set_postfix_str(tasks[i].key)
        bar.update(1)
