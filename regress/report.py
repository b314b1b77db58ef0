"""Regression reports: ``summary.md`` and a self-contained ``report.html``.

The HTML has inline CSS and inline base64 PNG plots and no external references, so it
opens offline and can be attached to a CI run or a sign-off review as one file.
"""
from __future__ import annotations

import html
import json
import os
from pathlib import Path
from typing import Any

from regress.buckets import bucket_failures
from regress.funccov import FunctionalCoverage
from regress.plots import cycles_per_token_plot, error_histograms, kernel_errors
from regress.progress import milestone_statuses, stage_statuses
from regress.results import record_results
from regress.testplan import Testplan, TestplanError, load_testplan

CSS = """
body{font-family:sans-serif;margin:1.5em;color:#222;max-width:1200px}
h1{font-size:1.5em}h2{font-size:1.2em;border-bottom:1px solid #ccc;margin-top:1.6em}
table{border-collapse:collapse;margin:.5em 0;font-size:.85em}
td,th{border:1px solid #ccc;padding:3px 7px;text-align:left;vertical-align:top}
th{background:#f0f0f0}.pass{background:#d9f2d9}.fail{background:#f7d4d4}
.notmet,.not_run,.planned{background:#f7efcf}code{font-size:.85em;word-break:break-all}
.hole{color:#b00;font-weight:bold}img{max-width:100%}
"""

STATUS_CLASS = {"pass": "pass", "fail": "fail", "error": "fail", "timeout": "fail", "build_error": "fail",
                "not_run": "not_run", "planned": "planned", "not met": "notmet"}


def _load_plan(record: dict[str, Any], testplan: Path | None) -> tuple[Testplan | None, str]:
    path = testplan or record.get("testplan")
    try:
        return (load_testplan(path) if path else load_testplan()), ""
    except (TestplanError, OSError) as exc:
        return None, f"testplan unavailable: {exc}"


MUTATION_HEADER = ["DUT", "suite", "sim", "score", "killed", "equivalent", "justified", "survivors", "table"]


def build_sections(run_dir: Path, record: dict[str, Any], testplan: Path | None = None) -> dict[str, Any]:
    """Everything both reports show, computed once."""
    results = record_results(record)
    functional = FunctionalCoverage.from_json(
        json.loads((run_dir / record["coverage"]["functional"]).read_text()))
    code = record["coverage"].get("code", {})
    plan, plan_error = _load_plan(record, testplan)
    sims = tuple(record.get("sims") or ()) or None
    cpt = [(f"{r.sim} {r.test} s{r.seed}", float(r.metrics["cycles_per_token"])) for r in results
           if isinstance(r.metrics.get("cycles_per_token"), (int, float))]
    return {
        "results": results, "functional": functional, "code": code, "plan": plan, "plan_error": plan_error,
        "buckets": bucket_failures(results),
        "stages": stage_statuses(plan, results, functional, code, sims) if plan else [],
        "milestones": milestone_statuses(plan, results, sims) if plan else {},
        "cycles_per_token": cpt,
        "mutation": _mutation_rows(run_dir),
    }


def _mutation_rows(run_dir: Path) -> list[list[Any]]:
    """The newest `llama-dv mutate` result of every DUT and suite next to this regression
    (build/mutate beside build/regress), with the survivors named."""
    from regress.mutate.report import RESULT_NAME, SUMMARY_NAME

    root = run_dir.parent.parent / "mutate"
    rows = []
    for path in sorted(root.glob(f"*/*/{RESULT_NAME}")):
        try:
            r = json.loads(path.read_text())
        except ValueError:
            continue
        sc = r["score"]
        survivors = [f"m{m['index']} {m['description']}" for m in r["mutants"] if m["status"] == "survived"]
        rows.append([f"{r['dut']}@{r['config']}", r["suite"], r["sim"],
                     "n/a" if sc["score_pct"] is None else f"{sc['score_pct']:.1f}%",
                     f"{sc['killed']}/{sc['considered']}", sc["equivalent"], sc["justified"],
                     "; ".join(survivors) or "-", os.path.relpath(path.with_name(SUMMARY_NAME), run_dir)])
    return rows


def _md_table(header: list[str], rows: list[list[Any]]) -> str:
    def cell(v: Any) -> str:
        return str(v).replace("|", "\\|").replace("\n", " ")
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def _pct(v: float | None) -> str:
    return "n/a" if v is None else f"{v:.1f}%"


