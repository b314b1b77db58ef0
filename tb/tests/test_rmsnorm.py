"""rmsnorm tests (ap_ctrl_hs + ap_memory). Run through tests/tb/test_rmsnorm_sim.py."""
from __future__ import annotations

import cocotb
import pyuvm
from cocotb.triggers import RisingEdge

from tb.common.test_base import KernelTestBase
from tb.envs.rmsnorm import RmsnormEnv
from tb.envs.rmsnorm.coverage import sample_reset
from tb.envs.rmsnorm.item import RmsnormCall
from tb.envs.rmsnorm import sequences as seqs


class RmsnormTest(KernelTestBase):
    env_cls = RmsnormEnv
    seq_cls = seqs.SmokeSeq


@pyuvm.test()
class RmsnormSmoke(RmsnormTest):
    """Two calls: a ramp and a random vector."""


@pyuvm.test()
class RmsnormDirected(RmsnormTest):
    """Zeros, saturation both ways, INT32_MIN, n = 1 and 256, every exponent range."""

    seq_cls = seqs.DirectedSeq


@pyuvm.test()
class RmsnormRandom(RmsnormTest):
    """Hundreds of constrained-random calls."""

    seq_cls = seqs.RandomSeq


@pyuvm.test()
class RmsnormBackToBack(RmsnormTest):
    """Bursts with ap_start held high: the next call starts the cycle after ap_done."""

    seq_cls = seqs.BackToBackSeq


@pyuvm.test()
class RmsnormResetMidOperation(RmsnormTest):
    """Reset in the middle of a call, then normal calls must be exact again."""

    async def body(self) -> None:
        seq = seqs.ShortRandomSeq("abandoned")
        victim: RmsnormCall = seq.calls()[0]
        task = cocotb.start_soon(self.env.driver.run_calls([victim]))
        for _ in range(3 * victim.n + 20):
            await RisingEdge(self.env.clk)
        task.cancel()
        await self.env.reset_mid_operation(0)
        await self.run_seq(seqs.ShortRandomSeq)
        sample_reset("recovered")
