"""Stock tests of the generic environment: thin pyuvm tests over GenericEnv.

Run through `llama-dv run dut.yaml --golden module:function` (or the regression), which
sets LDV_DUT_DESC and LDV_GOLDEN. Tests the DUT's interfaces do not allow (see
tb.generic.suite) are marked skipped with the reason.
"""
from __future__ import annotations

import os

import pyuvm
from cocotb.triggers import ClockCycles

from tb.common.test_base import KernelTestBase
from tb.duts import DESCRIPTION_ENV
from tb.generic.env import GenericEnv, description_from_env
from tb.generic.suite import RANDOM_CALLS_ENV, not_applicable

_SKIP = not_applicable(description_from_env()) if os.environ.get(DESCRIPTION_ENV) else {}


def random_calls(default: int) -> int:
    return int(os.environ.get(RANDOM_CALLS_ENV) or default)


class GenericTest(KernelTestBase):
    """KernelTestBase over GenericEnv, with `flow` as the env's flow-control pattern."""

    env_cls = GenericEnv
    flow = "none"

    def build_phase(self) -> None:
        pyuvm.ConfigDB().set(self, "env", "flow_pattern", self.flow)
        super().build_phase()


@pyuvm.test(skip="Smoke" in _SKIP)
class Smoke(GenericTest):
    """Three calls: alternating extremes, then two random ones."""

    async def body(self) -> None:
        st = self.env.stimulus
        await self.env.run_calls([st.call("alternating", st.draw("alternating"))] + st.random(2))


@pyuvm.test(skip="Directed" in _SKIP)
class Directed(GenericTest):
    """Every corner of the argument ranges: shortest/lowest, longest/highest, zeros, alternating, one-hot."""

    async def body(self) -> None:
        await self.env.run_calls(self.env.stimulus.directed())


@pyuvm.test(skip="Random" in _SKIP)
class Random(GenericTest):
    """Constrained-random calls (LDV_RANDOM_CALLS, default 40)."""

    async def body(self) -> None:
        await self.env.run_calls(self.env.stimulus.random(random_calls(40)))


@pyuvm.test(skip="BackToBack" in _SKIP)
class BackToBack(GenericTest):
    """Bursts of four calls with ap_start held high; the next call's inputs applied at ap_ready."""

    async def body(self) -> None:
        for _ in range(3):
            await self.env.run_calls(self.env.stimulus.random(4), overlap=True)


@pyuvm.test(skip="FlowControl" in _SKIP)
class FlowControl(GenericTest):
    """Random TVALID gaps, TREADY back-pressure and m_axi latencies/pauses on every interface."""

    flow = "random"

    async def body(self) -> None:
        await self.env.run_calls(self.env.stimulus.random(random_calls(12)))


@pyuvm.test(skip="ResetMidCall" in _SKIP)
class ResetMidCall(GenericTest):
    """Reset asserted while a call runs; the calls after it must be exact again."""

    async def body(self) -> None:
        env = self.env
        victim = env.stimulus.call("random", env.stimulus.draw())
        await env.reset_mid_call(victim, after_cycles=int(env.rng.integers(3, 40)))
        await ClockCycles(env.clk, 2)
        await env.run_calls(env.stimulus.random(4))


@pyuvm.test(skip="Overlap" in _SKIP)
class Overlap(GenericTest):
    """Eight calls issued without waiting for ap_done: a pipelined or dataflow DUT has several in flight."""

    async def body(self) -> None:
        await self.env.run_calls(self.env.stimulus.random(8), overlap=True)
