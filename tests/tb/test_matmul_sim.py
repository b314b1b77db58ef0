"""Run the matmul cocotb tests (tb/tests/test_matmul.py) on Verilator and Icarus.

The main suite runs on both simulators; the fault-injection checks (FAULT=1 wrong
rounding, FAULT=2 early ap_done, a memory that never answers) run on Icarus only.
"""
from __future__ import annotations

import pytest

from tb import duts
from tb.sim.runner import RunResult, run

MODULE = "tb.tests.test_matmul"


def _run(sim: str, testcase: str, seed: int, config: str = "default", **env: str) -> RunResult:
    dut = duts.get_dut("matmul", sim, config)
    return run(dut, MODULE, testcase=testcase, seed=seed, extra_env=env, timeout_s=900)


def _explain(result: RunResult) -> str:
    return f"{result.status}: {result.message}\nlog: {result.log}\nreplay: {result.replay}"


@pytest.mark.parametrize("testcase", ["MatmulSmoke", "MatmulCorners", "MatmulBackToBack", "MatmulInterrupts",
                                      "MatmulAutoRestart", "MatmulResetMidOperation"])
def test_matmul(sim: str, seed: int, testcase: str) -> None:
    result = _run(sim, testcase, seed)
    assert result.ok, _explain(result)


def test_matmul_random(sim: str, seed: int) -> None:
    result = _run(sim, "MatmulRandom", seed, LDV_MATMUL_RANDOM_COUNT="200")
    assert result.ok, _explain(result)


@pytest.mark.parametrize("config", ["default", "pad3"])
def test_matmul_protocol_stress(sim: str, seed: int, config: str) -> None:
    result = _run(sim, "MatmulProtocolStress", seed, config)
    assert result.ok, _explain(result)


def test_fault_wrong_rounding_fails_scoreboard(seed: int) -> None:
    result = _run("icarus", "MatmulCorners", seed, "fault1")
    assert result.status == "fail", _explain(result)
    assert "matmul y row mismatch in txn" in result.message, _explain(result)
    assert "index" in result.message and "expected" in result.message and "actual" in result.message


def test_fault_early_done_is_caught(seed: int) -> None:
    result = _run("icarus", "MatmulInterrupts", seed, "fault2", LDV_MATMUL_TIMING="latency")
    assert result.status == "fail", _explain(result)
    assert "ap_done before the last write completed" in result.message, _explain(result)


def test_kernel_that_never_finishes_times_out(seed: int) -> None:
    result = _run("icarus", "MatmulSmoke", seed, LDV_MATMUL_TIMING="stall", LDV_MATMUL_DONE_TIMEOUT="3000")
    assert result.status == "fail", _explain(result)
    assert "timeout: matmul: ap_done (poll mode" in result.message, _explain(result)
    assert "not seen within 3000 cycles" in result.message, _explain(result)
