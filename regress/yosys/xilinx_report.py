"""Turn the files of one `synth_xilinx` run into the per-top report (resources, memories,
multipliers, logic depth). Field meanings are documented in docs/synthesis.md."""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Mapping

from .meminit import MemInitError, declared_shape
from .yosys_output import (DumpedCell, frontend_mem2reg, is_constant_signal, memory_mapping_log,
                           read_cells, read_ltp, read_stat_json)

CELL_CLASSES_FILE = Path(__file__).with_name("cell_classes.json")
"""Cell types of the mapped netlist, by resource class (UltraScale+ primitives): data, not code."""
_CLASSES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern)) for name, pattern in json.loads(CELL_CLASSES_FILE.read_text())["classes"].items())

# Attribute the flow's block-RAM policy puts on the memories it marked (see flow.py).
POLICY_ATTRIBUTE = "block_ram_policy"
EXPRESSION_CHARS = 160

# Cells that cut combinational paths for the logic-depth estimate (see the .ys template).
SEQUENTIAL_CELL_PATTERNS = ("FD*", "LD*", "RAMB*", "DSP48E*", "RAM32M*", "RAM64M*", "RAM32X*",
                            "RAM64X*", "RAM128X*", "RAM256X*", "RAM512X*", "URAM288*", "SRL*",
                            "*BUF*")


def sequential_selection() -> str:
    """Yosys selection suffix removing sequential, memory, DSP and I/O cells from `t:*`."""
    return " ".join(f"t:{p} %d" for p in SEQUENTIAL_CELL_PATTERNS)


def resource_counts(cells_by_type: Mapping[str, int]) -> dict[str, int]:
    """LUT/FF/DSP/RAMB18/RAMB36/URAM/LUTRAM/... counts from mapped cell types."""
    counts = {name: 0 for name, _ in _CLASSES}
    counts["other"] = 0
    for ctype, n in cells_by_type.items():
        for name, pat in _CLASSES:
            if pat.match(ctype):
                counts[name] += n
                break
        else:
            counts["other"] += n
    counts["bram"] = counts["ramb18"] + counts["ramb36"]
    counts["bram36_equivalent"] = counts["ramb36"] + (counts["ramb18"] + 1) // 2
    return counts


def _became(decision: str | None) -> str:
    if decision is None:
        return "unknown"
    if decision == "FF":
        return "logic"
    if "URAM" in decision:
        return "ultra_ram"
    if "BLOCKRAM" in decision or "BRAM" in decision:
        return "block_ram"
    if "LUTRAM" in decision:
        return "lut_ram"
    return decision


def memories(mem_cells: list[DumpedCell], log_text: str, sources: list[Path]) -> list[dict]:
    """Every memory seen by synthesis: its shape and what it became after mapping."""
    decisions = memory_mapping_log(log_text)
    out = []
    for cell in mem_cells:
        memid = cell.parameters.get("MEMID", cell.name)
        depth, width = cell.int_param("SIZE"), cell.int_param("WIDTH")
        decision = decisions.get(f"{cell.module}.{memid}")
        style = cell.attributes.get("ram_style") or cell.attributes.get("rom_style")
        style_from = "flow policy" if POLICY_ATTRIBUTE in cell.attributes else ("rtl" if style else None)
        out.append({
            "name": memid, "module": cell.module, "depth": depth, "width": width,
            "bits": depth * width, "shape": f"{depth}x{width}",
            "read_ports": cell.int_param("RD_PORTS"), "write_ports": cell.int_param("WR_PORTS"),
            "rom": cell.int_param("WR_PORTS") == 0,
            "ram_style": style, "style_from": style_from,
            "became": _became(decision), "mapped_via": decision, "src": cell.attributes.get("src"),
        })
    texts = {p.name: p.read_text(errors="replace") for p in sources}
    for memid, where in frontend_mem2reg(log_text):
        depth = width = None
        text = texts.get(where.split(":")[0])
        if text is not None:
            try:
                depth, width = declared_shape(text, memid, where)
            except MemInitError:
                pass
        out.append({
            "name": memid, "module": None, "depth": depth, "width": width,
            "bits": depth * width if depth and width else None,
            "shape": f"{depth}x{width}" if depth else None, "read_ports": None, "write_ports": None,
            "rom": None, "ram_style": None, "style_from": None, "became": "registers", "mapped_via": "frontend mem2reg",
            "src": where,
        })
    return sorted(out, key=lambda m: (m["became"], m["name"]))


