"""matmul functional coverage (cocotb-coverage): covergroups `matmul.dims`, `.exponents`,
`.result`, `.operands`, `.memory`, `.control` sampled once per checked call by the
generic env (`coverage(call)`), and `matmul.axi` once per completed burst.

Each call is classified into labels first, so the bins in the report read as the
testplan's words ("n=256", "sat=both", "timing=worst"). The generic coverpoints (stock
kinds, lengths, completion, reset, flow) join them under `matmul.stimulus`,
`matmul.protocol` and `matmul.flow`; every bin is listed in docs/dv/matmul.md.
"""
from __future__ import annotations

import numpy as np
from cocotb_coverage.coverage import CoverPoint

from llama_dv.models.numerics import INT32_MAX, INT32_MIN, sat32
from llama_dv.tb.agents.m_axi.config import TIMING_PROFILES
from llama_dv.tb.agents.m_axi.item import AxiBurst
from llama_dv.tb.common.coverage import covergroup
from llama_dv.tb.generic.stimulus import Call

DIM_BINS = ["1", "2-7", "8-31", "32-255", "256"]
EXP_BINS = ["-64", "-63..-30", "-29..10", "11..62", "63"]
SAT_BINS = ["none", "pos", "neg", "both"]
MANTISSA_BINS = ["all_zero", "all_+127", "all_-127", "all_-128", "mixed"]
READ_BURST_BINS = ["1", "2-15", "16", "17-255", "256"]
WRITE_BURST_BINS = ["1", "2-15", "16", "17+"]
"""y bursts: a Vitis m_axi adapter caps a write burst at max_write_burst_length (16 by
default, 64 in rtl/hls/matmul.v), so 256 beats never occurs; 16 is the default cap and
17+ needs a raised one (docs/dv/matmul.md)."""
OUTSTANDING_BINS = ["0", "1", "2+"]

DIMS = covergroup("matmul", "dims")
EXPONENTS = covergroup("matmul", "exponents")
RESULT = covergroup("matmul", "result")
OPERANDS = covergroup("matmul", "operands")
CONTROL = covergroup("matmul", "control")
MEMORY = covergroup("matmul", "memory")
AXI = covergroup("matmul", "axi")


def dim_class(v: int) -> str:
    return "1" if v == 1 else "2-7" if v < 8 else "8-31" if v < 32 else "32-255" if v < 256 else "256"


def exp_class(e: int) -> str:
    if e <= -64:
        return "-64"
    if e >= 63:
        return "63"
    return "-63..-30" if e <= -30 else "-29..10" if e <= 10 else "11..62"


def operands(call: Call) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """(w as d x n, w_exp, x, x_exp) of a call."""
    i = call.inputs
    return (np.asarray(i["w"], np.int64).reshape(i["d"], i["n"]), np.asarray(i["w_exp"], np.int64),
            np.asarray(i["x"], np.int64), int(i["x_exp"]))


def saturation_class(call: Call) -> str:
    """Which way the golden's fused scale shift saturated (from the exact result)."""
    wm, we, xm, xe = operands(call)
    acc = sat32(wm @ xm)
    shift = -(we + xe + 20)
    exact = np.array([int(a) << int(-s) if s < 0 else int(a) >> int(s) for a, s in zip(acc, shift)], dtype=object)
    pos = any(v > INT32_MAX for v in exact)
    neg = any(v < INT32_MIN for v in exact)
    return "both" if pos and neg else "pos" if pos else "neg" if neg else "none"


def mantissa_class(call: Call) -> str:
    wm, _, xm, _ = operands(call)
    both = np.concatenate([wm.ravel(), xm])
    for value, label in ((0, "all_zero"), (127, "all_+127"), (-127, "all_-127"), (-128, "all_-128")):
        if np.all(both == value):
            return label
    return "mixed"


def read_burst_class(length: int) -> str:
    return "1" if length == 1 else "2-15" if length < 16 else "16" if length == 16 else \
        "17-255" if length < 256 else "256"


def write_burst_class(length: int) -> str:
    return "1" if length == 1 else "2-15" if length < 16 else "16" if length == 16 else "17+"


def _labels(call: Call) -> dict[str, str]:
    _, we, _, xe = operands(call)
    return {
        "n": dim_class(call.inputs["n"]), "d": dim_class(call.inputs["d"]), "xe": exp_class(xe),
        "we_min": exp_class(int(we.min())), "we_max": exp_class(int(we.max())),
        "sat": saturation_class(call), "mant": mantissa_class(call), "timing": call.timing,
        "auto_restart": "on" if call.auto_restart_runs else "off",
        "back_to_back": "yes" if call.back_to_back else "no",
    }


@CoverPoint(f"{DIMS}.n", xf=lambda s: s["n"], bins=DIM_BINS)
@CoverPoint(f"{DIMS}.d", xf=lambda s: s["d"], bins=DIM_BINS)
@CoverPoint(f"{EXPONENTS}.x_exp", xf=lambda s: s["xe"], bins=EXP_BINS)
@CoverPoint(f"{EXPONENTS}.w_exp_min", xf=lambda s: s["we_min"], bins=EXP_BINS)
@CoverPoint(f"{EXPONENTS}.w_exp_max", xf=lambda s: s["we_max"], bins=EXP_BINS)
@CoverPoint(f"{RESULT}.saturation", xf=lambda s: s["sat"], bins=SAT_BINS)
@CoverPoint(f"{OPERANDS}.mantissas", xf=lambda s: s["mant"], bins=MANTISSA_BINS)
@CoverPoint(f"{MEMORY}.timing", xf=lambda s: s["timing"], bins=list(TIMING_PROFILES))
@CoverPoint(f"{CONTROL}.auto_restart", xf=lambda s: s["auto_restart"], bins=["off", "on"])
@CoverPoint(f"{CONTROL}.back_to_back", xf=lambda s: s["back_to_back"], bins=["no", "yes"])
def _sample_labels(s: dict[str, str]) -> None:
    """Hit the call-level bins."""


def coverage(call: Call) -> None:
    """Classify one checked call and sample every call-level covergroup."""
    _sample_labels(_labels(call))


@CoverPoint(f"{AXI}.read_burst_len", xf=lambda b: read_burst_class(b.length), bins=READ_BURST_BINS)
def _sample_read(b: AxiBurst) -> None:
    """Read burst lengths the kernel issued."""


@CoverPoint(f"{AXI}.write_burst_len", xf=lambda b: write_burst_class(b.length), bins=WRITE_BURST_BINS)
@CoverPoint(f"{AXI}.write_outstanding", xf=lambda b: OUTSTANDING_BINS[min(b.outstanding_at_issue, 2)],
            bins=OUTSTANDING_BINS)
def _sample_write(b: AxiBurst) -> None:
    """Write burst lengths and how many writes were still open when each was issued."""


@CoverPoint(f"{AXI}.read_outstanding", xf=lambda b: OUTSTANDING_BINS[min(b.outstanding_at_issue, 2)],
            bins=OUTSTANDING_BINS)
def _sample_read_outstanding(b: AxiBurst) -> None:
    """How many reads were still open when each read was issued."""


def sample_burst(burst: AxiBurst) -> None:
    """Sample one completed AXI burst."""
    if burst.direction == "read":
        _sample_read(burst)
        _sample_read_outstanding(burst)
    else:
        _sample_write(burst)
