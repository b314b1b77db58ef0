"""Configuration of the m_axi slave-memory agent: pins, memory timing and checks."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import ClassVar

from llama_dv.tb.agents.binding import AgentBinding

PAUSE_FORMS = ("none", "stall", "random:<p>", "duty:<ready>/<period>")


@dataclass(frozen=True)
class AxiTiming:
    """How the memory answers: latency ranges in cycles and READY/VALID pause patterns.

    A pattern is "none" (never paused), "stall" (never ready: a hung memory), "random:<p>" (paused with probability p each
    cycle, from the agent's seeded stream) or "duty:<r>/<n>" (ready r cycles out of n).
    `rvalid` pauses the read-data beats; `bvalid` pauses the write response.
    """

    name: str = "fast"
    read_latency: tuple[int, int] = (0, 0)
    write_response_latency: tuple[int, int] = (0, 0)
    arready: str = "none"
    awready: str = "none"
    wready: str = "none"
    rvalid: str = "none"
    bvalid: str = "none"

    def with_name(self, name: str) -> "AxiTiming":
        return replace(self, name=name)


TIMING_PROFILES: dict[str, AxiTiming] = {
    "fast": AxiTiming("fast"),
    "latency": AxiTiming("latency", read_latency=(4, 40), write_response_latency=(2, 30)),
    "random": AxiTiming("random", read_latency=(0, 12), write_response_latency=(0, 8),
                        arready="random:0.3", awready="random:0.3", wready="random:0.3",
                        rvalid="random:0.3", bvalid="random:0.2"),
    "worst": AxiTiming("worst", read_latency=(20, 60), write_response_latency=(10, 40),
                       arready="duty:1/8", awready="duty:1/8", wready="duty:1/4",
                       rvalid="duty:1/4", bvalid="duty:1/4"),
}
"""Named memory behaviours; coverage bins are these names."""

STALLED = AxiTiming("stall", arready="stall", awready="stall")
"""A memory that never accepts an address: the kernel cannot finish (timeout tests)."""


@dataclass(frozen=True)
class Region:
    """An address range the kernel may touch (a buffer it was given), for the bounds check."""

    name: str
    base: int
    size: int
    writable: bool

    def holds(self, start: int, end: int) -> bool:
        return self.base <= start and end <= self.base + self.size


@dataclass(kw_only=True)
class MAxiConfig(AgentBinding):
    """One `m_axi_<bundle>` port served by a simulated memory.

    `regions` (set per transaction by the env) turns on the bounds check: every burst
    must fall inside one region, and writes only inside writable ones. `w_after_aw`
    makes a W beat accepted before its burst's AW handshake a violation: AXI4 allows it,
    so it is off by default, but a master that documents AW-before-W (every Vitis m_axi
    adapter: its write throttle holds W until the AW was accepted) must keep to it.
    `verbose` lets cocotbext-axi log every burst at INFO.
    """

    CONFIG_KEY: ClassVar[str] = "m_axi_cfg"

    period_ns: float
    bundle: str = "gmem"
    timing: AxiTiming = field(default_factory=AxiTiming)
    memory_size: int = 2**48
    regions: list[Region] = field(default_factory=list)
    seed: int | None = None
    w_after_aw: bool = False
    verbose: bool = False

    @property
    def prefix(self) -> str:
        return f"m_axi_{self.bundle}"
