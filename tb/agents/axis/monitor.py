"""AXI-Stream beat monitor: assembles packets and checks TLAST placement.

Samples mid-cycle (falling edge) only while TVALID is high; when the env announces
how long the next packet must be (`expect`), a TLAST before the last beat is flagged
as early and a last beat without TLAST as missing — both are protocol errors.
"""
from __future__ import annotations

from collections import deque
from typing import Any

import numpy as np
import pyuvm
from cocotb.triggers import FallingEdge, ValueChange
from cocotb.utils import get_sim_time

from llama_dv.tb.agents.axis.item import AxisPacket
from llama_dv.tb.common.protocol import ProtocolError
from llama_dv.tb.common.scoreboard import as_signed
from llama_dv.tb.common.timeout import level
from llama_dv.tb.dut_ports import find_port


class AxisMonitor(pyuvm.uvm_component):
    def __init__(self, name: str, parent: Any, dut: Any, prefix: str, clk: Any, *,
                 has_tlast: bool = True, signed: bool = True) -> None:
        super().__init__(name, parent)
        owner = f"axis monitor '{prefix}'"
        self.prefix, self.clk, self.signed = prefix, clk, signed
        self.tdata = find_port(dut, f"{prefix}_TDATA", owner=owner)
        self.tvalid = find_port(dut, f"{prefix}_TVALID", owner=owner)
        self.tready = find_port(dut, f"{prefix}_TREADY", owner=owner)
        self.tlast = find_port(dut, f"{prefix}_TLAST", owner=owner) if has_tlast else None
        self.width = len(self.tdata)
        self.expected: deque[tuple[int, int]] = deque()  # (txn_id, beats)
        self.packets = 0
        self.beats: list[int] = []
        self.stall_cycles = 0

    def build_phase(self) -> None:
        self.ap = pyuvm.uvm_analysis_port("ap", self)

    def expect(self, txn_id: int, beats: int) -> None:
        """Announce the length of the next packet so TLAST can be checked."""
        self.expected.append((txn_id, beats))

    def reset_state(self) -> None:
        self.expected.clear()
        self.beats = []

    async def run_phase(self) -> None:
        while True:
            if level(self.tvalid) != 1:
                await ValueChange(self.tvalid)
                continue
            await FallingEdge(self.clk)
            if level(self.tvalid) != 1:
                continue
            if level(self.tready) != 1:
                self.stall_cycles += 1
                continue
            self._beat(level(self.tdata), level(self.tlast) if self.tlast is not None else None)

    def _beat(self, data: int | None, last: int | None) -> None:
        where = f"axis '{self.prefix}' packet {self.packets} beat {len(self.beats)}"
        if data is None:
            raise ProtocolError(f"{where}: TDATA is X/Z during a transfer")
        self.beats.append(data)
        txn, want = self.expected[0] if self.expected else (None, None)
        n = len(self.beats)
        if self.tlast is not None and want is not None:
            if last == 1 and n < want:
                raise ProtocolError(f"{where} (txn {txn}): TLAST early: set on beat {n - 1}, "
                                    f"packet must have {want} beats")
            if last != 1 and n == want:
                raise ProtocolError(f"{where} (txn {txn}): TLAST missing on beat {n - 1}, "
                                    f"the last of {want}")
        end = (last == 1) if self.tlast is not None else (want is not None and n == want)
        if end:
            words = np.array(self.beats, dtype=np.int64)
            pkt = AxisPacket(f"{self.prefix}_pkt{self.packets}",
                             as_signed(words, self.width) if self.signed else words,
                             txn_id=txn if txn is not None else self.packets)
            pkt.end_ns = get_sim_time("ns")
            if self.expected:
                self.expected.popleft()
            self.beats = []
            self.packets += 1
            self.ap.write(pkt)
