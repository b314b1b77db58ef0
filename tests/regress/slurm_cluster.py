"""A real single-node SLURM cluster for the launcher's tests, started and stopped by pytest.

Debian 12's SLURM 22.05 runs as root without systemd or cgroups: munged with its own
key and socket, ``slurmctld -c -i`` and ``slurmd -N localhost`` with a slurm.conf under
a fresh temporary directory, on free ports, so clusters of parallel pytest workers (or
of other checkouts on the machine) never meet. Client commands find it through
``SLURM_CONF``. It is up in about a second; ``stop`` cancels its jobs and stops the
daemons by the PIDs in their pid files. The daemons run in the foreground as children of
the test process, which reaps them (so none is left behind even as a zombie).
"""
from __future__ import annotations

import getpass
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

DAEMONS = ("munged", "slurmctld", "slurmd")
CLIENTS = ("sbatch", "squeue", "scontrol", "scancel", "sinfo")
_SBIN = ("/usr/sbin", "/sbin")


def find_binary(name: str) -> str | None:
    """*name* on PATH or in /usr/sbin (not on a non-root PATH)."""
    return shutil.which(name) or shutil.which(name, path=os.pathsep.join(_SBIN))


def missing_binaries() -> list[str]:
    return [b for b in (*DAEMONS, *CLIENTS, "munge") if find_binary(b) is None]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


SLURM_CONF = """\
# llama-dv test cluster: one node, root, no systemd, no cgroups, no slurmdbd.
ClusterName=ldvtest
SlurmctldHost=localhost
SlurmctldPort={ctld_port}
SlurmdPort={slurmd_port}
SlurmUser={user}
SlurmdUser={user}
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={root}/munge/munge.socket
StateSaveLocation={root}/state
SlurmdSpoolDir={root}/spool
SlurmctldPidFile={root}/run/slurmctld.pid
SlurmdPidFile={root}/run/slurmd.pid
SlurmctldLogFile={root}/log/slurmctld.log
SlurmdLogFile={root}/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/filetxt
JobCompLoc={root}/log/jobcomp.txt
MinJobAge=3600
KillWait=5
ReturnToService=2
SchedulerType=sched/backfill
SchedulerParameters=batch_sched_delay=0
MpiDefault=none
SwitchType=switch/none
NodeName=localhost CPUs={cpus} State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
"""


class ClusterError(RuntimeError):
    """The test cluster did not come up (or down); the message has the daemons' log tails."""


