"""Run the matmul cocotb tests (the `tests:` of rtl/hls/matmul.yaml) on Verilator and Icarus.

The main suite runs on both simulators; the fault-injection checks (FAULT=1 wrong
rounding, FAULT=2 early ap_done, also inside auto-restarted runs, a memory that never
answers, a copy of matmul.v with a read-data bit stuck at 1) and the coverage-gate check
run on Icarus only. The slow closure test runs
the whole suite as the regression does and requires every defined matmul bin.
"""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from kernel_sim import (assert_case_passed, assert_passed, broken_copy, coverage_of, explain, run_kernel,
                        run_kernel_cases, run_stub)

from llama_dv.tb import dut_registry as duts
from llama_dv.tb.agents.m_axi.item import AxiBurst
from llama_dv.tb.common.knobs import MEMORY_TIMING_ENV, TIMEOUT_ENV
from llama_dv.tb.common.protocol import ProtocolError
from llama_dv.tb.common.coverage import CoverageHole, assert_bins_hit
from llama_dv.tb.envs.matmul.done_check import EARLY_DONE, YWriteLedger
from llama_dv.tb.envs.matmul.sequences import matvec_inputs
from llama_dv.tb.generic.stimulus import Call
from llama_dv.tb.common.knobs import RANDOM_CALLS_ENV
from llama_dv.tb.sim.runner import REPO_ROOT, RunResult

KERNEL = "matmul"
pytestmark = pytest.mark.sim
fast_verilator = pytest.mark.fast_sim("verilator")  # Icarus in make test-all; its Smoke runs in the coverage gate

DIRECTED = ["MatmulSmoke", "MatmulCorners", "MatmulBackToBack", "MatmulInterrupts", "MatmulAutoRestart",
            "MatmulResetMidOperation"]
RANDOM_COUNT = "200"
"""Random calls of the closure suite (the regression's default count)."""
QUICK_RANDOM_COUNT = "100"
"""Random calls of the non-slow random test: about a minute on Icarus under a loaded machine."""


def _suite(sim: str, seed: int) -> list[RunResult]:
    """Every matmul test once, each in its own run (so each exports its own coverage),
    plus the protocol stress on the LATENCY_PAD=3 build."""
    runs = [run_kernel(KERNEL, sim, t, seed) for t in DIRECTED]
    runs.append(run_kernel(KERNEL, sim, "MatmulRandom", seed, extra_env={RANDOM_CALLS_ENV: RANDOM_COUNT}))
    runs += [run_kernel(KERNEL, sim, "MatmulProtocolStress", seed, config=c) for c in ("default", "pad3")]
    return runs


def test_registered_tests_match_module() -> None:
    assert set(duts.list_tests(KERNEL)) == set(DIRECTED + ["MatmulRandom", "MatmulProtocolStress"])


@fast_verilator
@pytest.mark.parametrize("testcase", [pytest.param(t, marks=pytest.mark.slow) if t == "MatmulSmoke" else t
                                      for t in DIRECTED])  # Smoke: on Icarus in the coverage gate test
def test_matmul(sim: str, seed: int, testcase: str, shared_simulation) -> None:
    # The selected tests of one simulator run in one simulation (tests/conftest.py).
    result = shared_simulation("testcase", lambda cases: run_kernel_cases(KERNEL, sim, cases, seed))
    assert_case_passed(result, testcase)


@pytest.mark.slow  # random calls: MatmulSmoke's; MatmulRandom runs in make regress SUITE=full
def test_matmul_random(sim: str, seed: int) -> None:
    assert_passed(run_kernel(KERNEL, sim, "MatmulRandom", seed,
                             extra_env={RANDOM_CALLS_ENV: QUICK_RANDOM_COUNT}))


@fast_verilator
@pytest.mark.parametrize("config", [pytest.param("default", marks=pytest.mark.slow), "pad3"])  # pad3: the stronger
def test_matmul_protocol_stress(sim: str, seed: int, config: str) -> None:
    assert_passed(run_kernel(KERNEL, sim, "MatmulProtocolStress", seed, config=config))


@pytest.mark.slow
def test_matmul_coverage_closure(sim: str, seed: int) -> None:
    """The full suite hits 100% of the defined matmul bins (merged per-test exports)."""
    runs = _suite(sim, seed)
    for r in runs:
        assert_passed(r)
    assert_bins_hit(coverage_of(runs), prefix=f"{KERNEL}.")


@pytest.mark.extended  # the same gate check in make test: the rope, rmsnorm and attention gate tests
def test_matmul_coverage_gate_names_holes(seed: int) -> None:
    """The closure check fails on a partial run and names the missing bins."""
    result = run_kernel(KERNEL, "icarus", "MatmulSmoke", seed)
    assert_passed(result)
    with pytest.raises(CoverageHole) as hole:
        assert_bins_hit(coverage_of([result]), prefix=f"{KERNEL}.")
    for missing in ("matmul.control.auto_restart: on", "matmul.control.back_to_back: yes",
                    "matmul.axi.write_burst_len:", "matmul.dims.d:"):
        assert missing in str(hole.value), str(hole.value)


def _ledger(d: int, auto_restart_runs: int) -> YWriteLedger:
    call = Call(0, 1, "t", matvec_inputs(np.zeros((d, 2)), np.zeros(d), np.zeros(2), 0),
                auto_restart_runs=auto_restart_runs, addresses={"y": 0x1_0000_0F00})
    ledger = YWriteLedger()
    ledger.begin(call)
    return ledger


def _y_burst(offset_words: int, length: int) -> AxiBurst:
    return AxiBurst(direction="write", addr=0x1_0000_0F00 + 4 * offset_words, length=length)


