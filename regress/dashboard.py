"""What the regression dashboard shows, gathered from one regression folder.

This module only reads (and, in ``stage_files``, writes the small files the page links
to); ``llama_dv.regress.report`` renders it through the templates in ``regress/templates``.
Every path in it is relative to the regression folder, so the folder can be archived.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from llama_dv.regress import codecov
from llama_dv.regress.buckets import bucket_failures
from llama_dv.regress.funccov import CoverGroup, FunctionalCoverage
from llama_dv.regress.logs import Excerpt, first_error_excerpt
from llama_dv.regress.progress import GoalCheck, TestpointStatus, milestone_statuses, stage_statuses
from llama_dv.regress.results import JobResult, record_results
from llama_dv.regress.testplan import Testplan, TestplanError, Testpoint, load_testplan
from llama_dv.regress.trends import RunPoint, code_figures, history

WAVE_SUFFIXES = (".fst", ".vcd", ".ghw")
LINE_NOTE = (f"line = {codecov.LINE_UNIT} spanned by Verilator's line-coverage blocks, a line covered when "
             "every block on it ran; the lcov pages are rendered from the same lines, so their totals are "
             "these. Toggle, expression and branch figures count coverage points.")


@dataclass
class Link:
    """A file of the regression folder, relative to it (None: nothing to link)."""

    text: str
    href: str | None = None


@dataclass
class JobView:
    result: JobResult
    log: Link | None
    replay: Link | None
    waves: list[Link]
    sim_time_ns: float | None


@dataclass
class Figure:
    """A coverage figure of one DUT against the testplan's goal for it (None: no goal)."""

    percent: float | None
    covered: int | None = None
    total: int | None = None
    goal: float | None = None

    @property
    def met(self) -> bool | None:
        if self.goal is None:
            return None
        return self.percent is not None and self.percent >= self.goal


@dataclass
class TestView:
    """One test of a DUT over its simulators and seeds."""

    __test__ = False

    ref: str
    sims: list[str]
    passed: int
    ran: int
    worst_runtime_s: float
    worst_sim_time_ns: float | None
    status: str


@dataclass
class DutSummary:
    dut: str
    passed: int
    ran: int
    not_run: int
    status: str
    tests: list[TestView]
    functional: Figure
    line: Figure
    toggle: Figure
    mutation: list[dict[str, Any]] = field(default_factory=list)
    code_html: Link | None = None

    @property
    def worst_runtime(self) -> TestView | None:
        return max(self.tests, key=lambda t: t.worst_runtime_s, default=None)

    @property
    def worst_sim_time(self) -> TestView | None:
        timed = [t for t in self.tests if t.worst_sim_time_ns is not None]
        return max(timed, key=lambda t: t.worst_sim_time_ns or 0.0, default=None)


@dataclass
class ScopeRow:
    """A milestone or kernel stage restricted to the suite's testpoints."""

    owner: str
    title: str
    testpoints: list[TestpointStatus]
    outside: int
    coverage: list[GoalCheck]
    status: str

    @property
    def passed(self) -> int:
        return sum(t.status == "pass" for t in self.testpoints)


@dataclass
class GroupView:
    group: CoverGroup
    holes: list[tuple[str, str]]
    """(cover point, bin) of every hole."""
    goal: float | None


@dataclass
class BucketView:
    signature: str
    jobs: list[JobView]
    excerpt: Excerpt | None
    excerpt_of: JobView | None


@dataclass
class Dashboard:
    run_name: str
    record: dict[str, Any]
    plan: Testplan | None
    plan_error: str
    duts: list[DutSummary]
    milestones: list[ScopeRow]
    stages: list[ScopeRow]
    testpoints: list[tuple[str, TestpointStatus, list[JobView]]]
    outside_suite: dict[str, list[str]]
    """owner -> names of the testpoints this suite does not select."""
    groups: list[GroupView]
    code: list[tuple[str, dict[str, Any], Link | None]]
    buckets: list[BucketView]
    jobs: list[JobView]
    trends: list[RunPoint]
    cycles_per_position: list[tuple[str, list[float]]]
    cycles_per_token: list[tuple[str, float]]
    mutation: list[dict[str, Any]]
    line_note: str = LINE_NOTE

    @property
    def counts(self) -> dict[str, int]:
        return self.record["counts"]

    @property
    def holes(self) -> int:
        return sum(len(g.holes) for g in self.groups)


