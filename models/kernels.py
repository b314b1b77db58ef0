"""Kernel goldens: each LLaMA-2 kernel as a bit-exact fixed-point function (`*_fixed`)
and its float64 twin (`*_float`). The fixed versions follow docs/numerics.md exactly;
the float versions follow llama2.c and are the accuracy reference.
"""
from __future__ import annotations

import numpy as np

from llama_dv.models import tables
from llama_dv.models.numerics import (FRAC, ONE, exp_f, i64, invsqrt_f, matvec, mul_f, quantize,
                             recip_f, rshr, sat32, shsat)


# --- matvec -----------------------------------------------------------------------

def matvec_fixed(wm, we, xm, xe) -> np.ndarray:
    """F output of the int8 MAC (re-exported for symmetry with the float twin)."""
    return matvec(wm, we, xm, xe)


def matvec_float(w, x) -> np.ndarray:
    return np.asarray(w, np.float64) @ np.asarray(x, np.float64)


# --- rmsnorm ----------------------------------------------------------------------

def rmsnorm_fixed(x, g) -> np.ndarray:
    """RMSNorm over the last axis; x and g are F raws."""
    x, g = i64(x), i64(g)
    n = x.shape[-1]
    ss = np.sum(rshr(x * x, FRAC), axis=-1)
    ms = np.minimum(ss // n, (1 << 31) - 1)
    r = invsqrt_f(sat32(ms + tables.EPS))
    return mul_f(mul_f(x, r[..., None]), g)


def rmsnorm_float(x, g, eps: float = 1e-5) -> np.ndarray:
    x = np.asarray(x, np.float64)
    return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps) * np.asarray(g, np.float64)


# --- rope -------------------------------------------------------------------------

def rope_fixed(x, pos: int, head_dim: int, seq_len: int = 16) -> np.ndarray:
    """Rotate adjacent pairs of an F vector whose heads are head_dim wide."""
    x = i64(x)
    cos, sin = tables.rope_tables(seq_len, head_dim)
    if not 0 <= pos < seq_len:
        raise ValueError(f"rope pos {pos} outside the table (seq_len {seq_len})")
    j = (np.arange(0, x.shape[-1], 2) % head_dim) // 2
    c, s = cos[pos, j], sin[pos, j]
    x0, x1 = x[..., 0::2], x[..., 1::2]
    out = np.empty_like(x)
    out[..., 0::2] = sat32(rshr(x0 * c - x1 * s, FRAC))
    out[..., 1::2] = sat32(rshr(x0 * s + x1 * c, FRAC))
    return out


def rope_float(x, pos: int, head_dim: int) -> np.ndarray:
    x = np.asarray(x, np.float64)
    j = (np.arange(0, x.shape[-1], 2) % head_dim) // 2
    theta = pos * 10000.0 ** (-2.0 * j / head_dim)
    c, s = np.cos(theta), np.sin(theta)
    x0, x1 = x[..., 0::2], x[..., 1::2]
    out = np.empty_like(x)
    out[..., 0::2] = x0 * c - x1 * s
    out[..., 1::2] = x0 * s + x1 * c
    return out


# --- softmax ----------------------------------------------------------------------

def softmax_fixed(s) -> np.ndarray:
    """Two-pass softmax over the last axis (the `softmax` kernel golden)."""
    s = i64(s)
    p = exp_f(sat32(s - np.max(s, axis=-1, keepdims=True)))
    r = recip_f(np.sum(p, axis=-1))
    return sat32(rshr(p * r[..., None], FRAC))


