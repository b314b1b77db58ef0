"""One regression end to end: select, run, then collect (JUnit, coverage, record, reports).

``collect`` is shared by a normal run and by ``llama-dv merge``, so a merged set of
shards produces exactly the files (and totals) an unsharded run would.
"""
from __future__ import annotations

import datetime as _dt
import json
import os
import random
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from llama_dv.tb.sim import toolchain
from llama_dv.tb.sim.runner import REPO_ROOT, default_build_root

from llama_dv.regress import codecov, funccov
from llama_dv.regress.execute import ExecOptions
from llama_dv.regress.launchers import Interrupted, LauncherError, LauncherOptions, is_infrastructure, make_launcher
from llama_dv.regress.junit import write_junit
from llama_dv.regress.registry import DEFAULT_REGISTRY, RegistryView, load_registry
from llama_dv.regress.results import JobResult, git_commit, read_record, record_results, write_record
from llama_dv.regress.selection import NotRun, parse_shard, plan_jobs, shard
from llama_dv.regress.testplan import SIMS, TestplanError, load_testplan, validate

RECORD_VERSION = 1


def regress_root() -> Path:
    return default_build_root() / "regress"


@dataclass
class RegressOptions:
    suite: str = "smoke"
    sims: tuple[str, ...] = SIMS
    seeds: int | None = None
    seed: int | None = None
    base_seed: int | None = None
    jobs: int = os.cpu_count() or 1
    waves: bool = False
    code_coverage: bool = True
    timeout_s: float | None = None
    build_timeout_s: float = 1800.0
    shard: str | None = None
    name: str | None = None
    out_root: Path | None = None
    testplan: Path | None = None
    registry: str = DEFAULT_REGISTRY
    tb_dir: Path = field(default_factory=lambda: REPO_ROOT / "tb")
    reports: bool = True
    launcher: LauncherOptions = field(default_factory=LauncherOptions)
    history: tuple[Path, ...] = ()
    """More folders of earlier regressions to read expected times from (``llama_dv.regress.schedule``)."""


class RegressError(RuntimeError):
    """The regression could not start (bad testplan, suite, shard...); message says why."""


def python_path_for(registry_name: str) -> tuple[Path, ...]:
    """Folder holding a registry outside the repo, so its test modules import in the child."""
    if registry_name == DEFAULT_REGISTRY:
        return ()
    module = sys.modules.get(registry_name) or load_registry(registry_name)
    origin = Path(getattr(module, "__file__", "") or ".").resolve().parent
    depth = registry_name.count(".")
    return (origin.parents[depth - 1] if depth else origin,)


def _out_dir(opts: RegressOptions) -> Path:
    root = Path(opts.out_root) if opts.out_root else regress_root()
    name = opts.name or _dt.datetime.now().strftime("%Y%m%d-%H%M%S") + f"-{opts.suite}"
    if opts.shard:
        k, n = parse_shard(opts.shard)
        name += f"-shard{k}of{n}"
    out = root / name
    out.mkdir(parents=True, exist_ok=True)
    return out


def update_latest(out_dir: Path) -> None:
    """Point ``<root>/latest`` at *out_dir* (relative link, replaced atomically)."""
    link = out_dir.parent / "latest"
    tmp = out_dir.parent / f".latest-{os.getpid()}"
    tmp.unlink(missing_ok=True)
    tmp.symlink_to(out_dir.name)
    os.replace(tmp, link)


