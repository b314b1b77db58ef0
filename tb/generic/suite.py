"""The stock tests every described DUT gets, and which of them its interfaces allow.

Kept free of simulator imports so `llama-dv run` and the regression planner can
decide what to schedule before anything is built.
"""
from __future__ import annotations

from llama_dv.tb.dut import DutDescription

TEST_MODULE = "llama_dv.tb.generic.tests"
STOCK_TESTS = ("Smoke", "Directed", "Random", "BackToBack", "FlowControl", "ResetMidCall", "Overlap", "AutoRestart")
"""In the order `llama-dv run` schedules them; names of the pyuvm tests in llama_dv.tb.generic.tests."""


def not_applicable(desc: DutDescription) -> dict[str, str]:
    """Stock tests that cannot run on `desc`, with the reason (shown by `llama-dv run`)."""
    out = {}
    if desc.block_protocol not in ("ap_ctrl_hs", "ap_ctrl_chain"):
        why = f"block protocol {desc.block_protocol} has no ap_start to hold high"
        out["BackToBack"] = why
        out["Overlap"] = why
    if desc.block_protocol != "s_axilite":
        out["AutoRestart"] = f"auto_restart is a bit of the s_axilite AP_CTRL register; block protocol {desc.block_protocol}"
    elif any(i.kind == "axis" for i in desc.interfaces):
        out["AutoRestart"] = ("a restarted run reads a new stream packet, and how many runs start before "
                              "auto_restart is cleared depends on timing: stream DUTs are not restarted")
    if not any(i.kind in ("axis", "m_axi") for i in desc.interfaces):
        out["FlowControl"] = "no AXI-Stream or m_axi interface has flow control to vary"
    return out


