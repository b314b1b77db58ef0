"""Milestone sign-off: evaluate each milestone's criteria from the testplan against the
latest regression results, synthesis figures and cycles/token, with the evidence.

A criterion without evidence (tests never run, no synthesis JSON, no decoder metric) is
NOT MET, never passed; a milestone is MET only when every criterion is.
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import json
import operator
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from llama_dv.tb.sim.runner import REPO_ROOT, default_build_root

from llama_dv.regress.funccov import FunctionalCoverage, merge_runs
from llama_dv.regress.progress import coverage_checks, results_by_test, testpoint_status
from llama_dv.regress.results import RECORD_NAME, JobResult, git_commit, record_results
from llama_dv.regress.testplan import Testplan, TestplanError, load_testplan

OPS = {"<": operator.lt, "<=": operator.le, "==": operator.eq, ">=": operator.ge, ">": operator.gt}


@dataclass
class CriterionResult:
    kind: str
    description: str
    passed: bool
    evidence: list[str] = field(default_factory=list)
    reason: str = ""
    """Why a criterion failed, in one line for the console (empty when it passed)."""
    evaluated: bool = True
    """False for a plan line the project cannot judge (NOT EVALUATED, with `reason`): it is
    listed, never silently absent, and neither passes nor blocks its milestone."""

    @property
    def verdict(self) -> str:
        return "NOT EVALUATED" if not self.evaluated else "PASS" if self.passed else "FAIL"

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "description": self.description, "passed": self.passed,
                "evaluated": self.evaluated, "verdict": self.verdict,
                "evidence": self.evidence, "reason": self.reason}


@dataclass
class Evidence:
    """Latest results gathered from one or more regression directories."""

    results: list[JobResult]
    functional: FunctionalCoverage
    code: dict[str, Any]
    runs: list[str]
    synth_dir: Path
    mutate_dir: Path | None = None
    """Where `llama-dv mutate` results are (default build/mutate)."""


def _records(run_dirs: list[Path]) -> list[tuple[Path, dict[str, Any]]]:
    out = []
    for d in run_dirs:
        path = Path(d) / RECORD_NAME
        if path.is_file():
            out.append((Path(d).resolve(), json.loads(path.read_text())))
    return sorted(out, key=lambda rec: rec[1].get("started", ""))


def default_run_dirs() -> list[Path]:
    """Every regression directory under build/regress (each counted once)."""
    root = default_build_root() / "regress"
    if not root.is_dir():
        return []
    return sorted({p.parent.resolve() for p in root.glob(f"*/{RECORD_NAME}")})


def gather(run_dirs: list[Path], synth_dir: Path, mutate_dir: Path | None = None) -> Evidence:
    """Newest results per (sim, test) across *run_dirs*; coverage summed over them."""
    latest: dict[tuple[str, str], list[JobResult]] = {}
    exports: list[Path] = []
    code: dict[str, Any] = {}
    runs = []
    for run_dir, record in _records(run_dirs):
        export = record["coverage"].get("functional_export")
        note = "" if export else ", functional coverage not merged: recorded before coverage/functional.yml"
        runs.append(f"{run_dir.name} (suite {record.get('suite')}, commit {record.get('git_commit')}{note})")
        ran: dict[tuple[str, str], list[JobResult]] = {}
        for r in record_results(record):
            if r.status != "not_run":
                ran.setdefault((r.sim, r.ref), []).append(r)
            elif (r.sim, r.ref) not in latest:
                latest[(r.sim, r.ref)] = [r]
        latest.update(ran)
        if export and (run_dir / export).is_file():
            exports.append(run_dir / export)
        code.update(record["coverage"].get("code", {}))
    errors: list[str] = []
    functional = merge_runs(exports, errors=errors)
    runs += [f"functional coverage left out: {e}" for e in errors]
    return Evidence([r for rs in latest.values() for r in rs], functional, code, runs, synth_dir,
                    mutate_dir or default_build_root() / "mutate")


def _shown(path: Path) -> Path:
    """*path* relative to the checkout when inside it, for readable evidence."""
    try:
        return path.resolve().relative_to(REPO_ROOT)
    except ValueError:
        return path


def _find_metric(data: Any, metric: str) -> float | None:
    """First numeric value whose key equals *metric* (case-insensitive), depth first."""
    if isinstance(data, dict):
        for key, value in data.items():
            if key.lower() == metric.lower() and isinstance(value, (int, float)) and not isinstance(value, bool):
                return float(value)
        for value in data.values():
            if (found := _find_metric(value, metric)) is not None:
                return found
    return None


def _synth_value(report: Any, metric: str) -> float | None:
    """A figure of a ``make synth`` report: the synthesis flow's own metric names first
    (lut, ff, dsp, bram, uram, logic_depth, ...), else any numeric key of that name."""
    try:
        from llama_dv.regress.yosys.thresholds import METRICS
    except ImportError:
        METRICS = {}
    if metric.lower() in METRICS:
        try:
            value = METRICS[metric.lower()](report)
        except (KeyError, TypeError):
            value = None
        if isinstance(value, (int, float)):
            return float(value)
    return _find_metric(report, metric)


def _stale_sources(report: dict) -> list[str]:
    """Sources of a synthesis report that changed since it was made (its `source_sha256`,
    keyed by file name, against the files now in the checkout)."""
    recorded = report.get("source_sha256") or {}
    stale = []
    for rel in report.get("sources", []):
        now = REPO_ROOT / rel
        was = recorded.get(Path(rel).name)
        if was and now.is_file() and hashlib.sha256(now.read_bytes()).hexdigest() != was:
            stale.append(rel)
    return stale


def _failed(kind: str, desc: str, reason: str) -> CriterionResult:
    """A criterion that failed for want of usable evidence; `reason` starts with its class
    (`no result`, `failed`, `timed out`, `stale`)."""
    return CriterionResult(kind, desc, False, [reason], reason)


def load_synth_report(synth_dir: Path, top: str) -> tuple[dict[str, Any], str]:
    """(`<top>.json` of `make synth`, "") or ({}, why it cannot be used as evidence): no
    result, not JSON, failed or killed by its budget, or stale (its sources changed)."""
    real = synth_dir / f"{top}.json"
    path = _shown(real)
    if not real.is_file():
        return {}, f"no result: {path}: no synthesis result (run `make synth`)"
    try:
        report = json.loads(real.read_text())
    except ValueError as exc:
        return {}, f"no result: {path}: not JSON: {exc}"
    if not isinstance(report, dict):
        return {}, f"no result: {path}: not a synthesis report"
    if report.get("status", "ok") != "ok":
        killed = (report.get("run") or {}).get("killed_by") or "timed out" in str(report.get("error", ""))
        what = "timed out" if killed else "failed"
        return {}, f"{what}: {path}: synthesis {report.get('status')}: {report.get('error', 'no reason given')}"
    if stale := _stale_sources(report):
        return {}, (f"stale: {path}: {', '.join(stale)} changed since it was synthesized "
                    f"(rerun `make synth`)")
    return report, ""


def metric_context(report: dict[str, Any], metric: str) -> str:
    """What a reviewer needs beside a clock figure: the estimate's band and worst path."""
    if not metric.lower().startswith("fmax_estimate"):
        return ""
    est = report.get("timing") or {}
    if est.get("fmax_mhz") is None:
        return ""
    path = est.get("worst_path") or {}
    where = ", ".join(path.get("sources", [])[:3])
    return (f"{est.get('band')} at {est.get('target_mhz'):g} MHz, worst path {path.get('delay_ns')} ns "
            f"({path.get('lut_levels')} LUT levels, {path.get('carry_cells')} carry cells) {path.get('start')} -> "
            f"{path.get('end')}" + (f" via {where}" if where else ""))


