"""The yosys synthesis flow (regress.yosys) on real yosys runs.

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

from regress.yosys import (ThresholdError, check_thresholds, custom_top, discover_tops,
                           synthesize_all, synthesize_top)

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.skipif(shutil.which("yosys") is None,
                                reason="yosys not installed (make setup installs Debian's yosys)")

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
    written = (probe_and_broken["out"] / "probe.json").read_text()
    assert '"status": "ok"' in written


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


def test_readmem_files_are_staged_with_declared_shape(tmp_path: Path) -> None:
    from regress.yosys.meminit import MemInitError, stage_mem_inits

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
