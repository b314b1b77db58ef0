"""attention functional coverage (covergroups `attention.dims`, `attention.values`,
`attention.protocol`), sampled once per checked call; the generic env adds the
ap_ctrl_chain invocation coverpoints under `attention.protocol`. Every bin is listed in
docs/dv/attention.md.
"""
from __future__ import annotations

from typing import Any

import numpy as np
from cocotb_coverage.coverage import CoverPoint, coverage_section

from llama_dv.models.kernels import attention_head_fixed
from llama_dv.models.numerics import INT32_MIN
from llama_dv.tb.common.classify import (FLOW_BINS, LATENCY_BINS, MAG_BINS, MEMBER, SAT_BINS, latency_mode,
                                         magnitude_bin, residue_bins, saturation_bins)
from llama_dv.tb.common.coverage import covergroup
from llama_dv.tb.envs.attention.sequences import HEAD_DIM, ROUNDING, SEQ_LEN, final_products

DIMS = covergroup("attention", "dims")
VALUES = covergroup("attention", "values")
PROTOCOL = covergroup("attention", "protocol")

UPDATE_BINS = ["0", "1", "2-4", "5+"]
EXP_BINS = ["-64", "-63..-21", "-20..0", "1..62", "63"]


def updates_bin(k: int) -> str:
    return "0" if k == 0 else "1" if k == 1 else "2-4" if k <= 4 else "5+"


def exp_bins(e: np.ndarray) -> set[str]:
    """Classes of the exponents of the rows the call reads (0..pos)."""
    out = set()
    for v in np.asarray(e).tolist():
        out.add("-64" if v == -64 else "-63..-21" if v <= -21 else "-20..0" if v <= 0 else "1..62" if v < 63 else "63")
    return out


def max_updates(call: Any) -> int:
    """Online-softmax steps of the call whose running maximum grew (from the golden's trace)."""
    i = call.inputs
    trace: list[dict] = []
    km, vm = (np.asarray(i[c], np.int64).reshape(SEQ_LEN, HEAD_DIM) for c in ("k_cache", "v_cache"))
    attention_head_fixed(i["q"], km, i["k_exp"], vm, i["v_exp"], i["pos"], HEAD_DIM, trace=trace)
    return sum(bool(np.any(s["updated"])) for s in trace)


def _operands_most_negative(c: Any) -> bool:
    i, rows = c.inputs, (c.inputs["pos"] + 1) * HEAD_DIM
    return bool(np.any(i["q"] == INT32_MIN) or np.any(i["k_cache"][:rows] == -128)
                or np.any(i["v_cache"][:rows] == -128))


def rounding_bins(call: Any) -> set[str]:
    """ROUNDING residues the low 20 bits of the final products acc * r land on (random calls
    hit one with odds 2^-20 per lane: only the directed `rounding` call gets there)."""
    return residue_bins(final_products(call.inputs), ROUNDING)


def _rows(c: Any, exp: str) -> np.ndarray:
    return np.asarray(c.inputs[exp][: c.inputs["pos"] + 1])


coverage = coverage_section(
    CoverPoint(f"{DIMS}.pos", xf=lambda c: c.inputs["pos"], bins=list(range(SEQ_LEN))),
    CoverPoint(f"{VALUES}.max_updates", xf=lambda c: updates_bin(max_updates(c)), bins=UPDATE_BINS),
    CoverPoint(f"{VALUES}.k_exp", xf=lambda c: exp_bins(_rows(c, "k_exp")), bins=EXP_BINS, **MEMBER),
    CoverPoint(f"{VALUES}.v_exp", xf=lambda c: exp_bins(_rows(c, "v_exp")), bins=EXP_BINS, **MEMBER),
    CoverPoint(f"{VALUES}.q_magnitude", xf=lambda c: magnitude_bin(c.inputs["q"]), bins=MAG_BINS),
    CoverPoint(f"{VALUES}.saturation", xf=lambda c: saturation_bins(c.expected["out_r"]), bins=SAT_BINS, **MEMBER),
    CoverPoint(f"{VALUES}.most_negative", xf=_operands_most_negative, bins=[False, True]),
    CoverPoint(f"{VALUES}.rounding", xf=rounding_bins, bins=list(ROUNDING), **MEMBER),
    CoverPoint(f"{PROTOCOL}.latency_mode", xf=lambda c: latency_mode(), bins=LATENCY_BINS),
    CoverPoint(f"{PROTOCOL}.in_valid_gaps", xf=lambda c: c.flow["q"], bins=FLOW_BINS),
    CoverPoint(f"{PROTOCOL}.out_backpressure", xf=lambda c: c.flow["out_r"], bins=FLOW_BINS),
)(lambda call: None)
