"""Observed data: validation of count datasets and readers for netCDF and CSV files.

Data to fit are species counts per cell (``sample``), observation ``time`` and
``species``, the shape of :func:`ssagrad.simulate`'s output. Two layouts are common and
both are accepted:

* **trajectory data**: the same cells observed at every time (time-lapse microscopy);
* **snapshot data**: independent cells per time (each cell is fixed when measured, as in
  smFISH or flow cytometry); counts may differ per time, the shorter columns padded
  with NaN.

Losses compare per-time marginal distributions, so both layouts fit the same way.
:func:`read_data` reads netCDF written by ``simulate`` and CSV in tidy long form
(``sample,time,species,count``) or wide form (``sample,time,<species...>``).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import xarray as xr

__all__ = ["ObservedData", "observed", "read_data"]

_DIMS = ("sample", "time", "species")


@dataclass(frozen=True)
class ObservedData:
    """Validated observations: per time and species, the observed counts.

    Attributes
    ----------
    species : tuple of str
        Observed species, a subset of a network's species.
    times : (T,) float64
        Observation times, strictly increasing.
    counts : tuple of tuple of (n_ts,) int64 arrays
        ``counts[t][s]``: the sorted non-missing counts of species ``s`` at time ``t``.
    layout : {"trajectory", "snapshot"}
    """

    species: tuple[str, ...]
    times: np.ndarray
    counts: tuple[tuple[np.ndarray, ...], ...]
    layout: str

    @property
    def n_observations(self) -> np.ndarray:
        """(T, S) number of observed cells per time and species."""
        return np.array([[c.size for c in row] for row in self.counts], dtype=np.int64)

    @property
    def max_count(self) -> int:
        """The largest observed count."""
        return int(max(int(c[-1]) for row in self.counts for c in row))

    def mean(self) -> np.ndarray:
        """(T, S) mean count."""
        return np.array([[c.mean() for c in row] for row in self.counts])

    def var(self) -> np.ndarray:
        """(T, S) variance of the counts (divisor ``n``, like the simulated moments)."""
        return np.array([[c.var() for c in row] for row in self.counts])

    def histogram(self, size: int) -> np.ndarray:
        """(T, S, size) counts of each value ``0..size-1`` (larger values are not counted)."""
        out = np.zeros((len(self.counts), len(self.species), size))
        for t, row in enumerate(self.counts):
            for s, c in enumerate(row):
                out[t, s] = np.bincount(c[c < size], minlength=size)[:size]
        return out

    def cdf(self, size: int) -> np.ndarray:
        """(T, S, size) empirical distribution function ``F(k) = P(X <= k)``, ``k < size``."""
        n = self.n_observations[:, :, None]
        return np.cumsum(self.histogram(size), axis=-1) / n

    def fingerprint(self) -> str:
        """A hash of species, times and counts (identifies the data in checkpoints)."""
        import hashlib

        digest = hashlib.sha256()
        digest.update(repr((self.species, self.times.tolist(), self.layout)).encode())
        for row in self.counts:
            for c in row:
                digest.update(c.tobytes())
                digest.update(b"|")
        return digest.hexdigest()[:16]


def observed(data: xr.Dataset | xr.DataArray | str | os.PathLike) -> ObservedData:
    """Validate a dataset (or read a file) into :class:`ObservedData`.

    Parameters
    ----------
    data : xarray.Dataset, xarray.DataArray or path
        A dataset with a variable ``x`` (or a DataArray) with dims ``sample``, ``time``
        and ``species`` holding non-negative integer counts; NaN marks a missing
        observation. A path is read with :func:`read_data`.

    Raises
    ------
    ValueError
        Missing dims or coordinates, empty data, negative, non-integer or infinite
        counts, a species or time with no observation, duplicated or unsorted times or
        species names.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> x = xr.DataArray([[[1], [2]], [[3], [np.nan]]], dims=("sample", "time", "species"),
    ...                  coords={"time": [0.0, 1.0], "species": ["A"]})
    >>> obs = observed(x)
    >>> obs.n_observations.tolist(), obs.mean().tolist()
    ([[2], [1]], [[2.0], [2.0]])
    """
    if isinstance(data, str | os.PathLike):
        data = read_data(data)
    layout = "trajectory"
    if isinstance(data, xr.Dataset):
        if "x" not in data:
            raise ValueError(
                "data has no variable 'x'; expected counts x(sample, time, species) as "
                f"written by ssagrad.simulate (variables found: {', '.join(map(str, data))})"
            )
        layout = str(data.attrs.get("layout", layout))
        data = data["x"]
    if not isinstance(data, xr.DataArray):
        raise TypeError(
            f"data must be an xarray Dataset or DataArray or a file path, got {type(data).__name__}"
        )
    missing = [d for d in _DIMS if d not in data.dims]
    if missing or data.ndim != 3:
        raise ValueError(f"data must have exactly the dims sample, time, species; got {data.dims}")
    data = data.transpose(*_DIMS)
    if data.sizes["sample"] == 0 or data.sizes["time"] == 0 or data.sizes["species"] == 0:
        raise ValueError(f"data is empty: sizes {dict(data.sizes)}")
    for coord in ("time", "species"):
        if coord not in data.coords:
            raise ValueError(f"data has no {coord!r} coordinate: label the {coord} axis")
    species = tuple(str(s) for s in data["species"].values.tolist())
    if len(set(species)) != len(species):
        raise ValueError(f"data names a species more than once: {list(species)}")
    times = _checked_times(data["time"].values)
    values = np.asarray(data.values, dtype=np.float64)
    _check_counts(values, species, times)
    counts = tuple(
        tuple(_column(values[:, t, s], species[s], times[t]) for s in range(len(species)))
        for t in range(len(times))
    )
    return ObservedData(species, times, counts, layout)


def _checked_times(values: np.ndarray) -> np.ndarray:
    try:
        times = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"data times must be numbers, got {values!r}") from None
    if not np.all(np.isfinite(times)) or np.any(times < 0):
        raise ValueError(f"data times must be finite and non-negative, got {times.tolist()}")
    if np.any(np.diff(times) <= 0):
        raise ValueError(f"data times must be strictly increasing, got {times.tolist()}")
    return np.ascontiguousarray(times)


def _check_counts(values: np.ndarray, species: Sequence[str], times: np.ndarray) -> None:
    finite = np.isfinite(values)
    infinite = np.isinf(values)
    if infinite.any():
        _, t, s = np.argwhere(infinite)[0]
        raise ValueError(f"data has an infinite count of {species[s]!r} at time {times[t]:g}")
    bad = finite & ((values < 0) | (values != np.round(values)))
    if bad.any():
        n, t, s = np.argwhere(bad)[0]
        raise ValueError(
            f"counts must be non-negative integers; sample {n} has {values[n, t, s]:g} "
            f"{species[s]!r} at time {times[t]:g}"
        )


def _column(values: np.ndarray, species: str, time: float) -> np.ndarray:
    kept = values[np.isfinite(values)]
    if kept.size == 0:
        raise ValueError(f"data has no observation of {species!r} at time {time:g} (all NaN)")
    return np.sort(kept.astype(np.int64))


@dataclass(frozen=True)
class _Table:
    sample: np.ndarray
    time: np.ndarray
    species: list[str]
    counts: np.ndarray  # (rows, species)


def read_data(path: str | os.PathLike) -> xr.Dataset:
    """Read observed counts from netCDF or CSV into a dataset shaped like ``simulate``'s.

    Parameters
    ----------
    path : str or path
        ``.nc`` (netCDF with a variable ``x(sample, time, species)``, as written by
        :func:`ssagrad.simulate` and ``ssagrad simulate``), or ``.csv`` in tidy long form
        with columns ``sample,time,species,count`` or wide form with columns
        ``sample,time`` and one column per species.

    Returns
    -------
    xarray.Dataset
        ``x`` (sample, time, species) float64 counts, NaN where a cell was not
        observed. When every sample id occurs at a single time (snapshot data), samples
        are numbered anew within each time, so ``sample`` is as long as the largest
        per-time count; ``attrs["layout"]`` is ``"snapshot"``, else ``"trajectory"``.

    Raises
    ------
    ValueError
        Unknown file type, missing columns, unreadable numbers, a cell listed twice.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "cells.csv"
    >>> _ = path.write_text("sample,time,species,count\\n0,1.0,M,3\\n1,1.0,M,5\\n2,2.0,M,4\\n")
    >>> ds = read_data(path)
    >>> ds.attrs["layout"], ds.x.sizes["sample"], ds.x.sel(time=2.0, species="M").values
    ('snapshot', 2, array([ 4., nan]))
    """
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"data file {str(path)!r} does not exist")
    suffix = path.suffix.lower()
    if suffix in (".nc", ".nc4", ".cdf", ".netcdf"):
        with xr.open_dataset(path) as ds:
            ds = ds.load()
        observed(ds)
        return ds
    if suffix not in (".csv", ".tsv", ".txt"):
        raise ValueError(
            f"cannot read {path.name!r}: expected .nc (netCDF) or .csv (long form "
            f"sample,time,species,count or wide form sample,time,<species...>)"
        )
    return _to_dataset(_read_table(path))


def _read_table(path: Path) -> _Table:
    import pandas as pd

    sep = "\t" if path.suffix.lower() == ".tsv" else ","
    try:
        frame = pd.read_csv(path, sep=sep, skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        raise ValueError(f"cannot parse {path.name!r} as CSV: {err}") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    for column in ("sample", "time"):
        if column not in frame.columns:
            raise ValueError(
                f"{path.name!r} has no {column!r} column; columns are {list(frame.columns)}; "
                f"expected sample,time,species,count (long) or sample,time,<species...> (wide)"
            )
    if frame.empty:
        raise ValueError(f"{path.name!r} has no rows")
    if {"species", "count"} <= set(frame.columns):
        index = ["sample", "time", "species"]
        if frame.duplicated(index).any():
            row = frame[frame.duplicated(index)].iloc[0]
            raise ValueError(
                f"{path.name!r} lists sample {row['sample']} at time {row['time']} for "
                f"species {row['species']!r} more than once"
            )
        frame["species"] = frame["species"].astype(str).str.strip()
        frame = frame.pivot(index=["sample", "time"], columns="species", values="count")
        frame = frame.reset_index()
        frame.columns.name = None
    species = [c for c in frame.columns if c not in ("sample", "time")]
    if not species:
        raise ValueError(f"{path.name!r} has no species columns")
    if frame.duplicated(["sample", "time"]).any():
        row = frame[frame.duplicated(["sample", "time"])].iloc[0]
        raise ValueError(f"{path.name!r} lists sample {row['sample']} at time {row['time']} twice")
    counts = _numbers(frame[species], path.name, "counts")
    times = _numbers(frame["time"], path.name, "times")
    return _Table(frame["sample"].astype(str).to_numpy(), times, species, counts)


def _numbers(frame, name: str, what: str) -> np.ndarray:
    import pandas as pd

    try:
        return frame.apply(pd.to_numeric).to_numpy(dtype=np.float64)
    except (ValueError, TypeError):
        raise ValueError(f"{name!r}: {what} must be numbers") from None


def _to_dataset(table: _Table) -> xr.Dataset:
    times = np.unique(table.time)
    time_index = np.searchsorted(times, table.time)
    samples, sample_index = np.unique(table.sample, return_inverse=True)
    snapshot = np.bincount(sample_index).max() == 1 and times.size > 1
    if snapshot:
        # Independent cells per time: number them anew within each time.
        order = np.lexsort((sample_index, time_index))
        sample_index = np.empty_like(sample_index)
        starts = np.searchsorted(time_index[order], np.arange(times.size))
        sample_index[order] = np.arange(order.size) - starts[time_index[order]]
    n_samples = int(sample_index.max()) + 1
    x = np.full((n_samples, times.size, len(table.species)), np.nan)
    x[sample_index, time_index] = table.counts
    ds = xr.Dataset(
        {"x": (_DIMS, x)},
        coords={"sample": np.arange(n_samples), "time": times, "species": table.species},
        attrs={"layout": "snapshot" if snapshot else "trajectory"},
    )
    if not snapshot:
        ds = ds.assign_coords(cell=("sample", samples.astype(str)))
    observed(ds)
    return ds
