"""`llama-dv describe`: DUT descriptions written from a Vitis HLS export (tb/export/).

The project's own kernels round-trip to their hand-written YAML; synthetic exports in
the Vitis style (written here) exercise every UG1399 port role, and each error names
the file or port at fault. One test builds an export with the default build arguments
on both simulators, and shows Verilator refusing it without them.
"""
from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from llama_dv.regress.cli import main as cli_main
from llama_dv.tb.dut_description import load_description
from llama_dv.tb.export.describe import BUILD_ARGS, DescribeError, describe, main
from llama_dv.tb.export.verilog import parse_modules
from llama_dv.tb.sim.runner import REPO_ROOT, BuildError, DutBuild, build

KERNELS = ("rmsnorm", "rope", "attention", "matmul")

DIFFERENCES = {
    # key: why describe cannot (or does not) reproduce the hand-written value
    "parameters": "LATENCY_PAD/FAULT are test knobs of the hand-written RTL (only with --keep-parameters)",
    "faults": "what each FAULT value breaks is not in the RTL",
    "golden": "the reference model is not in the RTL",
    "tests": "the kernel's own test list (names and knobs) is not in the RTL",
    "handshake_timeout_cycles": "describe writes the schema default 1000000",
    "sources": "describe writes a glob of the export folder",
    "build_args": "describe adds the Vitis-export build arguments",
    "interrupt": "describe names matmul's interrupt pin",
}
"""Top-level keys that may differ, as documented in tb/export/describe.py."""


# --- the project's kernels ---------------------------------------------------------------------

def _export_kernel(tmp_path: Path, kernel: str) -> Path:
    folder = tmp_path / "export" / kernel
    folder.mkdir(parents=True)
    shutil.copy(REPO_ROOT / "rtl" / "hls" / f"{kernel}.v", folder)
    if kernel == "matmul":
        shutil.copy(REPO_ROOT / "rtl" / "hls" / "xmatmul_hw.h", folder)
    return folder


def _write(tmp_path: Path, export: Path, name: str = "dut.yaml", **kw) -> Path:
    out = tmp_path / name
    out.write_text(describe(export, out, **kw).text())
    return out


@pytest.mark.parametrize("kernel", KERNELS)
def test_kernels_round_trip(tmp_path: Path, kernel: str) -> None:
    hand = load_description(REPO_ROOT / "rtl" / "hls" / f"{kernel}.yaml")
    out = _write(tmp_path, _export_kernel(tmp_path, kernel), keep_parameters=True)
    mine = load_description(out)
    assert (mine.name, mine.toplevel) == (hand.name, hand.toplevel)
    assert mine.clock == hand.clock
    assert mine.reset == hand.reset
    assert mine.block_protocol == hand.block_protocol
    assert mine.parameters == hand.parameters  # with --keep-parameters only
    assert [s.name for s in mine.sources] == [f"{kernel}.v"]
    # Documented differences: register_map is the same file in another folder; isr is
    # written explicitly (the loader reads the same header comment when it is absent).
    normalise = []
    for m, h in zip(mine.interfaces, hand.interfaces, strict=True):
        if m.kind == "s_axilite":
            assert m.register_map.read_text() == h.register_map.read_text()
            assert m.isr == "tow" and h.isr in (None, "tow")
            m = replace(m, register_map=h.register_map, isr=h.isr)
        normalise.append(m)
    assert tuple(normalise) == hand.interfaces
    raw_mine, raw_hand = yaml.safe_load(out.read_text()), yaml.safe_load(
        (REPO_ROOT / "rtl" / "hls" / f"{kernel}.yaml").read_text())
    differing = {k for k in set(raw_mine) | set(raw_hand)
                 if k != "interfaces" and raw_mine.get(k) != raw_hand.get(k)}
    assert differing <= set(DIFFERENCES), differing - set(DIFFERENCES)
    if hand.interrupt is not None:
        assert mine.interrupt == hand.interrupt
    assert mine.faults == {} and mine.golden is None
    assert "golden" in out.read_text().split("\nname:")[0]  # the header says what to add


def test_parameters_only_when_asked(tmp_path: Path) -> None:
    out = _write(tmp_path, _export_kernel(tmp_path, "rope"))
    assert "parameters" not in yaml.safe_load(out.read_text())


def test_matmul_interrupt_and_register_map(tmp_path: Path) -> None:
    out = _write(tmp_path, _export_kernel(tmp_path, "matmul"))
    raw = yaml.safe_load(out.read_text())
    assert raw["interrupt"] == "interrupt"
    assert raw["interfaces"][0]["register_map"] == "export/matmul/xmatmul_hw.h"  # relative to the YAML


# --- a synthetic Vitis-style export ------------------------------------------------------------

