"""Environment variables a test process reads, named in one place.

The runner, the regression and `llama-dv run` set them; tests read them here.
"""
from __future__ import annotations

import os

from tb.dut import DutDescription

DUT_CONFIG_ENV = "LDV_DUT_CONFIG"
"""Config tag of the build under test ('default', 'pad3', 'fault1', ...), for coverage."""

TIMEOUT_ENV = "LDV_HANDSHAKE_TIMEOUT_CYCLES"
"""Cycle budget for ap_ready / ap_done / output packets before a test fails as hung;
overrides the description's `handshake_timeout_cycles`."""

MEMORY_TIMING_ENV = "LDV_MEMORY_TIMING"
"""m_axi memory timing profile of every bundle (fast, latency, random, worst, or stall: a
memory that never accepts an address), overriding the one the test's flow pattern picks."""

FLOW_ENV = "LDV_FLOW"
"""Flow-control pattern of every stream and m_axi bundle (none, random, bursty, worst),
overriding the test's own: `LDV_FLOW=none` runs any test at full rate (the bench does)."""


def handshake_timeout_cycles(desc: DutDescription) -> int:
    return int(os.environ.get(TIMEOUT_ENV) or desc.handshake_timeout_cycles)


def dut_config() -> str:
    return os.environ.get(DUT_CONFIG_ENV, "default")
