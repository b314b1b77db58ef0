"""Run the attention cocotb tests (the `tests:` of rtl/hls/attention.yaml) on Verilator and Icarus.

Negative checks (Icarus only): FAULT=1 (accumulator not rescaled on a max update) must
fail as a scoreboard mismatch naming transaction, index, expected and actual; FAULT=2
(ap_done one cycle before the last output beat) as a protocol error naming the
transaction; a DUT that never answers ap_start must fail by timeout.
"""
from __future__ import annotations

import pytest
from kernel_sim import (assert_case_passed, assert_passed, coverage_of, explain, log_text, run_kernel, run_kernel_cases,
                        run_stub)

from llama_dv.tb import dut_registry as duts
from llama_dv.tb.common.coverage import CoverageHole, assert_bins_hit

KERNEL = "attention"
pytestmark = pytest.mark.sim
fast_verilator = pytest.mark.fast_sim("verilator")  # Icarus in make test-all; its Smoke runs in the coverage gate

FAST = ["AttentionSmoke", "AttentionDirected", "AttentionBackToBack", "AttentionResetMidOperation"]
SLOW = ["AttentionRandom", "AttentionBursty", "AttentionStress"]


def test_registered_tests_match_module() -> None:
    assert set(duts.list_tests(KERNEL)) == set(FAST + SLOW)


@fast_verilator
@pytest.mark.parametrize("testcase", [pytest.param(t, marks=pytest.mark.slow) if t == "AttentionSmoke" else t for t in FAST] +
                         [pytest.param(t, marks=pytest.mark.slow) for t in SLOW])  # Smoke: Icarus, coverage gate test
def test_attention(sim: str, seed: int, testcase: str, shared_simulation) -> None:
    # The selected tests of one simulator run in one simulation (tests/conftest.py).
    result = shared_simulation("testcase", lambda cases: run_kernel_cases(KERNEL, sim, cases, seed))
    assert_case_passed(result, testcase)


@fast_verilator
def test_attention_protocol_stress_latency_pad(sim: str, seed: int) -> None:
    """Worst backpressure, worst TVALID gaps, ap_continue stalls, on the LATENCY_PAD=3 build."""
    assert_passed(run_kernel(KERNEL, sim, "AttentionStress", seed, config="pad3"))


@pytest.mark.slow
def test_attention_coverage_closure(seed: int) -> None:
    results = [run_kernel(KERNEL, "icarus", None, seed),
               run_kernel(KERNEL, "icarus", "AttentionStress", seed, config="pad3")]
    for r in results:
        assert_passed(r)
    assert_bins_hit(coverage_of(results), prefix=f"{KERNEL}.")


def test_attention_coverage_gate_names_holes(seed: int) -> None:
    result = run_kernel(KERNEL, "icarus", "AttentionSmoke", seed)
    assert_passed(result)
    with pytest.raises(CoverageHole) as hole:
        assert_bins_hit(coverage_of([result]), prefix=f"{KERNEL}.")
    assert "attention.values.max_updates" in str(hole.value)


def test_attention_missing_rescale_detected(seed: int) -> None:
    result = run_kernel(KERNEL, "icarus", "AttentionDirected", seed, config="fault1")
    assert result.status == "fail", explain(result)
    for marker in ("attention output 'out_r' mismatch in txn", f"(seed {seed})", "index", "expected", "actual"):
        assert marker in result.message and marker in log_text(result), explain(result)


def test_attention_early_done_detected(seed: int) -> None:
    result = run_kernel(KERNEL, "icarus", "AttentionSmoke", seed, config="fault2")
    assert result.status == "fail", explain(result)
    for marker in ("ap_done of txn 0", "before its output packet completed", "out_r beats seen"):
        assert marker in result.message and marker in log_text(result), explain(result)


STUB_NEVER_READY = """// attention ports; accepts ap_start (ap_idle low), never takes q, never finishes.
module attention #(parameter LATENCY_PAD = 0, parameter FAULT = 0) (
  input wire ap_clk, input wire ap_rst_n, input wire ap_start,
  output wire ap_done, output wire ap_idle, output wire ap_ready, input wire ap_continue,
  input wire [31:0] q_TDATA, input wire q_TVALID, output wire q_TREADY,
  input wire [3:0] q_TKEEP, input wire [3:0] q_TSTRB, input wire q_TLAST,
  output wire [7:0] k_cache_address0, output wire k_cache_ce0, input wire [7:0] k_cache_q0,
  output wire [7:0] k_cache_address1, output wire k_cache_ce1, input wire [7:0] k_cache_q1,
  output wire [3:0] k_exp_address0, output wire k_exp_ce0, input wire [7:0] k_exp_q0,
  output wire [7:0] v_cache_address0, output wire v_cache_ce0, input wire [7:0] v_cache_q0,
  output wire [3:0] v_exp_address0, output wire v_exp_ce0, input wire [7:0] v_exp_q0,
  output wire [31:0] out_r_TDATA, output wire out_r_TVALID, input wire out_r_TREADY,
  output wire [3:0] out_r_TKEEP, output wire [3:0] out_r_TSTRB, output wire out_r_TLAST,
  input wire [31:0] pos);
  reg busy;
  always @(posedge ap_clk) busy <= !ap_rst_n ? 1'b0 : (busy | ap_start);
  assign ap_done = 1'b0; assign ap_ready = 1'b0; assign ap_idle = !busy && !ap_start;
  assign q_TREADY = 1'b0;
  assign k_cache_address0 = 8'd0; assign k_cache_ce0 = 1'b0;
  assign k_cache_address1 = 8'd0; assign k_cache_ce1 = 1'b0;
  assign k_exp_address0 = 4'd0; assign k_exp_ce0 = 1'b0;
  assign v_cache_address0 = 8'd0; assign v_cache_ce0 = 1'b0;
  assign v_exp_address0 = 4'd0; assign v_exp_ce0 = 1'b0;
  assign out_r_TDATA = 32'd0; assign out_r_TVALID = 1'b0; assign out_r_TKEEP = 4'hf;
  assign out_r_TSTRB = 4'hf; assign out_r_TLAST = 1'b0;
endmodule
"""


@pytest.mark.slow  # the same ap_ctrl timeout: test_rmsnorm_hang_times_out, test_rope_hang_times_out
def test_attention_hang_times_out(tmp_path, seed: int) -> None:
    result = run_stub(KERNEL, STUB_NEVER_READY, tmp_path, "AttentionSmoke", seed, timeout_cycles=2000)
    assert result.status == "fail", explain(result)
    assert "timeout: ap_ready for txn 0 (port ap_ready) not seen within 2000 cycles" in result.message, explain(result)
