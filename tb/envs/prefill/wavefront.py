"""The prefill pipeline's wavefront: how many layers work at once (a monitor of the
layers' busy flags) and the throughput gate against one token at a time."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pyuvm
from cocotb.triggers import FallingEdge, First, ValueChange

from llama_dv.tb.envs.decoder.items import N_LAYERS

if TYPE_CHECKING:
    from llama_dv.tb.envs.prefill.driver import PositionResult


class WavefrontShortfall(AssertionError):
    """The pipeline did not overlap layers, or its throughput gain is below the gate."""


class WavefrontMonitor(pyuvm.uvm_monitor):
    """Samples the layers' busy flags on their edges: the largest number of layers
    working at once and the positions they held then."""

    def build_phase(self) -> None:
        self.max_busy = 0
        self.overlap: list[tuple[int, ...]] = []

    def bind(self, dut: Any, clk: Any) -> None:
        self.dut, self.clk = dut, clk

    async def run(self) -> None:
        busy = [getattr(self.dut, f"l{i}_busy") for i in range(N_LAYERS)]
        while True:
            await First(*(ValueChange(b) for b in busy))
            await FallingEdge(self.clk)
            now = [i for i, b in enumerate(busy) if int(b.value)]
            if len(now) > self.max_busy:
                self.max_busy = len(now)
            if len(now) > 1:
                self.overlap.append(tuple(int(getattr(self.dut, f"l{i}_pos").value) for i in now))

    def check_overlap(self, lengths: list[int]) -> None:
        """Prompts longer than one token must have kept every layer busy at once."""
        if max(lengths) > 1 and self.max_busy < N_LAYERS:
            raise WavefrontShortfall(f"at most {self.max_busy} layer(s) busy at once over prompts "
                                     f"{lengths}: no wavefront (expected {N_LAYERS})")


def cycles_per_token_after_fill(results: "list[PositionResult]") -> float:
    """Mean cycles between consecutive results after the first (the pipeline is full)."""
    if len(results) < 2:
        raise ValueError("cycles per token after fill needs a prompt of at least 2 tokens")
    return (results[-1].done_cycle - results[0].done_cycle) / (len(results) - 1)


@dataclass
class Throughput:
    """Cycles per token of the wavefront after fill against one token at a time."""

    pipelined: float
    serial: float
    gate: float

    @property
    def factor(self) -> float:
        return self.serial / self.pipelined

    def check(self) -> None:
        if self.factor < self.gate:
            raise WavefrontShortfall(f"prefill throughput factor {self.factor:.2f} (serial {self.serial:.0f} "
                                     f"vs pipelined {self.pipelined:.0f} cycles/token) is below {self.gate}")
