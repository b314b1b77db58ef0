"""s_axilite agent against the two ISR clearing schemes of Vitis exports, and a stream-only map.

Vitis releases export the interrupt status register either clear-on-read (COR: the
`x<top>_hw.h` comment says `(Read/COR)`) or toggle-on-write (TOW, `(Read/TOW)`). The
kernel (written to tmp_path) is a Vitis-style control block around a core that runs
`n` cycles (20 when `n` is 0); COR picks the ISR scheme, BROKEN injects a bug:
1 the ISR is never cleared by a read (COR), 2 a write does not toggle the ISR (TOW).
A kernel whose arguments are all streams exports a header with only AP_CTRL / GIE /
IER / ISR; the agent must parse it and run calls with no argument. The same file is
the cocotb test module.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

try:
    import cocotb
    import pyuvm
except ImportError:  # pragma: no cover - the suite always has them
    cocotb = pyuvm = None

from llama_dv.tb.agents.s_axilite.regmap import HeaderError, parse_hw_header

KERNEL_V = r"""// Vitis-style s_axilite control block around a core that is busy for n cycles (20 if n == 0).
// COR = 1: ISR bits clear on a read of ISR; COR = 0: a write toggles them. BROKEN selects a bug:
// 1 the ISR is not cleared by a read (COR), 2 a write leaves the ISR as it is (TOW).
module ctrlblk #(parameter COR = 0, parameter BROKEN = 0) (
  input  wire        ap_clk,
  input  wire        ap_rst_n,
  output wire        interrupt,
  input  wire        s_axi_control_AWVALID,
  output wire        s_axi_control_AWREADY,
  input  wire [5:0]  s_axi_control_AWADDR,
  input  wire        s_axi_control_WVALID,
  output wire        s_axi_control_WREADY,
  input  wire [31:0] s_axi_control_WDATA,
  input  wire [3:0]  s_axi_control_WSTRB,
  input  wire        s_axi_control_ARVALID,
  output wire        s_axi_control_ARREADY,
  input  wire [5:0]  s_axi_control_ARADDR,
  output wire        s_axi_control_RVALID,
  input  wire        s_axi_control_RREADY,
  output reg  [31:0] s_axi_control_RDATA,
  output wire [1:0]  s_axi_control_RRESP,
  output wire        s_axi_control_BVALID,
  input  wire        s_axi_control_BREADY,
  output wire [1:0]  s_axi_control_BRESP
);
  reg [1:0] wstate; reg rstate; reg [5:0] waddr;
  reg int_ap_start, int_auto_restart, int_ap_done, int_ap_ready, int_gie;
  reg [1:0] int_ier, int_isr;
  reg [31:0] n;
  reg busy; reg [31:0] cnt;
  wire ap_idle = !busy;
  wire ap_ready = !busy && int_ap_start;
  wire ap_done = busy && cnt == 32'd1;
  wire aw_hs = s_axi_control_AWVALID & s_axi_control_AWREADY;
  wire w_hs = s_axi_control_WVALID & s_axi_control_WREADY;
  wire ar_hs = s_axi_control_ARVALID & s_axi_control_ARREADY;
  wire wr_isr = w_hs && waddr == 6'h0c && s_axi_control_WSTRB[0] && COR == 0 && BROKEN != 2;
  wire rd_isr = ar_hs && s_axi_control_ARADDR == 6'h0c && COR == 1 && BROKEN != 1;
  wire wr_ctrl = w_hs && waddr == 6'h00 && s_axi_control_WSTRB[0];
  wire rd_ctrl = ar_hs && s_axi_control_ARADDR == 6'h00;
  assign s_axi_control_AWREADY = wstate == 2'd0;
  assign s_axi_control_WREADY = wstate == 2'd1;
  assign s_axi_control_BVALID = wstate == 2'd2;
  assign s_axi_control_BRESP = 2'b00;
  assign s_axi_control_ARREADY = !rstate;
  assign s_axi_control_RVALID = rstate;
  assign s_axi_control_RRESP = 2'b00;
  assign interrupt = int_gie & |(int_ier & int_isr);
  always @(posedge ap_clk) begin
    if (!ap_rst_n) begin
      wstate <= 0; rstate <= 0;
    end else begin
      case (wstate)
        2'd0: if (aw_hs) begin wstate <= 1; waddr <= s_axi_control_AWADDR; end
        2'd1: if (w_hs) wstate <= 2;
        default: if (s_axi_control_BREADY) wstate <= 0;
      endcase
      if (ar_hs) rstate <= 1; else if (s_axi_control_RREADY) rstate <= 0;
    end
  end
  always @(posedge ap_clk) if (ar_hs) begin
    case (s_axi_control_ARADDR)
      6'h00: s_axi_control_RDATA <= {24'd0, int_auto_restart, 3'd0, int_ap_ready, ap_idle, int_ap_done, int_ap_start};
      6'h04: s_axi_control_RDATA <= {31'd0, int_gie};
      6'h08: s_axi_control_RDATA <= {30'd0, int_ier};
      6'h0c: s_axi_control_RDATA <= {30'd0, int_isr};
      6'h10: s_axi_control_RDATA <= n;
      default: s_axi_control_RDATA <= 0;
    endcase
  end
  always @(posedge ap_clk) begin
    if (!ap_rst_n) begin
      int_ap_start <= 0; int_auto_restart <= 0; int_ap_done <= 0; int_ap_ready <= 0;
      int_gie <= 0; int_ier <= 0; int_isr <= 0; n <= 0; busy <= 0; cnt <= 0;
    end else begin
      if (wr_ctrl && s_axi_control_WDATA[0]) int_ap_start <= 1;
      else if (ap_ready) int_ap_start <= int_auto_restart;
      if (wr_ctrl) int_auto_restart <= s_axi_control_WDATA[7];
      if (ap_done) int_ap_done <= 1; else if (rd_ctrl) int_ap_done <= 0;
      if (ap_ready) int_ap_ready <= 1; else if (rd_ctrl) int_ap_ready <= 0;
      if (w_hs && waddr == 6'h04 && s_axi_control_WSTRB[0]) int_gie <= s_axi_control_WDATA[0];
      if (w_hs && waddr == 6'h08 && s_axi_control_WSTRB[0]) int_ier <= s_axi_control_WDATA[1:0];
      if (int_ier[0] & ap_done) int_isr[0] <= 1'b1;
      else if (rd_isr) int_isr[0] <= 1'b0;
      else if (wr_isr) int_isr[0] <= int_isr[0] ^ s_axi_control_WDATA[0];
      if (int_ier[1] & ap_ready) int_isr[1] <= 1'b1;
      else if (rd_isr) int_isr[1] <= 1'b0;
      else if (wr_isr) int_isr[1] <= int_isr[1] ^ s_axi_control_WDATA[1];
      if (w_hs && waddr == 6'h10) n <= s_axi_control_WDATA;
      if (ap_ready) begin busy <= 1; cnt <= (n == 0) ? 32'd20 : n; end
      else if (busy) begin cnt <= cnt - 1; if (cnt == 32'd1) busy <= 0; end
    end
  end
endmodule
"""

_ISR_COMMENT = """// 0x0c : IP Interrupt Status Register (Read/{mode})
//        bit 0 - ap_done (Read/{mode})
//        bit 1 - ap_ready (Read/{mode})
//        others - reserved
"""

_HEADER = """// ==============================================================
// Vitis HLS - High-Level Synthesis from C, C++ and OpenCL
// ==============================================================
// control
// 0x00 : Control signals
//        bit 0  - ap_start (Read/Write/COH)
//        bit 1  - ap_done (Read/COR)
//        bit 2  - ap_idle (Read)
//        bit 3  - ap_ready (Read/COR)
//        bit 7  - auto_restart (Read/Write)
// 0x04 : Global Interrupt Enable Register
//        bit 0  - Global Interrupt Enable (Read/Write)
// 0x08 : IP Interrupt Enable Register (Read/Write)
//        bit 0 - enable ap_done interrupt (Read/Write)
//        bit 1 - enable ap_ready interrupt (Read/Write)
{isr}{args_comment}
#define XCTRLBLK_CONTROL_ADDR_AP_CTRL 0x00
#define XCTRLBLK_CONTROL_ADDR_GIE     0x04
#define XCTRLBLK_CONTROL_ADDR_IER     0x08
#define XCTRLBLK_CONTROL_ADDR_ISR     0x0c
{args}"""

_ARG_COMMENT = """// 0x10 : Data signal of n
//        bit 31~0 - n[31:0] (Read/Write)
"""
_ARG_DEFINES = """#define XCTRLBLK_CONTROL_ADDR_N_DATA  0x10
#define XCTRLBLK_CONTROL_BITS_N_DATA  32
"""


def header(mode: str | None, args: bool = True) -> str:
    """x<top>_hw.h text: ISR comment for `mode` ("COR"/"TOW"; None: no ISR comment), with or
    without the `n` argument register (a stream-only kernel has none)."""
    return _HEADER.format(isr=_ISR_COMMENT.format(mode=mode) if mode else "",
                          args_comment=_ARG_COMMENT if args else "", args=_ARG_DEFINES if args else "")


# --- register-map parser (no simulator) -------------------------------------------------

def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "xctrlblk_hw.h"
    path.write_text(text)
    return path


@pytest.mark.parametrize("mode, expected", [("COR", "cor"), ("TOW", "tow"), (None, "tow")])
def test_parser_reads_isr_mode(tmp_path: Path, mode: str | None, expected: str) -> None:
    assert parse_hw_header(_write(tmp_path, header(mode))).isr_mode == expected


def test_parser_reads_isr_mode_of_its_bundle(tmp_path: Path) -> None:
    """A header describing two bundles: the mode is read from the requested bundle's block."""
    other = header("TOW").replace("// control", "// other").replace("XCTRLBLK_CONTROL_", "XCTRLBLK_OTHER_")
    text = other + header("COR")
    path = _write(tmp_path, text)
    assert parse_hw_header(path).isr_mode == "cor"
    assert parse_hw_header(path, bundle="other").isr_mode == "tow"


def test_parser_rejects_mixed_isr_modes(tmp_path: Path) -> None:
    text = header("COR").replace("bit 1 - ap_ready (Read/COR)", "bit 1 - ap_ready (Read/TOW)")
    path = _write(tmp_path, text)
    with pytest.raises(HeaderError, match=rf"{path}:\d+: the ISR comment says both COR .* and TOW"):
        parse_hw_header(path)


def test_parser_accepts_stream_only_header(tmp_path: Path) -> None:
    regmap = parse_hw_header(_write(tmp_path, header("COR", args=False)))
    assert regmap.args == () and regmap.arg_names == ()
    assert (regmap.ap_ctrl, regmap.gie, regmap.ier, regmap.isr, regmap.isr_mode) == (0, 4, 8, 0x0C, "cor")


# --- agent in simulation --------------------------------------------------------------

def _run(tmp_path: Path, sim: str, seed: int, *, cor: int, broken: int = 0, mode: str | None,
         args: bool = True, completion: str = "poll", isr_override: str = ""):
    from llama_dv.tb.sim.runner import DutBuild, run
    from tests.copies import copies_root, stable_file

    src = stable_file("test_s_axilite_isr/ctrlblk.v", KERNEL_V)  # built once per configuration (tests/copies.py)
    path = _write(tmp_path, header(mode, args))
    dut = DutBuild(name="ctrlblk", sim=sim, sources=[src], toplevel="ctrlblk",
                   parameters={"COR": cor, "BROKEN": broken}, config=f"cor{cor}-broken{broken}",
                   build_args=["-Wno-fatal"] if sim == "verilator" else [], build_root=copies_root())
    env = {"CTRLBLK_HEADER": str(path), "CTRLBLK_COMPLETION": completion, "CTRLBLK_ISR": isr_override}
    return run(dut, "test_s_axilite_isr", seed=seed, extra_env=env, timeout_s=300,
               test_dir=tmp_path / "run", python_path=[Path(__file__).parent])


@pytest.mark.fast_sim("icarus")
@pytest.mark.sim
@pytest.mark.parametrize("cor, mode, completion, override", [  # extended: make test has each mode and completion
    pytest.param(1, "COR", "poll", "", marks=pytest.mark.extended),
    (1, "COR", "interrupt", ""),
    (0, "TOW", "poll", ""),
    pytest.param(0, "TOW", "interrupt", "", marks=pytest.mark.extended),
    (1, None, "interrupt", "cor"),
], ids=["cor-poll", "cor-interrupt", "tow-poll", "tow-interrupt", "cor-by-config"])
def test_isr_modes_pass(tmp_path: Path, sim: str, seed: int, cor: int, mode: str | None, completion: str,
                        override: str) -> None:
    result = _run(tmp_path, sim, seed, cor=cor, mode=mode, completion=completion, isr_override=override)
    assert result.ok, f"{result.message}\nlog: {result.log}"
    log = result.log.read_text()
    assert "Write start addr" not in log and "Read complete addr" not in log, \
        "cocotbext-axi logged register accesses at INFO"


@pytest.mark.fast_sim("icarus")
@pytest.mark.sim
def test_stream_only_kernel_runs(tmp_path: Path, sim: str, seed: int) -> None:
    result = _run(tmp_path, sim, seed, cor=0, mode=None, args=False)
    assert result.ok, f"{result.message}\nlog: {result.log}"


@pytest.mark.fast_sim("icarus")
@pytest.mark.sim
@pytest.mark.parametrize("cor, broken, mode, completion, words", [
    (1, 1, "COR", "poll", "ISR reads 0x1, expected 0x0 (ISR is clear-on-read (COR)"),
    pytest.param(1, 1, "COR", "interrupt", "COR", marks=pytest.mark.extended),  # the same bug: cor-not-cleared-poll
    (0, 2, "TOW", "poll", "ISR reads 0x1, expected 0x0 (ISR bits toggle on write)"),
], ids=["cor-not-cleared-poll", "cor-not-cleared-interrupt", "tow-not-toggled"])
def test_isr_bugs_fail(tmp_path: Path, sim: str, seed: int, cor: int, broken: int, mode: str, completion: str,
                       words: str) -> None:
    result = _run(tmp_path, sim, seed, cor=cor, broken=broken, mode=mode, completion=completion)
    assert result.status == "fail", f"BROKEN={broken} was not caught: {result.status} {result.message}"
    assert "ISR" in result.message and words in result.message, result.message


# --- the cocotb side ------------------------------------------------------------------

if pyuvm is not None:
    from cocotb.clock import Clock
    from cocotb.triggers import ClockCycles

    from llama_dv.tb.agents.binding import configure
    from llama_dv.tb.agents.s_axilite import ControlCallSequence, ControlItem, SAxiLiteAgent, SAxiLiteConfig

    class CtrlEnv(pyuvm.uvm_env):
        def build_phase(self) -> None:
            self.ctrl = SAxiLiteAgent("ctrl", self)

    @pyuvm.test()
    class IsrModeTest(pyuvm.uvm_test):
        """Three calls through the control agent; each must complete and acknowledge its ISR."""

        def build_phase(self) -> None:
            dut = self.dut = cocotb.top
            regmap = parse_hw_header(os.environ["CTRLBLK_HEADER"])
            self.cfg = SAxiLiteConfig(dut=dut, clock=dut.ap_clk, reset=dut.ap_rst_n, reset_active_high=False,
                                      regmap=regmap, period_ns=10.0, interrupt=dut.interrupt, kernel="ctrlblk",
                                      done_timeout_cycles=2000, isr_mode=os.environ["CTRLBLK_ISR"] or None)
            configure(self, "env.ctrl", self.cfg)
            self.env = CtrlEnv("env", self)

        async def run_phase(self) -> None:
            self.raise_objection()
            Clock(self.dut.ap_clk, 10, unit="ns").start()
            self.dut.ap_rst_n.value = 0
            await ClockCycles(self.dut.ap_clk, 5)
            self.dut.ap_rst_n.value = 1
            await ClockCycles(self.dut.ap_clk, 1)
            completion = os.environ["CTRLBLK_COMPLETION"]
            has_n = "n" in self.cfg.regmap.arg_names
            for call, n in enumerate((7, 30, 12)):
                item = ControlItem(f"call{call}", {"n": n} if has_n else {}, completion=completion)
                await ControlCallSequence(f"call{call}", item).start(self.env.ctrl.sequencer)
                r = item.result
                assert r.completions == 1 and r.isr_at_done & 1, f"call {call}: {r}"
                assert r.done_ns - r.start_ns >= (n if has_n else 20) * 10, f"call {call} finished early: {r}"
            await ClockCycles(self.dut.ap_clk, 10)
            if completion == "interrupt":
                assert self.env.ctrl.monitor.interrupt_checks > 0, "the interrupt pin was never checked"
            self.drop_objection()