def _load_plan(record: dict[str, Any], testplan: Path | None) -> tuple[Testplan | None, str]:
    path = testplan or record.get("testplan")
    try:
        return (load_testplan(path) if path else load_testplan()), ""
    except (TestplanError, OSError) as exc:
        return None, f"testplan unavailable: {exc}"


def _inside(run_dir: Path, path: Path) -> str | None:
    """*path* relative to *run_dir* when it is a file inside it."""
    try:
        rel = Path(path).resolve().relative_to(run_dir)
    except ValueError:
        return None
    return rel.as_posix() if (run_dir / rel).is_file() else None


def _replay_file(run_dir: Path, r: JobResult) -> Path:
    """Beside the job's log when its folder is in this run (not a shard's, after a merge)."""
    test_dir = (run_dir / r.test_dir).resolve() if r.test_dir else None
    if test_dir and test_dir.is_dir() and test_dir.is_relative_to(run_dir):
        return test_dir / "replay.sh"
    return run_dir / "replay" / (re.sub(r"[^\w.@-]+", "_", r.job_id) + ".sh")


def _sim_time_ns(run_dir: Path, r: JobResult) -> float | None:
    if not r.test_dir:
        return None
    try:
        cases = json.loads((run_dir / r.test_dir / "run.json").read_text()).get("cases") or []
    except (OSError, ValueError):
        return None
    times = [c["sim_time_ns"] for c in cases if isinstance(c.get("sim_time_ns"), (int, float))]
    return float(sum(times)) if times else None


def job_view(run_dir: Path, r: JobResult) -> JobView:
    log = Link(r.log, _inside(run_dir, run_dir / r.log)) if r.log else None
    replay_path = _replay_file(run_dir, r)
    replay = Link(r.replay, _inside(run_dir, replay_path)) if r.replay else None
    waves: list[Link] = []
    if r.test_dir and (run_dir / r.test_dir).is_dir():
        waves = [Link(p.name, _inside(run_dir, p)) for p in sorted((run_dir / r.test_dir).iterdir())
                 if p.suffix in WAVE_SUFFIXES]
    return JobView(r, log, replay, waves, _sim_time_ns(run_dir, r))


def stage_files(run_dir: Path, record: dict[str, Any], mutate_root: Path | None = None) -> None:
    """Write what the page links to but the run did not leave in its folder: one
    ``replay.sh`` per job, and copies of this regression's DUTs' mutation summaries."""
    for r in record_results(record):
        if r.replay:
            path = _replay_file(run_dir, r)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(f"#!/bin/sh\n# replay {r.sim} {r.ref} seed {r.seed} ({r.status}), waves on\n{r.replay}\n")
            path.chmod(0o755)
    from llama_dv.regress.mutate.report import RESULT_NAME, markdown

    for row in mutation_rows(run_dir, mutate_root):
        if row["source"]:
            dest = run_dir / row["copy"]
            dest.parent.mkdir(parents=True, exist_ok=True)
            # Written again rather than copied: its links to RTL lines are relative to where it is.
            result = json.loads(row["source"].with_name(RESULT_NAME).read_text())
            dest.write_text(markdown(result, dest.parent))


def mutation_rows(run_dir: Path, mutate_root: Path | None = None) -> list[dict[str, Any]]:
    """The newest `llama-dv mutate` result of every DUT, suite and simulator next to this
    regression (build/mutate beside build/regress), survivors named; ``copy`` is where
    its summary is copied inside the regression folder."""
    from llama_dv.regress.mutate.report import RESULT_NAME, SUMMARY_NAME

    root = mutate_root or run_dir.parent.parent / "mutate"
    rows = []
    for path in sorted(root.glob(f"*/*/{RESULT_NAME}")):
        try:
            r = json.loads(path.read_text())
            sc = r["score"]
        except (OSError, ValueError, KeyError):
            continue
        summary = path.with_name(SUMMARY_NAME)
        rows.append({
            "dut": r["dut"], "config": r["config"], "suite": r["suite"], "sim": r["sim"],
            "score_pct": sc["score_pct"], "killed": sc["killed"], "considered": sc["considered"],
            "equivalent": sc["equivalent"], "justified": sc["justified"],
            "survivors": [f"m{m['index']} {m['description']}" for m in r["mutants"] if m["status"] == "survived"],
            "source": summary if summary.is_file() else None,
            "copy": f"mutation/{path.parent.parent.name}/{path.parent.name}.md",
        })
    return rows


