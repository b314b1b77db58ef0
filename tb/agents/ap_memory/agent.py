"""ap_memory agent: a reactive slave (memory model) the kernel reads and writes."""
from __future__ import annotations

import pyuvm

from llama_dv.tb.agents.ap_memory.bus import ApMemoryBus
from llama_dv.tb.agents.ap_memory.config import ApMemoryConfig
from llama_dv.tb.agents.ap_memory.model import ApMemoryModel
from llama_dv.tb.agents.binding import agent_config


class ApMemoryAgent(pyuvm.uvm_agent):
    """Expects an ApMemoryConfig (`configure`); `model` holds the contents, its `ap`
    port is the write monitor."""

    def build_phase(self) -> None:
        self.cfg = agent_config(self, ApMemoryConfig)
        self.bus = ApMemoryBus.from_prefix(self.cfg.dut, self.cfg.prefix, ports=self.cfg.ports,
                                           readable=self.cfg.readable, writable=self.cfg.writable)
        self.model = ApMemoryModel("model", self, self.bus, self.cfg, self.cfg.clock)
