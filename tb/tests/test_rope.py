"""rope tests (ap_ctrl_chain + axis). Run through tests/tb/test_rope_sim.py."""
from __future__ import annotations

import cocotb
import pyuvm
from cocotb.triggers import RisingEdge

from tb.common.test_base import KernelTestBase
from tb.envs.rope import RopeEnv
from tb.envs.rope import sequences as seqs
from tb.envs.rope.coverage import sample_reset


class RopeTest(KernelTestBase):
    env_cls = RopeEnv
    seq_cls = seqs.SmokeSeq
    valid = "none"
    ready = "none"

    async def body(self) -> None:
        self.env.set_flow(self.valid, self.ready)
        await self.run_seq(self.seq_cls)


@pyuvm.test()
class RopeSmoke(RopeTest):
    """Two calls, no flow control."""


@pyuvm.test()
class RopeDirected(RopeTest):
    """Zeros, both saturation rails, INT32_MIN, every pos, n = 2 and 256."""

    seq_cls = seqs.DirectedSeq


@pyuvm.test()
class RopeRandom(RopeTest):
    """Hundreds of random calls with random TVALID gaps and TREADY backpressure."""

    seq_cls = seqs.RandomSeq
    valid = "random"
    ready = "random"


@pyuvm.test()
class RopeBackToBack(RopeTest):
    """Bursts with ap_start held high and streams at full rate."""

    seq_cls = seqs.BackToBackSeq


@pyuvm.test()
class RopeBursty(RopeTest):
    """Bursty flow control on both streams with ap_continue stalls."""

    seq_cls = seqs.StressSeq
    valid = "bursty"
    ready = "bursty"


@pyuvm.test()
class RopeStress(RopeTest):
    """Worst-case TVALID gaps and TREADY backpressure with ap_continue stalls."""

    seq_cls = seqs.StressSeq
    valid = "worst"
    ready = "worst"


@pyuvm.test()
class RopeResetMidOperation(RopeTest):
    """Reset while a call is streaming, then normal calls must be exact again."""

    async def body(self) -> None:
        victim = seqs.ShortRandomSeq("abandoned").calls()[0]
        task = cocotb.start_soon(self.env.driver.run_calls([victim]))
        for _ in range(victim.n + 4):
            await RisingEdge(self.env.clk)
        task.cancel()
        await self.env.reset_mid_operation(0)
        await self.run_seq(seqs.ShortRandomSeq)
        sample_reset("recovered")
