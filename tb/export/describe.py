"""`llama-dv describe`: write the DUT description YAML of a Vitis HLS export from the export itself.

Usage::

    llama-dv describe EXPORT_DIR [--top NAME] [-o dut.yaml] [--name NAME] [--period-ns NS]
                      [--depth ARG=N ...] [--keep-parameters] [--force]

EXPORT_DIR is a Vitis solution folder (the Verilog is taken from `impl/verilog/`, else
`syn/verilog/`) or a folder of `.v` / `.sv` files. Paths inside the YAML are relative to
the YAML's folder (`-o -` prints the YAML, paths relative to the current folder). Module headers and instantiations are
read by llama_dv.tb.export.verilog, the top's ports sorted by UG1399 naming in llama_dv.tb.export.classify,
headers and ROM images found by llama_dv.tb.export.layout, and the YAML (schema: tb/dut_description.py)
written by llama_dv.tb.export.emit, then loaded back through llama_dv.tb.dut_description as a self-check.

Choices (what a user gets without asking):

* ap_memory `depth`: taken from `--depth ARG=N`, else from the export (a comment that
  gives the argument's depth, e.g. `// depth = 40` on `<arg>_address0`, or the `AddressRange`/`DEPTH` parameter of a memory core
  instance wired to `<arg>_address0`), else **2**addr_width with a printed note** and a
  `# depth assumed` comment on the interface's line. Vitis sizes the address port as
  ceil(log2(array size)), so this is the array size for every power-of-two array and an
  upper bound otherwise; failing instead would stop every first run on a question the
  user can answer later by editing one number.
* A top port no UG1399 rule explains is an **error** naming the port and why (e.g.
  `ap_ce`, an `m_axi_gmem_FOO`, an `x_ap_vld` without `x`): the environment would leave
  it undriven and verify a different design.
* Clock period: `--period-ns`, else the top's `CORE_GENERATION_INFO` attribute:
  `HLS_INPUT_CLOCK` (the period the export was synthesised for), else `HLS_SYN_CLOCK`
  (the estimate it achieved), else 10 ns. It is rounded to an even number of
  picoseconds because the testbench clock toggles every half period at 1 ps resolution.
* Top: the one module nothing instantiates; among several, the one carrying Vitis's
  `CORE_GENERATION_INFO` attribute; otherwise an error listing them (pass `--top`).
* A module instantiated but defined in no source (a Xilinx IP core) is a **warning**,
  repeated in the YAML header: the user can still add its source to `sources:`.
* `build_args`: Verilator `--no-timing` (Vitis writes `#0` in the power-on `initial`
  block: without a timing option Verilator stops with NEEDTIMINGOPT, with `--no-timing`
  it warns STMTDLY), `-Wno-fatal` (so that and other warnings do not stop the build),
  `-Wno-lint -Wno-style` (generated RTL trips hundreds of WIDTH/UNUSED warnings);
  Icarus needs nothing beyond the runner's `-g2012`. Checked by building a Vitis-style
  export on both simulators in tests/tb/test_describe.py.
* `parameters:` only with `--keep-parameters` (the top's `#(...)` header parameters and
  their defaults): a Vitis export has no test knobs, and its body `parameter`s are FSM
  state encodings.
* m_axi `w_after_aw: true`: a Vitis m_axi adapter's write throttle holds W until the
  burst's AW was accepted, so the env checks that order; a master that may send W
  first (legal AXI4) needs `false` written by hand.
* An existing output file is not overwritten without `--force` (it may hold edits).

Differences from the hand-written rtl/hls/{rmsnorm,rope,attention,matmul}.yaml when
describe reads rtl/hls/<k>.v (plus xmatmul_hw.h): interfaces, clock, reset and block
protocol are equal (compared after loading both through llama_dv.tb.dut_description). describe cannot know:

* `parameters` (`LATENCY_PAD`, `FAULT`) — written only with `--keep-parameters`;
* `faults` — the meaning of each FAULT value, never in the RTL;
* `golden` — the reference model;
* `tests` — the kernel's own test names and knobs (without them a DUT gets the stock tests);
* `handshake_timeout_cycles` — describe writes the schema default 1000000 where the
  hand-written files budget 200000 (matmul: 400000);
* `depth` — the hand-written RTL states none; 2**addr_width equals the stated depth
  (256 / 16) for every memory of these kernels;
* `signed` (attention's memories say `signed: true`) — not in the Verilog; the schema
  default (true) is the same;
* `isr` — describe writes `isr: tow` for matmul from its header's ISR comment; matmul.yaml
  leaves it out and the loader reads the same comment;
* spelling only: describe writes `protocol: ap_none` and `tuser/tid/tdest: false`
  explicitly, `sources` as a glob, and adds `build_args` and `interrupt: interrupt`
  (matmul).
"""
from __future__ import annotations

