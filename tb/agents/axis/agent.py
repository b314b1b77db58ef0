"""AXI-Stream agents: source (sequencer + driver + monitor) and sink (driver + monitor)."""
from __future__ import annotations

from dataclasses import replace

import pyuvm

from llama_dv.tb.agents.axis.config import AxisConfig
from llama_dv.tb.agents.axis.monitor import AxisMonitor
from llama_dv.tb.agents.axis.sink import AxisSinkDriver
from llama_dv.tb.agents.axis.source import AxisSourceDriver
from llama_dv.tb.agents.binding import agent_config


class AxisAgent(pyuvm.uvm_agent):
    """Expects an AxisConfig (`configure`): a source when its `direction == 'in'`
    (drives the DUT's input stream), a sink otherwise."""

    def build_phase(self) -> None:
        self.cfg = agent_config(self, AxisConfig)
        self.direction = self.cfg.direction
        self.monitor = AxisMonitor("monitor", self, self.cfg.dut, self.cfg.prefix, self.cfg.clock,
                                   has_tlast=self.cfg.has_tlast)
        if self.direction == "in":
            self.sequencer = pyuvm.uvm_sequencer("sequencer", self)
            self.driver = AxisSourceDriver("driver", self, self.cfg)
        else:
            self.driver = AxisSinkDriver("driver", self, self.cfg)

    def connect_phase(self) -> None:
        if self.direction == "in":
            self.driver.seq_item_port.connect(self.sequencer.seq_item_export)

    def set_pattern(self, pattern: str) -> None:
        """TVALID gaps / TREADY backpressure from now on (the stream keeps its seeded name)."""
        self.cfg = replace(self.cfg, pattern=pattern)
        self.driver.set_pattern(self.cfg)
