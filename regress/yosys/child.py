"""Run one tool process with a time limit and measure its own wall time and peak memory.

`os.wait4` gives the rusage of exactly that child (not of every child this Python process
ever reaped), so parallel runs each get their own peak resident set size.
"""
from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ChildResult:
    """Exit status, wall time, CPU time (user + system), peak RSS and whether the time
    limit killed the process. CPU time does not grow with the machine's load; wall does."""

    returncode: int
    wall_s: float
    peak_rss_mib: float
    timed_out: bool
    cpu_s: float = 0.0


def run_measured(argv: list[str], cwd: Path, output: Path, timeout_s: float) -> ChildResult:
    """Run `argv` in `cwd`, stdout and stderr to `output`; kill its process group on timeout."""
    timed_out = threading.Event()
    start = time.monotonic()
    with open(output, "wb") as out:
        proc = subprocess.Popen(argv, cwd=cwd, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)

        def _kill() -> None:
            timed_out.set()
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

        timer = threading.Timer(timeout_s, _kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
    wall = time.monotonic() - start
    returncode = os.waitstatus_to_exitcode(status)
    proc.returncode = returncode  # reaped here; keeps Popen from waiting again
    return ChildResult(returncode, wall, usage.ru_maxrss / 1024.0, timed_out.is_set(),
                       usage.ru_utime + usage.ru_stime)
