"""Static timing of the mapped UltraScale+ netlist with the delay model of
`timing_model.py`: the clock estimate of `make synth`.

The netlist is the flow's `write_json` of the flattened, mapped top. Every flip-flop,
block RAM, DSP48E2 pipeline register and top-level port starts and ends paths; LUTs,
CARRY8 chains, MUXF7/8/9, unregistered DSP stages and LUT-RAM reads are the arcs between.
The longest path, with the RTL source lines its nets carry, is the worst path; its delay
gives the estimated Fmax and the band against the target clock.
"""
from __future__ import annotations

import json
import math
import re
from collections import defaultdict, deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from .timing_model import (DEFAULT_TARGET_MHZ, NET_FANOUT_CAP, NET_FANOUT_FREE, Delays, band,
                           describe)


class NetlistError(ValueError):
    """The mapped netlist is missing or has no top module (names the file)."""


_LUT = re.compile(r"^LUT[1-6](_2)?$")
_MUXF = re.compile(r"^MUXF[789]$")
_FF = re.compile(r"^(FD[RSCP]E|LD[CP]E)(_1)?$")
_BRAM = re.compile(r"^RAMB(18|36)E[12]$")
_URAM = re.compile(r"^URAM288(_BASE)?$")
_LUTRAM = re.compile(r"^RAM\d+(X\d+[SDQ]|M\d*|X16DR8)(_1)?$")
_SRL = re.compile(r"^SRLC?(16|32)E?$")
_PASS = re.compile(r"^(I|O|IO)BUF|^BUFG|^OBUFT|^IBUFG")
_CONST = ("GND", "VCC")
_CARRY = ("CARRY8", "CARRY4")
_CLOCK_PINS = re.compile(r"^(C|CLK|CLKARDCLK|CLKBWRCLK|WCLK|CLK_A|CLK_B)$")
_FF_CTRL = re.compile(r"^(CE|R|S|CLR|PRE|G|GE)$")
_SRC_REF = re.compile(r"([\w.-]+\.s?v):(\d+)")
_SRC_FILE_LINE = re.compile(r"([^|\s]+\.s?v):(\d+)")
LINE_TEXT_KEPT = 160
_DSP_CASCADE_IN = ("ACIN", "BCIN", "PCIN", "CARRYCASCIN", "MULTSIGNIN")
PATHS_KEPT = 5
SOURCES_KEPT = 24


def _int_param(value: object, default: int = 0) -> int | str:
    if value is None:
        return default
    text = str(value)
    if re.fullmatch(r"[01]+", text):
        return int(text, 2)
    if text.lstrip("-").isdigit():
        return int(text)
    return text.strip()


@dataclass
class _Graph:
    """Arcs between nodes (net bits and per-cell internal nodes), start and end points."""

    succ: dict[int, list[tuple[int, float, int]]] = field(default_factory=lambda: defaultdict(list))
    starts: dict[int, tuple[float, int]] = field(default_factory=dict)
    ends: list[tuple[int, float, int, str]] = field(default_factory=list)
    cells: list[tuple[str, str, str]] = field(default_factory=list)  # (name, type, RTL src)
    next_id: int = 1 << 40

    def node(self) -> int:
        self.next_id += 1
        return self.next_id

    def arc(self, u: int, v: int, w: float, cell: int) -> None:
        self.succ[u].append((v, w, cell))

    def start(self, v: int, t: float, cell: int) -> None:
        if v not in self.starts or self.starts[v][0] < t:
            self.starts[v] = (t, cell)

    def end(self, u: int, extra: float, cell: int, what: str) -> None:
        self.ends.append((u, extra, cell, what))


def _top_module(netlist: dict, path: Path) -> tuple[str, dict]:
    for name, mod in netlist.get("modules", {}).items():
        if str(mod.get("attributes", {}).get("top", "0")).strip("0") != "":
            return name, mod
    raise NetlistError(f"{path}: no module with the `top` attribute")


