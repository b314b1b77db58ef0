"""Agent-level checks of the ap_ctrl and ap_memory agents on a tiny throwaway kernel.

The kernel (written to tmp_path) copies `out[i] = x[i] + 1` for `i < n`, issuing one
read per cycle on a single-port ap_memory and using each word LAT cycles later. The agents are bound by hand
with `from_prefix` (no DUT description), the ap_ctrl agent is driven through its
sequencer, and the memory model's `read_latency` must match LAT: a mismatch makes the
copy wrong, which the scoreboard must report. CHAIN switches the kernel to
ap_ctrl_chain and BROKEN injects block-protocol bugs the ap_ctrl monitor must flag.
The test leaves the block idle for IDLE_AFTER_RESET cycles after reset and lets the
monitor settle after the call, so ap_idle is checked with nothing to do both times.
The same file is the cocotb test module.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

try:
    import pyuvm
except ImportError:  # pragma: no cover - the suite always has pyuvm
    pyuvm = None

KERNEL_V = r"""// out[i] = x[i] + 1 for i < n: one x read per cycle, each written LAT cycles later.
// CHAIN = 1: ap_ctrl_chain (ap_done held until ap_continue). BROKEN selects one bug:
// 1 ap_done dropped after one cycle without ap_continue, 2 ap_idle high while running,
// 3 ap_idle low after reset until the first ap_start, 4 ap_idle stuck low after the first call.
module memcopy #(parameter LAT = 1, parameter CHAIN = 0, parameter BROKEN = 0) (
  input  wire ap_clk, input wire ap_rst, input wire ap_start, input wire ap_continue,
  output wire ap_done, output wire ap_idle, output wire ap_ready,
  output wire [3:0] x_address0, output wire x_ce0, input wire [15:0] x_q0,
  output wire [3:0] out_address0, output wire out_ce0, output wire out_we0, output wire [15:0] out_d0,
  input  wire [31:0] n);
  reg run, done, ready, started, ran; reg [31:0] cnt, n_r;
  always @(posedge ap_clk) begin
    ready <= 1'b0;
    if (ap_rst) begin started <= 1'b0; ran <= 1'b0; end
    else begin
      if (ap_start) started <= 1'b1;
      if (done) ran <= 1'b1;
    end
    if (ap_rst) begin run <= 1'b0; done <= 1'b0; end
    else if (done) done <= CHAIN && !ap_continue && BROKEN != 1;
    else if (!run && ap_start) begin run <= 1'b1; cnt <= 0; n_r <= n; end
    else if (run) begin
      cnt <= cnt + 1;
      if (cnt + 1 == n_r + LAT) begin run <= 1'b0; done <= 1'b1; ready <= 1'b1; end
    end
  end
  assign x_ce0 = run && cnt < n_r; assign x_address0 = cnt[3:0];
  assign out_ce0 = run && cnt >= LAT; assign out_we0 = out_ce0;
  assign out_address0 = cnt - LAT; assign out_d0 = x_q0 + 16'd1;
  assign ap_idle = ((!run && !done && !ap_start) || (BROKEN == 2 && run))
                   && !(BROKEN == 3 && !started) && !(BROKEN == 4 && ran);
  assign ap_done = done; assign ap_ready = ready;
