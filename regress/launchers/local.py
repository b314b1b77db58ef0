"""The local launcher: builds and simulations as child processes of this machine.

This is the runner as it always was (``regress.execute.run_all``): ``--jobs`` workers,
each build and simulation in its own process group, killed on Ctrl-C/SIGTERM.
"""
from __future__ import annotations

import sys
from pathlib import Path
from types import ModuleType
from typing import Any, TextIO

from regress.execute import ExecOptions, run_all
from regress.launchers.base import LauncherOptions
from regress.results import JobResult
from regress.selection import Job


class LocalLauncher:
    """Local worker processes; there is no farm, so there are no infrastructure failures."""

    name = "local"

    def __init__(self, options: LauncherOptions | None = None) -> None:
        self.options = options or LauncherOptions()

    def describe(self, opts: ExecOptions) -> str:
        return f"{opts.jobs} worker(s)"

    def run(self, registry: ModuleType, jobs: list[Job], out_dir: Path, opts: ExecOptions,
            stream: TextIO = sys.stdout) -> list[JobResult]:
        return run_all(registry, jobs, out_dir, opts, stream)

    def record(self) -> dict[str, Any]:
        return {"name": self.name}
