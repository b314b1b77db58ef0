"""attention env: ap_ctrl_chain + axis q / out_r + four ap_memory caches (k_cache dual port)."""
from __future__ import annotations

import cocotb

from tb.agents.ap_memory import ApMemoryAgent
from tb.agents.axis import AxisAgent
from tb.common.env_base import KernelEnvBase
from tb.envs.attention.coverage import AttentionCoverage
from tb.envs.attention.driver import AttentionDriver
from tb.envs.attention.scoreboard import AttentionScoreboard
from tb.common.stream_env import StreamEnvMixin


class AttentionEnv(StreamEnvMixin, KernelEnvBase):
    dut_name = "attention"

    def build_agents(self) -> None:
        dut, d = cocotb.top, self.desc
        rst, hi = self.bound.rst, self.rst_active_high
        self.q = AxisAgent.from_interface("q", self, dut, self.clk, rst, hi, d.interface("q"))
        self.out_r = AxisAgent.from_interface("out_r", self, dut, self.clk, rst, hi, d.interface("out_r"))
        self.in_stream = self.q
        for name in ("k_cache", "k_exp", "v_cache", "v_exp"):
            setattr(self, name, ApMemoryAgent.from_interface(name, self, dut, self.clk, d.interface(name)))
        self.driver = AttentionDriver("driver", self, self)
        self.scoreboard = AttentionScoreboard("scoreboard", self)
        self.coverage = AttentionCoverage("coverage", self, self)

    def connect_phase(self) -> None:
        self.driver.seq_item_port.connect(self.sequencer.seq_item_export)
        self.out_r.monitor.ap.connect(self.scoreboard.analysis_export)
        self.driver.calls_ap.connect(self.coverage.analysis_export)
        self.ctrl.monitor.ap.connect(self.coverage.analysis_export)
