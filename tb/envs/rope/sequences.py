"""rope's own calls: directed corners of the numerics and the random distribution
(every choice from the seeded generator the env hands in)."""
from __future__ import annotations

from typing import Any

import numpy as np

from llama_dv.models import tables
from llama_dv.models.numerics import FRAC, INT32_MAX, INT32_MIN, ONE, i64

HEAD_DIM = 16
SEQ_LEN = 16
MAX_N = 256
PAIRS = HEAD_DIM // 2

MOD = 1 << FRAC
HALF = 1 << (FRAC - 1)
"""rshr(., 20) rounds a sum up from here: the half-LSB point of the low 20 bits."""
ROUNDING = {"half-1": HALF - 1, "half": HALF, "half+1": HALF + 1}
"""Low 20 bits of a pre-rounding sum on and one LSB either side of the rounding boundary."""
SAT_EDGES = {"max": INT32_MAX, "max+1": INT32_MAX + 1, "min": INT32_MIN, "min-1": INT32_MIN - 1,
             "max-1": INT32_MAX - 1, "min+1": INT32_MIN + 1}
"""rshr results on either side of each saturation rail (max+1 and min-1 saturate)."""
SAT_SUMS = {"max": INT32_MAX * MOD + HALF - 1, "max+1": (INT32_MAX + 1) * MOD - HALF,
            "min": INT32_MIN * MOD - HALF, "min-1": INT32_MIN * MOD - HALF - 1}
SAT_INNER_SUMS = {"max-1": (INT32_MAX - 1) * MOD, "min+1": (INT32_MIN + 1) * MOD}
"""Sums that round one step inside each rail: a saturation compare whose constant is off
by up to 2^31 - 1 clamps them (a rail test alone cannot tell)."""
"""For each edge, the sum that rounds to it from one LSB away from the next value."""


def _call(x: Any, pos: int) -> dict[str, Any]:
    x = np.asarray(x, np.int64)
    return {"in_r": x, "pos": int(pos), "n": int(x.size)}


def rand_vec(rng: np.random.Generator, n: int, bits: int) -> np.ndarray:
    lim = 1 << min(bits, 31)
    return rng.integers(-lim, lim, size=n, dtype=np.int64).clip(INT32_MIN, INT32_MAX)


def pre_round(x: Any, pos: int) -> np.ndarray:
    """The exact sums rope_fixed rounds, in output order: x0*c - x1*s, x0*s + x1*c per pair."""
    x = i64(x)
    cos, sin = tables.rope_tables(SEQ_LEN, HEAD_DIM)
    j = (np.arange(0, x.size, 2) % HEAD_DIM) // 2
    c, s = cos[pos, j], sin[pos, j]
    out = np.empty_like(x)
    out[0::2] = x[0::2] * c - x[1::2] * s
    out[1::2] = x[0::2] * s + x[1::2] * c
    return out


def _table(pos: int, j: int, out: int) -> tuple[int, int]:
    """(f, g) with output `out` of pair j = sat32(rshr(x0*f + x1*g, 20)): (c, -s) for y0, (s, c) for y1."""
    cos, sin = tables.rope_tables(SEQ_LEN, HEAD_DIM)
    c, s = int(cos[pos, j]), int(sin[pos, j])
    return (c, -s) if out == 0 else (s, c)


def residue_pair(f: int, g: int, target: int, low: int, rng: np.random.Generator) -> tuple[int, int] | None:
    """(x0, x1) mod 2^20 with x0*f + x1*g = target (mod 2^20) and, where f and g are odd,
    the first product x0*f = low (mod 2^20); None when f and g are both even (the sum's
    low bits are then even whatever x is)."""
    if f % 2 == 0 and g % 2 == 0:
        return None
    if g % 2:
        x0 = low * pow(f, -1, MOD) % MOD if f % 2 else 0 if low == 0 else int(rng.integers(0, MOD))
        return x0, (target - x0 * f) * pow(g, -1, MOD) % MOD
    x1 = int(rng.integers(0, MOD))
    return (target - x1 * g) * pow(f, -1, MOD) % MOD, x1