import argparse
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

import yaml

from llama_dv.tb.export.classify import Classification, ClassifyError, classify
from llama_dv.tb.export.emit import render
from llama_dv.tb.export.layout import (
    LayoutError, SourceSet, find_register_header, find_sources, has_block_control, resolve_data_file,
)
from llama_dv.tb.export.verilog import Module, VerilogError, parse_modules

BUILD_ARGS: Mapping[str, tuple[str, ...]] = {
    "verilator": ("--no-timing", "-Wno-fatal", "-Wno-lint", "-Wno-style"),
    "icarus": (),
}
HANDSHAKE_TIMEOUT_CYCLES = 1_000_000
DEFAULT_PERIOD_NS = 10
_DEPTH_PARAMS = {"addressrange", "depth", "mem_depth"}


class DescribeError(ValueError):
    """The export cannot be described; the message names the file, port or flag concerned."""


@dataclass
class Described:
    """A description ready to write: YAML data in key order, comments, and notes for the user."""

    data: dict[str, Any]
    header: list[str]
    trailing: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def text(self) -> str:
        return render(self.data, header=self.header, trailing=self.trailing)


def _rel(path: Path, base: Path) -> str:
    return Path(os.path.relpath(path, base)).as_posix()


def _load_modules(sources: SourceSet) -> dict[str, Module]:
    modules: dict[str, Module] = {}
    for path in sources.files:
        for module in parse_modules(path):
            if module.name in modules:
                raise DescribeError(f"module {module.name} is defined twice: {modules[module.name].where} "
                                    f"and {module.where}")
            modules[module.name] = module
    if not modules:
        raise DescribeError(f"{sources.directory}: the .v/.sv files declare no module")
    return modules


def _pick_top(modules: Mapping[str, Module], top: str | None, notes: list[str]) -> Module:
    if top is not None:
        if top not in modules:
            raise DescribeError(f"--top {top}: no such module (the sources declare: "
                                f"{', '.join(sorted(modules))})")
        return modules[top]
    used = {inst.module for m in modules.values() for inst in m.instances}
    candidates = [m for m in modules.values() if m.name not in used]
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        raise DescribeError("every module is instantiated by another one; pass --top NAME")
    vitis = [m for m in candidates if any("CORE_GENERATION_INFO" in a for a in m.attributes)]
    if len(vitis) == 1:
        others = ", ".join(m.name for m in candidates if m is not vitis[0])
        notes.append(f"top {vitis[0].name}: the module Vitis marked with CORE_GENERATION_INFO "
                     f"(also uninstantiated: {others})")
        return vitis[0]
    listing = ", ".join(f"{m.name} ({m.where})" for m in sorted(candidates, key=lambda m: m.name))
    raise DescribeError(f"{len(candidates)} top candidates (modules nothing instantiates): {listing}; "
                        "pass --top NAME")


def _reachable(top: Module, modules: Mapping[str, Module]) -> tuple[list[Module], list[str]]:
    """Modules under `top` (top first) and text on instantiated modules that no source defines."""
    seen = {top.name}
    order = [top]
    missing: list[str] = []
    k = 0
    while k < len(order):
        for inst in order[k].instances:
            if inst.module in modules:
                if inst.module not in seen:
                    seen.add(inst.module)
                    order.append(modules[inst.module])
            elif not any(m.startswith(f"module {inst.module} ") for m in missing):
                missing.append(f"module {inst.module} (instance {inst.name}, {order[k].path}:{inst.line}) "
                               "is defined in no source")
        k += 1
    return order, missing


def _period(top: Module, period_ns: float | None, notes: list[str]) -> tuple[int | float, bool]:
    """Clock period in ns (even in ps) and whether it is the default (the export states none)."""
    source = "--period-ns"
    if period_ns is None:
        source, period_ns = f"default ({DEFAULT_PERIOD_NS} ns)", DEFAULT_PERIOD_NS
        info = " ".join(a for a in top.attributes if "CORE_GENERATION_INFO" in a)
        for key in ("HLS_INPUT_CLOCK", "HLS_SYN_CLOCK"):
            m = re.search(rf"\b{key}=([0-9]*\.?[0-9]+)", info)
            if m:
                source, period_ns = f"{key} of the CORE_GENERATION_INFO attribute", float(m.group(1))
                break
    if period_ns <= 0:
        raise DescribeError(f"clock period {period_ns} ns ({source}): must be positive")
    ps = max(2, round(period_ns * 1000))
    ps += ps % 2
    value: int | float = ps // 1000 if ps % 1000 == 0 else ps / 1000
    if abs(value - period_ns) > 1e-9:
        notes.append(f"clock period {period_ns:g} ns ({source}) written as {value} ns: the testbench clock "
                     "needs an even number of 1 ps steps")
    elif source.startswith("default"):
        notes.append(f"clock period: the export states none, {DEFAULT_PERIOD_NS} ns written (pass --period-ns)")
    return value, source.startswith("default")


