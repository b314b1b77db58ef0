"""rope functional coverage (covergroups `rope.dims`, `rope.values`, `rope.protocol`).

Every bin is listed in docs/dv/rope.md.
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
from tb.envs.rope.item import SEQ_LEN, RopeCall

DIMS = covergroup("rope", "dims")
VALUES = covergroup("rope", "values")
PROTOCOL = covergroup("rope", "protocol")

N_BINS = ["2", "4-16", "18-128", "130-254", "256"]


def n_bin(n: int) -> str:
    return "2" if n == 2 else "4-16" if n <= 16 else "18-128" if n <= 128 else "130-254" if n < 256 else "256"


sample_call = coverage_section(
    CoverPoint(f"{DIMS}.n", xf=lambda c, env: n_bin(c.n), bins=N_BINS),
    CoverPoint(f"{DIMS}.pos", xf=lambda c, env: c.pos, bins=list(range(SEQ_LEN))),
    CoverPoint(f"{VALUES}.x_magnitude", xf=lambda c, env: magnitude_bin(c.x), bins=MAG_BINS),
    CoverPoint(f"{VALUES}.saturation", xf=lambda c, env: saturation_bins(c.expected), bins=SAT_BINS, **MEMBER),
    CoverPoint(f"{VALUES}.most_negative", xf=lambda c, env: bool(np.any(c.x == INT32_MIN)), bins=[False, True]),
    CoverPoint(f"{PROTOCOL}.latency_mode", xf=lambda c, env: latency_mode(), bins=LATENCY_BINS),
    CoverPoint(f"{PROTOCOL}.in_valid_gaps", xf=lambda c, env: env.in_r.cfg.pattern, bins=FLOW_BINS),
    CoverPoint(f"{PROTOCOL}.out_backpressure", xf=lambda c, env: env.out_r.cfg.pattern, bins=FLOW_BINS),
)(lambda call, env: None)

sample_timing, sample_reset = invocation_coverage(PROTOCOL, chain=True)


class RopeCoverage(pyuvm.uvm_subscriber):
    def __init__(self, name: str, parent: Any, env: Any) -> None:
        super().__init__(name, parent)
        self.env = env

    def write(self, tt: Any) -> None:
        if isinstance(tt, ApCtrlTiming):
            sample_timing(tt)
        elif isinstance(tt, RopeCall):
            sample_call(tt, self.env)
