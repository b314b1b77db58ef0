"""attention tests (ap_ctrl_chain + axis + ap_memory caches): the generic stock tests under
attention's names, with its flow-control variants. Run through tests/tb/test_attention_sim.py."""
from __future__ import annotations

import pyuvm

from llama_dv.tb.generic import testbase


@pyuvm.test()
class AttentionSmoke(testbase.Smoke):
    """Three calls at full rate, then the same three with random TVALID gaps and TREADY back-pressure."""

    dut = "attention"


@pyuvm.test()
class AttentionDirected(testbase.Directed):
    """Stock corners, then softmax corners: rising/falling scores, saturation, extreme exponents, every pos."""

    dut = "attention"


@pyuvm.test()
class AttentionRandom(testbase.Random):
    """Random calls with random TVALID gaps and TREADY backpressure."""

    dut = "attention"
    flow = "random"
    calls = 120


@pyuvm.test()
class AttentionBackToBack(testbase.BackToBack):
    """Bursts with ap_start held high and streams at full rate."""

    dut = "attention"
    bursts = 4


@pyuvm.test()
class AttentionBursty(testbase.Random):
    """Bursty flow control on both streams with ap_continue stalls."""

    dut = "attention"
    flow = "bursty"
    calls = 30


@pyuvm.test()
class AttentionStress(testbase.Random):
    """Worst-case TVALID gaps and TREADY backpressure with ap_continue stalls."""

    dut = "attention"
    flow = "worst"
    calls = 30


@pyuvm.test()
class AttentionResetMidOperation(testbase.ResetMidCall):
    """Reset while a call is computing, then normal calls must be exact again."""

    dut = "attention"
