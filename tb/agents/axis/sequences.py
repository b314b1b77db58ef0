"""AXI-Stream sequences."""
from __future__ import annotations

import pyuvm

from llama_dv.tb.agents.axis.item import AxisPacket


class AxisPacketSeq(pyuvm.uvm_sequence):
    """Send the given packets in order."""

    def __init__(self, name: str = "axis_packets", packets: list[AxisPacket] | None = None) -> None:
        super().__init__(name)
        self.packets = packets or []

    async def body(self) -> None:
        for pkt in self.packets:
            await self.start_item(pkt)
            await self.finish_item(pkt)
