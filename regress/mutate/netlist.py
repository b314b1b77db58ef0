"""The mutants of one DUT configuration as one netlist, built once and selected at run time.

yosys elaborates the DUT's sources with the configuration's parameters, flattens it and
samples mutations (`mutate -list`); every mutation is then applied behind a control
input (`mutate -ctrl ldv_mutant W i`), so mutant *i* is live only when that input equals
*i*. A generated wrapper keeps the original module name, ports and parameters and drives
the control input from the plusarg `+LDV_MUTANT=<i>` (absent or 0: the unmutated design).

Memories filled by `$readmemb`/`$readmemh` at run time (Clash `romFile`, Vitis ROM
`.dat` files) stay run-time data: their contents are dropped from the netlist after
elaboration (so no mutation lands on data the tests replace) and the wrapped module reads
the same files again, over the memory's whole address range, when the simulation starts.

With `keep_hierarchy` (`--keep-hierarchy`, implied by `--only module=NAME`) the design
is not flattened: mutations are sampled over its modules, yosys routes the control input
up to the top, where it becomes a register read from the same plusarg, and the whole
hierarchy is written back with its module, instance and memory names, so a test that reaches into
the design (a backdoor on a memory, a `.vlt` that makes it public) runs on the mutants
as it does on the sources. No wrapper is needed: the top is unchanged. A module
instantiated twice carries its mutation in every instance.
"""
from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field, replace
from pathlib import Path

from llama_dv.regress.yosys.child import run_measured
from llama_dv.regress.yosys.flow import yosys_binary
from llama_dv.regress.yosys.meminit import READMEM, MemInitError, stage_mem_inits
from llama_dv.tb.common.knobs import MUTANT_PLUSARG
from llama_dv.tb.sim.runner import REPO_ROOT, DutBuild

CONTROL = "ldv_mutant"
"""Name of the control input yosys adds; also the wrapper's register."""
PLUSARG = MUTANT_PLUSARG
"""`+LDV_MUTANT=<i>` selects mutant i at run time."""
MUTANTS_SUFFIX = "__ldv_mutants"
YOSYS_TIMEOUT_S = 900.0

HDL_SUFFIXES = (".v", ".sv", ".vh", ".svh")
"""Sources yosys reads; the others a DUT lists (a Verilator C++ harness) go to the build unchanged."""
_SRC = re.compile(r"^(?P<file>.+?):(?P<line>\d+)(?:\.\d+(?:-\d+\.\d+)?)?$")
"""A yosys `src` attribute: file:line, optionally .column and -line.column."""


class MutateError(RuntimeError):
    """yosys could not elaborate or mutate the DUT; the message names the log."""


