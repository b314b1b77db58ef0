"""Pieces every env shares: scoreboard base, coverage helpers, bounded waits, seeding.

The re-exports below load on first use (PEP 562), so importing one light submodule
(`tb.common.knobs`, from the regression planner or `llama-dv run`) does not import
cocotb and pyuvm through this package.
"""
from __future__ import annotations

import importlib
from typing import Any

_SOURCES = {
    "CoverageHole": "coverage", "assert_bins_hit": "coverage", "coverage_holes": "coverage",
    "covergroup": "coverage", "export_coverage": "coverage", "load_coverage": "coverage",
    "ProtocolError": "protocol",
    "ArrayScoreboard": "scoreboard", "ScoreboardMismatch": "scoreboard", "as_signed": "scoreboard",
    "compare_arrays": "scoreboard", "describe_mismatch": "scoreboard",
    "regression_seed": "seeding", "rng": "seeding", "test_seed": "seeding",
    "DutTimeout": "timeout", "level": "timeout", "wait_level": "timeout", "within": "timeout",
}

__all__ = sorted(_SOURCES)


def __getattr__(name: str) -> Any:
    if name not in _SOURCES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_SOURCES[name]}"), name)
    globals()[name] = value
    return value
