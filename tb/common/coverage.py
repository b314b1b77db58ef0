"""Functional coverage helpers around cocotb-coverage.

Naming: every coverpoint lives under a covergroup `<dut>.<group>` (e.g.
`rmsnorm.dims.n`), so reports group by DUT and the closure check can select one DUT.
Each test exports the coverage DB to the file named by `LDV_COVERAGE_FILE`
(default `coverage.yml` in the run directory); regressions merge those files and
`assert_bins_hit` / `coverage_holes` decide closure from the merge, with the one merge
and hole rule of `llama_dv.tb.common.covmerge`.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Iterable, Mapping

from cocotb_coverage.coverage import coverage_db

from llama_dv.tb.common.covmerge import FunctionalCoverage, merge_exports
from llama_dv.tb.common.knobs import COVERAGE_FILE_ENV


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


def load_coverage(files: Iterable[str | Path]) -> FunctionalCoverage:
    """The merged coverage of exported files (cocotb-coverage's merge; `llama_dv.tb.common.covmerge`)."""
    return merge_exports(files)


def coverage_holes(cov: FunctionalCoverage, prefix: str = "") -> dict[str, list[str]]:
    """Coverpoint -> bins below its `at_least`, for coverpoints whose name starts with `prefix`."""
    return cov.holes(prefix)


def assert_bins_hit(cov: FunctionalCoverage, required: Mapping[str, Iterable[Any]] | None = None,
                    prefix: str = "") -> None:
    """Fail naming every required bin that is a hole (hits below its point's `at_least`).

    With `required`, checks exactly those (coverpoint -> bins); without it, every
    defined bin of every coverpoint under `prefix` (100% closure).
    """
    if required is None:
        holes = coverage_holes(cov, prefix)
        if not any(n.startswith(prefix) for n in cov.points):
            raise CoverageHole(f"no coverpoints under '{prefix}' in the coverage data")
    else:
        holes = {}
        for name, wanted in required.items():
            point = cov.points.get(name)
            if point is None:
                raise CoverageHole(f"coverpoint '{name}' is not in the coverage data")
            missing = [str(b) for b in wanted if str(b) in point.holes or str(b) not in point.hits]
            if missing:
                holes[name] = missing
    if holes:
        lines = [f"  {n}: {', '.join(b)}" for n, b in sorted(holes.items())]
        total = sum(len(b) for b in holes.values())
        raise CoverageHole(f"{total} coverage bins not hit:\n" + "\n".join(lines))
