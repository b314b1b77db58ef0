"""Run the rmsnorm cocotb tests (the `tests:` of rtl/hls/rmsnorm.yaml) on Verilator and Icarus.

Negative checks (Icarus only): each FAULT=N build must fail with a message naming the
transaction, index and expected/actual values, a DUT that never answers ap_start must
fail by timeout, and the coverage gate must name the bins a partial run misses. A
broken copy of rtl/hls/rmsnorm.v whose final rounding goes down at the half point
(Verilator) fails RmsnormDirected (its `rounding` call).
"""
from __future__ import annotations

import pytest
from kernel_sim import (assert_case_passed, assert_passed, broken_copy, coverage_of, explain, log_text, run_kernel,
                        run_kernel_cases, run_stub)

from llama_dv.tb import dut_registry as duts
from llama_dv.tb.common.coverage import CoverageHole, assert_bins_hit

KERNEL = "rmsnorm"
pytestmark = pytest.mark.sim
fast_verilator = pytest.mark.fast_sim("verilator")  # Icarus in make test-all; its Smoke runs in the coverage gate

FAST = ["RmsnormSmoke", "RmsnormDirected", "RmsnormBackToBack", "RmsnormResetMidOperation"]
SLOW = ["RmsnormRandom"]


def test_registered_tests_match_module() -> None:
    assert duts.list_tests(KERNEL) == ["RmsnormSmoke", "RmsnormDirected", "RmsnormRandom",
                                       "RmsnormBackToBack", "RmsnormResetMidOperation"]


@fast_verilator
@pytest.mark.parametrize("testcase", [pytest.param(t, marks=pytest.mark.slow) if t == "RmsnormSmoke" else t for t in FAST] +
                         [pytest.param(t, marks=pytest.mark.slow) for t in SLOW])  # Smoke: Icarus, coverage gate test
def test_rmsnorm(sim: str, seed: int, testcase: str, shared_simulation) -> None:
    # The selected tests of one simulator run in one simulation (tests/conftest.py).
    result = shared_simulation("testcase", lambda cases: run_kernel_cases(KERNEL, sim, cases, seed))
    assert_case_passed(result, testcase)


@fast_verilator
@pytest.mark.parametrize("testcase", [pytest.param("RmsnormDirected", marks=pytest.mark.slow), "RmsnormBackToBack"])
def test_rmsnorm_latency_pad(sim: str, seed: int, testcase: str, shared_simulation) -> None:
    """LATENCY_PAD=3 changes every internal timing; the same tests must pass unchanged."""
    result = shared_simulation("testcase", lambda cases: run_kernel_cases(KERNEL, sim, cases, seed, config="pad3"))
    assert_case_passed(result, testcase)


@pytest.mark.slow
def test_rmsnorm_coverage_closure(seed: int) -> None:
    """The full suite (plus the pad3 build) hits every defined rmsnorm bin."""
    results = [run_kernel(KERNEL, "icarus", None, seed),
               run_kernel(KERNEL, "icarus", "RmsnormBackToBack", seed, config="pad3")]
    for r in results:
        assert_passed(r)
    assert_bins_hit(coverage_of(results), prefix=f"{KERNEL}.")


def test_rmsnorm_coverage_gate_names_holes(seed: int) -> None:
    """The closure check fails on a partial run and names the missing bins."""
    result = run_kernel(KERNEL, "icarus", "RmsnormSmoke", seed)
    assert_passed(result)
    with pytest.raises(CoverageHole) as hole:
        assert_bins_hit(coverage_of([result]), prefix=f"{KERNEL}.")
    assert "rmsnorm.protocol.back_to_back: True" in str(hole.value)
    assert "rmsnorm.protocol.reset_mid_operation: recovered" in str(hole.value)
    assert "rmsnorm.stimulus.kind: max, min, one_hot, zeros" in str(hole.value)


@pytest.mark.parametrize("fault", [1, pytest.param(2, marks=pytest.mark.slow)])  # the same scoreboard check
def test_rmsnorm_fault_detected(seed: int, fault: int) -> None:
    result = run_kernel(KERNEL, "icarus", "RmsnormSmoke", seed, config=f"fault{fault}")
    assert result.status == "fail", explain(result)
    log = log_text(result)
    for marker in ("rmsnorm output 'out' mismatch in txn", f"(seed {seed})", "index", "expected", "actual",
                   "elements differ"):
        assert marker in result.message and marker in log, f"{marker!r} missing:\n{explain(result)}"


