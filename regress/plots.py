"""Report plots as inline SVG, drawn only from what regressions recorded: trends across
runs, per-test runtime and cycles/token per position from the tests' metrics.

Inline SVG keeps the page one offline file and its text searchable; nothing here runs a
model, so a plot changes only when a regression measured something different.
"""
from __future__ import annotations

import io
import re
from typing import Any, Sequence

from llama_dv.regress.trends import RunPoint

STATUS_COLOURS = {"pass": "#5a9e6f", "fail": "#c0504d", "error": "#c0504d", "timeout": "#d08a3c",
                  "build_error": "#8064a2"}


def _pyplot(name: str) -> Any:
    """pyplot for the plot *name*: its SVG ids are salted with the name, so several plots
    inline in one page never share an id, and the same data gives the same ids."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    plt.rcParams["svg.fonttype"] = "none"  # text stays text: small and searchable
    plt.rcParams["svg.hashsalt"] = f"llama-dv-{name}"
    return plt


def _svg(fig: Any, plt: Any) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(fig)
    text = buf.getvalue()
    text = text[text.index("<svg"):]  # inline: no XML prolog or DOCTYPE
    # matplotlib numbers its element ids per figure (figure_1, axes_1...): keep only the
    # ids something refers to (salted markers and clip paths), so plots share none.
    refs = set(re.findall(r'url\(#([^)"]+)\)', text)) | set(re.findall(r'href="#([^"]+)"', text))
    return re.sub(r' id="([^"]+)"', lambda m: m[0] if m[1] in refs else "", text)


def _short(name: str) -> str:
    """20261204-213602-smoke -> 12-04 21:36 (the label of a run on a trend axis)."""
    m = re.match(r"\d{4}(\d\d)(\d\d)-(\d\d)(\d\d)\d\d", name)
    return f"{m[1]}-{m[2]} {m[3]}:{m[4]}" if m else name[:14]


def trend_plot(points: Sequence[RunPoint]) -> str:
    """Pass rate, coverage, wall time and cycles/token per run (oldest left), one panel each."""
    plt = _pyplot("trend_plot")
    panels = [("pass rate (%)", [("passed / ran", [p.pass_rate for p in points])]),
              ("coverage (%)", [("functional", [p.functional_pct for p in points]),
                                ("line", [p.line_pct for p in points])]),
              ("wall time (s)", [("wall", [p.wall_time_s for p in points])]),
              ("cycles / token", [("mean of passing runs", [p.cycles_per_token for p in points])])]
    fig, axes = plt.subplots(1, 4, figsize=(13, 2.6))
    x = list(range(len(points)))
    labels = [_short(p.name) + ("*" if p.current else "") for p in points]
    for ax, (title, series) in zip(axes, panels):
        for label, ys in series:
            xs = [i for i, y in zip(x, ys) if y is not None]
            ax.plot(xs, [y for y in ys if y is not None], marker="o", markersize=4, label=label)
        if not any(y is not None for _, ys in series for y in ys):
            ax.text(0.5, 0.5, "not measured", ha="center", va="center", transform=ax.transAxes, fontsize=8)
            ax.set_yticks([])
        ax.set_title(title, fontsize=9)
        if "%" in title:
            ax.set_ylim(0, 105)
        ax.set_xticks(x, labels, rotation=45, ha="right", fontsize=7)
        ax.tick_params(axis="y", labelsize=7)
        ax.grid(alpha=0.3)
        if len(series) > 1:
            ax.legend(fontsize=7)
    fig.tight_layout()
    return _svg(fig, plt)


def test_runtime_trend_plot(points: Sequence[RunPoint], top: int = 8) -> str:
    """Wall time of the *top* slowest tests of the newest run across the runs."""
    plt = _pyplot("test_runtime_trend_plot")
    newest = points[-1].durations if points else {}
    tests = sorted(newest, key=lambda k: -newest[k])[:top]
    fig, ax = plt.subplots(figsize=(8, 2.8))
    x = list(range(len(points)))
    for test in tests:
        ys = [p.durations.get(test) for p in points]
        ax.plot([i for i, y in zip(x, ys) if y is not None], [y for y in ys if y is not None],
                marker="o", markersize=3, label=test)
    ax.set_xticks(x, [_short(p.name) + ("*" if p.current else "") for p in points], rotation=45, ha="right",
                  fontsize=7)
    ax.set_ylabel("wall time (s)", fontsize=8)
    ax.tick_params(axis="y", labelsize=7)
    ax.grid(alpha=0.3)
    if tests:
        ax.legend(fontsize=6, loc="center left", bbox_to_anchor=(1.01, 0.5))
    fig.tight_layout()
    return _svg(fig, plt)


def runtime_plot(rows: Sequence[tuple[str, float, str]]) -> str:
    """Wall time of every job of this run (label, seconds, status), slowest on top."""
    plt = _pyplot("runtime_plot")
    rows = sorted(rows, key=lambda r: r[1])
    fig, ax = plt.subplots(figsize=(8, 0.25 * len(rows) + 0.8))
    ax.barh(range(len(rows)), [r[1] for r in rows], color=[STATUS_COLOURS.get(r[2], "#999") for r in rows])
    ax.set_yticks(range(len(rows)), [r[0] for r in rows], fontsize=7)
    ax.set_xlabel("wall time (s)", fontsize=8)
    ax.tick_params(axis="x", labelsize=7)
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return _svg(fig, plt)


def cycles_per_position_plot(series: Sequence[tuple[str, Sequence[float]]]) -> str:
    """Cycles of each generated token against its position, one line per decoder run."""
    plt = _pyplot("cycles_per_position_plot")
    fig, ax = plt.subplots(figsize=(7, 2.8))
    for label, cycles in series:
        ax.plot(range(len(cycles)), list(cycles), marker="o", markersize=3, label=label)
    from matplotlib.ticker import MaxNLocator
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("position", fontsize=8)
    ax.set_ylabel("cycles", fontsize=8)
    ax.tick_params(labelsize=7)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    return _svg(fig, plt)


def cycles_per_token_plot(points: Sequence[tuple[str, float]]) -> str:
    """Mean cycles/token per decoder run (label, cycles) when no run reported positions."""
    plt = _pyplot("cycles_per_token_plot")
    fig, ax = plt.subplots(figsize=(max(3.0, 0.6 * len(points) + 1.5), 2.6))
    ax.bar(range(len(points)), [c for _, c in points], color="#5a9e6f")
    ax.set_xticks(range(len(points)), [label for label, _ in points], rotation=45, ha="right", fontsize=7)
    ax.set_ylabel("cycles / token", fontsize=8)
    fig.tight_layout()
    return _svg(fig, plt)
