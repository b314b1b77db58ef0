"""The regression's functional coverage: one merged export per run, merged again across runs.

The model, the merge (cocotb-coverage's `merge_coverage`) and the hole rule live in
`llama_dv.tb.common.covmerge`, shared with the pytest closure assertions; this module names the
regression's files: `coverage/functional.yml` (the merged cocotb-coverage export of a run)
and `coverage/functional.json` (the same, grouped, for the report).
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterable

from llama_dv.tb.common.covmerge import CoverageFileError, CoverGroup, CoverPoint, FunctionalCoverage, merge_exports, read_export

MERGED_EXPORT = "coverage/functional.yml"
SUMMARY_JSON = "coverage/functional.json"

__all__ = ["CoverageFileError", "CoverGroup", "CoverPoint", "FunctionalCoverage", "MERGED_EXPORT",
           "SUMMARY_JSON", "merge_files", "merge_runs"]


def merge_files(paths: Iterable[Path], merged_file: Path | None = None) -> FunctionalCoverage:
    """Merge test exports; an unreadable one raises CoverageFileError naming it."""
    return merge_exports(paths, merged_file)


def merge_runs(paths: Iterable[Path], merged_file: Path | None = None,
               errors: list[str] | None = None) -> FunctionalCoverage:
    """Merge the exports that can be read; each one that cannot is named in *errors*
    (a regression keeps its other results rather than failing on one bad file)."""
    good = []
    for path in paths:
        try:
            read_export(path)
            good.append(path)
        except CoverageFileError as exc:
            if errors is None:
                raise
            errors.append(str(exc))
    cov = merge_exports(good, merged_file)
    cov.sources = len(good)
    return cov
