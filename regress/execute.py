"""Run regression jobs in parallel: build each DUT configuration once, then its tests
(in the order ``llama_dv.regress.schedule`` chooses).

Both phases use ``llama_dv.tb.sim.runner`` from worker threads; every build and simulation runs
in its own child process there, so a crash or hang (killed at the per-test timeout)
becomes one job's result and never stops the others.
"""
from __future__ import annotations

import json
import os
import sys
import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, Callable, TextIO

from llama_dv.tb.sim import runner as sim_runner

from llama_dv.regress import schedule
from llama_dv.regress.results import JobResult
from llama_dv.regress.selection import Job
from llama_dv.tb.common.knobs import COVERAGE_FILE_ENV as COVERAGE_ENV, DUT_CONFIG_ENV, METRICS_FILE_ENV as METRICS_ENV

FUNCTIONAL_COVERAGE_NAME = "functional_coverage.yml"
METRICS_NAME = "metrics.json"


@dataclass
class ExecOptions:
    jobs: int
    waves: bool
    code_coverage: bool
    timeout_s: float
    build_timeout_s: float
    python_path: tuple[Path, ...] = ()
    plusargs: tuple[str, ...] = ()
    """Simulator plusargs of every run (`+LDV_MUTANT=3` selects a mutant); part of the replay."""
    history: tuple[Path, ...] = ()
    """Folders of earlier regressions read for expected times, besides the default ones."""


class Progress:
    """One terminal line per finished job: done/remaining, pass/fail so far, ETA."""

    def __init__(self, total: int, stream: TextIO = sys.stdout):
        self.total, self.done, self.passed, self.failed = total, 0, 0, 0
        self.start = time.monotonic()
        self.stream = stream
        self.lock = threading.Lock()

    def update(self, result: JobResult, eta_s: float | None = None) -> None:
        """Count *result* and print its line; *eta_s* (the scheduler's forecast of the
        remaining time) replaces the average-so-far estimate when given."""
        with self.lock:
            self.done += 1
            if result.status == "pass":
                self.passed += 1
            elif result.failed:
                self.failed += 1
            elapsed = time.monotonic() - self.start
            remaining = self.total - self.done
            eta = elapsed / self.done * remaining if self.done else 0.0
            if eta_s is not None:
                eta = eta_s if remaining else 0.0
            width = len(str(self.total))
            print(f"[{self.done:>{width}}/{self.total}] {result.status.upper():<11} {result.sim:<9} "
                  f"{result.ref} seed={result.seed} ({result.duration_s:.1f}s) | pass {self.passed} "
                  f"fail {self.failed} left {remaining} | ETA {_fmt_duration(eta)}",
                  file=self.stream, flush=True)


def _fmt_duration(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


def use_code_coverage(sim: str, opts: ExecOptions, jobs: list[Job]) -> bool:
    """Code coverage for one build: Verilator, not switched off, and wanted by all its jobs
    (a build is shared, so one testpoint with ``code_coverage: false`` turns it off)."""
    return opts.code_coverage and sim == "verilator" and all(job.code_coverage for job in jobs)


Key = tuple[str, str, str]
"""(dut, config, sim): one simulator build."""


def build_one(dut: Any, coverage: bool, opts: ExecOptions) -> tuple[str | None, float]:
    """Build (or reuse) one configuration; returns (error message or None, seconds)."""
    start = time.monotonic()
    try:
        sim_runner.build(dut, coverage=coverage, waves=opts.waves,
                         timeout_s=opts.build_timeout_s)
        return None, time.monotonic() - start
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}", time.monotonic() - start


