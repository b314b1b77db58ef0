"""matmul's golden and argument ranges: y[i] = matvec_fixed(w[i*n .. i*n+n-1], w_exp[i], x, x_exp)
for i < d, with w, w_exp, x and y in the memory behind m_axi bundle gmem."""
from __future__ import annotations

from typing import Any

import numpy as np

from llama_dv.models.kernels import matvec_fixed
from llama_dv.models.numerics import EXP_MAX, EXP_MIN
from llama_dv.tb.envs.matmul.coverage import coverage, sample_burst
from llama_dv.tb.envs.matmul.done_check import DoneCheck
from llama_dv.tb.envs.matmul.sequences import (
    MAX_DIM, auto_restart_calls, directed, random_inputs, reset_cycles, reset_victim)
from llama_dv.tb.generic import Array, LengthOf, Output, Scalar
from llama_dv.tb.generic.env import Sampler

ARGS = {
    "w": Array(length=LengthOf("w_exp", times="x"), bundle="gmem", bits=8),
    "w_exp": Array(length=(1, MAX_DIM), lo=EXP_MIN, hi=EXP_MAX, bundle="gmem", bits=8),
    "x": Array(length=(1, MAX_DIM), bundle="gmem", bits=8),
    "x_exp": Scalar(lo=EXP_MIN, hi=EXP_MAX),
    "y": Output(bundle="gmem", bits=32),
    "n": LengthOf("x"),
    "d": LengthOf("w_exp"),
}


def golden(w: np.ndarray, w_exp: np.ndarray, x: np.ndarray, x_exp: int, n: int, d: int) -> dict[str, np.ndarray]:
    return {"y": matvec_fixed(np.asarray(w).reshape(d, n), w_exp, x, x_exp)}


def extend(env: Any) -> None:
    """Buffers often end just below a 4 KiB boundary (the burst split), calls that are not
    back to back wait 1-40 idle cycles, every ap_done is checked against the y writes
    (done_check), and every burst is sampled (matmul.axi)."""
    env.placement = "near_boundary"
    env.idle_cycles = (1, 40)
    DoneCheck("done_check", env)
    Sampler("burst_coverage", env, sample_burst, source=lambda: env.bundles["gmem"].monitor.ap)


__all__ = ["ARGS", "auto_restart_calls", "coverage", "directed", "extend", "golden", "random_inputs", "reset_cycles",
           "reset_victim"]
