"""rope sequence library: directed corners and constrained-random calls (seeded)."""
from __future__ import annotations

import numpy as np
import pyuvm

from models.numerics import INT32_MAX, INT32_MIN, ONE
from tb.common.seeding import regression_seed, rng
from tb.envs.rope.item import MAX_N, SEQ_LEN, RopeCall, RopeItem


class RopeSeqBase(pyuvm.uvm_sequence):
    burst = 1
    max_continue_delay = 0

    def __init__(self, name: str = "rope_seq") -> None:
        super().__init__(name)
        self.rng = rng(f"rope.{type(self).__name__}")
        self.seed = regression_seed()
        self.next_id = 0

    def call(self, x: np.ndarray, pos: int, kind: str) -> RopeCall:
        delay = int(self.rng.integers(0, self.max_continue_delay + 1)) if self.max_continue_delay else 0
        c = RopeCall(self.next_id, x, pos, self.seed, kind, continue_delay=delay)
        self.next_id += 1
        return c

    def calls(self) -> list[RopeCall]:
        raise NotImplementedError

    async def body(self) -> None:
        calls = self.calls()
        for i in range(0, len(calls), self.burst):
            item = RopeItem(f"rope_{i}", calls[i:i + self.burst])
            await self.start_item(item)
            await self.finish_item(item)

    def rand_vec(self, n: int, bits: int) -> np.ndarray:
        lim = 1 << min(bits, 31)
        return self.rng.integers(-lim, lim, size=n, dtype=np.int64).clip(INT32_MIN, INT32_MAX)

    def rand_n(self, max_n: int = MAX_N) -> int:
        return 2 * int(self.rng.integers(1, max_n // 2 + 1))


class SmokeSeq(RopeSeqBase):
    def calls(self) -> list[RopeCall]:
        x = (np.arange(16, dtype=np.int64) - 8) * ONE // 2
        return [self.call(x, 3, "smoke"), self.call(self.rand_vec(32, 22), 7, "random")]


class DirectedSeq(RopeSeqBase):
    """Zeros, both saturation rails, INT32_MIN, pos 0 and SEQ-1, n = 2 and MAX_N."""

    def calls(self) -> list[RopeCall]:
        n = 16
        top = SEQ_LEN - 1
        pairs_pos = np.tile([INT32_MAX, INT32_MIN], n // 2)
        pairs_neg = np.tile([INT32_MIN, INT32_MAX], n // 2)
        out = [
            self.call(np.zeros(n, np.int64), 0, "zeros"),
            self.call(np.zeros(n, np.int64), top, "zeros_top"),
            self.call(np.full(n, INT32_MAX), 0, "identity_max"),
            self.call(pairs_pos, top, "sat_pos"),
            self.call(pairs_neg, top, "sat_neg"),
            self.call(np.full(n, INT32_MIN), 0, "most_negative"),
            self.call(np.full(n, INT32_MIN), top, "most_negative_top"),
            self.call(np.array([ONE, -ONE]), 1, "n2"),
            self.call(self.rand_vec(MAX_N, 31), top, "max_n"),
            self.call(self.rand_vec(MAX_N, 20), 0, "max_n_pos0"),
            self.call(self.rand_vec(200, 24), 9, "n200"),
            self.call(self.rand_vec(n, 6), 5, "small_6bit"),
            self.call(self.rand_vec(n, 14), 6, "small_14bit"),
        ]
        out += [self.call(self.rand_vec(n, 28), p, f"pos{p}") for p in range(SEQ_LEN)]
        return out


class RandomSeq(RopeSeqBase):
    count = 200
    max_n = 64

    def calls(self) -> list[RopeCall]:
        out = []
        for _ in range(self.count):
            n = self.rand_n(self.max_n if self.rng.random() < 0.9 else MAX_N)
            out.append(self.call(self.rand_vec(n, int(self.rng.integers(0, 32))),
                                 int(self.rng.integers(0, SEQ_LEN)), "random"))
        return out


class ShortRandomSeq(RandomSeq):
    count = 10
    max_n = 32


class BackToBackSeq(RandomSeq):
    count = 24
    max_n = 32
    burst = 4


class StressSeq(RandomSeq):
    """Random calls with random ap_continue stalls (0..12 cycles)."""

    count = 40
    max_n = 48
    max_continue_delay = 12
