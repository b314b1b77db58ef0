"""attention tests (ap_ctrl_chain + axis). Run through tests/tb/test_attention_sim.py."""
from __future__ import annotations

import cocotb
import pyuvm
from cocotb.triggers import RisingEdge

from tb.common.test_base import KernelTestBase
from tb.envs.attention import AttentionEnv
from tb.envs.attention import sequences as seqs
from tb.envs.attention.coverage import sample_reset


class AttentionTest(KernelTestBase):
    env_cls = AttentionEnv
    seq_cls = seqs.SmokeSeq
    valid = "none"
    ready = "none"

    async def body(self) -> None:
        self.env.set_flow(self.valid, self.ready)
        await self.run_seq(self.seq_cls)


@pyuvm.test()
class AttentionSmoke(AttentionTest):
    """Two calls, no flow control."""


@pyuvm.test()
class AttentionDirected(AttentionTest):
    """pos 0 / SEQ-1, zero q, rising scores, saturated V, INT32_MIN / -128, extreme exponents."""

    seq_cls = seqs.DirectedSeq


@pyuvm.test()
class AttentionRandom(AttentionTest):
    """Over a hundred random calls with random TVALID gaps and TREADY backpressure."""

    seq_cls = seqs.RandomSeq
    valid = "random"
    ready = "random"


@pyuvm.test()
class AttentionBackToBack(AttentionTest):
    """Bursts with ap_start held high and streams at full rate."""

    seq_cls = seqs.BackToBackSeq


@pyuvm.test()
class AttentionBursty(AttentionTest):
    """Bursty flow control on both streams with ap_continue stalls."""

    seq_cls = seqs.StressSeq
    valid = "bursty"
    ready = "bursty"


@pyuvm.test()
class AttentionStress(AttentionTest):
    """Worst-case TVALID gaps and TREADY backpressure with ap_continue stalls."""

    seq_cls = seqs.StressSeq
    valid = "worst"
    ready = "worst"


@pyuvm.test()
class AttentionResetMidOperation(AttentionTest):
    """Reset while a call is computing, then normal calls must be exact again."""

    async def body(self) -> None:
        victim = seqs.ShortRandomSeq("abandoned").calls()[0]
        task = cocotb.start_soon(self.env.driver.run_calls([victim]))
        for _ in range(40 * (victim.pos + 1)):
            await RisingEdge(self.env.clk)
        task.cancel()
        await self.env.reset_mid_operation(0)
        await self.run_seq(seqs.ShortRandomSeq)
        sample_reset("recovered")
