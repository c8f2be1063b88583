"""The ``ssagrad`` command line: ``demo``, ``fit``, ``simulate``, ``bench`` and ``repro``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import numpy as np

from . import models
from ._files import write_json, write_netcdf, write_text
from ._version import __version__
from .distributed import client_for
from .simulate import METHODS


def _key_values(items: list[str], what: str, cast) -> dict:
    out = {}
    for item in items:
        if "=" not in item:
            raise ValueError(f"{what} must look like NAME=VALUE, got {item!r}")
        key, value = item.split("=", 1)
        try:
            out[key.strip()] = cast(value)
        except ValueError:
            raise ValueError(f"{what} {key.strip()!r}: cannot read {value!r}") from None
    return out


def _times(text: str) -> np.ndarray:
    """``start:stop:count`` (inclusive, evenly spaced) or a comma-separated list."""
    if ":" in text:
        parts = text.split(":")
        if len(parts) != 3:
            raise ValueError(f"times must be start:stop:count or a list, got {text!r}")
        return np.linspace(float(parts[0]), float(parts[1]), int(parts[2]))
    return np.array([float(v) for v in text.split(",")])


def _count(value: str) -> float:
    return float(value)


def _positive_int(value: str) -> int:
    """An argparse type: a positive integer, else a usage error naming the value."""
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value!r}")
    return number


def cmd_demo(args: argparse.Namespace) -> int:
    """Fit the telegraph model to synthetic data; save data, fit and figure."""
    import matplotlib

    matplotlib.use("Agg")
    from .demo import run_demo

    run_demo(
        args.out,
        cells=args.cells,
        steps=args.steps,
        n=args.n,
        seed=args.seed,
        progress=not args.no_progress,
    )
    return 0


def _network(name: str):
    """A zoo model by name, or a network file; returns (network or model, params, x0)."""
    from .parse import parse

    if name in models.available():
        return models.get(name)
    path = Path(name)
    if not path.is_file():
        raise ValueError(
            f"{name!r} is neither a file nor a zoo model ({', '.join(models.available())})"
        )
    return parse(path.read_text())


def cmd_fit(args: argparse.Namespace) -> int:
    """Fit a network to a data file; write parameters, history and plots."""
    import matplotlib

    matplotlib.use("Agg")
    from .fitting import fit

    net = _network(args.network)
    out = Path(args.out)
    init = _key_values(args.init, "--init", float) or None
    if isinstance(net, models.Model) and init is not None:
        init = {**net.params, **init}
    with client_for(args.scheduler) as client:
        result = _fit_command(fit, net, args, init, out, client)
    write_json(out / "params.json", result.params, indent=2)
    result.save(out / "fit.nc")
    write_netcdf(out / "history.nc", result.history)
    result.plot(out / "fit.png")
    print(result.summary().to_string())
    print(f"loss {result.loss:.5g} ± {result.best.loss_se:.2g} ({result.best.status})")
    print(f"wrote {out / 'params.json'}, {out / 'history.nc'}, {out / 'fit.nc'}, {out / 'fit.png'}")
    return 0


def cmd_simulate(args: argparse.Namespace) -> int:
    """Simulate a network file (or zoo model) and write netCDF."""
    from .parse import parse
    from .simulate import simulate

    if args.network in models.available():
        model = models.get(args.network)
        net, params, x0 = model.network, dict(model.params), dict(model.x0)
    else:
        path = Path(args.network)
        if not path.is_file():
            raise ValueError(
                f"{args.network!r} is neither a file nor a zoo model "
                f"({', '.join(models.available())})"
            )
        if _is_sbml(path):
            from .sbml import read_sbml

            model = read_sbml(str(path))
            net, params, x0 = model.network, dict(model.params), dict(model.x0)
        else:
            net, params, x0 = parse(path.read_text()), {}, {}
    params.update(_key_values(args.param, "--param", float))
    x0.update(_key_values(args.x0, "--x0", _count))
    ds = simulate(
        net,
        params,
        x0,
        _times(args.times),
        n=args.n,
        seed=args.seed,
        method=args.method,
        rate_bound=args.rate_bound,
    )
    write_netcdf(args.out, ds)
    print(
        f"wrote {args.out}: {ds.sizes['sample']} trajectories x {ds.sizes['time']} times "
        f"x {ds.sizes['species']} species ({int(ds.events.sum())} events)"
    )
    return 0


def _is_sbml(path: Path) -> bool:
    """An SBML file: ``.xml``/``.sbml``, or text that starts with an XML declaration."""
    if path.suffix.lower() in (".xml", ".sbml"):
        return True
    with open(path, encoding="utf-8", errors="replace") as handle:
        return handle.read(200).lstrip().startswith("<")


def cmd_conformance(args: argparse.Namespace) -> int:
    """Run the DSMTS cases of a local copy of the SBML Test Suite; print the report."""
    from .conformance import report, run_dsmts

    results = run_dsmts(args.path, n=args.n, seed=args.seed, exact_fallback=args.exact_fallback)
    text = report(results, args.n)
    if args.out:
        write_text(args.out, text + "\n")
    print(text)
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    """Run a benchmark and print its table."""
    peers = not args.no_peers
    if args.what == "ssa":
        from .bench import ssa

        table = ssa.format_table(ssa.run(scale=args.scale, repeats=args.repeats, peers=peers))
    elif args.what == "fit":
        from .bench import fit_report

        table = fit_report.report(scale=args.scale, out=Path(args.out), peers=peers)
    elif args.what == "lattice":
        from .bench import lattice

        rows = lattice.run(scale=args.scale, peers=peers)
        table = lattice.format_tables(rows, lattice.setup_times())
        plot = lattice.plot(rows, Path(args.out) / "lattice.png")
        table += f"\n\nplot: {plot}"
    elif args.what == "expressions":
        from .bench import expressions

        table = expressions.format_table(expressions.run(scale=args.scale))
    elif args.what == "dask":
        from .bench import dask

        table = dask.format_table(dask.run(scale=args.scale, repeats=args.repeats), args.repeats)
    elif args.what == "ab":
        from .bench import ab

        table = ab.format_table(ab.run(args.ref, Path(args.repo)), args.ref)
    else:
        from .bench import estimators

        table = estimators.report(scale=args.scale, out=Path(args.out), peers=peers)
    print(table)
    return 0


def _fit_command(fit, net, args: argparse.Namespace, init, out: Path, client):
    """``fit`` with the command's arguments (and the Dask client, if any)."""
    return fit(
        net,
        args.data,
        x0=_key_values(args.x0, "--x0", _count) or None,
        loss=args.loss,
        estimator=args.estimator,
        init=init,
        fixed=args.fixed,
        steps=args.steps,
        n=args.n,
        pool=args.pool,
        starts=args.starts,
        seed=args.seed,
        lr=args.lr,
        checkpoint=out / "checkpoint.npz",
        resume=args.resume,
        progress=not args.no_progress,
        client=client,
    )


