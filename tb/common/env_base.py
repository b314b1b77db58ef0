"""Kernel env base: the parts every HLS-kernel env shares.

Reads the DUT description, binds and checks the ports, starts the clock, owns the
ap_ctrl agent and the reset-mid-operation hook. A kernel env subclasses it, adds its
data agents in `build_agents`, and implements `run_call` / `on_reset`.
"""
from __future__ import annotations

import os
from typing import Any

import cocotb
import pyuvm
from cocotb.triggers import RisingEdge

from tb.agents.ap_ctrl import ApCtrlAgent, ApCtrlConfig
from tb.dut import BoundDut, DutDescription, bind, reset, start_clock

DUT_CONFIG_ENV = "LDV_DUT_CONFIG"
"""Config tag of the build under test ('default', 'pad3', 'fault1', ...), for coverage."""


TIMEOUT_ENV = "LDV_HANDSHAKE_TIMEOUT_CYCLES"
"""Cycle budget for ap_ready / ap_done before a test fails as hung; overrides the
description's `handshake_timeout_cycles`."""


def handshake_timeout_cycles(desc: DutDescription) -> int:
    return int(os.environ.get(TIMEOUT_ENV) or desc.handshake_timeout_cycles)


def dut_config() -> str:
    return os.environ.get(DUT_CONFIG_ENV, "default")


class KernelEnvBase(pyuvm.uvm_env):
    """Subclasses set `dut_name` and implement build_agents()."""

    dut_name = ""

    def build_phase(self) -> None:
        from tb.duts import get_description

        self.desc: DutDescription = get_description(self.dut_name)
        self.bound: BoundDut = bind(cocotb.top, self.desc)
        self.clk = self.bound.clk
        self.period_ns = self.desc.clock.period_ns
        self.rst_active_high = self.desc.reset.active == "high"
        budget = handshake_timeout_cycles(self.desc)
        ctrl_cfg = ApCtrlConfig(protocol=self.desc.block_protocol, period_ns=self.period_ns,
                                ready_timeout_cycles=budget, done_timeout_cycles=budget)
        self.ctrl = ApCtrlAgent.from_prefix("ctrl", self, cocotb.top, self.clk, ctrl_cfg,
                                            rst=self.bound.rst, rst_asserted=self.desc.reset.asserted)
        self.sequencer = pyuvm.uvm_sequencer("sequencer", self)
        self.build_agents()

    def build_agents(self) -> None:
        raise NotImplementedError

    def scalar(self, name: str) -> Any:
        return self.bound.port(name)

    async def start(self) -> None:
        """Clock on, inputs idle, reset pulse: call once at the start of a test."""
        self.clock_task = start_clock(self.bound)
        self.ctrl.driver.idle_outputs()
        await reset(self.bound)

    async def reset_mid_operation(self, after_cycles: int) -> None:
        """Assert reset `after_cycles` into whatever is running, then recover."""
        for _ in range(after_cycles):
            await RisingEdge(self.clk)
        self.bound.rst.value = self.desc.reset.asserted
        self.on_reset()
        self.ctrl.driver.idle_outputs()
        for _ in range(5):
            await RisingEdge(self.clk)
        self.bound.rst.value = self.desc.reset.deasserted
        await RisingEdge(self.clk)
        self.ctrl.monitor.reset_state()
        self.ctrl.driver.sync_after_reset()

    def on_reset(self) -> None:
        """Drop in-flight transactions of the data agents (override)."""
