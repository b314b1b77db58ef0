"""ap_ctrl agent with several calls in flight, on a Vitis-style pipelined ap_ctrl_hs top.

The DUT (written to tmp_path) is a fixed-latency delay line of call ids: it registers
`id` in the cycle ap_start rises, raises ap_ready one cycle later and returns the id
on `ap_return` with ap_done LAT cycles after acceptance, with up to MAX calls in
flight; with CHAIN it is ap_ctrl_chain (the line stalls while ap_done waits for
ap_continue). The test issues four calls back to back (`driver.issue`, next id applied in
`on_ready`) and completes them concurrently (`driver.complete`); they must finish in
order with no protocol violation. BROKEN injects a bug the agent must name. The same
file is the cocotb test module.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

try:
    import pyuvm
except ImportError:  # pragma: no cover - the suite always has pyuvm
    pyuvm = None

PIPE_V = r"""// Pipelined top: ap_return = the id of each call, LAT cycles after ap_ready. `id` is
// registered in the cycle ap_start rises, ap_ready follows one cycle later, and at most MAX
// calls are in flight. CHAIN = 1: ap_ctrl_chain, the line stalls while ap_done waits for
// ap_continue. BROKEN: 1 the ap_done of call id MISSING is dropped (the
// pipeline still empties and goes idle), 2 one extra ap_done pulse the cycle after the
// ap_done of call id MISSING, 3 call id MISSING hangs in the last stage (never done, never idle).
module pipe #(parameter LAT = 8, parameter MAX = 3, parameter CHAIN = 0, parameter BROKEN = 0,
              parameter MISSING = 3) (
  input  wire ap_clk, input wire ap_rst, input wire ap_start, input wire ap_continue,
  output wire ap_done, output wire ap_idle, output wire ap_ready,
  input  wire [7:0] id, output wire [7:0] ap_return);
  reg [LAT-1:0] valid;
  reg [7:0] ids [0:LAT-1];
  reg [7:0] id_r;
  reg [3:0] count;
  reg seen, extra;
  integer k;
  wire stuck = BROKEN == 3 && valid[LAT-1] && ids[LAT-1] == MISSING;
  wire out_valid = valid[LAT-1] && !stuck;
  wire stall = CHAIN && out_valid && !ap_continue;
  assign ap_ready = ap_start && seen && !stall && (count < MAX || out_valid);
  assign ap_done = (out_valid && !(BROKEN == 1 && ids[LAT-1] == MISSING)) || extra;
  assign ap_return = ids[LAT-1];
  assign ap_idle = !ap_start && count == 4'd0;
  always @(posedge ap_clk) begin
    if (ap_rst) begin
      valid <= 0; seen <= 1'b0; count <= 4'd0; extra <= 1'b0;
    end else begin
      seen <= ap_start && !ap_ready;
      if (!stall) valid <= {valid[LAT-2:0], ap_ready} | {stuck, {LAT-1{1'b0}}};
      count <= count + {3'd0, ap_ready} - {3'd0, out_valid && !stall};
      extra <= BROKEN == 2 && out_valid && ids[LAT-1] == MISSING;
    end
  end
  always @(posedge ap_clk) begin
    if (ap_start && !seen) id_r <= id;
    if (!stall) begin
      ids[0] <= id_r;
      for (k = 1; k < LAT; k = k + 1) if (!(stuck && k == LAT - 1)) ids[k] <= ids[k - 1];
    end
  end
endmodule
"""

HOLD_ENV = "LDV_TEST_HOLD_START"
PROTOCOL_ENV = "LDV_TEST_PROTOCOL"
CONTINUE_DELAY = 2
CALL_IDS = [0x11, 0x22, 0x33, 0x44]
MAX_IN_FLIGHT = 3

if pyuvm is not None:
    import cocotb
    from cocotb.clock import Clock
    from cocotb.triggers import ClockCycles, RisingEdge

    from llama_dv.tb.agents.ap_ctrl import ApCtrlAgent, ApCtrlConfig, ApCtrlItem
    from llama_dv.tb.agents.binding import configure

    @pyuvm.test()
    class OverlapTest(pyuvm.uvm_test):
        """Four overlapping calls: issued back to back, completed concurrently, in order."""

        def build_phase(self) -> None:
            dut = cocotb.top
            cfg = ApCtrlConfig(dut=dut, clock=dut.ap_clk, reset=dut.ap_rst,
                               protocol=os.environ.get(PROTOCOL_ENV, "ap_ctrl_hs"), ready_timeout_cycles=200,
                               done_timeout_cycles=200)
            configure(self, "ctrl", cfg)
            self.ctrl = ApCtrlAgent("ctrl", self)

        async def run_phase(self) -> None:
            self.raise_objection()
            dut = cocotb.top
            Clock(dut.ap_clk, 10, unit="ns").start()
            dut.ap_start.value = 0
            dut.ap_continue.value = 0
            dut.ap_rst.value = 1
            await ClockCycles(dut.ap_clk, 3)
            dut.ap_rst.value = 0
            await RisingEdge(dut.ap_clk)
            hold = os.environ.get(HOLD_ENV, "1") == "1"
            returned: list[tuple[int, int]] = []

            def apply(k: int) -> None:
                dut.id.value = CALL_IDS[k]

            def collect(k: int) -> None:
                returned.append((k, int(dut.ap_return.value)))

            drv = self.ctrl.driver
            apply(0)
            items = [ApCtrlItem(f"call{k}", k, hold_start=hold and k + 1 < len(CALL_IDS), continue_delay=CONTINUE_DELAY,
                                on_ready=(lambda k=k: apply(k + 1)) if k + 1 < len(CALL_IDS) else None,
                                on_done=lambda k=k: collect(k))
                     for k in range(len(CALL_IDS))]
            completions = []
            for item in items:
                await drv.issue(item)
                completions.append(cocotb.start_soon(drv.complete(item)))
            for task in completions:
                await task
            await ClockCycles(dut.ap_clk, 10)  # a late stray ap_done must still be seen
            mon = self.ctrl.monitor
            assert returned == list(enumerate(CALL_IDS)), f"calls returned {returned}"
            assert [t.index for t in mon.timings] == list(range(len(CALL_IDS))), mon.timings
            assert all(t.start_ns < t.ready_ns < t.done_ns for t in mon.timings), mon.timings
            assert mon.max_in_flight == MAX_IN_FLIGHT, f"at most {mon.max_in_flight} calls in flight"
            assert all(t.back_to_back for t in mon.timings[1:]), mon.timings
            if self.ctrl.cfg.chain:
                assert all(t.continue_stall_cycles >= CONTINUE_DELAY for t in mon.timings), mon.timings
            assert not mon.errors, mon.errors
            self.drop_objection()


def _run(tmp_path: Path, sim: str, seed: int, broken: int = 0, hold: bool = True, chain: bool = False):
    from llama_dv.tb.sim.runner import DutBuild, run
    from tests.copies import copies_root, run_dir, stable_file

    src = stable_file("test_ap_overlap/pipe.v", PIPE_V)  # built once per configuration (tests/copies.py)
    dut = DutBuild(name="pipe", sim=sim, sources=[src], toplevel="pipe",
                   parameters={"LAT": 8, "MAX": MAX_IN_FLIGHT, "CHAIN": int(chain), "BROKEN": broken,
                               "MISSING": CALL_IDS[-1]},
                   build_args=["-Wno-fatal"] if sim == "verilator" else [],
                   config=f"chain{int(chain)}-broken{broken}", build_root=copies_root())
    env = {HOLD_ENV: "1" if hold else "0", PROTOCOL_ENV: "ap_ctrl_chain" if chain else "ap_ctrl_hs"}
    return run(dut, "test_ap_overlap", seed=seed, timeout_s=120, python_path=[Path(__file__).parent],
               extra_env=env, test_dir=run_dir(dut, tmp_path, "test_ap_overlap", None, seed, env))


@pytest.mark.fast_sim("icarus")
@pytest.mark.sim
@pytest.mark.parametrize("hold", [True, False], ids=["held", "dropped"])
@pytest.mark.parametrize("chain", [False, True], ids=["hs", "chain"])
def test_overlapping_calls_complete_in_order(tmp_path: Path, sim: str, seed: int, hold: bool, chain: bool) -> None:
    result = _run(tmp_path, sim, seed, hold=hold, chain=chain)
    assert result.ok, f"{result.message}\nlog: {result.log}"


@pytest.mark.fast_sim("icarus")
@pytest.mark.sim
@pytest.mark.parametrize(("broken", "message"), [
    (1, "ap_idle high while invocation 3 is in flight "
        "(txn 3, accepted, its ap_done not seen; port ap_idle)"),
    (3, "timeout: ap_done for txn 3 (port ap_done) not seen within 200 cycles"),
], ids=["dropped", "hung"])
def test_missing_done_names_the_call(tmp_path: Path, sim: str, seed: int, broken: int, message: str) -> None:
    result = _run(tmp_path, sim, seed, broken=broken)
    assert result.status == "fail", f"{result.status}: {result.message}\nlog: {result.log}"
    assert message in result.message, result.message


@pytest.mark.fast_sim("icarus")
@pytest.mark.sim
def test_extra_done_flagged(tmp_path: Path, sim: str, seed: int) -> None:
    result = _run(tmp_path, sim, seed, broken=2)
    assert result.status == "fail", f"{result.status}: {result.message}\nlog: {result.log}"
    assert "ap_ctrl protocol violation" in result.message and "ap_done without a preceding ap_start" in \
        result.message and "invocation 4" in result.message, result.message
