"""AXI-Stream agent configuration: flow-control patterns as named, seeded generators."""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Iterator

from tb.common.seeding import rng

PATTERNS = ("none", "random", "bursty", "worst")


@dataclass
class AxisConfig:
    """`pattern` shapes TVALID gaps (source) or TREADY backpressure (sink).

    none: never pause; random: pause each cycle with probability `pause_prob`;
    bursty: `burst` cycles on, `burst` cycles off; worst: one cycle on in four, plus
    random long stalls (the slowest a conforming peer may legally be).
    """

    pattern: str = "none"
    pause_prob: float = 0.3
    burst: int = 4
    stream: str = "axis"

    def __post_init__(self) -> None:
        if self.pattern not in PATTERNS:
            raise ValueError(f"axis pattern {self.pattern!r} is not one of {', '.join(PATTERNS)}")

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
