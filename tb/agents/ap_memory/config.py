"""ap_memory agent configuration."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass
class ApMemoryConfig:
    """`read_latency` cycles from a read request (ce, address) to q0 being sampled.

    1 is the Vitis default (BRAM); a DUT exported with a larger `latency=` pragma needs
    the matching value. `depth` words of `data_width` bits; `ports` 1 or 2.
    """

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
