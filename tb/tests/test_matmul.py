"""matmul tests (s_axilite + m_axi): the generic stock tests under matmul's names, with
matmul's memory timings, completion modes and auto_restart shapes. Run through
tests/tb/test_matmul_sim.py.

The memory timing follows each test's flow pattern (llama_dv.tb.generic.env.MEMORY_TIMING:
none -> fast, random -> random, bursty -> latency, worst -> worst) unless
LDV_MEMORY_TIMING names one; the pytest wrappers run the stress test on the
LATENCY_PAD=0 and =3 builds.
"""
from __future__ import annotations

import pyuvm

from llama_dv.tb.envs.matmul.sequences import auto_restart_calls, random_inputs
from llama_dv.tb.generic import testbase
from llama_dv.tb.generic.stimulus import Call


@pyuvm.test()
class MatmulSmoke(testbase.Smoke):
    """Alternating extremes at n = d = 256, then two random calls; polled and by interrupt."""

    dut = "matmul"


@pyuvm.test()
class MatmulCorners(testbase.Directed):
    """Stock corners (n = d = 1 and 256), then zeros, all +127/-127/-128 mantissas, saturation
    both ways, extreme exponents, rounding ties, and page-aligned burst-length corners."""

    dut = "matmul"


@pyuvm.test()
class MatmulRandom(testbase.Random):
    """Two hundred constrained-random calls (LDV_RANDOM_CALLS) under random memory timing."""

    dut = "matmul"
    flow = "random"
    calls = 200


@pyuvm.test()
class MatmulBackToBack(testbase.BackToBack):
    """Each call starts as soon as the previous one's ap_done is acknowledged."""

    dut = "matmul"


@pyuvm.test()
class MatmulInterrupts(testbase.Random):
    """Completion by the interrupt pin, memory with long latencies; the monitor checks
    interrupt == GIE & |(IER & ISR)."""

    dut = "matmul"
    flow = "bursty"
    completion = "interrupt"
    calls = 8


@pyuvm.test()
class MatmulAutoRestart(testbase.AutoRestart):
    """auto_restart set: several completions per start, then cleared and drained; two tiny
    polled calls see ap_done while the next run writes y."""

    dut = "matmul"

    def restarted_calls(self) -> list[Call]:
        return auto_restart_calls(self.env.stimulus)


@pyuvm.test()
class MatmulProtocolStress(testbase.Random):
    """Worst-case memory: long latencies and READY/VALID low most cycles."""

    dut = "matmul"
    flow = "worst"
    calls = 6


@pyuvm.test()
class MatmulResetMidOperation(testbase.ResetMidCall):
    """Reset while the kernel is reading and writing memory, then six calls exact again."""

    dut = "matmul"
    recovery = 6

    def victim(self) -> Call:
        return self.env.stimulus.call("random", random_inputs(self.env.stimulus.rng, 16))

    def reset_cycles(self, victim: Call) -> int:
        return 40 + 4 * victim.inputs["n"]
