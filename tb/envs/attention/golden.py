"""attention's golden and argument ranges: out_r = attention_head_fixed(q, K, V, pos) for one
head over the cached rows 0..pos (K/V as int8 mantissas with one exponent per row)."""
from __future__ import annotations

import numpy as np

from llama_dv.models.kernels import attention_head_fixed
from llama_dv.models.numerics import EXP_MAX, EXP_MIN
from llama_dv.tb.envs.attention.coverage import coverage
from llama_dv.tb.envs.attention.sequences import HEAD_DIM, SEQ_LEN, directed, random_inputs
from llama_dv.tb.generic import Array, Scalar

ARGS = {
    "q": Array(length=HEAD_DIM),
    "k_cache": Array(length=SEQ_LEN * HEAD_DIM),
    "k_exp": Array(length=SEQ_LEN, lo=EXP_MIN, hi=EXP_MAX),
    "v_cache": Array(length=SEQ_LEN * HEAD_DIM),
    "v_exp": Array(length=SEQ_LEN, lo=EXP_MIN, hi=EXP_MAX),
    "pos": Scalar(lo=0, hi=SEQ_LEN - 1),
}


def golden(q: np.ndarray, k_cache: np.ndarray, k_exp: np.ndarray, v_cache: np.ndarray, v_exp: np.ndarray,
           pos: int) -> dict[str, np.ndarray]:
    km, vm = (np.asarray(c, np.int64).reshape(SEQ_LEN, HEAD_DIM) for c in (k_cache, v_cache))
    return {"out_r": attention_head_fixed(q, km, k_exp, vm, v_exp, pos, HEAD_DIM)}


__all__ = ["ARGS", "coverage", "directed", "golden", "random_inputs"]
