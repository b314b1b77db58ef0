"""The stock test bodies over GenericEnv, unregistered: llama_dv.tb.generic.tests registers them
for any described DUT, and a kernel's own test module subclasses them under its names
(`class RmsnormSmoke(Smoke): dut = "rmsnorm"`), changing only what differs.
"""
from __future__ import annotations

import os

import pyuvm
from cocotb.triggers import ClockCycles

from llama_dv.tb.common.knobs import FLOW_ENV, RANDOM_CALLS_ENV
from llama_dv.tb.common.test_base import KernelTestBase
from llama_dv.tb.generic.env import GenericEnv
from llama_dv.tb.generic.stimulus import Call


class GenericTest(KernelTestBase):
    """KernelTestBase over GenericEnv: `dut` names a registered DUT (None: the one
    LDV_DUT_DESC names); `flow` is the flow-control pattern of every stream and m_axi
    bundle (none, random, bursty, worst; an m_axi bundle's memory timing follows it, see
    llama_dv.tb.generic.env.MEMORY_TIMING); `completion` is how every s_axilite call's ap_done is
    awaited ("poll" or "interrupt"; None alternates where the DUT has an interrupt pin);
    `readback` has every s_axilite call read its argument registers back before ap_start."""

    env_cls = GenericEnv
    dut: str | None = None
    flow = "none"
    completion: str | None = None
    readback = False

    def build_phase(self) -> None:
        pyuvm.ConfigDB().set(self, "env", "flow_pattern", os.environ.get(FLOW_ENV) or self.flow)
        if self.completion:
            pyuvm.ConfigDB().set(self, "env", "completion", self.completion)
        if self.readback:
            pyuvm.ConfigDB().set(self, "env", "readback_registers", True)
        if self.dut:
            pyuvm.ConfigDB().set(self, "env", "dut_name", self.dut)
        super().build_phase()


class Smoke(GenericTest):
    """Alternating extremes, the golden module's `smoke_calls` if it has them, then two
    random calls, at the test's flow (full rate). A DUT with AXI-Stream interfaces then
    runs the same inputs again under `stream_flow` (random TVALID gaps and TREADY back-pressure): an output that drops a
    beat TREADY held back, or data that changes while a beat waits, fails the smoke test.
    On an s_axilite DUT each call reads its argument registers back and the reserved bits
    of AP_CTRL/GIE/IER/ISR (`readback`): a stuck read-data bit fails here."""

    stream_flow = "random"
    readback = True

    async def body(self) -> None:
        env, st = self.env, self.env.stimulus
        calls = [st.call("alternating", st.draw("alternating"))] + st.smoke() + st.random(2)
        await env.run_calls(calls)
        pattern = os.environ.get(FLOW_ENV) or self.stream_flow  # LDV_FLOW overrides this pass too
        if env.streams and pattern != env.flow_pattern:
            env.set_stream_flow(pattern)
            await env.run_calls([st.call(c.kind, c.inputs) for c in calls])


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
    """Reset asserted while a call runs; the `recovery` calls after it must be exact again."""

    recovery = 4

    async def body(self) -> None:
        env = self.env
        victim = self.victim()
        await env.reset_mid_call(victim, after_cycles=self.reset_cycles(victim))
        await ClockCycles(env.clk, 2)
        await env.run_calls(env.stimulus.random(self.recovery))
        env.coverage.sample_reset("recovered")  # only once the calls after the reset were exact

    def victim(self) -> Call:
        """The call the reset abandons: the golden module's `reset_victim`, else a random one."""
        if self.env.golden.reset_victim is not None:
            return self.env.golden.reset_victim(self.env.stimulus)
        return self.env.stimulus.call("random", self.env.stimulus.draw())

    def reset_cycles(self, victim: Call) -> int:
        """Cycles from the victim's start to the reset: the golden module's `reset_cycles`, else 3-39."""
        if self.env.golden.reset_cycles is not None:
            return int(self.env.golden.reset_cycles(victim, self.env.rng))
        return int(self.env.rng.integers(3, 40))


class AutoRestart(GenericTest):
    """s_axilite: each call started with auto_restart set runs 2-4 times on its own, then
    auto_restart is cleared and the last run drained; the outputs are checked after it."""

    count = 6

    async def body(self) -> None:
        await self.env.run_calls(self.restarted_calls())

    def restarted_calls(self) -> list[Call]:
        """The golden module's `auto_restart_calls`, else `count` random calls of 2-4 runs each."""
        if self.env.golden.auto_restart_calls is not None:
            return self.env.golden.auto_restart_calls(self.env.stimulus)
        calls = self.env.stimulus.random(self.count)
        for call in calls:
            call.auto_restart_runs = int(self.env.rng.integers(2, 5))
        return calls


class Overlap(GenericTest):
    """Eight calls issued without waiting for ap_done: a pipelined or dataflow DUT has several in flight."""

    async def body(self) -> None:
        await self.env.run_calls(self.env.stimulus.random(8), overlap=True)
