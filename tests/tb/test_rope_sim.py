"""Run the rope cocotb tests (the `tests:` of rtl/hls/rope.yaml) on Verilator and Icarus.

Negative checks (Icarus only): FAULT=1 (TLAST dropped) must fail as an AXI-Stream
protocol error naming the packet, beat and transaction; FAULT=2 (wrong table row) as
a scoreboard mismatch naming transaction, index, expected and actual; a DUT that
never answers ap_start must fail by timeout; the coverage gate must name holes.

Broken copies of rtl/hls/rope.v (one line substituted, Verilator) show what the stimulus
kills: an output that ignores TREADY fails RopeSmoke (its back-pressure pass), an
accumulator bit flipped under the rounding point fails RopeDirected (its rounding calls);
the unmodified copy passes both through the same path.
"""
from __future__ import annotations

import pytest
from kernel_sim import (assert_case_passed, assert_passed, broken_copy, coverage_of, explain, log_text, run_kernel,
                        run_kernel_cases, run_stub)

from llama_dv.tb import dut_registry as duts
from llama_dv.tb.common.coverage import CoverageHole, assert_bins_hit

KERNEL = "rope"
pytestmark = pytest.mark.sim
fast_verilator = pytest.mark.fast_sim("verilator")  # Icarus in make test-all; its Smoke runs in the coverage gate

FAST = ["RopeSmoke", "RopeDirected", "RopeBackToBack", "RopeResetMidOperation"]
SLOW = ["RopeRandom", "RopeBursty", "RopeStress"]


def test_registered_tests_match_module() -> None:
    assert set(duts.list_tests(KERNEL)) == set(FAST + SLOW)


@fast_verilator
@pytest.mark.parametrize("testcase", [pytest.param(t, marks=pytest.mark.slow) if t == "RopeSmoke" else t for t in FAST] +
                         [pytest.param(t, marks=pytest.mark.slow) for t in SLOW])  # Smoke: Icarus, coverage gate test
def test_rope(sim: str, seed: int, testcase: str, shared_simulation) -> None:
    # The selected tests of one simulator run in one simulation (tests/conftest.py).
    result = shared_simulation("testcase", lambda cases: run_kernel_cases(KERNEL, sim, cases, seed))
    assert_case_passed(result, testcase)


@fast_verilator
def test_rope_protocol_stress_latency_pad(sim: str, seed: int) -> None:
    """Worst backpressure, worst TVALID gaps, ap_continue stalls, on the LATENCY_PAD=3 build."""
    assert_passed(run_kernel(KERNEL, sim, "RopeStress", seed, config="pad3"))


@pytest.mark.slow
def test_rope_coverage_closure(seed: int) -> None:
    results = [run_kernel(KERNEL, "icarus", None, seed),
               run_kernel(KERNEL, "icarus", "RopeStress", seed, config="pad3")]
    for r in results:
        assert_passed(r)
    assert_bins_hit(coverage_of(results), prefix=f"{KERNEL}.")


def test_rope_coverage_gate_names_holes(seed: int) -> None:
    result = run_kernel(KERNEL, "icarus", "RopeSmoke", seed)
    assert_passed(result)
    with pytest.raises(CoverageHole) as hole:
        assert_bins_hit(coverage_of([result]), prefix=f"{KERNEL}.")
    # Smoke's second pass runs random flow control; bursty and worst are other tests'.
    assert "rope.protocol.out_backpressure: bursty, worst" in str(hole.value)


def test_rope_dropped_tlast_detected(seed: int) -> None:
    result = run_kernel(KERNEL, "icarus", "RopeSmoke", seed, config="fault1")
    assert result.status == "fail", explain(result)
    # RopeSmoke's first call is the alternating corner at the longest length, 256 words.
    for marker in ("axis 'out_r' packet 0 beat 255 (txn 0)", "TLAST missing on beat 255, the last of 256"):
        assert marker in result.message and marker in log_text(result), explain(result)


def test_rope_wrong_table_row_detected(seed: int) -> None:
    result = run_kernel(KERNEL, "icarus", "RopeSmoke", seed, config="fault2")
    assert result.status == "fail", explain(result)
    for marker in ("rope output 'out_r' mismatch in txn 0", f"(seed {seed})", "index", "expected", "actual"):
        assert marker in result.message and marker in log_text(result), explain(result)


STUB_NEVER_READY = """// rope ports; accepts ap_start (ap_idle low), never takes input, never finishes.
module rope #(parameter LATENCY_PAD = 0, parameter FAULT = 0) (
  input wire ap_clk, input wire ap_rst_n, input wire ap_start,
  output wire ap_done, output wire ap_idle, output wire ap_ready, input wire ap_continue,
  input wire [31:0] in_r_TDATA, input wire in_r_TVALID, output wire in_r_TREADY,
  input wire [3:0] in_r_TKEEP, input wire [3:0] in_r_TSTRB, input wire in_r_TLAST,
  output wire [31:0] out_r_TDATA, output wire out_r_TVALID, input wire out_r_TREADY,
  output wire [3:0] out_r_TKEEP, output wire [3:0] out_r_TSTRB, output wire out_r_TLAST,
  input wire [31:0] pos, input wire [31:0] n);
  reg busy;
  always @(posedge ap_clk) busy <= !ap_rst_n ? 1'b0 : (busy | ap_start);
  assign ap_done = 1'b0; assign ap_ready = 1'b0; assign ap_idle = !busy && !ap_start;
  assign in_r_TREADY = 1'b0;
  assign out_r_TDATA = 32'd0; assign out_r_TVALID = 1'b0; assign out_r_TKEEP = 4'hf;
  assign out_r_TSTRB = 4'hf; assign out_r_TLAST = 1'b0;
endmodule
"""


