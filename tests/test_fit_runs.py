"""Long-run behaviour of ``ssagrad.fit``: checkpoints, resume bit for bit, Ctrl-C,
results on disk, the command line, and bad input."""

import json
import subprocess
import sys

import numpy as np
import pytest

import ssagrad
from ssagrad.fitting import FitResult, _checkpoint

BD = ssagrad.models.birth_death()
BD_START = {"k": 4.0, "g": 2.5}
COMPARED = ("loss", "loss_se", "grad_norm", "events", "params")


@pytest.fixture(scope="module")
def bd_data():
    return ssagrad.simulate(BD, times=[0.5, 1.0, 2.0, 4.0], n=400, seed=1)


def _quick_fit(data, **kwargs) -> FitResult:
    """A short moments fit of the birth-death model (overridable keywords)."""
    arguments = dict(init=BD_START, loss="moments", n=100, steps=3, seed=1, progress=False)
    arguments.update(kwargs)
    return ssagrad.fit(BD, data, **arguments)


def _assert_same(a: FitResult, b: FitResult) -> None:
    assert a.params == b.params
    assert [(s.start, s.loss, s.loss_se, s.params, s.steps) for s in a.starts] == [
        (s.start, s.loss, s.loss_se, s.params, s.steps) for s in b.starts
    ]
    for name in COMPARED:  # wall times aside, the histories are identical
        np.testing.assert_array_equal(a.history[name].values, b.history[name].values)


def _stop_at(step: int, start: int = 0):
    def callback(state):
        if state.start == start and state.step == step:
            raise KeyboardInterrupt

    return callback


def test_interrupted_fit_resumes_bit_for_bit(tmp_path, bd_data):
    kwargs = dict(init=BD_START, loss="w1", n=200, steps=30, seed=9, progress=False)
    full = ssagrad.fit(BD, bd_data, **kwargs)
    checkpoint = tmp_path / "fit.npz"
    partial = ssagrad.fit(BD, bd_data, checkpoint=checkpoint, callback=_stop_at(12), **kwargs)
    assert partial.interrupted and partial.best.steps == 12
    assert np.isnan(partial.loss)
    assert np.isfinite(partial.history.loss.values[0, :12]).all()
    resumed = ssagrad.fit(BD, bd_data, resume=checkpoint, **kwargs)
    assert not resumed.interrupted and resumed.best.steps == 30
    _assert_same(full, resumed)


def test_interrupted_multistart_in_processes_resumes_bit_for_bit(tmp_path, bd_data):
    # Steps long enough (n=1000) that the workers are still running when the interrupt
    # raised at step 10 reaches them.
    kwargs = dict(
        init=BD_START,
        loss="moments",
        n=1000,
        steps=200,
        seed=4,
        starts=2,
        progress=False,
        workers=2,
    )
    full = ssagrad.fit(BD, bd_data, **kwargs)
    checkpoint = tmp_path / "multi.npz"
    partial = ssagrad.fit(BD, bd_data, checkpoint=checkpoint, callback=_stop_at(10), **kwargs)
    assert partial.interrupted
    assert all(s.steps < 200 for s in partial.starts)
    resumed = ssagrad.fit(BD, bd_data, resume=checkpoint, **kwargs)
    _assert_same(full, resumed)


def test_checkpoint_of_another_problem_is_refused(tmp_path, bd_data):
    checkpoint = tmp_path / "a.npz"
    kwargs = dict(init=BD_START, loss="moments", n=100, steps=3, progress=False)
    ssagrad.fit(BD, bd_data, checkpoint=checkpoint, seed=1, **kwargs)
    with pytest.raises(ValueError, match="belongs to another problem"):
        ssagrad.fit(BD, bd_data, resume=checkpoint, seed=2, **kwargs)
    with pytest.raises(ValueError, match="does not exist"):
        ssagrad.fit(BD, bd_data, resume=tmp_path / "none.npz", seed=1, **kwargs)
    (tmp_path / "junk.npz").write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="not an ssagrad fit checkpoint"):
        ssagrad.fit(BD, bd_data, resume=tmp_path / "junk.npz", seed=1, **kwargs)


