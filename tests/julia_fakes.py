"""A fake ``juliacall`` (and ``juliapkg``) for testing the julia backend's bridge without Julia.

The fake ``Main`` records every ``seval`` and kernel call; its SSAGrad kernels return
arrays in Julia's layout (column-major, dimensions reversed) whose entries encode their
index, so a test can check that the backend hands back the contract's ``(N, T, S)``
arrays. Install it with :func:`install_fake_julia` (a pytest ``monkeypatch`` undoes it).
"""

from __future__ import annotations

import importlib.machinery
import types
from pathlib import Path
from typing import Any

import numpy as np


def encoded(shape: tuple[int, ...], dtype: type = np.int64) -> np.ndarray:
    """A column-major array of ``shape`` (Julia's order) whose entry at contract index ``i``
    contract's, i.e. reversed, order) is ``sum(i_k 10^k)``: easy to check after the flip."""
    contract = np.zeros(shape[::-1], dtype=dtype)
    for index in np.ndindex(*contract.shape):
        contract[index] = sum(v * 10**k for k, v in enumerate(reversed(index)))
    return np.asfortranarray(contract.transpose())


class FakeSSAGrad:
    """Records calls; returns arrays of the shapes the real kernels return."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple, dict]] = []

    def _record(self, name: str, args: tuple, kwargs: dict) -> None:
        self.calls.append((name, args, kwargs))

    def ReactionNetwork(self, **kwargs: Any) -> dict:  # noqa: N802 (Julia's name)
        self._record("ReactionNetwork", (), kwargs)
        return {"fake_network": kwargs}

    def simulate(self, net, theta, x0, times, seeds, **kwargs):
        self._record("simulate", (net, theta, x0, times, seeds), kwargs)
        s, t, n = len(x0), len(times), len(seeds)
        return encoded((s, t, n)), np.arange(n), np.zeros(n, dtype=np.int64)

    def simulate_score(self, net, theta, n_params, x0, times, seeds, **kwargs):
        self._record("simulate_score", (net, theta, n_params, x0, times, seeds), kwargs)
        s, t, n = len(x0), len(times), len(seeds)
        scores = encoded((n_params, t, n), np.float64)
        return encoded((s, t, n)), scores, np.arange(n), np.zeros(n, dtype=np.int64)

    def simulate_gumbel(self, net, theta, n_params, x0, times, seeds, **kwargs):
        self._record("simulate_gumbel", (net, theta, n_params, x0, times, seeds), kwargs)
        s, t, n = len(x0), len(times), len(seeds)
        tangents = encoded((n_params, s, t, n), np.float64)
        return encoded((s, t, n)), tangents, np.arange(n), np.zeros(n, dtype=np.int64)

    def simulate_altpath(self, net, theta, n_params, x0, times, seeds, **kwargs):
        self._record("simulate_altpath", (net, theta, n_params, x0, times, seeds), kwargs)
        s, t, n = len(x0), len(times), len(seeds)
        return (
            encoded((s, t, n)),
            encoded((n_params, s, t, n)),
            np.asfortranarray(np.ones((n_params, t, n))),
            np.arange(n),
            np.zeros(n, dtype=np.int64),
        )

    def simulate_coupled(self, net, plus, minus, x0, times, seeds, **kwargs):
        self._record("simulate_coupled", (net, plus, minus, x0, times, seeds), kwargs)
        d, s, t, n = plus.shape[1], len(x0), len(times), len(seeds)
        return (
            encoded((d, s, t, n)),
            encoded((d, s, t, n)),
            np.arange(n),
            np.zeros(n, dtype=np.int64),
        )


class FakeMain:
    """``juliacall.Main``: ``seval`` of the few strings the bridge evaluates."""

    def __init__(self, fail_import: str | None = None) -> None:
        self.evaluated: list[str] = []
        self.load_path: list[str] = []
        self.fail_import = fail_import
        self.SSAGrad = FakeSSAGrad()
        self.Threads = types.SimpleNamespace(nthreads=lambda: 2)
        self.JumpProcesses = types.SimpleNamespace(
            SortingDirect=lambda: "SortingDirect()",
            NRM=lambda: "NRM()",
            DirectCR=lambda: "DirectCR()",
        )

    def seval(self, code: str) -> Any:
        self.evaluated.append(code)
        if "LOAD_PATH" in code:
            return self.load_path.append
        if code.startswith("import") and self.fail_import is not None:
            raise RuntimeError(self.fail_import)
        return None


def install_fake_julia(monkeypatch, tmp_path: Path, version: str = "1.10.4", **main: Any):
    """A fake ``julia`` executable and a fake ``juliacall`` module; returns the fake Main.

    ``PYTHON_JULIACALL_EXE`` and ``PYTHON_JULIACALL_PROJECT`` are set, so juliapkg is
    bypassed as it is for a user who configures both.
    """
    exe = fake_julia(tmp_path, version)
    fake = FakeMain(**main)
    module = types.ModuleType("juliacall")
    module.__spec__ = importlib.machinery.ModuleSpec("juliacall", None)
    module.Main = fake
    monkeypatch.setitem(__import__("sys").modules, "juliacall", module)
    monkeypatch.setenv("PYTHON_JULIACALL_EXE", str(exe))
    monkeypatch.setenv("PYTHON_JULIACALL_PROJECT", str(tmp_path))
    monkeypatch.delenv("PYTHON_JULIAPKG_OFFLINE", raising=False)
    monkeypatch.setenv("PYTHON_JULIACALL_HANDLE_SIGNALS", "yes")
    return fake


def fake_julia(directory: Path, version: str = "1.10.4") -> Path:
    """An executable ``julia`` script in ``directory`` that answers ``--version``."""
    exe = directory / "julia"
    exe.write_text(f'#!/bin/sh\necho "julia version {version}"\n')
    exe.chmod(0o755)
    return exe


def install_fake_juliapkg(monkeypatch, resolved: bool) -> list:
    """A fake ``juliapkg`` whose dry-run resolution answers ``resolved``; returns its calls."""
    calls: list = []
    module = types.ModuleType("juliapkg")
    state = types.ModuleType("juliapkg.state")
    state.STATE = {"project": "/fake/julia_env"}

    def resolve(dry_run: bool = False, **kwargs: Any) -> bool:
        calls.append(("resolve", dry_run))
        return resolved

    module.resolve = resolve
    module.state = state
    monkeypatch.setitem(__import__("sys").modules, "juliapkg", module)
    monkeypatch.setitem(__import__("sys").modules, "juliapkg.state", state)
    return calls