@dataclass(frozen=True)
class Mutation:
    """One mutation as yosys listed it, numbered from 1 (0 is the unmutated design)."""

    index: int
    mode: str
    """yosys' mutation mode: inv, const0, const1, cnot0, cnot1."""
    module: str
    cell: str
    """The mutated cell of `module` (its `src` attribute says which RTL line it came from)."""
    port: str
    portbit: int
    ctrlbit: int | None = None
    wire: str | None = None
    wirebit: int | None = None
    src: tuple[str, ...] = ()

    @classmethod
    def parse(cls, index: int, line: str) -> "Mutation":
        """A `mutate -mode ... -cell ... -src ...` line of `mutate -list`."""
        words = shlex.split(line, posix=False)
        if words[:1] != ["mutate"]:
            raise MutateError(f"not a mutate command: {line!r}")
        opts: dict[str, list[str]] = {}
        for key, value in zip(words[1::2], words[2::2]):
            opts.setdefault(key.lstrip("-"), []).append(value)

        def one(key: str) -> str | None:
            return opts[key][0] if key in opts else None

        def num(key: str) -> int | None:
            return int(opts[key][0]) if key in opts else None

        return cls(index=index, mode=one("mode") or "", module=one("module") or "", cell=one("cell") or "",
                   port=one("port") or "", portbit=num("portbit") or 0, ctrlbit=num("ctrlbit"),
                   wire=one("wire"), wirebit=num("wirebit"), src=tuple(_shown_src(s) for s in opts.get("src", [])))

    @classmethod
    def from_json(cls, entry: dict[str, object]) -> "Mutation":
        """A mutation as `to_json` wrote it into mutation.json."""
        return cls(index=int(entry["index"]), mode=str(entry["mode"]), module=str(entry.get("module") or ""),
                   cell=str(entry["cell"]),  # type: ignore[arg-type]
                   port=str(entry["port"]), portbit=int(entry["portbit"]), ctrlbit=entry.get("ctrlbit"),  # type: ignore[arg-type]
                   wire=entry.get("wire"), wirebit=entry.get("wirebit"), src=tuple(entry.get("src") or ()))  # type: ignore[arg-type]

    def command(self, module: str | None = None) -> str:
        """The `mutate` command that applies this mutation (to *module*, default its own)."""
        parts = ["mutate", "-mode", self.mode, "-module", module or self.module, "-cell", self.cell,
                 "-port", self.port, "-portbit", str(self.portbit)]
        if self.ctrlbit is not None:
            parts += ["-ctrlbit", str(self.ctrlbit)]
        return " ".join(parts)

    @property
    def signal(self) -> str:
        """The wire bit the mutation hits (`quo[57]`), else the cell port."""
        if self.wire:
            return f"{self.wire.lstrip(chr(92))}[{self.wirebit}]"
        return f"{self.cell}.{self.port}[{self.portbit}]".replace(f"{REPO_ROOT}/", "")

    @property
    def location(self) -> str:
        """The most specific source location: the statement (last `src`), `file:line`."""
        for src in reversed(self.src):
            m = _SRC.match(src)
            if m:
                return f"{m['file']}:{m['line']}"
        return "(no source location)"

    def describe(self) -> str:
        how = {"inv": "inverted", "const0": "stuck at 0", "const1": "stuck at 1",
               "cnot0": f"xor with !bit {self.ctrlbit}", "cnot1": f"xor with bit {self.ctrlbit}"}
        return f"{self.signal} {how.get(self.mode, self.mode)} at {self.location}"

    def to_json(self) -> dict[str, object]:
        return {"index": self.index, "mode": self.mode, "module": self.module, "cell": self.cell, "port": self.port,
                "portbit": self.portbit, "ctrlbit": self.ctrlbit, "wire": self.wire, "wirebit": self.wirebit,
                "src": list(self.src), "signal": self.signal, "location": self.location,
                "description": self.describe()}


@dataclass(frozen=True)
class RunTimeMemory:
    """A memory whose contents a `$readmem` call loads when the simulation starts."""

    name: str
    file: str
    radix: str
    offset: int
    size: int


@dataclass
class MutantNetlist:
    """Everything `prepare` produced in its work directory."""

    dut: DutBuild
    workdir: Path
    mutations: list[Mutation]
    base_rtlil: Path
    base_json: Path
    mutants_verilog: Path
    wrapper_verilog: Path | None
    """None when one module was mutated in place (the top is the original one)."""
    memories: list[RunTimeMemory] = field(default_factory=list)
    hierarchy_kept: bool = False
    """Modules mutated in place (no wrapper), rather than the flattened top."""

    def module_in_file(self, module: str) -> str:
        """The name *module* has in `mutants.v` (the flattened top is renamed)."""
        return f"{module}{MUTANTS_SUFFIX}" if not self.hierarchy_kept and module == self.dut.toplevel else module

    def build(self) -> DutBuild:
        """The DutBuild of the wrapped mutant netlist: same top, ports, parameters, data files
        and test environment as the DUT, its own build directory."""
        args = [a for a in self.dut.build_args if not a.startswith(("-I", "+incdir"))]
        if self.dut.sim == "verilator":
            args += [a for a in ("-Wno-fatal", "-Wno-lint", "-Wno-style", "-Wno-UNOPTFLAT") if a not in args]
        netlist = [self.mutants_verilog] + ([self.wrapper_verilog] if self.wrapper_verilog else [])
        return replace(self.dut, name=f"{self.dut.name}{MUTANTS_SUFFIX}",
                       sources=[s for s in self.dut.sources if s.suffix not in HDL_SUFFIXES]
                       + netlist + bench_sources(self.dut), includes=[], defines={},
                       build_args=args, build_root=self.dut.root)


def _shown_src(src: str) -> str:
    """A yosys `src` tag with the checkout's path prefix removed."""
    try:
        head, _, rest = src.partition(":")
        return f"{Path(head).resolve().relative_to(REPO_ROOT)}:{rest}"
    except ValueError:
        return src


