"""Sequence library of matmul: directed corners and constrained-random calls.

Random sequences draw from `tb.common.seeding.rng`, i.e. from the cocotb seed, so a
failing run replays with the seed printed in its log.
"""
from __future__ import annotations

import os

import numpy as np
import pyuvm

from models.numerics import EXP_MAX, EXP_MIN
from tb.common.seeding import rng
from tb.envs.matmul.item import MatmulTransaction

RANDOM_COUNT_ENV = "LDV_MATMUL_RANDOM_COUNT"


def _full(d: int, n: int, value: int, we: int, xe: int, kind: str) -> MatmulTransaction:
    return MatmulTransaction(kind, np.full((d, n), value), np.full(d, we), np.full(n, value), xe, kind=kind)


def directed_corners() -> list[MatmulTransaction]:
    """Zeros, uniform extreme mantissas, saturation both ways, extreme exponents, size limits,
    and page-aligned calls whose burst lengths are certain: a 2048-byte w stream (two
    256-beat reads), d = 16 (one 16-beat y write), d = 100 (y written as 64 + 36 beats)."""
    r = rng("matmul.corners")
    txns = [
        _full(4, 8, 0, 0, 0, "zeros"),
        _full(3, 16, 127, -10, -10, "all_+127"),
        _full(3, 16, -127, -10, -10, "all_-127"),
        _full(3, 16, -128, -10, -10, "all_-128"),
        _full(2, 4, 127, EXP_MAX, EXP_MAX, "saturate_pos"),
        MatmulTransaction("saturate_neg", np.full((2, 4), -128), np.full(2, 40), np.full(4, 127), 20,
                          kind="saturate_neg"),
        MatmulTransaction("sat_mixed_rows", np.array([[127] * 4, [-128] * 4, [1] * 4]), np.array([63, 63, -64]),
                          np.full(4, 127), EXP_MAX, kind="saturate_both"),
        _full(2, 4, 127, EXP_MIN, EXP_MIN, "min_exponents"),
        _full(2, 4, -128, EXP_MIN, EXP_MAX, "mixed_extreme_exponents"),
        MatmulTransaction("rounding_half", np.array([[1, 1], [-1, -1], [3, -1]]), np.array([-21, -21, -22]),
                          np.array([1, 0]), 0, kind="rounding"),
        MatmulTransaction("n1_d1", r.integers(-128, 128, (1, 1)), np.array([-5]), r.integers(-128, 128, 1), -3,
                          kind="n1_d1"),
        MatmulTransaction("n256", r.integers(-128, 128, (2, 256)), r.integers(-16, -4, 2),
                          r.integers(-128, 128, 256), -8, kind="n_max"),
        MatmulTransaction("d256", r.integers(-128, 128, (256, 3)), r.integers(EXP_MIN, EXP_MAX + 1, 256),
                          r.integers(-128, 128, 3), -20, kind="d_max"),
        MatmulTransaction("negative_exponents", r.integers(-128, 128, (33, 40)), r.integers(-63, -29, 33),
                          r.integers(-128, 128, 40), int(r.integers(-63, -29)), kind="negative_exponents"),
        MatmulTransaction("w_burst_256", r.integers(-128, 128, (8, 256)), r.integers(-16, -4, 8),
                          r.integers(-128, 128, 256), -8, kind="w_burst_256", placement="page_aligned"),
        MatmulTransaction("y_burst_16", r.integers(-128, 128, (16, 5)), r.integers(-16, -4, 16),
                          r.integers(-128, 128, 5), -8, kind="y_burst_16", placement="page_aligned"),
        MatmulTransaction("y_bursts_64_36", r.integers(-128, 128, (100, 6)), r.integers(-16, -4, 100),
                          r.integers(-128, 128, 6), -8, kind="y_burst_cap", placement="page_aligned"),
    ]
    return txns


DIM_CLASSES = ((1, 1), (2, 7), (8, 31), (32, 255), (256, 256))
"""Dimension classes, as the dims coverpoints bin them; random dims pick a class first."""
DIM_CLASS_WEIGHTS = (0.12, 0.28, 0.34, 0.18, 0.08)
MAX_RANDOM_ELEMENTS = 2048
"""Bound on n*d of a random call: the kernel takes about one cycle per weight byte."""


