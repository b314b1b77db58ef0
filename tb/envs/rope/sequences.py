"""rope's own calls: directed corners of the numerics and the random distribution
(every choice from the seeded generator the env hands in)."""
from __future__ import annotations

from typing import Any

import numpy as np

from models.numerics import INT32_MAX, INT32_MIN, ONE

HEAD_DIM = 16
SEQ_LEN = 16
MAX_N = 256


def _call(x: Any, pos: int) -> dict[str, Any]:
    x = np.asarray(x, np.int64)
    return {"in_r": x, "pos": int(pos), "n": int(x.size)}


def rand_vec(rng: np.random.Generator, n: int, bits: int) -> np.ndarray:
    lim = 1 << min(bits, 31)
    return rng.integers(-lim, lim, size=n, dtype=np.int64).clip(INT32_MIN, INT32_MAX)


def directed(rng: np.random.Generator) -> list[tuple[str, dict[str, Any]]]:
    """Zeros, both saturation rails, INT32_MIN, pos 0 and SEQ-1, n = 2 and MAX_N, every pos."""
    n, top = 16, SEQ_LEN - 1
    pairs_pos = np.tile([INT32_MAX, INT32_MIN], n // 2)
    pairs_neg = np.tile([INT32_MIN, INT32_MAX], n // 2)
    out = [
        ("zeros", _call(np.zeros(n), 0)),
        ("zeros_top", _call(np.zeros(n), top)),
        ("identity_max", _call(np.full(n, INT32_MAX), 0)),
        ("sat_pos", _call(pairs_pos, top)),
        ("sat_neg", _call(pairs_neg, top)),
        ("most_negative", _call(np.full(n, INT32_MIN), 0)),
        ("most_negative_top", _call(np.full(n, INT32_MIN), top)),
        ("n2", _call([ONE, -ONE], 1)),
        ("max_n", _call(rand_vec(rng, MAX_N, 31), top)),
        ("max_n_pos0", _call(rand_vec(rng, MAX_N, 20), 0)),
        ("n200", _call(rand_vec(rng, 200, 24), 9)),
        ("small_6bit", _call(rand_vec(rng, n, 6), 5)),
        ("small_14bit", _call(rand_vec(rng, n, 14), 6)),
    ]
    return out + [(f"pos{p}", _call(rand_vec(rng, n, 28), p)) for p in range(SEQ_LEN)]


def random_inputs(rng: np.random.Generator) -> dict[str, Any]:
    """Even n, nine in ten up to 64 words, else up to MAX_N; magnitude class 2^0..2^31; any pos."""
    max_n = 64 if rng.random() < 0.9 else MAX_N
    n = 2 * int(rng.integers(1, max_n // 2 + 1))
    return _call(rand_vec(rng, n, int(rng.integers(0, 32))), int(rng.integers(0, SEQ_LEN)))
