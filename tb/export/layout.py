"""Where a Vitis HLS export keeps its files: Verilog sources, register-map headers, ROM images.

A solution folder holds the RTL in `impl/verilog/` (and again in `syn/verilog/`), the
driver headers in `impl/misc/drivers/<top>_v1_0/src/`, and the `.dat` images the ROMs
`$readmemh` next to the Verilog. Users also hand over just the Verilog folder, so every
lookup falls back to searching the whole folder given.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

VERILOG_SUFFIXES = (".v", ".sv")
VERILOG_DIRS = ("impl/verilog", "syn/verilog", "hls/impl/verilog", "hls/syn/verilog", ".")
"""Looked at in this order: the implemented RTL wins over the synthesis copy."""


class LayoutError(ValueError):
    """A file the description needs is not in the export; the message says where describe looked."""


@dataclass(frozen=True)
class SourceSet:
    """The Verilog folder of an export and its source files."""

    directory: Path
    files: tuple[Path, ...]

    @property
    def suffixes(self) -> tuple[str, ...]:
        return tuple(s for s in VERILOG_SUFFIXES if any(f.suffix == s for f in self.files))


def _verilog_files(directory: Path) -> tuple[Path, ...]:
    if not directory.is_dir():
        return ()
    return tuple(sorted(p for p in directory.iterdir() if p.is_file() and p.suffix in VERILOG_SUFFIXES))


def find_sources(export_dir: Path) -> SourceSet:
    """The export's Verilog folder: impl/verilog, else syn/verilog, else the folder itself."""
    if not export_dir.is_dir():
        raise LayoutError(f"{export_dir}: not a folder (give the Vitis solution folder or a folder of .v files)")
    for sub in VERILOG_DIRS:
        directory = (export_dir / sub).resolve() if sub != "." else export_dir.resolve()
        files = _verilog_files(directory)
        if files:
            return SourceSet(directory, files)
    looked = ", ".join(str(export_dir / s) if s != "." else str(export_dir) for s in VERILOG_DIRS)
    nested = sorted({p.parent for p in export_dir.rglob("*") if p.suffix in VERILOG_SUFFIXES and p.is_file()})
    hint = f"; Verilog exists deeper, in {', '.join(str(n) for n in nested[:5])}: pass one of those" if nested else ""
    raise LayoutError(f"no Verilog (.v/.sv) found in {looked}{hint}")


def header_names(top: str, bundle: str) -> tuple[str, ...]:
    """File names Vitis gives the register map of `bundle` (newer releases: one file per bundle)."""
    if bundle == "control":
        return (f"x{top}_hw.h", f"x{top}_control_hw.h")
    return (f"x{top}_{bundle}_hw.h", f"x{top}_hw.h")


def define_prefix(top: str, bundle: str) -> str:
    return f"X{top.upper()}_{bundle.upper()}_"


def _rank(path: Path, export_dir: Path) -> tuple[int, int, int, str]:
    rel = path.relative_to(export_dir).parts if path.is_relative_to(export_dir) else path.parts
    return (0 if "impl" in rel else 1, 0 if "drivers" in rel else 1, len(rel), str(path))


def find_register_header(export_dir: Path, sources: SourceSet, top: str, bundle: str) -> tuple[Path, list[str]]:
    """The `x<top>[_<bundle>]_hw.h` that defines bundle `bundle`'s registers, and notes on the choice."""
    names = [n.lower() for n in header_names(top, bundle)]
    prefix = define_prefix(top, bundle)
    roots = [export_dir.resolve()]
    if not sources.directory.is_relative_to(roots[0]):
        roots.append(sources.directory)
    hits: list[Path] = []
    for root in roots:
        for path in root.rglob("*_hw.h"):
            if path.name.lower() in names and path.is_file() and path.resolve() not in hits:
                hits.append(path.resolve())
    usable = [p for p in hits if re.search(rf"#\s*define\s+{prefix}ADDR_", p.read_text(errors="replace"))]
    if not usable:
        also = f" ({', '.join(str(h) for h in hits)} exist(s) but define no {prefix}ADDR_* register)" if hits else ""
        raise LayoutError(
            f"s_axilite bundle {bundle}: no register-map header {' or '.join(header_names(top, bundle))} "
            f"under {export_dir}{also}; Vitis writes it to impl/misc/drivers/{top}_v1_0/src/ - copy it "
            "into the export folder")
    usable.sort(key=lambda p: (names.index(p.name.lower()), *_rank(p, roots[0])))
    notes = []
    distinct = {p.read_bytes() for p in usable}
    if len(distinct) > 1:
        notes.append(f"s_axilite bundle {bundle}: {len(usable)} different register-map headers found; "
                     f"using {usable[0]}")
    return usable[0], notes


def has_block_control(header: Path, top: str, bundle: str) -> bool:
    """Whether `header` puts the block protocol (AP_CTRL) in bundle `bundle`."""
    return re.search(rf"#\s*define\s+{define_prefix(top, bundle)}ADDR_AP_CTRL\b",
                     header.read_text(errors="replace")) is not None


def resolve_data_file(target: str, sources: SourceSet, export_dir: Path, verilog: Path, line: int,
                      task: str) -> Path:
    """The export file a `$readmemh("<target>")` in `verilog` reads once staged into the run folder."""
    pure = PurePosixPath(target.replace("\\", "/"))
    where = f"{verilog}:{line}: {task}(\"{target}\")"
    if pure.is_absolute() or pure.parent not in (PurePosixPath("."), PurePosixPath("")):
        raise LayoutError(f"{where} reads a file outside the simulator's working folder; the runner stages "
                          "memory images into the run folder by name, so the RTL must read \"./<name>\"")
    path = sources.directory / pure.name
    if path.is_file():
        return path
    elsewhere = [p for p in export_dir.rglob(pure.name) if p.is_file()][:3]
    hint = f" (a file of that name is at {', '.join(str(p) for p in elsewhere)})" if elsewhere else ""
    raise LayoutError(f"{where}: {pure.name} is missing from {sources.directory}{hint}; Vitis exports the "
                      "ROM image next to the Verilog - copy it there")
