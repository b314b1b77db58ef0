"""The m_axi agent: a responding memory (cocotbext-axi) plus the protocol monitor."""
from __future__ import annotations

import pyuvm

from llama_dv.tb.agents.binding import agent_config
from llama_dv.tb.agents.m_axi.config import MAxiConfig
from llama_dv.tb.agents.m_axi.memory import SlaveMemory
from llama_dv.tb.agents.m_axi.monitor import MAxiMonitor
from llama_dv.tb.common.seeding import rng


class MAxiAgent(pyuvm.uvm_agent):
    """Serves `m_axi_<bundle>` from `memory`; expects a MAxiConfig (`configure`).

    The memory is the agent's responder (a slave has no sequences of its own: what it
    holds is preloaded by the env). `bursts` carries every completed burst.
    """

    def build_phase(self) -> None:
        self.cfg = agent_config(self, MAxiConfig)
        self.monitor = MAxiMonitor("monitor", self)
        self.memory: SlaveMemory | None = None

    def connect_phase(self) -> None:
        self.bursts = self.monitor.ap

    def start_of_simulation_phase(self) -> None:
        stream = f"m_axi.{self.cfg.bundle}.{self.cfg.timing.name}"
        self.memory = SlaveMemory(self.cfg, rng(stream, self.cfg.seed))
