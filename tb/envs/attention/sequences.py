"""attention's own calls: directed corners of the online softmax and the random
distribution (every choice from the seeded generator the env hands in)."""
from __future__ import annotations

from typing import Any

import numpy as np

from llama_dv.models.kernels import attention_head_fixed
from llama_dv.models.numerics import EXP_MAX, EXP_MIN, FRAC, INT32_MAX, INT32_MIN, ONE, recip_f

HEAD_DIM = 16
SEQ_LEN = 16

MOD = 1 << FRAC
HALF = 1 << (FRAC - 1)
"""rshr(., 20) rounds a product up from here: the half-LSB point of the low 20 bits."""
ROUNDING = {"half-1": HALF - 1, "half": HALF, "half+1": HALF + 1}
"""Low 20 bits of a final product acc * r on and one LSB either side of the rounding boundary."""


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


def final_products(inputs: dict[str, Any]) -> np.ndarray:
    """acc * recip_f(d) per lane, the products the last rshr of attention_head_fixed rounds
    (from the golden's trace); none at pos 0, where r = 2^20 and that rshr is exact."""
    km, vm = (np.asarray(inputs[c], np.int64).reshape(SEQ_LEN, HEAD_DIM) for c in ("k_cache", "v_cache"))
    trace: list[dict] = []
    attention_head_fixed(inputs["q"], km, inputs["k_exp"], vm, inputs["v_exp"], inputs["pos"], HEAD_DIM,
                         trace=trace)
    if not trace:
        return np.zeros(0, np.int64)
    return trace[-1]["acc"] * recip_f(trace[-1]["d"])


def rounding_call(rng: np.random.Generator) -> dict[str, Any]:
    """pos 1 with r = recip_f(d) = 2^19 + 1, its own inverse mod 2^20, so acc * r lands on
    HALF for acc = 2^19 * odd and on HALF +- 1 for acc = 2^19 * even +- 1.

    q = 1.0 in lane 0 only and k exponents -18 make the scores K[0][0] and K[1][0]; K[1][0]
    is searched (on the golden) until row 1 scores a few LSB below row 0: no max update
    (a = 1.0), b just under 1.0, d = 1.0 + b. V row 0 at exponent -1 puts v * 2^19 in acc,
    row 1 at exponent -20 adds v (v in -1, 0, 1: b rounds to 1.0), lane i aiming at the
    ROUNDING residue i mod 3."""
    q = np.zeros(HEAD_DIM, np.int64)
    q[0] = ONE
    km, vm = rand_cache(rng), rand_cache(rng)
    ke, ve = rand_exp(rng), rand_exp(rng)
    ke[:2], ve[:2] = -18, (-1, -20)
    targets = [list(ROUNDING)[i % 3] for i in range(HEAD_DIM)]
    odd = 2 * rng.integers(-64, 64, size=HEAD_DIM) + 1
    even = 2 * rng.integers(-64, 64, size=HEAD_DIM)
    vm[0] = np.where(np.array(targets) == "half", odd, even)
    vm[1] = [{"half-1": -1, "half": 0, "half+1": 1}[t] for t in targets]
    km[0, 0] = 64
    for k1 in range(63, -129, -1):
        km[1, 0] = k1
        trace: list[dict] = []
        attention_head_fixed(q, km, ke, vm, ve, 1, HEAD_DIM, trace=trace)
        if trace[0]["a"] == ONE and recip_f(trace[0]["d"]) == HALF + 1:
            break
    else:
        raise RuntimeError("attention rounding call: no K[1][0] gives r = 2^19 + 1")
    call = _call(q, km, ke, vm, ve, 1)
    low = final_products(call) % MOD
    assert [int(v) for v in low] == [ROUNDING[t] for t in targets], low
    return call


def random_inputs(rng: np.random.Generator, pos: int | None = None) -> dict[str, Any]:
    """Random q magnitude class, int8 caches, exponents in [-30, 0] (one call in five the
    whole [EXP_MIN, EXP_MAX]), any pos."""
    pos = int(rng.integers(0, SEQ_LEN)) if pos is None else pos
    lo, hi = (EXP_MIN, EXP_MAX) if rng.random() < 0.2 else (-30, 0)
    return _call(rand_q(rng), rand_cache(rng), rand_exp(rng, lo, hi), rand_cache(rng), rand_exp(rng, lo, hi), pos)


def directed(rng: np.random.Generator) -> list[tuple[str, dict[str, Any]]]:
    """pos 0 / SEQ-1, zero q, rising and falling scores, saturated V, INT32_MIN and -128
    operands, extreme exponents, a set number of running-max updates, every pos; final
    products on the rounding boundary (ROUNDING)."""
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
    out += [(f"pos{p}", random_inputs(rng, pos=p)) for p in range(SEQ_LEN)]
    return out + [("rounding", rounding_call(rng))]
