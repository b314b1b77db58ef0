"""Each fixed-point kernel agrees with its float twin within the bound derived in
docs/numerics.md "Error bounds"; a deliberately wrong golden breaks its bound.

Bounds are computed from the formulas in the doc (real units, U = 2^-20 = one F LSB);
nothing here is a fitted tolerance. Float twins get exactly the values the fixed kernel
sees (F raws * U, dequantised weights/cache rows), so each bound covers only the
kernel's own arithmetic plus, where stated, the quantisation it performs.
"""
from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from llama_dv.models import kernels, tables
from llama_dv.models.numerics import (FRAC, ONE, exp_f, i64, invsqrt_f, quantize, quantize_weights, recip_f,
                             rshr, shsat, to_f)

U = 2.0 ** -FRAC
LOG2E_ERR = abs(tables.LOG2E - math.log2(math.e) * ONE) * U   # |LOG2E*U - log2 e|
EPS_INTERP = math.log(2) ** 2 / (8 * 256 ** 2) * 2 ** (1 / 256)  # linear interpolation of 2^u, h = 1/256
EPS_STEP = 2 ** (1 / 256) - 1                                   # nearest-lower LUT entry, no interpolation
EPS_SEED = 1 - math.sqrt(64 / 65) + U                           # invsqrt LUT seed (half a bin, 1/65 relative) + rounding
EPS_NR = 1.5 * EPS_SEED ** 2 + 0.5 * EPS_SEED ** 3              # after one Newton-Raphson step
EPS_INV = (1 + EPS_NR) * (1 + 1.75 / (2 ** 19 * (1 - EPS_NR))) * (1 - U) ** -0.5 - 1
SILU_LIPSCHITZ = 1.1                                            # max |silu'(x)| = 1.0998 (at x ~ 2.40)
SIG_SAT = 512 * U                                               # floor(2^40 / (2^31 - 1)) * U



def f_vec(n: int, lo: int = -(1 << 31), hi: int = (1 << 31) - 1):
    return arrays(np.int64, n, elements=st.integers(lo, hi))


def assert_within(got, want, bound, what: str) -> None:
    got, want, bound = (np.asarray(a, np.float64) for a in (got, want, bound))
    err = np.abs(got - want)
    bad = err > bound
    assert not np.any(bad), (f"{what}: {int(bad.sum())} element(s) over the bound; worst excess at "
                             f"{np.argmax(err - bound)}: err {err.flat[np.argmax(err - bound)]:.3e} > "
                             f"bound {bound.flat[np.argmax(err - bound)]:.3e}")


# --- bound formulas (docs/numerics.md "Error bounds") ------------------------------------

def exp_bound(x, interp: bool = True):
    """|expF(x) - e^x| for real x (an F value) below ln(2048)."""
    x = np.asarray(x, np.float64)
    delta = np.abs(x) * LOG2E_ERR + U / 2
    eps = EPS_INTERP if interp else EPS_STEP
    two_d = 2.0 ** delta
    return np.exp(x) * ((two_d - 1) + two_d * eps + two_d * U) + U / 2


def quant_bound(m, e):
    """Per element |to_F(m, e) - x|: 2^(e-1), or 2^e where a rounding carry saturated to 127."""
    e = i64(e)[..., None]
    return np.where(i64(m) == 127, 2.0 ** e, 2.0 ** (e - 1))


def invsqrt_bound(v):
    v = np.asarray(v, np.float64)
    return EPS_INV / np.sqrt(v) + U / 2


def matvec_bound(w, wm, we, x, xm, xe):
    """Composite: float W, float x against int8 W, Act x (quantisation of both + final rounding)."""
    x_hat = i64(xm) * 2.0 ** int(xe)
    return 2.0 ** (i64(we) - 1) * np.sum(np.abs(x_hat)) + np.abs(w) @ quant_bound(xm, xe) + U / 2


def silu_bound(x):
    x = np.asarray(x, np.float64)
    big = np.exp(np.minimum(-x, 60.0))
    b = exp_bound(np.minimum(-x, 7.0))
    unsat = b / ((1 + big) * np.maximum(1 + big - b, 1e-300)) + U
    sat = np.maximum(SIG_SAT, 1 / (1 + big))
    sig = np.where(big + b < 2046, unsat, np.where(big - b > 2046, sat, np.maximum(unsat, sat)))
    return np.abs(x) * sig + U / 2


