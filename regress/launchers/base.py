"""What every launcher shares: its options, its interface, and infrastructure failures.

A launcher decides *where* builds and simulations run (local worker processes, SLURM
jobs); what runs and how a result is judged stays in ``llama_dv.regress.execute``. A failure of
the farm (a cancelled job, a dead node, a job that never started) is not a test result:
its message starts with ``INFRA_PREFIX`` so it gets its own failure bucket, and it is
the only kind ``--retries`` resubmits.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, Protocol, TextIO

from llama_dv.regress.execute import ExecOptions
from llama_dv.regress.results import JobResult
from llama_dv.regress.selection import Job

INFRA_PREFIX = "infrastructure failure"
"""First words of every infrastructure failure's message (and so of its bucket)."""


@dataclass
class LauncherOptions:
    """``--launcher``, ``--partition``, ``--account``, ``--slurm-args`` and ``--retries``."""

    name: str = "local"
    partition: str | None = None
    account: str | None = None
    extra_args: tuple[str, ...] = ()
    """Passed to every ``sbatch`` after llama-dv's own options, so they override them."""
    retries: int = 0
    """Resubmissions of a job that failed for an infrastructure reason (never for a test failure)."""
    poll_s: float = 1.0
    """First interval between job-state queries (squeue); it grows to ``max_poll_s`` while no
    job ends. Jobs that end normally are seen sooner, by their result files."""
    max_poll_s: float = 10.0


class Interrupted(KeyboardInterrupt):
    """Ctrl-C or SIGTERM after the launcher stopped its jobs; *results* has every job's
    outcome so far (unfinished jobs as errors), so the reports can still be written."""

    def __init__(self, results: list[JobResult]) -> None:
        super().__init__("interrupted")
        self.results = results


class Launcher(Protocol):
    """Runs the jobs of one regression and returns one JobResult per job, in job order."""

    name: str

    def describe(self, opts: ExecOptions) -> str:
        """Where the jobs go, for the regression's first line (e.g. ``2 worker(s)``)."""

    def run(self, registry: ModuleType, jobs: list[Job], out_dir: Path, opts: ExecOptions,
            stream: TextIO) -> list[JobResult]:
        """Build each DUT configuration once, run its jobs; raise KeyboardInterrupt (or
        Interrupted) when stopped."""

    def record(self) -> dict[str, Any]:
        """What the run record keeps about the launcher (farm job ids, retries, options)."""


def infra_message(reason: str) -> str:
    """Message of an infrastructure failure: *reason* names the farm job and what happened."""
    return f"{INFRA_PREFIX}: {reason}"


def is_infrastructure(result: JobResult) -> bool:
    """True when *result* failed because of the farm, not because of the test."""
    return result.status == "error" and result.message.startswith(INFRA_PREFIX)


@dataclass
class RetryBudget:
    """Infrastructure retries left per job (``--retries N`` each)."""

    retries: int
    used: dict[str, int] = field(default_factory=dict)

    def take(self, name: str) -> bool:
        """Use one retry of *name*; False when it has none left."""
        if self.used.get(name, 0) >= self.retries:
            return False
        self.used[name] = self.used.get(name, 0) + 1
        return True
