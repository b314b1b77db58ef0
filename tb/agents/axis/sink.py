"""AXI-Stream sink: cocotbext-axi's AxiStreamSink drives TREADY with a pause pattern."""
from __future__ import annotations

from typing import Any

import pyuvm
from cocotbext.axi import AxiStreamSink

from llama_dv.tb.agents.axis.config import AxisConfig


class AxisSinkDriver(pyuvm.uvm_component):
    """Backpressure only: packets are observed by AxisMonitor, not read from here."""

    def __init__(self, name: str, parent: Any, cfg: AxisConfig) -> None:
        super().__init__(name, parent)
        _, self.sink = cfg.endpoint(AxiStreamSink)
        self.set_pattern(cfg)

    def set_pattern(self, cfg: AxisConfig) -> None:
        self.cfg = cfg
        cfg.apply_pattern(self.sink)

    def drain(self) -> None:
        """Drop frames the sink assembled (the monitor already published them)."""
        self.sink.clear()
