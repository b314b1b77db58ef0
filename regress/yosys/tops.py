"""Which designs get synthesized: HLS kernels from `rtl/hls/*.yaml`, Clash tops from `rtl/gen/*/`.

Discovery runs at synthesis time, so Clash tops generated after this code was written are
picked up without a list to maintain. Fault-injection variants (name containing
`_fault_`) are deliberately broken designs for negative tests; their resource figures mean
nothing, so they are left out unless asked for.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

from llama_dv.tb.dut_description import DutDescriptionError, load_description

FAULT_MARKER = "_fault_"
VERILOG_SUFFIXES = (".v", ".sv")


class TopDiscoveryError(ValueError):
    """A design directory or description cannot be turned into a synthesis top."""


@dataclass(frozen=True)
class SynthTop:
    """One design to synthesize: its top module, its sources and how to elaborate it."""

    name: str
    kind: str  # "hls" | "clash" | "custom"
    sources: tuple[Path, ...]
    source_dir: Path
    parameters: Mapping[str, int] = field(default_factory=dict)
    defines: Mapping[str, object] = field(default_factory=dict)
    clock_period_ns: float | None = None

    @property
    def is_fault_variant(self) -> bool:
        return FAULT_MARKER in self.name


def hls_tops(hls_dir: Path) -> list[SynthTop]:
    """Every kernel described by a `rtl/hls/*.yaml` DUT description."""
    tops = []
    for desc_path in sorted(hls_dir.glob("*.yaml")):
        try:
            desc = load_description(desc_path)
        except DutDescriptionError as exc:
            raise TopDiscoveryError(str(exc)) from exc
        missing = [str(s) for s in desc.sources if not s.is_file()]
        if missing:
            raise TopDiscoveryError(f"{desc_path}: sources not found: {', '.join(missing)}")
        params = dict(desc.parameters)
        if "FAULT" in params:
            params["FAULT"] = 0  # the clean design, whatever the description defaults to
        tops.append(SynthTop(name=desc.toplevel, kind="hls", sources=tuple(desc.sources),
                             source_dir=desc_path.parent, parameters=params,
                             defines=dict(desc.defines), clock_period_ns=desc.clock.period_ns))
    return tops


def clash_top(top_dir: Path) -> SynthTop:
    """The top described by `<top_dir>/clash-manifest.json` (top name and clock period)."""
    manifest_path = top_dir / "clash-manifest.json"
    try:
        manifest = json.loads(manifest_path.read_text())
        name = manifest["top_component"]["name"]
    except OSError as exc:
        raise TopDiscoveryError(f"{manifest_path}: cannot read: {exc.strerror}") from exc
    except (ValueError, KeyError, TypeError) as exc:
        raise TopDiscoveryError(f"{manifest_path}: no top_component.name ({exc})") from exc
    sources = tuple(sorted(p for p in top_dir.iterdir() if p.suffix in VERILOG_SUFFIXES))
    if not sources:
        raise TopDiscoveryError(f"{top_dir}: clash-manifest.json present but no Verilog files")
    return SynthTop(name=name, kind="clash", sources=sources, source_dir=top_dir,
                    clock_period_ns=_clash_period_ns(manifest))


def _clash_period_ns(manifest: Mapping) -> float | None:
    """Clock period of the domain of the top's clock port (Clash records picoseconds)."""
    domains = manifest.get("domains") or {}
    for port in manifest.get("top_component", {}).get("ports_flat", []):
        if port.get("is_clock") and port.get("domain") in domains:
            period_ps = domains[port["domain"]].get("period")
            if isinstance(period_ps, (int, float)) and period_ps > 0:
                return period_ps / 1000.0
    return None


def clash_tops(gen_dir: Path) -> list[SynthTop]:
    """Every `rtl/gen/<top>/` that holds a Clash manifest (none is fine)."""
    if not gen_dir.is_dir():
        return []
    return [clash_top(d) for d in sorted(gen_dir.iterdir())
            if d.is_dir() and (d / "clash-manifest.json").is_file()]


def discover_tops(repo_root: Path, include_faults: bool = False) -> list[SynthTop]:
    """All synthesis tops of the checkout, HLS kernels first."""
    tops = hls_tops(repo_root / "rtl" / "hls") + clash_tops(repo_root / "rtl" / "gen")
    if not include_faults:
        tops = [t for t in tops if not t.is_fault_variant]
    names = [t.name for t in tops]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise TopDiscoveryError(f"top name {dup[0]!r} found twice (rtl/hls and rtl/gen)")
    return tops


def custom_top(name: str, sources: list[Path]) -> SynthTop:
    """A top given by module name and Verilog files (for ad-hoc runs and tests)."""
    for src in sources:
        if not src.is_file():
            raise TopDiscoveryError(f"top {name}: source not found: {src}")
    return SynthTop(name=name, kind="custom", sources=tuple(s.resolve() for s in sources),
                    source_dir=sources[0].resolve().parent)
