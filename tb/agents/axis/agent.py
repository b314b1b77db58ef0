"""AXI-Stream agents: source (sequencer + driver + monitor) and sink (driver + monitor)."""
from __future__ import annotations

from typing import Any

import pyuvm

from tb.agents.axis.config import AxisConfig
from tb.agents.axis.monitor import AxisMonitor
from tb.agents.axis.sink import AxisSinkDriver
from tb.agents.axis.source import AxisSourceDriver
from tb.dut import InterfaceSpec


class AxisAgent(pyuvm.uvm_agent):
    """Source when `direction == 'in'` (drives the DUT's input stream), sink otherwise."""

    def __init__(self, name: str, parent: Any, dut: Any, prefix: str, clk: Any, rst: Any,
                 rst_active_high: bool, cfg: AxisConfig, *, direction: str, has_tlast: bool = True) -> None:
        super().__init__(name, parent)
        self.dut, self.prefix, self.clk, self.rst = dut, prefix, clk, rst
        self.rst_active_high, self.cfg, self.direction, self.has_tlast = rst_active_high, cfg, direction, has_tlast

    @classmethod
    def from_interface(cls, name: str, parent: Any, dut: Any, clk: Any, rst: Any, rst_active_high: bool,
                       iface: InterfaceSpec, cfg: AxisConfig | None = None) -> "AxisAgent":
        cfg = cfg or AxisConfig(stream=iface.name)
        return cls(name, parent, dut, iface.prefix, clk, rst, rst_active_high, cfg,
                   direction=iface.direction, has_tlast=iface.tlast)

    def build_phase(self) -> None:
        self.monitor = AxisMonitor("monitor", self, self.dut, self.prefix, self.clk, has_tlast=self.has_tlast)
        if self.direction == "in":
            self.sequencer = pyuvm.uvm_sequencer("sequencer", self)
            self.driver = AxisSourceDriver("driver", self, self.dut, self.prefix, self.clk, self.rst,
                                           self.rst_active_high, self.cfg)
        else:
            self.driver = AxisSinkDriver("driver", self, self.dut, self.prefix, self.clk, self.rst,
                                         self.rst_active_high, self.cfg)

    def connect_phase(self) -> None:
        if self.direction == "in":
            self.driver.seq_item_port.connect(self.sequencer.seq_item_export)

    def set_pattern(self, cfg: AxisConfig) -> None:
        self.driver.set_pattern(cfg)
