"""rmsnorm's own calls: directed corners of the numerics, and the random distribution.

Every random choice comes from the generator the env hands in (seeded from the cocotb
seed), so a failure replays with the same seed.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from llama_dv.models import tables
from llama_dv.models.numerics import FRAC, INT32_MAX, INT32_MIN, ONE, i64, invsqrt_f, mul_f, rshr, sat32

MAX_N = 256

MOD = 1 << FRAC
HALF = 1 << (FRAC - 1)
"""rshr(., 20) rounds a product up from here: the half-LSB point of the low 20 bits."""
ROUNDING = {"half-1": HALF - 1, "half": HALF, "half+1": HALF + 1}
"""Low 20 bits of the final product p*g on and one LSB either side of the rounding boundary."""
SAT_EDGES = {"max": INT32_MAX, "max+1": INT32_MAX + 1, "min": INT32_MIN, "min-1": INT32_MIN - 1}
"""rshr(p*g, 20) on either side of each saturation rail (max+1 and min-1 saturate)."""


def _call(x: np.ndarray, w: np.ndarray) -> dict[str, Any]:
    x, w = np.asarray(x, np.int64), np.asarray(w, np.int64)
    return {"x": x, "w": w, "n": int(x.size)}


def rand_vec(rng: np.random.Generator, n: int, bits: int) -> np.ndarray:
    """Uniform F raws with magnitude below 2**bits."""
    lim = 1 << min(bits, 31)
    return rng.integers(-lim, lim, size=n, dtype=np.int64).clip(INT32_MIN, INT32_MAX)


def rand_gain(rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.integers(-2 * ONE, 2 * ONE, size=n, dtype=np.int64)


def inv_rms(x: Any) -> int:
    """r of rmsnorm_fixed: invsqrt_f of the mean square, clamped to INT32_MAX, plus EPS."""
    x = i64(x)
    ms = min(int(np.sum(rshr(x * x, FRAC))) // x.size, INT32_MAX)
    return int(invsqrt_f(sat32(ms + tables.EPS)))


def final_products(x: Any, w: Any) -> np.ndarray:
    """p*g, the products the last rshr of rmsnorm_fixed rounds (p = mul_f(x, r), g = w)."""
    return mul_f(x, inv_rms(x)) * i64(w)


def solve_mod(a: int, target: int) -> tuple[int, int] | None:
    """(v, period): a*v = target (mod 2^20) exactly for v = v + k*period; None if no v does."""
    zeros = (a & -a).bit_length() - 1 if a else FRAC
    if zeros >= FRAC or target % (1 << zeros):
        return None
    period = MOD >> zeros
    return (target >> zeros) * pow(a >> zeros, -1, period) % period, period


def _clamped_r() -> int:
    """r of any vector holding INT32_MAX: its square alone takes the mean square past INT32_MAX
    for n <= MAX_N, so r does not depend on the other elements."""
    return inv_rms([INT32_MAX])


def rounding_call(rng: np.random.Generator, n: int = 48) -> dict[str, Any]:
    """x[0] = INT32_MAX fixes r (`_clamped_r`); every other x[i] puts x[i]*r on the rounding
    boundary of p = rshr(x*r, 20) where r allows (HALF) with p odd, and w[i] puts p*w[i] on
    HALF-1, HALF, HALF+1 in turn, small enough that the output does not saturate."""
    r = _clamped_r()
    x, w = [INT32_MAX], [ONE]
    for i in range(1, n):
        xv, period = solve_mod(r, HALF) or (int(rng.integers(0, MOD)), MOD)
        sign = 1 if rng.random() < 0.5 else -1
        xv = sign * (xv + period * int(rng.integers(0, max(1, (1 << 27) // period))))
        if int(mul_f(xv, r)) % 2 == 0:  # one period further moves p by r / 2^zeros(r), an odd step
            xv += sign * period
        p = int(mul_f(xv, r))
        g, _ = solve_mod(p, list(ROUNDING.values())[i % 3])
        top = max(1, min(1 << 10, (1 << 49) // (abs(p) * MOD)))  # |w| < 2^31, |p*w| < 2^50
        x.append(xv)
        w.append(g + MOD * int(rng.integers(-top, top)))
    assert inv_rms(x) == r
    return _call(x, w)


def sat_edge_call(rng: np.random.Generator, n: int = 16) -> dict[str, Any]:
    """x[0] = INT32_MAX fixes r; x[1..4] give odd p just above 2^20 and w[1..4] take
    rshr(p*w, 20) exactly to each SAT_EDGES value; the rest random."""
    r = _clamped_r()
    x, w = [INT32_MAX], [ONE]
    for edge in SAT_EDGES.values():
        for p in range(MOD + 1, 2 * MOD, 2):
            g0 = edge * MOD // p
            hit = [g for g in range(g0 - 3, g0 + 4)
                   if INT32_MIN <= g <= INT32_MAX and int(rshr(np.int64(p) * g, FRAC)) == edge]
            if hit:
                break
        xv = -(-(p * MOD - HALF) // r)  # the smallest x with rshr(x*r, 20) == p
        assert int(mul_f(xv, r)) == p
        x.append(xv)
        w.append(hit[0])
    x += [int(v) for v in rand_vec(rng, n - len(x), 24)]
    w += [int(v) for v in rand_gain(rng, n - len(w))]
    assert inv_rms(x) == r
    return _call(x, w)


def directed(rng: np.random.Generator) -> list[tuple[str, dict[str, Any]]]:
    """Zeros, saturation both ways, INT32_MIN, tiny values, n = 1 / 200 / MAX_N, every magnitude;
    final products on the rounding boundary (ROUNDING) and on the saturation edges (SAT_EDGES)."""
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
    return out + magnitude_calls(rng) + [("rounding", rounding_call(rng)), ("sat_edges", sat_edge_call(rng))]


def magnitude_calls(rng: np.random.Generator, n: int = 16) -> list[tuple[str, dict[str, Any]]]:
    """One call per magnitude class 2^4..2^28: their mean squares span the ranges of the
    1/sqrt (seed table index and shift), which two random calls do not."""
    return [(f"exp_{bits}", _call(rand_vec(rng, n + bits, bits), rand_gain(rng, n + bits)))
            for bits in (4, 10, 16, 20, 24, 28)]


def smoke_calls(rng: np.random.Generator) -> list[tuple[str, dict[str, Any]]]:
    """Smoke's own calls: every magnitude class, so its score does not depend on its seed."""
    return magnitude_calls(rng)


def random_inputs(rng: np.random.Generator) -> dict[str, Any]:
    """Length half short (1..16) half long (17..MAX_N); magnitude class 2^0..2^31; gains +-2
    (four in five) or full range."""
    n = int(rng.choice([int(rng.integers(1, 17)), int(rng.integers(17, MAX_N + 1))]))
    x = rand_vec(rng, n, int(rng.integers(0, 32)))
    g = rand_gain(rng, n) if rng.random() < 0.8 else rand_vec(rng, n, 31)
    return _call(x, g)