def _headline(record: dict[str, Any]) -> list[list[Any]]:
    c = record["counts"]
    return [["suite", record.get("suite")], ["git commit", record.get("git_commit") or "(none)"],
            ["simulators", ", ".join(record.get("sims") or [])], ["base seed", record.get("base_seed")],
            ["wall time", f"{record.get('wall_time_s', 0):.1f} s with {record.get('jobs')} job(s)"],
            ["results", f"{c['pass']} pass, {c['fail']} fail, {c['error']} error, {c['timeout']} timeout, "
                        f"{c['build_error']} build error, {c['not_run']} not run"],
            ["tools", ", ".join(f"{k} {v}" for k, v in (record.get("tools") or {}).items()
                                if k in ("verilator", "iverilog", "python") and v)]]


def _milestone_rows(s: dict[str, Any]) -> list[list[Any]]:
    rows = []
    for mid, tps in s["milestones"].items():
        title = s["plan"].milestones[mid]["title"]
        passed = sum(t.status == "pass" for t in tps)
        planned = sum(t.status == "planned" for t in tps)
        state = "pass" if tps and passed == len(tps) else ("fail" if any(t.status == "fail" for t in tps) else "not met")
        rows.append([mid, title, f"{passed}/{len(tps)}", planned, state])
    return rows


def _stage_rows(s: dict[str, Any]) -> list[list[Any]]:
    return [[st.kernel, st.stage, f"{sum(t.status == 'pass' for t in st.testpoints)}/{len(st.testpoints)}",
             "; ".join(f"{c.what}: {_pct(c.actual)} / {c.goal:g}%" for c in st.coverage) or "-", st.status]
            for st in s["stages"]]


def _testpoint_rows(s: dict[str, Any]) -> list[list[Any]]:
    rows = []
    for mid, tps in s["milestones"].items():
        rows += [[mid, t.testpoint.name, t.status, "; ".join(t.detail)] for t in tps]
    for st in s["stages"]:
        rows += [[f"{st.kernel}/{st.stage}", t.testpoint.name, t.status, "; ".join(t.detail)] for t in st.testpoints]
    return rows


def _code_rows(code: dict[str, Any]) -> list[list[Any]]:
    rows = []
    for dut, info in sorted(code.items()):
        counts = info.get("counts", {})
        rows.append([dut] + [f"{_pct(info['percent'].get(k))} ({counts[k][0]}/{counts[k][1]})" if k in counts else "n/a"
                             for k in ("line", "toggle", "expr")] + [info.get("html") or "-"])
    return rows


def write_markdown(run_dir: Path, record: dict[str, Any], s: dict[str, Any]) -> Path:
    out = [f"# Regression {record.get('suite')} — {run_dir.name}", "", _md_table(["", ""], _headline(record)), ""]
    if s["plan"]:
        out += ["## Milestones", "", _md_table(["milestone", "title", "testpoints passed", "planned", "status"],
                                               _milestone_rows(s)), ""]
        out += ["## Kernel stages", "", _md_table(["kernel", "stage", "testpoints passed", "coverage vs goal", "status"],
                                                  _stage_rows(s)), ""]
        out += ["## Testpoints", "", _md_table(["owner", "testpoint", "status", "evidence"], _testpoint_rows(s)), ""]
    else:
        out += [f"_{s['plan_error']}_", ""]
    out += ["## Failure buckets", ""]
    if not s["buckets"]:
        out += ["No failures.", ""]
    for b in s["buckets"]:
        out += [f"### {b.signature} ({len(b.results)})", ""]
        for r in b.results:
            out += [f"- {r.sim} `{r.ref}` seed {r.seed}, log `{r.log}`", f"  - replay: `{r.replay}`"]
        out.append("")
    out += ["## Functional coverage", ""]
    groups = s["functional"].groups()
    if groups:
        out += [_md_table(["covergroup", "coverage", "bins", "holes"],
                          [[g.name, f"{g.percent:.1f}%", f"{g.covered}/{g.size}",
                            ", ".join(f"{p.name.split('.')[-1]}={h}" for p in g.points for h in p.holes) or "-"]
                           for g in groups]), ""]
        for g in groups:
            for p in g.points:
                out += [f"- `{p.name}` (at least {p.at_least}): " +
                        ", ".join(f"{b}: {h}" + (" **HOLE**" if h < p.at_least else "") for b, h in p.hits.items())]
        out.append("")
    else:
        out += ["No functional coverage was exported.", ""]
    out += ["## Code coverage (Verilator)", ""]
    out += [_md_table(["DUT", "line", "toggle", "expr", "HTML"], _code_rows(s["code"])) if s["code"]
            else "No Verilator code coverage in this run.", ""]
    out += [f"- coverage problem: {e}" for e in record["coverage"].get("errors", [])]
    if s["mutation"]:
        out += ["## Mutation scores (llama-dv mutate)", "", _md_table(MUTATION_HEADER, s["mutation"]), ""]
    if s["cycles_per_token"]:
        out += ["## Cycles per token", "", _md_table(["run", "cycles/token"], s["cycles_per_token"]), ""]
    out += ["## All results", "", _md_table(
        ["sim", "test", "seed", "status", "time (s)", "message"],
        [[r.sim, r.ref, r.seed, r.status, f"{r.duration_s:.1f}", r.message[:120]] for r in s["results"]]), ""]
    path = run_dir / "summary.md"
    path.write_text("\n".join(out))
    return path


