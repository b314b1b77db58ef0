"""matmul's own calls: directed corners (numerics and burst lengths), the random
distribution, and the shapes of the auto_restart and reset tests.

Every random choice comes from the generator the env hands in (seeded from the cocotb
seed), so a failure replays with the same seed.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from llama_dv.models.numerics import EXP_MAX, EXP_MIN
from llama_dv.tb.generic.stimulus import Call, Stimulus

MAX_DIM = 256
"""n, d <= 256 by the kernel's contract."""
DIM_CLASSES = ((1, 1), (2, 7), (8, 31), (32, 255), (256, 256))
"""Dimension classes, as the dims coverpoints bin them; random dims pick a class first."""
DIM_CLASS_WEIGHTS = (0.12, 0.28, 0.34, 0.18, 0.08)
MAX_RANDOM_ELEMENTS = 2048
"""Bound on n*d of a random call: the kernel takes about one cycle per weight byte."""
PAGE_ALIGNED = {"placement": "page_aligned"}
"""Run option of the burst-length corners: every buffer starts a 4 KiB page, so burst lengths are exact."""


def matvec_inputs(wm: Any, we: Any, xm: Any, xe: int) -> dict[str, Any]:
    """The call's arguments for a d x n mantissa matrix `wm` (stored row by row in w),
    row exponents `we`, vector `xm` and its exponent `xe`."""
    we, xm = np.asarray(we, np.int64), np.asarray(xm, np.int64)
    wm = np.asarray(wm, np.int64).reshape(we.size, xm.size)
    return {"w": wm.ravel(), "w_exp": we, "x": xm, "x_exp": int(xe), "n": int(xm.size), "d": int(we.size)}


def _full(d: int, n: int, value: int, we: int, xe: int) -> dict[str, Any]:
    return matvec_inputs(np.full((d, n), value), np.full(d, we), np.full(n, value), xe)


def directed(rng: np.random.Generator) -> list[tuple[Any, ...]]:
    """Zeros, uniform extreme mantissas, saturation both ways, extreme exponents, rounding
    ties, size limits, and page-aligned calls whose burst lengths are certain: a
    2048-byte w stream (two 256-beat reads), d = 16 (one 16-beat y write), d = 100 (y
    written as 64 + 36 beats)."""
    def mant(*shape: int) -> np.ndarray:
        return rng.integers(-128, 128, shape)

    return [
        ("zeros", _full(4, 8, 0, 0, 0)),
        ("all_+127", _full(3, 16, 127, -10, -10)),
        ("all_-127", _full(3, 16, -127, -10, -10)),
        ("all_-128", _full(3, 16, -128, -10, -10)),
        ("saturate_pos", _full(2, 4, 127, EXP_MAX, EXP_MAX)),
        ("saturate_neg", matvec_inputs(np.full((2, 4), -128), np.full(2, 40), np.full(4, 127), 20)),
        ("sat_mixed_rows", matvec_inputs([[127] * 4, [-128] * 4, [1] * 4], [63, 63, -64], np.full(4, 127), EXP_MAX)),
        ("min_exponents", _full(2, 4, 127, EXP_MIN, EXP_MIN)),
        ("mixed_extreme_exponents", _full(2, 4, -128, EXP_MIN, EXP_MAX)),
        ("rounding_half", matvec_inputs([[1, 1], [-1, -1], [3, -1]], [-21, -21, -22], [1, 0], 0)),
        ("n1_d1", matvec_inputs(mant(1, 1), [-5], mant(1), -3)),
        ("n256", matvec_inputs(mant(2, 256), rng.integers(-16, -4, 2), mant(256), -8)),
        ("d256", matvec_inputs(mant(256, 3), rng.integers(EXP_MIN, EXP_MAX + 1, 256), mant(3), -20)),
        ("negative_exponents", matvec_inputs(mant(33, 40), rng.integers(-63, -29, 33), mant(40),
                                             int(rng.integers(-63, -29)))),
        ("w_burst_256", matvec_inputs(mant(8, 256), rng.integers(-16, -4, 8), mant(256), -8), PAGE_ALIGNED),
        ("y_burst_16", matvec_inputs(mant(16, 5), rng.integers(-16, -4, 16), mant(5), -8), PAGE_ALIGNED),
        ("y_bursts_64_36", matvec_inputs(mant(100, 6), rng.integers(-16, -4, 100), mant(6), -8), PAGE_ALIGNED),
    ]


def random_dims(rng: np.random.Generator, max_dim: int = MAX_DIM,
                max_elements: int = MAX_RANDOM_ELEMENTS) -> tuple[int, int]:
    """(n, d): one dimension drawn class-first (every dims bin likely within a few dozen
    calls), the other constrained to n*d <= max_elements, both <= max_dim."""

    def draw(cap: int) -> int:
        allowed = [i for i, (lo, _) in enumerate(DIM_CLASSES) if lo <= cap]
        weights = np.array([DIM_CLASS_WEIGHTS[i] for i in allowed])
        lo, hi = DIM_CLASSES[allowed[int(rng.choice(len(allowed), p=weights / weights.sum()))]]
        return int(rng.integers(lo, min(hi, cap) + 1))

    first = draw(max_dim)
    second = draw(min(max_dim, max_elements // first))
    return (first, second) if rng.random() < 0.5 else (second, first)


def random_inputs(rng: np.random.Generator, max_dim: int = MAX_DIM) -> dict[str, Any]:
    """One constrained-random call: dims by class (n*d bounded), exponents natural (60%),
    anywhere in range (30%) or at the extremes (10%); one call in ten has only
    +127/-128 weights."""
    n, d = random_dims(rng, max_dim)
    regime = rng.choice(["natural", "wide", "extreme"], p=[0.6, 0.3, 0.1])
    if regime == "natural":
        we, xe = rng.integers(-14, -3, d), int(rng.integers(-12, -1))
    elif regime == "wide":
        we, xe = rng.integers(EXP_MIN, EXP_MAX + 1, d), int(rng.integers(EXP_MIN, EXP_MAX + 1))
    else:
        we, xe = rng.choice([EXP_MIN, EXP_MAX], d), int(rng.choice([EXP_MIN, EXP_MAX]))
    wm = rng.integers(-128, 128, (d, n))
    xm = rng.integers(-128, 128, n)
    if rng.random() < 0.1:
        wm = np.where(rng.random((d, n)) < 0.5, 127, -128)
    return matvec_inputs(wm, we, xm, xe)


def auto_restart_calls(stimulus: Stimulus) -> list[Call]:
    """Four small calls of 2-4 runs each (polled and by interrupt), then two tiny (n, d <= 2)
    polled calls of 4 runs: a run is then shorter than the poll interval, so a poll often
    sees ap_done while the next run's y write is in flight (the case the done check must
    attribute to the right run)."""
    rng = stimulus.rng
    calls = [stimulus.call("random", random_inputs(rng, 8), auto_restart_runs=int(rng.integers(2, 5)),
                           completion="interrupt" if i % 2 else "poll") for i in range(4)]
    return calls + [stimulus.call("tiny", random_inputs(rng, 2), auto_restart_runs=4, completion="poll")
                    for _ in range(2)]


def reset_victim(stimulus: Stimulus) -> Call:
    """A call of up to 16 x 16 that the reset abandons while it reads and writes memory."""
    return stimulus.call("random", random_inputs(stimulus.rng, 16))


def reset_cycles(victim: Call, rng: np.random.Generator) -> int:
    """Far enough into the call that its bursts are in flight."""
    return 40 + 4 * victim.inputs["n"]