def run_yosys(script: str, workdir: Path, name: str, timeout_s: float = YOSYS_TIMEOUT_S,
              cpu_budget_s: float = 0.0) -> Path:
    """Run *script* in *workdir* within *cpu_budget_s* CPU seconds (0: none) and *timeout_s*
    wall seconds; returns the log, raises MutateError naming it on failure or a limit."""
    path = workdir / f"{name}.ys"
    path.write_text(script)
    log = workdir / f"{name}.log"
    res = run_measured([yosys_binary(), "-q", "-l", str(log.with_suffix(".yosys.log")), "-s", str(path)],
                       cwd=workdir, output=log, timeout_s=timeout_s, cpu_budget_s=cpu_budget_s)
    if res.timed_out:
        raise MutateError(f"yosys {name}: {res.limit_message(cpu_budget_s, timeout_s)} (log {log})")
    if res.returncode != 0:
        tail = log.read_text(errors="replace").strip().splitlines()[-5:]
        raise MutateError(f"yosys {name} failed (exit {res.returncode}, log {log}): " + " | ".join(tail))
    return log


def _read_commands(dut: DutBuild) -> str:
    defines = " ".join(f"-D{k}={v}" if v is not None else f"-D{k}" for k, v in dut.defines.items())
    incdirs = " ".join(f"-I{d}" for d in dut.includes)
    lines = []
    for src in hdl_sources(dut):
        sv = "-sv " if src.suffix in (".sv", ".svh") else ""
        lines.append(f"read_verilog {sv}{defines} {incdirs} {src}".replace("  ", " "))
    chparams = " ".join(f"-chparam {k} {_param_value(v)}" for k, v in dut.parameters.items())
    return "\n".join(lines) + f"\nhierarchy -check -top {dut.toplevel} {chparams}\n"


_BIND = re.compile(r"^\s*bind\s+\w", re.M)


def bench_sources(dut: DutBuild) -> list[Path]:
    """HDL sources that `bind` verification code into the design (a generated clock, an
    assertion module): built with every mutant, never mutated."""
    return [s for s in dut.sources if s.suffix in HDL_SUFFIXES and _BIND.search(s.read_text(errors="replace"))]


def hdl_sources(dut: DutBuild) -> list[Path]:
    """The design's Verilog/SystemVerilog sources yosys reads (not simulator control files
    such as `.vlt`, not `bench_sources`)."""
    bench = set(bench_sources(dut))
    return [s for s in dut.sources if s.suffix in HDL_SUFFIXES and s not in bench]


def _param_value(value: object) -> str:
    return f'"{value}"' if isinstance(value, str) else str(int(value))  # type: ignore[arg-type]


FILTER_KEYS = ("mode", "module", "cell", "port", "wire", "src")
"""What `--only KEY=VALUE` may restrict the sample to (yosys `mutate -list` filters)."""


