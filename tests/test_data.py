"""Observed data: readers (netCDF, CSV long and wide), layouts, and bad input."""

import numpy as np
import pytest
import xarray as xr

import ssagrad
from ssagrad.data import observed, read_data


def test_netcdf_written_by_simulate_reads_back(tmp_path):
    ds = ssagrad.simulate(ssagrad.models.birth_death(), times=[1.0, 2.0], n=50, seed=1)
    ds.to_netcdf(tmp_path / "bd.nc")
    back = read_data(tmp_path / "bd.nc")
    obs = observed(back)
    assert obs.species == ("A",)
    np.testing.assert_array_equal(obs.times, [1.0, 2.0])
    np.testing.assert_array_equal(obs.counts[1][0], np.sort(ds.x.values[:, 1, 0]))
    assert obs.layout == "trajectory"


def test_csv_long_form_snapshot_cells_are_renumbered_per_time(tmp_path):
    path = tmp_path / "long.csv"
    rows = ["sample,time,species,count"]
    rows += [f"c{i},1.0,M,{i % 4}" for i in range(6)]
    rows += [f"d{i},2.0,M,{i}" for i in range(3)]
    path.write_text("\n".join(rows) + "\n")
    ds = read_data(path)
    assert ds.attrs["layout"] == "snapshot"
    assert ds.x.sizes["sample"] == 6
    obs = observed(ds)
    assert obs.n_observations.tolist() == [[6], [3]]
    assert obs.counts[1][0].tolist() == [0, 1, 2]


def test_csv_wide_form_trajectories_keep_their_cells(tmp_path):
    path = tmp_path / "wide.csv"
    path.write_text("sample,time,A,B\n1,0,5,0\n1,1,3,2\n2,0,5,0\n2,1,4,1\n")
    ds = read_data(path)
    assert ds.attrs["layout"] == "trajectory"
    assert ds.x.sel(species="B", time=1.0).values.tolist() == [2.0, 1.0]
    assert ds.cell.values.tolist() == ["1", "2"]


def test_nan_padding_gives_different_counts_per_time():
    x = np.full((4, 2, 1), np.nan)
    x[:4, 0, 0] = [1, 2, 3, 4]
    x[:2, 1, 0] = [7, 9]
    obs = observed(
        xr.DataArray(
            x, dims=("sample", "time", "species"), coords={"time": [0.0, 5.0], "species": ["A"]}
        )
    )
    assert obs.n_observations.tolist() == [[4], [2]]
    np.testing.assert_allclose(obs.mean()[:, 0], [2.5, 8.0])
    np.testing.assert_allclose(obs.cdf(10)[1, 0, [6, 7, 8, 9]], [0.0, 0.5, 0.5, 1.0])


def _array(values, times=(0.0, 1.0), species=("A",)):
    return xr.DataArray(
        np.asarray(values, dtype=float),
        dims=("sample", "time", "species"),
        coords={"time": list(times), "species": list(species)},
    )


@pytest.mark.parametrize(
    "data, message",
    [
        (_array([[[1], [np.nan]], [[2], [np.nan]]]), "no observation of 'A' at time 1"),
        (_array([[[1], [-1]]]), "non-negative integers; sample 0 has -1 'A' at time 1"),
        (_array([[[1.5], [2]]]), "non-negative integers; sample 0 has 1.5"),
        (_array([[[1], [np.inf]]]), "infinite count of 'A' at time 1"),
        (_array(np.zeros((0, 2, 1))), "data is empty"),
        (_array([[[1], [2]]], times=(1.0, 0.0)), "strictly increasing"),
        (_array([[[1, 2], [2, 3]]], species=("A", "A")), "more than once"),
        (xr.Dataset({"y": _array([[[1], [2]]])}), "no variable 'x'"),
        (xr.DataArray(np.ones((2, 2)), dims=("sample", "time")), "exactly the dims"),
        (xr.DataArray(np.ones((1, 2, 1)), dims=("sample", "time", "species")), "no 'time'"),
        ([1, 2, 3], "xarray Dataset or DataArray"),
    ],
)
def test_bad_data_is_named(data, message):
    with pytest.raises((ValueError, TypeError), match=message):
        observed(data)


@pytest.mark.parametrize(
    "name, text, message",
    [
        ("a.csv", "sample,species,count\n1,A,3\n", "no 'time' column"),
        ("b.csv", "sample,time,species,count\n1,0,A,3\n1,0,A,4\n", "more than once"),
        ("c.csv", "sample,time\n1,0\n", "no species columns"),
        ("d.csv", "sample,time,A\n1,0,many\n", "counts must be numbers"),
        ("e.json", "{}", "expected .nc"),
        ("f.csv", "", "cannot parse"),
        ("g.csv", "sample,time,A\n1,0,-2\n", "non-negative integers"),
    ],
)
def test_bad_files_are_named(tmp_path, name, text, message):
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(ValueError, match=message):
        read_data(path)


def test_missing_file_is_named(tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        read_data(tmp_path / "nothing.nc")
