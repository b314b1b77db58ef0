"""ap_ctrl agent: sequencer + driver + monitor for ap_ctrl_hs / ap_ctrl_chain."""
from __future__ import annotations

import pyuvm

from llama_dv.tb.agents.ap_ctrl.bus import ApCtrlBus
from llama_dv.tb.agents.ap_ctrl.config import ApCtrlConfig
from llama_dv.tb.agents.ap_ctrl.driver import ApCtrlDriver
from llama_dv.tb.agents.ap_ctrl.monitor import ApCtrlMonitor
from llama_dv.tb.agents.binding import agent_config


class ApCtrlAgent(pyuvm.uvm_agent):
    """Active agent; expects an ApCtrlConfig (`configure`); `monitor.ap` publishes an
    ApCtrlTiming per completed invocation."""

    def build_phase(self) -> None:
        self.cfg = agent_config(self, ApCtrlConfig)
        self.bus = ApCtrlBus.from_config(self.cfg)
        self.monitor = ApCtrlMonitor("monitor", self, self.bus, self.cfg)
        self.sequencer = pyuvm.uvm_sequencer("sequencer", self)
        self.driver = ApCtrlDriver("driver", self, self.bus, self.cfg, self.monitor)

    def connect_phase(self) -> None:
        self.driver.seq_item_port.connect(self.sequencer.seq_item_export)
