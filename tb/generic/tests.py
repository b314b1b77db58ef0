"""Stock tests of the generic environment for any described DUT (bodies in testbase).

Run through `llama-dv run dut.yaml --golden module:function` (or the regression), which
sets LDV_DUT_DESC and LDV_GOLDEN. Tests the DUT's interfaces do not allow (see
llama_dv.tb.generic.suite) are marked skipped with the reason.
"""
from __future__ import annotations

import os

import pyuvm

from llama_dv.tb.common.knobs import DESCRIPTION_ENV
from llama_dv.tb.generic import testbase
from llama_dv.tb.generic.env import description_from_env
from llama_dv.tb.generic.suite import not_applicable

_SKIP = not_applicable(description_from_env()) if os.environ.get(DESCRIPTION_ENV) else {}


@pyuvm.test(skip="Smoke" in _SKIP)
class Smoke(testbase.Smoke):
    """Three calls: alternating extremes, then two random ones (again under stream flow
    control where the DUT has streams); s_axilite registers read back."""


@pyuvm.test(skip="Directed" in _SKIP)
class Directed(testbase.Directed):
    """Every corner of the argument ranges, then the DUT's own directed calls."""


@pyuvm.test(skip="Random" in _SKIP)
class Random(testbase.Random):
    """Constrained-random calls (LDV_RANDOM_CALLS, default 40)."""


@pyuvm.test(skip="BackToBack" in _SKIP)
class BackToBack(testbase.BackToBack):
    """Bursts of four calls with ap_start held high."""


@pyuvm.test(skip="FlowControl" in _SKIP)
class FlowControl(testbase.FlowControl):
    """Random flow control on every stream and m_axi bundle."""


@pyuvm.test(skip="ResetMidCall" in _SKIP)
class ResetMidCall(testbase.ResetMidCall):
    """Reset while a call runs, then exact results again."""


@pyuvm.test(skip="Overlap" in _SKIP)
class Overlap(testbase.Overlap):
    """Eight calls in flight where the DUT allows it."""


@pyuvm.test(skip="AutoRestart" in _SKIP)
class AutoRestart(testbase.AutoRestart):
    """s_axilite: calls started with auto_restart set, each run 2-4 times, then drained."""