def _worst_path_avoids(crit: dict[str, Any], ev: Evidence) -> CriterionResult:
    """`synth_path`: the clock estimate's worst path of `top` runs through none of the
    `forbid` parts, each named by patterns matched (any case) against the path's RTL source
    references and the text of those lines, its modules and RTL net names."""
    kind, desc = crit["kind"], crit["description"]
    report, problem = load_synth_report(ev.synth_dir, crit["top"])
    if problem:
        return _failed(kind, desc, problem)
    path = (report.get("timing") or {}).get("worst_path")
    shown = _shown(ev.synth_dir / f"{crit['top']}.json")
    if not path:
        return _failed(kind, desc, f"no result: {shown}: no clock estimate with a worst path (rerun `make synth`)")
    where = [*path.get("sources", []), *path.get("source_lines", []), *path.get("modules", []),
             *path.get("rtl_nets", [])]
    hits = []
    for part in crit["forbid"]:
        found = sorted({w for w in where for pat in part["patterns"] if pat.lower() in w.lower()})
        if found:
            hits.append(f"{part['name']} ({', '.join(found[:6])})")
    summary = (f"{shown}: worst path {path.get('delay_ns')} ns, {path.get('start')} -> {path.get('end')}, "
               f"through {', '.join(path.get('sources', [])[:8]) or 'no RTL source line'}")
    if hits:
        return CriterionResult(kind, desc, False, [summary], f"worst path runs through {'; '.join(hits)}: {summary}")
    names = ", ".join(p["name"] for p in crit["forbid"])
    return CriterionResult(kind, desc, True, [f"{summary}; none of: {names}"])


