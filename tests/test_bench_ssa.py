"""``ssagrad bench ssa`` on a tiny workload: rows, event counts and the table."""

import subprocess
import sys

import numpy as np
import pytest

from ssagrad.backends.native._kernel_source import MAX_BRANCHLESS, SELECTIONS
from ssagrad.bench import ssa
from ssagrad.models import get


def test_run_times_every_workload_on_each_thread_count(monkeypatch):
    monkeypatch.setattr(ssa, "TIMING_SECONDS", 0.0)
    rows = ssa.run(scale=0.02, repeats=1, peers=False)

    models = [name for name, _, _ in ssa.WORKLOADS]
    assert sorted({r.model for r in rows}) == sorted(models)
    for name in models:
        mine = [r for r in rows if r.model == name]
        assert any(r.simulator == "ssagrad direct (1 thread)" for r in mine)
        assert len({r.events for r in mine}) == 1  # same workload for every row
        assert all(r.events > 0 and r.seconds > 0 and r.ns_per_event > 0 for r in mine)
        # both own kernels have rows where the network is small enough for both
        own = {ssa.OWN_KERNEL.format(selection) for selection in SELECTIONS}
        labels = {r.simulator for r in mine}
        small = len(get(name).network.reactions) <= MAX_BRANCHLESS
        assert own <= labels if small else own.isdisjoint(labels)

    table = ssa.format_table(rows)
    lines = table.splitlines()
    assert lines[0].startswith("| model | simulator | events |")
    assert len(lines) == 2 + len(rows)
    assert all("| 1.00 |" in line for line in lines if "| ssagrad direct (1 thread) |" in line)


def test_cli_bench_ssa_without_peers_prints_the_table():
    result = subprocess.run(
        [
            *(sys.executable, "-m", "ssagrad.cli", "bench", "ssa"),
            *("--scale", "0.01", "--repeats", "1", "--no-peers"),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    assert "| dimerization | ssagrad direct (1 thread) |" in result.stdout


@pytest.mark.parametrize("repeats", ["0", "-2", "two"])
def test_cli_bench_refuses_a_repeat_count_that_is_not_positive(repeats, capsys):
    from ssagrad.cli import main

    with pytest.raises(SystemExit):
        main(["bench", "ssa", "--repeats", repeats])
    assert f"expected a positive integer, got '{repeats}'" in capsys.readouterr().err


def test_bioscrape_rate_convention_for_a_homodimer():
    """bioscrape's ``2A`` propensity is ``k A (A - 1)``: the conversion halves our rate."""
    pytest.importorskip("bioscrape")
    from ssagrad import parse
    from ssagrad.bench.peers import bioscrape_simulator

    run = bioscrape_simulator(parse("k, 2A --> 0"), {"k": 1.0}, {"A": 2}, np.array([0.0, 1.0]))
    survived = np.mean([x[-1, 0] == 2 for x in run(4000, 7)])
    # ours: a = k C(2, 2) = 1, so P(no event by t = 1) = exp(-1); a wrong factor 2 gives
    # exp(-2) or exp(-0.5)
    assert abs(survived - np.exp(-1.0)) < 4 * np.sqrt(np.exp(-1.0) * (1 - np.exp(-1.0)) / 4000)


def test_the_c_reference_reproduces_the_direct_method_bit_for_bit():
    """The C row of ``bench ssa`` runs ssagrad's algorithm: same states on every model."""
    from ssagrad import models, simulate
    from ssagrad.bench.c_reference import c_direct, compiler

    if compiler() is None:
        pytest.skip("no C compiler on PATH: bench ssa has no C reference row here")
    for name, horizon, _ in ssa.WORKLOADS:
        model = models.get(name)
        times = np.linspace(0.0, horizon / 10, 11)
        run = c_direct(model, times, 20, seed=4)
        assert run is not None
        assert np.array_equal(run(), simulate(model, times=times, n=20, seed=4).x.values), name


def test_the_c_reference_declines_general_rate_laws():
    from ssagrad import models, parse
    from ssagrad.bench.c_reference import c_direct

    network = parse("hill(P, w, K, 2), 0 --> P\nd, P --> 0")
    model = models.Model("hill", network, {"w": 5.0, "K": 10.0, "d": 0.1}, {"P": 0}, 10.0)
    assert c_direct(model, np.linspace(0.0, 1.0, 3), 2, seed=1) is None