def run_all(registry: ModuleType, jobs: list[Job], out_dir: Path, opts: ExecOptions,
            stream: TextIO = sys.stdout, on_result: Callable[[JobResult], None] | None = None,
            timeline: schedule.Timeline | None = None,
            history: schedule.History | None = None) -> list[JobResult]:
    """Build each (dut, config, sim) once, then run its jobs; returns one JobResult per job, in job order.

    Builds and simulations share ``opts.jobs`` slots. A free slot takes the ready item
    with the longest expected remaining chain (``llama_dv.regress.schedule``): builds gating long
    work first, and a configuration's tests as soon as its build is done. *history*
    (default: the records beside *out_dir*) gives the expected times; *timeline*, if
    given, receives every item's start and end.
    """
    by_key: dict[Key, list[Job]] = {}
    for job in jobs:
        by_key.setdefault((job.ref.dut, job.ref.config, job.sim), []).append(job)
    progress = Progress(len(jobs), stream)
    results: dict[str, JobResult] = {}

    queue: schedule.ReadyQueue | None = None
    in_slots: dict[Future[Any], schedule.Running] = {}
    """What runs now, with its expected end (monotonic) in place of the seconds left."""
    slots = max(1, opts.jobs)

    def finish(job: Job, result: JobResult) -> None:
        results[job.job_id] = result
        eta = None
        if queue is not None:  # what the expected times say is left, from where the run is now
            now = time.monotonic()
            eta = queue.forecast_s([(end - now, *rest) for end, *rest in in_slots.values()], slots)
        progress.update(result, eta)
        if on_result:
            on_result(result)

    duts: dict[Key, Any] = {}
    coverage = {key: use_code_coverage(key[2], opts, key_jobs) for key, key_jobs in by_key.items()}
    failed_keys: dict[Key, str] = {}
    for key in sorted(by_key):
        dut, config, sim = key
        try:
            duts[key] = registry.get_dut(dut, sim, config)
        except Exception as exc:  # a registry bug must fail only that DUT's jobs
            failed_keys[key] = f"registry get_dut({dut!r}, {sim!r}, {config!r}) failed: {type(exc).__name__}: {exc}"
    print(f"building {len(duts)} DUT configuration(s) with {opts.jobs} worker(s)", file=stream, flush=True)
    if history is None:
        history = schedule.History.read(schedule.history_roots(out_dir, opts.history), exclude=out_dir)
    expected = schedule.expect(by_key, duts, coverage, opts.waves, history)
    for line in schedule.describe(expected, by_key, slots, history):
        print(line, file=stream, flush=True)
    timeline = timeline if timeline is not None else schedule.Timeline()
    timeline.forecast = schedule.forecast_json(expected, by_key, slots)
    for key, error in failed_keys.items():
        print(f"  BUILD FAILED {key[2]} {key[0]}@{key[1]}: {error}", file=stream, flush=True)
        for job in by_key[key]:
            finish(job, job_result(job, "build_error", 0.0, error))

    queue = schedule.ReadyQueue(expected, by_key)
    for key in sorted(duts):
        queue.add_build(key)
    build_started: dict[Key, float] = {}
    with ThreadPoolExecutor(max_workers=slots) as pool:
        tasks: dict[Future[Any], tuple[str, Any]] = {}
        try:
            while tasks or queue:
                # Only as many items as slots are handed to the pool, so the next one to
                # start is always chosen now, by priority, not by submission order.
                while queue and len(tasks) < slots:
                    now = time.monotonic()
                    kind, key, job = queue.pop([(end - now, *rest) for end, *rest in in_slots.values()], slots)
                    expected_end = now + queue.cost_s(key, job)
                    if job is None:
                        build_started[key] = time.time()
                        timeline.start(schedule.build_key(key, coverage[key]), "build", *expected.builds[key])
                        fut = pool.submit(build_one, duts[key], coverage[key], opts)
                        tasks[fut] = ("build", key)
                    else:
                        timeline.start(job.job_id, "run", *expected.runs[job.job_id])
                        fut = pool.submit(run_one, registry, duts[key], job, out_dir, opts, coverage[key])
                        tasks[fut] = ("job", job)
                    in_slots[fut] = (expected_end, kind, key, job)
                done, _ = wait(tasks, return_when=FIRST_COMPLETED)
                for fut in done:
                    kind, item = tasks.pop(fut)
                    in_slots.pop(fut, None)
                    if kind == "build":
                        error, took = fut.result()
                        label = f"{item[2]} {item[0]}@{item[1]}"
                        name = schedule.build_key(item, coverage[item])
                        if error:
                            timeline.end(name, status="error", duration_s=round(took, 3))
                            print(f"  BUILD FAILED {label} ({took:.1f}s): {error.splitlines()[0]}", file=stream, flush=True)
                            for job in by_key[item]:
                                finish(job, job_result(job, "build_error", 0.0, error))
                            continue
                        timeline.end(name, duration_s=round(took, 3),
                                     **schedule.build_outcome(duts[item], coverage[item], opts.waves,
                                                              build_started[item]))
                        print(f"  built {label} ({took:.1f}s)", file=stream, flush=True)
                        queue.add_runs(item)
                        continue
                    try:
                        result = fut.result()
                    except Exception as exc:  # never lose the other jobs' results
                        result = job_result(item, "error", 0.0, f"runner raised {type(exc).__name__}: {exc}")
                    timeline.end(item.job_id, status=result.status)
                    finish(item, result)
        except BaseException:
            # Ctrl-C or SIGTERM: no queued job starts, running builds and simulations
            # are killed instead of finishing detached.
            pool.shutdown(wait=False, cancel_futures=True)
            sim_runner.stop_children()
            raise

    return [results[j.job_id] for j in jobs]


