"""`llama-dv-yosys`, the yosys command line over the pinned pyosys wheel: it runs scripts
and commands, writes the log it is asked for, and a yosys error exits non-zero with the
error on stderr (yosys ends the process from C++, so the wrapper must notice)."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from llama_dv.tb.sim.toolchain import yosys_executable

pytestmark = pytest.mark.skipif(yosys_executable() is None,
                                reason="no yosys: `make setup` installs llama-dv-yosys (pyosys) into the venv")

AND_V = "module and2(input a, input b, output y); assign y = a & b; endmodule\n"


def _yosys(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([yosys_executable(), *args], cwd=cwd, capture_output=True, text=True, timeout=120)


def test_version_names_the_pinned_release(tmp_path: Path) -> None:
    res = _yosys("-V", cwd=tmp_path)
    assert res.returncode == 0 and res.stdout.startswith("Yosys 0.70"), res


def test_script_runs_and_writes_its_log(tmp_path: Path) -> None:
    (tmp_path / "and2.v").write_text(AND_V)
    (tmp_path / "run.ys").write_text("read_verilog and2.v\nsynth -top and2\nwrite_json net.json\n")
    res = _yosys("-q", "-l", "run.log", "-s", "run.ys", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "net.json").is_file()
    assert "Executing SYNTH pass" in (tmp_path / "run.log").read_text()
    assert res.stderr == ""


def test_commands_are_split_at_semicolons(tmp_path: Path) -> None:
    (tmp_path / "and2.v").write_text(AND_V)
    res = _yosys("-q", "-p", "read_verilog and2.v; hierarchy -top and2; write_verilog out.v", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert "module and2" in (tmp_path / "out.v").read_text()


def test_yosys_error_exits_nonzero_with_the_error_on_stderr(tmp_path: Path) -> None:
    res = _yosys("-q", "-l", "bad.log", "-p", "read_verilog missing.v", cwd=tmp_path)
    assert res.returncode != 0
    assert "ERROR" in res.stderr and "missing.v" in res.stderr, res.stderr
    assert "missing.v" in (tmp_path / "bad.log").read_text()


def test_missing_script_is_named(tmp_path: Path) -> None:
    res = _yosys("-s", "nope.ys", cwd=tmp_path)
    assert res.returncode == 2 and "nope.ys" in res.stderr, res.stderr
