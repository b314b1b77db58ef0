"""Job scripts of a farm regression, written into ``<regression>/slurm/``.

Each build and each run gets ``<name>.sh`` (the sbatch script: resources and the worker
command), ``<name>.json`` (the worker's spec), ``<name>.result.json`` (written by the
worker when it finishes) and ``<name>-<job id>.out`` (the job's stdout and stderr). A
script can be resubmitted by hand with ``sbatch`` to reproduce exactly what the farm ran.
"""
from __future__ import annotations

import json
import math
import re
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any

JOBS_DIR = "slurm"
START_MARGIN_MIN = 1
"""Minutes a job gets beyond the test's own timeout: Python start-up, staging, collection."""


@dataclass(frozen=True)
class JobFiles:
    """Where one farm job's script, spec, result and output live."""

    folder: Path
    name: str

    @property
    def script(self) -> Path:
        return self.folder / f"{self.name}.sh"

    @property
    def spec(self) -> Path:
        return self.folder / f"{self.name}.json"

    @property
    def result(self) -> Path:
        return self.folder / f"{self.name}.result.json"

    def output(self, job_id: str) -> Path:
        return self.folder / f"{self.name}-{job_id}.out"


def file_name(text: str) -> str:
    """*text* (a job id with slashes) as one safe file name."""
    return re.sub(r"[^\w.\-]+", "-", text).strip("-")


def job_files(out_dir: Path, name: str) -> JobFiles:
    folder = out_dir / JOBS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    return JobFiles(folder.resolve(), file_name(name))


def time_limit_minutes(timeout_s: float) -> int:
    """SLURM ``--time`` (whole minutes) for a job whose own watchdog fires at *timeout_s*."""
    return max(1, math.ceil(timeout_s / 60)) + START_MARGIN_MIN


def write_job(files: JobFiles, spec: dict[str, Any], *, job_name: str, time_min: int, python: str,
              workdir: Path, comment: str) -> None:
    """Write the spec and the sbatch script of one job."""
    files.spec.write_text(json.dumps(spec, indent=1, default=str))
    files.result.unlink(missing_ok=True)
    directives = [
        f"--job-name={job_name}",
        f"--output={files.folder / (files.name + '-%j.out')}",
        f"--time={time_min}",
        "--ntasks=1",
        "--cpus-per-task=1",
        "--no-requeue",  # a lost node is reported (and retried by llama-dv), not silently rerun
        "--export=ALL",  # the worker needs the submitting environment (PYTHONPATH, build root)
        f"--chdir={workdir}",
    ]
    lines = ["#!/bin/bash", *(f"#SBATCH {d}" for d in directives),
             f"# llama-dv regression job: {comment}",
             "# Written by `llama-dv regress --launcher slurm`; `sbatch` this file to run it again.",
             f"exec {shlex.quote(python)} -m llama_dv.regress.launchers.worker {shlex.quote(str(files.spec))}", ""]
    files.script.write_text("\n".join(lines))
    files.script.chmod(0o755)
