"""ap_memory agent configuration."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from llama_dv.tb.agents.binding import AgentBinding
from llama_dv.tb.dut_description import InterfaceSpec


@dataclass(kw_only=True)
class ApMemoryConfig(AgentBinding):
    """Ports `<prefix>_address<p>/_ce<p>/...`; `read_latency` cycles from a read request
    (ce, address) to q0 being sampled.

    1 is the Vitis default (BRAM); a DUT exported with a larger `latency=` pragma needs
    the matching value. `depth` words of `data_width` bits; `ports` 1 or 2.
    """

    CONFIG_KEY: ClassVar[str] = "ap_memory_cfg"

    prefix: str
    depth: int = 256
    data_width: int = 32
    ports: int = 1
    read_latency: int = 1
    readable: bool = True
    writable: bool = False
    signed: bool = True

    def __post_init__(self) -> None:
        if self.read_latency < 1:
            raise ValueError(f"ap_memory read_latency must be >= 1, got {self.read_latency}")
        if self.ports not in (1, 2):
            raise ValueError(f"ap_memory has 1 or 2 ports, got {self.ports}")

    @classmethod
    def from_interface(cls, iface: InterfaceSpec, *, dut: Any, clock: Any,
                       read_latency: int | None = None) -> "ApMemoryConfig":
        """A DUT description entry of kind ap_memory (its `latency`, unless overridden)."""
        return cls(dut=dut, clock=clock, prefix=iface.prefix, depth=iface.mem_depth, data_width=iface.data_width,
                   ports=iface.ports, read_latency=iface.latency if read_latency is None else read_latency,
                   readable=iface.direction in ("in", "inout"), writable=iface.direction in ("out", "inout"),
                   signed=iface.signed)
