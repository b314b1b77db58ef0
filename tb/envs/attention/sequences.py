"""attention sequence library: directed corners and constrained-random calls (seeded)."""
from __future__ import annotations

import numpy as np
import pyuvm

from models.numerics import EXP_MAX, EXP_MIN, INT32_MAX, INT32_MIN, ONE
from tb.common.seeding import regression_seed, rng
from tb.envs.attention.item import HEAD_DIM, SEQ_LEN, AttentionCall, AttentionItem


class AttentionSeqBase(pyuvm.uvm_sequence):
    burst = 1
    max_continue_delay = 0

    def __init__(self, name: str = "attention_seq") -> None:
        super().__init__(name)
        self.rng = rng(f"attention.{type(self).__name__}")
        self.seed = regression_seed()
        self.next_id = 0

    def call(self, q, km, ke, vm, ve, pos: int, kind: str) -> AttentionCall:
        delay = int(self.rng.integers(0, self.max_continue_delay + 1)) if self.max_continue_delay else 0
        c = AttentionCall(self.next_id, q, km, ke, vm, ve, pos, self.seed, kind, continue_delay=delay)
        self.next_id += 1
        return c

    def calls(self) -> list[AttentionCall]:
        raise NotImplementedError

    async def body(self) -> None:
        calls = self.calls()
        for i in range(0, len(calls), self.burst):
            item = AttentionItem(f"attention_{i}", calls[i:i + self.burst])
            await self.start_item(item)
            await self.finish_item(item)

    # --- operand generators --------------------------------------------------------

    def rand_q(self, bits: int | None = None) -> np.ndarray:
        bits = int(self.rng.integers(0, 32)) if bits is None else bits
        lim = 1 << min(bits, 31)
        return self.rng.integers(-lim, lim, size=HEAD_DIM, dtype=np.int64).clip(INT32_MIN, INT32_MAX)

    def rand_cache(self) -> np.ndarray:
        return self.rng.integers(-128, 128, size=(SEQ_LEN, HEAD_DIM), dtype=np.int64)

    def rand_exp(self, lo: int = -30, hi: int = 0) -> np.ndarray:
        return self.rng.integers(lo, hi + 1, size=SEQ_LEN, dtype=np.int64)

    def random_call(self, kind: str = "random", pos: int | None = None) -> AttentionCall:
        pos = int(self.rng.integers(0, SEQ_LEN)) if pos is None else pos
        wide = self.rng.random() < 0.2
        lo, hi = (EXP_MIN, EXP_MAX) if wide else (-30, 0)
        return self.call(self.rand_q(), self.rand_cache(), self.rand_exp(lo, hi), self.rand_cache(),
                         self.rand_exp(lo, hi), pos, kind)


class SmokeSeq(AttentionSeqBase):
    def calls(self) -> list[AttentionCall]:
        return [self.random_call("smoke", pos=3), self.random_call("smoke", pos=0)]


class DirectedSeq(AttentionSeqBase):
    """pos 0 / SEQ-1, zero q, rising scores (max updated every step), saturated V,
    INT32_MIN and -128 operands, extreme exponents."""

    def calls(self) -> list[AttentionCall]:
        top = SEQ_LEN - 1
        zq = np.zeros(HEAD_DIM, np.int64)
        ones = np.ones((SEQ_LEN, HEAD_DIM), np.int64)
        rising_k = np.arange(SEQ_LEN, dtype=np.int64)[:, None] * ones * 8
        falling_k = (SEQ_LEN - 1 - np.arange(SEQ_LEN, dtype=np.int64))[:, None] * ones * 8
        e0 = np.full(SEQ_LEN, -6, np.int64)
        vmax = np.full((SEQ_LEN, HEAD_DIM), 127, np.int64)
        vmin = np.full((SEQ_LEN, HEAD_DIM), -128, np.int64)
        out = [
            self.call(zq, self.rand_cache(), e0, self.rand_cache(), e0, 0, "zero_q_pos0"),
            self.call(zq, self.rand_cache(), e0, self.rand_cache(), e0, top, "zero_q_top"),
            self.call(np.full(HEAD_DIM, ONE), rising_k, e0, self.rand_cache(), e0, top, "rising_scores"),
            self.call(np.full(HEAD_DIM, ONE), falling_k, e0, self.rand_cache(), e0, top, "falling_scores"),
            self.call(self.rand_q(20), self.rand_cache(), e0, vmax, np.full(SEQ_LEN, EXP_MAX), 0, "sat_pos"),
            self.call(self.rand_q(20), self.rand_cache(), e0, vmin, np.full(SEQ_LEN, EXP_MAX), 0, "sat_neg"),
            self.call(np.full(HEAD_DIM, INT32_MIN), np.full((SEQ_LEN, HEAD_DIM), -128), e0, vmin, e0, top,
                      "most_negative"),
            self.call(np.full(HEAD_DIM, INT32_MAX), vmax, np.full(SEQ_LEN, EXP_MAX), vmax,
                      np.full(SEQ_LEN, EXP_MIN), top, "max_exponents"),
            self.call(self.rand_q(31), self.rand_cache(), np.full(SEQ_LEN, EXP_MIN), self.rand_cache(),
                      np.full(SEQ_LEN, EXP_MIN), top, "min_exponents"),
        ]
        one_up = np.zeros((SEQ_LEN, HEAD_DIM), np.int64)
        one_up[1] = 64
        three_up = np.zeros((SEQ_LEN, HEAD_DIM), np.int64)
        three_up[1:4] = np.array([16, 32, 48])[:, None]
        q1 = np.full(HEAD_DIM, ONE)
        out += [
            self.call(q1, one_up, e0, self.rand_cache(), e0, top, "one_max_update"),
            self.call(q1, three_up, e0, self.rand_cache(), e0, top, "three_max_updates"),
            self.call(self.rand_q(6), self.rand_cache(), np.full(SEQ_LEN, 5), self.rand_cache(),
                      np.full(SEQ_LEN, 5), 7, "positive_exponents"),
            self.call(self.rand_q(14), self.rand_cache(), np.full(SEQ_LEN, -40), self.rand_cache(),
                      np.full(SEQ_LEN, -40), 4, "q_14bit"),
            self.call(self.rand_q(28), self.rand_cache(), e0, self.rand_cache(), e0, 9, "q_28bit"),
        ]
        out += [self.random_call(f"pos{p}", pos=p) for p in range(SEQ_LEN)]
        return out


class RandomSeq(AttentionSeqBase):
    count = 120

    def calls(self) -> list[AttentionCall]:
        return [self.random_call() for _ in range(self.count)]


class ShortRandomSeq(RandomSeq):
    count = 8


class BackToBackSeq(RandomSeq):
    count = 16
    burst = 4


class StressSeq(RandomSeq):
    count = 30
    max_continue_delay = 12
