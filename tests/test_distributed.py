"""Dask scale-out: results on a LocalCluster (2 worker processes, started here) equal the
local ones bit for bit, also when a worker dies mid-run."""

import gc
import os
import sys
import threading
import time

import distributed
import numpy as np
import pytest
import xarray as xr

import ssagrad

TG = ssagrad.models.telegraph()
BD = ssagrad.models.birth_death()


@pytest.fixture(scope="module")
def client():
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


def test_simulate_equals_the_local_run_for_any_chunking(client):
    local = ssagrad.simulate(TG, n=1000, seed=3)
    for chunk in (7, 777, 5000):
        remote = ssagrad.simulate(TG, n=1000, seed=3, client=client, chunk=chunk)
        xr.testing.assert_identical(local, remote)


@pytest.mark.parametrize("estimator", ["score", "altpath", "fd"])
def test_gradient_equals_the_local_run(client, estimator):
    kwargs = dict(times=[1.0, 5.0], estimator=estimator, n=400, seed=4)
    local = ssagrad.gradient(TG, **kwargs)
    remote = ssagrad.gradient(TG, client=client, chunk=90, **kwargs)
    xr.testing.assert_identical(local, remote)


def test_value_and_grad_equals_the_local_run(client):
    loss = ssagrad.EnsembleLoss(lambda x: x, lambda m: float(((m - 3.0) ** 2).sum()))
    kwargs = dict(times=[2.0], loss=loss, estimator="score", n=500, seed=2)
    local = ssagrad.value_and_grad(TG, **kwargs)
    remote = ssagrad.value_and_grad(TG, client=client, chunk=64, **kwargs)
    assert local.value == remote.value
    np.testing.assert_array_equal(local.grad, remote.grad)
    np.testing.assert_array_equal(local.se, remote.se)


@pytest.fixture(scope="module")
def bd_data():
    return ssagrad.simulate(BD, times=[0.5, 1.0, 2.0, 4.0], n=300, seed=1)


FIT = dict(
    init={"k": 4.0, "g": 2.5}, loss="moments", n=200, steps=40, seed=3, starts=4, progress=False
)


def _same_fit(a, b):
    assert a.params == b.params
    assert [(s.start, s.loss, s.params) for s in a.starts] == [
        (s.start, s.loss, s.params) for s in b.starts
    ]
    for name in ("loss", "loss_se", "grad_norm", "events", "params"):
        np.testing.assert_array_equal(a.history[name].values, b.history[name].values)


def test_four_start_fit_equals_the_local_run(client, bd_data):
    _same_fit(
        ssagrad.fit(BD, bd_data, workers=1, **FIT), ssagrad.fit(BD, bd_data, client=client, **FIT)
    )


def test_lazy_ensemble_is_computed_and_written_chunk_by_chunk(client, tmp_path):
    eager = ssagrad.simulate(TG, n=2500, seed=9)
    lazy = ssagrad.simulate(TG, n=2500, seed=9, lazy=True, chunk=600, on_max_events="flag")
    assert lazy.x.chunks[0] == (600, 600, 600, 600, 100)
    lazy.to_netcdf(tmp_path / "lazy.nc")
    with xr.open_dataset(tmp_path / "lazy.nc") as back:
        np.testing.assert_array_equal(back.x.values, eager.x.values)
    assert float(lazy.x.mean("sample").sel(species="M").isel(time=-1)) == float(
        eager.x.mean("sample").sel(species="M").isel(time=-1)
    )


def _kill_one_worker_while(client, run):
    """Run ``run()`` in a thread and kill a worker process while it is busy."""
    out = {}
    thread = threading.Thread(target=lambda: out.setdefault("result", run()))
    thread.start()
    deadline = time.monotonic() + 60
    while True:  # one snapshot per look: the tasks may finish between two calls
        busy = [w for w, tasks in client.processing().items() if tasks]
        if busy:
            break
        assert time.monotonic() < deadline and thread.is_alive()
        time.sleep(0.01)
    busy = busy[0]
    try:
        client.run(os._exit, 1, workers=[busy])
    except Exception:  # the worker dies before it answers
        pass
    thread.join(timeout=300)
    assert not thread.is_alive()
    return out["result"]


def test_a_worker_dying_mid_simulation_changes_nothing(client):
    local = ssagrad.simulate(TG, times=[0.0, 50.0, 100.0], n=40_000, seed=11)
    remote = _kill_one_worker_while(
        client,
        lambda: ssagrad.simulate(
            TG, times=[0.0, 50.0, 100.0], n=40_000, seed=11, client=client, chunk=500
        ),
    )
    xr.testing.assert_identical(local, remote)


