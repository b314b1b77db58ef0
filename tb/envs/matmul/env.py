"""The matmul env: control agent + memory agent + driver + scoreboard + coverage.

Everything pin-related comes from the DUT description (`tb.duts.get_description`,
overridable with LDV_DUT_DESC) and the register map from the `x<top>_hw.h` it names,
so a user's own Vitis export of matmul runs under the same env.
"""
from __future__ import annotations

import os
from pathlib import Path

import cocotb
import pyuvm
from cocotb.triggers import RisingEdge

from tb import duts
from tb.agents.m_axi import STALLED, TIMING_PROFILES, AxiTiming, MAxiAgent, MAxiConfig
from tb.agents.m_axi.item import AxiBurst
from tb.agents.s_axilite import SAxiLiteAgent, SAxiLiteConfig, parse_hw_header
from tb.agents.s_axilite.item import ControlItem
from tb.common.protocol import ProtocolError
from tb.dut import BoundDut, bind, find_port, reset, start_clock
from tb.envs.matmul.coverage import sample_burst
from tb.envs.matmul.done_check import YWriteLedger
from tb.envs.matmul.driver import MatmulDriver
from tb.envs.matmul.scoreboard import MatmulScoreboard, TransactionExport

TIMING_ENV = "LDV_MATMUL_TIMING"
DONE_TIMEOUT_ENV = "LDV_MATMUL_DONE_TIMEOUT"


def timing_from_env(default: str = "fast") -> AxiTiming:
    """Memory timing profile named by LDV_MATMUL_TIMING (fast, latency, random, worst, stall)."""
    name = os.environ.get(TIMING_ENV, default)
    if name == STALLED.name:
        return STALLED
    if name not in TIMING_PROFILES:
        raise ValueError(f"{TIMING_ENV}={name!r}: expected one of {', '.join(TIMING_PROFILES)}, stall")
    return TIMING_PROFILES[name]


def register_map_path(bound: BoundDut) -> Path:
    """The `x<top>_hw.h` of the description's s_axilite interface."""
    iface = bound.desc.interfaces_of("s_axilite")[0]
    if iface.register_map is not None:
        return iface.register_map
    base = bound.desc.path.parent if bound.desc.path else Path(".")
    return base / f"x{bound.desc.toplevel}_hw.h"


class MatmulEnv(pyuvm.uvm_env):
    """Builds on `cocotb.top`; the timing profile may be overridden before build via `timing`."""

    timing: AxiTiming | None = None

    def build_phase(self) -> None:
        desc = duts.get_description("matmul")
        self.bound = bind(cocotb.top, desc)
        self.clk = self.bound.clk
        self.desc = desc
        period = desc.clock.period_ns
        level = desc.reset.asserted == 1
        common = dict(dut=cocotb.top, clock=self.bound.clk, reset=self.bound.rst, reset_active_level=level,
                      period_ns=period)
        ctrl_iface = desc.interfaces_of("s_axilite")[0]
        mem_iface = desc.interfaces_of("m_axi")[0]
        regmap = parse_hw_header(register_map_path(self.bound), top=desc.toplevel, bundle=ctrl_iface.name)
        self.ctrl_cfg = SAxiLiteConfig(
            regmap=regmap, prefix=ctrl_iface.prefix, kernel=desc.name,
            interrupt=find_port(cocotb.top, "interrupt", optional=True),
            done_timeout_cycles=int(os.environ.get(DONE_TIMEOUT_ENV, "400000")), **common)
        self.mem_cfg = MAxiConfig(bundle=mem_iface.name, timing=self.timing or timing_from_env(), **common)
        pyuvm.ConfigDB().set(self, "ctrl*", "s_axilite_cfg", self.ctrl_cfg)
        pyuvm.ConfigDB().set(self, "gmem", "m_axi_cfg", self.mem_cfg)
        self.ctrl = SAxiLiteAgent("ctrl", self)
        self.gmem = MAxiAgent("gmem", self)
        self.sequencer = pyuvm.uvm_sequencer("sequencer", self)
        self.driver = MatmulDriver("driver", self)
        self.scoreboard = MatmulScoreboard("scoreboard", self)
        self.burst_coverage = TransactionExport("burst_coverage", self, self._on_burst)
        self.done_check = TransactionExport("done_check", self, self._on_done)
        self.y_writes = YWriteLedger()
        self.done_checks = 0

    def connect_phase(self) -> None:
        self.driver.seq_item_port.connect(self.sequencer.seq_item_export)
        self.driver.ap.connect(self.scoreboard.analysis_export)
        self.gmem.bursts.connect(self.burst_coverage)
        self.ctrl.completed.connect(self.done_check)

    async def start(self) -> None:
        """Start the clock and reset the DUT as its description says."""
        start_clock(self.bound)
        await reset(self.bound)

    async def reset_mid_operation(self, cycles: int = 5) -> None:
        """Pulse reset while the kernel may be busy; agents drop their in-flight state."""
        await reset(self.bound, cycles)
        await RisingEdge(self.clk)

    def _on_burst(self, burst: AxiBurst) -> None:
        sample_burst(burst)
        if burst.direction == "write":
            self.y_writes.on_write(burst)

    def _on_done(self, item: ControlItem) -> None:
        """At each ap_done the runs it completes have every y write acknowledged (see done_check)."""
        self.done_checks += 1
        self.y_writes.on_done(item.completion, self.gmem.monitor.outstanding_writes)

    def report_phase(self) -> None:
        self.logger.info(f"ap_done checks: {self.done_checks}, {self.y_writes.overlapped_dones} of them with "
                         "the next auto-restarted run's writes in flight")

    def check_phase(self) -> None:
        if self.driver.started and not self.done_checks:
            raise ProtocolError("no ap_done was ever observed by the env")
