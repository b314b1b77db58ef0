"""Deterministic random LLaMA-2 weights for any config, scaled like a trained model.

Tests and exports need weight sets that exercise the datapath the way a real model does:
activations of order one, attention that is not uniform, logits with a clear but not
overwhelming winner, and greedy generations that move between tokens. Matrices are
N(0, gain^2 / fan_in), embeddings N(0, EMBED_STD^2), RMS gains near 1. Values are
rounded to float32 so a written checkpoint reads back identical.
"""
from __future__ import annotations

import numpy as np

from llama_dv.models.checkpoint import FloatWeights
from llama_dv.models.config import ModelConfig

EMBED_STD = 1.0
"""Token embeddings ~ N(0, 1): the residual stream starts at rms ~1."""
MATRIX_GAIN = 1.0
"""Scale of N(0, 1/fan_in) matrices; keeps each projection's output at the rms of its input."""
QK_GAIN = 1.5
"""Extra gain on Wq and Wk so attention scores (q.k / sqrt(hd)) are peaked, not uniform."""
RMS_GAIN_STD = 0.1
"""Spread of the RMSNorm gains around 1."""


def tiny_weights(cfg: ModelConfig, seed: int, shared_classifier: bool = False) -> FloatWeights:
    """Random weights for `cfg`; the same (cfg, seed, sharing) always gives the same arrays.

    The classifier is separate by default: with a tied random embedding the logit of the
    input token is dominated by |e_token|^2, so greedy decoding repeats one token forever.
    Tied weights stay supported (checkpoints, export) for models that have them.
    """
    rng = np.random.default_rng(seed)
    L, d, h, kv = cfg.n_layers, cfg.dim, cfg.hidden_dim, cfg.kv_dim

    def matrix(*shape: int, gain: float = MATRIX_GAIN) -> np.ndarray:
        return rng.standard_normal(shape) * (gain / np.sqrt(shape[-1]))

    def gains(*shape: int) -> np.ndarray:
        return 1.0 + RMS_GAIN_STD * rng.standard_normal(shape)

    arrays = dict(
        token_embedding=rng.standard_normal((cfg.vocab_size, d)) * EMBED_STD,
        rms_att=gains(L, d),
        wq=matrix(L, d, d, gain=QK_GAIN),
        wk=matrix(L, kv, d, gain=QK_GAIN),
        wv=matrix(L, kv, d),
        wo=matrix(L, d, d),
        rms_ffn=gains(L, d),
        w1=matrix(L, h, d),
        w2=matrix(L, d, h),
        w3=matrix(L, h, d),
        rms_final=gains(d),
        wcls=None if shared_classifier else matrix(cfg.vocab_size, d),
    )
    as_f32 = {k: None if v is None else v.astype(np.float32).astype(np.float64) for k, v in arrays.items()}
    return FloatWeights(config=cfg, **as_f32)