def _memory_depth(top: Module, modules: Mapping[str, Module], arg: str) -> int | None:
    """Depth the export states for ap_memory `arg` (comment or memory-core instance), else None."""
    lines = {p.line for p in top.ports if p.name in (f"{arg}_address0", f"{arg}_address1")}
    patterns = [rf"\b{re.escape(arg)}\b[^\n]*?\bdepth\b\s*[=:]?\s*(\d+)", rf"\bdepth\s+of\s+{re.escape(arg)}\b\s*[=:]?\s*(\d+)"]
    for line, text in top.comments:
        for pattern in patterns + ([r"\bdepth\b\s*[=:]?\s*(\d+)"] if line in lines else []):
            m = re.search(pattern, text, re.IGNORECASE)
            if m:
                return int(m.group(1))
    wanted = {f"{arg}_address0", f"{arg}_address1"}
    for inst in top.instances:
        if not any(len(t) == 1 and t[0].text in wanted for t in inst.connections.values()):
            continue
        for pname, tokens in inst.parameters.items():
            if pname.lower() in _DEPTH_PARAMS:
                value = top.evaluate(tokens, f"parameter {pname} of instance {inst.name}")
                if isinstance(value, int):
                    return value
        sub = modules.get(inst.module)
        if sub is not None:
            for pname in sub.parameters:
                if pname.lower() in _DEPTH_PARAMS:
                    value = sub.value(pname)
                    if isinstance(value, int):
                        return value
    return None


def _data_files(reachable: Sequence[Module], sources: SourceSet, export_dir: Path, base: Path) -> list[str]:
    files: list[Path] = []
    for module in reachable:
        for rm in module.readmems:
            if rm.target is None:
                raise DescribeError(f"{module.path}:{rm.line}: {rm.task} reads a file name describe cannot "
                                    "work out (not a string constant); list the file under data_files: by hand")
            path = resolve_data_file(rm.target, sources, export_dir, module.path, rm.line, rm.task)
            if path not in files:
                files.append(path)
    # Named one by one, not globbed: a ROM image that later goes missing is then reported by
    # name when a run stages it, instead of a glob silently matching fewer files.
    return [_rel(p, base) for p in sorted(files)]


def _register_maps(cls: Classification, export_dir: Path, sources: SourceSet, top: str, base: Path,
                   notes: list[str]) -> str | None:
    """Set register_map (and isr) of every s_axilite bundle; return the bundle holding AP_CTRL."""
    from llama_dv.tb.agents.s_axilite.regmap import HeaderError, parse_hw_header

    control: str | None = None
    for iface in cls.of_kind("s_axilite"):
        try:
            header, header_notes = find_register_header(export_dir, sources, top, iface["name"])
        except LayoutError as exc:
            raise DescribeError(str(exc)) from exc
        notes += header_notes
        iface["register_map"] = _rel(header, base)
        if has_block_control(header, top, iface["name"]):
            try:
                regmap = parse_hw_header(header, top=top, bundle=iface["name"])
            except HeaderError as exc:
                raise DescribeError(str(exc)) from exc
            iface["isr"] = regmap.isr_mode  # from the ISR comment: (Read/COR) or (Read/TOW)
            control = control or iface["name"]
    return control


def _block_protocol(cls: Classification, control: str | None, top: str, notes: list[str]) -> str:
    """ap_ctrl_hs/chain from the ports, else s_axilite (control bundle moved first), else ap_ctrl_none."""
    if cls.interrupt and not cls.of_kind("s_axilite"):
        raise DescribeError(f"top module {top}: port interrupt exists, but there is no s_axi_<bundle>_* "
                            "control interface to raise it")
    if cls.ctrl is not None:
        if control is not None:
            notes.append(f"s_axilite bundle {control} has AP_CTRL, but the top has ap_start ports: "
                         f"block protocol {cls.ctrl}")
        return cls.ctrl
    if control is None:
        return "ap_ctrl_none"
    lites = [k for k, i in enumerate(cls.interfaces) if i["kind"] == "s_axilite"]
    idx = next(k for k in lites if cls.interfaces[k]["name"] == control)
    cls.interfaces.insert(lites[0], cls.interfaces.pop(idx))  # the env drives the first s_axilite
    return "s_axilite"


