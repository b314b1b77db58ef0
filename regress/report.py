"""Regression reports: the dashboard ``report.html`` and ``summary.md``, rendered from one
``llama_dv.regress.dashboard.Dashboard`` through the Jinja2 templates in ``regress/templates``.

The HTML has inline CSS and inline SVG plots and loads nothing from elsewhere; every
link (logs, waves, replay scripts, lcov pages, mutation summaries) is relative to the
page and inside the regression folder, so the folder can be archived and opened offline.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, Undefined, select_autoescape

from llama_dv.regress.dashboard import Dashboard, gather, stage_files
from llama_dv.regress.plots import (cycles_per_position_plot, cycles_per_token_plot, runtime_plot,
                           test_runtime_trend_plot, trend_plot)

TEMPLATES = Path(__file__).resolve().parent / "templates"
TOOLS_SHOWN = ("verilator", "iverilog", "python")


def _simtime(ns: float) -> str:
    """Simulated time with a readable unit (ns, us, ms, s)."""
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("us", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.3g} {unit}"
    return f"{ns:.0f} ns"


def _cell(value: Any) -> str:
    """A Markdown table cell: pipes escaped, one line."""
    return str(value).replace("|", "\\|").replace("\n", " ")


def _bins(point: Any) -> str:
    """Every bin of a cover point with its hits, holes marked (Markdown)."""
    return ", ".join(f"{b}: {h}" + (" **HOLE**" if h < point.at_least else "") for b, h in point.hits.items())


def environment(markdown: bool = False) -> Environment:
    """Jinja2 environment of the report templates (HTML autoescaped, Markdown not). A field
    an older or merged record lacks renders empty: a report never stops a regression."""
    env = Environment(loader=FileSystemLoader(TEMPLATES), undefined=Undefined,
                      autoescape=select_autoescape(["html", "html.j2"]) if not markdown else False,
                      trim_blocks=markdown, lstrip_blocks=markdown, keep_trailing_newline=True)
    env.filters["simtime"] = _simtime
    env.filters["cell"] = _cell
    env.filters["bins"] = _bins
    return env


def _tools(record: dict[str, Any]) -> str:
    return ", ".join(f"{k} {v}" for k, v in (record.get("tools") or {}).items() if k in TOOLS_SHOWN and v)


def plots(d: Dashboard) -> dict[str, str]:
    """Inline SVG plots of the dashboard, all from recorded figures."""
    out = {"trend": trend_plot(d.trends), "test_trend": test_runtime_trend_plot(d.trends),
           "runtime": runtime_plot([(f"{j.result.sim} {j.result.ref} s{j.result.seed}", j.result.duration_s,
                                     j.result.status) for j in d.jobs if j.result.status != "not_run"]),
           "cycles": ""}
    if d.cycles_per_position:
        out["cycles"] = cycles_per_position_plot(d.cycles_per_position)
    elif d.cycles_per_token:
        out["cycles"] = cycles_per_token_plot(d.cycles_per_token)
    return out


def render_html(d: Dashboard) -> str:
    return environment().get_template("report.html.j2").render(d=d, plots=plots(d), tools=_tools(d.record))


def render_markdown(d: Dashboard) -> str:
    return environment(markdown=True).get_template("summary.md.j2").render(d=d, tools=_tools(d.record))


def write_reports(run_dir: Path, record: dict[str, Any], testplan: Path | None = None,
                  mutate_root: Path | None = None) -> list[Path]:
    """Write summary.md and report.html into *run_dir* (plus the replay scripts and
    mutation summaries they link to); returns the two reports' paths."""
    run_dir = Path(run_dir).resolve()
    stage_files(run_dir, record, mutate_root)
    d = gather(run_dir, record, testplan, mutate_root)
    md, page = run_dir / "summary.md", run_dir / "report.html"
    md.write_text(render_markdown(d))
    page.write_text(render_html(d))
    return [md, page]
