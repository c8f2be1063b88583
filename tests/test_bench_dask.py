"""``ssagrad bench dask`` on a tiny workload: every configuration runs, results are checked
identical to the native ones inside the benchmark, and the table names both workloads."""

from ssagrad.bench import dask


def test_dask_benchmark_runs_both_workloads_on_a_tiny_ensemble():
    rows = dask.run(scale=0.001, repeats=1)
    assert {(r.workload, r.cores) for r in rows} == {
        (w, c) for w in ("gathered", "reduced") for c in (1, 2)
    }
    assert len(rows) == 8 and all(r.seconds > 0 and r.events > 0 for r in rows)
    table = dask.format_table(rows)
    assert table.count("| gathered |") == 4 and table.count("| reduced |") == 4
