"""Stage the files that `$readmemb`/`$readmemh` load, so yosys elaborates real ROMs.

Clash's `romFile`/`blockRamFile` tops read their contents at elaboration time from the
working directory, and the weight files are run-time data that the Clash build does not
keep (`rtl/clash/build.sh` compiles against all-zero placeholders). A file is taken from
the first of: the sources' directory, the given export directories (the decoder's weights
from `llama_dv.models.export`, see `weights.py`). A constant ROM is folded away by synthesis and
would hide its cost, so a file found nowhere is written with deterministic pseudo-random
contents of the declared depth and width: the figures then reflect a ROM whose contents
the tool cannot exploit.
"""
from __future__ import annotations

import random
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

READMEM = re.compile(r'\$readmem([bh])\s*\(\s*"([^"]+)"\s*,\s*([A-Za-z_][\w$]*)')
"""A `$readmemb`/`$readmemh` call: radix, file, memory."""
_EXPR = re.compile(r"^[\d\s+\-*/()]+$")


@dataclass(frozen=True)
class MemInit:
    """One `$readmem` file as staged for synthesis."""

    file: str
    memory: str
    """The memory the call fills, as declared in the RTL."""
    radix: Literal["b", "h"]
    depth: int
    width: int
    """Words and bits per word of that declaration (what a synthetic image must fill)."""
    origin: Literal["copied", "export", "synthetic"]
    declared_in: str

    def as_json(self) -> dict:
        return {"file": self.file, "memory": self.memory, "depth": self.depth, "width": self.width,
                "origin": self.origin, "declared_in": self.declared_in}


class MemInitError(ValueError):
    """A `$readmem` call whose memory declaration cannot be read (names file and memory)."""


def _eval_int(expr: str, where: str) -> int:
    """Value of a constant range bound such as `1024-1` (digits and + - * / only)."""
    expr = expr.strip()
    if not _EXPR.match(expr):
        raise MemInitError(f"{where}: cannot evaluate range bound {expr!r} (only integer arithmetic)")
    return int(eval(expr, {"__builtins__": {}}, {}))  # noqa: S307 - checked to be arithmetic


def declared_shape(text: str, memory: str, where: str) -> tuple[int, int]:
    """(depth, width) of `reg [H:L] memory [A:B];` in `text`."""
    pat = re.compile(r"reg\s+(?:signed\s+)?(?:\[([^\]:]+):([^\]]+)\]\s*)?"
                     + re.escape(memory) + r"\s*\[([^\]:]+):([^\]]+)\]")
    m = pat.search(text)
    if not m:
        raise MemInitError(f"{where}: $readmem target {memory!r} has no `reg [..] {memory} [..]` declaration")
    width = 1
    if m.group(1) is not None:
        width = abs(_eval_int(m.group(1), where) - _eval_int(m.group(2), where)) + 1
    depth = abs(_eval_int(m.group(4), where) - _eval_int(m.group(3), where)) + 1
    return depth, width


def _synthetic_lines(depth: int, width: int, radix: str, seed: str) -> str:
    rng = random.Random(seed)
    digits = width if radix == "b" else (width + 3) // 4
    fmt = "{:0%d%s}" % (digits, "b" if radix == "b" else "x")
    return "".join(fmt.format(rng.getrandbits(width)) + "\n" for _ in range(depth))


def _check_file_shape(path: Path, depth: int, width: int, radix: str, where: str) -> None:
    """A found file must fit the memory: at most `depth` words of at most `width` bits
    (files with `@address` directives are checked for word width only)."""
    digits = width if radix == "b" else (width + 3) // 4
    words = [w.replace("_", "") for line in path.read_text().splitlines()
             for w in line.split("//")[0].split() if not w.startswith("@")]
    if len(words) > depth and "@" not in path.read_text():
        raise MemInitError(f"{where}: {path} has {len(words)} words, the memory holds {depth}")
    bad = next((i for i, w in enumerate(words) if len(w) > digits), None)
    if bad is not None:
        raise MemInitError(f"{where}: {path} word {bad + 1} has {len(words[bad])} digits, "
                           f"a {width}-bit $readmem{radix} word has at most {digits}")


def stage_mem_inits(sources: list[Path], source_dir: Path, workdir: Path,
                    export_dirs: tuple[Path, ...] = ()) -> list[MemInit]:
    """Copy or write every `$readmem` file the sources load into `workdir` (yosys' cwd)."""
    staged: dict[str, MemInit] = {}
    for src in sources:
        text = src.read_text(errors="replace")
        for m in READMEM.finditer(text):
            radix, fname, memory = m.group(1), m.group(2), m.group(3)
            where = f"{src.name}: $readmem{radix}(\"{fname}\", {memory})"
            if fname in staged:
                continue
            if Path(fname).is_absolute() or ".." in Path(fname).parts:
                raise MemInitError(f"{where}: file name must be relative to the working directory")
            depth, width = declared_shape(text, memory, where)
            target = workdir / fname
            target.parent.mkdir(parents=True, exist_ok=True)
            found = [(d / fname, origin) for d, origin in
                     [(source_dir, "copied")] + [(d, "export") for d in export_dirs]
                     if (d / fname).is_file()]
            if found:
                existing, origin = found[0]
                _check_file_shape(existing, depth, width, radix, where)
                shutil.copyfile(existing, target)
            else:
                target.write_text(_synthetic_lines(depth, width, radix, f"{src.name}:{fname}"))
                origin = "synthetic"
            staged[fname] = MemInit(fname, memory, radix, depth, width, origin, src.name)
    return list(staged.values())
