"""Tables of ``ssagrad bench fit``: Markdown for the terminal and the docs, CSV beside it."""

from __future__ import annotations

import csv
import io
import platform
import time
from pathlib import Path

import numpy as np

from .._files import write_text
from . import fit as measure


def _speed_table(result: measure.SpeedResult) -> list[str]:
    per_step = result.seconds / result.steps
    lines = [
        "| what | steps | cells per step | wall s | ms per step | kernel share | Python share "
        "| ratio |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
        f"| ssagrad fit (score, W1, 2 threads) | {result.steps} | {result.n} | "
        f"{result.seconds:.2f} | {1e3 * per_step:.2f} | "
        f"{100 * (1 - result.python_share):.0f} % | {100 * result.python_share:.0f} % | 1 |",
    ]
    peer = result.peer
    if peer is not None:
        peer_step = peer.seconds / max(peer.steps - 1, 1)
        lines.append(
            f"| stochastix {peer.version} GS-ST loop (optax Adam, jit) | {peer.steps} | {peer.n} | "
            f"{peer.seconds:.2f} (+{peer.first_step_seconds:.1f} compile) | "
            f"{1e3 * peer_step:.1f} | — | — | {peer_step / per_step:.0f} |"
        )
    return lines


def _speed_section(result: measure.SpeedResult) -> list[str]:
    fitted = ", ".join(f"{k} = {v:.3g}" for k, v in result.params.items())
    lines = [
        "## Speed: telegraph W1 fit to 3 000 steady-state cells, 3 free rates",
        "",
        *_speed_table(result),
        "",
        f"Fitted (truth kon = 0.5, koff = 1, ktx = 10, kdeg = 1 fixed): {fitted}. About "
        f"{result.events_per_step:,.0f} SSA events per step.",
    ]
    if result.peer is not None:
        peer = result.peer
        per_step = peer.seconds / max(peer.steps - 1, 1)
        lines.append(
            f"stochastix ran {peer.steps} steps (its whole fit of {result.steps} steps would take "
            f"about {per_step * result.steps:.0f} s at this rate); 'ratio' is its time per "
            f"step over ours. Its fitted values after {peer.steps} steps: "
            + ", ".join(f"{k} = {v:.3g}" for k, v in peer.params.items())
        )
    elif result.peer_note:
        lines.append(result.peer_note)
    return lines


def _recovery_section(rows: list[measure.RecoveryRow]) -> list[str]:
    lines = ["## Recovery: relative error of each fitted rate against the truth", ""]
    for model in dict.fromkeys(r.model for r in rows):
        subset = [r for r in rows if r.model == model]
        names = list(subset[0].errors)
        times, cells, _ = measure.RECOVERY_DESIGNS[model]
        lines += [
            f"**{model}**: {cells} cells at each of t = {', '.join(f'{t:g}' for t in times)}; "
            f"start {measure.RECOVERY_STARTS[model]}; {subset[0].steps} steps, n = "
            f"{subset[0].n} (exact: no cells).",
            "",
            "| loss | estimator | " + " | ".join(names) + " | max abs | wall s |",
            "|---|---|" + "---:|" * (len(names) + 2),
        ]
        for r in subset:
            errors = [r.errors[k] for k in names]
            cells_text = " | ".join(f"{100 * e:+.1f} %" for e in errors)
            worst = max(abs(e) for e in errors)
            lines.append(
                f"| {r.loss} | {r.estimator} | {cells_text} | {100 * worst:.1f} % | "
                f"{r.seconds:.1f} |"
            )
        lines.append("")
    return lines


def _pooling_section(rows: list[measure.PoolingRow]) -> list[str]:
    lines = [
        "## Pooling: what a forward-only pool buys",
        "",
        "Telegraph W1, 3 000 steady-state cells, at the start point; 'fit error' is the mean "
        "over 3 fits (300 steps) of the worst relative error of kon, koff, ktx.",
        "",
        "| configuration | s per step | loss se | gradient sd (kon, koff, ktx, kdeg) | fit error |",
        "|---|---:|---:|---|---:|",
    ]
    for r in rows:
        sd = ", ".join(f"{v:.3g}" for v in r.gradient_sd)
        lines.append(
            f"| {r.label} | {r.seconds_per_step:.4f} | {r.value_se:.4f} | {sd} | "
            f"{100 * r.fit_error:.1f} % |"
        )
    return lines


def report(
    scale: float = 1.0,
    out: Path | None = None,
    peers: bool = True,
    parts: tuple[str, ...] = ("speed", "recovery", "pooling"),
) -> str:
    """Run the requested parts, write Markdown and CSV to ``out``, return the Markdown."""
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    lines = [
        f"# ssagrad bench fit — {stamp}, {platform.machine()}, scale {scale:g}",
        "",
    ]
    results = {}
    if "speed" in parts:
        results["speed"] = measure.speed(scale=scale, peers=peers)
        lines += _speed_section(results["speed"]) + [""]
    if "recovery" in parts:
        results["recovery"] = measure.recovery(scale=scale)
        lines += _recovery_section(results["recovery"])
    if "pooling" in parts:
        results["pooling"] = measure.pooling(
            repeats=max(5, int(20 * scale)), fits=max(1, int(3 * scale))
        )
        lines += _pooling_section(results["pooling"])
    text = "\n".join(lines) + "\n"
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        write_text(out / "fit.md", text)
        _write_csv(out, results)
    return text


def _write_csv(out: Path, results: dict) -> None:
    if "recovery" in results:
        buffer = io.StringIO(newline="")
        writer = csv.writer(buffer)
        writer.writerow(["model", "loss", "estimator", "parameter", "rel_error", "seconds"])
        for r in results["recovery"]:
            for name, error in r.errors.items():
                writer.writerow([r.model, r.loss, r.estimator, name, error, r.seconds])
        write_text(out / "fit_recovery.csv", buffer.getvalue())
    if "pooling" in results:
        buffer = io.StringIO(newline="")
        writer = csv.writer(buffer)
        writer.writerow(["n", "pool", "seconds_per_step", "value_se", "gradient_sd"])
        for r in results["pooling"]:
            writer.writerow(
                [
                    r.n,
                    r.pool,
                    r.seconds_per_step,
                    r.value_se,
                    " ".join(str(v) for v in np.asarray(r.gradient_sd)),
                ]
            )
        write_text(out / "fit_pooling.csv", buffer.getvalue())
