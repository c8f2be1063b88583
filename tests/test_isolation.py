"""A full native run imports no juliacall, touches no network and writes only its outputs.

The run (``ssagrad simulate``, every SSA method, every gradient estimator and the exact
reference, a netCDF file and a plot) happens in a subprocess with a Python
audit hook (PEP 578) that records every socket and HTTP event, every process started
(only matplotlib's ``fc-list`` font listing is expected) and every file opened for
writing, created, renamed or removed. Allowed writes: the output directory
(which also holds matplotlib's config/cache via ``MPLCONFIGDIR``) and the documented
Numba cache of the native kernels (``backends/native/__pycache__``). Python's own
bytecode cache is switched off for the run (``PYTHONDONTWRITEBYTECODE``): it is the
interpreter's, not ssagrad's.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import ssagrad

RUN = textwrap.dedent(
    """
    import json, os, sys
    from pathlib import Path

    out = Path(sys.argv[1])
    events, processes, writes = [], [], []
    WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND

    def hook(event, args):
        if event.startswith(("socket.", "urllib.", "http.client.", "ftplib.", "smtplib.")):
            events.append(event)
        elif event in ("subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn"):
            processes.append(os.path.basename(str(args[0])))
        elif event == "open" and args[0] is not None and not isinstance(args[0], int):
            mode, flags = args[1], args[2]
            if (mode and any(c in mode for c in "wax+")) or (flags or 0) & WRITE_FLAGS:
                writes.append(str(args[0]))
        elif event in ("os.mkdir", "os.remove", "os.rmdir", "os.truncate", "os.symlink",
                       "os.link", "shutil.rmtree", "shutil.copyfile", "shutil.move"):
            writes.append(str(args[0]))
        elif event == "os.rename":
            writes.extend([str(args[0]), str(args[1])])

    sys.addaudithook(hook)

    import ssagrad
    import ssagrad.plotting
    from ssagrad import cli, models
    from ssagrad.backends import SSA_METHODS
    from ssagrad.estimators import ESTIMATORS

    m = models.telegraph()
    times = [0.5, 2.0]
    assert cli.main(["simulate", "birth_death", "--times", "0:5:6", "-n", "50",
                     "--out", str(out / "sim.nc")]) == 0
    for method in (*SSA_METHODS, "tau"):
        ds = ssagrad.simulate(m, times=times, n=100, seed=1, method=method)
    ds.to_netcdf(out / "telegraph.nc")
    ax = ssagrad.plotting.plot_trajectories(ds)
    ax.figure.savefig(out / "telegraph.png")
    for name in ESTIMATORS:
        ssagrad.gradient(m, times=times, estimator=name, n=50 if name != "exact" else 1, seed=2)
    print(json.dumps({
        "events": sorted(set(events)),
        "processes": sorted(set(processes)),
        "writes": sorted(set(writes)),
        "julia": sorted(k for k in sys.modules if "julia" in k.lower() and "backends" not in k),
        "backend": ds.attrs["backend"],
    }))
    """
)


def test_native_run_is_isolated(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON_JULIA", "SSAGRAD"))}
    env.update(
        MPLCONFIGDIR=str(out / "matplotlib"),
        MPLBACKEND="Agg",
        PYTHONDONTWRITEBYTECODE="1",
        PYTHONPATH=os.pathsep.join(
            filter(None, [str(Path(ssagrad.__file__).parents[1]), env.get("PYTHONPATH")])
        ),
    )
    script = tmp_path / "run.py"
    script.write_text(RUN)
    done = subprocess.run(
        [sys.executable, str(script), str(out)],
        capture_output=True,
        text=True,
        env=env,
        cwd=out,
        timeout=1800,
    )
    assert done.returncode == 0, done.stderr[-5000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["backend"] == "native"
    assert report["julia"] == [], "juliacall or juliapkg was imported"
    assert report["events"] == [], "network activity"
    # The only process: matplotlib listing the system's fonts for its fresh font cache.
    assert set(report["processes"]) <= {"fc-list"}, report["processes"]
    numba_cache = Path(ssagrad.__file__).parent / "backends" / "native" / "__pycache__"
    allowed = (out.resolve(), numba_cache.resolve())
    outside = [
        w
        for w in report["writes"]
        if not any(Path(w).resolve().is_relative_to(root) for root in allowed)
    ]
    assert outside == [], f"wrote outside the output paths: {outside}"
    for name in ("sim.nc", "telegraph.nc", "telegraph.png"):
        assert (out / name).is_file(), name
