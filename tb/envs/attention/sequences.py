"""attention's own calls: directed corners of the online softmax and the random
distribution (every choice from the seeded generator the env hands in)."""
from __future__ import annotations

from typing import Any

import numpy as np

from models.numerics import EXP_MAX, EXP_MIN, INT32_MAX, INT32_MIN, ONE

HEAD_DIM = 16
SEQ_LEN = 16


def _call(q: Any, km: Any, ke: Any, vm: Any, ve: Any, pos: int) -> dict[str, Any]:
    return {"q": np.asarray(q, np.int64), "k_cache": np.asarray(km, np.int64).ravel(),
            "k_exp": np.asarray(ke, np.int64), "v_cache": np.asarray(vm, np.int64).ravel(),
            "v_exp": np.asarray(ve, np.int64), "pos": int(pos)}


def rand_q(rng: np.random.Generator, bits: int | None = None) -> np.ndarray:
    bits = int(rng.integers(0, 32)) if bits is None else bits
    lim = 1 << min(bits, 31)
    return rng.integers(-lim, lim, size=HEAD_DIM, dtype=np.int64).clip(INT32_MIN, INT32_MAX)


def rand_cache(rng: np.random.Generator) -> np.ndarray:
    return rng.integers(-128, 128, size=(SEQ_LEN, HEAD_DIM), dtype=np.int64)


def rand_exp(rng: np.random.Generator, lo: int = -30, hi: int = 0) -> np.ndarray:
    return rng.integers(lo, hi + 1, size=SEQ_LEN, dtype=np.int64)


def random_inputs(rng: np.random.Generator, pos: int | None = None) -> dict[str, Any]:
    """Random q magnitude class, int8 caches, exponents in [-30, 0] (one call in five the
    whole [EXP_MIN, EXP_MAX]), any pos."""
    pos = int(rng.integers(0, SEQ_LEN)) if pos is None else pos
    lo, hi = (EXP_MIN, EXP_MAX) if rng.random() < 0.2 else (-30, 0)
    return _call(rand_q(rng), rand_cache(rng), rand_exp(rng, lo, hi), rand_cache(rng), rand_exp(rng, lo, hi), pos)


def directed(rng: np.random.Generator) -> list[tuple[str, dict[str, Any]]]:
    """pos 0 / SEQ-1, zero q, rising and falling scores, saturated V, INT32_MIN and -128
    operands, extreme exponents, a set number of running-max updates, every pos."""
    top = SEQ_LEN - 1
    zq = np.zeros(HEAD_DIM, np.int64)
    ones = np.ones((SEQ_LEN, HEAD_DIM), np.int64)
    rising_k = np.arange(SEQ_LEN, dtype=np.int64)[:, None] * ones * 8
    falling_k = (SEQ_LEN - 1 - np.arange(SEQ_LEN, dtype=np.int64))[:, None] * ones * 8
    e0 = np.full(SEQ_LEN, -6, np.int64)
    vmax = np.full((SEQ_LEN, HEAD_DIM), 127, np.int64)
    vmin = np.full((SEQ_LEN, HEAD_DIM), -128, np.int64)
    q1 = np.full(HEAD_DIM, ONE)
    one_up = np.zeros((SEQ_LEN, HEAD_DIM), np.int64)
    one_up[1] = 64
    three_up = np.zeros((SEQ_LEN, HEAD_DIM), np.int64)
    three_up[1:4] = np.array([16, 32, 48])[:, None]
    out = [
        ("zero_q_pos0", _call(zq, rand_cache(rng), e0, rand_cache(rng), e0, 0)),
        ("zero_q_top", _call(zq, rand_cache(rng), e0, rand_cache(rng), e0, top)),
        ("rising_scores", _call(q1, rising_k, e0, rand_cache(rng), e0, top)),
        ("falling_scores", _call(q1, falling_k, e0, rand_cache(rng), e0, top)),
        ("sat_pos", _call(rand_q(rng, 20), rand_cache(rng), e0, vmax, np.full(SEQ_LEN, EXP_MAX), 0)),
        ("sat_neg", _call(rand_q(rng, 20), rand_cache(rng), e0, vmin, np.full(SEQ_LEN, EXP_MAX), 0)),
        ("most_negative", _call(np.full(HEAD_DIM, INT32_MIN), np.full((SEQ_LEN, HEAD_DIM), -128), e0, vmin, e0,
                                top)),
        ("max_exponents", _call(np.full(HEAD_DIM, INT32_MAX), vmax, np.full(SEQ_LEN, EXP_MAX), vmax,
                                np.full(SEQ_LEN, EXP_MIN), top)),
        ("min_exponents", _call(rand_q(rng, 31), rand_cache(rng), np.full(SEQ_LEN, EXP_MIN), rand_cache(rng),
                                np.full(SEQ_LEN, EXP_MIN), top)),
        ("one_max_update", _call(q1, one_up, e0, rand_cache(rng), e0, top)),
        ("three_max_updates", _call(q1, three_up, e0, rand_cache(rng), e0, top)),
        ("positive_exponents", _call(rand_q(rng, 6), rand_cache(rng), np.full(SEQ_LEN, 5), rand_cache(rng),
                                     np.full(SEQ_LEN, 5), 7)),
        ("q_14bit", _call(rand_q(rng, 14), rand_cache(rng), np.full(SEQ_LEN, -40), rand_cache(rng),
                          np.full(SEQ_LEN, -40), 4)),
        ("q_28bit", _call(rand_q(rng, 28), rand_cache(rng), e0, rand_cache(rng), e0, 9)),
    ]
    return out + [(f"pos{p}", random_inputs(rng, pos=p)) for p in range(SEQ_LEN)]
