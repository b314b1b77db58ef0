"""rmsnorm env: ap_ctrl_hs + three ap_memory agents, scoreboard, coverage."""
from __future__ import annotations

import cocotb

from tb.agents.ap_memory import ApMemoryAgent
from tb.common.env_base import KernelEnvBase
from tb.envs.rmsnorm.coverage import RmsnormCoverage
from tb.envs.rmsnorm.driver import RmsnormDriver
from tb.envs.rmsnorm.scoreboard import RmsnormScoreboard


class RmsnormEnv(KernelEnvBase):
    dut_name = "rmsnorm"

    def build_agents(self) -> None:
        dut, d = cocotb.top, self.desc
        self.x_mem = ApMemoryAgent.from_interface("x_mem", self, dut, self.clk, d.interface("x"))
        self.w_mem = ApMemoryAgent.from_interface("w_mem", self, dut, self.clk, d.interface("w"))
        self.out_mem = ApMemoryAgent.from_interface("out_mem", self, dut, self.clk, d.interface("out"))
        self.driver = RmsnormDriver("driver", self, self)
        self.scoreboard = RmsnormScoreboard("scoreboard", self)
        self.coverage = RmsnormCoverage("coverage", self)

    def connect_phase(self) -> None:
        self.driver.seq_item_port.connect(self.sequencer.seq_item_export)
        self.driver.results.connect(self.scoreboard.analysis_export)
        self.driver.results.connect(self.coverage.analysis_export)
        self.ctrl.monitor.ap.connect(self.coverage.analysis_export)
