"""Register map of a Vitis HLS `s_axilite` control block, read from its `x<top>_hw.h`.

A Vitis export ships `x<top>_hw.h` with one `#define X<TOP>_<BUNDLE>_ADDR_<REG> 0x..`
per register and `#define X<TOP>_<BUNDLE>_BITS_<ARG>_DATA <n>` per argument. Reading
the user's own header (instead of a table typed into the testbench) is what lets the
same agent drive any kernel's control block.

Vitis releases differ in how the interrupt status register is cleared: the comment
block above the defines says `IP Interrupt Status Register (Read/COR)` (clear on
read) or `(Read/TOW)` (toggle on write). The parser takes the mode from there, and
from the same block the bits each of AP_CTRL, GIE, IER and ISR defines (`bit 9 -
interrupt (Read)`): every other bit is reserved and must read 0.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from llama_dv.tb.common.lookup import by_name

CTRL_BITS = {"ap_start": 0, "ap_done": 1, "ap_idle": 2, "ap_ready": 3, "auto_restart": 7, "interrupt": 9}
"""Bit positions inside the AP_CTRL register (UG1399)."""

_DEFINE_RE = re.compile(r"^\s*#\s*define\s+(\w+)(?:\s+(.*?))?\s*(?://.*|/\*.*)?$")
_NUMBER_RE = re.compile(r"^(0[xX][0-9a-fA-F]+|\d+)$")
_KIND_RE = re.compile(r"^(ADDR|BITS|WIDTH|DEPTH)_(\w+)$")
_STANDARD = ("AP_CTRL", "GIE", "IER", "ISR")
_REG_COMMENT_RE = re.compile(r"^\s*//\s*(0[xX][0-9a-fA-F]+)\s*:\s*(.*)$")
_SECTION_RE = re.compile(r"^\s*//\s*(\w+)\s*$")
_ISR_MODE_RE = re.compile(r"\(\s*Read\s*/\s*(COR|TOW)\s*\)", re.IGNORECASE)
_BIT_RE = re.compile(r"^\s*//\s*bit\s+(\d+)(?:\s*~\s*(\d+))?\s*-", re.IGNORECASE)
ISR_MODES = ("cor", "tow")
"""ISR clearing: clear-on-read or toggle-on-write."""
UG1399_BITS = {"AP_CTRL": (0, 1, 2, 3, 4, 7, 9), "GIE": (0,), "IER": (0, 1, 5), "ISR": (0, 1, 5)}
"""Bits of the standard registers some Vitis release defines (ap_continue at 4 in
ap_ctrl_chain blocks, interrupt at 9, ap_local_deadlock at 5): the defined bits of a
register whose comment block in the header lists none."""


class HeaderError(ValueError):
    """The `_hw.h` header is malformed; the message names the file and line."""


@dataclass(frozen=True)
class ArgRegister:
    """One scalar or pointer argument: `bits` wide, stored in `words` 32-bit words from `offset`."""

    name: str
    offset: int
    bits: int
    line: int

    @property
    def words(self) -> int:
        return (self.bits + 31) // 32

    @property
    def offsets(self) -> tuple[int, ...]:
        """Byte offset of each 32-bit word, low word first."""
        return tuple(self.offset + 4 * k for k in range(self.words))

    def split(self, value: int) -> list[int]:
        """`value` (any sign) as the 32-bit words the driver writes, low word first."""
        raw = value & ((1 << self.bits) - 1)
        return [(raw >> (32 * k)) & 0xFFFFFFFF for k in range(self.words)]


@dataclass(frozen=True)
class RegisterMap:
    """Control-block layout: standard registers plus the arguments, in offset order."""

    source: str
    top: str
    bundle: str
    ap_ctrl: int
    gie: int
    ier: int
    isr: int
    args: tuple[ArgRegister, ...]
    memories: dict[str, tuple[int, int]] = field(default_factory=dict)
    isr_mode: str = "tow"
    defined_bits: dict[str, int] = field(default_factory=dict)
    """Mask of the bits each standard register defines ("AP_CTRL", ...); absent: UG1399_BITS."""

    def arg(self, name: str) -> ArgRegister:
        return by_name(self.args, name, f"{self.source}: no argument {name!r} in the register map")

    @property
    def arg_names(self) -> tuple[str, ...]:
        return tuple(a.name for a in self.args)

    def reserved_mask(self, offset: int) -> int:
        """Bits of standard register `offset` that are reserved and read 0 (0 for any other offset)."""
        for reg in _STANDARD:
            if getattr(self, reg.lower()) == offset:
                defined = self.defined_bits.get(reg)
                if defined is None:
                    defined = sum(1 << b for b in UG1399_BITS[reg])
                return 0xFFFFFFFF & ~defined
        return 0

    def arg_word(self, offset: int) -> tuple[ArgRegister, int] | None:
        """The argument register holding word `offset` and the mask of its bits there (the
        word's bits above the argument's width are unused and read 0)."""
        for a in self.args:
            if offset in a.offsets:
                word = a.offsets.index(offset)
                return a, ((1 << a.bits) - 1) >> (32 * word) & 0xFFFFFFFF
        return None

    def name_of(self, offset: int) -> str:
        """Readable name of a register offset (for monitor messages)."""
        for reg in _STANDARD:
            if getattr(self, reg.lower()) == offset:
                return reg
        for a in self.args:
            if offset in a.offsets:
                word = a.offsets.index(offset)
                return f"{a.name}" + (f"[{word}]" if a.words > 1 else "")
        return f"0x{offset:02x}"


def _number(text: str, path: Path, lineno: int, name: str) -> int:
    if not _NUMBER_RE.match(text):
        raise HeaderError(f"{path}:{lineno}: {name} has value {text!r}, expected a decimal or 0x hex number")
    return int(text, 0)


def parse_hw_header(path: str | Path, *, top: str | None = None, bundle: str = "control") -> RegisterMap:
    """Parse a Vitis `x<top>_hw.h`; `top` defaults to the name in `x<top>_hw.h`."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as exc:
        raise HeaderError(f"{path}: cannot read the register-map header: {exc.strerror}") from exc
    if top is None:
        m = re.match(r"^x(\w+)_hw\.h$", path.name)
        if m is None:
            raise HeaderError(f"{path}: cannot infer the kernel name; expected a file named x<top>_hw.h "
                              "or pass top=")
        top = m.group(1)
    prefix = f"X{top.upper()}_{bundle.upper()}_"
    addrs: dict[str, tuple[int, int]] = {}
    bits: dict[str, tuple[int, int]] = {}
    for lineno, line in enumerate(text.splitlines(), start=1):
        m = _DEFINE_RE.match(line)
        if m is None or not m.group(1).startswith(prefix):
            if re.match(r"^\s*#\s*define\s+" + prefix, line):
                raise HeaderError(f"{path}:{lineno}: cannot parse #define line {line.strip()!r}")
            continue
        name, value = m.group(1), (m.group(2) or "").strip()
        km = _KIND_RE.match(name[len(prefix):])
        if km is None:
            raise HeaderError(f"{path}:{lineno}: {name} is neither an _ADDR_, _BITS_, _WIDTH_ nor _DEPTH_ "
                              "define of the Vitis register-map format")
        if not value:
            raise HeaderError(f"{path}:{lineno}: {name} has no value")
        kind, reg = km.groups()
        number = _number(value, path, lineno, name)
        table = addrs if kind == "ADDR" else bits if kind == "BITS" else None
        if table is None:
            continue
        if reg in table:
            raise HeaderError(f"{path}:{lineno}: {name} defined twice (first at line {table[reg][1]})")
        table[reg] = (number, lineno)
    for reg in _STANDARD:
        if reg not in addrs:
            raise HeaderError(f"{path}: no {prefix}ADDR_{reg} define; is this the {bundle} bundle "
                              f"of kernel {top!r}?")
    args: list[ArgRegister] = []
    memories: dict[str, tuple[int, int]] = {}
    for reg, (offset, lineno) in addrs.items():
        if reg in _STANDARD or reg == "AP_RETURN":
            continue
        if reg.endswith("_DATA"):
            if reg not in bits:
                raise HeaderError(f"{path}:{lineno}: {prefix}ADDR_{reg} has no matching {prefix}BITS_{reg}")
            width, bits_line = bits[reg]
            if not 1 <= width <= 64:
                raise HeaderError(f"{path}:{bits_line}: {prefix}BITS_{reg} is {width}, expected 1..64")
            if offset % 4:
                raise HeaderError(f"{path}:{lineno}: {prefix}ADDR_{reg} = 0x{offset:x} is not word aligned")
            args.append(ArgRegister(reg[: -len("_DATA")].lower(), offset, width, lineno))
        elif reg.endswith("_BASE"):
            high = addrs.get(reg[: -len("_BASE")] + "_HIGH")
            memories[reg[: -len("_BASE")].lower()] = (offset, high[0] if high else offset)
        elif not (reg.endswith("_HIGH") or reg.endswith("_CTRL")):
            raise HeaderError(f"{path}:{lineno}: {prefix}ADDR_{reg}: unknown register kind (expected "
                              "AP_CTRL, GIE, IER, ISR, <ARG>_DATA, <ARG>_CTRL, <MEM>_BASE or <MEM>_HIGH)")
    args.sort(key=lambda a: a.offset)
    for a, b in zip(args, args[1:]):
        if a.offsets[-1] >= b.offset:
            raise HeaderError(f"{path}:{b.line}: argument {b.name} at 0x{b.offset:x} overlaps "
                              f"{a.name} (0x{a.offset:x}, {a.bits} bits)")
    standard = {reg: addrs[reg][0] for reg in _STANDARD}
    return RegisterMap(source=str(path), top=top, bundle=bundle,
                       ap_ctrl=addrs["AP_CTRL"][0], gie=addrs["GIE"][0], ier=addrs["IER"][0],
                       isr=addrs["ISR"][0], args=tuple(args), memories=memories,
                       isr_mode=_isr_mode(text, path, bundle, addrs["ISR"][0]),
                       defined_bits=_defined_bits(text, bundle, standard))


