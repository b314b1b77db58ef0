"""rope functional coverage (covergroups `rope.dims`, `rope.values`, `rope.protocol`),
sampled once per checked call; the generic env adds the ap_ctrl_chain invocation
coverpoints under `rope.protocol`. Every bin is listed in docs/dv/rope.md.
"""
from __future__ import annotations

from typing import Any

import numpy as np
from cocotb_coverage.coverage import CoverPoint, coverage_section

from llama_dv.models.numerics import INT32_MIN
from llama_dv.tb.common.classify import (FLOW_BINS, LATENCY_BINS, MAG_BINS, MEMBER, SAT_BINS, latency_mode,
                                         magnitude_bin, residue_bins, rounded_bins, saturation_bins)
from llama_dv.tb.common.coverage import covergroup
from llama_dv.tb.envs.rope.sequences import ROUNDING, SAT_EDGES, SEQ_LEN, pre_round

DIMS = covergroup("rope", "dims")
VALUES = covergroup("rope", "values")
PROTOCOL = covergroup("rope", "protocol")

N_BINS = ["2", "4-16", "18-128", "130-254", "256"]


def n_bin(n: int) -> str:
    return "2" if n == 2 else "4-16" if n <= 16 else "18-128" if n <= 128 else "130-254" if n < 256 else "256"


def _x(call: Any) -> np.ndarray:
    return np.asarray(call.inputs["in_r"], np.int64)


def _sums(call: Any) -> np.ndarray:
    return pre_round(_x(call)[:call.inputs["n"]], call.inputs["pos"])


def rounding_bins(call: Any) -> set[str]:
    """ROUNDING residues the low 20 bits of the call's pre-rounding sums land on (random
    words hit one with odds 2^-20 per output: only the directed rounding calls get there)."""
    return residue_bins(_sums(call), ROUNDING)


def sat_edge_bins(call: Any) -> set[str]:
    """SAT_EDGES the rounded sums (before sat32) hit exactly."""
    return rounded_bins(_sums(call), SAT_EDGES)


coverage = coverage_section(
    CoverPoint(f"{DIMS}.n", xf=lambda c: n_bin(c.inputs["n"]), bins=N_BINS),
    CoverPoint(f"{DIMS}.pos", xf=lambda c: c.inputs["pos"], bins=list(range(SEQ_LEN))),
    CoverPoint(f"{VALUES}.x_magnitude", xf=lambda c: magnitude_bin(_x(c)), bins=MAG_BINS),
    CoverPoint(f"{VALUES}.saturation", xf=lambda c: saturation_bins(c.expected["out_r"]), bins=SAT_BINS, **MEMBER),
    CoverPoint(f"{VALUES}.most_negative", xf=lambda c: bool(np.any(_x(c) == INT32_MIN)), bins=[False, True]),
    CoverPoint(f"{VALUES}.rounding", xf=rounding_bins, bins=list(ROUNDING), **MEMBER),
    CoverPoint(f"{VALUES}.sat_edges", xf=sat_edge_bins, bins=list(SAT_EDGES), **MEMBER),
    CoverPoint(f"{PROTOCOL}.latency_mode", xf=lambda c: latency_mode(), bins=LATENCY_BINS),
    CoverPoint(f"{PROTOCOL}.in_valid_gaps", xf=lambda c: c.flow["in_r"], bins=FLOW_BINS),
    CoverPoint(f"{PROTOCOL}.out_backpressure", xf=lambda c: c.flow["out_r"], bins=FLOW_BINS),
)(lambda call: None)