def _depths(cls: Classification, top: Module, modules: Mapping[str, Module], depths: dict[str, int],
            notes: list[str], todo: list[str]) -> dict[str, str]:
    """Set `depth` of every ap_memory; return trailing comments for the assumed ones."""
    memories = {i["name"]: i for i in cls.of_kind("ap_memory")}
    unknown = sorted(set(depths) - set(memories))
    if unknown:
        raise DescribeError(f"--depth {unknown[0]}=...: {unknown[0]} is not an ap_memory interface of "
                            f"{top.name} (ap_memory interfaces: {', '.join(memories) or 'none'})")
    trailing: dict[str, str] = {}
    for arg, iface in memories.items():
        try:
            stated = depths.get(arg) or _memory_depth(top, modules, arg)
        except VerilogError as exc:
            raise DescribeError(str(exc)) from exc
        full = 1 << iface["addr_width"]
        if stated is None:
            stated = full
            trailing[arg] = "depth assumed: 2**addr_width"
        elif stated > full:
            raise DescribeError(f"ap_memory {arg}: depth {stated} does not fit its {iface['addr_width']}-bit "
                                f"address ({arg}_address0 reaches {full} words)")
        iface["depth"] = stated
        iface["direction"] = iface.pop("direction")  # key order of rtl/hls/*.yaml: ..., depth, direction
    if trailing:
        assumed = ", ".join(trailing)
        first = next(iter(trailing))
        notes.append(f"ap_memory {assumed}: the export states no depth; 2**addr_width written "
                     f"(set the C++ array size in the YAML, or rerun with --depth {first}=N)")
        todo.append(f"depth of {assumed}: assumed 2**addr_width; set the C++ array size "
                    f"(or rerun with --depth {first}=N)")
    return trailing


def describe(export_dir: str | Path, out: str | Path, *, top: str | None = None, name: str | None = None,
             period_ns: float | None = None, depths: Mapping[str, int] | None = None,
             keep_parameters: bool = False) -> Described:
    """Describe the export in `export_dir`; paths in the result are relative to `out`'s folder (which must exist)."""
    export_dir = Path(export_dir)
    base = Path(out).resolve().parent
    if not base.is_dir():
        raise DescribeError(f"{base}: the output file's folder does not exist")
    notes: list[str] = []
    todo: list[str] = []
    try:
        sources = find_sources(export_dir)
        modules = _load_modules(sources)
        top_mod = _pick_top(modules, top, notes)
        reachable, missing_modules = _reachable(top_mod, modules)
        cls = classify(top_mod.ports, top_mod.name)
    except (LayoutError, VerilogError, ClassifyError) as exc:
        raise DescribeError(str(exc)) from exc
    for text in missing_modules:
        notes.append(f"warning: {text}; the simulators cannot elaborate it (Xilinx IP cores are not part of "
                     "an HLS export): add its source to sources:")
        todo.append(f"{text}: add its source to sources:")

    control = _register_maps(cls, export_dir, sources, top_mod.name, base, notes)
    block_protocol = _block_protocol(cls, control, top_mod.name, notes)
    trailing = _depths(cls, top_mod, modules, dict(depths or {}), notes, todo)

    try:
        data_files = _data_files(reachable, sources, export_dir, base)
    except LayoutError as exc:
        raise DescribeError(str(exc)) from exc
    period, default_period = _period(top_mod, period_ns, notes)
    if default_period:
        todo.append(f"clock.period_ns: the export states none; {DEFAULT_PERIOD_NS} ns written")

    data: dict[str, Any] = {
        "name": name or top_mod.name,
        "toplevel": top_mod.name,
        "sources": [_rel(sources.directory, base) + f"/*{s}" for s in sources.suffixes],
    }
    if data_files:
        data["data_files"] = data_files
    data["build_args"] = {sim: list(args) for sim, args in BUILD_ARGS.items()}
    data["handshake_timeout_cycles"] = HANDSHAKE_TIMEOUT_CYCLES
    if cls.interrupt:
        data["interrupt"] = cls.interrupt
    data["clock"] = {"port": cls.clock, "period_ns": period}
    data["reset"] = {"port": cls.reset, "active": cls.reset_active}
    data["block_protocol"] = block_protocol
    if keep_parameters:
        try:
            values = top_mod.parameter_values(top_mod.header_parameters)
        except VerilogError as exc:
            raise DescribeError(str(exc)) from exc
        bad = [k for k, v in values.items() if not isinstance(v, int)]
        if bad:
            raise DescribeError(f"--keep-parameters: parameter {bad[0]} of {top_mod.name} is "
                                f"{values[bad[0]]!r}, the description holds integer parameters only")
        data["parameters"] = values
    data["interfaces"] = cls.interfaces

    try:
        shown = _rel(export_dir.resolve(), base)
    except ValueError:
        shown = str(export_dir)
    header = [f"DUT description of {top_mod.name} (schema: tb/dut_description.py), written by `llama-dv describe` "
              f"from the export in {shown}/", "Still to check by hand:",
              "- golden: add `golden: <module>:<function>` here or pass --golden to `llama-dv run`.",
              "- signed / latency: not in the Verilog; the schema defaults are signed: true, latency: 1."]
    header += [f"- {line}" for line in todo]
    described = Described(data=data, header=header, trailing=trailing, notes=notes)
    _self_check(described, top_mod, base)
    return described


