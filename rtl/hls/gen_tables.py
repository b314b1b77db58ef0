"""Bake the constant tables of models/tables.py into the hand-written HLS Verilog.

Each table becomes a Verilog function holding a `case` ROM, written between
`// BEGIN GENERATED <name>` and `// END GENERATED <name>` markers inside the kernel's
own `.v` file. The ROM values therefore travel with the source: no `$readmemh` path
has to resolve at simulation time, whichever directory the simulator runs in.

    python -m rtl.hls.gen_tables          # rewrite the generated blocks
    python -m rtl.hls.gen_tables --check  # exit 1 if any block is stale
"""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Callable

from llama_dv.models import tables

HERE = Path(__file__).resolve().parent
HD = 16
SEQ_LEN = 16


def _lit(value: int, width: int) -> str:
    """A sized signed Verilog literal (negative values as -N'sdM)."""
    v = int(value)
    return f"-{width}'sd{-v}" if v < 0 else f"{width}'sd{v}"


def _rom(name: str, index_width: int, values, doc: str) -> str:
    """A function `name(idx)` returning a signed 32-bit table entry, 0 past the end."""
    lines = [f"  // {doc}",
             f"  function signed [31:0] {name};",
             f"    input [{index_width - 1}:0] idx;",
             "    begin",
             "      case (idx)"]
    lines += [f"        {index_width}'d{i}: {name} = {_lit(v, 32)};" for i, v in enumerate(values)]
    lines += ["        default: " + f"{name} = 32'sd0;",
              "      endcase",
              "    end",
              "  endfunction"]
    return "\n".join(lines)


def invsqrt_rom() -> str:
    return _rom("invsqrt_lut", 6, tables.invsqrt_lut(),
                "INVSQRT_LUT[j] = round(2^20 / sqrt(c_j)), docs/numerics.md (RMSNorm)")


def exp2_rom() -> str:
    return _rom("exp2_lut", 9, tables.exp2_lut(),
                "EXP2_LUT[i] = round(2^20 * 2^(i/256)), i = 0..256, docs/numerics.md (exp)")


def rope_roms() -> str:
    cos, sin = tables.rope_tables(SEQ_LEN, HD)
    doc = f"[pos * {HD // 2} + j] for pos < {SEQ_LEN}, j < {HD // 2}, docs/numerics.md (RoPE)"
    return (_rom("rope_cos", 7, cos.reshape(-1), "ROPE_COS" + doc) + "\n"
            + _rom("rope_sin", 7, sin.reshape(-1), "ROPE_SIN" + doc))


BLOCKS: dict[str, tuple[str, Callable[[], str]]] = {
    "invsqrt_lut": ("rmsnorm.v", invsqrt_rom),
    "exp2_lut": ("attention.v", exp2_rom),
    "rope_tables": ("rope.v", rope_roms),
}


def render(text: str, block: str, body: str, path: Path) -> str:
    """Replace the body between the block's markers; a missing marker is an error."""
    pat = re.compile(rf"(// BEGIN GENERATED {block}\n)(.*?)(  // END GENERATED {block}\n)", re.S)
    if not pat.search(text):
        raise ValueError(f"{path}: no '// BEGIN/END GENERATED {block}' markers")
    return pat.sub(lambda m: m.group(1) + body + "\n" + m.group(3), text, count=1)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="report stale blocks, write nothing")
    args = ap.parse_args(argv)
    stale = []
    for block, (fname, gen) in BLOCKS.items():
        path = HERE / fname
        old = path.read_text()
        new = render(old, block, gen(), path)
        if new != old:
            stale.append(f"{path.name}: {block}")
            if not args.check:
                path.write_text(new)
    if args.check and stale:
        print("stale generated ROMs (run python -m rtl.hls.gen_tables):", *stale, sep="\n  ")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