def _goals(plan: Testplan | None, dut: str) -> dict[str, float]:
    """The highest goal per figure over the stages of the kernels whose DUT is *dut*."""
    goals: dict[str, float] = {}
    for kernel in (plan.kernels.values() if plan else []):
        if kernel.get("dut") != dut:
            continue
        for body in kernel["stages"].values():
            for k, v in (body.get("coverage_goal") or {}).items():
                if isinstance(v, (int, float)):
                    goals[k] = max(goals.get(k, 0.0), float(v))
    return goals


def _covergroups_of(plan: Testplan | None, dut: str) -> set[str]:
    """Covergroups the testplan binds to tests of *dut* (a Clash top's groups may carry
    another prefix than its DUT name, e.g. clash_decoder.* for clash_decoder_small)."""
    return {cg for tp in (plan.testpoints if plan else []) if any(t.dut == dut for t in tp.tests)
            for cg in tp.covergroups}


def _status(results: list[JobResult]) -> str:
    ran = [r for r in results if r.status != "not_run"]
    if any(r.failed for r in ran):
        return "fail"
    return "pass" if ran else "not_run"


def _dut_summaries(run_dir: Path, results: list[JobResult], views: dict[str, JobView], plan: Testplan | None,
                   functional: FunctionalCoverage, code: dict[str, Any],
                   mutation: list[dict[str, Any]]) -> list[DutSummary]:
    out = []
    for dut in sorted({r.dut for r in results}):
        mine = [r for r in results if r.dut == dut]
        tests = []
        for ref in sorted({r.ref for r in mine}):
            runs = [r for r in mine if r.ref == ref and r.status != "not_run"]
            sim_times = [t for r in runs if (t := views[r.job_id].sim_time_ns) is not None]
            tests.append(TestView(ref, sorted({r.sim for r in runs}), sum(r.status == "pass" for r in runs), len(runs),
                                  max((r.duration_s for r in runs), default=0.0), max(sim_times, default=None),
                                  _status([r for r in mine if r.ref == ref])))
        goals = _goals(plan, dut)
        named = _covergroups_of(plan, dut)
        groups = [g for g in functional.groups() if g.name.split(".")[0] == dut or g.name in named]
        size = sum(g.size for g in groups)
        covered = sum(g.covered for g in groups)
        fig = Figure(100.0 * covered / size if size else None, covered, size, goals.get("functional"))
        info = code.get(dut, {})
        figs = {}
        for kind in ("line", "toggle"):
            c = info.get("counts", {}).get(kind)
            figs[kind] = Figure(100.0 * c[0] / c[1] if c and c[1] else None, c[0] if c else None,
                                c[1] if c else None, goals.get(kind))
        html = info.get("html")
        ran = [r for r in mine if r.status != "not_run"]
        out.append(DutSummary(dut, sum(r.status == "pass" for r in ran), len(ran), len(mine) - len(ran),
                              _status(mine), tests, fig, figs["line"], figs["toggle"],
                              [m for m in mutation if m["dut"] == dut],
                              Link("lcov", _inside(run_dir, run_dir / html)) if html else None))
    return out


def _suite_testpoints(plan: Testplan, record: dict[str, Any], results: list[JobResult]) -> list[Testpoint]:
    """The testpoints this regression selected: its suite's, plus any a result names."""
    chosen = plan.suite_testpoints(record["suite"]) if record.get("suite") in plan.suites else []
    named = {tp for r in results for tp in r.testpoints}
    return chosen + [tp for tp in plan.testpoints if tp.name in named and tp not in chosen]