def test_a_worker_dying_mid_fit_changes_nothing(client, bd_data):
    kwargs = dict(FIT, steps=300, starts=2, n=1000)
    local = ssagrad.fit(BD, bd_data, workers=1, **kwargs)
    remote = _kill_one_worker_while(
        client, lambda: ssagrad.fit(BD, bd_data, client=client, **kwargs)
    )
    _same_fit(local, remote)


def test_without_dask_the_options_say_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(ImportError, match=r"pip install 'ssagrad\[dask\]'"):
        ssagrad.simulate(BD, n=10, seed=1, client=object())


def test_bad_client_and_chunk_are_named(client):
    with pytest.raises(TypeError, match="client must be a dask.distributed.Client"):
        ssagrad.simulate(BD, n=10, seed=1, client="tcp://nowhere:1")
    with pytest.raises(ValueError, match="chunk must be a positive integer"):
        ssagrad.simulate(BD, n=10, seed=1, client=client, chunk=0)
    with pytest.raises(ValueError, match="chunk= applies to runs on a Dask cluster"):
        ssagrad.simulate(BD, n=10, seed=1, chunk=5)
    with pytest.raises(ValueError, match="lazy=True computes nothing"):
        ssagrad.simulate(BD, n=10, seed=1, lazy=True)


def _square(spec):
    return {"y": spec["x"] ** 2, "seconds": 0.0}


def test_experiment_fits_run_as_tasks_and_resume(client, tmp_path):
    from ssagrad.repro._store import Task, run_tasks

    tasks = [Task(f"x{i}", {"x": i}) for i in range(6)]
    remote = run_tasks(tasks[:4], _square, tmp_path, progress=False, client=client)
    assert [r["y"] for r in remote] == [0, 1, 4, 9]
    # The stored fits are skipped; only the new ones run (here, without a cluster).
    again = run_tasks(tasks, _square, tmp_path, progress=False)
    assert [r["y"] for r in again] == [0, 1, 4, 9, 16, 25]


def test_cli_fit_runs_its_starts_on_a_local_cluster(tmp_path, bd_data):
    import subprocess

    data = tmp_path / "data.nc"
    bd_data.to_netcdf(data)
    common = [
        sys.executable,
        "-m",
        "ssagrad.cli",
        "fit",
        "birth_death",
        str(data),
        "--loss",
        "moments",
        "--steps",
        "15",
        "-n",
        "100",
        "--starts",
        "2",
        "--seed",
        "3",
        "--no-progress",
    ]
    here = subprocess.run(common + ["--out", str(tmp_path / "a")], capture_output=True, text=True)
    there = subprocess.run(
        common + ["--out", str(tmp_path / "b"), "--scheduler", "local"],
        capture_output=True,
        text=True,
    )
    assert here.returncode == 0 and there.returncode == 0, there.stderr[-2000:]
    assert (tmp_path / "a" / "params.json").read_text() == (
        tmp_path / "b" / "params.json"
    ).read_text()


def test_structure_sweep_runs_as_tasks_and_equals_the_local_sweep(client, tmp_path):
    from ssagrad.structure import bench

    system = next(s for s in bench.SYSTEMS if s.name == "association")
    tasks = [(system, row, 0, 2) for row in bench.ROWS[:2]]
    local = bench._run_all(tasks, 1, tmp_path / "local.csv", {})
    remote = bench._run_all(tasks, 1, tmp_path / "remote.csv", {}, client)

    def without_wall(runs):
        return {key: {k: v for k, v in r.items() if k != "wall"} for key, r in runs.items()}

    assert without_wall(remote) == without_wall(local)
    assert all(not r["error"] for r in remote.values())


def test_lazy_ensembles_are_split_across_the_workers_by_default(client):
    lazy = ssagrad.simulate(TG, n=4000, seed=9, lazy=True, on_max_events="flag", client=client)
    assert lazy.x.chunks[0] == (1000, 1000, 1000, 1000)  # two per worker thread
    here = ssagrad.simulate(TG, n=4000, seed=9)
    assert (lazy.x.values == here.x.values).all() and lazy.x.dtype == np.int64