def test_rope_hang_times_out(tmp_path, seed: int) -> None:
    result = run_stub(KERNEL, STUB_NEVER_READY, tmp_path, "RopeSmoke", seed, timeout_cycles=2000)
    assert result.status == "fail", explain(result)
    assert "timeout: ap_ready for txn 0 (port ap_ready) not seen within 2000 cycles" in result.message, explain(result)
    assert "in_r: 0 packets + 0 beats transferred, TVALID=1 TREADY=0" in result.message, explain(result)


STUB_EARLY_TLAST = STUB_NEVER_READY.replace(
    "// rope ports; accepts ap_start (ap_idle low), never takes input, never finishes.",
    "// rope ports; streams a counter on out_r with TLAST on beat 2, never finishes.").replace(
    "  assign in_r_TREADY = 1'b0;\n"
    "  assign out_r_TDATA = 32'd0; assign out_r_TVALID = 1'b0; assign out_r_TKEEP = 4'hf;\n"
    "  assign out_r_TSTRB = 4'hf; assign out_r_TLAST = 1'b0;",
    "  reg [31:0] beat;\n"
    "  always @(posedge ap_clk) beat <= !ap_rst_n ? 32'd0 : beat + (busy && out_r_TREADY);\n"
    "  assign in_r_TREADY = 1'b1;\n"
    "  assign out_r_TDATA = beat; assign out_r_TVALID = busy && beat < n; assign out_r_TKEEP = 4'hf;\n"
    "  assign out_r_TSTRB = 4'hf; assign out_r_TLAST = busy && beat == 32'd2;")


def test_rope_early_tlast_flagged(tmp_path, seed: int) -> None:
    assert "beat == 32'd2" in STUB_EARLY_TLAST
    result = run_stub(KERNEL, STUB_EARLY_TLAST, tmp_path, "RopeSmoke", seed)
    assert result.status == "fail", explain(result)
    assert "axis 'out_r' packet 0 beat 2 (txn 0): TLAST early: set on beat 2, packet must have 256 beats" \
        in result.message, explain(result)


COPY_TIMEOUT_CYCLES = 200000
TREADY_IGNORED = ("        S_WR0: if (out_r_TREADY) state <= S_WR1;",
                  "        S_WR0: state <= S_WR1;")
"""y0 leaves the output register whether or not it was taken: dropped under back-pressure."""
ACC_BIT0_FLIPPED = {
    "y0": ("        S_M0: begin\n          acc <= prod;", "        S_M0: begin\n          acc <= prod ^ 64'sd1;"),
    "y1": ("        S_M2: begin\n          acc <= prod;", "        S_M2: begin\n          acc <= prod ^ 64'sd1;"),
}
"""Bit 0 of the accumulator (x0*c for y0, x0*s for y1) flipped: visible only when the sum
sits one LSB from the rounding boundary, which random words hit once in 2^20 outputs."""


@pytest.mark.extended  # control run of the copy path; the broken copies below must fail with their own messages
def test_rope_copy_unbroken_passes(tmp_path, seed: int) -> None:
    """The path the broken copies take (copy, stub build, Verilator) passes unmodified."""
    rtl = broken_copy(KERNEL, TREADY_IGNORED[0], TREADY_IGNORED[0])
    for testcase in ("RopeSmoke", "RopeDirected"):
        assert_passed(run_stub(KERNEL, rtl, tmp_path, testcase, seed, COPY_TIMEOUT_CYCLES, sim="verilator"))


def test_rope_smoke_kills_ignored_tready(tmp_path, seed: int) -> None:
    """The full-rate calls (txn 0-2) cannot see the dropped beat; the same calls under
    random back-pressure (txn 3-5) must, the 256-word alternating call first."""
    result = run_stub(KERNEL, broken_copy(KERNEL, *TREADY_IGNORED), tmp_path, "RopeSmoke", seed,
                      COPY_TIMEOUT_CYCLES, sim="verilator")
    assert result.status == "fail", explain(result)
    assert "axis 'out_r' packet 3" in result.message and "(txn 3): TLAST early" in result.message, explain(result)


@pytest.mark.parametrize("output", [pytest.param(o, marks=() if o == "y0" else pytest.mark.slow)  # y1: test-all
                                    for o in sorted(ACC_BIT0_FLIPPED)])
def test_rope_directed_kills_flipped_accumulator_bit(tmp_path, seed: int, output: str) -> None:
    result = run_stub(KERNEL, broken_copy(KERNEL, *ACC_BIT0_FLIPPED[output]), tmp_path, "RopeDirected", seed,
                      COPY_TIMEOUT_CYCLES, sim="verilator")
    assert result.status == "fail", explain(result)
    assert "rope output 'out_r' mismatch in txn" in result.message, explain(result)
