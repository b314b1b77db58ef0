"""What SLURM says about a job, and what a job that ended without a result means.

Without slurmdbd there is no ``sacct``: a job's state comes from ``squeue -t all`` and
``scontrol show job -o`` while the controller still holds it (``MinJobAge``), and from
the jobcomp file (``JobCompType=jobcomp/filetxt``) after that. The three print the same
``Key=Value`` fields this module reads.

A run job that wrote its result file is judged like a local run. One that did not was
stopped from outside; ``explain`` says whether that is the test's doing (its time limit)
or the farm's (cancelled, node failure, killed by a signal, never launched), and only
the farm's are infrastructure failures that ``--retries`` resubmits.
"""
from __future__ import annotations

import re
import signal
from dataclasses import dataclass

from llama_dv.regress.launchers.base import infra_message

TERMINAL_STATES = frozenset({
    "COMPLETED", "CANCELLED", "FAILED", "TIMEOUT", "NODE_FAIL", "PREEMPTED", "BOOT_FAIL",
    "DEADLINE", "OUT_OF_MEMORY", "REVOKED",
})
"""States a job never leaves (jobs are submitted with --no-requeue, so no REQUEUED)."""

_KEY = re.compile(r"(?:^|\s)([A-Za-z][\w:/]*)=")


@dataclass
class JobInfo:
    """One SLURM job as squeue, scontrol or the jobcomp file report it."""

    job_id: str
    state: str
    reason: str = ""
    exit_code: str = ""
    """``<exit status>:<signal>`` of the batch script, e.g. ``0:15`` when killed by SIGTERM."""
    nodes: str = ""
    time_limit: str = ""
    source: str = "squeue"

    @property
    def terminal(self) -> bool:
        return self.state in TERMINAL_STATES

    @property
    def exit_status(self) -> tuple[int, int] | None:
        """(exit code, signal) from ``exit_code``; None when SLURM gave none."""
        code, sep, sig = self.exit_code.partition(":")
        try:
            return int(code), int(sig) if sep else 0
        except ValueError:
            return None


def key_values(line: str) -> dict[str, str]:
    """``Key=Value`` pairs of one ``scontrol -o`` or jobcomp line (values may hold spaces)."""
    matches = list(_KEY.finditer(line))
    out = {}
    for i, m in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(line)
        out[m[1]] = line[m.end():end].strip()
    return out


def from_key_values(line: str, source: str) -> JobInfo | None:
    """JobInfo of one ``scontrol show job -o`` or jobcomp line; None if it names no job."""
    kv = key_values(line)
    if "JobId" not in kv or "JobState" not in kv:
        return None
    return JobInfo(job_id=kv["JobId"], state=kv["JobState"].split()[0], reason=kv.get("Reason", ""),
                   exit_code=kv.get("ExitCode", ""), nodes=kv.get("NodeList", ""),
                   time_limit=kv.get("TimeLimit", ""), source=source)


def from_jobcomp(text: str, job_id: str) -> JobInfo | None:
    """The last record of *job_id* in a jobcomp/filetxt file's *text*."""
    found = None
    for line in text.splitlines():
        if f"JobId={job_id} " in line + " ":
            found = from_key_values(line, "jobcomp") or found
    return found


SQUEUE_FORMAT = "%i|%T|%r|%N|%l"
"""``squeue -o`` format that ``from_squeue`` reads: id, state, reason, nodes, time limit."""


def from_squeue(text: str) -> dict[str, JobInfo]:
    """Jobs of ``squeue -h -t all -o SQUEUE_FORMAT`` output, by job id."""
    out = {}
    for line in text.splitlines():
        parts = line.strip().split("|")
        if len(parts) == 5:
            job_id, state, reason, nodes, limit = parts
            out[job_id] = JobInfo(job_id, state.split()[0], reason, "", nodes, limit, "squeue")
    return out


@dataclass
class EndOfJob:
    """What a job that ended without writing its result means for the regression."""

    status: str
    """``timeout`` (the test's time limit) or ``error``."""
    message: str
    infrastructure: bool


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def explain(info: JobInfo | None, job_id: str) -> EndOfJob:
    """Why SLURM job *job_id* ended without a result file (*info* None: SLURM forgot it)."""
    if info is None:
        return EndOfJob("error", infra_message(
            f"slurm no longer knows job {job_id} (older than MinJobAge) and the jobcomp file has no "
            f"record of it"), True)
    nodes = info.nodes if info.nodes not in ("", "(null)", "None assigned") else ""
    where = f" on {nodes}" if nodes else ""
    state = info.state
    if state in ("TIMEOUT", "DEADLINE"):
        what = "its time limit" + (f" ({info.time_limit})" if info.time_limit else "")
        if state == "DEADLINE":
            what = "its deadline"
        return EndOfJob("timeout", f"slurm job {job_id} reached {what}{where} before llama-dv's own "
                                   f"watchdog stopped the test", False)
    if state == "OUT_OF_MEMORY":
        return EndOfJob("error", f"slurm job {job_id} ran out of memory{where}; ask for more with "
                                 f"--slurm-args '--mem=...'", False)
    if state == "CANCELLED":
        reason = f"slurm job {job_id} was cancelled{where} outside llama-dv (scancel or an administrator)"
    elif state == "NODE_FAIL":
        reason = f"node {nodes or '(unknown)'} failed while slurm job {job_id} ran ({info.reason or 'NODE_FAIL'})"
    elif state == "BOOT_FAIL":
        reason = f"node {nodes or '(unknown)'} failed to boot for slurm job {job_id}"
    elif state == "PREEMPTED":
        reason = f"slurm job {job_id} was preempted{where}"
    elif state == "FAILED" and (status := info.exit_status) and 0 < status[1] < signal.SIGRTMIN:
        reason = f"slurm job {job_id} was killed by {_signal_name(status[1])}{where}"
    elif state == "FAILED" and info.reason == "JobLaunchFailure":
        # slurmstepd could not start the batch script (working directory, output file...);
        # SLURM reports that with a real-time "signal" (53) in the exit code.
        reason = f"slurm could not launch job {job_id}{where} (JobLaunchFailure; see slurmd's log)"
    elif state == "FAILED":
        code = info.exit_status[0] if info.exit_status else "?"
        reason = (f"slurm job {job_id} exited with code {code}{where} before writing its result "
                  f"(could the node not run llama-dv's python? see the job's output file)")
    elif state == "COMPLETED":
        reason = (f"slurm job {job_id} completed{where} but wrote no result file (is the regression "
                  f"directory on a filesystem the nodes share?)")
    else:
        reason = f"slurm job {job_id} ended in state {state}{where} ({info.reason or 'no reason given'})"
    return EndOfJob("error", infra_message(reason), True)
