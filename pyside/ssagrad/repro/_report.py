"""Tables (Markdown + CSV) and figures of the reproductions, written atomically."""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ._store import write_text_atomic

__all__ = [
    "Report",
    "error_summary",
    "finish",
    "size_line",
    "pick",
    "values",
    "markdown_table",
    "rel_error",
    "save_figure",
    "write_table",
]

#: A fit "recovers" a quantity when its relative error is within this.
TOLERANCE = 0.10


@dataclass
class Report:
    """What an experiment wrote: its folder, Markdown report, tables and figures."""

    out: Path
    markdown: Path | None = None
    tables: list[Path] = field(default_factory=list)
    figures: list[Path] = field(default_factory=list)

    def lines(self) -> list[str]:
        """One line per file written, for the command line."""
        paths = [self.markdown, *self.tables, *self.figures]
        return [f"  {p}" for p in paths if p is not None]


def pick(records: Sequence[dict], **spec) -> list[dict]:
    """The records whose spec has every given value.

    Examples
    --------
    >>> rs = [{"spec": {"a": 1, "b": 2}}, {"spec": {"a": 1, "b": 3}}]
    >>> len(pick(rs, a=1)), len(pick(rs, a=1, b=3))
    (2, 1)
    """
    return [r for r in records if all(r["spec"].get(k) == v for k, v in spec.items())]


def values(records: Sequence[dict], key: str) -> list:
    """The distinct values of ``spec[key]`` over ``records``, in order of appearance."""
    return list(dict.fromkeys(r["spec"][key] for r in records))


def rel_error(fitted: float, truth: float) -> float:
    """``fitted / truth - 1``.

    Examples
    --------
    >>> round(rel_error(1.1, 1.0), 12)
    0.1
    """
    return float(fitted) / float(truth) - 1.0


def _format(value: object) -> str:
    if isinstance(value, float | np.floating):
        if not np.isfinite(value):
            return "–"
        if value != 0 and (abs(value) >= 1e4 or abs(value) < 1e-3):
            return f"{value:.3g}"
        return f"{value:.3f}".rstrip("0").rstrip(".") if abs(value) < 100 else f"{value:.1f}"
    return str(value)


def markdown_table(frame: pd.DataFrame) -> str:
    """A GitHub Markdown table of ``frame`` (index dropped), numbers to about 3 digits.

    Examples
    --------
    >>> print(markdown_table(pd.DataFrame({"a": [1, 2], "b": [0.12345, np.nan]})))
    | a | b |
    |---|---|
    | 1 | 0.123 |
    | 2 | – |
    """
    header = "| " + " | ".join(str(c) for c in frame.columns) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    rows = ["| " + " | ".join(_format(v) for v in row) + " |" for row in frame.itertuples(False)]
    return "\n".join([header, rule, *rows])


def write_table(frame: pd.DataFrame, out: Path, name: str, report: Report) -> str:
    """Write ``out/name.csv`` and ``out/name.md``; return the Markdown text."""
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False)
    report.tables.append(write_text_atomic(out / f"{name}.csv", buffer.getvalue()))
    text = markdown_table(frame)
    report.tables.append(write_text_atomic(out / f"{name}.md", text + "\n"))
    return text


def save_figure(fig, path: str | os.PathLike, report: Report) -> Path:
    """Save a matplotlib figure through a temporary file renamed over ``path``; close it."""
    import matplotlib.pyplot as plt

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.tmp-{os.getpid()}{path.suffix}")
    try:
        fig.savefig(tmp, dpi=100)
        os.replace(tmp, path)
    finally:
        plt.close(fig)
        if tmp.exists():
            tmp.unlink()
    report.figures.append(path)
    return path


def error_summary(errors: Sequence[float]) -> dict:
    """Median absolute relative error and the fraction within :data:`TOLERANCE`.

    Examples
    --------
    >>> error_summary([0.05, -0.2, 0.01, np.nan])
    {'median |rel err|': 0.05, 'within 10 %': 0.667, 'fits': 3}
    """
    e = np.abs(np.asarray(errors, dtype=float))
    e = e[np.isfinite(e)]
    if e.size == 0:
        return {"median |rel err|": np.nan, "within 10 %": np.nan, "fits": 0}
    return {
        "median |rel err|": float(np.median(e)),
        "within 10 %": round(float(np.mean(e <= TOLERANCE)), 3),
        "fits": int(e.size),
    }


def size_line(config, records: Sequence[dict]) -> str:
    """The run's size (the config's fields) and the summed wall time of its fits."""
    fields = ", ".join(f"{k}={v}" for k, v in vars(config).items() if not isinstance(v, tuple))
    total = sum(r.get("seconds", 0.0) for r in records)
    return f"Size: {fields}. {len(records)} fits; wall time of all fits {total:.0f} s."


def finish(out: Path, title: str, intro: Sequence[str], tables: dict, figures: dict) -> Report:
    """Write the tables (``{name: (heading, frame)}``), the figures (``{file: figure}``)
    and ``out/README.md``; return the :class:`Report`."""
    report = Report(Path(out))
    sections = list(intro)
    for name, (heading, frame) in tables.items():
        sections.append(f"## {heading}\n\n" + write_table(frame, report.out, name, report))
    for name, fig in figures.items():
        save_figure(fig, report.out / name, report)
    write_markdown(report, title, sections)
    return report


def write_markdown(report: Report, title: str, sections: Sequence[str]) -> Path:
    """Write ``out/README.md``: the title and the sections, figures linked by file name."""
    figures = "\n".join(f"![{p.stem}]({p.name})" for p in report.figures)
    text = f"# {title}\n\n" + "\n\n".join(sections) + ("\n\n" + figures if figures else "") + "\n"
    report.markdown = write_text_atomic(report.out / "README.md", text)
    return report.markdown