def softmax_float(s) -> np.ndarray:
    s = np.asarray(s, np.float64)
    e = np.exp(s - np.max(s, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)


# --- attention over a KV cache ------------------------------------------------------

def attention_scores_fixed(q, km, ke, head_dim: int) -> np.ndarray:
    """F scores s_t for t = 0..T-1: q [.., HD] F raws, km [.., T, HD] int8, ke [.., T]."""
    qm, qe = quantize(q)
    dot = sat32(np.einsum("...d,...td->...t", qm, i64(km)))
    sf = shsat(dot, -(qe[..., None] + i64(ke) + FRAC))
    return sat32(rshr(sf * tables.inv_sqrt_hd(head_dim), FRAC))


def attention_head_fixed(q, km, ke, vm, ve, pos: int, head_dim: int,
                         trace: list | None = None) -> np.ndarray:
    """One head's attention over cache rows 0..pos with the online softmax.

    `trace`, when given, collects per-step state dicts (mx, d, a, b, acc) so tests and
    coverage can see max-update events exactly as the hardware takes them, and the
    operands of the final rounding (acc * recip_f(d) after the last step).
    """
    km, vm = i64(km)[..., : pos + 1, :], i64(vm)[..., : pos + 1, :]
    ke, ve = i64(ke)[..., : pos + 1], i64(ve)[..., : pos + 1]
    s = attention_scores_fixed(q, km, ke, head_dim)
    mx = s[..., 0]
    d = np.full_like(mx, ONE)
    acc = shsat(vm[..., 0, :] * ONE, -ve[..., 0, None])
    for t in range(1, pos + 1):
        new_mx = np.maximum(mx, s[..., t])
        a = exp_f(sat32(mx - new_mx))
        b = exp_f(sat32(s[..., t] - new_mx))
        d = sat32(rshr(d * a, FRAC) + b)
        acc = sat32(rshr(acc * a[..., None], FRAC) + shsat(vm[..., t, :] * b[..., None], -ve[..., t, None]))
        if trace is not None:
            trace.append({"t": t, "mx": new_mx, "updated": new_mx != mx, "a": a, "b": b, "d": d, "acc": acc})
        mx = new_mx
    r = recip_f(d)
    return sat32(rshr(acc * r[..., None], FRAC))


def attention_head_float(q, k, v, pos: int) -> np.ndarray:
    """llama2.c single-head attention over rows 0..pos of float K/V."""
    q, k, v = (np.asarray(a, np.float64) for a in (q, k, v))
    k, v = k[..., : pos + 1, :], v[..., : pos + 1, :]
    att = softmax_float(np.einsum("...d,...td->...t", q, k) / np.sqrt(q.shape[-1]))
    return np.einsum("...t,...td->...d", att, v)


def attention_fixed(q, km, ke, vm, ve, pos: int, n_heads: int, n_kv_heads: int) -> np.ndarray:
    """Multi-head (GQA) attention: q [dim] F; km/vm [n_kv, T, HD]; ke/ve [n_kv, T].

    Every head in one batched `attention_head_fixed` (head h reads KV head h // group):
    the same element-wise operations as one call per head, a few times fewer numpy calls.
    """
    q = i64(q)
    hd = q.shape[-1] // n_heads
    kv = np.arange(n_heads) // (n_heads // n_kv_heads)
    heads = q.reshape(q.shape[:-1] + (n_heads, hd))
    out = attention_head_fixed(heads, i64(km)[kv], i64(ke)[kv], i64(vm)[kv], i64(ve)[kv], pos, hd)
    return out.reshape(q.shape)


def attention_float(q, k, v, pos: int, n_heads: int, n_kv_heads: int) -> np.ndarray:
    q = np.asarray(q, np.float64)
    hd = q.shape[-1] // n_heads
    group = n_heads // n_kv_heads
    outs = [attention_head_float(q[..., h * hd:(h + 1) * hd], k[h // group], v[h // group], pos)
            for h in range(n_heads)]
    return np.concatenate(outs, axis=-1)


# --- SwiGLU FFN ---------------------------------------------------------------------

def silu_fixed(x) -> np.ndarray:
    x = i64(x)
    sig = recip_f(sat32(ONE + exp_f(-x)))
    return mul_f(x, sig)


def swiglu_fixed(w1, w2, w3, xm, xe) -> np.ndarray:
    """FFN with weights given as (mantissas, row exponents) pairs; x as Act."""
    h1 = matvec(*w1, xm, xe)
    h3 = matvec(*w3, xm, xe)
    gm, ge = quantize(mul_f(silu_fixed(h1), h3))
    return matvec(*w2, gm, ge)


def swiglu_float(w1, w2, w3, x) -> np.ndarray:
    h1, h3 = w1 @ x, w3 @ x
    return w2 @ (h1 / (1.0 + np.exp(-h1)) * h3)


# --- argmax -----------------------------------------------------------------------

def argmax_fixed(logits) -> np.ndarray:
    """Lowest index among equal maxima (a scan that updates only on strictly greater)."""
    return np.argmax(i64(logits), axis=-1)


def argmax_float(logits) -> np.ndarray:
    return np.argmax(np.asarray(logits, np.float64), axis=-1)