def random_dims(r: np.random.Generator, max_dim: int = 256,
                max_elements: int = MAX_RANDOM_ELEMENTS) -> tuple[int, int]:
    """(n, d): one dimension drawn class-first (every dims bin likely within a few dozen
    calls), the other constrained to n*d <= max_elements, both <= max_dim."""

    def draw(cap: int) -> int:
        allowed = [i for i, (lo, _) in enumerate(DIM_CLASSES) if lo <= cap]
        weights = np.array([DIM_CLASS_WEIGHTS[i] for i in allowed])
        lo, hi = DIM_CLASSES[allowed[int(r.choice(len(allowed), p=weights / weights.sum()))]]
        return int(r.integers(lo, min(hi, cap) + 1))

    first = draw(max_dim)
    second = draw(min(max_dim, max_elements // first))
    return (first, second) if r.random() < 0.5 else (second, first)


def random_transaction(r: np.random.Generator, name: str, max_dim: int = 256) -> MatmulTransaction:
    """One constrained-random call: dims by class (n*d bounded), mixed exponent regimes."""
    n, d = random_dims(r, max_dim)
    regime = r.choice(["natural", "wide", "extreme"], p=[0.6, 0.3, 0.1])
    if regime == "natural":
        we, xe = r.integers(-14, -3, d), int(r.integers(-12, -1))
    elif regime == "wide":
        we, xe = r.integers(EXP_MIN, EXP_MAX + 1, d), int(r.integers(EXP_MIN, EXP_MAX + 1))
    else:
        we, xe = r.choice([EXP_MIN, EXP_MAX], d), int(r.choice([EXP_MIN, EXP_MAX]))
    wm = r.integers(-128, 128, (d, n))
    xm = r.integers(-128, 128, n)
    if r.random() < 0.1:
        wm = np.where(r.random((d, n)) < 0.5, 127, -128)
    return MatmulTransaction(name, wm, we, xm, xe, completion=str(r.choice(["poll", "interrupt"])),
                             kind=f"random_{regime}")


class MatmulSequence(pyuvm.uvm_sequence):
    """Sends `transactions()` in order to the env's sequencer."""

    def transactions(self) -> list[MatmulTransaction]:
        return []

    async def body(self) -> None:
        for txn in self.transactions():
            await self.start_item(txn)
            await self.finish_item(txn)


class SmokeSeq(MatmulSequence):
    """Two small calls, polled and by interrupt."""

    def transactions(self) -> list[MatmulTransaction]:
        r = rng("matmul.smoke")
        a = random_transaction(r, "smoke0", 8)
        b = random_transaction(r, "smoke1", 8)
        a.completion, b.completion = "poll", "interrupt"
        return [a, b]


class CornerSeq(MatmulSequence):
    """Every directed corner."""

    def transactions(self) -> list[MatmulTransaction]:
        return directed_corners()


class RandomSeq(MatmulSequence):
    """LDV_MATMUL_RANDOM_COUNT (default 200) constrained-random calls."""

    count = 200

    def transactions(self) -> list[MatmulTransaction]:
        r = rng("matmul.random")
        count = int(os.environ.get(RANDOM_COUNT_ENV, self.count))
        return [random_transaction(r, f"random{i}") for i in range(count)]


class ShortRandomSeq(RandomSeq):
    """A handful of random calls (after a reset, under stress timing)."""

    def transactions(self) -> list[MatmulTransaction]:
        r = rng(f"matmul.{self.get_name()}")
        return [random_transaction(r, f"{self.get_name()}{i}", 12) for i in range(6)]


class BackToBackSeq(MatmulSequence):
    """Calls started immediately after the previous ap_done, alternating completion modes."""

    def transactions(self) -> list[MatmulTransaction]:
        r = rng("matmul.b2b")
        txns = [random_transaction(r, f"b2b{i}", 10) for i in range(12)]
        for i, t in enumerate(txns):
            t.back_to_back = i > 0
            t.completion = "interrupt" if i % 2 else "poll"
        return txns


class InterruptSeq(MatmulSequence):
    """Calls completed by the interrupt pin only."""

    def transactions(self) -> list[MatmulTransaction]:
        r = rng("matmul.irq")
        txns = [random_transaction(r, f"irq{i}", 12) for i in range(8)]
        for t in txns:
            t.completion = "interrupt"
        return txns


class AutoRestartSeq(MatmulSequence):
    """auto_restart: each call runs 2-4 times on its own before auto_restart is cleared.

    The last two calls are tiny (n, d <= 2) and polled, so a run is shorter than a poll
    interval and a poll often sees ap_done while the next run's y write is in flight
    (the case the done check must attribute to the right run)."""

    def transactions(self) -> list[MatmulTransaction]:
        r = rng("matmul.auto")
        txns = [random_transaction(r, f"auto{i}", 8) for i in range(4)]
        txns += [random_transaction(r, f"auto_tiny{i}", 2) for i in range(2)]
        for i, t in enumerate(txns):
            t.auto_restart_runs = int(r.integers(2, 5)) if i < 4 else 4
            t.completion = "interrupt" if i % 2 and i < 4 else "poll"
        return txns
