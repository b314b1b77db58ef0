"""Functional coverage: merge cocotb-coverage YAML exports and find the holes.

Each test exports ``coverage_db.export_to_yaml`` to ``$LDV_COVERAGE_FILE``. Merging adds
bin hits point by point; a covergroup is the ``<dut>.<group>`` prefix of its points, and
its coverage is covered bins / all bins of its points (cocotb-coverage's own rule).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import yaml


class CoverageFileError(ValueError):
    """A coverage export cannot be read; the message names the file."""


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
    """Merged bin hits of every cover point seen in a regression."""

    points: dict[str, CoverPoint] = field(default_factory=dict)
    sources: int = 0

    def add_file(self, path: Path) -> None:
        try:
            data = yaml.safe_load(Path(path).read_text()) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise CoverageFileError(f"{path}: cannot read coverage export: {exc}") from exc
        if not isinstance(data, dict):
            raise CoverageFileError(f"{path}: expected a mapping of cover items, got {type(data).__name__}")
        self.add_export(data, str(path))

    def add_export(self, data: dict[str, Any], where: str = "<export>") -> None:
        self.sources += 1
        for name, item in data.items():
            if not isinstance(item, dict) or "bins:_hits" not in item:
                continue  # a group node: recomputed from its points
            point = self.points.setdefault(
                name, CoverPoint(name, int(item.get("at_least", 1)), int(item.get("weight", 1))))
            for bin_name, hits in (item["bins:_hits"] or {}).items():
                key = str(bin_name)
                point.hits[key] = point.hits.get(key, 0) + int(hits)

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


def merge_files(paths: Iterable[Path]) -> FunctionalCoverage:
    cov = FunctionalCoverage()
    for path in paths:
        cov.add_file(path)
    return cov
