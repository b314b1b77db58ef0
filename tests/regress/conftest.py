"""Shared fixtures: the throwaway counter project and a helper to run ``llama-dv``."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.regress.counter_project import CounterProject, write_counter_project

REPO = Path(__file__).resolve().parents[2]


def llama_dv(project: CounterProject, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run ``python -m regress.cli`` with the counter project importable."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(project.root), str(REPO)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    return subprocess.run([sys.executable, "-m", "regress.cli", *args], cwd=REPO, env=env,
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