def test_done_check_attributes_writes_to_runs() -> None:
    """Run 1's writes acknowledged, run 2's in flight: the first ap_done passes; a second
    ap_done before run 2's last B response fails, naming the run."""
    ledger = _ledger(d=80, auto_restart_runs=2)
    ledger.on_write(_y_burst(0, 64))
    ledger.on_write(_y_burst(64, 16))
    ledger.on_done("poll", open_writes=2)
    ledger.on_write(_y_burst(0, 64))
    with pytest.raises(ProtocolError, match=r"1 write burst\(s\) still awaiting .* 256 of 320 bytes of y "
                                            r"acknowledged \(run 2 of the call\): " + EARLY_DONE):
        ledger.on_done("poll", open_writes=1)


def test_done_check_single_run() -> None:
    """Without auto_restart: ap_done with a write open fails; y written twice fails at the call's end."""
    ledger = _ledger(d=4, auto_restart_runs=0)
    with pytest.raises(ProtocolError, match=EARLY_DONE):
        ledger.on_done("interrupt", open_writes=1)
    ledger = _ledger(d=4, auto_restart_runs=0)
    ledger.on_write(_y_burst(0, 4))
    ledger.on_done("poll", open_writes=0)
    ledger.on_write(_y_burst(0, 4))
    with pytest.raises(ProtocolError, match="y written 2 times in a call without auto_restart"):
        ledger.on_call_end(open_writes=0)


@pytest.mark.extended  # the same scoreboard check in make test: rmsnorm FAULT=1, rope FAULT=2 and their broken copies
def test_fault_wrong_rounding_fails_scoreboard(seed: int) -> None:
    result = run_kernel(KERNEL, "icarus", "MatmulCorners", seed, config="fault1")
    assert result.status == "fail", explain(result)
    assert "matmul output 'y' mismatch in txn" in result.message, explain(result)
    assert "index" in result.message and "expected" in result.message and "actual" in result.message


def test_fault_early_done_is_caught(seed: int) -> None:
    result = run_kernel(KERNEL, "icarus", "MatmulInterrupts", seed, config="fault2",
                        extra_env={MEMORY_TIMING_ENV: "latency"})
    assert result.status == "fail", explain(result)
    assert EARLY_DONE in result.message, explain(result)


def test_fault_early_done_is_caught_in_auto_restarted_runs(seed: int) -> None:
    """With auto_restart the done check attributes y writes to runs, so an early ap_done
    is still caught while the next run's writes are in flight."""
    result = run_kernel(KERNEL, "icarus", "MatmulAutoRestart", seed, config="fault2",
                        extra_env={MEMORY_TIMING_ENV: "latency"})
    assert result.status == "fail", explain(result)
    assert EARLY_DONE in result.message and "(run " in result.message, explain(result)


@pytest.mark.extended  # the ap_done timeout in make test: test_ap_overlap's missing_done[hung], rope's hang stub
def test_kernel_that_never_finishes_times_out(seed: int) -> None:
    result = run_kernel(KERNEL, "icarus", "MatmulSmoke", seed,
                        extra_env={MEMORY_TIMING_ENV: "stall", TIMEOUT_ENV: "3000"})
    assert result.status == "fail", explain(result)
    assert "timeout: matmul: ap_done (poll mode" in result.message, explain(result)
    assert "not seen within 3000 cycles" in result.message, explain(result)


@pytest.mark.extended  # the same read-back check in make test: test_axi_agents' broken kernel 6 (bit 31 differs)
def test_stuck_read_data_bit_fails_smoke(tmp_path: Path, seed: int) -> None:
    """matmul.v with s_axi_control_RDATA[31] stuck at 1: writes, y and ap_done are all right
    and polling never looks at bit 31, so only MatmulSmoke's register read-back catches it,
    naming the register and the bit."""
    stub = broken_copy(KERNEL, "assign s_axi_control_RDATA = rdata;",
                       "assign s_axi_control_RDATA = {1'b1, rdata[30:0]};")
    shutil.copy(REPO_ROOT / "rtl" / "hls" / "xmatmul_hw.h", tmp_path)  # the YAML's register_map, beside it
    result = run_stub(KERNEL, stub, tmp_path, "MatmulSmoke", seed)
    assert result.status == "fail", explain(result)
    assert re.search(r"matmul s_axilite @ [\d.]+ ns: \w+(\[[01]\])? \(0x[0-9a-f]{2}\) reads 0x8[0-9a-f]{7}, "
                     r"last written 0x[0-7][0-9a-f]{7}: bit 31 differs", result.message), explain(result)


def test_interrupt_bit_of_ap_ctrl_stuck_low_fails(tmp_path: Path, seed: int) -> None:
    """matmul.v whose AP_CTRL bit 9 reads 0 while the interrupt pin is high: results, ISR and
    the pin are right, so only the monitor's check that bit 9 mirrors the pin catches it."""
    stub = broken_copy(KERNEL, "ADDR_AP_CTRL:     rdata <= {22'd0, interrupt, 1'b0,",
                       "ADDR_AP_CTRL:     rdata <= {22'd0, 1'b0, 1'b0,")
    shutil.copy(REPO_ROOT / "rtl" / "hls" / "xmatmul_hw.h", tmp_path)
    result = run_stub(KERNEL, stub, tmp_path, "MatmulInterrupts", seed, timeout_cycles=200_000)
    assert result.status == "fail", explain(result)
    assert re.search(r"AP_CTRL=0x[0-9a-f]+: bit 9 \(interrupt\) reads 0 while the interrupt pin is 1",
                     result.message), explain(result)
