"""The decoder's monitor: KV rows at the write port and finished attention heads,
published on its analysis port the cycle they appear, in the order the hardware
computes them (a layer's KV rows, then its heads)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pyuvm
from cocotb.triggers import FallingEdge, RisingEdge

from llama_dv.tb.clash.manifest import unpack_vec
from llama_dv.tb.envs.decoder.items import HEAD_DIM, HeadSeen, KvRowSeen, decode_kv_addr

if TYPE_CHECKING:
    from llama_dv.tb.clash.roles import DecoderPorts


class DecoderMonitor(pyuvm.uvm_monitor):
    """Python wakes only on the rising edge of `kv_we` (one cycle per KV row) and of
    `head_valid` (one cycle per head), never per compute cycle; both are read at the
    falling clock edge, where an event-driven simulator has settled the glitches of a
    register update. The rows and heads of the current request are also kept (`kv`,
    `heads`) for the driver's response and for tests that stop inside a token."""

    def build_phase(self) -> None:
        self.ap = pyuvm.uvm_analysis_port("ap", self)
        self.kv: list[KvRowSeen] = []
        self.heads: list[HeadSeen] = []
        self.ports: "DecoderPorts | None" = None
        self.clk: Any = None

    def bind(self, ports: "DecoderPorts", clk: Any) -> None:
        self.ports, self.clk = ports, clk

    def clear(self) -> None:
        """A new request (or a reset): forget the previous one's rows and heads."""
        self.kv, self.heads = [], []

    async def run_kv(self) -> None:
        p = self.ports
        while True:
            await RisingEdge(p.kv_we)
            while True:
                await FallingEdge(self.clk)
                if not int(p.kv_we.value):
                    break
                layer, kvh, pos = decode_kv_addr(int(p.kv_addr.value))
                row = KvRowSeen(layer, kvh, pos, unpack_vec(int(p.kv_k.value), HEAD_DIM, 8),
                                unpack_vec(int(p.kv_k_exp.value), 1, 7)[0], unpack_vec(int(p.kv_v.value), HEAD_DIM, 8),
                                unpack_vec(int(p.kv_v_exp.value), 1, 7)[0])
                self.kv.append(row)
                self.ap.write(row)

    async def run_heads(self) -> None:
        p = self.ports
        while True:
            await RisingEdge(p.head_valid)
            await FallingEdge(self.clk)
            if not int(p.head_valid.value):
                continue  # a zero-time glitch while the state registers update
            head = HeadSeen(int(p.head_layer.value), int(p.head_index.value), int(p.head_updates.value),
                            unpack_vec(int(p.head_out.value), HEAD_DIM, 32))
            self.heads.append(head)
            self.ap.write(head)
