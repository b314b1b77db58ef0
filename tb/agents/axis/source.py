"""AXI-Stream source driver on cocotbext-axi's AxiStreamSource."""
from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pyuvm
from cocotbext.axi import AxiStreamBus, AxiStreamFrame, AxiStreamSource

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
        self.cfg = cfg
        bus = AxiStreamBus.from_prefix(cfg.dut, cfg.prefix)
        self.source = AxiStreamSource(bus, *cfg.cocotbext_reset())
        self.source.log.setLevel(logging.WARNING)
        self.width = len(bus.tdata)
        strb = getattr(cfg.dut, f"{cfg.prefix}_TSTRB", None)
        if strb is not None:
            strb.value = (1 << len(strb)) - 1
        self.set_pattern(cfg)

    def set_pattern(self, cfg: AxisConfig) -> None:
        self.cfg = cfg
        pauses = cfg.pause_generator()
        self.source.set_pause_generator(pauses)
        if pauses is None:
            self.source.pause = False  # a generator stopped mid-pause would hold TVALID low for good

    def flush(self) -> None:
        self.source.clear()

    async def run_phase(self) -> None:
        while True:
            item: AxisPacket = await self.seq_item_port.get_next_item()
            await self.source.send(AxiStreamFrame(words_to_bytes(item.words, self.width)))
            self.seq_item_port.item_done()
