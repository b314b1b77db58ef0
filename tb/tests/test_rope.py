"""rope tests (ap_ctrl_chain + axis): the generic stock tests under rope's names, with
rope's flow-control variants. Run through tests/tb/test_rope_sim.py."""
from __future__ import annotations

import pyuvm

from llama_dv.tb.generic import testbase


@pyuvm.test()
class RopeSmoke(testbase.Smoke):
    """Three calls at full rate, then the same three with random TVALID gaps and TREADY back-pressure."""

    dut = "rope"


@pyuvm.test()
class RopeDirected(testbase.Directed):
    """Stock corners, then zeros, both saturation rails, INT32_MIN, every pos, n = 2 and 256."""

    dut = "rope"


@pyuvm.test()
class RopeRandom(testbase.Random):
    """Two hundred random calls with random TVALID gaps and TREADY backpressure."""

    dut = "rope"
    flow = "random"
    calls = 200


@pyuvm.test()
class RopeBackToBack(testbase.BackToBack):
    """Bursts with ap_start held high and streams at full rate."""

    dut = "rope"
    bursts = 6


@pyuvm.test()
class RopeBursty(testbase.Random):
    """Bursty flow control on both streams with ap_continue stalls."""

    dut = "rope"
    flow = "bursty"
    calls = 40


@pyuvm.test()
class RopeStress(testbase.Random):
    """Worst-case TVALID gaps and TREADY backpressure with ap_continue stalls."""

    dut = "rope"
    flow = "worst"
    calls = 40


@pyuvm.test()
class RopeResetMidOperation(testbase.ResetMidCall):
    """Reset while a call is streaming, then normal calls must be exact again."""

    dut = "rope"