KERN_V = """\
// ==============================================================
// Synthetic export in the style of Vitis HLS 2023.2 (tests/tb/test_describe.py)
// ==============================================================
`timescale 1 ns / 1 ps

(* CORE_GENERATION_INFO="kern_kern,hls_ip_2023_2,{HLS_INPUT_TYPE=cxx,HLS_INPUT_CLOCK=4.000000,HLS_SYN_CLOCK=2.917000,HLS_VERSION=2023_2}" *)

module kern (
        ap_clk,
        ap_rst,
        ap_start,
        ap_done,
        ap_idle,
        ap_ready,
        a_address0,
        a_ce0,
        a_q0,
        a_address1,
        a_ce1,
        a_q1,
        buf_r_address0,
        buf_r_ce0,
        buf_r_we0,
        buf_r_d0,
        buf_r_q0,
        buf_r_address1,
        buf_r_ce1,
        buf_r_we1,
        buf_r_d1,
        buf_r_q1,
        c_address0,
        c_ce0,
        c_we0,
        c_d0,
        in_r_TDATA,
        in_r_TVALID,
        in_r_TREADY,
        in_r_TLAST,
        in_r_TKEEP,
        in_r_TSTRB,
        in_r_TUSER,
        in_r_TID,
        in_r_TDEST,
        out_r_TDATA,
        out_r_TVALID,
        out_r_TREADY,
        lim,
        cnt,
        cnt_ap_vld,
        req,
        req_ap_vld,
        tok,
        tok_ap_ack,
        res,
        res_ap_vld,
        res_ap_ack,
        ap_return
);

parameter    ap_ST_fsm_state1 = 2'd1;
parameter    ap_ST_fsm_state2 = 2'd2;
parameter    C_IN_R_TDATA_WIDTH = 64;
parameter    C_IN_R_TKEEP_WIDTH = (C_IN_R_TDATA_WIDTH / 8);

input   ap_clk;
input   ap_rst;
input   ap_start;
output   ap_done;
output   ap_idle;
output   ap_ready;
output  [5:0] a_address0;
output   a_ce0;
input  [31:0] a_q0;
output  [5:0] a_address1;
output   a_ce1;
input  [31:0] a_q1;
output  [6:0] buf_r_address0;
output   buf_r_ce0;
output   buf_r_we0;
output  [15:0] buf_r_d0;
input  [15:0] buf_r_q0;
output  [6:0] buf_r_address1;
output   buf_r_ce1;
output   buf_r_we1;
output  [15:0] buf_r_d1;
input  [15:0] buf_r_q1;
output  [5:0] c_address0;  // depth = 40
output   c_ce0;
output   c_we0;
output  [31:0] c_d0;
input  [C_IN_R_TDATA_WIDTH - 1:0] in_r_TDATA;
input   in_r_TVALID;
output   in_r_TREADY;
input  [0:0] in_r_TLAST;
input  [C_IN_R_TKEEP_WIDTH - 1:0] in_r_TKEEP;
input  [C_IN_R_TKEEP_WIDTH - 1:0] in_r_TSTRB;
input  [3:0] in_r_TUSER;
input  [1:0] in_r_TID;
input  [2:0] in_r_TDEST;
output  [31:0] out_r_TDATA;
output   out_r_TVALID;
input   out_r_TREADY;
input  [15:0] lim;
output  [31:0] cnt;
output   cnt_ap_vld;
input  [7:0] req;
input   req_ap_vld;
input  [31:0] tok;
output   tok_ap_ack;
output  [31:0] res;
output   res_ap_vld;
input   res_ap_ack;
output  [31:0] ap_return;

reg ap_done;
reg ap_idle;
reg ap_ready;

(* fsm_encoding = "none" *) reg   [1:0] ap_CS_fsm;
reg   [1:0] ap_NS_fsm;
wire   [3:0] tab_address0;
wire   [31:0] tab_q0;

// power-on initialization
initial begin
#0 ap_CS_fsm = 2'd1;
end

kern_tab_ROM_AUTO_1R #(
    .DataWidth( 32 ),
    .AddressRange( 16 ),
    .AddressWidth( 4 ))
tab_U(
    .clk(ap_clk),
    .reset(ap_rst),
    .address0(tab_address0),
    .ce0(1'b1),
    .q0(tab_q0));

always @ (posedge ap_clk) begin
    if (ap_rst == 1'b1) begin
        ap_CS_fsm <= ap_ST_fsm_state1;
    end else begin
        ap_CS_fsm <= ap_NS_fsm;
    end
end

always @ (*) begin
    case (ap_CS_fsm)
        ap_ST_fsm_state1 : begin
            if ((ap_start == 1'b1)) begin
                ap_NS_fsm = ap_ST_fsm_state2;
            end else begin
                ap_NS_fsm = ap_ST_fsm_state1;
            end
        end
        default : ap_NS_fsm = ap_ST_fsm_state1;
    endcase
    ap_done = (ap_CS_fsm == ap_ST_fsm_state2);
    ap_ready = (ap_CS_fsm == ap_ST_fsm_state2);
    ap_idle = (ap_CS_fsm == ap_ST_fsm_state1) & ~ap_start;
end

assign tab_address0 = lim[3:0];
assign a_address0 = 6'd0;
assign a_ce0 = 1'b1;
assign a_address1 = 6'd1;
assign a_ce1 = 1'b1;
assign buf_r_address0 = 7'd0;
assign buf_r_ce0 = 1'b1;
assign buf_r_we0 = 1'b0;
assign buf_r_d0 = buf_r_q1;
assign buf_r_address1 = 7'd1;
assign buf_r_ce1 = 1'b1;
assign buf_r_we1 = 1'b0;
assign buf_r_d1 = buf_r_q0;
assign c_address0 = 6'd0;
assign c_ce0 = ap_done;
assign c_we0 = ap_done;
assign c_d0 = a_q0 + a_q1 + tab_q0;
assign in_r_TREADY = ap_CS_fsm[1];
assign out_r_TDATA = in_r_TDATA[31:0];
assign out_r_TVALID = in_r_TVALID;
assign cnt = {16'd0, lim};
assign cnt_ap_vld = ap_done;
assign tok_ap_ack = ap_done;
assign res = tok + {24'd0, req};
assign res_ap_vld = ap_done & req_ap_vld;
assign ap_return = tab_q0;

endmodule //kern
"""

