"""matmul tests (s_axilite + m_axi). Run through tests/tb/test_matmul_sim.py.

The memory timing comes from LDV_MATMUL_TIMING unless a test pins it; the pytest
wrappers run the stress tests on the LATENCY_PAD=0 and =3 builds.
"""
from __future__ import annotations

import cocotb
import pyuvm
from cocotb.triggers import RisingEdge

from tb.agents.m_axi import TIMING_PROFILES
from tb.common.test_base import KernelTestBase
from tb.envs.matmul import MatmulEnv
from tb.envs.matmul import sequences as seqs
from tb.envs.matmul.env import timing_from_env


class MatmulTest(KernelTestBase):
    env_cls = MatmulEnv
    seq_cls = seqs.SmokeSeq


@pyuvm.test()
class MatmulSmoke(MatmulTest):
    """Two small calls, one polled and one by interrupt."""


@pyuvm.test()
class MatmulCorners(MatmulTest):
    """Zeros, all +127/-127/-128 mantissas, saturation both ways, extreme exponents, n/d = 1 and 256."""

    seq_cls = seqs.CornerSeq


@pyuvm.test()
class MatmulRandom(MatmulTest):
    """Hundreds of constrained-random calls (LDV_MATMUL_RANDOM_COUNT) under random memory timing."""

    seq_cls = seqs.RandomSeq

    def build_phase(self) -> None:
        super().build_phase()
        self.env.timing = timing_from_env("random")


@pyuvm.test()
class MatmulBackToBack(MatmulTest):
    """Each call starts as soon as the previous one's ap_done is acknowledged."""

    seq_cls = seqs.BackToBackSeq


@pyuvm.test()
class MatmulInterrupts(MatmulTest):
    """Completion by the interrupt pin (memory with long latencies); the monitor checks
    interrupt == GIE & |(IER & ISR)."""

    seq_cls = seqs.InterruptSeq

    def build_phase(self) -> None:
        super().build_phase()
        self.env.timing = timing_from_env("latency")


@pyuvm.test()
class MatmulAutoRestart(MatmulTest):
    """auto_restart set: several completions per start, then cleared and drained."""

    seq_cls = seqs.AutoRestartSeq


@pyuvm.test()
class MatmulProtocolStress(MatmulTest):
    """Worst-case memory: long latencies and READY/VALID low most cycles."""

    seq_cls = seqs.ShortRandomSeq

    def build_phase(self) -> None:
        self.env = MatmulEnv("env", self)
        self.env.timing = TIMING_PROFILES["worst"]


@pyuvm.test()
class MatmulResetMidOperation(MatmulTest):
    """Reset while the kernel is reading and writing memory, then exact results again."""

    async def body(self) -> None:
        victim = seqs.random_transaction(seqs.rng("matmul.victim"), "abandoned", 16)
        await self.env.driver.start_only(victim)
        for _ in range(40 + 4 * victim.n):
            await RisingEdge(self.env.clk)
        await self.env.reset_mid_operation()
        await self.run_seq(seqs.ShortRandomSeq)
        assert self.env.scoreboard.compared >= 6, "recovery calls did not all complete"
        cocotb.log.info("recovered after reset mid-operation")
