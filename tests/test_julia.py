"""The Julia side without Julia: static checks of julia/, the packaging (package data,
juliapkg.json and its compat), the fixtures, and the juliacall bridge against a fake
juliacall. The Julia test-suite itself runs only where a Julia executable exists."""

import importlib.util
import json
import math
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from ssagrad.backends.julia import _fixtures, _locate, julia_executable, unavailable_reason

ROOT = Path(__file__).resolve().parents[1]
JULIA_FILES = sorted((ROOT / "julia").rglob("*.jl"))
PYSIDE = ROOT / "pyside"
tomllib = pytest.importorskip("tomllib")


def _fatou() -> str:
    fatou = shutil.which("fatou")
    if fatou is None:
        pytest.skip("the fatou command is missing: pip install -e '.[test]' (test extras)")
    return fatou


# --- static checks of the Julia sources: always ------------------------------------------


def test_julia_package_files_exist():
    for part in ("src/SSAGrad.jl", "ext/SSAGradJumpProcessesExt.jl", "test/runtests.jl"):
        assert (ROOT / "julia" / part).is_file(), part
    assert len(JULIA_FILES) >= 10


@pytest.mark.parametrize("path", JULIA_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_fatou_parses_every_julia_file(path):
    # `fatou parse` exits 0 even on syntax errors: they are reported as diagnostics on stderr.
    result = subprocess.run(
        [_fatou(), "parse", "--to", "sexpr", str(path)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert "diagnostic" not in result.stderr, result.stderr


def test_fatou_lint_is_clean():
    result = subprocess.run(
        [_fatou(), "lint", "src", "ext", "test"],
        capture_output=True,
        text=True,
        cwd=ROOT / "julia",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "clean" in result.stdout + result.stderr


def test_every_source_file_is_included():
    module = (ROOT / "julia" / "src" / "SSAGrad.jl").read_text()
    for path in (ROOT / "julia" / "src").glob("*.jl"):
        assert path.name == "SSAGrad.jl" or f'include("{path.name}")' in module, path.name


# --- packaging: juliapkg.json, Project.toml, package data --------------------------------


def test_julia_projects_and_juliapkg_json_agree():
    package = tomllib.loads((ROOT / "julia" / "Project.toml").read_text())
    environment = tomllib.loads((ROOT / "Project.toml").read_text())
    requirements = json.loads((PYSIDE / "ssagrad" / "juliapkg.json").read_text())
    assert package["name"] == "SSAGrad" and "name" not in environment
    assert environment["deps"]["SSAGrad"] == package["uuid"]
    assert environment["sources"]["SSAGrad"] == {"path": "julia"}
    # JumpProcesses is a weak dependency, loaded by the extension only.
    assert "JumpProcesses" not in package["deps"]
    assert package["extensions"] == {"SSAGradJumpProcessesExt": "JumpProcesses"}
    # juliapkg.json installs every (weak) dependency with the package's own compat bounds.
    declared = {**package["deps"], **package["weakdeps"]}
    assert set(requirements["packages"]) == set(declared)
    for name, spec in requirements["packages"].items():
        assert spec["uuid"] == declared[name], name
        assert spec["version"] == package["compat"][name], name
    assert requirements["julia"] == package["compat"]["julia"] == environment["compat"]["julia"]


def test_juliapkg_reads_our_requirements(tmp_path):
    """juliapkg's own parser merges ssagrad's juliapkg.json (found on sys.path) cleanly."""
    if importlib.util.find_spec("juliapkg") is None:
        pytest.skip("juliapkg is not installed: pip install 'ssagrad[julia]'")
    script = textwrap.dedent(
        """
        import json, juliapkg.deps as deps
        compat, packages = deps.find_requirements()
        print(json.dumps({"julia": str(compat),
                          "packages": {p.name: [p.uuid, p.version] for p in packages}}))
        """
    )
    env = dict(
        os.environ,
        PYTHONPATH=str(PYSIDE),
        PYTHON_JULIAPKG_OFFLINE="yes",
        PYTHON_JULIAPKG_PROJECT=str(tmp_path),  # never the user's environment
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout.strip().splitlines()[-1])
    ours = _locate.julia_requirements()["packages"]
    for name, spec in ours.items():
        assert found["packages"][name][0] == spec["uuid"], name
    assert "1.10" in found["julia"]  # ours, intersected with juliacall's own bound
    assert not any(tmp_path.iterdir()), "juliapkg wrote into its project while only reading"


def test_build_ships_the_julia_package_as_package_data(tmp_path):
    """setup.py's mapping puts julia/ into the built package as ssagrad/_julia, with
    juliapkg.json, and an installed ssagrad finds that copy without a checkout."""
    pytest.importorskip("setuptools")
    build = tmp_path / "lib"
    result = subprocess.run(
        [sys.executable, "setup.py", "-q", "build_py", "--build-lib", str(build)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    shipped = build / "ssagrad" / "_julia"
    for path in JULIA_FILES:
        assert (shipped / path.relative_to(ROOT / "julia")).is_file(), path
    assert (shipped / "Project.toml").is_file()
    assert (shipped / "test" / "fixtures" / "cme.toml").is_file()
    assert (build / "ssagrad" / "juliapkg.json").is_file()
    script = "from ssagrad.backends.julia import julia_project; print(julia_project())"
    env = {k: v for k, v in os.environ.items() if k != "SSAGRAD_JULIA_PROJECT"}
    env["PYTHONPATH"] = str(build)
    found = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, cwd=tmp_path
    )
    assert found.returncode == 0, found.stderr
    assert found.stdout.strip() == str(shipped)


def test_julia_project_lookup_order(tmp_path, monkeypatch):
    package = tmp_path / "SSAGrad"
    (package / "src").mkdir(parents=True)
    (package / "Project.toml").write_text('name = "SSAGrad"\n')
    monkeypatch.setenv("SSAGRAD_JULIA_PROJECT", str(package))
    assert _locate.julia_project() == package.resolve()
    monkeypatch.setenv("SSAGRAD_JULIA_PROJECT", str(tmp_path / "elsewhere"))
    assert _locate.julia_project() is None
    assert "SSAGRAD_JULIA_PROJECT=" in (unavailable_reason() or "")
    monkeypatch.delenv("SSAGRAD_JULIA_PROJECT")
    monkeypatch.setattr(_locate, "SHIPPED_PROJECT", package)
    assert _locate.julia_project() == package  # the shipped copy comes first
    monkeypatch.setattr(_locate, "SHIPPED_PROJECT", tmp_path / "none")
    assert _locate.julia_project() == ROOT / "julia"  # then the checkout


@pytest.mark.parametrize(
    ("spec", "version", "inside"),
    [
        ("1.10", (1, 10, 0), True),
        ("1.10", (1, 12, 3), True),
        ("1.10", (1, 9, 4), False),
        ("1.10", (2, 0, 0), False),
        ("0.10, 1", (1, 2, 0), True),
        ("0.10, 1", (0, 11, 0), False),
        ("^0.0.3", (0, 0, 4), False),
        ("~1.2", (1, 2, 9), True),
        ("~1.2", (1, 3, 0), False),
        ("=1.2.3", (1, 2, 3), True),
        ("1.2 - 1.5", (1, 5, 9), True),
        ("1.2 - 1.5", (1, 6, 0), False),
    ],
)
def test_compat_bounds(spec, version, inside):
    assert _locate.compat_contains(spec, version) is inside


def test_compat_rejects_what_it_cannot_read():
    with pytest.raises(ValueError, match="unsupported Julia compat"):
        _locate.compat_contains(">= 1.10", (1, 10, 0))


# --- the fixtures of julia/test/runtests.jl ------------------------------------------------


def _assert_same(committed, fresh, where="fixtures"):
    if isinstance(fresh, dict):
        assert set(committed) == set(fresh), where
        for key in fresh:
            _assert_same(committed[key], fresh[key], f"{where}.{key}")
    elif isinstance(fresh, list):
        assert len(committed) == len(fresh), where
        for i, (a, b) in enumerate(zip(committed, fresh, strict=True)):
            _assert_same(a, b, f"{where}[{i}]")
    elif isinstance(fresh, float):
        assert math.isclose(committed, fresh, rel_tol=1e-7, abs_tol=1e-12), where
    else:
        assert committed == fresh, where


def test_committed_fixtures_are_current():
    """julia/test/fixtures/cme.toml is what `python -m ssagrad.backends.julia fixtures`
    writes (numbers compared to 1e-7: the FSP solver's last digits may vary)."""
    committed = tomllib.loads(_fixtures.fixtures_path().read_text())
    fresh = tomllib.loads(_fixtures.render())
    _assert_same(committed, fresh)


def test_fixture_toml_writer_round_trips():
    value = {"a": [[1.5, 2e-300], [0.1, 3.0]], "s": 'x "y"\n', "n": [1, -2], "e": []}
    text = "\n".join(_fixtures._toml_table("[t]", value))
    assert tomllib.loads(text)["t"] == value
    with pytest.raises(ValueError, match="non-finite"):
        _fixtures._toml_value(float("nan"))


# --- import hygiene and the command line ---------------------------------------------------


def test_importing_ssagrad_never_imports_juliacall():
    script = textwrap.dedent(
        """
        import sys
        import ssagrad
        from ssagrad.backends.julia import julia_executable, unavailable_reason
        julia_executable()
        unavailable_reason()
        ssagrad.available_backends()
        print(sorted(name for name in ("juliacall", "juliapkg") if name in sys.modules))
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_status_and_install_commands_without_julia(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON_JULIA")}
    env.update(PATH=str(tmp_path), PYTHONPATH=str(PYSIDE))
    command = [sys.executable, "-m", "ssagrad.backends.julia"]
    status = subprocess.run([*command, "status"], capture_output=True, text=True, env=env)
    assert status.returncode == 1
    assert "no Julia executable" in status.stdout and "PYTHON_JULIAPKG_OFFLINE" in status.stdout
    install = subprocess.run(
        [*command, "install"], capture_output=True, text=True, env=env, cwd=tmp_path
    )
    assert install.returncode == 1 and "cannot install" in install.stderr
    assert list(tmp_path.iterdir()) == []  # it downloaded and wrote nothing


# --- with a Julia executable only ----------------------------------------------------------


@pytest.mark.slow
def test_julia_test_suite():
    julia = julia_executable()
    if julia is None:
        pytest.skip("no Julia executable: put julia on PATH or set PYTHON_JULIAPKG_EXE")
    command = 'import Pkg; Pkg.test(julia_args = ["--threads=4"])'
    result = subprocess.run(
        [julia, "--startup-file=no", f"--project={ROOT / 'julia'}", "-e", command],
        capture_output=True,
        text=True,
        timeout=3600,
    )
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-5000:]
