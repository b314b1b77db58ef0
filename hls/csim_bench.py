"""Throughput of the C-simulation oracle (and of the numpy goldens, for comparison).

Tells a user how many vectors a test can afford: `python -m llama_dv.hls.csim_bench` prints
vectors per second per kernel for the g++ build and for models/ on the same inputs.
"""
from __future__ import annotations

import argparse
import time
from typing import Callable

import numpy as np

from llama_dv.hls import csim
from llama_dv.models import kernels, numerics

ONE = 1 << 20


def _rate(fn: Callable[[], object], vectors: int, min_time: float) -> float:
    """Vectors per second of fn (best of repeated runs lasting at least min_time in total)."""
    fn()
    best, spent = float("inf"), 0.0
    while spent < min_time:
        t0 = time.perf_counter()
        fn()
        dt = time.perf_counter() - t0
        best, spent = min(best, dt), spent + dt
    return vectors / best


def workloads(rng: np.random.Generator, batch: int) -> dict[str, tuple[str, Callable, Callable]]:
    """name -> (shape description, oracle call, golden call) on one shared random batch."""
    b = batch
    wm, we = rng.integers(-128, 128, (b, 64, 64)), rng.integers(-12, -4, (b, 64))
    xm, xe = rng.integers(-128, 128, (b, 64)), rng.integers(-12, -4, b)
    x16 = rng.integers(-8 * ONE, 8 * ONE, (b, 16))
    x64 = rng.integers(-8 * ONE, 8 * ONE, (b, 64))
    g64 = rng.integers(0, 2 * ONE, (b, 64))
    km, vm = rng.integers(-128, 128, (b, csim.SEQ, csim.HD)), rng.integers(-128, 128, (b, csim.SEQ, csim.HD))
    ke, ve = rng.integers(-10, -2, (b, csim.SEQ)), rng.integers(-10, -2, (b, csim.SEQ))
    last = csim.SEQ - 1
    xs = rng.integers(-16 * ONE, 8 * ONE, b * 16)
    vs = rng.integers(1, 1 << 31, b * 16)
    return {
        "matmul": ("d=64, n=64", lambda: csim.matmul(wm, we, xm, xe), lambda: kernels.matvec_fixed(wm, we, xm, xe)),
        "rmsnorm": ("n=64", lambda: csim.rmsnorm(x64, g64), lambda: kernels.rmsnorm_fixed(x64, g64)),
        "rope": ("n=64", lambda: csim.rope(x64, 7), lambda: kernels.rope_fixed(x64, 7, csim.HD, csim.SEQ)),
        "attention": (f"pos={last} (all {csim.SEQ} rows)", lambda: csim.attention(x16, km, ke, vm, ve, last),
                      lambda: kernels.attention_head_fixed(x16, km, ke, vm, ve, last, csim.HD)),
        "softmax": ("n=16", lambda: csim.softmax(x16), lambda: kernels.softmax_fixed(x16)),
        "quantize": ("n=16", lambda: csim.quantize(x16), lambda: numerics.quantize(x16)),
        "exp_f": ("16 values per vector", lambda: csim.exp_f(xs), lambda: numerics.exp_f(xs)),
        "invsqrt_f": ("16 values per vector", lambda: csim.invsqrt_f(vs), lambda: numerics.invsqrt_f(vs)),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m llama_dv.hls.csim_bench", description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=2000, help="vectors per call (default 2000)")
    parser.add_argument("--min-time", type=float, default=0.5, help="seconds measured per entry")
    args = parser.parse_args(argv)
    csim.load()
    print("| kernel | shape | g++ C-sim vectors/s | numpy golden vectors/s |\n|---|---|---:|---:|")
    for name, (shape, oracle, golden) in workloads(np.random.default_rng(0), args.batch).items():
        print(f"| {name} | {shape} | {_rate(oracle, args.batch, args.min_time):,.0f} "
              f"| {_rate(golden, args.batch, args.min_time):,.0f} |")


if __name__ == "__main__":
    main()