class _Builder:
    """Turns the cells of the top module into arcs, start points and end points."""

    def __init__(self, mod: dict, d: Delays) -> None:
        self.mod, self.d, self.g = mod, d, _Graph()
        self.driver_type: dict[int, str] = {}
        self.fanout: dict[int, int] = defaultdict(int)
        self.unmodelled: dict[str, int] = defaultdict(int)
        for cell in mod["cells"].values():
            dirs = cell.get("port_directions", {})
            for port, bits in cell["connections"].items():
                for b in bits:
                    if not isinstance(b, int):
                        continue
                    if dirs.get(port) == "output":
                        self.driver_type[b] = cell["type"]
                    elif dirs.get(port) == "input":
                        self.fanout[b] += 1
        for pname, port in mod.get("ports", {}).items():
            for b in port["bits"]:
                if isinstance(b, int):
                    if port["direction"] == "input":
                        self.driver_type[b] = "<port>"
                    else:
                        self.fanout[b] += 1

    def net(self, bit: int, sink_type: str, sink_port: str) -> float | None:
        """Delay of the net from `bit`'s driver into a pin; None for constants/undriven."""
        drv = self.driver_type.get(bit)
        if drv is None or drv in _CONST:
            return None
        d = self.d
        if drv == "<port>" or _PASS.match(drv) or _PASS.match(sink_type) or sink_type == "INV":
            return 0.0
        if sink_port in _DSP_CASCADE_IN or sink_port.startswith("CAS"):
            return 0.0
        if sink_type in _CARRY and sink_port == "CI" and drv in _CARRY:
            return 0.0
        if sink_type in _CARRY and sink_port in ("S", "DI") and _LUT.match(drv):
            return d.net_local
        if _MUXF.match(sink_type) and sink_port in ("I0", "I1") and (_LUT.match(drv) or _MUXF.match(drv)):
            return d.net_local
        extra = 0.0
        fo = self.fanout.get(bit, 1)
        if fo > NET_FANOUT_FREE:
            extra = min(d.net_fanout_step * math.log2(fo / NET_FANOUT_FREE), NET_FANOUT_CAP)
        return d.net + extra

    def _into(self, bit: int, cell: dict, port: str, v: int, w: float, ci: int) -> None:
        n = self.net(bit, cell["type"], port)
        if n is not None:
            self.g.arc(bit, v, n + w, ci)

    def _endpoint(self, bit: int, cell: dict, port: str, setup: float, ci: int, what: str) -> None:
        n = self.net(bit, cell["type"], port)
        if n is not None:
            self.g.end(bit, n + setup, ci, what)

    def build(self) -> _Graph:
        d, g = self.d, self.g
        for pname, port in self.mod.get("ports", {}).items():
            for b in port["bits"]:
                if not isinstance(b, int):
                    continue
                if port["direction"] == "input":
                    g.start(b, d.ff_clk_to_q, -1)
                else:
                    g.end(b, d.ff_setup, -1, f"output port {pname}")
        for name, cell in self.mod["cells"].items():
            ctype = cell["type"]
            g.cells.append((name, ctype, _rtl_src(cell)))
            ci = len(g.cells) - 1
            if ctype in _CONST:
                continue
            if _LUT.match(ctype) or _MUXF.match(ctype) or ctype == "INV" or _PASS.match(ctype):
                # An inverter is absorbed into the LUT or carry it drives (as Vivado does):
                # no delay of its own, and the net into it is the net out of it.
                delay = 0.0 if _PASS.match(ctype) or ctype == "INV" else d.muxf if _MUXF.match(ctype) else d.lut
                self._comb(cell, ci, delay)
            elif ctype in ("CARRY8", "CARRY4"):
                self._carry(cell, ci)
            elif _FF.match(ctype):
                self._ff(cell, ci)
            elif _BRAM.match(ctype):
                self._bram(cell, ci)
            elif _URAM.match(ctype):
                self._memory(cell, ci, lambda port: d.uram_clk_to_out_reg
                             if _int_param(cell.get("parameters", {}).get(f"OREG_{port[-1]}")) in ("TRUE", 1)
                             else d.uram_clk_to_out, d.bram_setup, "URAM288")
            elif ctype == "DSP48E2":
                self._dsp(cell, ci)
            elif _LUTRAM.match(ctype):
                self._lutram(cell, ci)
            elif _SRL.match(ctype):
                self._srl(cell, ci)
            else:
                self.unmodelled[ctype] += 1
                self._memory(cell, ci, lambda port: d.ff_clk_to_q, d.ff_setup, ctype)
        return g

    def _pins(self, cell: dict, direction: str) -> Iterable[tuple[str, int, int]]:
        dirs = cell.get("port_directions", {})
        for port, bits in cell["connections"].items():
            if dirs.get(port) == direction and not _CLOCK_PINS.match(port):
                for i, b in enumerate(bits):
                    if isinstance(b, int):
                        yield port, i, b

    def _comb(self, cell: dict, ci: int, delay: float) -> None:
        outs = [b for _, _, b in self._pins(cell, "output")]
        for port, _, b in self._pins(cell, "input"):
            for o in outs:
                self._into(b, cell, port, o, delay, ci)

    def _carry(self, cell: dict, ci: int) -> None:
        """CARRY8 or CARRY4: a ripple of per-bit carries; S/DI enter at their bit, CI (or
        CYINIT) at bit 0, each carry leaves as CO and, with the next S, as O."""
        d, g, conn = self.d, self.g, cell["connections"]
        width = len(conn.get("S", [])) or 8
        carry = [g.node() for _ in range(width)]
        prev_bits = [b for port in ("CI", "CYINIT") for b in conn.get(port, []) if isinstance(b, int)]
        for i in range(width):
            for port in ("S", "DI"):
                bits = conn.get(port, [])
                if i < len(bits) and isinstance(bits[i], int):
                    self._into(bits[i], cell, port, carry[i], d.carry_entry, ci)
                    if port == "S" and i < len(conn.get("O", [])) and isinstance(conn["O"][i], int):
                        self._into(bits[i], cell, port, conn["O"][i], d.carry_sum, ci)
            if i == 0:
                for b in prev_bits:
                    self._into(b, cell, "CI", carry[0], d.carry_bit, ci)
                    if conn.get("O") and isinstance(conn["O"][0], int):
                        self._into(b, cell, "CI", conn["O"][0], d.carry_sum, ci)
            else:
                g.arc(carry[i - 1], carry[i], d.carry_bit, ci)
                if i < len(conn.get("O", [])) and isinstance(conn["O"][i], int):
                    g.arc(carry[i - 1], conn["O"][i], d.carry_sum, ci)
            if i < len(conn.get("CO", [])) and isinstance(conn["CO"][i], int):
                g.arc(carry[i], conn["CO"][i], 0.0, ci)

    def _ff(self, cell: dict, ci: int) -> None:
        d = self.d
        for port, _, b in self._pins(cell, "output"):
            self.g.start(b, d.ff_clk_to_q, ci)
        for port, _, b in self._pins(cell, "input"):
            ctrl = bool(_FF_CTRL.match(port))
            self._endpoint(b, cell, port, d.ff_setup_ctrl if ctrl else d.ff_setup, ci,
                           f"{cell['type']}.{port}")

    def _memory(self, cell: dict, ci: int, clk_to_out, setup: float, what: str) -> None:
        for port, _, b in self._pins(cell, "output"):
            self.g.start(b, clk_to_out(port), ci)
        for port, _, b in self._pins(cell, "input"):
            self._endpoint(b, cell, port, setup, ci, f"{what}.{port}")

    def _bram(self, cell: dict, ci: int) -> None:
        d, params = self.d, cell.get("parameters", {})

        def clk_to_out(port: str) -> float:
            side = "A" if "DOUTA" in port or "DOUTPA" in port else "B"
            return d.bram_clk_to_out_reg if _int_param(params.get(f"DO{side}_REG")) == 1 else d.bram_clk_to_out

        self._memory(cell, ci, clk_to_out, d.bram_setup, cell["type"])

    def _lutram(self, cell: dict, ci: int) -> None:
        """Distributed RAM: the read address passes through combinationally; every input
        (address included, it is also the write address) ends a path at the write clock."""
        d = self.d
        self._addressed(cell, ci, r"^(ADDR[A-H]|A\d?|DPRA\d?)$", d.lutram_clk_to_out, d.lutram_read, d.lutram_setup,
                        address_is_endpoint=True)

    def _srl(self, cell: dict, ci: int) -> None:
        """Shift register LUT: the tap address selects combinationally like a LUT; data and
        enable end a path at the clock."""
        d = self.d
        self._addressed(cell, ci, r"^A\d?$", d.srl_clk_to_out, d.lut, d.ff_setup, address_is_endpoint=False)

    def _addressed(self, cell: dict, ci: int, address: str, clk_to_out: float, read: float, setup: float, *,
                   address_is_endpoint: bool) -> None:
        outs = [b for _, _, b in self._pins(cell, "output")]
        for b in outs:
            self.g.start(b, clk_to_out, ci)
        for port, _, b in self._pins(cell, "input"):
            is_address = re.match(address, port) is not None
            for o in outs if is_address else ():
                self._into(b, cell, port, o, read, ci)
            if address_is_endpoint or not is_address:
                self._endpoint(b, cell, port, setup, ci, f"{cell['type']}.{port}")

    def _dsp(self, cell: dict, ci: int) -> None:
        """DSP48E2 as two internal stages (multiplier, ALU) cut by whichever of its input
        registers, MREG and PREG the netlist enables (DS923 stage delays)."""
        d, g, p = self.d, self.g, cell.get("parameters", {})
        reg = {k: _int_param(p.get(k), 1 if k.endswith("REG") else 0) for k in
               ("AREG", "BREG", "CREG", "DREG", "ADREG", "MREG", "PREG", "OPMODEREG",
                "ALUMODEREG", "INMODEREG", "CARRYINREG", "CARRYINSELREG")}
        use_mult = str(_int_param(p.get("USE_MULT"), 0)).upper() not in ("NONE",)
        mul, alu = g.node(), g.node()
        groups = {"A": "AREG", "ACIN": "AREG", "B": "BREG", "BCIN": "BREG", "D": "DREG",
                  "C": "CREG", "INMODE": "INMODEREG", "OPMODE": "OPMODEREG", "ALUMODE": "ALUMODEREG",
                  "CARRYIN": "CARRYINREG", "CARRYINSEL": "CARRYINSELREG"}
        for port, _, b in self._pins(cell, "input"):
            if port.startswith(("CE", "RST")):
                self._endpoint(b, cell, port, d.ff_setup_ctrl, ci, f"DSP48E2.{port}")
                continue
            group = groups.get(port)
            to_mult = use_mult and port in ("A", "ACIN", "B", "BCIN", "D", "INMODE")
            target, stage = (mul, d.dsp_mult) if to_mult else (alu, d.dsp_alu)
            if group and reg[group]:
                self._endpoint(b, cell, port, d.ff_setup, ci, f"DSP48E2.{port} ({group})")
                g.start(target, stage, ci)
            else:
                self._into(b, cell, port, target, stage, ci)
        if use_mult:
            if reg["MREG"]:
                g.end(mul, 0.0, ci, "DSP48E2 MREG")
                g.start(alu, d.dsp_alu, ci)
            else:
                g.arc(mul, alu, d.dsp_alu, ci)
        outs = [b for port, _, b in self._pins(cell, "output") if not port.startswith(("ACOUT", "BCOUT"))]
        if reg["PREG"]:
            g.end(alu, 0.0, ci, "DSP48E2 PREG")
            for b in outs:
                g.start(b, d.dsp_clk_to_out, ci)
        else:
            for b in outs:
                g.arc(alu, b, 0.0, ci)
        for port, _, b in self._pins(cell, "output"):
            if port.startswith(("ACOUT", "BCOUT")):
                g.start(b, d.dsp_clk_to_out, ci)