STUB_NEVER_READY = """// rmsnorm ports; accepts ap_start (ap_idle low) but never raises ap_ready/ap_done.
module rmsnorm #(parameter LATENCY_PAD = 0, parameter FAULT = 0) (
  input wire ap_clk, input wire ap_rst, input wire ap_start,
  output wire ap_done, output wire ap_idle, output wire ap_ready,
  output wire [7:0] x_address0, output wire x_ce0, input wire [31:0] x_q0,
  output wire [7:0] w_address0, output wire w_ce0, input wire [31:0] w_q0,
  output wire [7:0] out_address0, output wire out_ce0, output wire out_we0, output wire [31:0] out_d0,
  input wire [31:0] n);
  reg busy;
  always @(posedge ap_clk) busy <= ap_rst ? 1'b0 : (busy | ap_start);
  assign ap_done = 1'b0;
  assign ap_ready = 1'b0;
  assign ap_idle = !busy && !ap_start;
  assign x_address0 = 8'd0; assign x_ce0 = 1'b0;
  assign w_address0 = 8'd0; assign w_ce0 = 1'b0;
  assign out_address0 = 8'd0; assign out_ce0 = 1'b0; assign out_we0 = 1'b0; assign out_d0 = 32'd0;
endmodule
"""

STUB_SPURIOUS_DONE = STUB_NEVER_READY.replace(
    "assign ap_done = 1'b0;", "reg [3:0] t; always @(posedge ap_clk) t <= ap_rst ? 4'd0 : t + 4'd1;\n"
    "  assign ap_done = (t == 4'd1);").replace("accepts ap_start", "pulses ap_done unprompted,")


@pytest.mark.extended  # the same ap_ctrl timeout in make test: test_rope_hang_times_out
def test_rmsnorm_hang_times_out(tmp_path, seed: int) -> None:
    result = run_stub(KERNEL, STUB_NEVER_READY, tmp_path, "RmsnormSmoke", seed, timeout_cycles=2000)
    assert result.status == "fail", explain(result)
    assert "timeout: ap_ready for txn 0 (port ap_ready) not seen within 2000 cycles" in result.message, explain(result)


def test_rmsnorm_spurious_done_flagged(tmp_path, seed: int) -> None:
    result = run_stub(KERNEL, STUB_SPURIOUS_DONE, tmp_path, "RmsnormSmoke", seed)
    assert result.status == "fail", explain(result)
    assert "ap_ctrl protocol violation" in result.message and "ap_done without a preceding ap_start" in \
        result.message, explain(result)


def test_rmsnorm_missing_port_named(tmp_path, seed: int) -> None:
    """A DUT lacking a port its description promises fails at bind time, naming the port."""
    stub = STUB_NEVER_READY.replace(" output wire out_we0,", "").replace(" assign out_we0 = 1'b0;", "")
    assert "out_we0" not in stub
    result = run_stub(KERNEL, stub, tmp_path, "RmsnormSmoke", seed)
    assert result.status == "fail", explain(result)
    assert "DUT has no port 'out_we0'" in result.message and "interface out (ap_memory)" in result.message, \
        explain(result)


HALF_ROUNDED_DOWN = ("  wire signed [63:0] out_rounded = (FAULT == 1) ? (prod >>> 20) : rshr(prod, 6'd20);",
                     "  wire signed [63:0] out_rounded = (FAULT == 1) ? (prod >>> 20) : ((prod + 64'sd524287) >>> 20);")
"""Final rshr adding 2^19 - 1: differs from round-half-up only on products exactly at the half
point, once in 2^20 random elements."""


def test_rmsnorm_directed_kills_half_rounded_down(tmp_path, seed: int) -> None:
    result = run_stub(KERNEL, broken_copy(KERNEL, *HALF_ROUNDED_DOWN), tmp_path, "RmsnormDirected", seed,
                      timeout_cycles=200000, sim="verilator")
    assert result.status == "fail", explain(result)
    assert "rmsnorm output 'out' mismatch in txn" in result.message, explain(result)
