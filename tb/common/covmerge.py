"""Merged functional coverage: cocotb-coverage's own merge of test exports, one hole rule.

Every test exports cocotb-coverage's YAML (`llama_dv.tb.common.coverage.export_coverage`). All that
judges coverage — the pytest closure assertions, the regression merge, the report and the
sign-off — merges exports with `cocotb_coverage.coverage.merge_coverage` and reads the one
merged file here. So hits are added one way, and a bin is a hole by one rule: its hits are
below its coverpoint's `at_least`. A covergroup is the `<dut>.<group>` prefix of its
points; its coverage is covered bins / all bins of its points.
"""
from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import yaml
from cocotb_coverage.coverage import merge_coverage

HITS_KEY = "bins:_hits"


class CoverageFileError(ValueError):
    """A coverage export cannot be read or merged; the message names the file(s)."""


@dataclass
class CoverPoint:
    name: str
    at_least: int
    weight: int
    hits: dict[str, int] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return len(self.hits)

    @property
    def covered(self) -> int:
        return sum(h >= self.at_least for h in self.hits.values())

    @property
    def holes(self) -> list[str]:
        """The one hole rule: fewer hits than the point's `at_least`."""
        return [b for b, h in self.hits.items() if h < self.at_least]


@dataclass
class CoverGroup:
    name: str
    points: list[CoverPoint]

    @property
    def size(self) -> int:
        return sum(p.size for p in self.points)

    @property
    def covered(self) -> int:
        return sum(p.covered for p in self.points)

    @property
    def percent(self) -> float:
        return 100.0 * self.covered / self.size if self.size else 0.0


@dataclass
class FunctionalCoverage:
    """Bin hits of every cover point of one merged export."""

    points: dict[str, CoverPoint] = field(default_factory=dict)
    sources: int = 0
    """How many test exports went into the merge."""

    @classmethod
    def from_export(cls, data: dict[str, Any], sources: int = 1) -> "FunctionalCoverage":
        cov = cls(sources=sources)
        for name, item in data.items():
            if isinstance(item, dict) and HITS_KEY in item:  # group nodes are recomputed from points
                cov.points[name] = CoverPoint(name, int(item.get("at_least", 1)), int(item.get("weight", 1)),
                                              {str(b): int(h) for b, h in (item[HITS_KEY] or {}).items()})
        return cov

    def groups(self) -> list[CoverGroup]:
        """Covergroups (``<dut>.<group>``) with their points, sorted by name."""
        grouped: dict[str, list[CoverPoint]] = {}
        for name, point in sorted(self.points.items()):
            parts = name.split(".")
            group = ".".join(parts[:2]) if len(parts) > 2 else name
            grouped.setdefault(group, []).append(point)
        return [CoverGroup(g, pts) for g, pts in grouped.items()]

    def group(self, name: str) -> CoverGroup | None:
        return next((g for g in self.groups() if g.name == name), None)

    def percent_of(self, names: Iterable[str]) -> float | None:
        """Coverage over the named groups (None if any of them was never sampled)."""
        groups = [self.group(n) for n in names]
        if any(g is None for g in groups) or not groups:
            return None
        size = sum(g.size for g in groups if g)
        return 100.0 * sum(g.covered for g in groups if g) / size if size else 0.0

    def holes(self, prefix: str = "") -> dict[str, list[str]]:
        """Coverpoint -> its holes, for coverpoints whose name starts with *prefix*."""
        return {n: p.holes for n, p in sorted(self.points.items()) if n.startswith(prefix) and p.holes}

    def to_json(self) -> dict[str, Any]:
        return {
            "sources": self.sources,
            "groups": [
                {"name": g.name, "percent": round(g.percent, 2), "covered": g.covered, "size": g.size,
                 "points": [{"name": p.name, "at_least": p.at_least, "weight": p.weight, "hits": p.hits,
                             "holes": p.holes} for p in g.points]}
                for g in self.groups()
            ],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "FunctionalCoverage":
        cov = cls(sources=int(data.get("sources", 0)))
        for g in data.get("groups", []):
            for p in g["points"]:
                cov.points[p["name"]] = CoverPoint(p["name"], p["at_least"], p["weight"], dict(p["hits"]))
        return cov


def read_export(path: Path) -> dict[str, Any]:
    """One cocotb-coverage YAML export, checked to be a mapping; errors name the file."""
    try:
        data = yaml.safe_load(Path(path).read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise CoverageFileError(f"{path}: cannot read coverage export: {exc}") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise CoverageFileError(f"{path}: expected a mapping of cover items, got {type(data).__name__}")
    return data


def merge_exports(paths: Iterable[str | Path], merged_file: str | Path | None = None) -> FunctionalCoverage:
    """Merge test exports with cocotb-coverage's `merge_coverage` (kept in *merged_file* when
    given) and read the result. Raises CoverageFileError naming a file it cannot use."""
    files = [Path(p) for p in paths]
    usable = [f for f in files if read_export(f)]  # an empty export adds nothing
    if not usable:
        if merged_file is not None:
            Path(merged_file).write_text("{}\n")
        return FunctionalCoverage(sources=len(files))
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(merged_file) if merged_file is not None else Path(tmp) / "merged.yml"
        out.parent.mkdir(parents=True, exist_ok=True)
        try:
            merge_coverage(lambda _msg: None, str(out), *(str(f) for f in usable))
        except (KeyError, TypeError, AttributeError) as exc:
            raise CoverageFileError(
                f"cannot merge {', '.join(str(f) for f in usable)}: the same cover point has different bins "
                f"or items ({type(exc).__name__}: {exc})") from exc
        return FunctionalCoverage.from_export(read_export(out), sources=len(files))
