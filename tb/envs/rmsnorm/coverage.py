"""rmsnorm functional coverage (covergroups `rmsnorm.dims`, `rmsnorm.values`, `rmsnorm.protocol`).

Sampled once per checked call by the generic env (`coverage(call)`); the generic
protocol coverpoints (back-to-back, reset mid-operation) join them under
`rmsnorm.protocol`. Every bin is listed in docs/dv/rmsnorm.md; the coverage-closure
check requires all of them over the full suite.
"""
from __future__ import annotations

from typing import Any

import numpy as np
from cocotb_coverage.coverage import CoverPoint, coverage_section

from llama_dv.models import tables
from llama_dv.models.numerics import FRAC, INT32_MAX, INT32_MIN, bitlen, i64, rshr, sat32
from llama_dv.tb.common.coverage import covergroup
from llama_dv.tb.common.classify import (LATENCY_BINS, MAG_BINS, MEMBER, SAT_BINS, latency_mode, magnitude_bin,
                                         residue_bins, rounded_bins, saturation_bins)
from llama_dv.tb.envs.rmsnorm.sequences import ROUNDING, SAT_EDGES, final_products

DIMS = covergroup("rmsnorm", "dims")
VALUES = covergroup("rmsnorm", "values")
PROTOCOL = covergroup("rmsnorm", "protocol")

N_BINS = ["1", "2-16", "17-128", "129-255", "256"]
MS_EXP_BINS = ["-17..-11", "-10..-1", "0..5", "6..10"]
PARITY_BINS = ["even", "odd"]


def n_bin(n: int) -> str:
    return "1" if n == 1 else "2-16" if n <= 16 else "17-128" if n <= 128 else "129-255" if n < 256 else "256"


def ms_exponent(x: np.ndarray) -> int:
    """Exponent E of the invsqrt argument v = sat32(min(ss // n, 2^31-1) + EPS)."""
    x = i64(x)
    ms = min(int(np.sum(rshr(x * x, FRAC))) // x.size, INT32_MAX)
    v = int(sat32(ms + tables.EPS))
    return int(bitlen(v)) - 1 - FRAC


def ms_exp_bin(e: int) -> str:
    return "-17..-11" if e <= -11 else "-10..-1" if e <= -1 else "0..5" if e <= 5 else "6..10"


def _x(call: Any) -> np.ndarray:
    return np.asarray(call.inputs["x"][:call.inputs["n"]], np.int64)


def _products(call: Any) -> np.ndarray:
    return final_products(_x(call), np.asarray(call.inputs["w"][:call.inputs["n"]], np.int64))


def rounding_bins(call: Any) -> set[str]:
    """ROUNDING residues the low 20 bits of the final products p*g land on (random words hit
    one with odds 2^-20 per element: only the directed `rounding` call gets there)."""
    return residue_bins(_products(call), ROUNDING)


def sat_edge_bins(call: Any) -> set[str]:
    """SAT_EDGES the rounded final products (before sat32) hit exactly."""
    return rounded_bins(_products(call), SAT_EDGES)


coverage = coverage_section(
    CoverPoint(f"{DIMS}.n", xf=lambda c: n_bin(c.inputs["n"]), bins=N_BINS),
    CoverPoint(f"{VALUES}.x_magnitude", xf=lambda c: magnitude_bin(_x(c)), bins=MAG_BINS),
    CoverPoint(f"{VALUES}.saturation", xf=lambda c: saturation_bins(c.expected["out"]), bins=SAT_BINS, **MEMBER),
    CoverPoint(f"{VALUES}.most_negative", xf=lambda c: bool(np.any(_x(c) == INT32_MIN)), bins=[False, True]),
    CoverPoint(f"{VALUES}.ms_exponent", xf=lambda c: ms_exp_bin(ms_exponent(_x(c))), bins=MS_EXP_BINS),
    CoverPoint(f"{VALUES}.ms_parity", xf=lambda c: PARITY_BINS[ms_exponent(_x(c)) & 1], bins=PARITY_BINS),
    CoverPoint(f"{VALUES}.rounding", xf=rounding_bins, bins=list(ROUNDING), **MEMBER),
    CoverPoint(f"{VALUES}.sat_edges", xf=sat_edge_bins, bins=list(SAT_EDGES), **MEMBER),
    CoverPoint(f"{PROTOCOL}.latency_mode", xf=lambda c: latency_mode(), bins=LATENCY_BINS),
)(lambda call: None)