def _h_table(header: list[str], rows: list[list[Any]], status_col: int | None = None) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = []
    for row in rows:
        cls = STATUS_CLASS.get(str(row[status_col]), "") if status_col is not None else ""
        cells = "".join(f"<td>{html.escape(str(v))}</td>" for v in row)
        body.append(f'<tr class="{cls}">{cells}</tr>')
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"


def write_html(run_dir: Path, record: dict[str, Any], s: dict[str, Any]) -> Path:
    parts = [f"<h1>Regression {html.escape(str(record.get('suite')))} — {html.escape(run_dir.name)}</h1>",
             _h_table(["", ""], _headline(record))]
    if s["plan"]:
        parts += ["<h2>Milestones</h2>", _h_table(["milestone", "title", "testpoints passed", "planned", "status"],
                                                 _milestone_rows(s), 4),
                  "<h2>Kernel stages</h2>", _h_table(["kernel", "stage", "testpoints passed", "coverage vs goal",
                                                      "status"], _stage_rows(s), 4),
                  "<h2>Testpoints</h2>", _h_table(["owner", "testpoint", "status", "evidence"], _testpoint_rows(s), 2)]
    else:
        parts.append(f"<p><em>{html.escape(s['plan_error'])}</em></p>")
    parts.append("<h2>Failure buckets</h2>")
    if not s["buckets"]:
        parts.append("<p>No failures.</p>")
    for b in s["buckets"]:
        parts.append(f"<h3>{html.escape(b.signature)} ({len(b.results)})</h3>")
        parts.append(_h_table(["sim", "test", "seed", "log", "replay"],
                              [[r.sim, r.ref, r.seed, r.log or "-", r.replay] for r in b.results]))
    parts.append("<h2>Functional coverage</h2>")
    groups = s["functional"].groups()
    if groups:
        rows = []
        for g in groups:
            for p in g.points:
                for b, h in p.hits.items():
                    rows.append([g.name, f"{g.percent:.1f}%", p.name, b, h, "HOLE" if h < p.at_least else "covered"])
        parts.append(_h_table(["covergroup", "group coverage", "cover point", "bin", "hits", "state"], rows))
    else:
        parts.append("<p>No functional coverage was exported.</p>")
    parts.append("<h2>Code coverage (Verilator)</h2>")
    parts.append(_h_table(["DUT", "line", "toggle", "expr", "lcov HTML"], _code_rows(s["code"])) if s["code"]
                 else "<p>No Verilator code coverage in this run.</p>")
    parts += [f"<p class=\"fail\">coverage problem: {html.escape(e)}</p>" for e in record["coverage"].get("errors", [])]
    parts.append("<h2>Fixed-point vs float error per kernel (models.kernels, random inputs)</h2>")
    parts.append(f'<img alt="error histograms" src="data:image/png;base64,{error_histograms(kernel_errors())}">')
    if s["mutation"]:
        parts += ["<h2>Mutation scores (llama-dv mutate)</h2>", _h_table(MUTATION_HEADER, s["mutation"])]
    if s["cycles_per_token"]:
        parts.append("<h2>Cycles per token</h2>")
        parts.append(f'<img alt="cycles per token" src="data:image/png;base64,'
                     f'{cycles_per_token_plot(s["cycles_per_token"])}">')
    parts.append("<h2>All results</h2>")
    parts.append(_h_table(["sim", "test", "seed", "status", "time (s)", "message"],
                          [[r.sim, r.ref, r.seed, r.status, f"{r.duration_s:.1f}", r.message[:160]]
                           for r in s["results"]], 3))
    page = (f"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>llama-dv regression "
            f"{html.escape(run_dir.name)}</title><style>{CSS}</style></head><body>{''.join(parts)}</body></html>")
    path = run_dir / "report.html"
    path.write_text(page)
    return path


def write_reports(run_dir: Path, record: dict[str, Any], testplan: Path | None = None) -> list[Path]:
    """Write summary.md and report.html into *run_dir*; returns their paths."""
    run_dir = Path(run_dir).resolve()
    sections = build_sections(run_dir, record, testplan)
    return [write_markdown(run_dir, record, sections), write_html(run_dir, record, sections)]