@dataclass(frozen=True)
class _Path:
    delay: float
    nodes: list[tuple[int, float, int]]  # (node, arrival, cell index that produced it)
    start_cell: int
    end_cell: int
    end_what: str


def _arrivals(g: _Graph) -> tuple[dict[int, float], dict[int, tuple[int, int]], int]:
    """Longest arrival per node (Kahn's order) and the arc that set it; nodes left in
    combinational loops are counted and skipped."""
    indeg: dict[int, int] = defaultdict(int)
    for u, arcs in g.succ.items():
        for v, _, _ in arcs:
            indeg[v] += 1
    arrival: dict[int, float] = {v: t for v, (t, _) in g.starts.items()}
    pred: dict[int, tuple[int, int]] = {}
    nodes = set(g.succ) | set(indeg) | set(g.starts)
    queue = deque(n for n in nodes if indeg[n] == 0)
    seen = 0
    while queue:
        u = queue.popleft()
        seen += 1
        au = arrival.get(u)
        for v, w, cell in g.succ.get(u, ()):
            if au is not None and (v not in arrival or au + w > arrival[v]):
                arrival[v] = au + w
                pred[v] = (u, cell)
            indeg[v] -= 1
            if indeg[v] == 0:
                queue.append(v)
    return arrival, pred, len(nodes) - seen


