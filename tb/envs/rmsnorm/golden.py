"""rmsnorm's golden and argument ranges: out[0..n-1] = rmsnorm_fixed(x[0..n-1], w[0..n-1])."""
from __future__ import annotations

import numpy as np

from llama_dv.models.kernels import rmsnorm_fixed
from llama_dv.tb.envs.rmsnorm.coverage import coverage
from llama_dv.tb.envs.rmsnorm.sequences import directed, random_inputs, smoke_calls
from llama_dv.tb.generic import Array, LengthOf

MAX_N = 256

ARGS = {
    "x": Array(length=(1, MAX_N)),
    "w": Array(length=LengthOf("x")),
    "n": LengthOf("x"),
}


def golden(x: np.ndarray, w: np.ndarray, n: int) -> dict[str, np.ndarray]:
    return {"out": rmsnorm_fixed(x[:n], w[:n])}


__all__ = ["ARGS", "coverage", "directed", "golden", "random_inputs", "smoke_calls"]
