"""Shared fixtures: the throwaway counter project, a helper to run ``llama-dv``, and a
single-node SLURM cluster for the farm launcher's tests."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.regress.counter_project import CounterProject, write_counter_project
from tests.regress.slurm_cluster import SlurmCluster, missing_binaries

REPO = Path(__file__).resolve().parents[2]


def llama_dv(project: CounterProject, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run ``python -m llama_dv.regress.cli`` with the counter project importable."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(project.root), str(REPO)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    return subprocess.run([sys.executable, "-m", "llama_dv.regress.cli", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=timeout, check=False)


def plan_args(project: CounterProject) -> list[str]:
    return ["--testplan", str(project.testplan), "--registry", project.registry, "--tb-dir", str(project.tb_dir)]


@pytest.fixture
def icarus() -> None:
    if shutil.which("iverilog") is None or shutil.which("vvp") is None:
        pytest.skip("Icarus Verilog (iverilog, vvp) is not installed; run `make setup`")


@pytest.fixture
def counter_project(tmp_path: Path, icarus: None) -> CounterProject:
    return write_counter_project(tmp_path / "counter")


@pytest.fixture(scope="session")
def slurm_cluster() -> Iterator[SlurmCluster]:
    """A single-node SLURM cluster for this pytest process; nothing of it outlives the session."""
    missing = missing_binaries()
    if missing:
        pytest.skip(f"SLURM is not installed (missing {', '.join(missing)}); `make setup` installs "
                    f"slurmctld, slurmd, slurm-client and munge")
    cluster = SlurmCluster().start()
    try:
        yield cluster
    finally:
        leftovers = cluster.stop()
        assert not leftovers, f"processes of the SLURM test cluster outlived it (killed now): {leftovers}"


@pytest.fixture
def slurm(slurm_cluster: SlurmCluster, monkeypatch: pytest.MonkeyPatch) -> SlurmCluster:
    """The session's cluster, with SLURM_CONF exported for llama-dv and its client commands."""
    monkeypatch.setenv("SLURM_CONF", str(slurm_cluster.conf))
    for folder in ("/usr/sbin", "/sbin"):
        if folder not in os.environ.get("PATH", "").split(os.pathsep):
            monkeypatch.setenv("PATH", os.environ.get("PATH", "") + os.pathsep + folder)
    return slurm_cluster
