"""Pin-level binding of a Clash top, read from the `clash-manifest.json` Clash emits.

Ports, widths, the clock's domain period and the reset kind/polarity all come from
the manifest, so no test carries a hand-written port list. Clash packs a `Vec` with
element 0 in the most significant bits; `pack_vec`/`unpack_vec` follow that rule.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Sequence

REPO_ROOT = Path(__file__).resolve().parents[2]
GEN_DIR = REPO_ROOT / "rtl" / "gen"


class ManifestError(ValueError):
    """A manifest is missing or malformed, or the DUT does not match it."""


@dataclass(frozen=True)
class Port:
    name: str
    direction: str
    width: int
    signed: bool
    is_clock: bool
    domain: str | None


@dataclass(frozen=True)
class Domain:
    name: str
    period_ps: int
    reset_kind: str
    reset_polarity: str
    active_edge: str


@dataclass(frozen=True)
class ClashManifest:
    """What the testbench knows about one generated top."""

    top: str
    path: Path
    ports: dict[str, Port]
    domains: dict[str, Domain]

    @classmethod
    def load(cls, path: Path) -> "ClashManifest":
        path = Path(path)
        try:
            raw: dict[str, Any] = json.loads(path.read_text())
            top = raw["top_component"]["name"]
            flat = raw["top_component"]["ports_flat"]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ManifestError(f"{path}: not a readable clash-manifest.json ({exc})") from exc
        ports = {}
        for p in flat:
            ports[p["name"]] = Port(p["name"], p["direction"], int(p["width"]),
                                    p.get("type_name", "").startswith("signed"),
                                    bool(p.get("is_clock")), p.get("domain"))
        domains = {name: Domain(name, int(d["period"]), d["reset_kind"], d["reset_polarity"],
                                d["active_edge"]) for name, d in raw.get("domains", {}).items()}
        return cls(top, path, ports, domains)

    @classmethod
    def for_top(cls, top: str, gen_dir: Path = GEN_DIR) -> "ClashManifest":
        """The manifest of `rtl/gen/<top>/`."""
        return cls.load(Path(gen_dir) / top / "clash-manifest.json")

    @property
    def verilog(self) -> Path:
        """The top module's file."""
        return self.path.parent / f"{self.top}.v"

    @property
    def verilog_sources(self) -> list[Path]:
        """Every Verilog file of the top: Clash writes one per NOINLINE component."""
        return sorted(self.path.parent.glob("*.v"))

    @property
    def clock(self) -> Port | None:
        clocks = [p for p in self.ports.values() if p.is_clock]
        return clocks[0] if clocks else None

    @property
    def domain(self) -> Domain | None:
        clk = self.clock
        return self.domains[clk.domain] if clk and clk.domain else None

    @property
    def reset(self) -> Port | None:
        """The reset input of the clock's domain (the non-clock port tagged with it)."""
        clk = self.clock
        if clk is None:
            return None
        resets = [p for p in self.ports.values()
                  if p.domain == clk.domain and not p.is_clock and p.direction == "in" and p.width == 1]
        return resets[0] if resets else None

    def port(self, name: str) -> Port:
        try:
            return self.ports[name]
        except KeyError:
            raise ManifestError(f"{self.path}: top {self.top} has no port {name!r} "
                                f"(ports: {', '.join(self.ports)})") from None

    def check_dut(self, dut: Any) -> None:
        """Every manifest port exists on the simulated DUT with the manifest's width."""
        for p in self.ports.values():
            handle = getattr(dut, p.name, None)
            if handle is None:
                raise ManifestError(f"{self.top}: port {p.name} from {self.path} is not on the DUT")
            width = len(handle)
            if width != p.width:
                raise ManifestError(f"{self.top}: port {p.name} is {width} bits wide, "
                                    f"manifest says {p.width}")


def to_unsigned(value: int, width: int) -> int:
    """Two's-complement bits of `value`; a value that does not fit is an error."""
    lo, hi = -(1 << (width - 1)), (1 << width) - 1
    if not lo <= value <= hi:
        raise ValueError(f"{value} does not fit in {width} bits")
    return value & ((1 << width) - 1)


def to_signed(bits: int, width: int) -> int:
    bits &= (1 << width) - 1
    return bits - (1 << width) if bits >> (width - 1) else bits


def pack_vec(values: Iterable[int], elem_width: int) -> int:
    """Clash `pack` of a Vec: element 0 in the most significant bits."""
    word = 0
    for v in values:
        word = (word << elem_width) | to_unsigned(int(v), elem_width)
    return word


def unpack_vec(word: int, n: int, elem_width: int, signed: bool = True) -> list[int]:
    """Inverse of `pack_vec` for an `n`-element Vec."""
    mask = (1 << elem_width) - 1
    out = []
    for i in range(n):
        bits = (word >> ((n - 1 - i) * elem_width)) & mask
        out.append(to_signed(bits, elem_width) if signed else bits)
    return out


def mem_lines(words: Sequence[int], width: int) -> str:
    """`$readmemb` text, one `width`-bit binary word per line."""
    return "".join(format(to_unsigned(int(w), width), f"0{width}b") + "\n" for w in words)