def exact_pair(f: int, g: int, total: int, rng: np.random.Generator | None = None) -> tuple[int, int] | None:
    """int32 (x0, x1) with x0*f + x1*g == total exactly (extended Euclid), or None; `rng`
    picks among the solutions (None: the first)."""
    a, b, u0, u1, v0, v1 = f, g, 1, 0, 0, 1
    while b:
        q = a // b
        a, b, u0, u1, v0, v1 = b, a - q * b, u1, u0 - q * u1, v1, v0 - q * v1
    if total % a:
        return None
    x0, x1 = u0 * (total // a), v0 * (total // a)  # general solution: x0 + k*g/a, x1 - k*f/a
    lo, hi = -(1 << 60), 1 << 60
    for base, step in ((x0, g // a), (x1, -f // a)):
        if step == 0:
            if not INT32_MIN <= base <= INT32_MAX:
                return None
            continue
        k0, k1 = -((base - INT32_MIN) // step), (INT32_MAX - base) // step  # base + k*step inside
        if step < 0:
            k0, k1 = -((INT32_MAX - base) // -step), (base - INT32_MIN) // -step
        lo, hi = max(lo, k0), min(hi, k1)
    if lo > hi:
        return None
    k = lo if rng is None else lo + int(rng.integers(0, min(hi - lo, 1 << 40) + 1))
    return x0 + k * (g // a), x1 - k * (f // a)


def _widen(residue: int, rng: np.random.Generator) -> int:
    """residue + a multiple of 2^20 below 2^29 in magnitude: sums stay clear of saturation."""
    top = 1 << int(rng.integers(0, 10))
    return residue + MOD * int(rng.integers(-top, top))


def rounding_call(rng: np.random.Generator, pos: int) -> dict[str, Any]:
    """n = 96, six heads at `pos`: heads 0-2 put every pair's y0 sum on HALF-1, HALF,
    HALF+1 (mod 2^20), heads 3-5 its y1 sum. Where the table allows, the first product
    (x0*c for y0, x0*s for y1) has its low 20 bits all 0 below the boundary and all 1 on
    and above it, so changing any one bit of it under the rounding point moves the result."""
    x: list[int] = []
    for head in range(6):
        out, target = head // 3, list(ROUNDING.values())[head % 3]
        for j in range(PAIRS):
            pair = residue_pair(*_table(pos, j, out), target, 0 if target < HALF else MOD - 1, rng)
            x += [_widen(v, rng) for v in pair] if pair else [int(v) for v in rand_vec(rng, 2, 29)]
    return _call(x, pos)


def sat_edge_call(rng: np.random.Generator, pos: int, sums: dict[str, int] = SAT_SUMS) -> dict[str, Any]:
    """n = 16 at `pos`: pairs 0-3 put y0 exactly on `sums` (in turn: max, max+1, min, min-1
    for SAT_SUMS), pairs 4-7 y1; a pair whose table cannot reach its sum gets random 31-bit words."""
    x: list[int] = []
    for j in range(PAIRS):
        pair = exact_pair(*_table(pos, j, j // 4), list(sums.values())[j % len(sums)], rng)
        x += list(pair) if pair else [int(v) for v in rand_vec(rng, 2, 31)]
    return _call(x, pos)


def _reaches(pos: int) -> int:
    """Pairs of `pos` whose tables take both outputs to every rounding residue from an
    all-0 / all-1 first product (cos and sin odd)."""
    cos, sin = tables.rope_tables(SEQ_LEN, HEAD_DIM)
    return sum(int(cos[pos, j]) % 2 == 1 and int(sin[pos, j]) % 2 == 1 for j in range(PAIRS))


ROUNDING_POS = sorted(range(SEQ_LEN), key=lambda p: (-_reaches(p), p))[:3]
"""Positions of the rounding calls: the most pairs with odd cos and sin."""
SAT_POS = next(p for p in range(SEQ_LEN)
               if all(exact_pair(*_table(p, j, j // 4), list(SAT_SUMS.values())[j % 4]) for j in range(PAIRS)))
"""Position of the saturation-edge call: the first whose every pair reaches its sum."""
SAT_INNER_POS = next(p for p in range(SEQ_LEN)
                     if all(exact_pair(*_table(p, j, j // 4), list(SAT_INNER_SUMS.values())[j % 2])
                            for j in range(PAIRS)))
"""Position of the call one step inside the rails."""


def directed(rng: np.random.Generator) -> list[tuple[str, dict[str, Any]]]:
    """Zeros, both saturation rails, INT32_MIN, pos 0 and SEQ-1, n = 2 and MAX_N, every pos;
    sums on the rounding boundary (ROUNDING), on the saturation edges (SAT_SUMS) and one
    step inside them (SAT_INNER_SUMS)."""
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
    out += [(f"pos{p}", _call(rand_vec(rng, n, 28), p)) for p in range(SEQ_LEN)]
    out += [(f"rounding_pos{p}", rounding_call(rng, p)) for p in ROUNDING_POS]
    return out + [("sat_edges", sat_edge_call(rng, SAT_POS)),
                  ("sat_inner", sat_edge_call(rng, SAT_INNER_POS, SAT_INNER_SUMS))]


def random_inputs(rng: np.random.Generator) -> dict[str, Any]:
    """Even n, nine in ten up to 64 words, else up to MAX_N; magnitude class 2^0..2^31; any pos."""
    max_n = 64 if rng.random() < 0.9 else MAX_N
    n = 2 * int(rng.integers(1, max_n // 2 + 1))
    return _call(rand_vec(rng, n, int(rng.integers(0, 32))), int(rng.integers(0, SEQ_LEN)))
