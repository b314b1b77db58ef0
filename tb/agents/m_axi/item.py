"""Transaction of the m_axi monitor: one AXI4 burst as the kernel issued it."""
from __future__ import annotations

import pyuvm


class AxiBurst(pyuvm.uvm_sequence_item):
    """A read or write burst: address phase, data beats and response, with times in ns."""

    def __init__(self, name: str = "axi_burst", direction: str = "read", addr: int = 0, length: int = 1,
                 size: int = 2, burst: int = 1, axi_id: int = 0) -> None:
        super().__init__(name)
        self.direction, self.axi_id = direction, axi_id
        self.addr, self.length, self.size, self.burst = addr, length, size, burst  # AxADDR, AxLEN, AxSIZE, AxBURST
        self.data: list[int] = []
        self.strobes: list[int] = []
        self.resp = 0
        self.outstanding_at_issue = 0
        self.issue_ns = 0.0
        self.done_ns = 0.0

    @property
    def nbytes(self) -> int:
        return self.length << self.size

    @property
    def end(self) -> int:
        """One past the last byte address of an INCR burst."""
        return (self.addr >> self.size << self.size) + self.nbytes

    def __str__(self) -> str:
        return (f"{self.direction} burst id={self.axi_id} addr=0x{self.addr:x} len={self.length} "
                f"size={1 << self.size}B burst={self.burst}")
