"""Readers for what a yosys run leaves behind: `stat -json`, RTLIL `dump`, `ltp` and log lines.

Yosys 0.23's `stat -json` is used for every count; the text parsers below only cover what
has no JSON form in 0.23 (cell parameters, the longest path, the memory-mapping log).
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path


class YosysOutputError(ValueError):
    """A yosys output file is missing or not in the expected form (names the file)."""


def strip_id(name: str) -> str:
    """RTLIL identifier without the leading backslash of public names."""
    return name[1:] if name.startswith("\\") else name


def read_stat_json(path: Path) -> dict:
    """`stat -json` output: {"modules": {name: {...}}, "design": {...}}."""
    try:
        text = path.read_text()
    except OSError as exc:
        raise YosysOutputError(f"{path}: cannot read: {exc.strerror}") from exc
    start = text.find("{")
    try:
        data = json.loads(text[start:]) if start >= 0 else None
    except ValueError as exc:
        raise YosysOutputError(f"{path}: not JSON from `stat -json`: {exc}") from exc
    if not isinstance(data, dict) or "modules" not in data:
        raise YosysOutputError(f"{path}: no 'modules' in `stat -json` output")
    data["modules"] = {strip_id(k): v for k, v in data["modules"].items()}
    return data


@dataclass
class DumpedCell:
    """One cell of an RTLIL `dump`: type, name, parameters, attributes and connections."""

    module: str
    type: str
    name: str
    parameters: dict[str, str] = field(default_factory=dict)
    attributes: dict[str, str] = field(default_factory=dict)
    connections: dict[str, str] = field(default_factory=dict)

    def int_param(self, key: str) -> int:
        value = self.parameters[key]
        m = re.fullmatch(r"(\d+)'([01]+)", value)
        return int(m.group(2), 2) if m else int(value)


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1].replace("\\\\", "\\")
    return strip_id(value)


def read_dump(path: Path) -> list[DumpedCell]:
    """Cells of an RTLIL `dump` text (modules, cells, parameters, attributes, connections)."""
    try:
        lines = path.read_text().splitlines()
    except OSError as exc:
        raise YosysOutputError(f"{path}: cannot read: {exc.strerror}") from exc
    cells: list[DumpedCell] = []
    module = ""
    pending_attrs: dict[str, str] = {}
    cell: DumpedCell | None = None
    for raw in lines:
        words = raw.split(None, 2)
        if not words:
            continue
        kw = words[0]
        if kw == "attribute" and len(words) == 3:
            pending_attrs[strip_id(words[1])] = _unquote(words[2])
        elif kw == "module" and len(words) >= 2:
            module, pending_attrs = strip_id(words[1]), {}
        elif kw == "cell" and len(words) == 3:
            cell = DumpedCell(module, words[1], strip_id(words[2]), attributes=pending_attrs)
            pending_attrs = {}
        elif cell is not None and kw == "parameter":
            rest = raw.split()[1:]
            while rest and rest[0] in ("signed", "real"):
                rest = rest[1:]
            if len(rest) >= 2:
                cell.parameters[strip_id(rest[0])] = _unquote(" ".join(rest[1:]))
        elif cell is not None and kw == "connect" and len(words) == 3:
            cell.connections[strip_id(words[1])] = words[2]
        elif kw == "end":
            if cell is not None:
                cells.append(cell)
                cell = None
            pending_attrs = {}
        elif kw in ("wire", "memory", "process", "connect"):
            pending_attrs = {}
    return cells


def read_select_list(path: Path) -> dict[str, str]:
    """Cell name -> module from `select -list` output (`module/cell` per line).

    `dump` of a cell selection omits the module header, so this tells whose cell it is.
    Module names hold no '/', cell names may (source paths), hence the first '/' splits.
    """
    try:
        lines = path.read_text().splitlines()
    except OSError as exc:
        raise YosysOutputError(f"{path}: cannot read: {exc.strerror}") from exc
    owners = {}
    for line in lines:
        line = line.strip()
        if "/" in line:
            module, cell = line.split("/", 1)
            owners[strip_id(cell)] = strip_id(module)
    return owners


def read_cells(dump_path: Path, list_path: Path) -> list[DumpedCell]:
    """Cells of a selection dump, each with its module filled in from `select -list`."""
    owners = read_select_list(list_path)
    cells = read_dump(dump_path)
    for cell in cells:
        if not cell.module:
            cell.module = owners.get(cell.name, "")
    return cells


_CONST = re.compile(r"^\d+'[01xzm-]+$")


def is_constant_signal(sig: str) -> bool:
    """True when an RTLIL signal spec is a constant (or a concatenation of constants)."""
    sig = sig.strip()
    if sig.startswith("{") and sig.endswith("}"):
        parts = sig[1:-1].split()
        return bool(parts) and all(_CONST.match(p) for p in parts)
    return bool(_CONST.match(sig)) or sig.lstrip("-").isdigit()


@dataclass(frozen=True)
class LongestPath:
    """`ltp` result: the number of cells on the longest path, its first and last nets, and
    the nets on it that carry a name from the RTL (what the path runs through)."""

    length: int
    start: str | None
    end: str | None
    named: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()


NAMED_NETS_KEPT = 16
_SRC_REF = re.compile(r"([\w.-]+\.s?v):(\d+)")


def _source_refs(steps: list[str]) -> tuple[str, ...]:
    """`file:line` references that yosys' generated cell and net names carry along a path
    (e.g. `$lt$.../rope.v:351$146`), each once, in path order."""
    seen: list[str] = []
    for step in steps:
        for m in _SRC_REF.finditer(step):
            ref = f"{m.group(1)}:{m.group(2)}"
            if ref not in seen:
                seen.append(ref)
    return tuple(seen[:NAMED_NETS_KEPT])


def _rtl_names(steps: list[str]) -> tuple[str, ...]:
    """Public (RTL) net names along a path, bit index dropped, each once, in path order."""
    seen: list[str] = []
    for step in steps:
        if not step.startswith("\\"):
            continue
        name = step[1:].split(" [")[0]
        if name not in seen:
            seen.append(name)
    return tuple(seen[:NAMED_NETS_KEPT])


_LTP_HEAD = re.compile(r"Longest topological path in (\S+) \(length=(-?\d+)\):")
_LTP_STEP = re.compile(r"^\s*(\d+): (.*?)(?: \(via (.*)\))?$")


def read_ltp(path: Path) -> LongestPath:
    """Parse `ltp` output captured with `tee -o`; length -1 means no combinational cell."""
    try:
        text = path.read_text()
    except OSError as exc:
        raise YosysOutputError(f"{path}: cannot read: {exc.strerror}") from exc
    head = _LTP_HEAD.search(text)
    if not head:
        raise YosysOutputError(f"{path}: no 'Longest topological path' line from ltp")
    matches = [m for line in text[head.end():].splitlines() if (m := _LTP_STEP.match(line))]
    steps = [m.group(2) for m in matches]
    cells = [m.group(3) for m in matches if m.group(3)]
    length = int(head.group(2))
    return LongestPath(max(length, 0), steps[0] if steps else None, steps[-1] if steps else None,
                       _rtl_names(steps), _source_refs(steps + cells))


_LIBMAP_VIA = re.compile(r"^mapping memory (\S+) via (\S+)", re.M)
_LIBMAP_FF = re.compile(r"^using FF mapping for memory (\S+)", re.M)
_MEM2REG = re.compile(r"Replacing memory \\?(\S+) with list of registers\. See (\S+)")
_ERROR = re.compile(r"^(?:\S+: )?ERROR: .*$", re.M)


def memory_mapping_log(log_text: str) -> dict[str, str]:
    """memory_libmap's decision per memory (`module.memid`): a cell name, or "FF"."""
    decisions = {m.group(1): m.group(2) for m in _LIBMAP_VIA.finditer(log_text)}
    decisions.update({m.group(1): "FF" for m in _LIBMAP_FF.finditer(log_text)})
    return decisions


def frontend_mem2reg(log_text: str) -> list[tuple[str, str]]:
    """(memory, source location) of arrays the Verilog frontend turned into registers."""
    seen: dict[str, str] = {}
    for m in _MEM2REG.finditer(log_text):
        seen.setdefault(m.group(1), m.group(2))
    return sorted(seen.items())


def first_error(log_text: str) -> str | None:
    """The first `ERROR:` line of a yosys log (with the `file:line:` prefix, if any)."""
    m = _ERROR.search(log_text)
    return m.group(0).strip() if m else None
