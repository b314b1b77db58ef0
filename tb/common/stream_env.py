"""Env mixin for kernels with one input and one output AXI-Stream (`in_stream`, `out_r`)."""
from __future__ import annotations

from tb.agents.axis import AxisConfig


class StreamEnvMixin:
    """Flow-control patterns of the input and output streams, switchable per test."""

    def set_flow(self, valid: str = "none", ready: str = "none") -> None:
        self.in_stream.set_pattern(AxisConfig(pattern=valid, stream=self.in_stream.prefix))
        self.out_r.set_pattern(AxisConfig(pattern=ready, stream=self.out_r.prefix))
        self.in_stream.cfg = self.in_stream.driver.cfg
        self.out_r.cfg = self.out_r.driver.cfg

    def on_reset(self) -> None:
        self.scoreboard.flush()
        self.out_r.monitor.reset_state()
        self.in_stream.monitor.reset_state()
        self.in_stream.driver.flush()
