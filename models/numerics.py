"""Bit-exact fixed-point primitives, one function per rule of docs/numerics.md.

All values are numpy int64 arrays holding raw integers (an `F` raw is the Q12.20
integer). Functions broadcast over leading batch axes so goldens stay vectorised.
"""
from __future__ import annotations

import numpy as np

from llama_dv.models import tables

FRAC = tables.FRAC_BITS
ONE = tables.ONE
INT32_MIN, INT32_MAX = -(1 << 31), (1 << 31) - 1
EXP_MIN, EXP_MAX = -64, 63

ArrayLike = "np.ndarray | int"


def i64(x) -> np.ndarray:
    return np.asarray(x, dtype=np.int64)


def sat(x, bits: int) -> np.ndarray:
    """Clamp to the signed `bits`-bit range."""
    lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    return np.clip(i64(x), lo, hi)


def sat32(x) -> np.ndarray:
    return sat(x, 32)


def sat8(x) -> np.ndarray:
    return sat(x, 8)


def rshr(x, s) -> np.ndarray:
    """Round half up, then arithmetic shift right by s >= 0 (s clamped to 62)."""
    x, s = i64(x), np.minimum(i64(s), 62)
    if np.any(s < 0):
        raise ValueError("rshr needs s >= 0; use shsat for left shifts")
    half = np.where(s > 0, np.left_shift(np.int64(1), np.maximum(s - 1, 0)), 0)
    return np.right_shift(x + half, s)


def shsat(x, s) -> np.ndarray:
    """sat32(rshr(x, s)) for any sign of s: right shifts round, left shifts saturate."""
    x, s = i64(x), i64(s)
    right = rshr(x, np.maximum(s, 0))
    k = np.minimum(np.maximum(-s, 0), 31)
    left = np.left_shift(np.clip(x, INT32_MIN, 1 << 31), k)
    return sat32(np.where(s > 0, right, left))


def bitlen(m) -> np.ndarray:
    """Number of bits of a non-negative integer (bitlen(0) = 0); exact below 2^53."""
    return np.frexp(i64(m).astype(np.float64))[1].astype(np.int64)


# --- Act: int8 mantissa + power-of-two exponent -------------------------------------

def quantize(x) -> tuple[np.ndarray, np.ndarray]:
    """F vector(s) -> (int8 mantissas, exponent per vector) along the last axis."""
    x = i64(x)
    mag = np.max(np.abs(x), axis=-1)
    s = bitlen(mag) - 7
    e = np.clip(s - FRAC, EXP_MIN, EXP_MAX)
    s = (e + FRAC)[..., None]
    m = sat8(np.where(s >= 0, rshr(x, np.maximum(s, 0)), np.left_shift(x, np.maximum(-s, 0))))
    return m, e


def to_f(m, e) -> np.ndarray:
    """Act -> F: sat32(m * 2^(e+20)); `e` broadcasts against the last axis of `m`."""
    e = i64(e)
    return shsat(m, -(e[..., None] + FRAC) if e.ndim else -(e + FRAC))


def quantize_weights(w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Float rows -> (int8 mantissas clipped to +-127, one exponent per row). Offline only."""
    w = np.asarray(w, dtype=np.float64)
    maxabs = np.max(np.abs(w), axis=-1)
    with np.errstate(divide="ignore"):
        e = np.where(maxabs > 0, np.ceil(np.log2(maxabs / 127.0)), EXP_MIN)
    e = np.clip(e, EXP_MIN, EXP_MAX).astype(np.int64)
    m = np.clip(np.rint(w / np.exp2(e)[..., None]), -127, 127).astype(np.int64)
    return m, e


# --- MAC ---------------------------------------------------------------------------

def matvec(wm, we, xm, xe) -> np.ndarray:
    """y = W x in F: exact int32 dot per row, then one fused scale shift (docs: MAC)."""
    acc = sat32(np.einsum("...ij,...j->...i", i64(wm), i64(xm)))
    return shsat(acc, -(i64(we) + i64(xe)[..., None] + FRAC))


# --- transcendental helpers -----------------------------------------------------------

def exp_f(x, interp: bool = True) -> np.ndarray:
    """expF via exp2 decomposition and the 256-entry LUT (docs: exp)."""
    lut = tables.exp2_lut()
    t = rshr(i64(x) * tables.LOG2E, FRAC)
    n = t >> FRAC
    f = t & (ONE - 1)
    i = f >> 12
    b = lut[i]
    if interp:
        b = b + rshr((lut[i + 1] - lut[i]) * (f & 4095), 12)
    return shsat(b, -n)


def recip_f(d) -> np.ndarray:
    """floor(2^40 / d) for positive F raws d."""
    d = i64(d)
    if np.any(d <= 0):
        raise ValueError("recip_f needs positive values")
    return (np.int64(1) << 40) // d


def invsqrt_f(v) -> np.ndarray:
    """1/sqrt(v) for positive F raws: LUT seed + one Newton-Raphson step (docs: RMSNorm)."""
    v = i64(v)
    if np.any(v <= 0):
        raise ValueError("invsqrt_f needs positive values")
    big_e = bitlen(v) - 1 - FRAC
    odd = big_e & 1
    sh = big_e - odd
    mr = np.where(sh >= 0, np.right_shift(v, np.maximum(sh, 0)), np.left_shift(v, np.maximum(-sh, 0)))
    idx = (odd << 5) | (np.right_shift(mr, 15 + odd) & 31)
    y0 = tables.invsqrt_lut()[idx]
    y2 = rshr(y0 * y0, FRAC)
    t = rshr(mr * y2, FRAC)
    y1 = rshr(y0 * (3 * ONE - t), FRAC + 1)
    return shsat(y1, sh // 2)


def mul_f(a, b) -> np.ndarray:
    """F x F -> F with one rounding."""
    return sat32(rshr(i64(a) * i64(b), FRAC))
