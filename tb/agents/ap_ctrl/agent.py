"""ap_ctrl agent: sequencer + driver + monitor for ap_ctrl_hs / ap_ctrl_chain."""
from __future__ import annotations

from typing import Any

import pyuvm

from tb.agents.ap_ctrl.bus import ApCtrlBus
from tb.agents.ap_ctrl.config import ApCtrlConfig
from tb.agents.ap_ctrl.driver import ApCtrlDriver
from tb.agents.ap_ctrl.monitor import ApCtrlMonitor


class ApCtrlAgent(pyuvm.uvm_agent):
    """Active agent; `monitor.ap` publishes an ApCtrlTiming per completed invocation."""

    def __init__(self, name: str, parent: Any, bus: ApCtrlBus, cfg: ApCtrlConfig) -> None:
        super().__init__(name, parent)
        self.bus, self.cfg = bus, cfg

    @classmethod
    def from_prefix(cls, name: str, parent: Any, dut: Any, clk: Any, cfg: ApCtrlConfig,
                    prefix: str = "ap", rst: Any | None = None, rst_asserted: int = 1) -> "ApCtrlAgent":
        bus = ApCtrlBus.from_prefix(dut, clk, prefix, chain=cfg.chain, rst=rst, rst_asserted=rst_asserted)
        return cls(name, parent, bus, cfg)

    def build_phase(self) -> None:
        self.monitor = ApCtrlMonitor("monitor", self, self.bus, self.cfg)
        self.sequencer = pyuvm.uvm_sequencer("sequencer", self)
        self.driver = ApCtrlDriver("driver", self, self.bus, self.cfg, self.monitor)

    def connect_phase(self) -> None:
        self.driver.seq_item_port.connect(self.sequencer.seq_item_export)