def _trace(g: _Graph, pred: dict[int, tuple[int, int]], arrival: dict[int, float], end: int) -> list[tuple[int, float, int]]:
    steps, node = [], end
    while node in pred:
        u, cell = pred[node]
        steps.append((node, arrival[node], cell))
        node = u
    start_cell = g.starts.get(node, (0.0, -1))[1]
    steps.append((node, arrival.get(node, 0.0), start_cell))
    return list(reversed(steps))


def _names_of_bits(mod: dict, bits: set[int]) -> dict[int, list[tuple[str, str]]]:
    """Net names (and their `src`) carrying each of `bits`."""
    out: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for name, net in mod.get("netnames", {}).items():
        for b in net["bits"]:
            if b in bits:
                out[b].append((name, str(net.get("attributes", {}).get("src", ""))))
    return out


def _rtl_src(cell: dict) -> str:
    """The RTL part of a mapped cell's `src` (yosys appends its own techmap library files,
    and LUTs from ABC carry only those)."""
    parts = str(cell.get("attributes", {}).get("src", "")).split("|")
    return "|".join(p for p in parts if p and "/share/" not in p)


def _source_refs(texts: Iterable[str]) -> list[str]:
    """`file:line` references in cell and net names and RTL `src` attributes, in path order."""
    seen: list[str] = []
    for text in texts:
        for piece in str(text).split("|"):
            if "/share/" in piece:
                continue
            for m in _SRC_REF.finditer(piece):
                ref = f"{m.group(1)}:{m.group(2)}"
                if ref not in seen:
                    seen.append(ref)
    return seen