ROM_V = """\
`timescale 1 ns / 1 ps
module kern_tab_ROM_AUTO_1R (
    address0, ce0, q0,
    reset, clk);

parameter DataWidth = 32;
parameter AddressWidth = 4;
parameter AddressRange = 16;

input[AddressWidth-1:0] address0;
input ce0;
output reg[DataWidth-1:0] q0;

input reset;
input clk;

(* ram_style = "auto"  *)reg [DataWidth-1:0] rom0[0:AddressRange-1];

initial begin
    $readmemh("./kern_tab_ROM_AUTO_1R.dat", rom0);
end

always @(posedge clk)
begin
    if (ce0)
    begin
        q0 <= rom0[address0];
    end
end

endmodule
"""


def _kern_export(root: Path, *, extra_port: str | None = None, dat: bool = True) -> Path:
    verilog = root / "export" / "impl" / "verilog"
    verilog.mkdir(parents=True)
    text = KERN_V
    if extra_port:
        text = text.replace("        ap_return\n);", f"        ap_return,\n        {extra_port}\n);")
        text = text.replace("output  [31:0] ap_return;", f"output  [31:0] ap_return;\ninput   {extra_port};")
    (verilog / "kern.v").write_text(text)
    (verilog / "kern_tab_ROM_AUTO_1R.v").write_text(ROM_V)
    if dat:
        (verilog / "kern_tab_ROM_AUTO_1R.dat").write_text("".join(f"{3 * k + 1:08x}\n" for k in range(16)))
    return root / "export"


