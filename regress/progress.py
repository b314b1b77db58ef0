"""Testplan progress: the status of each testpoint, kernel stage and coverage goal.

A testpoint passes only when every one of its tests ran and passed on every simulator
it names. ``planned`` testpoints and tests that did not run are never counted as passed.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from llama_dv.regress.funccov import FunctionalCoverage
from llama_dv.regress.results import JobResult
from llama_dv.regress.testplan import Testplan, Testpoint

CODE_KINDS: tuple[str, ...] = ("line", "toggle", "expr")


@dataclass
class TestpointStatus:
    __test__ = False

    testpoint: Testpoint
    status: str  # pass | fail | not_run | planned
    detail: list[str] = field(default_factory=list)


@dataclass
class GoalCheck:
    """One coverage figure against its goal; ``actual`` None means no data (not met)."""

    what: str
    goal: float
    actual: float | None

    @property
    def met(self) -> bool:
        return self.actual is not None and self.actual >= self.goal


def results_by_test(results: list[JobResult]) -> dict[tuple[str, str], list[JobResult]]:
    """(sim, test reference) -> its results."""
    table: dict[tuple[str, str], list[JobResult]] = {}
    for r in results:
        table.setdefault((r.sim, r.ref), []).append(r)
    return table


def testpoint_status(tp: Testpoint, table: dict[tuple[str, str], list[JobResult]],
                     sims: tuple[str, ...] | None = None) -> TestpointStatus:
    detail: list[str] = []
    worst = "pass"
    wanted = [s for s in tp.sims if sims is None or s in sims]
    for ref in tp.tests:
        for sim in wanted:
            runs = [r for r in table.get((sim, str(ref)), []) if r.status != "not_run"]
            if not runs:
                detail.append(f"{sim} {ref}: not run")
                worst = "not_run" if worst == "pass" else worst
            elif bad := [r for r in runs if r.status != "pass"]:
                detail.append(f"{sim} {ref}: {bad[0].status} (seed {bad[0].seed}); {len(runs) - len(bad)}/{len(runs)} passed")
                worst = "fail"
            else:
                detail.append(f"{sim} {ref}: passed {len(runs)} run(s), seeds {', '.join(str(r.seed) for r in runs)}")
    if not tp.tests or not wanted:
        worst = "not_run"
        detail.append("testpoint names no test")
    if tp.planned and worst != "fail":
        worst = "planned"
    return TestpointStatus(tp, worst, detail)


def coverage_checks(goal: dict[str, Any], functional: FunctionalCoverage, code: dict[str, Any],
                    duts: list[str]) -> list[GoalCheck]:
    """Checks for a testplan coverage goal: functional over its covergroups, code per kind."""
    checks = []
    if "functional" in goal:
        groups = goal.get("covergroups") or [g.name for g in functional.groups()
                                             if g.name.split(".")[0] in duts]
        actual = functional.percent_of(groups) if groups else None
        checks.append(GoalCheck(f"functional ({', '.join(groups) or 'no covergroup'})", goal["functional"], actual))
    for kind in CODE_KINDS:
        if kind in goal:
            figures = [code[d]["counts"].get(kind) for d in duts if d in code and code[d]["counts"].get(kind)]
            actual = 100.0 * sum(c for c, _ in figures) / sum(t for _, t in figures) if figures else None
            checks.append(GoalCheck(f"{kind} coverage of {', '.join(duts)}", goal[kind], actual))
    return checks


@dataclass
class StageStatus:
    kernel: str
    stage: str
    testpoints: list[TestpointStatus]
    coverage: list[GoalCheck]

    @property
    def status(self) -> str:
        states = {t.status for t in self.testpoints}
        if "fail" in states:
            return "fail"
        if not self.testpoints or states != {"pass"} or not all(c.met for c in self.coverage):
            return "not met"
        return "pass"


def stage_statuses(plan: Testplan, results: list[JobResult], functional: FunctionalCoverage,
                   code: dict[str, Any], sims: tuple[str, ...] | None = None) -> list[StageStatus]:
    """Status of every kernel stage; *sims* limits which simulators' results are required."""
    table = results_by_test(results)
    out = []
    for kname, kernel in plan.kernels.items():
        for stage, body in kernel["stages"].items():
            tps = [testpoint_status(tp, table, sims) for tp in plan.testpoints if tp.owner == f"{kname}/{stage}"]
            checks = coverage_checks(body.get("coverage_goal") or {}, functional, code, [kernel["dut"]])
            out.append(StageStatus(kname, stage, tps, checks))
    return out


def milestone_statuses(plan: Testplan, results: list[JobResult],
                       sims: tuple[str, ...] | None = None) -> dict[str, list[TestpointStatus]]:
    table = results_by_test(results)
    return {mid: [testpoint_status(tp, table, sims) for tp in plan.testpoints if tp.owner == mid]
            for mid in plan.milestones}
