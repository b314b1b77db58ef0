"""The SLURM commands the launcher needs: sbatch, squeue, scontrol, scancel.

Every command reads ``SLURM_CONF`` (and the rest of the environment) as the user's shell
would, so the launcher talks to whichever cluster the user's own ``sbatch`` does.
"""
from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from llama_dv.regress.launchers.slurm_state import SQUEUE_FORMAT, JobInfo, from_jobcomp, from_key_values, from_squeue

COMMANDS = ("sbatch", "squeue", "scontrol", "scancel")
_CHUNK = 500
"""Job ids per squeue/scancel call (keeps command lines short on big regressions)."""

Runner = Callable[..., "subprocess.CompletedProcess[str]"]


class SlurmError(RuntimeError):
    """A SLURM command failed; the message holds the command and what it printed."""


class SlurmClient:
    """Thin wrapper over the SLURM client commands (``runner`` is replaceable in tests)."""

    def __init__(self, runner: Runner = subprocess.run, timeout_s: float = 60.0) -> None:
        self._runner = runner
        self.timeout_s = timeout_s
        self._jobcomp: Path | None | bool = False  # False: not looked up yet

    def check(self) -> None:
        """Raise SlurmError naming the client commands missing from PATH."""
        missing = [c for c in COMMANDS if shutil.which(c) is None]
        if missing:
            raise SlurmError(f"--launcher slurm needs the SLURM client commands; not on PATH: "
                             f"{', '.join(missing)} (Debian: apt-get install slurm-client)")

    def _run(self, cmd: Sequence[str]) -> "subprocess.CompletedProcess[str]":
        try:
            return self._runner(list(cmd), capture_output=True, text=True, timeout=self.timeout_s, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise SlurmError(f"{' '.join(cmd[:3])} ...: {exc}") from exc

    def submit(self, script: Path, args: Sequence[str]) -> str:
        """``sbatch --parsable ARGS SCRIPT``; returns the job id, raises SlurmError with sbatch's message."""
        cmd = ["sbatch", "--parsable", *args, str(script)]
        proc = self._run(cmd)
        job_id = proc.stdout.strip().split(";")[0]
        if proc.returncode != 0 or not job_id.isdigit():
            detail = (proc.stderr.strip() or proc.stdout.strip() or f"exit code {proc.returncode}")
            raise SlurmError(f"sbatch {script.name} failed: {detail.splitlines()[-1]}")
        return job_id

    def states(self, job_ids: Iterable[str]) -> dict[str, JobInfo]:
        """State of every job in *job_ids* SLURM still holds (jobs it forgot are absent)."""
        ids = list(job_ids)
        out: dict[str, JobInfo] = {}
        for i in range(0, len(ids), _CHUNK):
            cmd = ["squeue", "-h", "-t", "all", "-o", SQUEUE_FORMAT, "-j", ",".join(ids[i:i + _CHUNK])]
            proc = self._run(cmd)
            if proc.returncode != 0:
                if "Invalid job id" in proc.stderr:
                    continue  # none of these ids is known any more
                raise SlurmError(f"squeue failed: {proc.stderr.strip() or proc.returncode}")
            out.update(from_squeue(proc.stdout))
        return out

    def show(self, job_id: str) -> JobInfo | None:
        """``scontrol show job -o ID`` (with the exit code); None once SLURM forgot the job."""
        proc = self._run(["scontrol", "show", "job", "-o", job_id])
        if proc.returncode != 0:
            return None
        return from_key_values(proc.stdout.strip(), "scontrol")

    def jobcomp_file(self) -> Path | None:
        """The jobcomp/filetxt file of the cluster (``scontrol show config``), if it has one."""
        if self._jobcomp is False:
            self._jobcomp = None
            proc = self._run(["scontrol", "show", "config"])
            conf = {}
            for line in proc.stdout.splitlines():
                key, sep, value = line.partition("=")
                if sep:
                    conf[key.strip()] = value.strip()
            if conf.get("JobCompType") == "jobcomp/filetxt" and conf.get("JobCompLoc"):
                self._jobcomp = Path(conf["JobCompLoc"])
        return self._jobcomp or None

    def end_info(self, job_id: str) -> JobInfo | None:
        """How job *job_id* ended: from scontrol while SLURM holds it, else from the jobcomp file."""
        info = self.show(job_id)
        if info is not None:
            return info
        path = self.jobcomp_file()
        if path is None or not path.is_file():
            return None
        return from_jobcomp(path.read_text(errors="replace"), job_id)

    def cancel(self, job_ids: Iterable[str]) -> None:
        """``scancel`` every id in *job_ids* (ids only: never by name or user)."""
        ids = list(job_ids)
        errors = []
        for i in range(0, len(ids), _CHUNK):
            proc = self._run(["scancel", *ids[i:i + _CHUNK]])
            if proc.returncode != 0 and proc.stderr.strip():
                errors.append(proc.stderr.strip())
        if errors:
            raise SlurmError("scancel failed: " + "; ".join(errors))