def prepare(dut: DutBuild, workdir: Path, count: int, seed: int,
            only: dict[str, str] | None = None, keep_hierarchy: bool = False) -> MutantNetlist:
    """Elaborate *dut*, sample *count* mutations with *seed* (among those matching *only*)
    and write the mutant netlist: flattened and wrapped, or with *keep_hierarchy* (implied
    by a `module` in *only*) the hierarchy with its modules mutated in place."""
    workdir.mkdir(parents=True, exist_ok=True)
    sources = hdl_sources(dut)
    if not sources:
        raise MutateError(f"{dut.name}: no Verilog sources to mutate among {[s.name for s in dut.sources]}")
    _stage_memory_files(dut, sources, workdir)
    top = dut.toplevel
    in_place = keep_hierarchy or "module" in (only or {})
    flatten = "" if in_place else "flatten\n"
    run_yosys(_read_commands(dut) + f"proc\n{flatten}opt\nwrite_json design.json\n", workdir, "elaborate")
    modules = json.loads((workdir / "design.json").read_text())["modules"]
    for name in {top, (only or {}).get("module") or top}:
        if name not in modules:
            known = ", ".join(sorted(m for m in modules if not m.startswith("$")))
            raise MutateError(f"{dut.name}: yosys elaborated no module {name!r} below {top!r} (modules: {known})")
    memories = {name: _run_time_memories(modules[name]) for name in (modules if in_place else [top])}
    drop = "".join(sorted({f"delete t:$meminit* r:MEMID={_rtlil_id(m.name)} %i\n"
                           for mems in memories.values() for m in mems}))
    run_yosys(_read_commands(dut) + f"proc\n{flatten}opt\n" + drop
              + "memory_collect\nwrite_rtlil base.il\nwrite_json base.json\n" + f"mutate -list {count} -seed {seed} -o mutations.txt"
              + "".join(f" -{k} {v}" for k, v in (only or {}).items()) + "\n",
              workdir, "sample")
    lines = [ln for ln in (workdir / "mutations.txt").read_text().splitlines() if ln.startswith("mutate ")]
    mutations = [Mutation.parse(i + 1, ln) for i, ln in enumerate(lines)]
    if not mutations:
        raise MutateError(f"{dut.name}: yosys found nothing to mutate"
                          + (f" matching {only}" if only else "") + f" (log {workdir / 'sample.log'})")
    width = max(1, len(mutations).bit_length())
    apply = "".join(f"{m.command()} -ctrl {CONTROL} {width} {m.index}\n" for m in mutations)
    mutants_v = workdir / "mutants.v"
    if in_place:
        # `mutate -ctrl` routes the control input up through every parent to the top; there
        # it becomes a register read from the plusarg.
        run_yosys(f"read_rtlil base.il\n{apply}delete -port {_rtlil_id(top)}/{CONTROL}\n"
                  f"write_verilog -noattr mutants.v\n", workdir, "apply")
        _control_from_plusarg(mutants_v, top, width, dut.parameters)
        wrapper = None
    else:
        run_yosys(f"read_rtlil base.il\n{apply}rename {top} {top}{MUTANTS_SUFFIX}\n"
                  f"write_verilog -noattr mutants.v\n", workdir, "apply")
        wrapper = workdir / "wrapper.v"
        wrapper.write_text(_wrapper(top, modules[top]["ports"], dut.parameters, width))
    for name, mems in memories.items():
        if mems:
            _attach_readmem(mutants_v, name if in_place else f"{top}{MUTANTS_SUFFIX}", mems)
    return MutantNetlist(dut, workdir, mutations, workdir / "base.il", workdir / "base.json", mutants_v, wrapper,
                         [m for mems in memories.values() for m in mems], hierarchy_kept=in_place)


def module_span(text: str, module: str, path: Path) -> tuple[int, int]:
    """Start and `endmodule` offsets of *module* in yosys' Verilog *text*."""
    start = -1
    for head in (f"module {verilog_id(module)}(", f"module {verilog_id(module)} ", f"module {verilog_id(module)}\n"):
        start = text.find(head)
        if start >= 0:
            break
    end = text.find("endmodule", start)
    if start < 0 or end < 0:
        raise MutateError(f"{path}: module {module} not found in the written netlist")
    return start, end


def _control_from_plusarg(path: Path, module: str, width: int, parameters: dict[str, object]) -> None:
    """Turn *module*'s undriven control wire into a register set from `+LDV_MUTANT=<i>`, and
    declare the top's *parameters* again (already applied; the build still sets them)."""
    text = path.read_text()
    start, end = module_span(text, module, path)
    body = text[start:end]
    decl = re.search(rf"^\s*wire (\[\d+:0\] )?{CONTROL};\n", body, re.M)
    if decl is None:
        raise MutateError(f"{path}: no {CONTROL} wire in module {module} (yosys mutate -ctrl did not add it)")
    reg = "".join(f"  parameter {k} = {_param_value(v)};\n" for k, v in parameters.items())
    reg += (f"  reg [{width - 1}:0] {CONTROL};\n  initial begin\n    {CONTROL} = 0;\n"
           f"    if (!$value$plusargs(\"{PLUSARG}=%d\", {CONTROL})) {CONTROL} = 0;\n  end\n")
    body = body[:decl.start()] + reg + body[decl.end():]
    path.write_text(text[:start] + body + text[end:])


