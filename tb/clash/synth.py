"""Structural facts about a generated top from yosys: flip-flop bits, inferred
memories and multipliers (the M1 "no register mirror of the KV cache" and M2 "exactly
one multiplier" criteria).

Runs `read_verilog; hierarchy; proc; flatten; opt; memory [-nomap]; opt` and reads the
netlist JSON, so counts are bits and words, not just cell numbers.
"""
from __future__ import annotations

import json
import random
import re
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from llama_dv.tb.sim.toolchain import yosys_executable

FLOP_TYPES = ("$dff", "$adff", "$sdff", "$dffe", "$adffe", "$sdffe", "$sdffce", "$aldff", "$dffsr")


class SynthError(RuntimeError):
    """yosys is missing or failed; the message carries its log tail."""


@dataclass(frozen=True)
class Memory:
    name: str
    words: int
    width: int


@dataclass
class SynthStats:
    top: str
    flop_bits: int = 0
    memories: list[Memory] = field(default_factory=list)
    multipliers: list[str] = field(default_factory=list)
    cells: dict[str, int] = field(default_factory=dict)

    @property
    def memory_bits(self) -> int:
        return sum(m.words * m.width for m in self.memories)


_ROM_DECL = re.compile(r"reg \[(\d+):0\] (\S+) \[0:(\d+)-1\];")
_READMEM = re.compile(r'\$readmem[bh]\("([^"]+)",\s*(\S+?)\)')


def _stage_rom_files(text: str, directory: Path) -> None:
    """$readmemb runs during elaboration: give each ROM full-depth pseudo-random
    contents (all-zero contents would let yosys fold the ROM and its multiplier away)."""
    decls = {name: (int(msb) + 1, int(depth)) for msb, name, depth in _ROM_DECL.findall(text)}
    rand = random.Random(0)
    for fname, mem in _READMEM.findall(text):
        width, depth = decls.get(mem, (8, 1))
        lines = (format(rand.getrandbits(width), f"0{width}b") for _ in range(depth))
        (directory / fname).write_text("\n".join(lines) + "\n")


def synth_stats(verilog: Path, top: str, map_memories: bool = False, timeout_s: float = 600) -> SynthStats:
    """Stats of `top`; `map_memories` turns inferred memories into flip-flops (what a
    register mirror looks like), which the M1 check must then reject."""
    yosys = yosys_executable()
    if yosys is None:
        raise SynthError("yosys not found: `make setup` installs llama-dv-yosys (pyosys) into the venv")
    with tempfile.TemporaryDirectory() as tmp:
        _stage_rom_files(Path(verilog).read_text(), Path(tmp))
        out = Path(tmp) / "net.json"
        mem = "memory" if map_memories else "memory -nomap"
        script = (f"read_verilog {verilog}; hierarchy -top {top}; proc; flatten; opt -fast; "
                  f"wreduce; {mem}; opt -fast; write_json {out}")
        proc = subprocess.run([yosys, "-q", "-p", script], capture_output=True, text=True,
                              timeout=timeout_s, check=False, cwd=tmp)
        if proc.returncode != 0:
            raise SynthError(f"yosys failed on {verilog} (top {top}):\n{proc.stderr[-2000:]}")
        net = json.loads(out.read_text())
    stats = SynthStats(top)
    for name, cell in net["modules"][top]["cells"].items():
        typ = cell["type"]
        stats.cells[typ] = stats.cells.get(typ, 0) + 1
        params = cell.get("parameters", {})
        if typ in FLOP_TYPES:
            stats.flop_bits += int(params["WIDTH"], 2)
        elif typ.startswith("$mem"):
            stats.memories.append(Memory(name, int(params["SIZE"], 2), int(params["WIDTH"], 2)))
        elif typ in ("$mul", "$macc"):
            stats.multipliers.append(name)
    return stats


def check_no_kv_mirror(stats: SynthStats, seq_len: int, row_bits: int) -> None:
    """M1: the KV cache is one inferred memory of seq_len rows, and all the kernel's
    flip-flops together hold less than the cache (no O(SeqLen x HeadDim) register copy)."""
    cache_bits = seq_len * row_bits
    kv = [m for m in stats.memories if m.words == seq_len and m.width == row_bits]
    if not kv:
        raise AssertionError(f"{stats.top}: no {seq_len} x {row_bits} memory for the KV cache "
                             f"(memories: {stats.memories}; {stats.flop_bits} flip-flop bits)")
    if stats.flop_bits >= cache_bits:
        raise AssertionError(f"{stats.top}: {stats.flop_bits} flip-flop bits >= the {cache_bits}-bit "
                             "KV cache: a register mirror of the cache")


def check_single_multiplier(stats: SynthStats) -> None:
    """M2: exactly one multiplier cell in the whole matvec engine."""
    if len(stats.multipliers) != 1:
        raise AssertionError(f"{stats.top}: {len(stats.multipliers)} multipliers, expected exactly 1 "
                             f"({', '.join(stats.multipliers[:5])})")
