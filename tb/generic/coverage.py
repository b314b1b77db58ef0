"""Protocol and stimulus coverage of any described DUT, under covergroups `<dut>.<group>`.

Bins are derived from the description and the argument ranges, so every DUT gets the
same questions answered: were calls started back to back (and, for ap_ctrl_chain, was
ap_continue withheld), was every completion mode used, did each stream see back-pressure, was every array at its shortest and longest
length, did a reset hit a running call. The user's own `coverage(call)` is called
beside these.
"""
from __future__ import annotations

from typing import Any, Callable

from cocotb_coverage.coverage import CoverPoint, coverage_section

from llama_dv.tb.agents.ap_ctrl.coverage import invocation_coverage
from llama_dv.tb.common.coverage import covergroup
from llama_dv.tb.dut_description import DutDescription
from llama_dv.tb.generic.arguments import Argument
from llama_dv.tb.generic.stimulus import CORNERS, Call, length_range

_BUILT: dict[str, "GenericCoverage"] = {}


def length_bin(n: int, lo: int, hi: int) -> str:
    return "shortest" if n == lo else "longest" if n == hi else "between"


class GenericCoverage:
    """Sampling functions for one DUT (built once per process: coverpoints are global)."""

    def __init__(self, desc: DutDescription, arguments: list[Argument]) -> None:
        proto, stim, flow = (covergroup(desc.name, g) for g in ("protocol", "stimulus", "flow"))
        self.proto_group, self.flow_group = proto, flow
        call_points = [CoverPoint(f"{stim}.kind", xf=lambda c: c.kind, bins=list(CORNERS) + ["random"])]
        for a in arguments:
            r = length_range(a) if a.is_input and a.shape == "array" else None
            if isinstance(r, tuple) and r[0] < r[1]:
                bins = ["shortest", "between", "longest"] if r[1] - r[0] > 1 else ["shortest", "longest"]
                call_points.append(CoverPoint(f"{stim}.{a.name}_length",
                                              xf=lambda c, n=a.name, lo=r[0], hi=r[1]: length_bin(len(c.inputs[n]), lo, hi),
                                              bins=bins))
        ctrl = desc.block_protocol
        self.sample_timing: Callable[[Any], None]
        self.sample_reset: Callable[[str], None]
        if ctrl in ("ap_ctrl_hs", "ap_ctrl_chain"):
            self.sample_timing, self.sample_reset = invocation_coverage(proto, chain=ctrl == "ap_ctrl_chain")
        else:
            self.sample_timing = lambda t: None
            self.sample_reset = coverage_section(
                CoverPoint(f"{proto}.reset_mid_operation", xf=lambda hit: hit, bins=["recovered"]))(lambda hit: None)
        if ctrl == "s_axilite" and desc.interrupt:
            call_points.append(CoverPoint(f"{proto}.completion", xf=lambda c: c.completion,
                                          bins=["poll", "interrupt"]))
        for iface in desc.interfaces:
            if iface.kind in ("axis", "m_axi"):
                call_points.append(CoverPoint(f"{flow}.{iface.name}", xf=lambda c, n=iface.name: c.flow[n],
                                              bins=["none", "random"]))
        self.sample_call: Callable[[Call], None] = coverage_section(*call_points)(lambda c: None)


def coverage_for(desc: DutDescription, arguments: list[Argument]) -> GenericCoverage:
    if desc.name not in _BUILT:
        _BUILT[desc.name] = GenericCoverage(desc, arguments)
    return _BUILT[desc.name]
