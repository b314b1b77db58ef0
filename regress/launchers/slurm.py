"""The SLURM launcher: every build and every simulation of a regression is a SLURM job.

One build job per (DUT, configuration, simulator); its runs are submitted at once with
``--dependency=afterok:<build>``, so the scheduler starts them the moment the build is
done. Jobs run ``llama_dv.regress.launchers.worker`` on a node, which writes its result into the
regression directory (a filesystem shared with the nodes). The launcher collects those
results as they appear, prints the same progress lines as the local launcher, and polls
the job states (``squeue``) to find jobs that ended without a result: a timeout (the
test's time limit) or an infrastructure failure (``slurm_state.explain``), which
``--retries N`` resubmits.

Ctrl-C or SIGTERM cancels every job this regression submitted, by job id, waits for them
to end, and hands back the results so far (``Interrupted``) for the reports.
"""
from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, TextIO

from llama_dv.tb.sim.runner import REPO_ROOT

from llama_dv.regress.execute import ExecOptions, Progress, job_replay, job_result, job_test_dir, use_code_coverage
from llama_dv.regress.launchers.base import Interrupted, LauncherOptions, RetryBudget, infra_message, is_infrastructure
from llama_dv.regress.launchers.jobscript import JobFiles, job_files, time_limit_minutes, write_job
from llama_dv.regress.launchers.slurm_client import SlurmClient, SlurmError
from llama_dv.regress.launchers.slurm_state import EndOfJob, JobInfo, explain
from llama_dv.regress.launchers.worker import make_spec
from llama_dv.regress.results import JobResult
from llama_dv.regress.schedule import History, ReadyQueue, expect, history_roots
from llama_dv.regress.selection import Job

Key = tuple[str, str, str]
"""(dut, config, sim): one simulator build."""

RESULT_GRACE_S = 30.0
"""How long a job that completed without a visible result file is given before it counts as
an infrastructure failure (a shared filesystem may show the file late)."""
RESULT_POLL_S = 0.25
"""Interval between looks for result files (a stat per unfinished job)."""
CANCEL_WAIT_S = 60.0
"""How long an interrupted regression waits for its cancelled jobs to end."""


@dataclass
class _Task:
    """One farm job to get done: a build of *key* or a run of *job*, over its attempts."""

    kind: str
    key: Key
    label: str
    files: JobFiles
    job: Job | None = None
    slurm_ids: list[str] = field(default_factory=list)
    submitted: float = 0.0
    done: bool = False
    missing_since: float | None = None

    @property
    def current(self) -> str | None:
        return self.slurm_ids[-1] if self.slurm_ids else None


class SlurmLauncher:
    """``llama-dv regress --launcher slurm``: builds and runs as SLURM jobs."""

    name = "slurm"

    def __init__(self, options: LauncherOptions, client: SlurmClient | None = None,
                 python: str = sys.executable) -> None:
        self.options = options
        self.client = client or SlurmClient()
        self.python = python
        self.job_ids: dict[str, list[str]] = {}
        """SLURM job ids of every build and run (by label), one per attempt."""
        self.infra_failures: list[dict[str, Any]] = []
        self.cancelled: list[str] = []
        """Job ids llama-dv cancelled itself (a failed build's runs, an interrupted regression)."""

    def check(self) -> None:
        """Raise SlurmError when the SLURM client commands are not available."""
        self.client.check()

    def describe(self, opts: ExecOptions) -> str:
        return f"SLURM jobs (partition {self.options.partition or 'default'})"

    def record(self) -> dict[str, Any]:
        return {"name": self.name, "partition": self.options.partition, "account": self.options.account,
                "slurm_args": list(self.options.extra_args), "retries": self.options.retries,
                "jobs": self.job_ids, "infrastructure_failures": self.infra_failures, "cancelled": self.cancelled}

    def run(self, registry: ModuleType, jobs: list[Job], out_dir: Path, opts: ExecOptions,
            stream: TextIO = sys.stdout) -> list[JobResult]:
        return _Session(self, registry, jobs, out_dir, opts, stream).run()


