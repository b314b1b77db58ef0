"""rope env: ap_ctrl_chain + axis source (in_r) + axis sink (out_r), scoreboard, coverage."""
from __future__ import annotations

import cocotb

from tb.agents.axis import AxisAgent
from tb.common.env_base import KernelEnvBase
from tb.common.stream_env import StreamEnvMixin
from tb.envs.rope.coverage import RopeCoverage
from tb.envs.rope.driver import RopeDriver
from tb.envs.rope.scoreboard import RopeScoreboard


class RopeEnv(StreamEnvMixin, KernelEnvBase):
    dut_name = "rope"

    def build_agents(self) -> None:
        dut, d = cocotb.top, self.desc
        self.in_r = AxisAgent.from_interface("in_r", self, dut, self.clk, self.bound.rst, self.rst_active_high,
                                             d.interface("in_r"))
        self.out_r = AxisAgent.from_interface("out_r", self, dut, self.clk, self.bound.rst, self.rst_active_high,
                                              d.interface("out_r"))
        self.in_stream = self.in_r
        self.driver = RopeDriver("driver", self, self)
        self.scoreboard = RopeScoreboard("scoreboard", self)
        self.coverage = RopeCoverage("coverage", self, self)

    def connect_phase(self) -> None:
        self.driver.seq_item_port.connect(self.sequencer.seq_item_export)
        self.out_r.monitor.ap.connect(self.scoreboard.analysis_export)
        self.driver.calls_ap.connect(self.coverage.analysis_export)
        self.ctrl.monitor.ap.connect(self.coverage.analysis_export)