def _section(lines: list[str], bundle: str) -> list[str]:
    """The `// <bundle>` section of a header's comment (all of it when there is none)."""
    starts = [i for i, line in enumerate(lines)
              if (m := _SECTION_RE.match(line)) is not None and m.group(1).lower() == bundle.lower()]
    if not starts:
        return lines
    end = next((i for i in range(starts[0] + 1, len(lines)) if _SECTION_RE.match(lines[i])), len(lines))
    return lines[starts[0]:end]


def _defined_bits(text: str, bundle: str, standard: dict[str, int]) -> dict[str, int]:
    """Mask of the `bit N` / `bit H~L` lines in each standard register's comment block;
    a register whose block lists no bit is left out (UG1399_BITS applies)."""
    masks: dict[int, int] = {}
    current: int | None = None
    for line in _section(text.splitlines(), bundle):
        reg = _REG_COMMENT_RE.match(line)
        if reg is not None:
            current = int(reg.group(1), 16)
            continue
        if not line.lstrip().startswith("//"):
            current = None
            continue
        bit = _BIT_RE.match(line)
        if bit is not None and current is not None:
            high = int(bit.group(1))
            low = int(bit.group(2)) if bit.group(2) is not None else high
            low, high = min(low, high), max(low, high)
            masks[current] = masks.get(current, 0) | (((1 << (high - low + 1)) - 1) << low)
    return {reg: masks[offset] & 0xFFFFFFFF for reg, offset in standard.items() if offset in masks}