def test_integer_results_travel_narrow_and_come_back_as_int64(client):
    from ssagrad.distributed._engine import _narrowed, _whole

    counts = np.array([[0, 300], [-5, 70_000]], dtype=np.int64)
    assert _narrowed(counts[:, :1]).dtype == np.int8 and _narrowed(counts).dtype == np.int32
    assert _narrowed(np.array([2**40])).dtype == np.int64
    assert _narrowed(np.array([0.5])).dtype == np.float64
    joined = _whole(_narrowed(counts[:1]), 2)
    joined[:1], joined[1:] = _narrowed(counts[:1]), _narrowed(counts[1:])
    assert joined.dtype == np.int64 and (joined == counts).all()
    assert _whole(np.zeros((3, 2)), 5).shape == (5, 2)
    there = ssagrad.simulate(TG, n=3000, seed=4, client=client)
    assert there.x.dtype == np.int64 and there.events.dtype == np.int64


def test_dask_engine_computes_the_w1_score_reduction_locally(client):
    """``w1_score`` (a fit step's loss) is a reduction of arrays the caller holds: the Dask
    engine computes it in this process with its backend's kernel, same numbers."""
    from ssagrad.backends import get_backend
    from ssagrad.distributed._engine import DaskEngine

    rng = np.random.default_rng(3)
    tracked = rng.integers(0, 9, size=(40, 2, 1))
    scores = rng.normal(size=(40, 2, 3))
    cdf = np.cumsum(np.full((2, 1, 6), 1 / 6), axis=-1)
    args = (tracked, np.zeros((0, 2, 1), dtype=np.int64), scores, cdf, 10, True)
    here = get_backend("native").w1_score(*args)
    there = DaskEngine(client).w1_score(*args)
    assert here[0] == there[0] and here[1] == there[1] and (here[2] == there[2]).all()
    assert DaskEngine(client).supports("w1_score")


# --- gathered ensembles through shared memory (distributed/_shared.py) ---------------------


def _mapped(array: np.ndarray) -> bool:
    """Whether ``array`` is a view of a memory map (not an array of its own)."""
    import mmap

    while isinstance(array, np.ndarray | memoryview):
        array = array.base if isinstance(array, np.ndarray) else array.obj
    return isinstance(array, mmap.mmap)


def test_workers_on_this_host_write_the_states_into_shared_memory(client):
    from ssagrad.distributed import DaskEngine, _shared

    if _shared.FOLDER is None or not _shared.FOLDER.is_dir():
        pytest.skip("no /dev/shm on this machine: the shared path is not used here")
    mine = f"ssagrad-{os.getpid()}-*"
    gc.collect()  # results earlier tests dropped: their files become the spare ...
    _shared.free_shared_memory()  # ... which goes
    held = set(_shared.FOLDER.glob(mine))  # files of results still alive elsewhere
    local = ssagrad.simulate(TG, n=3000, seed=5)
    there = ssagrad.simulate(TG, n=3000, seed=5, client=client, chunk=700)
    xr.testing.assert_identical(local, there)
    from ssagrad.inputs import initial_state, parameter_vector
    from ssagrad.seeding import trajectory_seeds

    arrays = TG.network.arrays()
    theta = arrays.theta(parameter_vector(TG.network, TG.params))
    states, events, status = DaskEngine(client, chunk=700).simulate(
        arrays,
        theta,
        initial_state(TG.network, TG.x0),
        local.time.values,
        trajectory_seeds(5, 3000),
        "direct",
        10**6,
        0.0,
    )
    assert _mapped(states) and not _mapped(events)
    assert (states == local.x.values).all() and (events == local.events.values).all()
    assert len(set(_shared.FOLDER.glob(mine)) - held) == 2  # each live result holds its file
    del there, states
    gc.collect()
    spare = _shared._spare  # the last file dropped is kept, the other one removed
    assert set(_shared.FOLDER.glob(mine)) - held == {spare}
    again = ssagrad.simulate(TG, n=3000, seed=5, client=client, chunk=700)
    xr.testing.assert_identical(local, again)  # written into the spare's memory
    assert _shared._spare is None and set(_shared.FOLDER.glob(mine)) - held == {spare}
    del again
    gc.collect()
    assert _shared._spare == spare
    _shared.free_shared_memory()
    assert set(_shared.FOLDER.glob(mine)) == held  # no file left