def job_result(job: Job, status: str, duration: float, message: str, **extra: Any) -> JobResult:
    """The JobResult of *job*; launchers use it for outcomes no simulation produced."""
    return JobResult(job_id=job.job_id, ref=str(job.ref), dut=job.ref.dut, config=job.ref.config,
                     test=job.ref.test, sim=job.sim, seed=job.seed, status=status, duration_s=round(duration, 3),
                     message=message, testpoints=list(job.testpoints), env=dict(job.env), **extra)


def job_test_dir(job: Job, out_dir: Path) -> Path:
    """``<out>/tests/<job id>``: where one job's log, results and coverage go."""
    return (out_dir / "tests" / job.job_id).resolve()


def job_replay(registry: ModuleType, dut: Any, job: Job, opts: ExecOptions, coverage: bool) -> str:
    """The local command that replays *job* (same seed, build and testpoint env; waves on)."""
    test_env = {**job.env, DUT_CONFIG_ENV: job.ref.config}
    return sim_runner.replay_command(dut, registry.test_module(job.ref.dut), testcase=job.ref.test,
                                     seed=job.seed, waves=True, coverage=coverage, extra_env=test_env,
                                     plusargs=opts.plusargs, python_path=opts.python_path)


def run_one(registry: ModuleType, dut: Any, job: Job, out_dir: Path, opts: ExecOptions,
            coverage: bool) -> JobResult:
    """Run one job (its simulation in a child process); the local workers and the farm's
    worker (``llama_dv.regress.launchers.worker``) both call it, so both judge a run alike."""
    test_dir = job_test_dir(job, out_dir)
    test_dir.mkdir(parents=True, exist_ok=True)
    cov_file = test_dir / FUNCTIONAL_COVERAGE_NAME
    metrics_file = test_dir / METRICS_NAME
    for stale in (cov_file, metrics_file):
        stale.unlink(missing_ok=True)
    module = registry.test_module(job.ref.dut)
    # The replay gets the same test environment except the per-run output files.
    test_env = {**job.env, DUT_CONFIG_ENV: job.ref.config}
    env = {**test_env, COVERAGE_ENV: str(cov_file), METRICS_ENV: str(metrics_file)}
    start = time.monotonic()
    res = sim_runner.run(dut, module, testcase=job.ref.test, seed=job.seed, waves=opts.waves,
                         coverage=coverage, test_dir=test_dir, extra_env=env, timeout_s=opts.timeout_s,
                         plusargs=opts.plusargs, python_path=opts.python_path)
    duration = time.monotonic() - start
    replay = job_replay(registry, dut, job, opts, coverage)
    metrics: dict[str, Any] = {}
    if metrics_file.is_file():
        try:
            metrics = json.loads(metrics_file.read_text())
        except ValueError as exc:
            metrics = {"error": f"{metrics_file.name} is not JSON: {exc}"}
    return job_result(
        job, res.status, res.duration_s or duration, res.message,
        log=_rel(res.log, out_dir), test_dir=_rel(test_dir, out_dir), replay=replay,
        functional_coverage=_rel(cov_file, out_dir) if cov_file.is_file() else None,
        code_coverage=_rel(res.coverage, out_dir) if res.coverage else None, metrics=metrics,
    )


def _rel(path: Path | None, root: Path) -> str | None:
    if path is None:
        return None
    return os.path.relpath(Path(path).resolve(), root.resolve())