def softmax_bound(s):
    """Two-pass softmax over real scores s (one vector)."""
    x = np.asarray(s, np.float64) - np.max(s)
    big_e, eta = np.exp(x), exp_bound(x)
    total, h = big_e.sum(), eta.sum()
    return (eta * total + big_e * h) / (total * (total - h)) + (big_e + eta) * U + U / 2


# --- quantisation -----------------------------------------------------------------------

@given(f_vec(16))
def test_quantize_error_per_element(x):
    m, e = quantize(x)
    assert np.all((m >= -128) & (m <= 127))
    assert_within(m * 2.0 ** int(e), x * U, quant_bound(m, e), "quantize")
    assert np.array_equal(to_f(m, e), np.clip(m * 2 ** (int(e) + FRAC), -(1 << 31), (1 << 31) - 1))
    if np.max(np.abs(x)) >= 64:
        assert np.max(np.abs(m)) >= 64, "exponent not the smallest that fits"
        assert_within(m * 2.0 ** int(e), x * U, np.max(np.abs(x)) * U * 2.0 ** -6, "quantize (relative)")


@given(arrays(np.float64, (4, 24), elements=st.floats(-1e3, 1e3, allow_subnormal=False)))
def test_quantize_weights_error_per_element(w):
    m, e = quantize_weights(w)
    assert np.all(np.abs(m) <= 127)
    assert_within(m * 2.0 ** e[:, None], w, 2.0 ** (e[:, None] - 1), "quantize_weights")


# --- matvec -----------------------------------------------------------------------------

@given(arrays(np.int64, (8, 32), elements=st.integers(-127, 127)),
       arrays(np.int64, 8, elements=st.integers(-12, -2)), f_vec(32, -(1 << 27), 1 << 27))
def test_matvec_exact_inputs_rounds_once(wm, we, x):
    """Only the final narrowing rounds (U/2); out-of-range results saturate to the F limits."""
    xm, xe = quantize(x)
    want = np.clip(kernels.matvec_float(wm * 2.0 ** we[:, None], xm * 2.0 ** int(xe)), -2048, 2048 - U)
    assert_within(kernels.matvec_fixed(wm, we, xm, xe) * U, want, U / 2, "matvec")


@given(arrays(np.float64, (8, 32), elements=st.floats(-2, 2)), f_vec(32, -(1 << 24), 1 << 24))
def test_matvec_with_quantisation(w, x):
    wm, we = quantize_weights(w)
    xm, xe = quantize(x)
    got = kernels.matvec_fixed(wm, we, xm, xe) * U
    assert_within(got, kernels.matvec_float(w, x * U), matvec_bound(w, wm, we, x, xm, xe), "matvec+quant")


# --- exp, reciprocal, invsqrt -----------------------------------------------------------

@given(f_vec(64, -16 * ONE, 7 * ONE))
def test_exp_f_interpolated(x):
    assert_within(exp_f(x) * U, np.exp(x * U), exp_bound(x * U), "exp_f")


@given(f_vec(64, -16 * ONE, 7 * ONE))
def test_exp_f_without_interpolation(x):
    assert_within(exp_f(x, interp=False) * U, np.exp(x * U), exp_bound(x * U, interp=False), "exp_f (LUT only)")


@given(f_vec(64, 1, (1 << 31) - 1))
def test_recip_f_floor(d):
    r = recip_f(d) * U
    err = 1 / (d * U) - r
    assert np.all((err >= 0) & (err < U))


@given(f_vec(64, 1, (1 << 31) - 1))
def test_invsqrt_f(v):
    assert_within(invsqrt_f(v) * U, 1 / np.sqrt(v * U), invsqrt_bound(v * U), "invsqrt_f")


# --- rmsnorm, rope ------------------------------------------------------------------------

