"""``python -m ssagrad.backends.julia status|install|fixtures``: the julia backend's chores.

* ``status``: what the backend would use (Julia executable and version, the compat
  bound, the SSAGrad sources, juliacall, juliapkg's environment) and what is missing.
* ``install``: the one step that downloads — juliapkg installs the Julia packages of
  ``ssagrad/juliapkg.json`` into juliacall's environment and precompiles them, then
  SSAGrad is precompiled. It never installs Julia itself.
* ``fixtures [--check]``: write (or check) ``julia/test/fixtures/cme.toml``, the exact
  references of ``julia/test/runtests.jl``.
"""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys

from ._locate import (
    JULIAPKG_JSON,
    julia_executable,
    julia_project,
    julia_requirements,
    julia_version,
    unavailable_reason,
)


def status() -> int:
    """Print what the julia backend finds; exit status 0 if it is usable."""
    exe = julia_executable()
    version = julia_version(exe) if exe else None
    print(f"julia executable : {exe or 'none found'}")
    print(f"julia version    : {'.'.join(map(str, version)) if version else 'unknown'}")
    print(f"julia compat     : {julia_requirements()['julia']} ({JULIAPKG_JSON})")
    print(f"SSAGrad sources  : {julia_project() or 'not found'}")
    print(
        f"juliacall        : {'installed' if importlib.util.find_spec('juliacall') else 'missing'}"
    )
    reason = unavailable_reason()
    print(f"usable           : {'yes' if reason is None else 'no: ' + reason}")
    return 0 if reason is None else 1


def install() -> int:
    """Resolve juliapkg's environment (downloads packages), then precompile SSAGrad."""
    reason = unavailable_reason()
    if reason is not None:  # never let juliapkg download Julia itself
        print(f"cannot install: {reason}", file=sys.stderr)
        return 1
    import juliapkg

    juliapkg.resolve()
    script = (
        f"push!(LOAD_PATH, {str(julia_project())!r}); import SSAGrad; import JumpProcesses; "
        'println("SSAGrad and its JumpProcesses extension are precompiled")'
    )
    command = [juliapkg.executable(), f"--project={juliapkg.project()}", "-e", script]
    return subprocess.run(command, check=False).returncode


def fixtures(check: bool) -> int:
    """Write or check ``julia/test/fixtures/cme.toml``."""
    from ._fixtures import fixtures_path, render, write

    if not check:
        print(f"wrote {write()}")
        return 0
    current = fixtures_path().read_text() if fixtures_path().is_file() else ""
    if current == render():
        print(f"{fixtures_path()} is current")
        return 0
    print(f"{fixtures_path()} is stale: run python -m ssagrad.backends.julia fixtures")
    return 1


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m ssagrad.backends.julia``."""
    parser = argparse.ArgumentParser(prog="python -m ssagrad.backends.julia")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("status", help="what the julia backend finds, and what is missing")
    commands.add_parser("install", help="install and precompile the Julia packages (downloads)")
    fix = commands.add_parser("fixtures", help="write julia/test/fixtures/cme.toml")
    fix.add_argument("--check", action="store_true", help="only check that it is current")
    args = parser.parse_args(argv)
    if args.command == "status":
        return status()
    if args.command == "install":
        return install()
    return fixtures(args.check)


if __name__ == "__main__":
    sys.exit(main())