def _no_regression(crit: dict[str, Any], ev: Evidence) -> CriterionResult:
    """`synth_regression`: no tracked figure of `tops` moved the wrong way by more than its
    limit since the last signed-off figures (`build/synth/signed_off.json`)."""
    from llama_dv.regress.yosys.history import BASELINE_FILE, figures, load_baseline, regressions

    kind, desc = crit["kind"], crit["description"]
    base = load_baseline(ev.synth_dir)
    evidence, bad = [], []
    for top in crit["tops"]:
        report, problem = load_synth_report(ev.synth_dir, top)
        if problem:
            return _failed(kind, desc, problem)
        was = (base.get("tops") or {}).get(top)
        if was is None:
            evidence.append(f"{top}: no signed-off figures yet; this run's become the baseline")
            continue
        moved = regressions(figures(report), was, crit.get("max_increase_pct", {}), crit.get("max_decrease_pct", {}))
        evidence.append(f"{top}: " + ("; ".join(moved) if moved else "within limits") +
                        f" (against {BASELINE_FILE} of commit {base.get('commit')})")
        bad += [f"{top}: {m}" for m in moved]
    return CriterionResult(kind, desc, not bad, evidence, "regression: " + "; ".join(bad) if bad else "")


def evaluate(plan: Testplan, mid: str, crit: dict[str, Any], ev: Evidence) -> CriterionResult:
    """Judge one criterion; a failed one carries its reason (`CriterionResult.reason`)."""
    result = _evaluate(plan, mid, crit, ev)
    if result.evaluated and not result.passed and not result.reason:
        result.reason = "; ".join(result.evidence) or "no evidence"
    return result


def _evaluate(plan: Testplan, mid: str, crit: dict[str, Any], ev: Evidence) -> CriterionResult:
    kind, desc = crit["kind"], crit["description"]
    if kind == "tests_pass":
        names = crit.get("testpoints") or [tp.name for tp in plan.testpoints if tp.owner == mid]
        table = results_by_test(ev.results)
        sims = tuple(crit["sims"]) if crit.get("sims") else None
        statuses = [testpoint_status(plan.testpoint(n), table, sims) for n in names]
        evidence = [f"{s.testpoint.name}: {s.status.upper()} — " + "; ".join(s.detail) for s in statuses]
        failing = [e for s, e in zip(statuses, evidence) if s.status != "pass"]
        return CriterionResult(kind, desc, bool(statuses) and all(s.status == "pass" for s in statuses),
                               evidence or ["no testpoint selected"], "; ".join(failing))
    if kind == "coverage_min":
        goal = crit["goal"]
        duts = sorted({cg.split(".")[0] for cg in goal.get("covergroups", [])})
        checks = coverage_checks(goal, ev.functional, ev.code, duts)
        evidence = [f"{c.what}: {'no data' if c.actual is None else f'{c.actual:.1f}%'} (goal {c.goal:g}%)"
                    for c in checks]
        missed = [e for c, e in zip(checks, evidence) if not c.met]
        return CriterionResult(kind, desc, bool(checks) and all(c.met for c in checks), evidence,
                               "coverage below goal: " + "; ".join(missed) if missed else "")
    if kind == "synth_metric":
        real = ev.synth_dir / f"{crit['top']}.json"
        path = _shown(real)
        report, problem = load_synth_report(ev.synth_dir, crit["top"])
        if problem:
            return _failed(kind, desc, problem)
        value = _synth_value(report, crit["metric"])
        if value is None:
            return _failed(kind, desc, f"no result: {path}: has no metric {crit['metric']!r}")
        ok = OPS[crit["op"]](value, crit["value"])
        line = f"{path}: {crit['metric']} = {value:g} (needs {crit['op']} {crit['value']:g})"
        extra = metric_context(report, crit["metric"])
        evidence = [line + (f"; {extra}" if extra else "")]
        return CriterionResult(kind, desc, ok, evidence, "" if ok else f"threshold: {evidence[0]}")
    if kind == "synth_path":
        return _worst_path_avoids(crit, ev)
    if kind == "synth_regression":
        return _no_regression(crit, ev)
    if kind == "not_evaluated":
        return CriterionResult(kind, desc, False, [f"NOT EVALUATED: {crit['reason']}"], crit["reason"],
                               evaluated=False)
    if kind == "cycles_per_token":
        runs = [r for r in ev.results if r.dut == crit["dut"] and r.status == "pass"
                and isinstance(r.metrics.get("cycles_per_token"), (int, float))]
        if not runs:
            return CriterionResult(kind, desc, False, [f"no passing {crit['dut']} run reported cycles_per_token"])
        worst = max(runs, key=lambda r: r.metrics["cycles_per_token"])
        value = float(worst.metrics["cycles_per_token"])
        return CriterionResult(kind, desc, value <= crit["max"],
                               [f"{worst.sim} {worst.ref} seed {worst.seed}: {value:g} cycles/token "
                                f"(worst of {len(runs)} run(s); budget {crit['max']:g})"])
    if kind == "mutation_min":
        return _mutation_score(crit, ev)
    if kind == "structural":
        subs = [evaluate(plan, mid, sub, ev) for sub in crit["requires"]]
        evidence = [f"{s.verdict} {s.kind}: {s.description} — {'; '.join(s.evidence)}" for s in subs]
        return CriterionResult(kind, desc, all(s.passed for s in subs if s.evaluated), evidence,
                               "; ".join(s.reason for s in subs if s.evaluated and not s.passed))
    raise ValueError(f"unknown criterion kind {kind!r} in {mid}")


