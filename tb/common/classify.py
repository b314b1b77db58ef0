"""Value classes shared by the kernel covergroups (bins named in docs/dv/*.md)."""
from __future__ import annotations

import numpy as np

from collections.abc import Mapping

from llama_dv.models.numerics import FRAC, INT32_MAX, INT32_MIN, bitlen, i64, rshr
from llama_dv.tb.common.knobs import dut_config

MAG_BINS = ["zero", "1-8", "9-16", "17-24", "25-31", "32"]
SAT_BINS = ["none", "pos", "neg"]
LATENCY_BINS = ["pad0", "pad>0"]
STALL_BINS = ["1", "2-4", "5+"]
FLOW_BINS = ["none", "random", "bursty", "worst"]


def magnitude_bin(x: np.ndarray) -> str:
    """Bit length of max |x| (32 only for INT32_MIN)."""
    b = int(bitlen(np.max(np.abs(i64(x)))))
    return "zero" if b == 0 else "1-8" if b <= 8 else "9-16" if b <= 16 else "17-24" if b <= 24 else \
        "25-31" if b <= 31 else "32"


def saturation_bins(values: np.ndarray) -> set[str]:
    """Which saturation rails the (golden) output touches."""
    hit = set()
    if np.any(values == INT32_MAX):
        hit.add("pos")
    if np.any(values == INT32_MIN):
        hit.add("neg")
    return hit or {"none"}


def residue_bins(values: np.ndarray, residues: Mapping[str, int]) -> set[str]:
    """Names of `residues` the low FRAC bits of any of `values` land on (the rounding point of rshr)."""
    low = np.asarray(values, np.int64) % (1 << FRAC)
    return {name for name, v in residues.items() if np.any(low == v)}


def rounded_bins(values: np.ndarray, edges: Mapping[str, int]) -> set[str]:
    """Names of `edges` that rshr(value, FRAC) of any of `values` equals (before saturation)."""
    r = rshr(np.asarray(values, np.int64), FRAC)
    return {name for name, v in edges.items() if np.any(r == v)}


def latency_mode() -> str:
    """'pad>0' when the build under test inserts LATENCY_PAD idle cycles."""
    cfg = dut_config()
    return "pad>0" if cfg.startswith("pad") and cfg != "pad0" else "pad0"


def stall_bin(cycles: int) -> str:
    return "1" if cycles <= 1 else "2-4" if cycles <= 4 else "5+"


MEMBER = {"rel": lambda val, b: b in val, "inj": False}
"""CoverPoint options for a sample that hits a set of bins at once (every member counts)."""