def test_a_spare_a_worker_still_has_open_is_not_reused(tmp_path, monkeypatch):
    from ssagrad.distributed import _shared

    monkeypatch.setattr(_shared, "FOLDER", tmp_path)
    gc.collect()
    _shared.free_shared_memory()
    first = _shared.SharedStates.create((4, 2, 3))
    result = first.result({})
    late = _shared.ChunkView(str(first.path), 0, (4, 2, 3))  # e.g. a worker given up on
    del result
    gc.collect()
    assert _shared._spare == first.path
    second = _shared.SharedStates.create((4, 2, 3))
    assert second.path != first.path and not first.path.exists()
    late.close()
    second.discard()
    assert not list(tmp_path.iterdir())


def test_chunks_sent_back_are_joined_with_those_in_the_shared_file(tmp_path, monkeypatch):
    from ssagrad.distributed import _shared

    monkeypatch.setattr(_shared, "FOLDER", tmp_path)
    whole = np.arange(5 * 2 * 3, dtype=np.int64).reshape(5, 2, 3)
    shared = _shared.SharedStates.create(whole.shape)
    for start, stop in ((1, 3), (0, 1)):  # row 1 starts 48 bytes in: not on a page boundary
        view = _shared.ChunkView(str(shared.path), start, (stop - start, 2, 3))
        view.states[...] = whole[start:stop]
        view.close()
        assert view.states is None
    view = _shared.ChunkView(str(shared.path), 0, (1, 2, 3))
    alive = view.states  # e.g. held by a kernel's error traceback: closing must not raise
    view.close()
    alive[...] = whole[:1]  # still mapped until dropped
    del alive
    joined = shared.result({3: whole[3:].astype(np.int8)})  # e.g. from another host
    assert joined.dtype == np.int64 and (joined == whole).all() and not _mapped(joined)
    assert not shared.path.exists()
    # a worker that cannot see the file, or cannot reserve its chunk's memory, gets no view
    assert _shared.ChunkView(str(tmp_path / "elsewhere.states"), 0, (5, 2, 3)).states is None
    assert not (tmp_path / "elsewhere.states").exists()
    shared = _shared.SharedStates.create(whole.shape)

    def full(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(_shared.os, "posix_fallocate", full)
    assert _shared.ChunkView(str(shared.path), 0, (5, 2, 3)).states is None
    shared.discard()


def test_a_kernel_writes_into_the_states_it_is_given():
    from ssagrad.backends.native import NativeBackend
    from ssagrad.inputs import initial_state, parameter_vector
    from ssagrad.seeding import trajectory_seeds

    arrays = TG.network.arrays()
    theta = arrays.theta(parameter_vector(TG.network, TG.params))
    inputs = (arrays, theta, initial_state(TG.network, TG.x0), np.linspace(0, 5, 4))
    seeds = trajectory_seeds(2, 50)
    fresh = NativeBackend().simulate(*inputs, seeds, "direct", 10**6, 0.0)
    given = np.full((50, 4, 3), -1, dtype=np.int64)
    states = NativeBackend().simulate(*inputs, seeds, "direct", 10**6, 0.0, states=given)[0]
    assert states is given and (given == fresh[0]).all()
    with pytest.raises(ValueError, match=r"states must be a C-contiguous int64 array"):
        NativeBackend().simulate(*inputs, seeds, "direct", 10**6, 0.0, states=given[:, :2])


def test_no_shared_file_without_room_and_orphans_are_removed(tmp_path, monkeypatch):
    from ssagrad.distributed import _shared

    monkeypatch.setattr(_shared, "FOLDER", tmp_path)
    monkeypatch.setattr(_shared, "HEADROOM", 1e30)
    assert _shared.SharedStates.create((10, 2, 3)) is None
    monkeypatch.setattr(_shared, "HEADROOM", 2.0)
    gone = _ended_process_id()
    orphan = tmp_path / f"ssagrad-{gone}-0123.states"
    orphan.write_bytes(b"x")
    mine = _shared.SharedStates.create((10, 2, 3))
    assert mine is not None and mine.path.exists() and not orphan.exists()
    result = mine.result({})
    assert (result == 0).all() and mine.path.exists()
    del result
    gc.collect()
    _shared.free_shared_memory()
    assert not mine.path.exists()
    live = _shared.SharedStates.create((10, 2, 3))
    result = live.result({})
    _shared._remove_own_files()  # at exit: the files of live results go too
    assert not live.path.exists() and (result == 0).all()
    monkeypatch.setattr(_shared, "FOLDER", None)
    assert _shared.SharedStates.create((10, 2, 3)) is None


def _ended_process_id() -> int:
    """The id of a process that has ended."""
    import subprocess

    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(done.stdout)
