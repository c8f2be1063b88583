"""Checkpoints: every start's state in one ``.npz`` file, written atomically.

The file holds, per start, the iterate, the optimiser state, the step, the status, the
history so far and (once done) the final result, plus the fingerprint of the setup. It
is written to a temporary file in the same folder and renamed over the old one, so an
interruption at any moment leaves either the previous or the new checkpoint, never a
half-written one. Arrays are stored exactly (float64), which is what makes a resumed fit
equal the uninterrupted one bit for bit.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from .._files import write_atomic
from .._version import __version__
from ._loop import RECORD_FIELDS, StartState

FORMAT = "ssagrad-fit-checkpoint/1"
_FINAL_SCALARS = ("loss", "loss_se", "candidate", "other_loss")


def save(path: str | os.PathLike, fingerprint: str, states: list[StartState]) -> None:
    """Write the checkpoint of ``states`` atomically."""
    arrays: dict[str, np.ndarray] = {}
    meta = {"format": FORMAT, "fingerprint": fingerprint, "version": __version__, "starts": []}
    for state in states:
        key = f"{state.start}/"
        arrays[key + "u"] = state.u
        for name, value in state.optimizer_state.items():
            arrays[f"{key}opt/{name}"] = np.asarray(value)
        arrays[key + "u_history"] = _rows(state.u_history)
        arrays[key + "params_history"] = _rows(state.params_history)
        for name in RECORD_FIELDS:
            arrays[f"{key}records/{name}"] = np.asarray(state.records[name], dtype=np.float64)
        entry = {"start": state.start, "step": state.step, "status": state.status, "final": None}
        if state.final is not None:
            final = state.final
            entry["final"] = {k: final[k] for k in _FINAL_SCALARS}
            arrays[key + "final/params"] = final["params"]
            arrays[key + "final/param_se"] = final["param_se"]
            if final["cells"] is not None:
                arrays[key + "final/cells"] = final["cells"]
            if final["jacobian"] is not None:
                arrays[key + "final/residuals"], arrays[key + "final/jacobian"] = final["jacobian"]
        meta["starts"].append(entry)
    arrays["meta"] = np.array(json.dumps(meta))
    write_atomic(Path(path), lambda handle: np.savez(handle, **arrays))


def _rows(vectors: list) -> np.ndarray:
    return np.asarray(vectors, dtype=np.float64) if vectors else np.empty((0, 0))


def load(path: str | os.PathLike, fingerprint: str) -> list[StartState]:
    """Read a checkpoint written by :func:`save` for the setup with ``fingerprint``.

    Raises
    ------
    ValueError
        The file is missing, not a checkpoint, or from another problem.
    """
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"cannot resume: checkpoint {str(path)!r} does not exist")
    try:
        with np.load(path, allow_pickle=False) as handle:
            arrays = {k: handle[k] for k in handle.files}
        meta = json.loads(str(arrays["meta"]))
    except (OSError, ValueError, KeyError) as err:
        raise ValueError(
            f"cannot resume: {str(path)!r} is not an ssagrad fit checkpoint ({err})"
        ) from None
    if meta.get("format") != FORMAT:
        raise ValueError(f"cannot resume: {str(path)!r} is not an ssagrad fit checkpoint")
    if meta["fingerprint"] != fingerprint:
        raise ValueError(
            f"cannot resume from {str(path)!r}: the checkpoint belongs to another problem (its "
            f"network, data, loss, estimator, options, starts or seed differ from this call's)"
        )
    return [_state(arrays, entry) for entry in meta["starts"]]


def _state(arrays: dict[str, np.ndarray], entry: dict) -> StartState:
    key = f"{entry['start']}/"
    prefix = key + "opt/"
    state = StartState(
        start=entry["start"],
        u=arrays[key + "u"],
        optimizer_state={k[len(prefix) :]: v for k, v in arrays.items() if k.startswith(prefix)},
        step=entry["step"],
        status=entry["status"],
        records={name: arrays[f"{key}records/{name}"].tolist() for name in RECORD_FIELDS},
        u_history=list(arrays[key + "u_history"]),
        params_history=list(arrays[key + "params_history"]),
    )
    if entry["final"] is not None:
        final = dict(entry["final"])
        final["params"] = arrays[key + "final/params"]
        final["param_se"] = arrays[key + "final/param_se"]
        final["cells"] = arrays.get(key + "final/cells")
        jacobian = arrays.get(key + "final/jacobian")
        final["jacobian"] = (
            None if jacobian is None else (arrays[key + "final/residuals"], jacobian)
        )
        state.final = final
    return state
