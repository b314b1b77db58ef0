"""Run the chosen tests against every mutant of one netlist, in parallel.

The mutant netlist is built once. Mutant 0 (no mutation) runs every test first: it must
pass them all, which shows that the netlist yosys wrote simulates like the sources, and
its run times set each test's timeout on the mutants. Every mutant then runs the tests
cheapest first through the regression runner (`llama_dv.regress.execute.run_one`, so a mutant
run is judged exactly like a regression job and leaves the same log and replay command)
and stops at its first failure: that test and message are what killed it.
"""
from __future__ import annotations

import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import ModuleType
from typing import TextIO

from llama_dv.regress.execute import ExecOptions, run_one
from llama_dv.regress.mutate.netlist import PLUSARG, MutantNetlist, Mutation
from llama_dv.regress.results import JobResult
from llama_dv.regress.selection import Job
from llama_dv.tb.sim import runner as sim_runner

KILLING_STATUSES = ("fail", "error", "timeout")
"""A mutant run that ends like this is caught: a failed check, a crash or a hang."""


class BaselineError(RuntimeError):
    """Mutant 0 (the unmutated netlist) failed a test: no mutant result would mean anything."""


@dataclass
class MutantOutcome:
    """What the tests did to one mutant."""

    mutation: Mutation
    killed_by: str | None = None
    message: str = ""
    log: str | None = None
    replay: str | None = None
    runs: list[dict[str, object]] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def killed(self) -> bool:
        return self.killed_by is not None

    @property
    def status(self) -> str:
        return "killed" if self.killed else "survived"


@dataclass
class Baseline:
    """Mutant 0's runs: every test passed, with these durations (seconds) and simulation
    logs (test, path), which hold the infection probes' lines."""

    durations: dict[str, float]
    seconds: float
    logs: list[tuple[str, Path]] = field(default_factory=list)


def mutant_timeout(baseline_s: float) -> float:
    """A mutant's run may take four times the unmutated run plus a margin before it counts as hung."""
    return 4.0 * baseline_s + 30.0


def _opts(base: ExecOptions, index: int, timeout_s: float) -> ExecOptions:
    return replace(base, plusargs=(*base.plusargs, f"+{PLUSARG}={index}"), timeout_s=timeout_s,
                   code_coverage=False, waves=False)


def build_netlist(netlist: MutantNetlist, timeout_s: float) -> sim_runner.DutBuild:
    """Build the wrapped mutant netlist once (cached like every other build)."""
    dut = netlist.build()
    sim_runner.build(dut, timeout_s=timeout_s)
    return dut


def run_baseline(registry: ModuleType, dut: sim_runner.DutBuild, jobs: list[Job], out_dir: Path,
                 opts: ExecOptions, stream: TextIO = sys.stdout) -> Baseline:
    """Every test on mutant 0, in parallel; raises BaselineError naming the failing test."""
    start = time.monotonic()
    with ThreadPoolExecutor(max_workers=max(1, opts.jobs)) as pool:
        results = list(pool.map(lambda job: run_one(registry, dut, job, out_dir / "m000", _opts(opts, 0, opts.timeout_s),
                                                    False), jobs))
    bad = [r for r in results if r.status != "pass"]
    if bad:
        r = bad[0]
        raise BaselineError(f"mutant 0 (the unmutated netlist) {r.status.upper()} {r.ref} seed {r.seed}: "
                            f"{r.message.splitlines()[0] if r.message else ''} (log {out_dir / 'm000' / (r.log or '')}; "
                            f"replay: {r.replay}). "
                            + ("The netlist yosys wrote does not behave like the sources under this test, so "
                               "no mutant result would mean anything." if r.status == "fail" else
                               "The test did not complete on the unmutated design; its log says why."))
    durations = {r.ref: r.duration_s for r in results}
    print(f"mutant 0 passed {len(results)} test(s) in {time.monotonic() - start:.1f}s: "
          + ", ".join(f"{ref} {s:.1f}s" for ref, s in durations.items()), file=stream, flush=True)
    logs = [(r.ref, out_dir / "m000" / r.log) for r in results if r.log]
    return Baseline(durations, time.monotonic() - start, logs)


def run_mutant(registry: ModuleType, dut: sim_runner.DutBuild, mutation: Mutation, jobs: list[Job],
               baseline: Baseline, out_dir: Path, opts: ExecOptions) -> MutantOutcome:
    """The tests on one mutant, cheapest first, until one fails."""
    outcome = MutantOutcome(mutation)
    start = time.monotonic()
    ordered = sorted(jobs, key=lambda j: baseline.durations.get(str(j.ref), 0.0))
    for job in ordered:
        limit = mutant_timeout(baseline.durations.get(str(job.ref), 60.0))
        res: JobResult = run_one(registry, dut, job, out_dir / f"m{mutation.index:03d}",
                                 _opts(opts, mutation.index, limit), False)
        outcome.runs.append({"test": str(job.ref), "status": res.status, "seconds": res.duration_s})
        if res.status in KILLING_STATUSES:
            outcome.killed_by = str(job.ref)
            outcome.message = (res.message or res.status).splitlines()[0][:300]
            outcome.log = f"m{mutation.index:03d}/{res.log}" if res.log else None
            outcome.replay = res.replay
            break
    outcome.seconds = round(time.monotonic() - start, 2)
    return outcome


class MutantProgress:
    """One line per finished mutant: killed/survived so far and the ETA."""

    def __init__(self, total: int, stream: TextIO) -> None:
        self.total, self.done, self.killed = total, 0, 0
        self.start = time.monotonic()
        self.stream = stream
        self.lock = threading.Lock()

    def update(self, o: MutantOutcome) -> None:
        with self.lock:
            self.done += 1
            self.killed += o.killed
            elapsed = time.monotonic() - self.start
            eta = elapsed / self.done * (self.total - self.done)
            what = f"by {o.killed_by}" if o.killed else f"({len(o.runs)} test(s) passed)"
            width = len(str(self.total))
            print(f"[{self.done:>{width}}/{self.total}] {o.status.upper():<8} m{o.mutation.index:<3} "
                  f"{o.mutation.describe()} {what} ({o.seconds:.1f}s) | killed {self.killed} "
                  f"survived {self.done - self.killed} | ETA {eta:.0f}s", file=self.stream, flush=True)


def run_mutants(registry: ModuleType, dut: sim_runner.DutBuild, mutations: list[Mutation], jobs: list[Job],
                baseline: Baseline, out_dir: Path, opts: ExecOptions,
                stream: TextIO = sys.stdout) -> list[MutantOutcome]:
    """Every mutant, `opts.jobs` at a time; results in mutation order."""
    progress = MutantProgress(len(mutations), stream)

    def one(m: Mutation) -> MutantOutcome:
        o = run_mutant(registry, dut, m, jobs, baseline, out_dir, opts)
        progress.update(o)
        return o

    with ThreadPoolExecutor(max_workers=max(1, opts.jobs)) as pool:
        try:
            return list(pool.map(one, mutations))
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            sim_runner.stop_children()
            raise
