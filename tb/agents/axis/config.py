"""AXI-Stream agent configuration: the stream's ports and its flow-control pattern as a
named, seeded generator."""
from __future__ import annotations

import itertools
import logging
from dataclasses import dataclass
from typing import Any, ClassVar, Iterator

from cocotbext.axi import AxiStreamBus

from llama_dv.tb.agents.binding import AgentBinding
from llama_dv.tb.common.seeding import rng
from llama_dv.tb.dut_description import InterfaceSpec

PATTERNS = ("none", "random", "bursty", "worst")


@dataclass(kw_only=True)
class AxisConfig(AgentBinding):
    """Ports `<prefix>_TDATA/_TVALID/_TREADY[/_TLAST]`; a source when `direction == 'in'`
    (drives the DUT's input stream), a sink otherwise.

    `pattern` shapes TVALID gaps (source) or TREADY backpressure (sink).
    none: never pause; random: pause each cycle with probability `pause_prob`;
    bursty: `burst` cycles on, `burst` cycles off; worst: one cycle on in four, plus
    random long stalls (the slowest a conforming peer may legally be).
    """

    CONFIG_KEY: ClassVar[str] = "axis_cfg"

    prefix: str
    direction: str = "in"
    has_tlast: bool = True
    pattern: str = "none"
    pause_prob: float = 0.3
    burst: int = 4
    stream: str = "axis"

    def __post_init__(self) -> None:
        if self.pattern not in PATTERNS:
            raise ValueError(f"axis pattern {self.pattern!r} is not one of {', '.join(PATTERNS)}")

    @classmethod
    def from_interface(cls, iface: InterfaceSpec, *, dut: Any, clock: Any, reset: Any, reset_active_high: bool,
                       pattern: str = "none") -> "AxisConfig":
        """A DUT description entry of kind axis; its seeded stream is named after it."""
        return cls(dut=dut, clock=clock, reset=reset, reset_active_high=reset_active_high, prefix=iface.prefix,
                   direction=iface.direction, has_tlast=iface.tlast, pattern=pattern, stream=iface.name)

    def pause_generator(self) -> Iterator[bool] | None:
        """Per-cycle pause flags for cocotbext-axi (True = hold TVALID/TREADY low)."""
        if self.pattern == "none":
            return None
        gen = rng(f"axis.{self.stream}.{self.pattern}")
        if self.pattern == "random":
            return (bool(b) for b in iter(lambda: gen.random() < self.pause_prob, None))
        if self.pattern == "bursty":
            return itertools.cycle([False] * self.burst + [True] * self.burst)

        def worst() -> Iterator[bool]:
            while True:
                yield from (False, True, True, True)
                if gen.random() < 0.05:
                    yield from [True] * int(gen.integers(8, 32))
        return worst()

    def endpoint(self, cls: type) -> tuple[Any, Any]:
        """The bus at `prefix` and a quiet cocotbext-axi source or sink on it, reset bound."""
        bus = AxiStreamBus.from_prefix(self.dut, self.prefix)
        ep = cls(bus, *self.cocotbext_reset())
        ep.log.setLevel(logging.WARNING)
        return bus, ep

    def apply_pattern(self, ep: Any) -> None:
        """Give `ep` this config's pause pattern; none also clears a pause left mid-way by a
        stopped generator (it would hold TVALID or TREADY low for good)."""
        pauses = self.pause_generator()
        ep.set_pause_generator(pauses)
        if pauses is None:
            ep.pause = False