class SlurmCluster:
    """One single-node cluster under its own temporary directory."""

    def __init__(self, cpus: int = 2) -> None:
        self.cpus = cpus
        self.root = Path(tempfile.mkdtemp(prefix="ldv-slurm-"))
        self.conf = self.root / "slurm.conf"
        self.munge_socket = self.root / "munge" / "munge.socket"
        self.pid_files = {"munged": self.root / "munge" / "munged.pid",
                          "slurmctld": self.root / "run" / "slurmctld.pid",
                          "slurmd": self.root / "run" / "slurmd.pid"}
        self.startup_s: float | None = None
        self._children: dict[str, subprocess.Popen[bytes]] = {}

    @property
    def env(self) -> dict[str, str]:
        """The environment every client command (and llama-dv) needs to reach this cluster."""
        return {**os.environ, "SLURM_CONF": str(self.conf)}

    def run(self, *cmd: str, check: bool = True, timeout: float = 30) -> subprocess.CompletedProcess[str]:
        """A SLURM client command against this cluster."""
        exe = find_binary(cmd[0]) or cmd[0]
        proc = subprocess.run([exe, *cmd[1:]], env=self.env, capture_output=True, text=True, timeout=timeout,
                              check=False)
        if check and proc.returncode != 0:
            raise ClusterError(f"{' '.join(cmd)} failed ({proc.returncode}): {proc.stderr.strip()}")
        return proc

    def start(self) -> "SlurmCluster":
        start = time.monotonic()
        try:
            self._start_munge()
            self._write_conf()
            for daemon, args in (("slurmctld", ["-c", "-i"]), ("slurmd", ["-N", "localhost"])):
                self._daemon(daemon, [*args, "-f", str(self.conf)])
            self._wait_idle()
        except BaseException:
            self.stop()
            raise
        self.startup_s = time.monotonic() - start
        return self

    def _start_munge(self) -> None:
        # munged insists: key owned by us with mode 400, socket directory o+x.
        for sub in ("munge", "state", "spool", "log", "run"):
            (self.root / sub).mkdir()
        for folder in (self.root, self.root / "munge"):
            folder.chmod(0o711)
        key = self.root / "munge" / "munge.key"
        key.write_bytes(os.urandom(1024))
        key.chmod(0o400)
        self._daemon("munged", [f"--socket={self.munge_socket}", f"--key-file={key}",
                                f"--pid-file={self.pid_files['munged']}",
                                f"--log-file={self.root / 'munge' / 'munged.log'}",
                                f"--seed-file={self.root / 'munge' / 'munged.seed'}"])

    def _write_conf(self) -> None:
        self.conf.write_text(SLURM_CONF.format(root=self.root, ctld_port=_free_port(), slurmd_port=_free_port(),
                                               user=getpass.getuser(), cpus=self.cpus))

    def _daemon(self, name: str, args: list[str]) -> None:
        """Start *name* in the foreground as our child (so it is reaped, never a zombie of
        init) and wait for its pid file."""
        exe = find_binary(name)
        if exe is None:
            raise ClusterError(f"{name} is not installed (make setup installs slurmctld, slurmd, munge)")
        foreground = "-F" if name == "munged" else "-D"
        with open(self.root / "log" / f"{name}.out", "w") as out:
            proc = subprocess.Popen([exe, foreground, *args], env=self.env, stdout=out, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, start_new_session=True)
        self._children[name] = proc
        deadline = time.monotonic() + 10
        while proc.poll() is None and self._pid(name) != proc.pid and time.monotonic() < deadline:
            time.sleep(0.02)
        if self._pid(name) != proc.pid or proc.poll() is not None:
            raise ClusterError(f"{name} did not start (exit {proc.poll()}, pid file {self.pid_files[name]}):\n"
                               f"{self.log_tails()}")

    def _wait_idle(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            proc = self.run("sinfo", "-h", "-o", "%T", check=False)
            if proc.returncode == 0 and proc.stdout.strip() == "idle":
                return
            time.sleep(0.05)
        raise ClusterError(f"node localhost not idle after {timeout} s\n{self.log_tails()}")

    def log_tails(self, lines: int = 15) -> str:
        out = []
        for log in sorted((self.root / "log").glob("*.log")) + [self.root / "munge" / "munged.log"]:
            if log.is_file():
                text = log.read_text(errors="replace").splitlines()[-lines:]
                out.append(f"--- {log}\n" + "\n".join(text))
        return "\n".join(out)

    def _pid(self, name: str) -> int | None:
        try:
            return int(self.pid_files[name].read_text().strip())
        except (OSError, ValueError):
            return None

    def processes(self) -> list[tuple[int, str]]:
        """Live processes of this cluster: its daemons, job steps and jobs (by command line,
        or by the SLURM_CONF that slurmstepd and every job inherit)."""
        marker_conf = f"SLURM_CONF={self.conf}".encode()
        marker_root = str(self.root).encode()
        found = []
        for proc in Path("/proc").glob("[0-9]*"):
            pid = int(proc.name)
            if pid == os.getpid():
                continue
            try:
                cmdline = (proc / "cmdline").read_bytes()
                environ = (proc / "environ").read_bytes()
            except OSError:
                continue
            if marker_root in cmdline or marker_conf in environ.split(b"\0"):
                found.append((pid, cmdline.replace(b"\0", b" ").decode(errors="replace").strip()))
        return found

    def stop(self) -> list[tuple[int, str]]:
        """Cancel every job, stop the daemons by their pid files, remove the directory.

        Returns the processes of the cluster that were still alive afterwards (and were
        then killed): an empty list is a clean stop.
        """
        if self._pid("slurmctld") is not None:
            jobs = self.run("squeue", "-h", "-o", "%i", check=False).stdout.split()
            if jobs:
                self.run("scancel", *jobs, check=False)
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                live = self.run("squeue", "-h", "-t", "PENDING,RUNNING,COMPLETING,SUSPENDED,CONFIGURING",
                                "-o", "%i", check=False)
                if live.returncode != 0 or not live.stdout.strip():
                    break
                time.sleep(0.1)
        for name in ("slurmd", "slurmctld", "munged"):
            pid = self._pid(name)
            if pid is not None and self._is_ours(pid):
                _terminate(pid)
            if name in self._children:
                child = self._children.pop(name)
                if child.poll() is None and pid != child.pid:  # never wrote its pid file
                    _terminate(child.pid)
                child.wait(timeout=10)
        leftovers = self.processes()
        for pid, _ in leftovers:
            _terminate(pid)
        shutil.rmtree(self.root, ignore_errors=True)
        return leftovers

    def _is_ours(self, pid: int) -> bool:
        """The pid file's process is still the daemon we started (not a reused pid)."""
        try:
            return str(self.root).encode() in Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            return False


def _terminate(pid: int, grace: float = 10.0) -> None:
    """SIGTERM *pid*, SIGKILL it if it is still there after *grace* seconds."""
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if not _alive(pid):
                return
            time.sleep(0.05)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ", 1)[1][0] != "Z"
    except (OSError, IndexError):
        return False
