"""The stock test bodies over GenericEnv, unregistered: tb.generic.tests registers them
for any described DUT, and a kernel's own test module subclasses them under its names
(`class RmsnormSmoke(Smoke): dut = "rmsnorm"`), changing only what differs.
"""
from __future__ import annotations

import os

import pyuvm
from cocotb.triggers import ClockCycles

from tb.common.test_base import KernelTestBase
from tb.generic.env import GenericEnv
from tb.generic.suite import RANDOM_CALLS_ENV


class GenericTest(KernelTestBase):
    """KernelTestBase over GenericEnv: `dut` names a registered DUT (None: the one
    LDV_DUT_DESC names); `flow` is the flow-control pattern of every stream and m_axi
    bundle (none, random, bursty, worst)."""

    env_cls = GenericEnv
    dut: str | None = None
    flow = "none"

    def build_phase(self) -> None:
        pyuvm.ConfigDB().set(self, "env", "flow_pattern", self.flow)
        if self.dut:
            pyuvm.ConfigDB().set(self, "env", "dut_name", self.dut)
        super().build_phase()


class Smoke(GenericTest):
    """Three calls: alternating extremes, then two random ones."""

    async def body(self) -> None:
        st = self.env.stimulus
        await self.env.run_calls([st.call("alternating", st.draw("alternating"))] + st.random(2))


class Directed(GenericTest):
    """Every corner of the argument ranges (shortest/lowest, longest/highest, zeros,
    alternating, one-hot), then the DUT's own directed calls."""

    async def body(self) -> None:
        await self.env.run_calls(self.env.stimulus.directed())


class Random(GenericTest):
    """Constrained-random calls (`calls`, or LDV_RANDOM_CALLS)."""

    calls = 40

    async def body(self) -> None:
        await self.env.run_calls(self.env.stimulus.random(int(os.environ.get(RANDOM_CALLS_ENV) or self.calls)))


class BackToBack(GenericTest):
    """Bursts of four calls with ap_start held high; the next call's inputs applied at ap_ready."""

    bursts = 3

    async def body(self) -> None:
        for _ in range(self.bursts):
            await self.env.run_calls(self.env.stimulus.random(4), overlap=True)


class FlowControl(Random):
    """Random TVALID gaps, TREADY back-pressure and m_axi latencies/pauses on every interface."""

    flow = "random"
    calls = 12


class ResetMidCall(GenericTest):
    """Reset asserted while a call runs; the calls after it must be exact again."""

    async def body(self) -> None:
        env = self.env
        victim = env.stimulus.call("random", env.stimulus.draw())
        await env.reset_mid_call(victim, after_cycles=int(env.rng.integers(3, 40)))
        await ClockCycles(env.clk, 2)
        await env.run_calls(env.stimulus.random(4))


class Overlap(GenericTest):
    """Eight calls issued without waiting for ap_done: a pipelined or dataflow DUT has several in flight."""

    async def body(self) -> None:
        await self.env.run_calls(self.env.stimulus.random(8), overlap=True)
