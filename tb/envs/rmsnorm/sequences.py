"""rmsnorm sequence library: directed corners and constrained-random calls.

Every random choice comes from `tb.common.rng(<sequence name>)`, i.e. from the cocotb
seed, so a failure replays with the same seed.
"""
from __future__ import annotations

import numpy as np
import pyuvm

from models.numerics import INT32_MAX, INT32_MIN, ONE
from tb.common.seeding import regression_seed, rng
from tb.envs.rmsnorm.item import RmsnormCall, RmsnormItem

MAX_N = 256


class RmsnormSeqBase(pyuvm.uvm_sequence):
    """Sends `calls()` one per item (or in bursts of `burst` back-to-back calls)."""

    burst = 1

    def __init__(self, name: str = "rmsnorm_seq") -> None:
        super().__init__(name)
        self.rng = rng(f"rmsnorm.{type(self).__name__}")
        self.seed = regression_seed()
        self.next_id = 0

    def call(self, x: np.ndarray, w: np.ndarray, kind: str) -> RmsnormCall:
        c = RmsnormCall(self.next_id, x, w, self.seed, kind)
        self.next_id += 1
        return c

    def calls(self) -> list[RmsnormCall]:
        raise NotImplementedError

    async def body(self) -> None:
        calls = self.calls()
        for i in range(0, len(calls), self.burst):
            item = RmsnormItem(f"rmsnorm_{i}", calls[i:i + self.burst])
            await self.start_item(item)
            await self.finish_item(item)

    # --- generators of operand vectors -----------------------------------------------

    def rand_vec(self, n: int, bits: int) -> np.ndarray:
        """Uniform F raws with magnitude below 2**bits."""
        lim = 1 << min(bits, 31)
        return self.rng.integers(-lim, lim, size=n, dtype=np.int64).clip(INT32_MIN, INT32_MAX)

    def rand_gain(self, n: int) -> np.ndarray:
        return self.rng.integers(-2 * ONE, 2 * ONE, size=n, dtype=np.int64)


class SmokeSeq(RmsnormSeqBase):
    def calls(self) -> list[RmsnormCall]:
        x = np.arange(1, 9, dtype=np.int64) * ONE // 4
        return [self.call(x, np.full(8, ONE), "smoke"), self.call(self.rand_vec(64, 22), self.rand_gain(64), "random")]


class DirectedSeq(RmsnormSeqBase):
    """Zeros, saturation both ways, INT32_MIN, max exponents, n = 1 and n = MAX_N."""

    def calls(self) -> list[RmsnormCall]:
        n = 16
        big = np.full(n, INT32_MAX)
        alt = np.where(np.arange(n) % 2 == 0, INT32_MAX, INT32_MIN)
        out = [
            self.call(np.zeros(n, np.int64), np.full(n, ONE), "zeros"),
            self.call(np.zeros(1, np.int64), np.full(1, ONE), "zeros_n1"),
            self.call(np.array([ONE // 3]), np.array([ONE]), "n1"),
            self.call(big, np.full(n, INT32_MAX), "sat_pos"),
            self.call(big, np.full(n, INT32_MIN), "sat_neg"),
            self.call(alt, np.full(n, INT32_MAX), "sat_both"),
            self.call(np.full(n, INT32_MIN), np.full(n, ONE), "most_negative"),
            self.call(np.concatenate([[INT32_MIN], np.ones(n - 1, np.int64)]), np.full(n, INT32_MAX), "one_spike"),
            self.call(np.full(n, 1), np.full(n, ONE), "tiny"),
            self.call(np.full(n, -1), np.full(n, -ONE), "tiny_neg"),
            self.call(self.rand_vec(MAX_N, 31), self.rand_gain(MAX_N), "max_n_full_range"),
            self.call(self.rand_vec(MAX_N, 12), np.full(MAX_N, INT32_MAX), "max_n_small"),
            self.call(self.rand_vec(200, 24), self.rand_gain(200), "n200"),
        ]
        for bits in (4, 10, 16, 20, 24, 28):
            out.append(self.call(self.rand_vec(n + bits, bits), self.rand_gain(n + bits), f"exp_{bits}"))
        return out


class RandomSeq(RmsnormSeqBase):
    """Constrained random: length and magnitude class drawn per call."""

    count = 200
    max_n = MAX_N

    def calls(self) -> list[RmsnormCall]:
        out = []
        for _ in range(self.count):
            n = int(self.rng.choice([int(self.rng.integers(1, 17)), int(self.rng.integers(17, self.max_n + 1))]))
            bits = int(self.rng.integers(0, 32))
            x = self.rand_vec(n, bits)
            g = self.rand_gain(n) if self.rng.random() < 0.8 else self.rand_vec(n, 31)
            out.append(self.call(x, g, "random"))
        return out


class ShortRandomSeq(RandomSeq):
    count = 12
    max_n = 48


class BackToBackSeq(RandomSeq):
    """Bursts of calls with ap_start held high: no idle cycle between calls."""

    count = 24
    max_n = 32
    burst = 4
