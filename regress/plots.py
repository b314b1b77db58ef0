"""Report plots as inline PNG (base64): fixed-vs-float error per kernel, cycles/token.

The error histograms run each kernel's bit-exact fixed-point golden and its float64
twin from ``models.kernels`` on the same random inputs, so the report shows what the
number formats cost in accuracy, independent of any RTL.
"""
from __future__ import annotations

import base64
import io
from typing import Callable

import numpy as np

from models import kernels
from models.numerics import FRAC, quantize, quantize_weights

SCALE = float(1 << FRAC)


def _to_f(x: np.ndarray) -> np.ndarray:
    return np.rint(np.asarray(x) * SCALE).astype(np.int64)


def _matmul(rng: np.random.Generator) -> np.ndarray:
    w, x = rng.normal(0, 0.5, (32, 64)), rng.normal(0, 1.0, 64)
    wm, we = quantize_weights(w)
    xm, xe = quantize(_to_f(x))
    return kernels.matvec_fixed(wm, we, xm, xe) / SCALE - kernels.matvec_float(w, x)


def _rmsnorm(rng: np.random.Generator) -> np.ndarray:
    x, g = rng.normal(0, 2.0, 64), rng.uniform(0.5, 1.5, 64)
    return kernels.rmsnorm_fixed(_to_f(x), _to_f(g)) / SCALE - kernels.rmsnorm_float(x, g)


def _rope(rng: np.random.Generator) -> np.ndarray:
    x, pos = rng.normal(0, 2.0, 64), int(rng.integers(0, 16))
    return kernels.rope_fixed(_to_f(x), pos, 16) / SCALE - kernels.rope_float(x, pos, 16)


def _attention(rng: np.random.Generator) -> np.ndarray:
    pos = int(rng.integers(0, 16))
    q, k, v = rng.normal(0, 1.0, 16), rng.normal(0, 1.0, (16, 16)), rng.normal(0, 1.0, (16, 16))
    km, ke = quantize(_to_f(k))
    vm, ve = quantize(_to_f(v))
    fixed = kernels.attention_head_fixed(_to_f(q), km, ke, vm, ve, pos, 16) / SCALE
    return fixed - kernels.attention_head_float(q, k, v, pos)


KERNEL_ERRORS: dict[str, Callable[[np.random.Generator], np.ndarray]] = {
    "matmul": _matmul, "rmsnorm": _rmsnorm, "rope": _rope, "attention": _attention,
}


def kernel_errors(trials: int = 64, seed: int = 2024) -> dict[str, np.ndarray]:
    """Absolute fixed-minus-float errors per kernel over *trials* random inputs."""
    rng = np.random.default_rng(seed)
    return {name: np.abs(np.concatenate([fn(rng).ravel() for _ in range(trials)]))
            for name, fn in KERNEL_ERRORS.items()}


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=80, bbox_inches="tight")
    return base64.b64encode(buf.getvalue()).decode()


def error_histograms(errors: dict[str, np.ndarray]) -> str:
    """One log-scale histogram of |fixed - float| per kernel, as base64 PNG."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(errors), figsize=(3.2 * len(errors), 2.6))
    for ax, (name, err) in zip(np.atleast_1d(axes), errors.items()):
        err = np.maximum(err, 1.0 / SCALE / 4)
        ax.hist(np.log10(err), bins=40, color="#4a78b5")
        ax.set_title(f"{name}: max {err.max():.2e}", fontsize=9)
        ax.set_xlabel("log10 |fixed - float|", fontsize=8)
        ax.tick_params(labelsize=7)
    fig.tight_layout()
    out = _png(fig)
    plt.close(fig)
    return out


def cycles_per_token_plot(points: list[tuple[str, float]]) -> str:
    """Bar chart of cycles/token per decoder run (label, cycles), as base64 PNG."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(max(3.0, 0.6 * len(points) + 1.5), 2.6))
    ax.bar(range(len(points)), [c for _, c in points], color="#5a9e6f")
    ax.set_xticks(range(len(points)), [label for label, _ in points], rotation=45, ha="right", fontsize=7)
    ax.set_ylabel("cycles / token", fontsize=8)
    fig.tight_layout()
    out = _png(fig)
    plt.close(fig)
    return out
