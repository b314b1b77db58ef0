"""Which simulations a suite means: testpoints -> (test, sim, seed) jobs, and shards.

One job per (test reference, simulator, repetition), however many testpoints name the
test. Per-job seeds derive from one base seed, so a regression (and each shard of it)
is reproducible from the base seed alone.
"""
from __future__ import annotations

import zlib
from dataclasses import dataclass, field

from llama_dv.regress.registry import RegistryView
from llama_dv.regress.testplan import TestRef, Testplan, Testpoint


@dataclass
class Job:
    """One cocotb test function on one DUT build, with its seed."""

    ref: TestRef
    sim: str
    seed: int
    repeat: int
    testpoints: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    """The testpoint's environment on this simulator (load_testplan makes it unambiguous)."""
    code_coverage: bool = True
    """False when a testpoint naming this test opts out of Verilator code coverage."""

    @property
    def job_id(self) -> str:
        """Stable, filesystem-safe identity: ``<sim>/<dut>-<config>/<test>-<seed>``."""
        return f"{self.sim}/{self.ref.dut}-{self.ref.config}/{self.ref.test}-{self.seed}"


@dataclass
class NotRun:
    """A selected test that cannot run (not written yet): reported, never passed."""

    ref: TestRef
    sim: str
    reason: str
    testpoints: list[str] = field(default_factory=list)

    @property
    def job_id(self) -> str:
        return f"{self.sim}/{self.ref.dut}-{self.ref.config}/{self.ref.test}-notrun"


def job_seed(base_seed: int, ref: TestRef, sim: str, repeat: int) -> int:
    """Deterministic 31-bit non-zero seed for one job."""
    return (zlib.crc32(f"{base_seed}:{ref}:{sim}:{repeat}".encode()) & 0x7FFFFFFF) or 1


def plan_jobs(plan: Testplan, testpoints: list[Testpoint], registry: RegistryView, sims: tuple[str, ...],
              seeds: int, base_seed: int, fixed_seed: bool = False) -> tuple[list[Job], list[NotRun]]:
    """Jobs for *testpoints* on *sims*; tests the registry lacks become NotRun entries.

    With *fixed_seed* every job uses *base_seed* itself (``SEED=s`` replays one seed).
    """
    jobs: dict[tuple[TestRef, str, int], Job] = {}
    missing: dict[tuple[TestRef, str], NotRun] = {}
    for tp in testpoints:
        for sim in (s for s in sims if s in tp.sims):
            for ref in tp.tests:
                if not registry.has_test(ref.dut, ref.test):
                    why = "planned: test not written yet" if tp.planned else "test not found in the DUT registry"
                    entry = missing.setdefault((ref, sim), NotRun(ref, sim, why))
                    entry.testpoints.append(tp.name)
                    continue
                for rep in range(seeds):
                    seed = base_seed if fixed_seed else job_seed(base_seed, ref, sim, rep)
                    job = jobs.setdefault((ref, sim, rep), Job(ref, sim, seed, rep, env=tp.env_for(sim)))
                    job.testpoints.append(tp.name)
                    job.code_coverage = job.code_coverage and tp.code_coverage
    # One build per (DUT, config, simulator): decide its coverage before any sharding, so
    # every shard builds what the unsharded run builds.
    wants: dict[tuple[str, str, str], bool] = {}
    for job in jobs.values():
        key = (job.ref.dut, job.ref.config, job.sim)
        wants[key] = wants.get(key, True) and job.code_coverage
    for job in jobs.values():
        job.code_coverage = wants[(job.ref.dut, job.ref.config, job.sim)]
    ordered = sorted(jobs.values(), key=lambda j: (str(j.ref), j.sim, j.repeat))
    return ordered, sorted(missing.values(), key=lambda n: (str(n.ref), n.sim))


def parse_shard(text: str) -> tuple[int, int]:
    """``K/N`` (1-based) -> (K, N); raises ValueError with the bad text."""
    try:
        k, n = (int(x) for x in text.split("/"))
    except ValueError:
        raise ValueError(f"--shard expects K/N such as 2/4, got {text!r}") from None
    if not 1 <= k <= n:
        raise ValueError(f"--shard {text!r}: K must be between 1 and N")
    return k, n


def shard(jobs: list[Job], k: int, n: int) -> list[Job]:
    """Shard K of N: every N-th job of the ordered list, so shards have similar mixes."""
    return [job for i, job in enumerate(jobs) if i % n == k - 1]
