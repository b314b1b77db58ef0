"""The one shell command that reruns a test with the same seed and build (waves on):
`python -m llama_dv.tb.sim.runner ...`, whose arguments `llama_dv.tb.sim.cli` parses.
"""
from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence
from pathlib import Path

from llama_dv.tb.sim.dut_build import REPO_ROOT, DutBuild, repo_relative

def replay_command(dut: DutBuild, test_module: str, *, testcase: str | None = None, seed: int,
                   waves: bool = True, coverage: bool = False,
                   extra_env: Mapping[str, str] | None = None, plusargs: Sequence[str] | None = None,
                   python_path: Sequence[Path] = ()) -> str:
    """The one shell command that reruns this test with the same seed and build, waves on."""
    cmd = [".venv/bin/python", "-m", "llama_dv.tb.sim.runner", "--sim", dut.sim, "--name", dut.name,
           "--config", dut.config, "--toplevel", dut.toplevel, "--test-module", test_module,
           "--seed", str(seed)]
    if dut.build_root is not None:
        cmd += ["--build-root", repo_relative(dut.build_root)]
    cmd += [arg for s in dut.sources for arg in ("--source", repo_relative(s))]
    cmd += [arg for i in dut.includes for arg in ("--include", repo_relative(i))]
    cmd += [arg for k, v in dut.parameters.items() for arg in ("--param", f"{k}={v}")]
    cmd += [arg for k, v in dut.defines.items() for arg in ("--define", f"{k}={v}")]
    cmd += [f"--build-arg={a}" for a in dut.build_args]
    cmd += [arg for d in dut.data_files for arg in ("--data-file", repo_relative(d))]
    if tuple(dut.timescale) != ("1ns", "1ps"):
        cmd += ["--timescale", "/".join(dut.timescale)]
    cmd += [arg for p in python_path for arg in ("--python-path", repo_relative(p))]
    cmd += [arg for k, v in {**dut.env, **(extra_env or {})}.items() for arg in ("--env", f"{k}={v}")]
    cmd += [f"--plusarg={p}" for p in plusargs or []]
    if testcase:
        cmd += ["--testcase", testcase]
    if waves:
        cmd.append("--waves")
    if coverage:
        cmd.append("--coverage")
    return f"cd {shlex.quote(str(REPO_ROOT))} && {shlex.join(cmd)}"


