"""Where a call's m_axi buffers go: the address policy decides which bursts the DUT issues.

A Vitis m_axi adapter splits a burst at every 4 KiB boundary (AXI4 forbids crossing
one), so a buffer ending just below a boundary exercises the split and short bursts,
while a page-aligned buffer makes burst lengths exact (the directed burst corners).

| policy | buffers |
|---|---|
| `anywhere` | each at a random 64-byte aligned address above 4 GiB (address bits 32..46) |
| `near_boundary` | one after another above 4 GiB; half of them end 0-3 words below a 4 KiB boundary, the others start at a random word of a page |
| `page_aligned` | one after another above 4 GiB, each starting a 4 KiB page |
"""
from __future__ import annotations

import numpy as np

PAGE = 4096
PLACEMENTS = ("anywhere", "near_boundary", "page_aligned")


class PlacementError(ValueError):
    """An unknown placement policy; the message lists the known ones."""


def check_placement(policy: str) -> str:
    if policy not in PLACEMENTS:
        raise PlacementError(f"buffer placement {policy!r}: expected one of {', '.join(PLACEMENTS)}")
    return policy


class BufferPlacer:
    """Addresses for the buffers of one call at a time (`new_call`, then `place` per buffer);
    the buffers of one call never overlap. All randomness comes from `rng`."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.cursor: int | None = None

    def new_call(self) -> None:
        self.cursor = None

    def place(self, size: int, policy: str, align: int = 4) -> int:
        """Start address of a `size`-byte buffer, `align`-byte aligned (a power of two, at least 4)."""
        if check_placement(policy) == "anywhere":
            return (int(self.rng.integers(1, 1 << 15)) << 32) | (int(self.rng.integers(0, 1 << 20)) << 6)
        if self.cursor is None:
            self.cursor = (1 + int(self.rng.integers(0, 4))) << 32
        page = (self.cursor + PAGE - 1) & ~(PAGE - 1)
        if policy == "page_aligned":
            offset = 0
        elif self.rng.random() < 0.5:
            offset = max(0, PAGE - size % PAGE - align * int(self.rng.integers(0, 4)))
        else:
            offset = align * int(self.rng.integers(0, PAGE // align))
        address = page + (offset & ~(align - 1))
        self.cursor = address + size + PAGE
        return address
