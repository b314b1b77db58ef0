"""Functional coverage helpers around cocotb-coverage.

Naming: every coverpoint lives under a covergroup `<dut>.<group>` (e.g.
`rmsnorm.dims.n`), so reports group by DUT and the closure check can select one DUT.
Each test exports the coverage DB to the file named by `LDV_COVERAGE_FILE`
(default `coverage.yml` in the run directory); regressions merge those files and
`assert_bins_hit` / `coverage_holes` decide closure from the merge.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Iterable, Mapping

import yaml
from cocotb_coverage.coverage import coverage_db

COVERAGE_FILE_ENV = "LDV_COVERAGE_FILE"
_HITS_KEY = "bins:_hits"


class CoverageHole(AssertionError):
    """Required coverage bins were not hit."""


def covergroup(dut: str, group: str) -> str:
    """Name of a covergroup: `<dut>.<group>`; coverpoints append `.<point>`."""
    return f"{dut}.{group}"


def coverage_file() -> Path:
    return Path(os.environ.get(COVERAGE_FILE_ENV, "coverage.yml"))


def export_coverage(path: str | Path | None = None) -> Path:
    """Write the whole coverage DB of this test process to YAML; returns the file."""
    target = Path(path) if path is not None else coverage_file()
    target.parent.mkdir(parents=True, exist_ok=True)
    coverage_db.export_to_yaml(str(target))
    return target


def _bins_of(node: Mapping[str, Any]) -> dict[str, int] | None:
    hits = node.get(_HITS_KEY)
    if hits is None:
        return None
    return {str(k): int(v) for k, v in hits.items()}


def load_bins(files: Iterable[str | Path]) -> dict[str, dict[str, int]]:
    """Merge exported coverage files: coverpoint name -> {bin (as str): total hits}."""
    merged: dict[str, dict[str, int]] = {}
    for f in files:
        data = yaml.safe_load(Path(f).read_text()) or {}
        for name, node in data.items():
            bins = _bins_of(node) if isinstance(node, Mapping) else None
            if bins is None:
                continue
            into = merged.setdefault(name, {})
            for b, h in bins.items():
                into[b] = into.get(b, 0) + h
    return merged


def live_bins() -> dict[str, dict[str, int]]:
    """The in-process coverage DB in the same shape as `load_bins`."""
    out: dict[str, dict[str, int]] = {}
    for name in coverage_db:
        item = coverage_db[name]
        detailed = getattr(item, "detailed_coverage", None)
        if detailed is None or not hasattr(item, "at_least"):
            continue
        out[name] = {str(k): int(v) for k, v in detailed.items()}
    return out


def coverage_holes(bins: Mapping[str, Mapping[str, int]], prefix: str = "") -> dict[str, list[str]]:
    """Coverpoint -> bins with zero hits, for coverpoints whose name starts with `prefix`."""
    holes = {}
    for name, hits in bins.items():
        if not name.startswith(prefix):
            continue
        missing = [b for b, h in hits.items() if h == 0]
        if missing:
            holes[name] = missing
    return holes


def assert_bins_hit(bins: Mapping[str, Mapping[str, int]], required: Mapping[str, Iterable[Any]] | None = None,
                    prefix: str = "") -> None:
    """Fail naming every required bin that was not hit.

    With `required`, checks exactly those (coverpoint -> bins); without it, every
    defined bin of every coverpoint under `prefix` (100% closure).
    """
    if required is None:
        holes = coverage_holes(bins, prefix)
        if not any(n.startswith(prefix) for n in bins):
            raise CoverageHole(f"no coverpoints under '{prefix}' in the coverage data")
    else:
        holes = {}
        for name, wanted in required.items():
            if name not in bins:
                raise CoverageHole(f"coverpoint '{name}' is not in the coverage data")
            missing = [str(b) for b in wanted if bins[name].get(str(b), 0) == 0]
            if missing:
                holes[name] = missing
    if holes:
        lines = [f"  {n}: {', '.join(b)}" for n, b in sorted(holes.items())]
        total = sum(len(b) for b in holes.values())
        raise CoverageHole(f"{total} coverage bins not hit:\n" + "\n".join(lines))
