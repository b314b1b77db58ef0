"""AXI-Stream transaction: one packet of words (TLAST on the last)."""
from __future__ import annotations

import numpy as np
import pyuvm


class AxisPacket(pyuvm.uvm_sequence_item):
    def __init__(self, name: str = "axis_packet", words: np.ndarray | None = None, txn_id: int = 0) -> None:
        super().__init__(name)
        self.words = np.asarray(words if words is not None else [], dtype=np.int64)
        self.txn_id = txn_id
        self.start_ns: float | None = None
        self.end_ns: float | None = None

    def __str__(self) -> str:
        return f"AxisPacket(txn {self.txn_id}, {self.words.size} words)"