def _self_check(described: Described, top: Module, base: Path) -> None:
    """Load the text through llama_dv.tb.dut_description and check every port it implies exists (what `bind` checks)."""
    from llama_dv.tb.dut_description import DutDescriptionError, parse_description
    from llama_dv.tb.dut_ports import CTRL_PORTS, interface_port_names

    try:
        desc = parse_description(yaml.safe_load(described.text()), "<describe output>", base)
    except DutDescriptionError as exc:
        raise DescribeError(f"describe wrote a description llama_dv.tb.dut_description rejects (a bug in describe): {exc}") from exc
    names = {p.name for p in top.ports}
    implied = [desc.clock.port, desc.reset.port, *CTRL_PORTS[desc.block_protocol]]
    for iface in desc.interfaces:
        implied += interface_port_names(iface)
    lacking = [n for n in implied if n not in names]
    if lacking:
        raise DescribeError(f"top module {top.name} lacks ports the testbench needs for the interfaces describe "
                            f"found: {', '.join(lacking)}")


def _depth_arg(text: str) -> tuple[str, int]:
    m = re.fullmatch(r"(\w+)=(\d+)", text)
    if m is None or int(m.group(2)) < 1:
        raise argparse.ArgumentTypeError(f"expected ARG=N with N >= 1 (e.g. x=256), got {text!r}")
    return m.group(1), int(m.group(2))


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="llama-dv describe",
        description="Write the DUT description YAML (tb/dut_description.py schema) of a Vitis HLS export.")
    p.add_argument("export_dir", metavar="EXPORT_DIR", type=Path,
                   help="Vitis solution folder (impl/verilog or syn/verilog inside) or a folder of .v/.sv files")
    p.add_argument("--top", metavar="NAME", help="top module (default: the one nothing instantiates)")
    p.add_argument("-o", "--output", metavar="dut.yaml", default="dut.yaml",
                   help="file to write; '-' prints it (default: dut.yaml); paths inside are relative to it")
    p.add_argument("--name", metavar="NAME", help="DUT name (default: the top module's)")
    p.add_argument("--period-ns", metavar="NS", type=float,
                   help="clock period (default: the export's CORE_GENERATION_INFO, else 10)")
    p.add_argument("--depth", metavar="ARG=N", type=_depth_arg, nargs="+", action="extend", default=[],
                   help="words of ap_memory ARG (default: what the export states, else 2**addr_width)")
    p.add_argument("--keep-parameters", action="store_true",
                   help="also write the top's #(...) parameters with their defaults")
    p.add_argument("--force", action="store_true", help="overwrite an existing output file")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    to_stdout = args.output == "-"
    out = Path("dut.yaml" if to_stdout else args.output)
    if not to_stdout and out.exists() and not args.force:
        print(f"llama-dv describe: {out} exists (it may hold your edits); pass --force to overwrite it",
              file=sys.stderr)
        return 2
    depths: dict[str, int] = dict(args.depth)
    if not to_stdout:
        out.parent.mkdir(parents=True, exist_ok=True)
    try:
        described = describe(args.export_dir, out, top=args.top, name=args.name, period_ns=args.period_ns,
                             depths=depths, keep_parameters=args.keep_parameters)
    except DescribeError as exc:
        print(f"llama-dv describe: error: {exc}", file=sys.stderr)
        return 2
    for note in described.notes:
        print(f"llama-dv describe: {note if note.startswith('warning:') else 'note: ' + note}", file=sys.stderr)
    if to_stdout:
        sys.stdout.write(described.text())
    else:
        out.write_text(described.text())
        kinds = ", ".join(f"{i['name']} ({i['kind']})" for i in described.data["interfaces"])
        print(f"wrote {out}: {described.data['toplevel']}, {described.data['block_protocol']}; {kinds}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