def run_regression(opts: RegressOptions, stream: TextIO = sys.stdout) -> tuple[Path, dict[str, Any]]:
    """Run *opts.suite*; returns (output directory, record). Raises RegressError before any run."""
    try:
        plan = load_testplan(opts.testplan) if opts.testplan else load_testplan()
    except TestplanError as exc:
        raise RegressError(f"testplan is invalid:\n{exc}") from exc
    if opts.suite not in plan.suites:
        raise RegressError(f"unknown suite {opts.suite!r}; the testplan defines {', '.join(plan.suites)}")
    registry_view = RegistryView.read(opts.registry)
    if registry_view.error:
        raise RegressError(registry_view.error)
    report = validate(plan, registry_view, opts.tb_dir)
    if not report.ok:
        raise RegressError("testplan does not match the testbench:\n" + "\n".join(report.errors))
    registry = load_registry(opts.registry)
    try:
        launcher = make_launcher(opts.launcher)
    except LauncherError as exc:
        raise RegressError(str(exc)) from exc
    suite = plan.suites[opts.suite]
    sims = tuple(s for s in suite.sims if s in opts.sims)
    if not sims:
        raise RegressError(f"suite {opts.suite!r} runs on {', '.join(suite.sims)}; none selected by SIM")
    fixed = opts.seed is not None
    commit = git_commit(REPO_ROOT)
    if fixed:
        base_seed = int(opts.seed)
    elif opts.base_seed is not None:
        base_seed = int(opts.base_seed)
    elif opts.shard:
        # Shards of one CI run must agree on seeds without talking to each other.
        if not commit:
            raise RegressError("--shard needs --base-seed (or SEED) when the tree has no git commit")
        base_seed = int(commit[:8], 16) & 0x7FFFFFFF
    else:
        base_seed = random.SystemRandom().randrange(1, 2**31)
    seeds = opts.seeds or suite.seeds
    jobs, not_run = plan_jobs(plan, plan.suite_testpoints(opts.suite), registry_view, sims, seeds, base_seed, fixed)
    if opts.shard:
        k, n = parse_shard(opts.shard)
        jobs = shard(jobs, k, n)
    out_dir = _out_dir(opts)
    timeout = opts.timeout_s or suite.timeout_s
    exec_opts = ExecOptions(jobs=opts.jobs, waves=opts.waves, code_coverage=opts.code_coverage,
                            timeout_s=timeout, build_timeout_s=opts.build_timeout_s,
                            python_path=python_path_for(opts.registry), history=tuple(opts.history))
    print(f"llama-dv regress: suite {opts.suite}, sims {','.join(sims)}, {len(jobs)} job(s), "
          f"{len(not_run)} not runnable, base seed {base_seed}, {launcher.describe(exec_opts)} -> {out_dir}",
          file=stream, flush=True)
    start = time.monotonic()
    interrupted = False
    try:
        results = launcher.run(registry, jobs, out_dir, exec_opts, stream)
    except Interrupted as exc:  # the launcher stopped its jobs; still report what ran
        results, interrupted = exc.results, True
    wall = time.monotonic() - start
    results += [_not_run_result(n) for n in not_run]
    meta = {
        "suite": opts.suite, "sims": list(sims), "seeds_per_test": seeds, "base_seed": base_seed,
        "fixed_seed": fixed, "jobs": opts.jobs, "waves": opts.waves, "shard": opts.shard,
        "timeout_s": timeout, "registry": opts.registry, "wall_time_s": round(wall, 3),
        "git_commit": commit, "tools": toolchain.tool_versions(), "testplan": str(plan.path.resolve()),
        "started": _dt.datetime.now().isoformat(timespec="seconds"),
        "command": sys.argv, "launcher": launcher.record(),
    }
    if interrupted:
        meta["interrupted"] = True
    record = collect(out_dir, results, meta, reports=opts.reports, stream=stream)
    update_latest(out_dir)
    if interrupted:
        raise KeyboardInterrupt
    return out_dir, record


def _not_run_result(n: NotRun) -> JobResult:
    return JobResult(job_id=n.job_id, ref=str(n.ref), dut=n.ref.dut, config=n.ref.config, test=n.ref.test,
                     sim=n.sim, seed=None, status="not_run", message=n.reason, testpoints=list(n.testpoints))


def collect(out_dir: Path, results: list[JobResult], meta: dict[str, Any], reports: bool = True,
            stream: TextIO = sys.stdout) -> dict[str, Any]:
    """Write junit.xml, merged coverage, record.json and the reports for *results*."""
    results = sorted(results, key=lambda r: r.job_id)
    totals = write_junit(results, out_dir, out_dir / "junit.xml", meta.get("suite", "regress"))
    cov_errors: list[str] = []
    cov_dir = out_dir / "coverage"
    cov_dir.mkdir(exist_ok=True)
    cov = funccov.merge_runs([out_dir / r.functional_coverage for r in results if r.functional_coverage],
                             out_dir / funccov.MERGED_EXPORT, cov_errors)
    (out_dir / funccov.SUMMARY_JSON).write_text(json.dumps(cov.to_json(), indent=1))
    code = _merge_code_coverage(out_dir, results, cov_dir, cov_errors)
    record = {
        "version": RECORD_VERSION, **meta, "totals": totals,
        "counts": {s: sum(r.status == s for r in results)
                   for s in ("pass", "fail", "error", "timeout", "build_error", "not_run")},
        "coverage": {"functional": funccov.SUMMARY_JSON, "functional_export": funccov.MERGED_EXPORT,
                     "code": code, "errors": cov_errors},
        "results": [r.to_json() for r in results],
    }
    write_record(out_dir, record)
    if reports:
        from llama_dv.regress.report import write_reports
        write_reports(out_dir, record)
    _print_summary(out_dir, record, results, stream)
    return record