def test_a_failed_checkpoint_write_leaves_the_previous_one(tmp_path, bd_data, monkeypatch):
    checkpoint = tmp_path / "c.npz"
    _quick_fit(bd_data, checkpoint=checkpoint)
    before = checkpoint.read_bytes()

    def broken(handle, **arrays):
        handle.write(b"partial")
        raise OSError("disk full")

    monkeypatch.setattr(_checkpoint.np, "savez", broken)
    with pytest.raises(OSError, match="disk full"):
        _checkpoint.save(checkpoint, "x", [])
    assert checkpoint.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.npz"]


def test_result_saves_and_loads_and_plots(tmp_path, bd_data):
    result = ssagrad.fit(
        BD,
        bd_data,
        init=BD_START,
        loss="w1",
        n=200,
        steps=20,
        seed=3,
        starts=2,
        workers=1,
        progress=False,
    )
    result.save(tmp_path / "fit.nc")
    back = FitResult.load(tmp_path / "fit.nc")
    assert back.params == result.params
    assert [s.start for s in back.starts] == [s.start for s in result.starts]
    for name in COMPARED:
        np.testing.assert_array_equal(back.history[name].values, result.history[name].values)
    assert back.summary().equals(result.summary())
    np.testing.assert_array_equal(back.best.cells, result.best.cells)
    np.testing.assert_allclose(back.sloppiness().eigenvalues, result.sloppiness().eigenvalues)
    fig = back.plot(tmp_path / "fit.png")
    assert (tmp_path / "fit.png").stat().st_size > 10_000
    assert len(fig.axes) >= 6  # loss, parameters, waterfall, moments, distributions
    back.waterfall(tmp_path / "waterfall.png")
    assert (tmp_path / "waterfall.png").stat().st_size > 5_000


def test_progress_bar_is_silent_off_a_terminal(bd_data, capsys):
    _quick_fit(bd_data, steps=5, progress=True)
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out == ""


def test_progress_bar_shows_steps_rate_and_loss_on_a_terminal(bd_data, monkeypatch):
    import io

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    _quick_fit(bd_data, steps=30, progress=True)
    text = terminal.getvalue()
    assert "30/30" in text and "step/s" in text and "loss=" in text


def test_callback_sees_every_step(bd_data):
    seen = []
    _quick_fit(bd_data, steps=7, callback=lambda s: seen.append((s.step, s.params["k"], s.loss)))
    assert [s[0] for s in seen] == list(range(1, 8))
    assert seen[0][1] == 4.0 and all(np.isfinite(s[2]) for s in seen)