def _line_texts(texts: Iterable[str], refs: list[str]) -> list[str]:
    """`file:line: text` for each of `refs`, read from the files the `src` attributes name:
    the path's RTL lines themselves (assignments with their net names, a Clash register's
    `<name>_register` block), which is what a reader and the sign-off's patterns look at."""
    files: dict[str, Path] = {}
    for text in texts:
        for piece in str(text).split("|"):
            if "/share/" in piece:
                continue
            for m in _SRC_FILE_LINE.finditer(piece):
                files.setdefault(Path(m.group(1)).name, Path(m.group(1)))
    lines: dict[Path, list[str]] = {}
    out = []
    for ref in refs:
        name, _, num = ref.rpartition(":")
        path = files.get(name)
        if path is None:
            continue
        if path not in lines:
            try:
                lines[path] = path.read_text(errors="replace").splitlines()
            except OSError:
                lines[path] = []
        body = lines[path]
        if 0 < int(num) <= len(body):
            out.append(f"{ref}: {' '.join(body[int(num) - 1].split())[:LINE_TEXT_KEPT]}")
    return out


def _describe_path(mod: dict, g: _Graph, path: _Path, period_ns: float) -> dict:
    bits = {n for n, _, _ in path.nodes if n < (1 << 40)}
    names = _names_of_bits(mod, bits)
    cells = [path.nodes[0][2]] + [c for _, _, c in path.nodes[1:]]
    elements, last = [], None
    for (node, t, c) in path.nodes:
        if c != last:
            name, ctype = g.cells[c][:2] if c >= 0 else ("<port>", "port")
            elements.append({"cell": name, "type": ctype, "at_ns": round(t, 3)})
            last = c
    types = [g.cells[c][1] for c in dict.fromkeys(cells) if c >= 0]
    texts: list[str] = []
    rtl: list[str] = []
    for node, _, c in path.nodes:
        if c >= 0:
            texts += [g.cells[c][0], g.cells[c][2]]
        for name, src in names.get(node, []):
            texts += [name, src]
            if not name.startswith("$") and name.split(" [")[0] not in rtl:
                rtl.append(name.split(" [")[0])
    sources = _source_refs(texts)[:SOURCES_KEPT]
    start = g.cells[path.start_cell][:2] if path.start_cell >= 0 else ("<input port>", "port")
    end = g.cells[path.end_cell][:2] if path.end_cell >= 0 else ("<output port>", "port")
    return {
        "delay_ns": round(path.delay, 3),
        "fmax_mhz": round(1000.0 / path.delay, 1) if path.delay > 0 else None,
        "band": band(path.delay, period_ns),
        "start": f"{start[1]} {start[0]}", "end": f"{path.end_what} {end[0]}",
        "lut_levels": sum(1 for t in types if _LUT.match(t)),
        "carry_cells": sum(1 for t in types if t in _CARRY),
        "muxf": sum(1 for t in types if _MUXF.match(t)),
        "dsp_stages": sum(1 for t in types if t == "DSP48E2"),
        "lutram_reads": sum(1 for t in types if _LUTRAM.match(t)),
        "sources": sources,
        "source_lines": _line_texts(texts, sources),
        "modules": list(dict.fromkeys(s.split(":")[0].rsplit(".", 1)[0] for s in sources)),
        "rtl_nets": rtl[:SOURCES_KEPT],
        "elements": elements,
    }


