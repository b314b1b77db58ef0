"""`summary.json` (every top's report) and `summary.md` (one table row per top)."""
from __future__ import annotations

import json
from pathlib import Path

from .history import history_markdown

SUMMARY_SCHEMA = "llama-dv-synth-summary/1"


def _cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


def _times(run: dict) -> str:
    return f"{_cell(run.get('wall_s'))} / {_cell(run.get('cpu_s'))}"


def render_markdown(summary: dict) -> str:
    """Markdown tables: resources per top, then every memory and what it became."""
    rows = ["# Synthesis summary", "",
            f"Flow: `synth_xilinx -family xcup -flatten` ({summary.get('tool') or 'yosys'}); "
            f"{len(summary['tops'])} tops, {summary['jobs']} in parallel, {summary['wall_s']:.1f} s wall.",
            "",
            "| top | status | LUT | FF | DSP | RAMB18 | RAMB36 | URAM | LUTRAM | SRL | mul (pre-map) "
            "| depth cells / LUTs | est. Fmax MHz (band) | P&R Fmax MHz | wall / CPU s | peak MiB |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for name, rep in summary["tops"].items():
        run = rep.get("run", {})
        if rep.get("status") != "ok":
            error = str(rep.get("error", "")).replace("|", "\\|")
            rows.append(f"| {name} | **{rep.get('status')}**: {error} |"
                        + " - |" * 12 + f" {_times(run)} | {_cell(run.get('peak_rss_mib'))} |")
            continue
        r, depth = rep["resources"], rep["logic_depth"]
        pnr = rep.get("fmax_pnr") or {}
        est = rep.get("timing") or {}
        pnr_cell = (f"{pnr['fmax_mhz']:.1f} ({pnr.get('family')})" if pnr.get("fmax_mhz") is not None
                    else "-")
        rows.append(f"| {name} | ok | {r['lut']} | {r['ff']} | {r['dsp']} | {r['ramb18']} | {r['ramb36']} "
                    f"| {r['uram']} | {r['lutram']} | {r['srl']} | {rep['multipliers']['premap']} "
                    f"| {depth['cells']} / {depth['luts']} | {_cell(est.get('fmax_mhz'))} ({est.get('band', '-')}) "
                    f"| {pnr_cell} | {_times(run)} | {_cell(run.get('peak_rss_mib'))} |")
    for name, reason in summary.get("skipped", {}).items():
        rows.append(f"| {name} | skipped: {reason} |" + " - |" * 14)
    rows += _worst_paths(summary)
    rows += ["", "## Memories", "",
             "| top | memory | depth x width | ram_style (from) | became |", "|---|---|---|---|---|"]
    for name, rep in summary["tops"].items():
        for mem in rep.get("memories", []):
            style = _cell(mem["ram_style"]) + (f" ({mem['style_from']})" if mem.get("style_from") else "")
            rows.append(f"| {name} | {mem['name']} | {_cell(mem['shape'])} | {style} | {mem['became']} |")
    rows += ["", "## Multipliers by source line (variable operands)", "",
             "| top | source | count | widths | expression |", "|---|---|---|---|---|"]
    for name, rep in summary["tops"].items():
        for site in rep.get("multipliers", {}).get("sites", []):
            if site["constant_operand"]:
                continue
            expr = (site["expression"] or "").replace("|", "\\|")
            rows.append(f"| {name} | {site['source']} | {site['count']} | {site['widths']} | `{expr}` |")
    return "\n".join(rows) + "\n"


def _worst_paths(summary: dict) -> list[str]:
    """The clock estimate's worst path per top, with the RTL lines it runs through."""
    rows = ["", "## Clock estimate: worst path per top", "",
            "UltraScale+ -2 delay model on the mapped netlist (docs/synthesis.md, \"Clock estimate\"); "
            "not a Vivado figure. P&R Fmax: measured on an open family as a cross-check.", "",
            "| top | est. Fmax MHz | band | delay ns | LUT levels | carry cells | start -> end | RTL sources |",
            "|---|---|---|---|---|---|---|---|"]
    for name, rep in summary["tops"].items():
        est = rep.get("timing") or {}
        path = est.get("worst_path")
        if rep.get("status") != "ok" or not path:
            continue
        srcs = ", ".join(path["sources"][:6]).replace("|", "\\|")
        rows.append(f"| {name} | {_cell(est.get('fmax_mhz'))} | {est.get('band')} at {est.get('target_mhz'):g} MHz "
                    f"| {path['delay_ns']} | {path['lut_levels']} | {path['carry_cells']} "
                    f"| {path['start']} -> {path['end']} | {srcs} |")
    for name, rep in summary["tops"].items():
        lines = ((rep.get("timing") or {}).get("worst_path") or {}).get("source_lines")
        if rep.get("status") == "ok" and lines:
            rows += ["", f"{name}: the worst path's RTL lines, start to end", "", "```", *lines, "```"]
    return rows


def write_summary(reports: list[dict], out_dir: Path, *, wall_s: float, jobs: int,
                  skipped: dict[str, str] | None = None, history: list[dict] | None = None) -> dict:
    """Write `summary.json` and `summary.md` into `out_dir`; return the summary."""
    tools = sorted({r.get("target", {}).get("tool") for r in reports if r.get("target")})
    summary = {
        "schema": SUMMARY_SCHEMA,
        "tool": tools[0] if len(tools) == 1 else tools or None,
        "wall_s": round(wall_s, 2),
        "jobs": jobs,
        "failed": [r["top"] for r in reports if r.get("status") != "ok"],
        "skipped": dict(skipped or {}),
        "tops": {r["top"]: r for r in reports},
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    (out_dir / "summary.md").write_text(render_markdown(summary) + "\n".join(history_markdown(history or [])) + "\n")
    return summary
