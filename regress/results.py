"""Per-job results and the run record (``record.json``) of one regression directory.

Paths inside a record are relative to the regression directory, so a directory can be
moved, archived by CI, or merged with its sibling shards.
"""
from __future__ import annotations

import json
import os
import subprocess
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

RECORD_NAME = "record.json"
FAILING = ("fail", "error", "timeout", "build_error")


@dataclass
class JobResult:
    """How one job (or one not-run test) ended; ``status`` is pass, fail, error, timeout,
    build_error or not_run."""

    job_id: str
    ref: str
    dut: str
    config: str
    test: str
    sim: str
    seed: int | None
    status: str
    duration_s: float = 0.0
    message: str = ""
    log: str | None = None
    test_dir: str | None = None
    replay: str = ""
    testpoints: list[str] = field(default_factory=list)
    functional_coverage: str | None = None
    code_coverage: str | None = None
    metrics: dict[str, Any] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    """Testpoint environment the test ran with (also in ``replay``)."""

    @property
    def failed(self) -> bool:
        return self.status in FAILING

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "JobResult":
        return cls(**data)

    def rebased(self, old_root: Path, new_root: Path) -> "JobResult":
        """Copy with relative paths re-expressed from *new_root* (for merging shards)."""
        data = self.to_json()
        for key in ("log", "test_dir", "functional_coverage", "code_coverage"):
            if data[key]:
                data[key] = os.path.relpath((old_root / data[key]).resolve(), new_root.resolve())
        return JobResult(**data)


def git_commit(repo: Path) -> str | None:
    """HEAD of *repo* (None outside git or before the first commit), '+dirty' if modified."""
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True,
                              timeout=20, check=False)
        if head.returncode != 0:
            return None
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=repo,
                               capture_output=True, text=True, timeout=20, check=False)
        return head.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.TimeoutExpired):
        return None


def write_record(out_dir: Path, record: dict[str, Any]) -> Path:
    path = out_dir / RECORD_NAME
    path.write_text(json.dumps(record, indent=1, default=str))
    return path


def read_record(run_dir: Path) -> dict[str, Any]:
    """The record of a regression directory; raises FileNotFoundError naming it."""
    path = Path(run_dir) / RECORD_NAME
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no run record (is {run_dir} a regression output directory?)")
    return json.loads(path.read_text())


def record_results(record: dict[str, Any]) -> list[JobResult]:
    return [JobResult.from_json(r) for r in record["results"]]