def _register_usage(mod: dict) -> dict:
    """How many DSP48E2 use MREG/PREG and how many block RAM ports their output register."""
    dsp = {"total": 0, "mreg": 0, "preg": 0, "fully_registered": 0}
    bram = {"total": 0, "output_registered": 0}
    for cell in mod["cells"].values():
        p = cell.get("parameters", {})
        if cell["type"] == "DSP48E2":
            m, pr = _int_param(p.get("MREG"), 1) == 1, _int_param(p.get("PREG"), 1) == 1
            ins = all(_int_param(p.get(k), 1) >= 1 for k in ("AREG", "BREG"))
            dsp["total"] += 1
            dsp["mreg"] += m
            dsp["preg"] += pr
            dsp["fully_registered"] += m and pr and ins
        elif _BRAM.match(cell["type"]):
            bram["total"] += 1
            used = [s for s in ("A", "B") if any(isinstance(b, int) for port, bits in cell["connections"].items()
                                                 if port.startswith((f"DOUT{s}", f"DOUTP{s}")) for b in bits)]
            bram["output_registered"] += bool(used) and all(_int_param(p.get(f"DO{s}_REG")) == 1 for s in used)
    return {"dsp48e2": dsp, "block_ram": bram}


def _worst_by_module(g: _Graph, pred: dict[int, tuple[int, int]], arrival: dict[int, float],
                     best: dict[object, tuple[float, int, str, int]], period: float) -> dict[str, dict]:
    """Per RTL source file (a Clash component's module), the worst path that runs through
    one of its cells: where the clock is lost besides the single worst path (what to
    pipeline next). Only paths that miss the target are traced."""
    out: dict[str, dict] = {}
    for total, node, what, cell in sorted(best.values(), key=lambda v: -v[0]):
        if total <= period:
            break
        files = set()
        for _, _, c in _trace(g, pred, arrival, node):
            if c >= 0 and g.cells[c][2]:
                files |= {m.group(1).rsplit(".", 1)[0] for m in _SRC_REF.finditer(g.cells[c][2])}
        for f in files:
            if f not in out:
                out[f] = {"delay_ns": round(total, 3), "fmax_mhz": round(1000.0 / total, 1),
                          "band": band(total, period), "end": what}
    return dict(sorted(out.items(), key=lambda kv: -kv[1]["delay_ns"]))


