"""float64 LLaMA-2 forward pass with llama2.c semantics: the accuracy reference.

Built from the float twins in models/kernels.py so the per-kernel error bounds and the
whole-model accuracy figures compare like with like.
"""
from __future__ import annotations

import numpy as np

from llama_dv.models import kernels
from llama_dv.models.checkpoint import FloatWeights
from llama_dv.models.config import ModelConfig


class FloatModel:
    """Stateful decoder: a KV cache per layer, filled one position per `forward` call."""

    def __init__(self, weights: FloatWeights) -> None:
        self.weights = weights
        self.config = weights.config
        cfg = self.config
        shape = (cfg.n_layers, cfg.n_kv_heads, cfg.seq_len, cfg.head_dim)
        self.key_cache = np.zeros(shape)
        self.value_cache = np.zeros(shape)

    def reset(self) -> None:
        self.key_cache[...] = 0.0
        self.value_cache[...] = 0.0

    def forward(self, token: int, pos: int) -> np.ndarray:
        """Logits for the next token after `token` at position `pos` (fills cache row pos)."""
        cfg, w = self.config, self.weights
        check_step(cfg, token, pos)
        x = w.token_embedding[token].copy()
        for layer in range(cfg.n_layers):
            xb = kernels.rmsnorm_float(x, w.rms_att[layer])
            q = kernels.rope_float(w.wq[layer] @ xb, pos, cfg.head_dim)
            k = kernels.rope_float(w.wk[layer] @ xb, pos, cfg.head_dim)
            v = w.wv[layer] @ xb
            self.key_cache[layer, :, pos] = k.reshape(cfg.n_kv_heads, cfg.head_dim)
            self.value_cache[layer, :, pos] = v.reshape(cfg.n_kv_heads, cfg.head_dim)
            att = kernels.attention_float(q, self.key_cache[layer], self.value_cache[layer], pos,
                                          cfg.n_heads, cfg.n_kv_heads)
            x = x + w.wo[layer] @ att
            xb = kernels.rmsnorm_float(x, w.rms_ffn[layer])
            x = x + kernels.swiglu_float(w.w1[layer], w.w2[layer], w.w3[layer], xb)
        return w.classifier @ kernels.rmsnorm_float(x, w.rms_final)

    def prefill(self, prompt: list[int]) -> list[np.ndarray]:
        """Run every prompt token from position 0; returns the logits after each."""
        self.reset()
        return [self.forward(tok, pos) for pos, tok in enumerate(prompt)]

    def generate(self, prompt: list[int], n_tokens: int) -> list[int]:
        """Greedy continuation of `prompt` (n_tokens new tokens), llama2.c style."""
        return greedy_generate(self, prompt, n_tokens)


def check_step(cfg: ModelConfig, token: int, pos: int) -> None:
    """Reject a token or position the model has no row for, naming the value."""
    if not 0 <= token < cfg.vocab_size:
        raise ValueError(f"token {token} outside the vocabulary [0, {cfg.vocab_size})")
    if not 0 <= pos < cfg.seq_len:
        raise ValueError(f"position {pos} outside the context [0, {cfg.seq_len})")


def greedy_generate(model, prompt: list[int], n_tokens: int) -> list[int]:
    """Shared greedy loop: feed the prompt, then each argmax; the last token is not fed.

    Uses len(prompt) + n_tokens - 1 positions, which must fit in seq_len.
    """
    cfg = model.config
    if not prompt:
        raise ValueError("generate needs a non-empty prompt")
    if len(prompt) + n_tokens - 1 > cfg.seq_len:
        raise ValueError(f"prompt of {len(prompt)} + {n_tokens} tokens needs "
                         f"{len(prompt) + n_tokens - 1} positions; seq_len is {cfg.seq_len}")
    model.reset()
    out: list[int] = []
    token = prompt[0]
    for pos in range(len(prompt) + n_tokens - 1):
        logits = model.forward(token, pos)
        if pos + 1 < len(prompt):
            token = prompt[pos + 1]
        else:
            argmax = kernels.argmax_fixed if logits.dtype.kind == "i" else kernels.argmax_float
            token = int(argmax(logits))
            out.append(token)
    return out
