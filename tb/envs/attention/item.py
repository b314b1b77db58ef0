"""attention transactions: one head's call (q, KV cache, pos) and back-to-back bursts."""
from __future__ import annotations

import numpy as np
import pyuvm

from models.kernels import attention_head_fixed
from models.numerics import EXP_MAX, EXP_MIN

HEAD_DIM = 16
SEQ_LEN = 16


class AttentionCall:
    """Inputs of one call and the golden from models.kernels.attention_head_fixed.

    `trace` keeps the golden's online-softmax steps so coverage can see how often the
    running maximum changed.
    """

    def __init__(self, txn_id: int, q: np.ndarray, km: np.ndarray, ke: np.ndarray, vm: np.ndarray,
                 ve: np.ndarray, pos: int, seed: int, kind: str = "random", continue_delay: int = 0) -> None:
        self.txn_id, self.seed, self.kind, self.pos = txn_id, seed, kind, int(pos)
        self.continue_delay = continue_delay
        self.q = np.asarray(q, np.int64)
        self.km, self.vm = np.asarray(km, np.int64), np.asarray(vm, np.int64)
        self.ke, self.ve = np.asarray(ke, np.int64), np.asarray(ve, np.int64)
        if self.q.shape != (HEAD_DIM,) or self.km.shape != (SEQ_LEN, HEAD_DIM) or self.vm.shape != (SEQ_LEN, HEAD_DIM):
            raise ValueError(f"attention call {txn_id}: q must be [{HEAD_DIM}], caches [{SEQ_LEN}, {HEAD_DIM}]")
        if self.ke.shape != (SEQ_LEN,) or self.ve.shape != (SEQ_LEN,) or not 0 <= self.pos < SEQ_LEN:
            raise ValueError(f"attention call {txn_id}: exponents must be [{SEQ_LEN}] and 0 <= pos < {SEQ_LEN}")
        mantissas = np.concatenate([self.km.ravel(), self.vm.ravel()])
        if np.any((mantissas < -128) | (mantissas > 127)):
            raise ValueError(f"attention call {txn_id}: cache mantissas must be int8 (-128..127)")
        if np.any((np.concatenate([self.ke, self.ve]) < EXP_MIN) | (np.concatenate([self.ke, self.ve]) > EXP_MAX)):
            raise ValueError(f"attention call {txn_id}: exponents must lie in [{EXP_MIN}, {EXP_MAX}]")
        self.trace: list[dict] = []
        self.expected = attention_head_fixed(self.q, self.km, self.ke, self.vm, self.ve, self.pos, HEAD_DIM,
                                             trace=self.trace)

    @property
    def max_updates(self) -> int:
        return sum(bool(np.any(s["updated"])) for s in self.trace)

    def __repr__(self) -> str:
        return f"AttentionCall(txn {self.txn_id}, {self.kind}, pos={self.pos}, seed {self.seed})"


class AttentionItem(pyuvm.uvm_sequence_item):
    def __init__(self, name: str = "attention_item", calls: list[AttentionCall] | None = None) -> None:
        super().__init__(name)
        self.calls = calls or []
