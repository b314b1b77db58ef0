"""AXI-Stream source driver on cocotbext-axi's AxiStreamSource."""
from __future__ import annotations

from typing import Any

import numpy as np
import pyuvm
from cocotbext.axi import AxiStreamFrame, AxiStreamSource

from llama_dv.tb.agents.axis.config import AxisConfig
from llama_dv.tb.agents.axis.item import AxisPacket


def words_to_bytes(words: np.ndarray, width: int) -> bytes:
    """Little-endian packing, one `width`-bit word per beat."""
    nbytes = width // 8
    mask = (1 << width) - 1
    return b"".join((int(w) & mask).to_bytes(nbytes, "little") for w in np.asarray(words).ravel())


class AxisSourceDriver(pyuvm.uvm_driver):
    """Queues each AxisPacket on the stream; TVALID gaps come from the config pattern."""

    def __init__(self, name: str, parent: Any, cfg: AxisConfig) -> None:
        super().__init__(name, parent)
        bus, self.source = cfg.endpoint(AxiStreamSource)
        self.set_pattern(cfg)
        self.width = len(bus.tdata)
        strb = getattr(cfg.dut, f"{cfg.prefix}_TSTRB", None)
        if strb is not None:
            strb.value = (1 << len(strb)) - 1  # every byte of a beat is data

    def set_pattern(self, cfg: AxisConfig) -> None:
        self.cfg = cfg
        cfg.apply_pattern(self.source)

    def flush(self) -> None:
        """Drop packets queued but not yet sent (a reset abandoned the call)."""
        self.source.clear()

    async def run_phase(self) -> None:
        while True:
            item: AxisPacket = await self.seq_item_port.get_next_item()
            await self.source.send(AxiStreamFrame(words_to_bytes(item.words, self.width)))
            self.seq_item_port.item_done()
