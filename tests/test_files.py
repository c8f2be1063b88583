"""Every file ssagrad writes is written atomically, through one helper, at the path given."""

import re
from pathlib import Path

import pytest

from ssagrad import _files
from ssagrad.cli import main

PACKAGE = Path(__file__).resolve().parents[1] / "pyside" / "ssagrad"
# Calls that write a file; only ssagrad/_files.py may make them (reading is fine).
WRITES = re.compile(
    r"\.to_netcdf\(\s*[^)\s]|\.savefig\(|\.write_text\(|\.write_bytes\(|np\.save[z]?\(|"
    r"open\([^)]*['\"][wax]b?['\"]|\.to_csv\(\s*[^b)]|\.open\(\s*['\"][wax]"
)


def test_no_module_writes_files_except_through_the_helper():
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        if path.name == "_files.py":
            continue
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            code = line.split("#", 1)[0]
            inside_helper = "write_atomic(" in code  # a writer handed a temporary file
            if WRITES.search(code) and not inside_helper and ">>>" not in code and "``" not in code:
                offenders.append(f"{path.relative_to(PACKAGE)}:{number}: {line.strip()}")
    assert not offenders, "files written around ssagrad._files:\n" + "\n".join(offenders)


def test_the_pattern_catches_raw_writes():
    for line in (
        "ds.to_netcdf(path)",
        'fig.savefig(out / "a.png")',
        'open(p, "w")',
        'p.write_text("x")',
        "np.savez(handle, **a)",
        "df.to_csv(path)",
    ):
        assert WRITES.search(line), line
    for line in (
        "ds.to_netcdf()",
        "open(path)",
        'open(path, newline="")',
        "frame.to_csv(buffer, index=False)",
    ):
        assert not WRITES.search(line) or "buffer" in line, line


def test_a_failing_writer_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "result.nc"
    target.write_text("old")

    def broken(handle):
        handle.write(b"half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        _files.write_atomic(target, broken)
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["result.nc"]


def test_figures_keep_their_format_and_netcdf_round_trips(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    import xarray as xr

    fig = plt.figure()
    _files.save_figure(fig, tmp_path / "plot.pdf")
    plt.close(fig)
    assert (tmp_path / "plot.pdf").read_bytes()[:4] == b"%PDF"
    ds = xr.Dataset({"x": ("t", np.arange(3))})
    _files.write_netcdf(tmp_path / "sub" / "d.nc", ds)
    assert xr.load_dataset(tmp_path / "sub" / "d.nc").x.values.tolist() == [0, 1, 2]
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["d.nc", "plot.pdf", "sub"]


def test_cli_simulate_writes_only_the_given_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "out" / "sim.nc"
    code = main(
        [
            "simulate",
            "birth_death",
            "--times",
            "0:2:3",
            "-n",
            "5",
            "--seed",
            "1",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")) == [
        "out",
        "out/sim.nc",
    ]