def _merge_code_coverage(out_dir: Path, results: list[JobResult], cov_dir: Path,
                         errors: list[str]) -> dict[str, Any]:
    """Merge Verilator .dat files per DUT and overall; figures per kind in the record."""
    by_dut: dict[str, list[Path]] = {}
    for r in results:
        if r.code_coverage:
            by_dut.setdefault(r.dut, []).append(out_dir / r.code_coverage)
    summary: dict[str, Any] = {}
    groups = dict(by_dut)
    if by_dut:
        groups["all"] = [p for paths in by_dut.values() for p in paths]
    for name, dats in sorted(groups.items()):
        try:
            merged = codecov.merge(dats, cov_dir / "code" / name, html=True)
        except codecov.CodeCoverageError as exc:
            errors.append(f"code coverage of {name}: {exc}")
            continue
        errors += [f"code coverage HTML of {name}: {w}" for w in merged.warnings]
        summary[name] = {
            "dat": os.path.relpath(merged.dat, out_dir) if merged.dat else None,
            "info": os.path.relpath(merged.info, out_dir) if merged.info else None,
            "html": os.path.relpath(merged.html / "index.html", out_dir) if merged.html else None,
            "counts": {k: list(v) for k, v in merged.counts.items()},
            "line_unit": codecov.LINE_UNIT,
            "percent": {k: round(merged.percent(k), 2) for k in merged.counts if merged.percent(k) is not None},
        }
    return summary


def _print_summary(out_dir: Path, record: dict[str, Any], results: list[JobResult], stream: TextIO) -> None:
    c = record["counts"]
    print(f"\nRESULT: {c['pass']} passed, {c['fail']} failed, {c['error']} errors, {c['timeout']} timeouts, "
          f"{c['build_error']} build errors, {c['not_run']} not run (planned/missing)", file=stream)
    if infra := sum(is_infrastructure(r) for r in results):
        print(f"infrastructure failures among the errors: {infra} (the farm, not the tests; "
              f"`--retries N` resubmits them)", file=stream)
    for r in results:
        if r.failed:
            print(f"\n{r.status.upper()} {r.sim} {r.ref} seed={r.seed}: {r.message.splitlines()[0] if r.message else ''}"
                  f"\n  log:    {out_dir / r.log if r.log else '-'}\n  replay: {r.replay}", file=stream)
    print(f"\noutputs: {out_dir}  (junit.xml, record.json, summary.md, report.html)", file=stream, flush=True)


def merge_runs(run_dirs: list[Path], out_dir: Path, stream: TextIO = sys.stdout) -> dict[str, Any]:
    """Combine shard directories into *out_dir* (JUnit, coverage, record, reports)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    results: dict[str, JobResult] = {}
    records = []
    for d in run_dirs:
        record = read_record(d)
        records.append(record)
        for r in record_results(record):
            if r.status == "not_run" and r.job_id in results:
                continue  # every shard lists the same not-runnable tests
            results[r.job_id] = r.rebased(Path(d), out_dir)
    first = records[0]
    meta = {k: first.get(k) for k in ("suite", "sims", "seeds_per_test", "base_seed", "fixed_seed",
                                      "registry", "git_commit", "tools", "testplan", "timeout_s")}
    meta.update({
        "merged_from": [str(Path(d).resolve()) for d in run_dirs], "shard": None,
        "jobs": first.get("jobs"), "waves": any(r.get("waves") for r in records),
        "wall_time_s": round(max(r.get("wall_time_s", 0) for r in records), 3),
        "started": min(r.get("started", "") for r in records), "command": sys.argv,
    })
    commits = {r.get("git_commit") for r in records}
    if len(commits) > 1:
        print(f"warning: shards come from different commits: {sorted(map(str, commits))}", file=stream)
    return collect(out_dir, list(results.values()), meta, stream=stream)
