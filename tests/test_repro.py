"""``ssagrad repro``: resumable per-fit results, tables, figures, fixed designs, the CLI.

The quick version of every experiment runs through the command line under the ``slow``
marker (``python3 -m pytest -m slow tests/test_repro.py``); the default run checks the
machinery and one small real experiment.
"""

import json
import os
from dataclasses import replace

import numpy as np
import pytest

from ssagrad import cli, repro
from ssagrad.bench.peers import have
from ssagrad.repro import association, peer, telegraph
from ssagrad.repro._report import error_summary, markdown_table
from ssagrad.repro._store import FitStore, Task, run_tasks


def _tasks(count=4):
    return [Task(f"t{i}", {"x": i}) for i in range(count)]


def test_interrupted_run_resumes_without_redoing_finished_fits(tmp_path):
    calls = []

    def flaky(spec):
        calls.append(spec["x"])
        if spec["x"] == 2 and calls.count(2) == 1:
            raise KeyboardInterrupt  # Ctrl-C in the middle of the third fit
        return {"y": spec["x"] * 10}

    with pytest.raises(KeyboardInterrupt):
        run_tasks(_tasks(), flaky, tmp_path, progress=False)
    assert sorted(p.name for p in (tmp_path / "fits").iterdir()) == ["t0.json", "t1.json"]
    records = run_tasks(_tasks(), flaky, tmp_path, progress=False)
    assert calls == [0, 1, 2, 2, 3]  # only the unfinished fits ran again
    assert [r["y"] for r in records] == [0, 10, 20, 30]
    assert not [p for p in (tmp_path / "fits").iterdir() if ".tmp" in p.name]


def test_a_stored_fit_of_another_spec_or_a_broken_file_is_redone(tmp_path):
    store = FitStore(tmp_path)
    store.put(Task("t0", {"x": 99}), {"y": -1})  # another spec under the same key
    (tmp_path / "fits" / "t1.json").write_text("{truncated")
    records = run_tasks(_tasks(2), lambda s: {"y": s["x"]}, tmp_path, progress=False)
    assert [r["y"] for r in records] == [0, 1]
    assert json.loads((tmp_path / "fits" / "t0.json").read_text())["spec"] == {"x": 0}


def test_quick_and_full_results_live_apart(tmp_path):
    run_tasks(_tasks(1), lambda s: {"y": 1}, tmp_path, progress=False)
    run_tasks(_tasks(1), lambda s: {"y": 2}, tmp_path, progress=False, quick=True)
    assert FitStore(tmp_path).get(_tasks(1)[0])["y"] == 1
    assert FitStore(tmp_path, quick=True).get(_tasks(1)[0])["y"] == 2


def test_duplicate_task_keys_are_refused(tmp_path):
    with pytest.raises(ValueError, match="unique"):
        run_tasks([Task("a", {}), Task("a", {"x": 1})], lambda s: {}, tmp_path, progress=False)


def test_error_summary_and_markdown():
    summary = error_summary([0.05, -0.2, 0.01, 0.1, np.nan])
    assert summary == {"median |rel err|": pytest.approx(0.075), "within 10 %": 0.75, "fits": 4}
    assert error_summary([np.nan])["fits"] == 0
    assert "| 0.075 |" in markdown_table(__import__("pandas").DataFrame([summary]))


def test_designs_are_fixed_in_the_code():
    """The random parameter sets and starts are drawn once: same numbers every time."""
    sets = telegraph.parameter_sets()
    assert len(sets) == 25 and sets == telegraph.parameter_sets()
    assert all(0.1 <= v <= 10 for p in sets for v in p.values())
    assert all(1 <= telegraph.steady_mean(p) <= 50 for p in sets)
    np.testing.assert_allclose(sets[0]["kon"], 5.056717, rtol=1e-6)
    first = association.tasks(association.FULL)[0].spec
    assert first["init"] == association.tasks(association.FULL)[0].spec["init"]
    assert len(association.tasks(association.FULL)) == 2 * 20 * 9
    keys = [t.key for t in telegraph.tasks(telegraph.FULL)]
    assert len(keys) == len(set(keys)) == 25 * 2 * 3
    assert peer.telegraph_subset(5) == sorted(peer.telegraph_subset(5))


def test_small_association_run_writes_tables_and_figures_and_resumes(tmp_path, monkeypatch):
    small = replace(association.QUICK, seeds=1, estimators=("score",))
    monkeypatch.setattr(association, "QUICK", small)
    report = association.run(tmp_path, quick=True, progress=False)
    table = (tmp_path / "association.csv").read_text().splitlines()
    assert table[0].startswith("regime,estimator,success")
    assert len(table) == 3  # both regimes, one estimator
    assert (tmp_path / "association_errors.png").stat().st_size > 10_000
    assert report.markdown.read_text().startswith("# Bimolecular association")
    for path in (tmp_path / "fits-quick").iterdir():
        record = json.loads(path.read_text())
        assert set(record["errors"]) == {"kon", "koff"}
        assert all(np.isfinite(v) for v in record["errors"].values())
    stamps = {p: p.stat().st_mtime_ns for p in (tmp_path / "fits-quick").iterdir()}
    association.run(tmp_path, quick=True, progress=False)  # nothing left to fit
    assert stamps == {p: p.stat().st_mtime_ns for p in (tmp_path / "fits-quick").iterdir()}


def test_success_needs_every_rate_within_ten_percent():
    assert association.success({"errors": {"kon": 0.09, "koff": -0.1}})
    assert not association.success({"errors": {"kon": 0.09, "koff": -0.11}})


def test_cli_rejects_bad_input(tmp_path, capsys):
    with pytest.raises(SystemExit) as err:
        cli.main(["repro", "nonsense"])
    assert err.value.code == 2
    assert "invalid choice" in capsys.readouterr().err
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert cli.main(["repro", "sir", "--quick", "--out", str(blocker)]) == 2
    assert "not a folder" in capsys.readouterr().err
    with pytest.raises(ValueError, match="available"):
        repro.run("nonsense", tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize("name", [n for n in repro.EXPERIMENTS if n != "stochastix"])
def test_quick_experiment_through_the_cli(tmp_path, capsys, name):
    assert cli.main(["repro", name, "--quick", "--no-progress", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert f"wrote {tmp_path / 'README.md'}" in out
    assert list(tmp_path.glob("*.csv")) and list(tmp_path.glob("*.png"))
    assert list((tmp_path / "fits-quick").glob("*.json"))


@pytest.mark.slow
@pytest.mark.skipif(not (have("stochastix") and have("optax")), reason="needs '.[bench]'")
def test_quick_stochastix_side_by_side(tmp_path):
    report = repro.run("stochastix", tmp_path, quick=True, progress=False)
    text = (tmp_path / "stochastix.md").read_text()
    assert "stochastix GS-ST" in text and "ssagrad score" in text
    assert os.path.exists(report.markdown)


def test_a_fit_finished_meanwhile_by_another_process_is_not_redone(tmp_path):
    other = FitStore(tmp_path)

    def run_one(spec):
        if spec["x"] == 0:  # while fit 0 runs, another process finishes fit 1
            other.put(Task("t1", {"x": 1}), {"y": "theirs"})
        return {"y": "ours"}

    records = run_tasks(_tasks(2), run_one, tmp_path, progress=False)
    assert [r["y"] for r in records] == ["ours", "theirs"]
