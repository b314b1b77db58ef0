"""rope transactions: one call (x stream, pos, n) and a burst of back-to-back calls."""
from __future__ import annotations

import numpy as np
import pyuvm

from models.kernels import rope_fixed

HEAD_DIM = 16
SEQ_LEN = 16
MAX_N = 256


class RopeCall:
    """Inputs of one call and the golden output, computed from models.kernels.rope_fixed."""

    def __init__(self, txn_id: int, x: np.ndarray, pos: int, seed: int, kind: str = "random",
                 continue_delay: int = 0) -> None:
        self.txn_id, self.seed, self.kind, self.pos = txn_id, seed, kind, int(pos)
        self.continue_delay = continue_delay
        self.x = np.asarray(x, np.int64)
        if self.x.ndim != 1 or self.x.size % 2 or not 2 <= self.x.size <= MAX_N:
            raise ValueError(f"rope call {txn_id}: x must be 1-D with an even length 2..{MAX_N}")
        self.expected = rope_fixed(self.x, self.pos, HEAD_DIM, SEQ_LEN)

    @property
    def n(self) -> int:
        return int(self.x.size)

    def __repr__(self) -> str:
        return f"RopeCall(txn {self.txn_id}, {self.kind}, n={self.n}, pos={self.pos}, seed {self.seed})"


class RopeItem(pyuvm.uvm_sequence_item):
    def __init__(self, name: str = "rope_item", calls: list[RopeCall] | None = None) -> None:
        super().__init__(name)
        self.calls = calls or []