def _mutation_score(crit: dict[str, Any], ev: Evidence) -> CriterionResult:
    """The newest `llama-dv mutate` result of the DUT and suite against the minimum score;
    a result made from other RTL than the sources now is stale and fails."""
    from llama_dv.regress.mutate.report import read_result, result_dir

    kind, desc = crit["kind"], crit["description"]
    dut, suite = crit["dut"], crit.get("suite", "full")
    sim, config = crit.get("sim", "verilator"), crit.get("config", "default")
    where = result_dir(dut, config, suite, sim, ev.mutate_dir)
    rerun = f"run `llama-dv mutate {dut} --suite {suite} --sim {sim}`"
    record = read_result(where)
    if record is None:
        return _failed(kind, desc, f"no mutation result in {_shown(where)}: {rerun}")
    s = record["score"]
    if s["score_pct"] is None:
        return _failed(kind, desc, f"{_shown(where)}: no mutant left to score")
    line = (f"{_shown(where / 'mutation.md')}: {s['score_pct']:.1f} % killed ({s['killed']} of {s['considered']}; "
            f"{s['equivalent']} proven equivalent, {s['justified']} justified; seed {record['seed']}, "
            f"commit {record.get('git_commit')}) — needs >= {crit['min']:g} %")
    stale = _stale_mutation(record)
    if stale:
        return _failed(kind, desc, f"{line}; stale: {stale}: {rerun}")
    ok = s["score_pct"] >= crit["min"]
    survivors = [f"m{m['index']} {m['description']}" for m in record["mutants"] if m["status"] == "survived"]
    evidence = [line] + ([f"survivors: {'; '.join(survivors)}"] if survivors else [])
    return CriterionResult(kind, desc, ok, evidence, "" if ok else f"score below minimum: {line}")


def _stale_mutation(record: dict[str, Any]) -> str:
    """Why a mutation result no longer describes the DUT's RTL (empty when it does)."""
    from llama_dv.regress.mutate.command import rtl_digest
    from llama_dv.tb import dut_registry as duts

    try:
        dut = duts.get_dut(record["dut"], record["sim"], record["config"])
    except Exception as exc:
        return f"DUT {record['dut']!r} cannot be looked up ({exc})"
    return "" if rtl_digest(dut) == record.get("rtl_digest") else "the RTL changed since the mutation run"


def signed_off(plan: Testplan) -> dict[str, tuple[str, list[dict[str, Any]]]]:
    """What sign-off judges: every milestone, then every kernel with criteria -> (title, criteria)."""
    items = {mid: (body["title"], body["signoff"]) for mid, body in plan.milestones.items()}
    items.update({name: (f"kernel {name}", body["signoff"]) for name, body in plan.kernels.items()
                  if body.get("signoff")})
    return items