def _scope(plan: Testplan, results: list[JobResult], functional: FunctionalCoverage, code: dict[str, Any],
           sims: tuple[str, ...] | None, selected: list[Testpoint]
           ) -> tuple[list[ScopeRow], list[ScopeRow], dict[str, list[str]]]:
    names = {tp.name for tp in selected}
    outside: dict[str, list[str]] = {}
    for tp in plan.testpoints:
        if tp.name not in names:
            outside.setdefault(tp.owner, []).append(tp.name)
    milestones = []
    for mid, statuses in milestone_statuses(plan, results, sims).items():
        mine = [s for s in statuses if s.testpoint.name in names]
        if mine:
            milestones.append(ScopeRow(mid, plan.milestones[mid].get("title", ""), mine,
                                       len(statuses) - len(mine), [], _scope_status(mine, [])))
    stages = []
    for st in stage_statuses(plan, results, functional, code, sims):
        mine = [s for s in st.testpoints if s.testpoint.name in names]
        if mine:
            stages.append(ScopeRow(f"{st.kernel}/{st.stage}", "", mine, len(st.testpoints) - len(mine),
                                   st.coverage, _scope_status(mine, st.coverage)))
    return milestones, stages, outside


def _scope_status(statuses: list[TestpointStatus], coverage: list[GoalCheck]) -> str:
    states = {s.status for s in statuses}
    if "fail" in states:
        return "fail"
    if states == {"pass"} and all(c.met for c in coverage):
        return "pass"
    return "not met"


def _groups(plan: Testplan | None, functional: FunctionalCoverage) -> list[GroupView]:
    """Covergroups with holes first (fewest covered first), then the closed ones."""
    views = []
    for g in functional.groups():
        holes = [(p.name.split(".")[-1], b) for p in g.points for b in p.holes]
        views.append(GroupView(g, holes, _goals(plan, g.name.split(".")[0]).get("functional")))
    return sorted(views, key=lambda v: (not v.holes, v.group.percent, v.group.name))


def gather(run_dir: Path, record: dict[str, Any], testplan: Path | None = None,
           mutate_root: Path | None = None) -> Dashboard:
    """Everything the dashboard shows for the regression in *run_dir*."""
    run_dir = Path(run_dir).resolve()
    results = record_results(record)
    views = {r.job_id: job_view(run_dir, r) for r in results}
    functional = FunctionalCoverage.from_json(json.loads((run_dir / record["coverage"]["functional"]).read_text()))
    code = code_figures(run_dir, record["coverage"].get("code", {}))
    plan, plan_error = _load_plan(record, testplan)
    sims = tuple(record.get("sims") or ()) or None
    mutation = mutation_rows(run_dir, mutate_root)
    for m in mutation:
        m["link"] = Link("summary", _inside(run_dir, run_dir / m["copy"]))
    milestones, stages, outside, tps = [], [], {}, []
    if plan:
        selected = _suite_testpoints(plan, record, results)
        milestones, stages, outside = _scope(plan, results, functional, code, sims, selected)
        for row in milestones + stages:
            for s in row.testpoints:
                refs = {str(t) for t in s.testpoint.tests}
                tps.append((row.owner, s, [views[r.job_id] for r in results
                                           if r.ref in refs and r.status != "not_run"]))
    buckets = []
    for b in bucket_failures(results):
        jobs = [views[r.job_id] for r in b.results]
        first = next((j for j in jobs if j.log and j.log.href), None)
        excerpt = first_error_excerpt(run_dir / first.log.href) if first and first.log and first.log.href else None
        buckets.append(BucketView(b.signature, jobs, excerpt, first))
    per_position = [(f"{r.sim} {r.ref} s{r.seed}", [float(c) for c in r.metrics["cycles_per_position"]])
                    for r in results if isinstance(r.metrics.get("cycles_per_position"), list)
                    and r.metrics["cycles_per_position"]]
    cpt = [(f"{r.sim} {r.ref} s{r.seed}", float(r.metrics["cycles_per_token"])) for r in results
           if isinstance(r.metrics.get("cycles_per_token"), (int, float))]
    code_rows = [(name, info, Link("lcov", _inside(run_dir, run_dir / info["html"])) if info.get("html") else None)
                 for name, info in sorted(code.items(), key=lambda kv: (kv[0] == "all", kv[0]))]
    return Dashboard(
        run_name=run_dir.name, record=record, plan=plan, plan_error=plan_error,
        duts=_dut_summaries(run_dir, results, views, plan, functional, code, mutation),
        milestones=milestones, stages=stages, testpoints=tps, outside_suite=outside,
        groups=_groups(plan, functional), code=code_rows, buckets=buckets,
        jobs=[views[r.job_id] for r in results], trends=history(run_dir, record),
        cycles_per_position=per_position, cycles_per_token=cpt, mutation=mutation)

