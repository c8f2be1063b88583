"""``ssagrad bench dask`` on a tiny workload: every configuration runs on both horizons,
results are checked identical to the native ones inside the benchmark, and the table
names both workloads and Dask's empty round trip."""

import pytest

from ssagrad.bench import dask


# two clusters at once: the second's HTTP port warning is the benchmark's to silence
@pytest.mark.filterwarnings("error:Port 8787 is already in use")
def test_dask_benchmark_runs_both_workloads_on_a_tiny_ensemble():
    rows = dask.run(scale=0.001, repeats=1, min_seconds=0)
    timed = [r for r in rows if r.workload != dask.ROUND_TRIP]
    assert {(r.horizon, r.workload, r.cores) for r in timed} == {
        (h, w, c) for h in dask.HORIZONS for w in ("gathered", "reduced") for c in (1, 2)
    }
    assert len(timed) == 16 and all(r.seconds > 0 and r.events > 0 for r in timed)
    longer, shorter = (sum(r.events for r in timed if r.horizon == h) for h in (100.0, 10.0))
    assert longer > 5 * shorter
    trips = [r for r in rows if r.workload == dask.ROUND_TRIP]
    assert sorted(r.cores for r in trips) == [1, 2] and all(r.seconds > 0 for r in trips)
    table = dask.format_table(rows)
    assert table.count("| gathered |") == 8 and table.count("| reduced |") == 8
    assert table.count(" ms") == 2
    assert table.count("Native parallel efficiency") == 2


def test_warm_calls_pass_the_kernel_threshold_and_are_capped():
    threshold = dask._specialised.SPECIALISE_AFTER_EVENTS
    assert dask._warm_calls(threshold, 2) == 3
    assert dask._warm_calls(100 * threshold, 2) == 2
    assert dask._warm_calls(10, 2) == dask.WARM_CALLS