def _stage_memory_files(dut: DutBuild, sources: list[Path], workdir: Path) -> None:
    """Put every `$readmem` file where yosys looks (its working directory): the DUT's data
    files (a Vitis export's ROM `.dat`), else the file next to the sources, else synthetic
    contents of the declared shape (the contents only matter for elaboration: the
    mutant netlist reads the real file at run time)."""
    for data in dut.data_files:
        if data.is_file():
            (workdir / data.name).write_bytes(data.read_bytes())
    try:
        stage_mem_inits(sources, sources[0].parent, workdir)
    except MemInitError as exc:
        missing = sorted({m[2] for s in sources for m in READMEM.finditer(s.read_text(errors="replace"))
                          if not (workdir / m[2]).is_file()})
        if missing:
            raise MutateError(f"{dut.name}: memory file(s) {', '.join(missing)} not found and not writable "
                              f"from the declaration ({exc}); list them as data_files") from None


def _rtlil_id(name: str) -> str:
    return name if name.startswith("\\") else "\\" + name


def _run_time_memories(module: dict) -> list[RunTimeMemory]:
    """Memories initialised from a `$readmem` call: their `$meminit` cells point at it."""
    found: dict[str, RunTimeMemory] = {}
    shapes = module.get("memories", {})
    for cell in module["cells"].values():
        if not cell["type"].startswith("$meminit"):
            continue
        memid = cell["parameters"]["MEMID"]
        call = _readmem_at(cell.get("attributes", {}).get("src", ""))
        if call is None or memid in found:
            continue
        shape = shapes.get(memid.lstrip("\\"), {})
        found[memid] = RunTimeMemory(memid, call[1], call[0], int(shape.get("start_offset", 0)),
                                     int(shape.get("size", 0)))
    return list(found.values())


def _readmem_at(src: str) -> tuple[str, str] | None:
    """(radix, file) of the `$readmem` call at the start of a yosys `src` tag."""
    m = _SRC.match(src.split("|")[0])
    if not m or not Path(m["file"]).is_file():
        return None
    lines = Path(m["file"]).read_text(errors="replace").splitlines()
    line = int(m["line"])
    call = READMEM.search(" ".join(lines[line - 1:line + 1])) if 0 < line <= len(lines) else None
    return (call[1], call[2]) if call else None


def verilog_id(name: str) -> str:
    name = name[1:] if name.startswith("\\") else name
    return name if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_$]*", name) else f"\\{name} "


def _attach_readmem(path: Path, module: str, memories: list[RunTimeMemory]) -> None:
    """Insert the run-time `$readmem` calls before the end of *module* in *path*."""
    text = path.read_text()
    _, end = module_span(text, module, path)
    calls = "".join(f'    $readmem{m.radix}("{m.file}", {verilog_id(m.name)}'
                    + (f", {m.offset}, {m.offset + m.size - 1});\n" if m.size else ");\n") for m in memories)
    path.write_text(text[:end] + "  initial begin\n" + calls + "  end\n" + text[end:])


def _wrapper(top: str, ports: dict[str, dict], parameters: dict[str, object], width: int) -> str:
    """The module *top* with the original ports (and parameters, already applied to the
    netlist) around the mutant netlist, selecting the mutant from `+LDV_MUTANT=<i>`."""
    decls, conns = [], []
    for name, port in ports.items():
        bits = len(port["bits"])
        rng = f" [{bits - 1 + port.get('offset', 0)}:{port.get('offset', 0)}]" if bits > 1 else ""
        direction = {"input": "input", "output": "output", "inout": "inout"}[port["direction"]]
        decls.append(f"  {direction} wire{rng} {verilog_id(name)}")
        conns.append(f"    .{verilog_id(name)}({verilog_id(name)})")
    conns.append(f"    .{CONTROL}({CONTROL})")
    params = ""
    if parameters:
        params = " #(\n" + ",\n".join(f"  parameter {k} = {_param_value(v)}" for k, v in parameters.items()) + "\n)"
    return (f"// llama-dv mutate: {top} around its mutants; +{PLUSARG}=<i> selects mutant i (0: none).\n"
            f"// Parameters were applied when the netlist was elaborated; they are kept for the build.\n"
            f"module {top}{params} (\n" + ",\n".join(decls) + "\n);\n"
            f"  reg [{width - 1}:0] {CONTROL};\n"
            f"  initial begin\n    {CONTROL} = 0;\n"
            f"    if (!$value$plusargs(\"{PLUSARG}=%d\", {CONTROL})) {CONTROL} = 0;\n  end\n"
            f"  {top}{MUTANTS_SUFFIX} mutants (\n" + ",\n".join(conns) + "\n  );\nendmodule\n")