@given(f_vec(64, -40 * ONE, 40 * ONE), arrays(np.int64, 64, elements=st.integers(-2 * ONE, 2 * ONE)))
def test_rmsnorm(x, g):
    xr, gr = x * U, g * U
    v_star = np.mean(xr * xr) + 1e-5
    dv = 1.5 * U + abs(tables.EPS * U - 1e-5)
    v_lo = v_star - dv
    r_err = invsqrt_bound(v_lo) + dv / (2 * v_lo ** 1.5)
    bound = np.abs(gr) * (np.abs(xr) * r_err + U / 2) + U / 2
    assert_within(kernels.rmsnorm_fixed(x, g) * U, kernels.rmsnorm_float(xr, gr), bound, "rmsnorm")


@given(f_vec(64, -1000 * ONE, 1000 * ONE), st.integers(0, 15))
def test_rope(x, pos):
    xr = x * U
    pair = np.abs(xr[0::2]) + np.abs(xr[1::2])
    bound = np.repeat(pair * U / 2 + U / 2, 2)
    assert_within(kernels.rope_fixed(x, pos, 16, 16) * U, kernels.rope_float(xr, pos, 16), bound, "rope")


# --- softmax, attention ---------------------------------------------------------------------

@given(f_vec(16, -12 * ONE, 12 * ONE))
def test_softmax(s):
    assert_within(kernels.softmax_fixed(s) * U, kernels.softmax_float(s * U), softmax_bound(s * U), "softmax")


def attention_bound(q, km, ke, vm, ve, pos, hd):
    """docs/numerics.md "Error bounds": score perturbation + online-softmax recurrence."""
    km, vm = i64(km)[: pos + 1], i64(vm)[: pos + 1]
    k = km * 2.0 ** i64(ke)[: pos + 1, None]
    v = vm * 2.0 ** i64(ve)[: pos + 1, None]
    qm, qe = quantize(q)
    ish = tables.inv_sqrt_hd(hd) * U
    dq = quant_bound(qm, qe)
    qk = k @ (q * U)
    score_err = ish * (np.abs(k) @ dq + U / 2) + np.abs(qk) * abs(ish - 1 / math.sqrt(hd)) + U / 2
    s_hat = kernels.attention_scores_fixed(q, km, ke[: pos + 1], hd) * U
    part_a = np.max(np.abs(v), axis=0) * (math.exp(2 * np.max(score_err)) - 1)
    m = s_hat[0]
    d_true, a_true, a_abs = 1.0, v[0].copy(), np.abs(v[0])
    e_d, e_acc = 0.0, np.full(hd, U / 2)
    for t in range(1, pos + 1):
        m_new = max(m, s_hat[t])
        xa, xb = m - m_new, s_hat[t] - m_new
        alpha, beta, ba, bb = math.exp(xa), math.exp(xb), float(exp_bound(xa)), float(exp_bound(xb))
        e_d = e_d * (alpha + ba) + d_true * ba + U / 2 + bb
        e_acc = e_acc * (alpha + ba) + a_abs * ba + U + np.abs(v[t]) * bb
        d_true = d_true * alpha + beta
        a_true = a_true * alpha + v[t] * beta
        a_abs = a_abs * alpha + np.abs(v[t]) * beta
        m = m_new
    part_b = ((e_acc * d_true + np.abs(a_true) * e_d) / (d_true * (d_true - e_d))
              + (a_abs + e_acc) * U + U / 2)
    return part_a + part_b


@settings(max_examples=60)
@given(f_vec(16, -4 * ONE, 4 * ONE), arrays(np.int64, (16, 16), elements=st.integers(-128, 127)),
       arrays(np.int64, 16, elements=st.integers(-9, -5)),
       arrays(np.int64, (16, 16), elements=st.integers(-128, 127)),
       arrays(np.int64, 16, elements=st.integers(-9, -5)), st.integers(0, 15))
def test_attention_head(q, km, ke, vm, ve, pos):
    k = km * 2.0 ** ke[:, None]
    v = vm * 2.0 ** ve[:, None]
    got = kernels.attention_head_fixed(q, km, ke, vm, ve, pos, 16) * U
    want = kernels.attention_head_float(q * U, k, v, pos)
    assert_within(got, want, attention_bound(q, km, ke, vm, ve, pos, 16), "attention head")


# --- silu, swiglu -------------------------------------------------------------------------

