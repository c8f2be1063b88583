"""The documentation site builds with warnings as errors, offline, and covers every page."""

import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _nav_pages(nav) -> list[str]:
    pages = []
    for item in nav:
        value = next(iter(item.values())) if isinstance(item, dict) else item
        pages += _nav_pages(value) if isinstance(value, list) else [value]
    return pages


def test_nav_lists_every_page_of_docs():
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text())
    listed = set(_nav_pages(config["nav"]))
    pages = {p.relative_to(ROOT / "docs").as_posix() for p in (ROOT / "docs").rglob("*.md")}
    assert pages == listed, f"not in nav: {sorted(pages - listed)}; missing: {listed - pages}"


def test_mkdocs_build_strict(tmp_path):
    site = tmp_path / "site"
    run = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    api = (site / "api" / "simulation" / "index.html").read_text()
    assert "independent trajectories" in api  # rendered from simulate's docstring
    assert "on_max_events" in api  # its parameters section
    assert (site / "errors" / "index.html").exists()
