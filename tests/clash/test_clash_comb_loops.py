"""No generated Clash top contains combinational feedback.

Clash 1.6.4 can share one operator between the alternatives of a case and wire its
output back into its own input when an alternative chains two uses of it (seen on
the decoder: x * rinv * gain in RMSNorm). The Haskell simulation stays right; the
Verilog settles on wrong values. Verilator names such feedback UNOPTFLAT; every top
in rtl/gen must be free of it. A deliberately looped module shows the check fires.
"""
from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from llama_dv.tb.clash.manifest import GEN_DIR, ClashManifest
from llama_dv.tb.sim.toolchain import verilator_binary, verilator_env

TOPS = sorted(p.parent.name for p in GEN_DIR.glob("*/clash-manifest.json") if "_fault_" not in p.parent.name)
"""The real tops; each broken copy is generated from the same source as its top."""
LOOP = re.compile(r"%Warning-UNOPTFLAT: .*?Circular combinational logic: '([^']+)'")


def combinational_loops(sources: list[Path], top: str, workdir: Path) -> list[str]:
    """Nets Verilator reports on a combinational cycle in `top` (empty when none)."""
    env = {**os.environ, **verilator_env()}
    proc = subprocess.run([str(verilator_binary()), "--lint-only", "-Wno-fatal", "-Wno-WIDTH",
                           "--top-module", top, *map(str, sources)],
                          cwd=workdir, env=env, capture_output=True, text=True, timeout=600)
    if proc.returncode != 0 and "%Error" in proc.stderr:
        raise AssertionError(f"{top}: verilator --lint-only failed:\n{proc.stderr[-3000:]}")
    return LOOP.findall(proc.stderr)


EXTENDED = {"attend_head_hd8"}
"""The combinational reference top (not part of a decoder; its lint alone takes about 20 s):
checked in make check; make test checks every other top."""


@pytest.mark.parametrize("top", [pytest.param(t, marks=pytest.mark.extended) if t in EXTENDED else t for t in TOPS])
def test_generated_top_has_no_combinational_loop(top: str, tmp_path: Path) -> None:
    loops = combinational_loops(ClashManifest.for_top(top).verilog_sources, top, tmp_path)
    assert not loops, f"rtl/gen/{top}: combinational feedback through {', '.join(loops)}"


def test_loop_check_fires_on_a_looped_module(tmp_path: Path) -> None:
    src = tmp_path / "looped.v"
    src.write_text("module looped(input [7:0] a, input s, output [7:0] y);\n"
                   "  wire [7:0] m = s ? a * y : a;\n"
                   "  assign y = m + 8'd1;\n"
                   "endmodule\n")
    assert combinational_loops([src], "looped", tmp_path), "a module with y = f(y) passed the loop check"
