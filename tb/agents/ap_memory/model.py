"""ap_memory responder: the RAM/ROM the kernel's array argument is connected to.

One coroutine per port samples the request mid-cycle (falling edge) and drives q just
after the rising edge `read_latency` cycles later, like a BRAM register: q is valid for
the whole cycle, so a combinational path from q to other outputs settles before any
mid-cycle sample. While
ce is low and no read is in flight the coroutine sleeps on a value change of ce, so
an idle memory costs no Python. Contents are preloaded from numpy in zero time.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyuvm
from cocotb.triggers import FallingEdge, RisingEdge, ValueChange
from cocotb.utils import get_sim_time

from llama_dv.tb.agents.ap_memory.bus import ApMemoryBus, ApMemoryPort
from llama_dv.tb.agents.ap_memory.config import ApMemoryConfig
from llama_dv.tb.common.protocol import ProtocolError
from llama_dv.tb.common.scoreboard import as_signed
from llama_dv.tb.common.timeout import level


@dataclass(frozen=True)
class MemWrite:
    """One captured write: when, through which port, where and what (raw word)."""

    time_ns: float
    port: int
    address: int
    data: int


class ApMemoryModel(pyuvm.uvm_component):
    """Memory contents + per-port responders; `ap` publishes every MemWrite."""

    def __init__(self, name: str, parent: Any, bus: ApMemoryBus, cfg: ApMemoryConfig, clk: Any) -> None:
        super().__init__(name, parent)
        self.bus, self.cfg, self.clk = bus, cfg, clk
        self.mask = (1 << cfg.data_width) - 1
        self.mem = np.zeros(cfg.depth, dtype=np.int64)
        self.writes: list[MemWrite] = []
        self.reads = 0

    def build_phase(self) -> None:
        self.ap = pyuvm.uvm_analysis_port("ap", self)

    def preload(self, values: Any, offset: int = 0) -> None:
        """Backdoor-load `values` (signed or unsigned integers) at word `offset`."""
        v = np.asarray(values, dtype=np.int64).ravel()
        if offset < 0 or offset + v.size > self.cfg.depth:
            raise ValueError(f"ap_memory '{self.bus.name}': preload of {v.size} words at {offset} "
                             f"overflows depth {self.cfg.depth}")
        self.mem[offset:offset + v.size] = v & self.mask

    def fill(self, value: int = 0) -> None:
        self.mem[:] = value & self.mask

    def contents(self, count: int | None = None, offset: int = 0) -> np.ndarray:
        """Words as signed (or unsigned) integers, per the config."""
        words = self.mem[offset:offset + (count if count is not None else self.cfg.depth)]
        return as_signed(words, self.cfg.data_width) if self.cfg.signed else words.copy()

    def clear_writes(self) -> None:
        self.writes.clear()

    async def run_phase(self) -> None:
        import cocotb

        for port in self.bus.ports[1:]:
            cocotb.start_soon(self._serve(port))
        await self._serve(self.bus.ports[0])

    async def _serve(self, port: ApMemoryPort) -> None:
        clk = self.clk
        lat = self.cfg.read_latency
        pending: deque[tuple[int, int]] = deque()  # (due cycle, word)
        cycle = 0
        while True:
            if not pending and level(port.ce) != 1:
                await ValueChange(port.ce)
                continue
            await FallingEdge(clk)
            if level(port.ce) == 1:
                self._request(port, pending, cycle + lat)
            await RisingEdge(clk)
            cycle += 1
            while pending and pending[0][0] <= cycle:
                port.q.value = pending.popleft()[1]

    def _request(self, port: ApMemoryPort, pending: deque[tuple[int, int]], due: int) -> None:
        """Serve the request sampled mid-cycle: a write lands now, a read is due `read_latency` edges later."""
        addr = level(port.address)
        if addr is None or addr >= self.cfg.depth:
            raise ProtocolError(f"ap_memory '{self.bus.name}' port {port.index}: ce{port.index} high "
                                f"with address {port.address.value} (depth {self.cfg.depth}) "
                                f"at {get_sim_time('ns'):g} ns")
        if port.we is not None and level(port.we) == 1:
            data = level(port.d)
            if data is None:
                raise ProtocolError(f"ap_memory '{self.bus.name}': write of X data to address {addr} "
                                    f"at {get_sim_time('ns'):g} ns")
            self.mem[addr] = data & self.mask
            w = MemWrite(get_sim_time("ns"), port.index, addr, data)
            self.writes.append(w)
            self.ap.write(w)
        elif port.q is not None:
            self.reads += 1
            pending.append((due, int(self.mem[addr])))
