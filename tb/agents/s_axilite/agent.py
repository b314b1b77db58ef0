"""The s_axilite control agent: sequencer + driver + register-semantics monitor."""
from __future__ import annotations

import pyuvm

from llama_dv.tb.agents.binding import agent_config
from llama_dv.tb.agents.s_axilite.config import SAxiLiteConfig
from llama_dv.tb.agents.s_axilite.driver import ControlDriver
from llama_dv.tb.agents.s_axilite.monitor import ControlMonitor


class SAxiLiteAgent(pyuvm.uvm_agent):
    """Drives a Vitis control block; expects a SAxiLiteConfig (`configure`).

    `completed` (the driver's) fires when a call reaches ap_done; `accesses` (the
    monitor's) carries every register access.
    """

    def build_phase(self) -> None:
        self.cfg = agent_config(self, SAxiLiteConfig)
        self.sequencer = pyuvm.uvm_sequencer("sequencer", self)
        self.driver = ControlDriver("driver", self)
        self.monitor = ControlMonitor("monitor", self)

    def connect_phase(self) -> None:
        self.driver.seq_item_port.connect(self.sequencer.seq_item_export)
        self.completed = self.driver.completed
        self.accesses = self.monitor.ap
