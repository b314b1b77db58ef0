"""attention functional coverage (covergroups `attention.dims`, `attention.values`,
`attention.protocol`). Every bin is listed in docs/dv/attention.md.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pyuvm
from cocotb_coverage.coverage import CoverPoint, coverage_section

from models.numerics import INT32_MIN
from tb.agents.ap_ctrl import ApCtrlTiming
from tb.agents.ap_ctrl.coverage import invocation_coverage
from tb.common.classify import (FLOW_BINS, LATENCY_BINS, MAG_BINS, MEMBER, SAT_BINS, latency_mode,
                                magnitude_bin, saturation_bins)
from tb.common.coverage import covergroup
from tb.envs.attention.item import SEQ_LEN, AttentionCall

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


def _operands_most_negative(c: AttentionCall) -> bool:
    rows = slice(0, c.pos + 1)
    return bool(np.any(c.q == INT32_MIN) or np.any(c.km[rows] == -128) or np.any(c.vm[rows] == -128))


sample_call = coverage_section(
    CoverPoint(f"{DIMS}.pos", xf=lambda c, env: c.pos, bins=list(range(SEQ_LEN))),
    CoverPoint(f"{VALUES}.max_updates", xf=lambda c, env: updates_bin(c.max_updates), bins=UPDATE_BINS),
    CoverPoint(f"{VALUES}.k_exp", xf=lambda c, env: exp_bins(c.ke[: c.pos + 1]), bins=EXP_BINS, **MEMBER),
    CoverPoint(f"{VALUES}.v_exp", xf=lambda c, env: exp_bins(c.ve[: c.pos + 1]), bins=EXP_BINS, **MEMBER),
    CoverPoint(f"{VALUES}.q_magnitude", xf=lambda c, env: magnitude_bin(c.q), bins=MAG_BINS),
    CoverPoint(f"{VALUES}.saturation", xf=lambda c, env: saturation_bins(c.expected), bins=SAT_BINS, **MEMBER),
    CoverPoint(f"{VALUES}.most_negative", xf=lambda c, env: _operands_most_negative(c), bins=[False, True]),
    CoverPoint(f"{PROTOCOL}.latency_mode", xf=lambda c, env: latency_mode(), bins=LATENCY_BINS),
    CoverPoint(f"{PROTOCOL}.in_valid_gaps", xf=lambda c, env: env.q.cfg.pattern, bins=FLOW_BINS),
    CoverPoint(f"{PROTOCOL}.out_backpressure", xf=lambda c, env: env.out_r.cfg.pattern, bins=FLOW_BINS),
)(lambda call, env: None)

sample_timing, sample_reset = invocation_coverage(PROTOCOL, chain=True)


class AttentionCoverage(pyuvm.uvm_subscriber):
    def __init__(self, name: str, parent: Any, env: Any) -> None:
        super().__init__(name, parent)
        self.env = env

    def write(self, tt: Any) -> None:
        if isinstance(tt, ApCtrlTiming):
            sample_timing(tt)
        elif isinstance(tt, AttentionCall):
            sample_call(tt, self.env)