def _isr_mode(text: str, path: Path, bundle: str, isr: int) -> str:
    """'cor' or 'tow' from the comment block of register `isr` (its own line and its bit
    lines); 'tow' when the header does not say. Only the `// <bundle>` section is read
    when there is one (a header may describe several bundles)."""
    lines = text.splitlines()
    sections = [i for i, line in enumerate(lines)
                if (m := _SECTION_RE.match(line)) is not None and m.group(1).lower() == bundle.lower()]
    start = sections[0] if sections else 0
    modes: dict[str, int] = {}
    in_isr = False
    for lineno, line in enumerate(lines[start:], start=start + 1):
        if sections and lineno > start + 1 and _SECTION_RE.match(line):
            break  # the next bundle's section
        reg = _REG_COMMENT_RE.match(line)
        if reg is not None:
            if in_isr:
                break
            in_isr = int(reg.group(1), 16) == isr and "interrupt status" in reg.group(2).lower()
        elif in_isr and not line.lstrip().startswith("//"):
            break
        if in_isr:
            for m in _ISR_MODE_RE.finditer(line):
                modes.setdefault(m.group(1).lower(), lineno)
    if len(modes) > 1:
        raise HeaderError(f"{path}:{max(modes.values())}: the ISR comment says both COR (line {modes['cor']}) "
                          f"and TOW (line {modes['tow']}); expected one clearing mode")
    return next(iter(modes), "tow")