def _instance_counts(modules: Mapping[str, dict], top: str) -> dict[str, int]:
    """How many times each module is instantiated under `top` (top counts once)."""
    memo: dict[str, dict[str, int]] = {}

    def below(mod: str) -> dict[str, int]:
        if mod not in memo:
            acc: dict[str, int] = {mod: 1}
            for ctype, n in modules.get(mod, {}).get("num_cells_by_type", {}).items():
                child = ctype[1:] if ctype.startswith("\\") else ctype
                if child in modules and child != mod:
                    for m, k in below(child).items():
                        acc[m] = acc.get(m, 0) + n * k
            memo[mod] = acc
        return memo[mod]

    return below(top)


def _source_line(src: str | None, texts: Mapping[str, list[str]]) -> tuple[str | None, str | None]:
    """(`file:line`, that line's text) of a yosys `src` attribute such as `a.v:12.3-12.40`."""
    if not src:
        return None, None
    first = src.split("|")[0]
    fname, _, pos = first.rpartition(":")
    line = pos.split(".")[0]
    if not fname or not line.isdigit():
        return first, None
    lines = texts.get(Path(fname).name)
    text = lines[int(line) - 1].strip() if lines and 0 < int(line) <= len(lines) else None
    return f"{Path(fname).name}:{line}", text[:EXPRESSION_CHARS] if text else None


def multiplier_sites(cells: list[dict], instances: Mapping[str, int],
                     sources: list[Path]) -> list[dict]:
    """`$mul` cells grouped by source line: a generate loop or vector `map` gives one site
    with many cells, a shared multiplier one site with one cell. `count` is hierarchy-
    expanded; `expression` is the source line, for telling the datapaths apart."""
    texts = {p.name: p.read_text(errors="replace").splitlines() for p in sources}
    sites: dict[tuple[str, str | None, bool], dict] = {}
    for c in cells:
        where, text = _source_line(c["src"], texts)
        site = sites.setdefault((c["module"], where, c["constant_operand"]), {
            "module": c["module"], "source": where, "expression": text, "count": 0,
            "constant_operand": c["constant_operand"],
            "widths": f"{c['a_width']}x{c['b_width']}->{c['y_width']}"})
        site["count"] += instances.get(c["module"], 0)
    return sorted(sites.values(), key=lambda s: (s["constant_operand"], -s["count"], s["source"] or ""))


def multipliers(mul_cells: list[DumpedCell], premap_modules: Mapping[str, dict], top: str,
                dsp_cells: int, sources: list[Path] | None = None) -> dict:
    """`$mul` cells before mapping (per module and hierarchy-expanded) and DSPs after."""
    instances = _instance_counts(premap_modules, top)
    cells, by_module = [], {}
    for c in mul_cells:
        const = any(is_constant_signal(c.connections.get(p, "")) for p in ("A", "B"))
        cells.append({"module": c.module, "name": c.name, "a_width": c.int_param("A_WIDTH"),
                      "b_width": c.int_param("B_WIDTH"), "y_width": c.int_param("Y_WIDTH"),
                      "signed": bool(c.int_param("A_SIGNED")), "constant_operand": const,
                      "src": c.attributes.get("src")})
        entry = by_module.setdefault(c.module, {"local": 0, "local_constant": 0,
                                                "instances": instances.get(c.module, 0)})
        entry["local_constant" if const else "local"] += 1
    for entry in by_module.values():
        entry["total"] = entry["local"] * entry["instances"]
    return {
        "premap": sum(e["total"] for e in by_module.values()),
        "premap_constant_operand": sum(e["local_constant"] * e["instances"] for e in by_module.values()),
        "dsp48e2": dsp_cells,
        "by_module": dict(sorted(by_module.items())),
        "sites": multiplier_sites(cells, instances, sources or []),
        "cells": cells,
    }


def build_report(workdir: Path, log_text: str, top: str, sources: list[Path]) -> dict:
    """Resources, memories, multipliers and logic depth of a finished run in `workdir`."""
    post = read_stat_json(workdir / "postmap_stat.json")
    by_type = dict(sorted(post.get("design", {}).get("num_cells_by_type", {}).items()))
    resources = resource_counts(by_type)
    pre = read_stat_json(workdir / "premap_stat.json")
    depth_cells = read_ltp(workdir / "depth_cells.txt")
    depth_luts = read_ltp(workdir / "depth_luts.txt")
    mem_cells = read_cells(workdir / "memories.il", workdir / "memories.list")
    mul_cells = read_cells(workdir / "premap_mul.il", workdir / "premap_mul.list")
    return {
        "resources": resources,
        "cells_by_type": by_type,
        "memories": memories(mem_cells, log_text, sources),
        "multipliers": multipliers(mul_cells, pre["modules"], top, resources["dsp"], sources),
        "logic_depth": {"cells": depth_cells.length, "luts": depth_luts.length,
                        "path_start": depth_cells.start, "path_end": depth_cells.end,
                        "path_rtl_nets": list(depth_cells.named),
                        "path_sources": list(depth_cells.sources)},
    }