@given(f_vec(64, -2047 * ONE, 2047 * ONE))
def test_silu(x):
    xr = x * U
    want = xr / (1 + np.exp(np.minimum(-xr, 700.0)))
    assert_within(kernels.silu_fixed(x) * U, want, silu_bound(xr), "silu")


@given(f_vec(64, -8 * ONE, 8 * ONE))
def test_silu_small_range(x):
    xr = x * U
    assert_within(kernels.silu_fixed(x) * U, xr / (1 + np.exp(-xr)), silu_bound(xr), "silu")


@settings(max_examples=60)
@given(st.integers(0, 2 ** 32 - 1), f_vec(32, -4 * ONE, 4 * ONE))
def test_swiglu(seed, x):
    rng = np.random.default_rng(seed)
    w1, w3 = rng.standard_normal((2, 48, 32)) / math.sqrt(32)
    w2 = rng.standard_normal((32, 48)) / math.sqrt(48)
    q1, q2, q3 = quantize_weights(w1), quantize_weights(w2), quantize_weights(w3)
    xm, xe = quantize(x)
    got = kernels.swiglu_fixed(q1, q2, q3, xm, xe) * U
    xr = x * U
    want = kernels.swiglu_float(w1, w2, w3, xr)
    # intermediate fixed values the bound is evaluated on
    h1 = kernels.matvec_fixed(*q1, xm, xe)
    h3 = kernels.matvec_fixed(*q3, xm, xe)
    s1 = kernels.silu_fixed(h1) * U
    g_hat = kernels.mul_f(kernels.silu_fixed(h1), h3)
    gm, ge = quantize(g_hat)
    h1r, h3r, h1s, h3s = h1 * U, h3 * U, w1 @ xr, w3 @ xr
    silu_s = h1s / (1 + np.exp(-h1s))
    e1 = matvec_bound(w1, *q1, x, xm, xe)
    e3 = matvec_bound(w3, *q3, x, xm, xe)
    e_silu = silu_bound(h1r) + SILU_LIPSCHITZ * e1
    e_g = e_silu * np.abs(h3r) + np.abs(silu_s) * e3 + U / 2 + quant_bound(gm, ge)
    g_q = gm * 2.0 ** int(ge)
    bound = 2.0 ** (q2[1] - 1) * np.sum(np.abs(g_q)) + np.abs(w2) @ e_g + U / 2
    assert np.allclose(s1 * h3r, g_hat * U, atol=U)
    assert_within(got, want, bound, "swiglu")


# --- a wrong golden breaks its bound ---------------------------------------------------------

def exp_f_lut_shifted(x):
    """exp_f with the LUT index off by one (reads entry i+1): a plausible RTL/golden slip."""
    lut = np.append(tables.exp2_lut(), 2 * tables.exp2_lut()[-1])
    t = rshr(i64(x) * tables.LOG2E, FRAC)
    n, f = t >> FRAC, t & (ONE - 1)
    i = (f >> 12) + 1
    b = lut[i] + rshr((lut[i + 1] - lut[i]) * (f & 4095), 12)
    return shsat(b, -n)


def test_exp_bound_rejects_shifted_lut():
    x = np.arange(-8 * ONE, 4 * ONE, 4099, dtype=np.int64)
    assert_within(exp_f(x) * U, np.exp(x * U), exp_bound(x * U), "exp_f")
    err = np.abs(exp_f_lut_shifted(x) * U - np.exp(x * U))
    assert np.mean(err > exp_bound(x * U)) > 0.9


def test_invsqrt_bound_rejects_missing_newton_step():
    v = np.arange(1, (1 << 31) - 1, 9_999_991, dtype=np.int64)
    big_e = np.frexp(v.astype(np.float64))[1] - 1 - FRAC
    odd = big_e & 1
    sh = big_e - odd
    mr = np.where(sh >= 0, v >> np.maximum(sh, 0), v << np.maximum(-sh, 0))
    seed_only = shsat(tables.invsqrt_lut()[(odd << 5) | ((mr >> (15 + odd)) & 31)], sh // 2)
    err = np.abs(seed_only * U - 1 / np.sqrt(v * U))
    assert np.mean(err > invsqrt_bound(v * U)) > 0.5