def test_vitis_export_classified(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    export = _kern_export(tmp_path)
    (export / "syn" / "verilog").mkdir(parents=True)  # impl/verilog wins over syn/verilog
    (export / "syn" / "verilog" / "kern.v").write_text("module stale; endmodule\n")
    assert main([str(export), "-o", str(tmp_path / "dut.yaml")]) == 0
    out = capsys.readouterr()
    assert "a, buf_r: the export states no depth" in out.err
    raw = yaml.safe_load((tmp_path / "dut.yaml").read_text())
    assert list(raw) == ["name", "toplevel", "sources", "data_files", "build_args", "handshake_timeout_cycles",
                         "clock", "reset", "block_protocol", "interfaces"]
    assert raw["sources"] == ["export/impl/verilog/*.v"]
    assert raw["data_files"] == ["export/impl/verilog/kern_tab_ROM_AUTO_1R.dat"]
    assert raw["build_args"] == {sim: list(args) for sim, args in BUILD_ARGS.items()}
    assert raw["handshake_timeout_cycles"] == 1_000_000
    assert raw["clock"] == {"port": "ap_clk", "period_ns": 4}  # HLS_INPUT_CLOCK
    assert raw["reset"] == {"port": "ap_rst", "active": "high"}
    assert raw["block_protocol"] == "ap_ctrl_hs"
    assert raw["interfaces"] == [
        {"name": "a", "kind": "ap_memory", "ports": 2, "addr_width": 6, "data_width": 32, "depth": 64,
         "direction": "in"},
        {"name": "buf_r", "kind": "ap_memory", "ports": 2, "addr_width": 7, "data_width": 16, "depth": 128,
         "direction": "inout"},
        {"name": "c", "kind": "ap_memory", "ports": 1, "addr_width": 6, "data_width": 32, "depth": 40,
         "direction": "out"},
        {"name": "in_r", "kind": "axis", "data_width": 64, "direction": "in", "tlast": True, "tkeep": True,
         "tstrb": True, "tuser": True, "user_width": 4, "tid": True, "tdest": True},
        {"name": "out_r", "kind": "axis", "data_width": 32, "direction": "out", "tlast": False, "tkeep": False,
         "tstrb": False, "tuser": False, "tid": False, "tdest": False},
        {"name": "lim", "kind": "scalar", "width": 16, "direction": "in", "protocol": "ap_none"},
        {"name": "cnt", "kind": "scalar", "width": 32, "direction": "out", "protocol": "ap_vld"},
        {"name": "req", "kind": "scalar", "width": 8, "direction": "in", "protocol": "ap_vld"},
        {"name": "tok", "kind": "scalar", "width": 32, "direction": "in", "protocol": "ap_ack"},
        {"name": "res", "kind": "scalar", "width": 32, "direction": "out", "protocol": "ap_hs"},
        {"name": "ap_return", "kind": "scalar", "width": 32, "direction": "out", "protocol": "ap_none"},
    ]
    text = (tmp_path / "dut.yaml").read_text()
    assert text.startswith("# DUT description of kern")
    assert "written by `llama-dv describe` from the export in export/" in text
    assert "depth of a, buf_r: assumed 2**addr_width" in text
    desc = load_description(tmp_path / "dut.yaml")
    assert [d.name for d in desc.data_files] == ["kern_tab_ROM_AUTO_1R.dat"]
    assert desc.build_args_for("verilator") == list(BUILD_ARGS["verilator"])


def test_depth_flag_and_period_flag(tmp_path: Path) -> None:
    export = _kern_export(tmp_path)
    d = describe(export, tmp_path / "dut.yaml", depths={"a": 50, "buf_r": 100}, period_ns=3.3333, name="mine")
    mems = {i["name"]: i["depth"] for i in d.data["interfaces"] if i["kind"] == "ap_memory"}
    assert mems == {"a": 50, "buf_r": 100, "c": 40}
    assert d.data["name"] == "mine" and d.data["toplevel"] == "kern"
    assert d.data["clock"]["period_ns"] == 3.334  # an even number of picoseconds
    assert any("written as 3.334 ns" in n for n in d.notes)
    with pytest.raises(DescribeError, match=r"--depth lim=\.\.\.: lim is not an ap_memory interface"):
        describe(export, tmp_path / "dut.yaml", depths={"lim": 4})
    with pytest.raises(DescribeError, match=r"ap_memory a: depth 65 does not fit its 6-bit address"):
        describe(export, tmp_path / "dut.yaml", depths={"a": 65})


AXI_TOP_V = """\
`timescale 1 ns / 1 ps
(* CORE_GENERATION_INFO="krn2_krn2,hls_ip_2023_2,{HLS_INPUT_TYPE=cxx,HLS_SYN_CLOCK=2.5,HLS_VERSION=2023_2}" *)
module krn2 (
        ap_clk,
        ap_rst_n,
        m_axi_gmem_AWVALID, m_axi_gmem_AWREADY, m_axi_gmem_AWADDR, m_axi_gmem_AWID, m_axi_gmem_AWLEN,
        m_axi_gmem_AWSIZE, m_axi_gmem_AWBURST, m_axi_gmem_AWLOCK, m_axi_gmem_AWCACHE, m_axi_gmem_AWPROT,
        m_axi_gmem_AWQOS, m_axi_gmem_AWREGION, m_axi_gmem_AWUSER,
        m_axi_gmem_WVALID, m_axi_gmem_WREADY, m_axi_gmem_WDATA, m_axi_gmem_WSTRB, m_axi_gmem_WLAST,
        m_axi_gmem_WID, m_axi_gmem_WUSER,
        m_axi_gmem_ARVALID, m_axi_gmem_ARREADY, m_axi_gmem_ARADDR, m_axi_gmem_ARID, m_axi_gmem_ARLEN,
        m_axi_gmem_ARSIZE, m_axi_gmem_ARBURST, m_axi_gmem_ARLOCK, m_axi_gmem_ARCACHE, m_axi_gmem_ARPROT,
        m_axi_gmem_ARQOS, m_axi_gmem_ARREGION, m_axi_gmem_ARUSER,
        m_axi_gmem_RVALID, m_axi_gmem_RREADY, m_axi_gmem_RDATA, m_axi_gmem_RLAST, m_axi_gmem_RID,
        m_axi_gmem_RUSER, m_axi_gmem_RRESP,
        m_axi_gmem_BVALID, m_axi_gmem_BREADY, m_axi_gmem_BRESP, m_axi_gmem_BID, m_axi_gmem_BUSER,
        s_axi_cfg_AWVALID, s_axi_cfg_AWREADY, s_axi_cfg_AWADDR, s_axi_cfg_WVALID, s_axi_cfg_WREADY,
        s_axi_cfg_WDATA, s_axi_cfg_WSTRB, s_axi_cfg_ARVALID, s_axi_cfg_ARREADY, s_axi_cfg_ARADDR,
        s_axi_cfg_RVALID, s_axi_cfg_RREADY, s_axi_cfg_RDATA, s_axi_cfg_RRESP, s_axi_cfg_BVALID,
        s_axi_cfg_BREADY, s_axi_cfg_BRESP,
        s_axi_control_AWVALID, s_axi_control_AWREADY, s_axi_control_AWADDR, s_axi_control_WVALID,
        s_axi_control_WREADY, s_axi_control_WDATA, s_axi_control_WSTRB, s_axi_control_ARVALID,
        s_axi_control_ARREADY, s_axi_control_ARADDR, s_axi_control_RVALID, s_axi_control_RREADY,
        s_axi_control_RDATA, s_axi_control_RRESP, s_axi_control_BVALID, s_axi_control_BREADY,
        s_axi_control_BRESP,
        interrupt
);

parameter    C_S_AXI_CONTROL_DATA_WIDTH = 32;
parameter    C_S_AXI_CONTROL_ADDR_WIDTH = 6;
parameter    C_S_AXI_CFG_ADDR_WIDTH = 5;
parameter    C_M_AXI_GMEM_ID_WIDTH = 2;
parameter    C_M_AXI_GMEM_ADDR_WIDTH = 64;
parameter    C_M_AXI_GMEM_DATA_WIDTH = 128;
parameter    C_M_AXI_GMEM_USER_WIDTH = 3;
parameter    C_S_AXI_CONTROL_WSTRB_WIDTH = (32 / 8);
parameter    C_M_AXI_GMEM_WSTRB_WIDTH = (C_M_AXI_GMEM_DATA_WIDTH / 8);

input   ap_clk;
input   ap_rst_n;
output   m_axi_gmem_AWVALID;
input   m_axi_gmem_AWREADY;
output  [C_M_AXI_GMEM_ADDR_WIDTH - 1:0] m_axi_gmem_AWADDR;
output  [C_M_AXI_GMEM_ID_WIDTH - 1:0] m_axi_gmem_AWID;
output  [7:0] m_axi_gmem_AWLEN;
output  [2:0] m_axi_gmem_AWSIZE;
output  [1:0] m_axi_gmem_AWBURST;
output  [1:0] m_axi_gmem_AWLOCK;
output  [3:0] m_axi_gmem_AWCACHE;
output  [2:0] m_axi_gmem_AWPROT;
output  [3:0] m_axi_gmem_AWQOS;
output  [3:0] m_axi_gmem_AWREGION;
output  [C_M_AXI_GMEM_USER_WIDTH - 1:0] m_axi_gmem_AWUSER;
output   m_axi_gmem_WVALID;
input   m_axi_gmem_WREADY;
output  [C_M_AXI_GMEM_DATA_WIDTH - 1:0] m_axi_gmem_WDATA;
output  [C_M_AXI_GMEM_WSTRB_WIDTH - 1:0] m_axi_gmem_WSTRB;
output   m_axi_gmem_WLAST;
output  [C_M_AXI_GMEM_ID_WIDTH - 1:0] m_axi_gmem_WID;
output  [C_M_AXI_GMEM_USER_WIDTH - 1:0] m_axi_gmem_WUSER;
output   m_axi_gmem_ARVALID;
input   m_axi_gmem_ARREADY;
output  [C_M_AXI_GMEM_ADDR_WIDTH - 1:0] m_axi_gmem_ARADDR;
output  [C_M_AXI_GMEM_ID_WIDTH - 1:0] m_axi_gmem_ARID;
output  [7:0] m_axi_gmem_ARLEN;
output  [2:0] m_axi_gmem_ARSIZE;
output  [1:0] m_axi_gmem_ARBURST;
output  [1:0] m_axi_gmem_ARLOCK;
output  [3:0] m_axi_gmem_ARCACHE;
output  [2:0] m_axi_gmem_ARPROT;
output  [3:0] m_axi_gmem_ARQOS;
output  [3:0] m_axi_gmem_ARREGION;
output  [C_M_AXI_GMEM_USER_WIDTH - 1:0] m_axi_gmem_ARUSER;
input   m_axi_gmem_RVALID;
output   m_axi_gmem_RREADY;
input  [C_M_AXI_GMEM_DATA_WIDTH - 1:0] m_axi_gmem_RDATA;
input   m_axi_gmem_RLAST;
input  [C_M_AXI_GMEM_ID_WIDTH - 1:0] m_axi_gmem_RID;
input  [C_M_AXI_GMEM_USER_WIDTH - 1:0] m_axi_gmem_RUSER;
input  [1:0] m_axi_gmem_RRESP;
input   m_axi_gmem_BVALID;
output   m_axi_gmem_BREADY;
input  [1:0] m_axi_gmem_BRESP;
input  [C_M_AXI_GMEM_ID_WIDTH - 1:0] m_axi_gmem_BID;
input  [C_M_AXI_GMEM_USER_WIDTH - 1:0] m_axi_gmem_BUSER;
input   s_axi_cfg_AWVALID;
output   s_axi_cfg_AWREADY;
input  [C_S_AXI_CFG_ADDR_WIDTH - 1:0] s_axi_cfg_AWADDR;
input   s_axi_cfg_WVALID;
output   s_axi_cfg_WREADY;
input  [31:0] s_axi_cfg_WDATA;
input  [3:0] s_axi_cfg_WSTRB;
input   s_axi_cfg_ARVALID;
output   s_axi_cfg_ARREADY;
input  [C_S_AXI_CFG_ADDR_WIDTH - 1:0] s_axi_cfg_ARADDR;
output   s_axi_cfg_RVALID;
input   s_axi_cfg_RREADY;
output  [31:0] s_axi_cfg_RDATA;
output  [1:0] s_axi_cfg_RRESP;
output   s_axi_cfg_BVALID;
input   s_axi_cfg_BREADY;
output  [1:0] s_axi_cfg_BRESP;
input   s_axi_control_AWVALID;
output   s_axi_control_AWREADY;
input  [C_S_AXI_CONTROL_ADDR_WIDTH - 1:0] s_axi_control_AWADDR;
input   s_axi_control_WVALID;
output   s_axi_control_WREADY;
input  [C_S_AXI_CONTROL_DATA_WIDTH - 1:0] s_axi_control_WDATA;
input  [C_S_AXI_CONTROL_WSTRB_WIDTH - 1:0] s_axi_control_WSTRB;
input   s_axi_control_ARVALID;
output   s_axi_control_ARREADY;
input  [C_S_AXI_CONTROL_ADDR_WIDTH - 1:0] s_axi_control_ARADDR;
output   s_axi_control_RVALID;
input   s_axi_control_RREADY;
output  [C_S_AXI_CONTROL_DATA_WIDTH - 1:0] s_axi_control_RDATA;
output  [1:0] s_axi_control_RRESP;
output   s_axi_control_BVALID;
input   s_axi_control_BREADY;
output  [1:0] s_axi_control_BRESP;
output   interrupt;

endmodule //krn2
"""

CONTROL_HW_H = """\
// control
// 0x00 : Control signals
//        bit 0  - ap_start (Read/Write/COH)
//        bit 1  - ap_done (Read/COR)
//        bit 2  - ap_idle (Read)
//        bit 3  - ap_ready (Read/COR)
//        bit 7  - auto_restart (Read/Write)
//        bit 9  - interrupt (Read)
// 0x04 : Global Interrupt Enable Register
// 0x08 : IP Interrupt Enable Register (Read/Write)
// 0x0c : IP Interrupt Status Register (Read/COR)
//        bit 0 - ap_done (Read/COR)
//        bit 1 - ap_ready (Read/COR)
// 0x10 : Data signal of src
// 0x14 : Data signal of src
// 0x1c : Data signal of n
// (SC = Self Clear, COR = Clear on Read, TOW = Toggle on Write, COH = Clear on Handshake)

#define XKRN2_CONTROL_ADDR_AP_CTRL  0x00
#define XKRN2_CONTROL_ADDR_GIE      0x04
#define XKRN2_CONTROL_ADDR_IER      0x08
#define XKRN2_CONTROL_ADDR_ISR      0x0c
#define XKRN2_CONTROL_ADDR_SRC_DATA 0x10
#define XKRN2_CONTROL_BITS_SRC_DATA 64
#define XKRN2_CONTROL_ADDR_N_DATA   0x1c
#define XKRN2_CONTROL_BITS_N_DATA   32
"""

CFG_HW_H = """\
// cfg
// 0x10 : Data signal of scale
#define XKRN2_CFG_ADDR_SCALE_DATA 0x10
#define XKRN2_CFG_BITS_SCALE_DATA 32
"""


def _axi_export(root: Path, *, headers: bool = True) -> Path:
    export = root / "krn2_prj" / "solution1"
    (export / "impl" / "verilog").mkdir(parents=True)
    (export / "impl" / "verilog" / "krn2.v").write_text(AXI_TOP_V)
    if headers:
        drivers = export / "impl" / "misc" / "drivers" / "krn2_v1_0" / "src"
        drivers.mkdir(parents=True)
        (drivers / "xkrn2_hw.h").write_text(CONTROL_HW_H)
        (drivers / "xkrn2_cfg_hw.h").write_text(CFG_HW_H)
    return export


def test_axi_export_classified(tmp_path: Path) -> None:
    export = _axi_export(tmp_path)
    d = describe(export, tmp_path / "dut.yaml")
    (tmp_path / "dut.yaml").write_text(d.text())
    raw = yaml.safe_load((tmp_path / "dut.yaml").read_text())
    assert raw["block_protocol"] == "s_axilite"
    assert raw["interrupt"] == "interrupt"
    assert raw["reset"] == {"port": "ap_rst_n", "active": "low"}
    assert raw["clock"]["period_ns"] == 2.5  # HLS_SYN_CLOCK when no HLS_INPUT_CLOCK
    assert "data_files" not in raw
    drivers = "krn2_prj/solution1/impl/misc/drivers/krn2_v1_0/src"
    # the control bundle comes first among the s_axilite interfaces: the env drives the first one
    assert raw["interfaces"] == [
        {"name": "gmem", "kind": "m_axi", "data_width": 128, "addr_width": 64, "id_width": 2, "user_width": 3,
         "w_after_aw": True},
        {"name": "control", "kind": "s_axilite", "addr_width": 6, "data_width": 32,
         "register_map": f"{drivers}/xkrn2_hw.h", "isr": "cor"},
        {"name": "cfg", "kind": "s_axilite", "addr_width": 5, "data_width": 32,
         "register_map": f"{drivers}/xkrn2_cfg_hw.h"},
    ]
    desc = load_description(tmp_path / "dut.yaml")
    assert desc.interface("control").isr == "cor" and desc.interrupt == "interrupt"


def test_depth_from_a_memory_core_instance(tmp_path: Path) -> None:
    folder = tmp_path / "v"
    folder.mkdir()
    (folder / "top.v").write_text("""\
module top #(parameter AW = 7) (
    input  wire ap_clk, input wire ap_rst,
    input  wire ap_start, output wire ap_done, output wire ap_idle, output wire ap_ready,
    (* keep *) output wire [AW-1:0] m_address0, output wire m_ce0, input wire [$clog2(256)-1:0] m_q0
);
  ram #(.AddressRange(100)) m_U (.address0(m_address0), .ce0(m_ce0), .q0(m_q0));
endmodule
module ram #(parameter AddressRange = 4) (input [6:0] address0, input ce0, output [7:0] q0);
endmodule
""")
    d = describe(folder, tmp_path / "dut.yaml")
    assert d.data["interfaces"] == [{"name": "m", "kind": "ap_memory", "ports": 1, "addr_width": 7,
                                     "data_width": 8, "depth": 100, "direction": "in"}]
    assert d.data["sources"] == ["v/*.v"] and not d.trailing


def test_parser_reads_ansi_headers_and_parameters(tmp_path: Path) -> None:
    path = tmp_path / "m.sv"
    path.write_text("""\
/* a (* comment *) with module words: module fake (input x); */
module m #(parameter W = 8, parameter D = W * 2, localparam H = D >> 1) (
    input  wire logic [W-1:0] a, b,   // two ports of one declaration
    output reg signed [D-1:0] y,
    output [H-1:0][1:0] packed2,
    input integer i
);
  parameter string ROM = "m_rom.dat";
  always @(* ) y = a;
  initial $readmemb(ROM, mem);
  sub #(4) u_sub (.p(a), .q());
  sub u_a (a), u_b (b);
endmodule
""")
    (m,) = parse_modules(path)
    assert [(p.name, p.direction, p.width) for p in m.ports] == [
        ("a", "input", 8), ("b", "input", 8), ("y", "output", 16), ("packed2", "output", 16), ("i", "input", 32)]
    assert m.header_parameters == ("W", "D", "H")
    assert [(i.module, i.name) for i in m.instances] == [("sub", "u_sub"), ("sub", "u_a"), ("sub", "u_b")]
    assert [(r.task, r.target) for r in m.readmems] == [("$readmemb", "m_rom.dat")]


def test_ap_ctrl_none_with_a_generate_block(tmp_path: Path) -> None:
    (tmp_path / "v").mkdir()
    (tmp_path / "v" / "pipe.v").write_text("""\
module pipe (
    input  wire ap_clk, input wire ap_rst_n,
    input  wire [15:0] s_TDATA, input wire s_TVALID, output wire s_TREADY,
    output wire [15:0] m_TDATA, output wire m_TVALID, input wire m_TREADY
);
  function [15:0] id;
    input [15:0] x;  // a function's input is no port
    id = x;
  endfunction
  genvar g;
  generate for (g = 0; g < 1; g = g + 1) begin : gen_stage
    stage u_stage (.clk(ap_clk), .d(id(s_TDATA)), .q(m_TDATA));
  end endgenerate
  assign m_TVALID = s_TVALID;
  assign s_TREADY = m_TREADY;
endmodule
""")
    (tmp_path / "v" / "stage.v").write_text(
        "module stage (input clk, input [15:0] d, output reg [15:0] q);\n"
        "  always @(posedge clk) q <= d;\nendmodule\n")
    d = describe(tmp_path / "v", tmp_path / "dut.yaml")
    assert d.data["toplevel"] == "pipe" and d.data["block_protocol"] == "ap_ctrl_none"
    assert [(i["name"], i["direction"], i["data_width"]) for i in d.data["interfaces"]] == [
        ("s", "in", 16), ("m", "out", 16)]


# --- errors name the file or port at fault -------------------------------------------------------

def test_error_unreadable_port_width(tmp_path: Path) -> None:
    (tmp_path / "v").mkdir()
    (tmp_path / "v" / "top.v").write_text("module top (ap_clk, d);\ninput ap_clk;\ninput [`W-1:0] d;\nendmodule\n")
    with pytest.raises(DescribeError, match=r"top\.v:3: range of port d: cannot evaluate '`W - 1': "
                                            r"macro `W is not expanded"):
        describe(tmp_path / "v", tmp_path / "dut.yaml")


def test_error_no_verilog(tmp_path: Path) -> None:
    (tmp_path / "empty" / "impl").mkdir(parents=True)
    with pytest.raises(DescribeError, match=r"no Verilog \(\.v/\.sv\) found in .*empty/impl/verilog"):
        describe(tmp_path / "empty", tmp_path / "dut.yaml")
    with pytest.raises(DescribeError, match=r"not a folder"):
        describe(tmp_path / "nowhere", tmp_path / "dut.yaml")


def test_error_two_top_candidates(tmp_path: Path) -> None:
    (tmp_path / "v").mkdir()
    (tmp_path / "v" / "one.v").write_text("module alpha (input ap_clk); endmodule\n")
    (tmp_path / "v" / "two.v").write_text("module beta (input ap_clk); endmodule\n")
    with pytest.raises(DescribeError, match=r"2 top candidates .*alpha \(.*one\.v:1\), beta \(.*two\.v:1\); "
                                            r"pass --top NAME"):
        describe(tmp_path / "v", tmp_path / "dut.yaml")
    with pytest.raises(DescribeError, match=r"--top gamma: no such module \(the sources declare: alpha, beta\)"):
        describe(tmp_path / "v", tmp_path / "dut.yaml", top="gamma")


@pytest.mark.parametrize(("port", "why"), [
    ("ap_ce", r"port ap_ce \(input, 1 bit\) fits no UG1399 interface: an ap_\* port"),
    ("cnt2_ap_vld", r"port cnt2_ap_vld .* a ap_vld handshake, but there is no data port cnt2"),
    ("z_TLAST", r"port z_TLAST .* an axis side channel, but z_TDATA, z_TVALID, z_TREADY do\(es\) not exist"),
    ("m_axi_gmem_FOO", r"port m_axi_gmem_FOO .* not an AXI4 / AXI4-Lite one"),
])
def test_error_unclassifiable_port(tmp_path: Path, port: str, why: str) -> None:
    export = _kern_export(tmp_path, extra_port=port)
    with pytest.raises(DescribeError, match=r"top module kern:\n  - " + why):
        describe(export, tmp_path / "dut.yaml")


def test_error_missing_dat_file(tmp_path: Path) -> None:
    export = _kern_export(tmp_path, dat=False)
    line = next(n for n, text in enumerate(ROM_V.splitlines(), 1) if "$readmemh" in text)
    with pytest.raises(DescribeError, match=rf"kern_tab_ROM_AUTO_1R\.v:{line}: \$readmemh\(\"\./kern_tab_ROM_AUTO_1R\.dat\"\)"
                                            r": kern_tab_ROM_AUTO_1R\.dat is missing from .*impl/verilog"):
        describe(export, tmp_path / "dut.yaml")


def test_error_missing_register_header(tmp_path: Path) -> None:
    export = _axi_export(tmp_path, headers=False)
    with pytest.raises(DescribeError, match=r"s_axilite bundle cfg: no register-map header xkrn2_cfg_hw\.h or "
                                            r"xkrn2_hw\.h under .*solution1"):
        describe(export, tmp_path / "dut.yaml")
    drivers = export / "impl" / "misc" / "drivers" / "krn2_v1_0" / "src"
    drivers.mkdir(parents=True)
    (drivers / "xkrn2_cfg_hw.h").write_text(CFG_HW_H)
    with pytest.raises(DescribeError, match=r"s_axilite bundle control: no register-map header xkrn2_hw\.h or "
                                            r"xkrn2_control_hw\.h"):
        describe(export, tmp_path / "dut.yaml")


def test_cli_refuses_to_overwrite_and_is_a_llama_dv_subcommand(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    export = _export_kernel(tmp_path, "rmsnorm")
    out = tmp_path / "rms.yaml"
    assert cli_main(["describe", str(export), "-o", str(out), "--depth", "x=200", "w=200"]) == 0
    assert "wrote" in capsys.readouterr().out
    assert [i.depth for i in load_description(out).interfaces[:2]] == [200, 200]
    assert cli_main(["describe", str(export), "-o", str(out)]) == 2
    assert "exists (it may hold your edits); pass --force" in capsys.readouterr().err
    assert cli_main(["describe", str(export), "-o", str(out), "--force"]) == 0
    assert cli_main(["describe", str(tmp_path / "none"), "-o", "-"]) == 2
    assert "llama-dv describe: error:" in capsys.readouterr().err


# --- the default build arguments build a Vitis-style export ----------------------------------------

@pytest.mark.sim
def test_default_build_args_build_a_vitis_export(tmp_path: Path, sim: str) -> None:
    export = _kern_export(tmp_path)
    out = _write(tmp_path, export)
    desc = load_description(out)
    dut = DutBuild(name="kern", sim=sim, sources=list(desc.sources), toplevel=desc.toplevel,
                   build_args=desc.build_args_for(sim), data_files=list(desc.data_files),
                   build_root=tmp_path / "build")
    log = build(dut) / "build.log"
    if sim == "verilator":
        assert "STMTDLY" in log.read_text()  # the `#0` was there, and only warned about
        bare = DutBuild(name="kern", sim=sim, sources=list(desc.sources), toplevel=desc.toplevel,
                        config="bare", build_root=tmp_path / "build")
        with pytest.raises(BuildError, match="NEEDTIMINGOPT"):
            build(bare)
