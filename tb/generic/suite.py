"""The stock tests every described DUT gets, and which of them its interfaces allow.

Kept free of simulator imports so `llama-dv run` and the regression planner can
decide what to schedule before anything is built.
"""
from __future__ import annotations

from llama_dv.tb.dut_description import DutDescription, TestVariant

TEST_MODULE = "llama_dv.tb.generic.tests"
STOCK_DOCS = {
    "Smoke": "Alternating extremes, the golden module's smoke_calls, then two random calls (again under "
             "stream flow control where the DUT has streams); s_axilite registers read back.",
    "Directed": "Every corner of the argument ranges, then the DUT's own directed calls.",
    "Random": "Constrained-random calls (LDV_RANDOM_CALLS, default 40).",
    "BackToBack": "Bursts of four calls with ap_start held high.",
    "FlowControl": "Random flow control on every stream and m_axi bundle.",
    "ResetMidCall": "Reset while a call runs, then exact results again.",
    "Overlap": "Eight calls issued without waiting for ap_done, in flight where the DUT allows it.",
    "AutoRestart": "s_axilite: calls started with auto_restart set, each run 2-4 times, then drained.",
}
"""The stock tests (bodies in llama_dv.tb.generic.testbase), in the order `llama-dv run` schedules them."""
STOCK_TESTS = tuple(STOCK_DOCS)


def test_variants(desc: DutDescription | None) -> tuple[TestVariant, ...]:
    """The tests a DUT runs: its YAML's `tests:`, else every stock test under its own name."""
    if desc is not None and desc.tests:
        return desc.tests
    return tuple(TestVariant(name, name) for name in STOCK_TESTS)


test_variants.__test__ = False  # type: ignore[attr-defined]  # not a pytest test


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