def estimate_clock(netlist_path: Path, target_mhz: float = DEFAULT_TARGET_MHZ,
                   delays: Delays = Delays()) -> dict:
    """The clock estimate of one mapped netlist: worst path (delay, band, RTL sources),
    estimated Fmax, the next worst endpoints, register usage, and the model used."""
    try:
        netlist = json.loads(netlist_path.read_text())
    except OSError as exc:
        raise NetlistError(f"{netlist_path}: cannot read: {exc.strerror}") from exc
    except ValueError as exc:
        raise NetlistError(f"{netlist_path}: not JSON: {exc}") from exc
    _, mod = _top_module(netlist, netlist_path)
    builder = _Builder(mod, delays)
    g = builder.build()
    arrival, pred, looped = _arrivals(g)
    period = 1000.0 / target_mhz
    best_per_cell: dict[object, tuple[float, int, str, int]] = {}
    failing = 0
    for node, extra, cell, what in g.ends:
        if node not in arrival:
            continue
        total = arrival[node] + extra + delays.clock_margin
        failing += total > period
        # One entry per register (all bits of an RTL register share its `src`) or port.
        key = (g.cells[cell][2] or g.cells[cell][0]) if cell >= 0 else what
        if key not in best_per_cell or best_per_cell[key][0] < total:
            best_per_cell[key] = (total, node, what, cell)
    report = {"model": "UltraScale+ -2 delay model (regress/yosys/timing_model.py)",
              "not_vivado": "an estimate from the mapped netlist without placement; not a Vivado figure",
              "target_mhz": target_mhz, "period_ns": round(period, 3),
              "constants": describe(delays), "register_usage": _register_usage(mod),
              "unmodelled_cells": dict(builder.unmodelled), "combinational_loop_nodes": looped,
              "endpoints": len(g.ends), "failing_endpoints": failing}
    if not best_per_cell:
        report.update(fmax_mhz=None, band="no path", worst_path=None, next_paths=[])
        return report
    report["worst_by_module"] = _worst_by_module(g, pred, arrival, best_per_cell, period)
    ranked = sorted(best_per_cell.items(), key=lambda kv: -kv[1][0])[:PATHS_KEPT]
    paths = []
    for _, (total, node, what, cell) in ranked:
        steps = _trace(g, pred, arrival, node)
        paths.append(_describe_path(mod, g, _Path(total, steps, steps[0][2], cell, what), period))
    worst = paths[0]
    report.update(fmax_mhz=worst["fmax_mhz"], band=worst["band"], worst_path=worst,
                  next_paths=[{k: p[k] for k in ("delay_ns", "band", "start", "end", "lut_levels",
                                                 "carry_cells", "sources")} for p in paths[1:]])
    return report
