"""Project hygiene: lint, the README quickstart and CI agree, docs exist for every page."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _quickstart_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"## Quickstart\s+```bash\n(.*?)```", readme, re.S)
    assert block, "README has no Quickstart bash block"
    return [line for line in block.group(1).splitlines() if line.strip()]


def test_quickstart_has_exactly_two_commands_and_ci_runs_the_second_verbatim():
    commands = _quickstart_commands()
    assert len(commands) == 2
    assert "ssagrad demo" in commands[0]
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert commands[1] in [line.strip() for line in ci]


def test_ruff_is_clean():
    ruff = shutil.which("ruff")
    if ruff is None:
        pytest.fail("ruff is missing: it is in the test extras (pip install -e '.[test]')")
    for command in (["check"], ["format", "--check"]):
        result = subprocess.run([ruff, *command, str(ROOT)], capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr


def test_readme_tour_links_resolve():
    readme = (ROOT / "README.md").read_text()
    for target in re.findall(r"\]\((docs/[^)#]+)", readme):
        assert (ROOT / target).is_file(), target


def test_cli_demo_fits_and_writes_data_fit_and_plot(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "ssagrad.cli",
            "demo",
            "--out",
            str(tmp_path),
            "--cells",
            "300",
            "--steps",
            "40",
            "-n",
            "200",
            "--no-progress",
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    for name in ("data.nc", "fit.nc", "fit.png", "fitted_params.json"):
        assert (tmp_path / name).stat().st_size > 0
    for expected in ("true", "fitted", "burst frequency", "burst size", "wrote"):
        assert expected in result.stdout


def test_cli_simulate_network_file_and_errors(tmp_path):
    network = tmp_path / "bd.txt"
    network.write_text("k, 0 --> A\ng, A --> 0\n")
    out = tmp_path / "bd.nc"
    ok = subprocess.run(
        [
            sys.executable,
            "-m",
            "ssagrad.cli",
            "simulate",
            str(network),
            "-p",
            "k=5",
            "-p",
            "g=1",
            "--times",
            "0:5:6",
            "-n",
            "10",
            "--seed",
            "1",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
    )
    assert ok.returncode == 0, ok.stderr
    assert out.is_file()
    bad = subprocess.run(
        [
            sys.executable,
            "-m",
            "ssagrad.cli",
            "simulate",
            str(network),
            "-p",
            "k=5",
            "--times",
            "0:5:6",
        ],
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 2
    assert "missing value for parameter(s) g" in bad.stderr