endmodule
"""

MODEL_LATENCY_ENV = "LDV_TEST_MEM_LATENCY"
PROTOCOL_ENV = "LDV_TEST_PROTOCOL"
CONTINUE_DELAY = 3
IDLE_AFTER_RESET = 8

if pyuvm is not None:
    import cocotb

    from llama_dv.tb.agents.ap_ctrl import ApCtrlAgent, ApCtrlConfig, ApCtrlItem
    from llama_dv.tb.agents.ap_memory import ApMemoryAgent, ApMemoryConfig
    from llama_dv.tb.agents.binding import configure
    from llama_dv.tb.common.scoreboard import compare_arrays
    from llama_dv.tb.common.seeding import regression_seed, rng

    class OneCall(pyuvm.uvm_sequence):
        async def body(self) -> None:
            item = ApCtrlItem("call", 0, continue_delay=CONTINUE_DELAY)
            await self.start_item(item)
            await self.finish_item(item)

    @pyuvm.test()
    class MemcopyTest(pyuvm.uvm_test):
        """Preload x, run one call through the ap_ctrl sequencer, compare out with x + 1."""

        def build_phase(self) -> None:
            dut = cocotb.top
            lat = int(os.environ.get(MODEL_LATENCY_ENV, "1"))
            protocol = os.environ.get(PROTOCOL_ENV, "ap_ctrl_hs")
            configure(self, "ctrl", ApCtrlConfig(dut=dut, clock=dut.ap_clk, reset=dut.ap_rst, protocol=protocol))
            self.ctrl = ApCtrlAgent("ctrl", self)
            configure(self, "x", ApMemoryConfig(dut=dut, clock=dut.ap_clk, prefix="x", depth=16, data_width=16,
                                                read_latency=lat, signed=False))
            self.x = ApMemoryAgent("x", self)
            configure(self, "out", ApMemoryConfig(dut=dut, clock=dut.ap_clk, prefix="out", depth=16, data_width=16,
                                                  readable=False, writable=True, signed=False))
            self.out = ApMemoryAgent("out", self)

        async def run_phase(self) -> None:
            from cocotb.clock import Clock
            from cocotb.triggers import ClockCycles, RisingEdge

            self.raise_objection()
            dut = cocotb.top
            Clock(dut.ap_clk, 10, unit="ns").start()
            dut.ap_start.value = 0
            dut.ap_continue.value = 0
            dut.ap_rst.value = 1
            for _ in range(3):
                await RisingEdge(dut.ap_clk)
            dut.ap_rst.value = 0
            await ClockCycles(dut.ap_clk, IDLE_AFTER_RESET)
            x = rng("memcopy").integers(0, 0xFFFF, size=12)
            self.x.model.preload(x)
            dut.n.value = x.size
            await OneCall("call").start(self.ctrl.sequencer)
            await self.ctrl.monitor.settle()
            compare_arrays((x + 1) & 0xFFFF, self.out.model.contents(x.size), what="memcopy out", txn_id=0,
                           seed=regression_seed())
            assert len(self.out.model.writes) == x.size, f"{len(self.out.model.writes)} writes, expected {x.size}"
            assert [w.address for w in self.out.model.writes] == list(range(x.size))
            timing = self.ctrl.monitor.timings[0]
            assert timing.done_ns >= timing.ready_ns > timing.start_ns, timing
            if self.ctrl.cfg.chain:
                assert timing.continue_stall_cycles >= CONTINUE_DELAY, timing
            self.drop_objection()


def _run(tmp_path: Path, seed: int, dut_latency: int, model_latency: int, chain: int = 0, broken: int = 0):
    from llama_dv.tb.sim.runner import DutBuild, run
    from tests.copies import copies_root, run_dir, stable_file

    src = stable_file("test_ap_agents/memcopy.v", KERNEL_V)  # built once per configuration (tests/copies.py)
    dut = DutBuild(name="memcopy", sim="icarus", sources=[src], toplevel="memcopy",
                   parameters={"LAT": dut_latency, "CHAIN": chain, "BROKEN": broken},
                   config=f"lat{dut_latency}-chain{chain}-broken{broken}", build_root=copies_root())
    protocol = "ap_ctrl_chain" if chain else "ap_ctrl_hs"
    env = {MODEL_LATENCY_ENV: str(model_latency), PROTOCOL_ENV: protocol}
    return run(dut, "test_ap_agents", seed=seed, timeout_s=120, python_path=[Path(__file__).parent],
               extra_env=env, test_dir=run_dir(dut, tmp_path, "test_ap_agents", None, seed, env))


@pytest.mark.sim
@pytest.mark.parametrize("latency", [1, pytest.param(2, marks=pytest.mark.slow), 3])  # 1 and 3 bracket 2
def test_memory_latency_matches(tmp_path: Path, seed: int, latency: int) -> None:
    result = _run(tmp_path, seed, latency, latency)
    assert result.ok, f"{result.message}\nlog: {result.log}"


@pytest.mark.sim
@pytest.mark.parametrize(("dut_latency", "model_latency"), [(1, 2), (2, 1)])
def test_memory_latency_mismatch_detected(tmp_path: Path, seed: int, dut_latency: int, model_latency: int) -> None:
    result = _run(tmp_path, seed, dut_latency, model_latency)
    assert result.status == "fail", f"{result.status}: {result.message}\nlog: {result.log}"
    # a slower memory leaves q undriven for the first word; a faster one shifts every word
    assert ("memcopy out mismatch in txn 0" in result.message and "index" in result.message) or \
        "ap_memory 'out': write of X data to address 0" in result.message, result.message


@pytest.mark.sim
def test_chain_mode_with_continue_stall(tmp_path: Path, seed: int) -> None:
    result = _run(tmp_path, seed, 2, 2, chain=1)
    assert result.ok, f"{result.message}\nlog: {result.log}"


@pytest.mark.sim
@pytest.mark.parametrize(("chain", "broken", "rule"), [
    (1, 1, "ap_done of invocation 0 dropped before ap_continue"),
    (0, 2, "ap_idle high while invocation 0 is in flight"),
    (0, 3, "ap_idle low with no call in flight"),
    (0, 4, "ap_idle low with no call in flight"),
    (1, 4, "ap_idle low with no call in flight"),
])
def test_ap_ctrl_rules_enforced(tmp_path: Path, seed: int, chain: int, broken: int, rule: str) -> None:
    result = _run(tmp_path, seed, 1, 1, chain=chain, broken=broken)
    assert result.status == "fail", f"{result.status}: {result.message}\nlog: {result.log}"
    assert "ap_ctrl protocol violation" in result.message and rule in result.message, result.message
    if broken in (3, 4):  # the message names the port, the cycle and what it waited after
        since = "reset was released" if broken == 3 else "invocation 0 completed"
        last = "none since the test began" if broken == 3 else "invocation 0 (txn 0, ap_done at"
        assert "port ap_idle" in result.message and "at cycle" in result.message, result.message
        assert since in result.message and f"last completed call: {last}" in result.message, result.message
