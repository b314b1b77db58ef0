"""Agent-level checks of the s_axilite and m_axi agents on a tiny throwaway kernel.

The kernel (written to tmp_path) copies `n` words from `src` to `dst`, adding one,
through a Vitis-style control block and an AXI4 master; its BROKEN parameter injects
one register or AXI bug at a time, and each must make the agents' monitors fail. The
same file is the cocotb test module the simulator runs (`AxiCopyTest`).
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

try:
    import cocotb
    import pyuvm
except ImportError:  # pragma: no cover - the suite always has them
    cocotb = pyuvm = None

from llama_dv.tb.agents.s_axilite.regmap import HeaderError, parse_hw_header

KERNEL_V = r"""// Minimal Vitis-style kernel for agent self-tests: dst[i] = src[i] + 1 over AXI4,
// controlled through a Vitis s_axilite block. BROKEN selects one protocol bug:
// 1 ap_done not cleared on read, 2 ISR written instead of toggled,
// 3 bursts may cross a 4 KiB boundary, 4 WLAST never set, 5 interrupt ignores GIE,
// 6 n reads back with bit 31 set, 7 GIE reads with reserved bit 31 set.
module axicopy #(parameter BROKEN = 0) (
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
  output wire [1:0]  s_axi_control_BRESP,
  output wire        m_axi_gmem_AWVALID,
  input  wire        m_axi_gmem_AWREADY,
  output wire [63:0] m_axi_gmem_AWADDR,
  output wire [0:0]  m_axi_gmem_AWID,
  output wire [7:0]  m_axi_gmem_AWLEN,
  output wire [2:0]  m_axi_gmem_AWSIZE,
  output wire [1:0]  m_axi_gmem_AWBURST,
  output wire        m_axi_gmem_WVALID,
  input  wire        m_axi_gmem_WREADY,
  output wire [31:0] m_axi_gmem_WDATA,
  output wire [3:0]  m_axi_gmem_WSTRB,
  output wire        m_axi_gmem_WLAST,
  input  wire        m_axi_gmem_BVALID,
  output wire        m_axi_gmem_BREADY,
  input  wire [1:0]  m_axi_gmem_BRESP,
  input  wire [0:0]  m_axi_gmem_BID,
  output wire        m_axi_gmem_ARVALID,
  input  wire        m_axi_gmem_ARREADY,
  output wire [63:0] m_axi_gmem_ARADDR,
  output wire [0:0]  m_axi_gmem_ARID,
  output wire [7:0]  m_axi_gmem_ARLEN,
  output wire [2:0]  m_axi_gmem_ARSIZE,
  output wire [1:0]  m_axi_gmem_ARBURST,
  input  wire        m_axi_gmem_RVALID,
  output wire        m_axi_gmem_RREADY,
  input  wire [31:0] m_axi_gmem_RDATA,
  input  wire        m_axi_gmem_RLAST,
  input  wire [0:0]  m_axi_gmem_RID,
  input  wire [1:0]  m_axi_gmem_RRESP
);
  // ---- control block ----
  reg [1:0] wstate; reg rstate; reg [5:0] waddr;
  reg int_ap_start, int_auto_restart, int_ap_done, int_ap_ready, int_gie;
  reg [1:0] int_ier, int_isr;
  reg [63:0] src, dst; reg [31:0] n;
  wire ap_done, ap_ready, ap_idle;
  wire aw_hs = s_axi_control_AWVALID & s_axi_control_AWREADY;
  wire w_hs = s_axi_control_WVALID & s_axi_control_WREADY;
  wire ar_hs = s_axi_control_ARVALID & s_axi_control_ARREADY;
  assign s_axi_control_AWREADY = wstate == 2'd0;
  assign s_axi_control_WREADY = wstate == 2'd1;
  assign s_axi_control_BVALID = wstate == 2'd2;
  assign s_axi_control_BRESP = 2'b00;
  assign s_axi_control_ARREADY = !rstate;
  assign s_axi_control_RVALID = rstate;
  assign s_axi_control_RRESP = 2'b00;
  assign interrupt = (BROKEN == 5) ? |(int_ier & int_isr) : int_gie & |(int_ier & int_isr);
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
      6'h04: s_axi_control_RDATA <= {BROKEN == 7, 30'd0, int_gie};
      6'h08: s_axi_control_RDATA <= {30'd0, int_ier};
      6'h0c: s_axi_control_RDATA <= {30'd0, int_isr};
      6'h10: s_axi_control_RDATA <= src[31:0];
      6'h14: s_axi_control_RDATA <= src[63:32];
      6'h1c: s_axi_control_RDATA <= dst[31:0];
      6'h20: s_axi_control_RDATA <= dst[63:32];
      6'h28: s_axi_control_RDATA <= {n[31] | (BROKEN == 6), n[30:0]};
      default: s_axi_control_RDATA <= 0;
    endcase
  end
  wire wr_ctrl = w_hs && waddr == 6'h00 && s_axi_control_WSTRB[0];
  wire rd_ctrl = ar_hs && s_axi_control_ARADDR == 6'h00;
  always @(posedge ap_clk) begin
    if (!ap_rst_n) begin
      int_ap_start <= 0; int_auto_restart <= 0; int_ap_done <= 0; int_ap_ready <= 0;
      int_gie <= 0; int_ier <= 0; int_isr <= 0; src <= 0; dst <= 0; n <= 0;
    end else begin
      if (wr_ctrl && s_axi_control_WDATA[0]) int_ap_start <= 1;
      else if (ap_ready) int_ap_start <= int_auto_restart;
      if (wr_ctrl) int_auto_restart <= s_axi_control_WDATA[7];
      if (ap_done) int_ap_done <= 1;
      else if (rd_ctrl && BROKEN != 1) int_ap_done <= 0;
      else if (wr_ctrl && s_axi_control_WDATA[0]) int_ap_done <= 0;
      if (ap_ready) int_ap_ready <= 1; else if (rd_ctrl) int_ap_ready <= 0;
      if (w_hs && waddr == 6'h04 && s_axi_control_WSTRB[0]) int_gie <= s_axi_control_WDATA[0];
      if (w_hs && waddr == 6'h08 && s_axi_control_WSTRB[0]) int_ier <= s_axi_control_WDATA[1:0];
      if (int_ier[0] & ap_done) int_isr[0] <= 1'b1;
      else if (w_hs && waddr == 6'h0c && s_axi_control_WSTRB[0])
        int_isr[0] <= (BROKEN == 2) ? s_axi_control_WDATA[0] : int_isr[0] ^ s_axi_control_WDATA[0];
      if (int_ier[1] & ap_ready) int_isr[1] <= 1'b1;
      else if (w_hs && waddr == 6'h0c && s_axi_control_WSTRB[0])
        int_isr[1] <= (BROKEN == 2) ? s_axi_control_WDATA[1] : int_isr[1] ^ s_axi_control_WDATA[1];
      if (w_hs && waddr == 6'h10) src[31:0] <= s_axi_control_WDATA;
      if (w_hs && waddr == 6'h14) src[63:32] <= s_axi_control_WDATA;
      if (w_hs && waddr == 6'h1c) dst[31:0] <= s_axi_control_WDATA;
      if (w_hs && waddr == 6'h20) dst[63:32] <= s_axi_control_WDATA;
      if (w_hs && waddr == 6'h28) n <= s_axi_control_WDATA;
    end
  end
  // ---- core: read a burst, add one, write it back ----
  localparam S_IDLE = 3'd0, S_AR = 3'd1, S_R = 3'd2, S_AW = 3'd3, S_W = 3'd4, S_B = 3'd5, S_DONE = 3'd6;
  reg [2:0] state; reg [31:0] cnt; reg [4:0] blen, beat; reg [31:0] buffer [0:15];
  wire [31:0] remaining = n - cnt;
  wire [63:0] raddr = src + {cnt, 2'b00};
  wire [12:0] to_4k = 13'h1000 - {1'b0, raddr[11:0]};
  wire [31:0] room = (BROKEN == 3) ? 32'd16 : {21'd0, to_4k[12:2]};
  wire [31:0] cap = remaining < 32'd16 ? remaining : 32'd16;
  wire [4:0] next_len = cap < room ? cap[4:0] : room[4:0];
  assign ap_idle = state == S_IDLE;
  assign ap_ready = state == S_IDLE && int_ap_start;
  assign ap_done = state == S_DONE;
  assign m_axi_gmem_ARVALID = state == S_AR && remaining != 0;
  assign m_axi_gmem_ARADDR = raddr;
  assign m_axi_gmem_ARID = 0;
  assign m_axi_gmem_ARLEN = next_len - 1;
  assign m_axi_gmem_ARSIZE = 3'd2;
  assign m_axi_gmem_ARBURST = 2'b01;
  assign m_axi_gmem_RREADY = state == S_R;
  assign m_axi_gmem_AWVALID = state == S_AW;
  assign m_axi_gmem_AWADDR = dst + {cnt, 2'b00};
  assign m_axi_gmem_AWID = 0;
  assign m_axi_gmem_AWLEN = blen - 1;
  assign m_axi_gmem_AWSIZE = 3'd2;
  assign m_axi_gmem_AWBURST = 2'b01;
  assign m_axi_gmem_WVALID = state == S_W;
  assign m_axi_gmem_WDATA = buffer[beat[3:0]];
  assign m_axi_gmem_WSTRB = 4'hf;
  assign m_axi_gmem_WLAST = (BROKEN == 4) ? 1'b0 : beat == blen - 1;
  assign m_axi_gmem_BREADY = state == S_B;
  always @(posedge ap_clk) begin
    if (!ap_rst_n) begin
      state <= S_IDLE; cnt <= 0; blen <= 0; beat <= 0;
    end else case (state)
      S_IDLE: if (int_ap_start) begin state <= S_AR; cnt <= 0; end
      S_AR: if (remaining == 0) state <= S_DONE;
            else if (m_axi_gmem_ARREADY) begin state <= S_R; blen <= next_len; beat <= 0; end
      S_R: if (m_axi_gmem_RVALID) begin
             buffer[beat[3:0]] <= m_axi_gmem_RDATA + 1; beat <= beat + 1;
             if (m_axi_gmem_RLAST) state <= S_AW;
           end
      S_AW: if (m_axi_gmem_AWREADY) begin state <= S_W; beat <= 0; end
      S_W: if (m_axi_gmem_WREADY) begin
             beat <= beat + 1;
             if (beat == blen - 1) state <= S_B;
           end
      S_B: if (m_axi_gmem_BVALID) begin state <= S_AR; cnt <= cnt + blen; end
      default: state <= S_IDLE;
    endcase
  end
endmodule
"""

HEADER = """// ==============================================================
// Vitis HLS - High-Level Synthesis from C, C++ and OpenCL v2023.1 (64-bit)
// ==============================================================
// control
// 0x00 : Control signals
//        bit 0  - ap_start (Read/Write/COH)
//        bit 1  - ap_done (Read/COR)
//        bit 2  - ap_idle (Read)
//        bit 3  - ap_ready (Read/COR)
//        bit 7  - auto_restart (Read/Write)
// 0x04 : Global Interrupt Enable Register
// 0x08 : IP Interrupt Enable Register (Read/Write)
// 0x0c : IP Interrupt Status Register (Read/TOW)
// 0x10 : Data signal of src
// 0x14 : Data signal of src
// 0x1c : Data signal of dst
// 0x20 : Data signal of dst
// 0x28 : Data signal of n
#define XAXICOPY_CONTROL_ADDR_AP_CTRL  0x00
#define XAXICOPY_CONTROL_ADDR_GIE      0x04
#define XAXICOPY_CONTROL_ADDR_IER      0x08
#define XAXICOPY_CONTROL_ADDR_ISR      0x0c
#define XAXICOPY_CONTROL_ADDR_SRC_DATA 0x10
#define XAXICOPY_CONTROL_BITS_SRC_DATA 64
#define XAXICOPY_CONTROL_ADDR_DST_DATA 0x1c
#define XAXICOPY_CONTROL_BITS_DST_DATA 64
#define XAXICOPY_CONTROL_ADDR_N_DATA   0x28
#define XAXICOPY_CONTROL_BITS_N_DATA   32
"""

BROKEN_CASES = {
    1: "ap_done set again on a second read",
    2: "ISR bits toggle on write",
    3: "crosses a 4 KiB boundary",
    4: "WLAST missing on the last beat",
    5: "interrupt pin rose while GIE is 0",
    6: "n (0x28) reads 0x80000028, last written 0x00000028: bit 31 differs",
    7: "GIE reads 0x80000000: reserved bit 31 set",
}

SRC_ADDR = 0x1_0000_0FE0
"""Eight words below a 4 KiB boundary: a correct kernel must split its first burst."""
DST_ADDR = 0x2_0000_0000


# --- register-map parser (no simulator) -------------------------------------------------

def _write_header(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "xaxicopy_hw.h"
    path.write_text(text)
    return path


def test_parser_reads_vitis_header(tmp_path: Path) -> None:
    regmap = parse_hw_header(_write_header(tmp_path, HEADER))
    assert (regmap.ap_ctrl, regmap.gie, regmap.ier, regmap.isr) == (0x00, 0x04, 0x08, 0x0C)
    assert [(a.name, a.offset, a.bits) for a in regmap.args] == [("src", 0x10, 64), ("dst", 0x1C, 64),
                                                                ("n", 0x28, 32)]
    assert regmap.arg("src").split(-2) == [0xFFFFFFFE, 0xFFFFFFFF]
    assert regmap.name_of(0x20) == "dst[1]"


@pytest.mark.parametrize("bad, line, words", [
    ("#define XAXICOPY_CONTROL_ADDR_N_DATA   0x2G", 27, "expected a decimal or 0x hex number"),
    ("#define XAXICOPY_CONTROL_ADDR_N_DATA", 27, "has no value"),
    ("#define XAXICOPY_CONTROL_BITS_N_DATA   32\n#define XAXICOPY_CONTROL_BITS_N_DATA   32", 29,
     "defined twice"),
    ("#define XAXICOPY_CONTROL_ADDR_N_DATA   0x29", 27, "not word aligned"),
    ("#define XAXICOPY_CONTROL_ADDR_N_DATUM  0x28", 27, "unknown register kind"),
    ("#define XAXICOPY_CONTROL_FOO_N_DATA   0x28", 27, "neither an _ADDR_"),
])
def test_parser_rejects_malformed_header(tmp_path: Path, bad: str, line: int, words: str) -> None:
    lines = HEADER.splitlines()
    target = next(i for i, text in enumerate(lines) if text.startswith("#define XAXICOPY_CONTROL_ADDR_N_DATA"))
    if "BITS_N_DATA" in bad:
        lines[target + 1:target + 2] = bad.splitlines()
    else:
        lines[target] = bad
    path = _write_header(tmp_path, "\n".join(lines) + "\n")
    with pytest.raises(HeaderError) as err:
        parse_hw_header(path)
    assert f"{path}:{line}:" in str(err.value)
    assert words in str(err.value)


def test_parser_reads_defined_bits(tmp_path: Path) -> None:
    """Reserved bits come from the bits each register's comment block lists (UG1399's where
    it lists none); an argument word's bits above the argument's width are unused."""
    text = HEADER.replace("XAXICOPY_CONTROL_BITS_N_DATA   32", "XAXICOPY_CONTROL_BITS_N_DATA   12")
    regmap = parse_hw_header(_write_header(tmp_path, text))
    assert regmap.reserved_mask(regmap.ap_ctrl) == 0xFFFFFFFF & ~0x8F  # bits 0-3 and 7 listed
    assert regmap.reserved_mask(regmap.gie) == 0xFFFFFFFE               # none listed: UG1399's
    assert regmap.reserved_mask(regmap.isr) == 0xFFFFFFFF & ~0x23
    assert regmap.reserved_mask(0x10) == 0 and regmap.arg_word(0x0C) is None
    assert regmap.arg_word(0x14) == (regmap.arg("src"), 0xFFFFFFFF)
    assert regmap.arg_word(0x28) == (regmap.arg("n"), 0xFFF)


def test_parser_rejects_data_without_bits(tmp_path: Path) -> None:
    text = "\n".join(t for t in HEADER.splitlines() if "BITS_N_DATA" not in t)
    path = _write_header(tmp_path, text)
    with pytest.raises(HeaderError, match=rf"{path}:\d+: XAXICOPY_CONTROL_ADDR_N_DATA has no matching"):
        parse_hw_header(path)


def test_parser_names_missing_standard_register(tmp_path: Path) -> None:
    text = "\n".join(t for t in HEADER.splitlines() if "ADDR_ISR" not in t)
    path = _write_header(tmp_path, text)
    with pytest.raises(HeaderError, match=rf"{path}: no XAXICOPY_CONTROL_ADDR_ISR define"):
        parse_hw_header(path)


# --- agents in simulation -------------------------------------------------------------

def _kernel_build(tmp_path: Path, sim: str, broken: int):
    from llama_dv.tb.sim.runner import DutBuild
    from tests.copies import copies_root, stable_file

    src = stable_file("test_axi_agents/axicopy.v", KERNEL_V)  # built once per configuration (tests/copies.py)
    _write_header(tmp_path, HEADER)
    return DutBuild(name="axicopy", sim=sim, sources=[src], toplevel="axicopy",
                    parameters={"BROKEN": broken}, config=f"broken{broken}",
                    build_args=["-Wno-fatal"] if sim == "verilator" else [],
                    build_root=copies_root())


def _run_kernel(tmp_path: Path, sim: str, broken: int, seed: int, **env: str):
    from llama_dv.tb.sim.runner import run

    dut = _kernel_build(tmp_path, sim, broken)
    extra = {"AXICOPY_HEADER": str(tmp_path / "xaxicopy_hw.h"), **env}
    return run(dut, "test_axi_agents", seed=seed, extra_env=extra, timeout_s=300,
               test_dir=tmp_path / "run", python_path=[Path(__file__).parent])


@pytest.mark.fast_sim("icarus")
@pytest.mark.parametrize("timing, mode", [pytest.param("fast", "poll", marks=pytest.mark.slow),  # the other two are harder
                                          ("random", "interrupt"), ("worst", "poll")])
def test_agents_pass_on_a_correct_kernel(tmp_path: Path, sim: str, seed: int, timing: str, mode: str) -> None:
    result = _run_kernel(tmp_path, sim, 0, seed, AXICOPY_TIMING=timing, AXICOPY_MODE=mode)
    assert result.ok, f"{result.message}\nlog: {result.log}\nreplay: {result.replay}"


@pytest.mark.parametrize("broken", sorted(BROKEN_CASES))
def test_monitors_fail_on_a_broken_kernel(tmp_path: Path, seed: int, broken: int) -> None:
    result = _run_kernel(tmp_path, "icarus", broken, seed, AXICOPY_TIMING="fast", AXICOPY_MODE="poll")
    assert result.status == "fail", f"BROKEN={broken} was not caught: {result.status} {result.message}"
    log = result.log.read_text()
    assert BROKEN_CASES[broken] in result.message + log, result.message


# --- the cocotb side: a minimal env of the two agents ------------------------------------

if pyuvm is not None:
    from cocotb.clock import Clock
    from cocotb.triggers import RisingEdge

    from llama_dv.tb.agents.binding import configure
    from llama_dv.tb.agents.m_axi import TIMING_PROFILES, MAxiAgent, MAxiConfig, Region
    from llama_dv.tb.agents.s_axilite import ControlCallSequence, ControlItem, SAxiLiteAgent, SAxiLiteConfig

    class AxiCopyEnv(pyuvm.uvm_env):
        """The control agent and the memory agent around the copy kernel."""

        def build_phase(self) -> None:
            self.ctrl = SAxiLiteAgent("ctrl", self)
            self.gmem = MAxiAgent("gmem", self)

    @pyuvm.test()
    class AxiCopyTest(pyuvm.uvm_test):
        """Copy `n` words three times through the agents and check the destination."""

        def build_phase(self) -> None:
            dut = cocotb.top
            self.dut = dut
            common = dict(dut=dut, clock=dut.ap_clk, reset=dut.ap_rst_n, reset_active_high=False,
                          period_ns=10.0)
            regmap = parse_hw_header(os.environ["AXICOPY_HEADER"])
            self.ctrl_cfg = SAxiLiteConfig(regmap=regmap, interrupt=dut.interrupt, kernel="axicopy",
                                           done_timeout_cycles=20_000, **common)
            self.mem_cfg = MAxiConfig(timing=TIMING_PROFILES[os.environ.get("AXICOPY_TIMING", "fast")],
                                      regions=[Region("src", SRC_ADDR, 4096, False),
                                               Region("dst", DST_ADDR, 4096, True)], **common)
            configure(self, "env.ctrl", self.ctrl_cfg)
            configure(self, "env.gmem", self.mem_cfg)
            self.env = AxiCopyEnv("env", self)

        async def run_phase(self) -> None:
            self.raise_objection()
            Clock(self.dut.ap_clk, 10, unit="ns").start()
            self.dut.ap_rst_n.value = 0
            for _ in range(5):
                await RisingEdge(self.dut.ap_clk)
            self.dut.ap_rst_n.value = 1
            await RisingEdge(self.dut.ap_clk)
            memory = self.env.gmem.memory
            data = np.random.default_rng(cocotb.RANDOM_SEED).integers(0, 2**32 - 1, 40, dtype=np.int64)
            memory.preload(SRC_ADDR, data, np.uint32)
            mode = os.environ.get("AXICOPY_MODE", "poll")
            for call in range(3):
                memory.fill(DST_ADDR, 4 * len(data), 0xA5)
                item = ControlItem(f"copy{call}", {"src": SRC_ADDR, "dst": DST_ADDR, "n": len(data)},
                                   completion=mode, readback=True)
                await ControlCallSequence(f"call{call}", item).start(self.env.ctrl.sequencer)
                got = memory.read_array(DST_ADDR, len(data), np.uint32)
                expected = (data + 1) & 0xFFFFFFFF
                assert np.array_equal(got, expected), f"call {call}: copy mismatch"
            assert self.env.ctrl.monitor.interrupt_checks > 0, "the interrupt pin was never checked"
            self.drop_objection()
