"""Test-vector files for the kernels' C++ testbenches (Vitis `csim_design`, or g++).

Inputs are seeded random (realistic magnitudes plus int32 extremes); expected outputs
come from the numpy goldens in models/, never from the C++ under test. The file is
plain whitespace-separated integers, read by hls/<kernel>/tb_<kernel>.cpp:

    <kernel> <count>
    per vector, in this order:
    matmul     d n x_exp | w[d*n] | w_exp[d] | x[n] | expected y[d]
    rmsnorm    n         | x[n] | w[n] | expected out[n]
    rope       n pos     | x[n] | expected out[n]
    attention  pos       | q[HD] | k[SEQ*HD] | k_exp[SEQ] | v[SEQ*HD] | v_exp[SEQ] | expected out[HD]
    softmax    n         | s[n] | expected p[n]

    python -m llama_dv.hls.vectors <kernel> <out-file> [--count N] [--seed S]
"""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from llama_dv.models import kernels

HD, SEQ, MAX_N = 16, 16, 256
ONE = 1 << 20
I32_MIN, I32_MAX = -(1 << 31), (1 << 31) - 1


def _f_vector(rng: np.random.Generator, n: int) -> np.ndarray:
    """F raws of one random magnitude; one vector in eight is int32 extremes."""
    if rng.random() < 0.125:
        return rng.choice(np.array([I32_MIN, -1, 0, 1, I32_MAX], np.int64), size=n)
    scale = 2.0 ** rng.integers(8, 31)
    return np.clip(np.floor((rng.random(n) * 2 - 1) * scale), I32_MIN, I32_MAX).astype(np.int64)


def _matmul(rng: np.random.Generator) -> list[np.ndarray]:
    d, n = int(rng.integers(1, 33)), int(rng.integers(1, MAX_N + 1))
    w, x = rng.integers(-128, 128, (d, n)), rng.integers(-128, 128, n)
    we, xe = rng.integers(-14, 0, d), int(rng.integers(-20, 1))
    y = kernels.matvec_fixed(w, we, x, xe)
    return [np.array([d, n, xe]), w, we, x, y]


def _rmsnorm(rng: np.random.Generator) -> list[np.ndarray]:
    n = int(rng.integers(1, MAX_N + 1))
    x, g = _f_vector(rng, n), rng.integers(0, 2 * ONE, n)
    return [np.array([n]), x, g, kernels.rmsnorm_fixed(x, g)]


def _rope(rng: np.random.Generator) -> list[np.ndarray]:
    n, pos = 2 * int(rng.integers(1, MAX_N // 2 + 1)), int(rng.integers(0, SEQ))
    x = _f_vector(rng, n)
    return [np.array([n, pos]), x, kernels.rope_fixed(x, pos, HD, SEQ)]


def _attention(rng: np.random.Generator) -> list[np.ndarray]:
    pos = int(rng.integers(0, SEQ))
    q = _f_vector(rng, HD)
    k, v = rng.integers(-128, 128, (SEQ, HD)), rng.integers(-128, 128, (SEQ, HD))
    ke, ve = rng.integers(-12, -1, SEQ), rng.integers(-12, -1, SEQ)
    out = kernels.attention_head_fixed(q, k, ke, v, ve, pos, HD)
    return [np.array([pos]), q, k, ke, v, ve, out]


def _softmax(rng: np.random.Generator) -> list[np.ndarray]:
    n = int(rng.integers(1, MAX_N + 1))
    s = _f_vector(rng, n)
    return [np.array([n]), s, kernels.softmax_fixed(s)]


GENERATORS: dict[str, Callable[[np.random.Generator], list[np.ndarray]]] = {
    "matmul": _matmul, "rmsnorm": _rmsnorm, "rope": _rope, "attention": _attention, "softmax": _softmax,
}


def vector_lines(kernel: str, count: int, seed: int) -> Iterator[str]:
    if kernel not in GENERATORS:
        raise ValueError(f"unknown kernel {kernel!r}; choose one of {', '.join(GENERATORS)}")
    if count < 1:
        raise ValueError(f"count {count} must be >= 1")
    rng = np.random.default_rng(seed)
    yield f"{kernel} {count}"
    for _ in range(count):
        for part in GENERATORS[kernel](rng):
            yield " ".join(str(int(v)) for v in np.ravel(part))


def write_vectors(kernel: str, path: Path, count: int = 200, seed: int = 1) -> None:
    Path(path).write_text("\n".join(vector_lines(kernel, count, seed)) + "\n")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m llama_dv.hls.vectors", description=__doc__.splitlines()[0])
    parser.add_argument("kernel", choices=sorted(GENERATORS))
    parser.add_argument("out", type=Path)
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    write_vectors(args.kernel, args.out, args.count, args.seed)


if __name__ == "__main__":
    main()
