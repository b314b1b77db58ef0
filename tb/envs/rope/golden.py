"""rope's golden and argument ranges: out_r = rope_fixed(in_r, pos) over n = len(in_r) words."""
from __future__ import annotations

import numpy as np

from llama_dv.models.kernels import rope_fixed
from llama_dv.tb.envs.rope.coverage import coverage
from llama_dv.tb.envs.rope.sequences import HEAD_DIM, MAX_N, SEQ_LEN, directed, random_inputs
from llama_dv.tb.generic import Array, LengthOf, Scalar

ARGS = {
    "in_r": Array(length=range(2, MAX_N + 1, 2)),
    "pos": Scalar(lo=0, hi=SEQ_LEN - 1),
    "n": LengthOf("in_r"),
}


def golden(in_r: np.ndarray, pos: int, n: int) -> dict[str, np.ndarray]:
    return {"out_r": rope_fixed(in_r[:n], pos, HEAD_DIM, SEQ_LEN)}


__all__ = ["ARGS", "coverage", "directed", "golden", "random_inputs"]