def signoff(plan: Testplan, ev: Evidence, milestones: list[str] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for mid, (title, criteria) in signed_off(plan).items():
        if milestones and mid not in milestones:
            continue
        crits = [evaluate(plan, mid, c, ev) for c in criteria]
        out[mid] = {"title": title, "met": all(c.passed for c in crits if c.evaluated),
                    "not_evaluated": sum(1 for c in crits if not c.evaluated),
                    "criteria": [c.to_json() for c in crits]}
    return out


def _status(m: dict[str, Any]) -> str:
    text = "MET" if m["met"] else "NOT MET"
    return text + (f" ({m['not_evaluated']} not evaluated)" if m.get("not_evaluated") else "")


def _markdown(report: dict[str, Any]) -> str:
    lines = ["# Milestone sign-off", "", f"- generated: {report['generated']}",
             f"- commit: {report['git_commit']}", f"- results from: {', '.join(report['runs']) or 'no regression run'}",
             "", "| milestone | title | status |", "|---|---|---|"]
    for mid, m in report["milestones"].items():
        lines.append(f"| {mid} | {m['title']} | {_status(m)} |")
    for mid, m in report["milestones"].items():
        lines += ["", f"## {mid}: {m['title']} — {_status(m)}", ""]
        for c in m["criteria"]:
            lines.append(f"- **{c['verdict']}** ({c['kind']}) {c['description']}")
            lines += [f"  - {e}" for e in c["evidence"]]
    return "\n".join(lines) + "\n"


def _criteria(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for crit in items:
        out.append(crit)
        out += _criteria(crit.get("requires", []))
    return out


def record_signed_off_figures(plan: Testplan, results: dict[str, Any], synth_dir: Path) -> list[str]:
    """After a sign-off: the figures of the tops of every `synth_regression` criterion that
    passed become the baseline the next sign-off compares with (one that failed keeps the
    old baseline, so the regression stays flagged until fixed or accepted)."""
    from llama_dv.regress.yosys.history import figures, save_baseline

    tops: dict[str, dict] = {}
    for mid, m in results.items():
        crits = signed_off(plan)[mid][1]
        for crit, res in zip(crits, m["criteria"]):
            for sub in _criteria([crit]):
                if sub["kind"] == "synth_regression" and res["passed"]:
                    for top in sub["tops"]:
                        report, problem = load_synth_report(synth_dir, top)
                        if not problem:
                            tops[top] = figures(report)
    if tops:
        save_baseline(synth_dir, tops, git_commit(REPO_ROOT))
    return sorted(tops)


def run_signoff(testplan: Path | None = None, run_dirs: list[Path] | None = None, out_dir: Path | None = None,
                synth_dir: Path | None = None, milestones: list[str] | None = None,
                stream: TextIO = sys.stdout, mutate_dir: Path | None = None) -> int:
    """``llama-dv signoff``: 0 when every selected milestone is met, 1 otherwise, 2 on bad input."""
    try:
        plan = load_testplan(testplan) if testplan else load_testplan()
    except TestplanError as exc:
        print(exc, file=sys.stderr)
        return 2
    unknown = [m for m in milestones or [] if m not in signed_off(plan)]
    if unknown:
        print(f"llama-dv signoff: unknown milestone(s) {', '.join(unknown)}; the testplan signs off "
              f"{', '.join(signed_off(plan))}", file=sys.stderr)
        return 2
    ev = gather(run_dirs if run_dirs else default_run_dirs(), synth_dir or default_build_root() / "synth",
                mutate_dir)
    report = {"generated": _dt.datetime.now().isoformat(timespec="seconds"), "git_commit": git_commit(REPO_ROOT),
              "runs": ev.runs, "testplan": str(plan.path.resolve()), "milestones": signoff(plan, ev, milestones)}
    out_dir = Path(out_dir) if out_dir else default_build_root() / "signoff"
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "signoff.json").write_text(json.dumps(report, indent=1))
    (out_dir / "signoff.md").write_text(_markdown(report))
    for mid, m in report["milestones"].items():
        print(f"{mid} {'MET    ' if m['met'] else 'NOT MET'} {m['title']}", file=stream)
        for c in m["criteria"]:
            line = f"   {c['verdict']} {c['kind']}: {c['description']}"
            if c["verdict"] != "PASS":
                line += f"\n        reason: {c['reason']}"
            print(line, file=stream)
    accepted = record_signed_off_figures(plan, report["milestones"], ev.synth_dir)
    if accepted:
        print(f"sign-off: figures of {', '.join(accepted)} recorded as the regression baseline", file=stream)
    print(f"sign-off report: {out_dir / 'signoff.md'}", file=stream)
    return 0 if all(m["met"] for m in report["milestones"].values()) else 1
