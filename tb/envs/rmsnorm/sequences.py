"""rmsnorm's own calls: directed corners of the numerics, and the random distribution.

Every random choice comes from the generator the env hands in (seeded from the cocotb
seed), so a failure replays with the same seed.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from models.numerics import INT32_MAX, INT32_MIN, ONE

MAX_N = 256


def _call(x: np.ndarray, w: np.ndarray) -> dict[str, Any]:
    x, w = np.asarray(x, np.int64), np.asarray(w, np.int64)
    return {"x": x, "w": w, "n": int(x.size)}


def rand_vec(rng: np.random.Generator, n: int, bits: int) -> np.ndarray:
    """Uniform F raws with magnitude below 2**bits."""
    lim = 1 << min(bits, 31)
    return rng.integers(-lim, lim, size=n, dtype=np.int64).clip(INT32_MIN, INT32_MAX)


def rand_gain(rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.integers(-2 * ONE, 2 * ONE, size=n, dtype=np.int64)


def directed(rng: np.random.Generator) -> list[tuple[str, dict[str, Any]]]:
    """Zeros, saturation both ways, INT32_MIN, tiny values, n = 1 / 200 / MAX_N, every magnitude."""
    n = 16
    big = np.full(n, INT32_MAX)
    alt = np.where(np.arange(n) % 2 == 0, INT32_MAX, INT32_MIN)
    out = [
        ("zeros", _call(np.zeros(n), np.full(n, ONE))),
        ("zeros_n1", _call(np.zeros(1), np.full(1, ONE))),
        ("n1", _call([ONE // 3], [ONE])),
        ("sat_pos", _call(big, np.full(n, INT32_MAX))),
        ("sat_neg", _call(big, np.full(n, INT32_MIN))),
        ("sat_both", _call(alt, np.full(n, INT32_MAX))),
        ("most_negative", _call(np.full(n, INT32_MIN), np.full(n, ONE))),
        ("one_spike", _call(np.concatenate([[INT32_MIN], np.ones(n - 1, np.int64)]), np.full(n, INT32_MAX))),
        ("tiny", _call(np.full(n, 1), np.full(n, ONE))),
        ("tiny_neg", _call(np.full(n, -1), np.full(n, -ONE))),
        ("max_n_full_range", _call(rand_vec(rng, MAX_N, 31), rand_gain(rng, MAX_N))),
        ("max_n_small", _call(rand_vec(rng, MAX_N, 12), np.full(MAX_N, INT32_MAX))),
        ("n200", _call(rand_vec(rng, 200, 24), rand_gain(rng, 200))),
    ]
    for bits in (4, 10, 16, 20, 24, 28):
        out.append((f"exp_{bits}", _call(rand_vec(rng, n + bits, bits), rand_gain(rng, n + bits))))
    return out


def random_inputs(rng: np.random.Generator) -> dict[str, Any]:
    """Length half short (1..16) half long (17..MAX_N); magnitude class 2^0..2^31; gains +-2
    (four in five) or full range."""
    n = int(rng.choice([int(rng.integers(1, 17)), int(rng.integers(17, MAX_N + 1))]))
    x = rand_vec(rng, n, int(rng.integers(0, 32)))
    g = rand_gain(rng, n) if rng.random() < 0.8 else rand_vec(rng, n, 31)
    return _call(x, g)
