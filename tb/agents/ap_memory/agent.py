"""ap_memory agent: a reactive slave (memory model) the kernel reads and writes."""
from __future__ import annotations

from typing import Any

import pyuvm

from tb.agents.ap_memory.bus import ApMemoryBus
from tb.agents.ap_memory.config import ApMemoryConfig
from tb.agents.ap_memory.model import ApMemoryModel
from tb.dut import InterfaceSpec


class ApMemoryAgent(pyuvm.uvm_agent):
    """`model` holds the contents; its `ap` port is the write monitor."""

    def __init__(self, name: str, parent: Any, bus: ApMemoryBus, cfg: ApMemoryConfig, clk: Any) -> None:
        super().__init__(name, parent)
        self.bus, self.cfg, self.clk = bus, cfg, clk

    @classmethod
    def from_prefix(cls, name: str, parent: Any, dut: Any, clk: Any, prefix: str,
                    cfg: ApMemoryConfig) -> "ApMemoryAgent":
        bus = ApMemoryBus.from_prefix(dut, prefix, ports=cfg.ports, readable=cfg.readable,
                                      writable=cfg.writable)
        return cls(name, parent, bus, cfg, clk)

    @classmethod
    def from_interface(cls, name: str, parent: Any, dut: Any, clk: Any, iface: InterfaceSpec,
                       read_latency: int | None = None) -> "ApMemoryAgent":
        """Configure from a DUT description entry of kind ap_memory (its `latency`, unless overridden)."""
        cfg = ApMemoryConfig(depth=iface.mem_depth, data_width=iface.data_width, ports=iface.ports,
                             read_latency=iface.latency if read_latency is None else read_latency,
                             readable=iface.direction in ("in", "inout"),
                             writable=iface.direction in ("out", "inout"), signed=iface.signed)
        return cls.from_prefix(name, parent, dut, clk, iface.prefix, cfg)

    def build_phase(self) -> None:
        self.model = ApMemoryModel("model", self, self.bus, self.cfg, self.clk)
