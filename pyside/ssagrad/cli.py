"""The ``ssagrad`` command line: ``demo``, ``simulate`` and ``bench``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from . import models
from ._version import __version__


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


def cmd_demo(args: argparse.Namespace) -> int:
    """Simulate the telegraph model; save netCDF and a PNG plot; print a summary."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .plotting import plot_trajectories
    from .simulate import simulate

    model = models.telegraph()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    times = np.linspace(0.0, model.t_end, 201)
    ds = simulate(model, times=times, n=args.n, seed=args.seed)
    nc_path = out / "telegraph.nc"
    ds.to_netcdf(nc_path)
    ax = plot_trajectories(ds, species=["M", "Gon"])
    ax.figure.savefig(out / "telegraph.png", dpi=120, bbox_inches="tight")
    plt.close(ax.figure)
    p = model.params
    steady_mean = p["ktx"] * p["kon"] / (p["kdeg"] * (p["kon"] + p["koff"]))
    switching = p["kon"] + p["koff"]
    steady_fano = 1 + p["ktx"] * p["koff"] / (switching * (switching + p["kdeg"]))
    final = ds.x.sel(species="M").isel(time=-1)
    print(f"ssagrad {__version__} demo: telegraph model, {args.n} trajectories, seed {args.seed}")
    print(model.network)
    print(f"params: {p}")
    print(
        f"mean M at t={model.t_end:g}: {float(final.mean()):.3f} "
        f"(steady-state theory {steady_mean:.3f}); "
        f"Fano factor {float(final.var() / final.mean()):.3f} (theory {steady_fano:.3f})"
    )
    print(f"events: {int(ds.events.sum())} in total")
    print(f"wrote {nc_path} and {out / 'telegraph.png'}")
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
        net, params, x0 = parse(path.read_text()), {}, {}
    params.update(_key_values(args.param, "--param", float))
    x0.update(_key_values(args.x0, "--x0", _count))
    ds = simulate(net, params, x0, _times(args.times), n=args.n, seed=args.seed, method=args.method)
    ds.to_netcdf(args.out)
    print(
        f"wrote {args.out}: {ds.sizes['sample']} trajectories x {ds.sizes['time']} times "
        f"x {ds.sizes['species']} species ({int(ds.events.sum())} events)"
    )
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    """Run a benchmark and print its table."""
    peers = not args.no_peers
    if args.what == "ssa":
        from .bench import ssa

        table = ssa.format_table(ssa.run(scale=args.scale, peers=peers))
    elif args.what == "lattice":
        from .bench import lattice

        rows = lattice.run(scale=args.scale, peers=peers)
        table = lattice.format_tables(rows, lattice.setup_times())
        plot = lattice.plot(rows, Path(args.out) / "lattice.png")
        table += f"\n\nplot: {plot}"
    elif args.what == "ab":
        from .bench import ab

        table = ab.format_table(ab.run(args.ref, Path(args.repo)), args.ref)
    else:
        from .bench import estimators

        table = estimators.report(scale=args.scale, out=Path(args.out), peers=peers)
    print(table)
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``ssagrad`` command."""
    parser = argparse.ArgumentParser(prog="ssagrad", description=__doc__)
    parser.add_argument("--version", action="version", version=f"ssagrad {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="simulate the telegraph model, save netCDF and a plot")
    demo.add_argument("--out", default="ssagrad-demo", help="output folder")
    demo.add_argument("-n", type=int, default=2000, help="trajectories")
    demo.add_argument("--seed", type=int, default=2026)
    demo.set_defaults(func=cmd_demo)

    sim = sub.add_parser("simulate", help="simulate a network file or zoo model")
    sim.add_argument("network", help="a reaction-network text file, or a zoo model name")
    sim.add_argument("--param", "-p", action="append", default=[], metavar="NAME=VALUE")
    sim.add_argument("--x0", action="append", default=[], metavar="SPECIES=COUNT")
    sim.add_argument("--times", required=True, help="start:stop:count or t1,t2,...")
    sim.add_argument("-n", type=int, default=100)
    sim.add_argument("--seed", type=int, default=None)
    sim.add_argument("--method", choices=("direct", "tau"), default="direct")
    sim.add_argument("--out", default="simulation.nc")
    sim.set_defaults(func=cmd_simulate)

    bench = sub.add_parser("bench", help="benchmarks against peers, side by side")
    bench.add_argument("what", choices=("ssa", "lattice", "estimators", "ab"))
    bench.add_argument("--scale", type=float, default=1.0, help="workload size factor")
    bench.add_argument(
        "--no-peers", action="store_true", help="skip GillesPy2, bioscrape, stochastix"
    )
    bench.add_argument("--ref", default="HEAD", help="ab: the git revision to compare with")
    bench.add_argument("--repo", default=".", help="ab: the git checkout holding --ref")
    bench.add_argument("--out", default="ssagrad-bench", help="folder for tables and plots")
    bench.set_defaults(func=cmd_bench)
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