def test_cli_fit_writes_parameters_history_and_plots(tmp_path, bd_data):
    data = tmp_path / "data.nc"
    bd_data.to_netcdf(data)
    out = tmp_path / "out"
    command = [
        sys.executable,
        "-m",
        "ssagrad.cli",
        "fit",
        "birth_death",
        str(data),
        "--loss",
        "moments",
        "--steps",
        "20",
        "-n",
        "100",
        "--fixed",
        "g",
        "--init",
        "k=5",
        "--seed",
        "1",
        "--no-progress",
        "--out",
        str(out),
    ]
    result = subprocess.run(command, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    params = json.loads((out / "params.json").read_text())
    assert params["g"] == 1.0 and params["k"] != 5.0
    for name in ("history.nc", "fit.nc", "fit.png", "checkpoint.npz"):
        assert (out / name).stat().st_size > 0
    assert "wrote" in result.stdout
    bad = subprocess.run(
        command[:5] + [str(tmp_path / "missing.csv")], capture_output=True, text=True
    )
    assert bad.returncode == 2 and "does not exist" in bad.stderr


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        (dict(estimator="magic"), ValueError, "unknown estimator 'magic'"),
        (dict(loss="kl"), ValueError, "unknown loss 'kl'"),
        (dict(loss=lambda s: 0.0), ValueError, "cannot differentiate a black-box loss"),
        (dict(fixed=["k", "k"]), ValueError, "fixed names 'k' more than once"),
        (dict(fixed=["q"]), ValueError, "unknown parameter 'q' in fixed"),
        (dict(fixed=["k", "g"]), ValueError, "every parameter is fixed"),
        (dict(init={"q": 1.0}), ValueError, "unknown parameter 'q' in init"),
        (dict(init={"k": -1.0}), ValueError, "init: parameter 'k' must be finite and non-"),
        (dict(init={"k": 0.0}), ValueError, "log reparametrisation cannot represent a zero"),
        (dict(bounds={"q": (0, 1)}), ValueError, "bounds name 'q'"),
        (dict(bounds={"k": (5, 1)}), ValueError, "0 <= low < high"),
        (dict(bounds={"k": (5, 10)}), ValueError, "outside its bounds"),
        (dict(reparam={"q": "log"}), ValueError, "reparam names 'q'"),
        (dict(reparam="sqrt"), ValueError, "unknown reparametrisation 'sqrt'"),
        (dict(steps=0), ValueError, "steps must be an integer >= 1"),
        (dict(n=2), ValueError, "n must be an integer >= 4"),
        (dict(pool=0), ValueError, "pool must be an integer >= 1"),
        (dict(estimator="exact", pool=10), ValueError, "pool needs a sampling estimator"),
        (dict(starts=0), ValueError, "starts must be at least 1"),
        (dict(optimizer="lbfgs"), ValueError, "unknown optimizer 'lbfgs'"),
        (dict(lr=-0.1), ValueError, "lr must be > 0"),
        (dict(schedule="sometimes"), ValueError, "unknown schedule 'sometimes'"),
        (dict(temperature=0.5), ValueError, "unknown option.*temperature"),
        (dict(species=["B"]), ValueError, "species 'B' is not in the network"),
        (dict(times=[3.0]), ValueError, "time 3 is not in the data"),
        (dict(workers=0), ValueError, "workers must be a positive integer"),
    ],
)
def test_bad_fit_input_is_named(bd_data, kwargs, error, message):
    with pytest.raises(error, match=message):
        _quick_fit(bd_data, **dict(dict(steps=2), **kwargs))


def test_data_the_network_does_not_have_is_named(bd_data):
    other = bd_data.assign_coords(species=["Z"])
    with pytest.raises(ValueError, match="species 'Z' that the network does not have"):
        ssagrad.fit(BD, other, init=BD_START, steps=1, progress=False)
    with pytest.raises(ValueError, match="init is required for a Network"):
        ssagrad.fit(BD.network, bd_data, x0={"A": 0}, steps=1, progress=False)


def test_history_counts_the_ssa_events_of_every_step(bd_data):
    from ssagrad.estimators import estimate

    result = _quick_fit(bd_data, steps=4, pool=50)
    events = result.history.events.values[0]
    assert np.all(events > 0)
    # The score kernel fires exactly the reactions of the direct method with the same seeds.
    samples = estimate(BD, BD_START, times=[0.5, 1.0, 2.0, 4.0], estimator="score", n=300, seed=8)
    direct = ssagrad.simulate(BD, BD_START, times=[0.5, 1.0, 2.0, 4.0], n=300, seed=8)
    assert samples.events == int(direct.events.sum())
    for estimator in ("gumbel", "altpath", "fd", "cfd", "smoothing"):
        other = estimate(BD, BD_START, times=[1.0], estimator=estimator, n=50, seed=1)
        assert other.events > 0, estimator


def test_a_fit_that_only_got_worse_returns_its_start(bd_data):
    # Started at the truth with a wild learning rate, every iterate is worse than the start.
    result = _quick_fit(bd_data, init={"k": 10.0, "g": 1.0}, steps=10, lr=3.0, schedule="constant")
    assert result.best.candidate == "start"
    assert result.params == {"k": 10.0, "g": 1.0}
