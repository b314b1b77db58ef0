"""The local launcher: builds and simulations as child processes of this machine.

This is ``llama_dv.regress.execute.run_all``: ``--jobs`` workers shared by builds and simulations,
started longest expected chain first (``llama_dv.regress.schedule``), each build and simulation in
its own process group, killed on Ctrl-C/SIGTERM. The record keeps when each started and
ended (``launcher.schedule``), which later runs read as build times.
"""
from __future__ import annotations

import sys
from pathlib import Path
from types import ModuleType
from typing import Any, TextIO

from llama_dv.regress.execute import ExecOptions, run_all
from llama_dv.regress.launchers.base import LauncherOptions
from llama_dv.regress.schedule import Timeline
from llama_dv.regress.results import JobResult
from llama_dv.regress.selection import Job


class LocalLauncher:
    """Local worker processes; there is no farm, so there are no infrastructure failures."""

    name = "local"

    def __init__(self, options: LauncherOptions | None = None) -> None:
        self.options = options or LauncherOptions()
        self.timeline: Timeline | None = None

    def describe(self, opts: ExecOptions) -> str:
        return f"{opts.jobs} worker(s)"

    def run(self, registry: ModuleType, jobs: list[Job], out_dir: Path, opts: ExecOptions,
            stream: TextIO = sys.stdout) -> list[JobResult]:
        self.timeline = Timeline()
        return run_all(registry, jobs, out_dir, opts, stream, timeline=self.timeline)

    def record(self) -> dict[str, Any]:
        record: dict[str, Any] = {"name": self.name}
        if self.timeline is not None:
            record["schedule"] = self.timeline.to_json()
        return record
