"""rmsnorm transactions: one kernel call, and a burst of calls started back to back."""
from __future__ import annotations

import numpy as np
import pyuvm

from models.kernels import rmsnorm_fixed


class RmsnormCall:
    """Inputs of one call (F raws) and the golden output, computed here, never from the DUT."""

    def __init__(self, txn_id: int, x: np.ndarray, w: np.ndarray, seed: int, kind: str = "random") -> None:
        self.txn_id, self.seed, self.kind = txn_id, seed, kind
        self.x = np.asarray(x, np.int64)
        self.w = np.asarray(w, np.int64)
        if self.x.shape != self.w.shape or self.x.ndim != 1 or not 1 <= self.x.size <= 256:
            raise ValueError(f"rmsnorm call {txn_id}: x and w must be 1-D of equal length 1..256")
        self.expected = rmsnorm_fixed(self.x, self.w)

    @property
    def n(self) -> int:
        return int(self.x.size)

    def __repr__(self) -> str:
        return f"RmsnormCall(txn {self.txn_id}, {self.kind}, n={self.n}, seed {self.seed})"


class RmsnormItem(pyuvm.uvm_sequence_item):
    """`calls` run back to back (ap_start held high) when there is more than one."""

    def __init__(self, name: str = "rmsnorm_item", calls: list[RmsnormCall] | None = None,
                 reset_after_cycles: int | None = None) -> None:
        super().__init__(name)
        self.calls = calls or []
        self.reset_after_cycles = reset_after_cycles
