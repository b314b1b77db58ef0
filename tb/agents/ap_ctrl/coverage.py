"""Coverpoints every ap_ctrl block shares: how its invocations were started and reset.

The generic env (and any env driving an ap_ctrl block) gets its own copy under its
`<dut>.protocol` covergroup, so the bins are defined once here and named per DUT in the
reports.
"""
from __future__ import annotations

from typing import Callable

from cocotb_coverage.coverage import CoverPoint, coverage_section

from llama_dv.tb.agents.ap_ctrl.monitor import ApCtrlTiming
from llama_dv.tb.common.classify import STALL_BINS, stall_bin


def invocation_coverage(protocol: str, chain: bool) -> tuple[Callable[[ApCtrlTiming], None], Callable[[str], None]]:
    """(sample_timing, sample_reset) under covergroup `protocol`: back-to-back starts,
    ap_continue stalls (`ap_ctrl_chain` blocks only) and a reset in mid-operation."""
    points = [CoverPoint(f"{protocol}.back_to_back", xf=lambda t: t.back_to_back, bins=[False, True])]
    if chain:
        points.append(CoverPoint(f"{protocol}.continue_stall", xf=lambda t: stall_bin(t.continue_stall_cycles),
                                 bins=STALL_BINS))
    sample_timing = coverage_section(*points)(lambda timing: None)
    sample_reset = coverage_section(
        CoverPoint(f"{protocol}.reset_mid_operation", xf=lambda hit: hit, bins=["recovered"]),
    )(lambda hit: None)
    return sample_timing, sample_reset
