"""AXI-Stream sink: cocotbext-axi's AxiStreamSink drives TREADY with a pause pattern."""
from __future__ import annotations

import logging
from typing import Any

import pyuvm
from cocotbext.axi import AxiStreamBus, AxiStreamSink

from llama_dv.tb.agents.axis.config import AxisConfig


class AxisSinkDriver(pyuvm.uvm_component):
    """Backpressure only: packets are observed by AxisMonitor, not read from here."""

    def __init__(self, name: str, parent: Any, cfg: AxisConfig) -> None:
        super().__init__(name, parent)
        bus = AxiStreamBus.from_prefix(cfg.dut, cfg.prefix)
        self.sink = AxiStreamSink(bus, *cfg.cocotbext_reset())
        self.sink.log.setLevel(logging.WARNING)
        self.set_pattern(cfg)

    def set_pattern(self, cfg: AxisConfig) -> None:
        self.cfg = cfg
        pauses = cfg.pause_generator()
        self.sink.set_pause_generator(pauses)
        if pauses is None:
            self.sink.pause = False  # a generator stopped mid-pause would hold TREADY low for good

    def drain(self) -> None:
        """Drop frames the sink assembled (the monitor already published them)."""
        self.sink.clear()
