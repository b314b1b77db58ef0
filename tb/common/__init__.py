"""Pieces every env shares: scoreboard base, coverage helpers, bounded waits, seeding."""
from tb.common.coverage import (CoverageHole, assert_bins_hit, coverage_holes, covergroup,
                                export_coverage, load_coverage)
from tb.common.protocol import ProtocolError
from tb.common.scoreboard import ArrayScoreboard, ScoreboardMismatch, as_signed, compare_arrays, describe_mismatch
from tb.common.seeding import regression_seed, rng, test_seed
from tb.common.timeout import DutTimeout, level, wait_level, within

__all__ = [
    "ArrayScoreboard", "CoverageHole", "ProtocolError", "ScoreboardMismatch", "as_signed",
    "assert_bins_hit", "compare_arrays", "coverage_holes", "covergroup", "describe_mismatch",
    "DutTimeout", "export_coverage", "level", "load_coverage", "regression_seed", "rng",
    "test_seed", "wait_level", "within",
]
