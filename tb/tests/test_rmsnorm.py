"""rmsnorm tests (ap_ctrl_hs + ap_memory): the generic stock tests under rmsnorm's names.
Run through tests/tb/test_rmsnorm_sim.py."""
from __future__ import annotations

import pyuvm

from llama_dv.tb.generic import testbase


@pyuvm.test()
class RmsnormSmoke(testbase.Smoke):
    """Alternating extremes at n = 256 and two random calls."""

    dut = "rmsnorm"


@pyuvm.test()
class RmsnormDirected(testbase.Directed):
    """Stock corners, then zeros, saturation both ways, INT32_MIN, n = 1 and 256, every exponent range."""

    dut = "rmsnorm"


@pyuvm.test()
class RmsnormRandom(testbase.Random):
    """Two hundred constrained-random calls."""

    dut = "rmsnorm"
    calls = 200


@pyuvm.test()
class RmsnormBackToBack(testbase.BackToBack):
    """Bursts with ap_start held high: the next call starts the cycle after ap_done."""

    dut = "rmsnorm"
    bursts = 6


@pyuvm.test()
class RmsnormResetMidOperation(testbase.ResetMidCall):
    """Reset in the middle of a call, then normal calls must be exact again."""

    dut = "rmsnorm"
