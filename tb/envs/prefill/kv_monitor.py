"""One layer's KV RAM ports in the prefill pipeline: the rows written, published on the
monitor's analysis port, and the KV hazard rules, asserted on every read."""
from __future__ import annotations

from typing import Any

import pyuvm
from cocotb.triggers import FallingEdge, First, RisingEdge

from llama_dv.tb.clash.manifest import unpack_vec
from llama_dv.tb.envs.decoder.items import HEAD_DIM, SEQ, KvRowSeen


class KvHazard(AssertionError):
    """A layer's KV RAM was read in the cycle the row is written, or before the row of
    that position was written in this prompt; the message names layer, position, row."""


def row_of(addr: int) -> tuple[int, int]:
    """Per-layer KV RAM address -> (KV head, position): address = kvh * 16 + pos."""
    return addr // SEQ, addr % SEQ


class KvLayerMonitor(pyuvm.uvm_monitor):
    """Watches one layer's KV RAM ports: publishes every written row and raises
    `KvHazard` on (1) a read of the row written in the same cycle, (2) a read of a row
    beyond the layer's position or not yet written in the current prompt. A new prompt
    starts when the layer's position goes back (to 0). Python wakes only while the
    layer writes or reads its KV RAM."""

    def __init__(self, name: str, parent: Any, layer: int) -> None:
        super().__init__(name, parent)
        self.layer = layer

    def build_phase(self) -> None:
        self.ap = pyuvm.uvm_analysis_port("ap", self)
        self.reads = 0
        self._written: set[int] = set()
        self._pos = -1

    def bind(self, dut: Any, clk: Any) -> None:
        self.clk = clk
        self._port = {n: getattr(dut, f"l{self.layer}_{n}") for n in
                      ("kv_we", "kv_waddr", "kv_k", "kv_ke", "kv_v", "kv_ve", "kv_re", "kv_raddr", "pos")}

    async def run(self) -> None:
        p = self._port
        while True:
            if not (int(p["kv_we"].value) or int(p["kv_re"].value)):
                await First(RisingEdge(p["kv_we"]), RisingEdge(p["kv_re"]))
            await FallingEdge(self.clk)
            while int(p["kv_we"].value) or int(p["kv_re"].value):
                self._sample()
                await FallingEdge(self.clk)

    def _sample(self) -> None:
        p = self._port
        pos = int(p["pos"].value)
        if pos < self._pos:
            self._written.clear()
        self._pos = pos
        we, re = int(p["kv_we"].value), int(p["kv_re"].value)
        waddr, raddr = int(p["kv_waddr"].value), int(p["kv_raddr"].value)
        where = f"layer {self.layer} position {pos}"
        if re:
            self.reads += 1
            kvh, t = row_of(raddr)
            what = f"row {raddr} (kv head {kvh}, position {t})"
            if we and waddr == raddr:
                raise KvHazard(f"KV hazard: {where}: {what} read in the same cycle as it is written")
            if t > pos or raddr not in self._written:
                raise KvHazard(f"KV hazard: {where}: {what} read before it was written for this prompt")
        if we:
            kvh, t = row_of(waddr)
            self._written.add(waddr)
            self.ap.write(KvRowSeen(
                self.layer, kvh, t, unpack_vec(int(p["kv_k"].value), HEAD_DIM, 8),
                unpack_vec(int(p["kv_ke"].value), 1, 7)[0], unpack_vec(int(p["kv_v"].value), HEAD_DIM, 8),
                unpack_vec(int(p["kv_ve"].value), 1, 7)[0]))