class _Session:
    """The state of one regression on the farm (tasks, results, retries)."""

    def __init__(self, launcher: SlurmLauncher, registry: ModuleType, jobs: list[Job], out_dir: Path,
                 opts: ExecOptions, stream: TextIO) -> None:
        self.launcher, self.client, self.options = launcher, launcher.client, launcher.options
        self.registry, self.jobs, self.out_dir, self.opts, self.stream = registry, jobs, out_dir, opts, stream
        self.by_key: dict[Key, list[Job]] = {}
        for job in jobs:
            self.by_key.setdefault((job.ref.dut, job.ref.config, job.sim), []).append(job)
        self.coverage = {key: use_code_coverage(key[2], opts, key_jobs) for key, key_jobs in self.by_key.items()}
        self.duts: dict[Key, Any] = {}
        self.builds: dict[Key, _Task] = {}
        self.runs: dict[Key, list[_Task]] = {}
        self.built: set[Key] = set()
        self.results: dict[str, JobResult] = {}
        self.progress = Progress(len(jobs), stream)
        self.budget = RetryBudget(self.options.retries)
        self.submit_errors: dict[str, str] = {}

    def say(self, text: str) -> None:
        print(text, file=self.stream, flush=True)

    # -- results -----------------------------------------------------------------------------

    def finish(self, task: _Task, result: JobResult) -> None:
        task.done = True
        assert task.job is not None
        self.results[task.job.job_id] = result
        if is_infrastructure(result):
            self.launcher.infra_failures.append({"job": task.label, "slurm_job": task.current or "",
                                                 "message": result.message, "retried": False})
        self.progress.update(result)

    def _rel(self, path: Path) -> str:
        return os.path.relpath(path, self.out_dir.resolve())

    def failed_result(self, task: _Task, status: str, message: str, farm_log: bool = False) -> JobResult:
        """Result of a run that produced none itself, with its replay command and a log: the
        simulation's, or with *farm_log* (or no simulation log) the SLURM job's output."""
        assert task.job is not None
        job, key = task.job, task.key
        extra: dict[str, Any] = {}
        if key in self.duts:
            extra["replay"] = job_replay(self.registry, self.duts[key], job, self.opts, self.coverage[key])
        logs = [job_test_dir(job, self.out_dir) / "sim.log"]
        if task.current:
            logs.insert(0 if farm_log else 1, task.files.output(task.current))
        if log := next((p for p in logs if p.is_file()), None):
            extra["log"] = self._rel(log)
        if job_test_dir(job, self.out_dir).is_dir():
            extra["test_dir"] = self._rel(job_test_dir(job, self.out_dir))
        duration = time.monotonic() - task.submitted if task.submitted else 0.0
        return job_result(job, status, duration, message, **extra)

    # -- submission ----------------------------------------------------------------------------

    def sbatch_args(self, dependency: str | None = None) -> list[str]:
        args = []
        if self.options.partition:
            args.append(f"--partition={self.options.partition}")
        if self.options.account:
            args.append(f"--account={self.options.account}")
        if dependency:
            args += [f"--dependency=afterok:{dependency}", "--kill-on-invalid-dep=yes"]
        return args + list(self.options.extra_args)

    def submit(self, task: _Task) -> str | None:
        """sbatch *task* (a run waits for its build's job); None when sbatch refused it (the
        reason is kept in ``submit_errors``)."""
        dependency = None
        if task.kind == "run" and task.key not in self.built:
            dependency = self.builds[task.key].current or None
        task.files.result.unlink(missing_ok=True)
        task.missing_since = None
        try:
            job_id = self.client.submit(task.files.script, self.sbatch_args(dependency))
        except SlurmError as exc:
            task.slurm_ids.append("")
            self.submit_errors[task.label] = str(exc)
            return None
        task.slurm_ids.append(job_id)
        task.submitted = task.submitted or time.monotonic()
        self.launcher.job_ids.setdefault(task.label, []).append(job_id)
        return job_id

    def write(self, task: _Task) -> None:
        """The spec and job script of *task*; its time limit is llama-dv's own timeout plus a margin."""
        key, kind, job = task.key, task.kind, task.job
        spec = make_spec(kind, registry=self.registry.__name__, key=key, coverage=self.coverage[key], opts=self.opts,
                         out_dir=self.out_dir, result=task.files.result, job=job)
        if job is None:
            timeout, short = self.opts.build_timeout_s, f"{key[0]}-{key[1]}"
        else:
            timeout, short = self.opts.timeout_s, f"{job.ref.test}-{job.seed}"
        write_job(task.files, spec, job_name=f"ldv-{kind}:{key[2]}:{short}", time_min=time_limit_minutes(timeout),
                  python=self.launcher.python, workdir=REPO_ROOT, comment=f"{kind} {task.label}")

    def submit_key(self, key: Key) -> None:
        """Submit the build of *key* and its runs (depending on it)."""
        build = self.builds[key]
        build_id = self.submit(build)
        if build_id is None:
            self.build_ended(build, None)
            return
        for run in self.runs[key]:
            if not run.done:
                if self.submit(run) is None:
                    self.run_ended(run, None)

    # -- job ends ----------------------------------------------------------------------------------

    def end_of(self, task: _Task, info: JobInfo | None) -> EndOfJob:
        if task.current == "":
            return EndOfJob("error", infra_message(
                f"could not submit {task.files.script.name}: {self.submit_errors.get(task.label, '?')}"), True)
        assert task.current is not None
        if info is None or info.source == "squeue":
            info = self.client.end_info(task.current) or info
        return explain(info, task.current)

    def retry(self, task: _Task, end: EndOfJob) -> bool:
        if not (end.infrastructure and self.budget.take(task.label)):
            return False
        self.launcher.infra_failures.append({"job": task.label, "slurm_job": task.current or "",
                                             "message": end.message, "retried": True})
        self.say(f"  RETRY {task.label} ({self.budget.used[task.label]} of {self.options.retries}): {end.message}")
        return True

    def build_ended(self, task: _Task, info: JobInfo | None) -> None:
        key = task.key
        label = task.label
        result = _read_json(task.files.result)
        if result is not None:
            task.done = True
            error, took = result.get("error"), float(result.get("duration_s") or 0.0)
            if not error:
                self.built.add(key)
                self.say(f"  built {label} ({took:.1f}s)")
                return
            self.say(f"  BUILD FAILED {label} ({took:.1f}s): {error.splitlines()[0]}")
            self.fail_runs(key, "build_error", error)
            return
        if self.waiting_for_file(task, info):
            return
        end = self.end_of(task, info)
        stale = [r.current for r in self.runs[key] if not r.done and r.current]
        if self.retry(task, end):
            self.cancel(stale)
            self.submit_key(key)
            return
        task.done = True
        status = "error" if end.infrastructure else "build_error"
        message = end.message if end.infrastructure else f"build of {label}: {end.message}"
        self.say(f"  BUILD FAILED {label}: {message}")
        self.fail_runs(key, status, message)

    def fail_runs(self, key: Key, status: str, message: str) -> None:
        """The build of *key* failed: so do its runs (SLURM cancels them too, for the failed
        dependency; llama-dv cancels them by id in case the build job itself succeeded)."""
        runs = [r for r in self.runs[key] if not r.done]
        self.cancel([r.current for r in runs if r.current])
        for run in runs:
            self.finish(run, self.failed_result(run, status, message, farm_log=status == "error"))

    def run_ended(self, task: _Task, info: JobInfo | None) -> None:
        data = _read_json(task.files.result)
        if data is not None:
            try:
                self.finish(task, JobResult.from_json(data))
            except TypeError as exc:
                self.finish(task, self.failed_result(task, "error", f"result file {task.files.result} is not a "
                                                                   f"job result: {exc}"))
            return
        if self.waiting_for_file(task, info):
            return
        end = self.end_of(task, info)
        if self.retry(task, end):
            if self.submit(task) is None:
                self.run_ended(task, None)
            return
        self.finish(task, self.failed_result(task, end.status, end.message, farm_log=end.infrastructure))

    def waiting_for_file(self, task: _Task, info: JobInfo | None) -> bool:
        """True while a job that completed cleanly may still show its result file late."""
        if info is None or info.state != "COMPLETED":
            return False
        now = time.monotonic()
        task.missing_since = task.missing_since or now
        return now - task.missing_since < RESULT_GRACE_S

    def cancel(self, job_ids: list[str]) -> None:
        job_ids = [j for j in job_ids if j]
        if not job_ids:
            return
        self.launcher.cancelled += job_ids
        try:
            self.client.cancel(job_ids)
        except SlurmError as exc:
            self.say(f"  warning: {exc}")

    # -- the loop ----------------------------------------------------------------------------------

    def run(self) -> list[JobResult]:
        failed_keys: dict[Key, str] = {}
        for key in sorted(self.by_key):
            dut, config, sim = key
            try:
                self.duts[key] = self.registry.get_dut(dut, sim, config)
            except Exception as exc:  # a registry bug must fail only that DUT's jobs
                failed_keys[key] = (f"registry get_dut({dut!r}, {sim!r}, {config!r}) failed: "
                                    f"{type(exc).__name__}: {exc}")
        self.say(f"building {len(self.duts)} DUT configuration(s) as SLURM jobs, "
                 f"{sum(len(self.by_key[k]) for k in self.duts)} run job(s) depending on them -> "
                 f"{self.out_dir / 'slurm'}")
        for key, error in failed_keys.items():
            self.say(f"  BUILD FAILED {key[2]} {key[0]}@{key[1]}: {error}")
            for job in self.by_key[key]:
                self.results[job.job_id] = job_result(job, "build_error", 0.0, error)
                self.progress.update(self.results[job.job_id])
        try:
            for key in self.submission_order():
                label = f"{key[2]} {key[0]}@{key[1]}"
                files = job_files(self.out_dir, f"build-{key[2]}-{key[0]}-{key[1]}")
                self.builds[key] = _Task("build", key, label, files)
                self.runs[key] = [_Task("run", key, job.job_id, job_files(self.out_dir, f"run-{job.job_id}"), job)
                                  for job in self.by_key[key]]
                for task in (self.builds[key], *self.runs[key]):
                    self.write(task)
                self.submit_key(key)
            self.poll()
        except KeyboardInterrupt:
            raise Interrupted(self.stop("interrupted")) from None
        except BaseException:
            self.stop("stopping on an internal error")  # never leave jobs queued behind a crash
            raise
        return [self.results[j.job_id] for j in self.jobs]

    def submission_order(self) -> list[Key]:
        """Builds longest expected chain first, each build's runs longest first
        (``llama_dv.regress.schedule``), so a FIFO farm queue starts the long work early; SLURM's
        dependencies still start every run as soon as its own build is done."""
        history = History.read(history_roots(self.out_dir, self.opts.history), exclude=self.out_dir)
        for warning in history.warnings:
            self.say(f"  warning: {warning}")
        expected = expect(self.by_key, self.duts, self.coverage, self.opts.waves, history)
        queue = ReadyQueue(expected, self.by_key)
        for key in self.duts:
            self.by_key[key] = sorted(self.by_key[key], key=lambda job: -expected.run_s(job))
        return sorted(self.duts, key=lambda key: (-queue.chain_s(key), key))

    def unfinished(self) -> list[_Task]:
        return [t for t in (*self.builds.values(), *(r for rs in self.runs.values() for r in rs)) if not t.done]

    def pending(self) -> list[_Task]:
        """Tasks whose job state matters now: builds, and the runs of finished builds."""
        tasks = [t for t in self.builds.values() if not t.done]
        tasks += [r for key, runs in self.runs.items() for r in runs if not r.done and key in self.built]
        return tasks

    def poll(self) -> None:
        """Until every task is done: result files often (cheap, the normal end), job states
        less often (the only way to see a job that died), backing off while nothing ends."""
        interval = self.options.poll_s
        next_query = time.monotonic() + interval
        warned = False
        while self.unfinished():
            before = len(self.results) + len(self.built)
            for task in self.pending():
                if not task.done and task.files.result.is_file():
                    self.ended(task, None)
            if time.monotonic() >= next_query:
                tasks = [t for t in self.pending() if t.current]
                try:
                    infos = self.client.states([t.current for t in tasks if t.current])
                except SlurmError as exc:
                    if not warned:
                        self.say(f"  warning: {exc}; still polling")
                    warned, infos, tasks = True, {}, []
                else:
                    warned = False
                for task in tasks:
                    info = infos.get(task.current or "")
                    if not task.done and (info is None or info.terminal):
                        self.ended(task, info)
                progressed = len(self.results) + len(self.built) > before
                interval = self.options.poll_s if progressed else min(interval * 1.5, self.options.max_poll_s)
                next_query = time.monotonic() + interval
            if self.unfinished():
                time.sleep(RESULT_POLL_S)

    def ended(self, task: _Task, info: JobInfo | None) -> None:
        if task.kind == "build":
            self.build_ended(task, info)
        elif task.key in self.built:
            self.run_ended(task, info)

    def stop(self, why: str) -> list[JobResult]:
        """Cancel every unfinished job by id, wait for them to end; results of every job."""
        previous = _ignore_signals()
        try:
            ids = [t.current for t in self.unfinished() if t.current]
            if ids:
                self.say(f"{why}: cancelling {len(ids)} SLURM job(s): {' '.join(ids)}")
                self.cancel(ids)
                self.wait_ended(ids)
            for job in self.jobs:
                if job.job_id in self.results:
                    continue
                task = next((r for rs in self.runs.values() for r in rs if r.job is job), None)
                data = _read_json(task.files.result) if task else None
                if data is not None:
                    self.results[job.job_id] = JobResult.from_json(data)
                elif task is not None and task.current:
                    self.results[job.job_id] = self.failed_result(
                        task, "error", f"interrupted: slurm job {task.current} was cancelled by llama-dv "
                                       f"before it finished")
                else:
                    self.results[job.job_id] = job_result(job, "error", 0.0,
                                                          "interrupted: never submitted to SLURM")
            return [self.results[j.job_id] for j in self.jobs]
        finally:
            _restore_signals(previous)

    def wait_ended(self, job_ids: list[str]) -> None:
        deadline = time.monotonic() + CANCEL_WAIT_S
        left = list(job_ids)
        while left and time.monotonic() < deadline:
            try:
                infos = self.client.states(left)
            except SlurmError:
                infos = {}
            left = [j for j in left if j in infos and not infos[j].terminal]
            if left:
                time.sleep(0.2)
        if left:
            self.say(f"  warning: SLURM job(s) {' '.join(left)} had not ended {CANCEL_WAIT_S:.0f} s after scancel")


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def _ignore_signals() -> dict[int, Any]:
    """Cancelling must not itself be interrupted by a second Ctrl-C or SIGTERM."""
    if threading.current_thread() is not threading.main_thread():
        return {}
    return {sig: signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGINT, signal.SIGTERM)}


def _restore_signals(previous: dict[int, Any]) -> None:
    for sig, handler in previous.items():
        signal.signal(sig, handler)