def cmd_repro(args: argparse.Namespace) -> int:
    """Run one reproduction (resuming what is in its folder); print where its files are."""
    import matplotlib

    matplotlib.use("Agg")
    from . import repro

    names = list(repro.EXPERIMENTS) if args.name == "all" else [args.name]
    for name in names:
        out = Path(args.out or "ssagrad-repro")
        if args.name == "all" or not args.out:
            out = out / name
        if out.exists() and not out.is_dir():
            raise ValueError(f"--out {str(out)!r} exists and is not a folder")
        size = "quick" if args.quick else "full"
        print(f"{name} ({size}): {repro.EXPERIMENTS[name][1]} -> {out}", flush=True)
        with client_for(args.scheduler) as client:
            report = repro.run(
                name, out, quick=args.quick, progress=not args.no_progress, client=client
            )
        print(f"wrote {report.markdown} and:")
        print("\n".join(report.lines()[1:]))
    return 0


def _add_conformance_parser(sub: Any) -> None:
    """The ``conformance`` subcommand."""
    conf = sub.add_parser("conformance", help="run a local copy of a conformance suite")
    conf.add_argument("suite", choices=("dsmts",), help="dsmts: SBML Test Suite cases/stochastic")
    conf.add_argument("path", help="folder of case folders NNNNN/ (not shipped with ssagrad)")
    conf.add_argument("-n", type=int, default=10_000, help="trajectories per case")
    conf.add_argument("--seed", type=int, default=1)
    conf.add_argument("--out", default=None, help="also write the markdown report here")
    conf.add_argument(
        "--exact-fallback",
        action="store_true",
        help="judge event-free cases without expected results against ssagrad.exact",
    )
    conf.set_defaults(func=cmd_conformance)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``ssagrad`` command."""
    parser = argparse.ArgumentParser(prog="ssagrad", description=__doc__)
    parser.add_argument("--version", action="version", version=f"ssagrad {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="fit the telegraph model to synthetic single-cell data")
    demo.add_argument("--out", default="ssagrad-demo", help="output folder")
    demo.add_argument("--cells", type=int, default=2000, help="measured cells per time point")
    demo.add_argument("--steps", type=int, default=600, help="optimiser steps")
    demo.add_argument("-n", type=int, default=1000, help="simulated cells per step")
    demo.add_argument("--seed", type=int, default=2026)
    demo.add_argument("--no-progress", action="store_true", help="no progress bar")
    demo.set_defaults(func=cmd_demo)

    fit = sub.add_parser("fit", help="fit a network to observed counts (netCDF or CSV)")
    fit.add_argument("network", help="a reaction-network text file, or a zoo model name")
    fit.add_argument("data", help="counts: netCDF from simulate, or CSV (long or wide form)")
    fit.add_argument("--loss", default="w1", help="w1, moments or rmse")
    fit.add_argument("--estimator", default="score")
    fit.add_argument("--steps", type=int, default=300)
    fit.add_argument("-n", type=int, default=1000, help="gradient-tracked cells per step")
    fit.add_argument("--pool", type=int, default=None, help="forward-only cells per step")
    fit.add_argument("--init", action="append", default=[], metavar="NAME=VALUE")
    fit.add_argument("--fixed", action="append", default=[], metavar="NAME")
    fit.add_argument("--x0", action="append", default=[], metavar="SPECIES=COUNT")
    fit.add_argument("--starts", type=int, default=1)
    fit.add_argument("--lr", type=float, default=None)
    fit.add_argument("--seed", type=int, default=None)
    fit.add_argument("--resume", default=None, help="checkpoint to continue from")
    fit.add_argument("--no-progress", action="store_true", help="no progress bar")
    fit.add_argument("--out", default="ssagrad-fit", help="output folder")
    fit.add_argument(
        "--scheduler", default=None, help="run the starts on a Dask cluster (address or 'local')"
    )
    fit.set_defaults(func=cmd_fit)

    sim = sub.add_parser("simulate", help="simulate a network file or zoo model")
    sim.add_argument("network", help="a reaction-network text file, or a zoo model name")
    sim.add_argument("--param", "-p", action="append", default=[], metavar="NAME=VALUE")
    sim.add_argument("--x0", action="append", default=[], metavar="SPECIES=COUNT")
    sim.add_argument("--times", required=True, help="start:stop:count or t1,t2,...")
    sim.add_argument("-n", type=int, default=100)
    sim.add_argument("--seed", type=int, default=None)
    sim.add_argument("--method", choices=METHODS, default="direct")
    sim.add_argument("--out", default="simulation.nc")
    sim.add_argument(
        "--rate-bound", type=float, default=None, help="thinning bound for rates that read t"
    )
    sim.set_defaults(func=cmd_simulate)

    bench = sub.add_parser("bench", help="benchmarks against peers, side by side")
    bench.add_argument(
        "what", choices=("ssa", "lattice", "estimators", "fit", "dask", "ab", "expressions")
    )
    bench.add_argument("--scale", type=float, default=1.0, help="workload size factor")
    bench.add_argument(
        "--repeats", type=_positive_int, default=5, help="ssa, dask: timed rounds, best counts"
    )
    bench.add_argument(
        "--no-peers", action="store_true", help="skip GillesPy2, bioscrape, stochastix"
    )
    bench.add_argument("--ref", default="HEAD", help="ab: the git revision to compare with")
    bench.add_argument("--repo", default=".", help="ab: the git checkout holding --ref")
    bench.add_argument("--out", default="ssagrad-bench", help="folder for tables and plots")
    bench.set_defaults(func=cmd_bench)

    _add_conformance_parser(sub)

    from .repro import EXPERIMENTS

    repro = sub.add_parser("repro", help="reproduce the sources' inference experiments")
    repro.add_argument("name", choices=(*EXPERIMENTS, "all"), help="the experiment")
    repro.add_argument("--quick", action="store_true", help="the small version (minutes)")
    repro.add_argument(
        "--out",
        default=None,
        help="output folder (default ssagrad-repro/NAME; for 'all', DIR/NAME per experiment)",
    )
    repro.add_argument("--no-progress", action="store_true", help="no progress bar")
    repro.add_argument(
        "--scheduler",
        default=None,
        help="run the fits on a Dask cluster: a scheduler address, or 'local' for a "
        "LocalCluster (pip install 'ssagrad[dask]')",
    )
    repro.set_defaults(func=cmd_repro)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``ssagrad`` command."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (ValueError, TypeError, RuntimeError) as err:
        print(f"ssagrad: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
