"""Run one tool process under a CPU-time budget (and a wall-time outer bound) and measure
its own wall time, CPU time and peak memory.

Why CPU time: on a machine shared with other jobs a yosys run that needs 600 CPU-s can take
three times as long in wall time; a wall-clock budget then kills a design that
synthesizes. The budget is therefore counted in CPU seconds of the tool's whole process
group (yosys and the yosys-abc processes it starts), sampled from /proc; wall time is only
a generous outer bound for a hung process that burns no CPU.

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
from typing import MutableMapping

POLL_S = 0.5
_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


@dataclass(frozen=True)
class ChildResult:
    """Exit status, wall time, CPU time (user + system), peak RSS and which limit, if any,
    killed the process (`limit`: "cpu" or "wall"). CPU time does not grow with the
    machine's load; wall does."""

    returncode: int
    wall_s: float
    peak_rss_mib: float
    timed_out: bool
    cpu_s: float = 0.0
    limit: str | None = None

    def limit_message(self, cpu_budget_s: float, wall_bound_s: float) -> str:
        """Why the run was killed, in words (empty when it was not)."""
        if self.limit == "cpu":
            return (f"CPU budget exceeded: killed after {self.cpu_s:.0f} CPU-s "
                    f"(budget {cpu_budget_s:.0f} CPU-s, {self.wall_s:.0f} s wall)")
        if self.limit == "wall":
            return (f"wall-time bound exceeded: killed after {self.wall_s:.0f} s wall "
                    f"(bound {wall_bound_s:.0f} s; {self.cpu_s:.0f} CPU-s used)")
        return ""


def group_cpu_s(pgid: int) -> float | None:
    """CPU seconds (user + system, with reaped children) of the live processes of process
    group `pgid`, from /proc; None where /proc is not readable (then only wall time binds)."""
    total, seen = 0.0, False
    try:
        entries = os.listdir("/proc")
    except OSError:
        return None
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                raw = fh.read().decode(errors="replace")
        except OSError:
            continue
        fields = raw[raw.rfind(")") + 2:].split()
        # fields[0] is state (stat field 3): pgrp is field 5, utime..cstime fields 14..17.
        if len(fields) < 15 or int(fields[2]) != pgid:
            continue
        seen = True
        total += sum(int(v) for v in fields[11:15]) / _TICKS
    return total if seen else None


def run_measured(argv: list[str], cwd: Path, output: Path, timeout_s: float,
                 cpu_budget_s: float = 0.0,
                 status: MutableMapping[str, float] | None = None) -> ChildResult:
    """Run `argv` in `cwd`, stdout and stderr to `output`; kill its process group when it
    has used `cpu_budget_s` CPU seconds or run `timeout_s` wall seconds (0 or less: no
    limit of that kind). `status` follows the CPU time for progress lines: `run_cpu_s`
    of this run while it runs, `done_cpu_s` summed over finished runs."""
    limit: list[str] = []
    # The group's CPU time as the watcher last read it: a forked worker's time is not in
    # the direct child's rusage, so a run killed for its CPU budget would report ~0.
    seen_cpu = [0.0]
    start = time.monotonic()
    with open(output, "wb") as out:
        proc = subprocess.Popen(argv, cwd=cwd, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
        done = threading.Event()

        def _kill(why: str) -> None:
            limit.append(why)
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

        def _watch() -> None:
            while not done.wait(POLL_S):
                cpu = group_cpu_s(proc.pid)
                if cpu is not None:
                    seen_cpu[0] = max(seen_cpu[0], cpu)
                if cpu is not None and status is not None:
                    status["run_cpu_s"] = cpu
                if cpu_budget_s > 0 and cpu is not None and cpu > cpu_budget_s:
                    _kill("cpu")
                    return
                if timeout_s > 0 and time.monotonic() - start > timeout_s:
                    _kill("wall")
                    return

        watcher = threading.Thread(target=_watch, daemon=True)
        watcher.start()
        try:
            _, wait_status, usage = os.wait4(proc.pid, 0)
        finally:
            done.set()
            watcher.join()
    wall = time.monotonic() - start
    returncode = os.waitstatus_to_exitcode(wait_status)
    proc.returncode = returncode  # reaped here; keeps Popen from waiting again
    cpu = max(usage.ru_utime + usage.ru_stime, seen_cpu[0])
    if status is not None:  # runs of one top add up (split components, P&R)
        status["done_cpu_s"] = status.get("done_cpu_s", 0.0) + cpu
        status["run_cpu_s"] = 0.0
    why = limit[0] if limit else None
    return ChildResult(returncode, wall, usage.ru_maxrss / 1024.0, why is not None, cpu, why)
