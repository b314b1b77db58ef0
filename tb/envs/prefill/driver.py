"""The prefill pipeline's driver: prompt tokens in at the input handshake, one result per
position out at the output handshake, each published on the driver's analysis port."""
from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

import cocotb
import pyuvm
from cocotb.triggers import ClockCycles, FallingEdge, RisingEdge
from cocotb.utils import get_sim_time

from llama_dv.tb.clash.manifest import unpack_vec
from llama_dv.tb.envs.decoder.items import VOCAB


@dataclass
class PositionResult:
    """One prompt position leaving the head stage."""

    pos: int
    token: int
    logits: list[int]
    done_cycle: int


def cycle_now(period_ps: int) -> int:
    return int(get_sim_time("ps") // period_ps)


class PrefillDriver(pyuvm.uvm_component):
    """Feeds prompt tokens and takes results. `serial` waits for each position's result
    before sending the next (the one-token-at-a-time reference on the same RTL);
    `max_stall` > 0 holds out_ready low for a random 0..max_stall cycles per result
    (back-pressure)."""

    def build_phase(self) -> None:
        self.ap = pyuvm.uvm_analysis_port("ap", self)
        self.serial = False
        self.max_stall = 0
        self.rand = random.Random(0)
        self.sent = 0
        self.done = 0
        self.max_in_flight = 0

    def bind(self, dut: Any, clk: Any, period_ps: int) -> None:
        self.dut, self.clk, self.period_ps = dut, clk, period_ps

    async def send(self, token: int, pos: int) -> None:
        dut = self.dut
        await FallingEdge(self.clk)
        while not int(dut.in_ready.value):
            await RisingEdge(dut.in_ready)
            await FallingEdge(self.clk)
        dut.in_token.value = token
        dut.in_pos.value = pos
        dut.in_valid.value = 1
        await RisingEdge(self.clk)
        self.sent += 1
        self.max_in_flight = max(self.max_in_flight, self.sent - self.done)
        await FallingEdge(self.clk)
        dut.in_valid.value = 0

    async def receive(self) -> PositionResult:
        dut = self.dut
        await FallingEdge(self.clk)
        if not int(dut.out_valid.value):
            await RisingEdge(dut.out_valid)
            await FallingEdge(self.clk)
        res = PositionResult(pos=int(dut.out_pos.value), token=int(dut.out_token.value),
                             logits=unpack_vec(int(dut.out_logits.value), VOCAB, 32),
                             done_cycle=cycle_now(self.period_ps))
        stall = self.rand.randint(0, self.max_stall) if self.max_stall else 0
        if stall:
            await ClockCycles(self.clk, stall, rising=False)
        dut.out_ready.value = 1
        await RisingEdge(self.clk)
        self.done += 1
        await FallingEdge(self.clk)
        dut.out_ready.value = 0
        self.ap.write(res)
        return res

    async def prefill(self, prompt: list[int]) -> list[PositionResult]:
        """All positions of one prompt, in order."""
        results: list[PositionResult] = []
        if self.serial:
            for pos, tok in enumerate(prompt):
                await self.send(tok, pos)
                results.append(await self.receive())
            return results

        async def feed() -> None:
            for pos, tok in enumerate(prompt):
                await self.send(tok, pos)

        feeder = cocotb.start_soon(feed())
        for _ in prompt:
            results.append(await self.receive())
        await feeder
        return results
