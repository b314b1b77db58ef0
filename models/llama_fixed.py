"""Bit-exact fixed-point LLaMA-2 decoder: the golden the Clash decoder is scored against.

It follows docs/numerics.md "The fixed-point forward pass" line by line, using the
kernel goldens of models/kernels.py. Every step leaves its observables (q/k/v, the KV
rows written, attention outputs, logits, argmax) in a `StepTrace`, so scoreboards can
compare the DUT at each transaction, not only the final token.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from llama_dv.models import kernels
from llama_dv.models.checkpoint import FloatWeights
from llama_dv.models.config import ModelConfig
from llama_dv.models.llama_float import check_step, greedy_generate
from llama_dv.models.numerics import ONE, i64, quantize, quantize_weights, sat32, to_f

MATRIX_NAMES = ("wq", "wk", "wv", "wo", "w1", "w2", "w3")


def gains_to_f(g: np.ndarray) -> np.ndarray:
    """Float RMS gains -> F raws: round half to even of g * 2^20, saturated to int32."""
    return sat32(np.rint(np.asarray(g, np.float64) * ONE).astype(np.int64))


@dataclass
class QuantizedWeights:
    """The integers the hardware loads: int8 mantissas (held in int64), row exponents, F gains.

    `matrices[name]` is (mantissas [L, out, in], exponents [L, out]) for each of MATRIX_NAMES.
    The classifier is always present; `shared_classifier` records that it equals the embedding.
    """

    config: ModelConfig
    embed_m: np.ndarray
    embed_e: np.ndarray
    matrices: dict[str, tuple[np.ndarray, np.ndarray]]
    rms_att: np.ndarray
    rms_ffn: np.ndarray
    rms_final: np.ndarray
    cls_m: np.ndarray
    cls_e: np.ndarray
    shared_classifier: bool

    @classmethod
    def from_float(cls, w: FloatWeights) -> "QuantizedWeights":
        embed_m, embed_e = quantize_weights(w.token_embedding)
        cls_m, cls_e = (embed_m, embed_e) if w.shared_classifier else quantize_weights(w.wcls)
        return cls(
            config=w.config, embed_m=embed_m, embed_e=embed_e,
            matrices={n: quantize_weights(getattr(w, n)) for n in MATRIX_NAMES},
            rms_att=gains_to_f(w.rms_att), rms_ffn=gains_to_f(w.rms_ffn),
            rms_final=gains_to_f(w.rms_final), cls_m=cls_m, cls_e=cls_e,
            shared_classifier=w.shared_classifier)

    def arrays(self) -> dict[str, np.ndarray]:
        """Every integer array under a flat name (for comparisons and export)."""
        out = {"embed_m": self.embed_m, "embed_e": self.embed_e, "rms_att": self.rms_att,
               "rms_ffn": self.rms_ffn, "rms_final": self.rms_final, "cls_m": self.cls_m,
               "cls_e": self.cls_e}
        for name, (m, e) in self.matrices.items():
            out[f"{name}_m"], out[f"{name}_e"] = m, e
        return out

    def equals(self, other: "QuantizedWeights") -> bool:
        a, b = self.arrays(), other.arrays()
        return (self.config == other.config and self.shared_classifier == other.shared_classifier
                and a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a))


@dataclass(frozen=True)
class KVWrite:
    """One KV-cache row written at a step: what the DUT's cache write port must carry."""

    layer: int
    kv_head: int
    pos: int
    k_mant: np.ndarray
    k_exp: int
    v_mant: np.ndarray
    v_exp: int


@dataclass
class LayerTrace:
    """F raws seen inside one layer at one step (q and k after RoPE)."""

    q: np.ndarray
    k: np.ndarray
    v: np.ndarray
    attention: np.ndarray  # concatenated head outputs, before Wo
    residual: np.ndarray   # x after the FFN residual add


@dataclass
class StepTrace:
    token: int
    pos: int
    layers: list[LayerTrace] = field(default_factory=list)
    kv_writes: list[KVWrite] = field(default_factory=list)
    logits: np.ndarray | None = None
    argmax: int = -1


class QuantizedModel:
    """Quantised weights plus a KV cache of (int8 mantissa row, exponent) per layer/head/pos."""

    def __init__(self, weights: QuantizedWeights) -> None:
        self.weights = weights
        self.config = weights.config
        cfg = self.config
        rows = (cfg.n_layers, cfg.n_kv_heads, cfg.seq_len)
        self.k_mant = np.zeros(rows + (cfg.head_dim,), dtype=np.int64)
        self.v_mant = np.zeros_like(self.k_mant)
        self.k_exp = np.zeros(rows, dtype=np.int64)
        self.v_exp = np.zeros(rows, dtype=np.int64)
        self.last_step: StepTrace | None = None

    @classmethod
    def from_float(cls, w: FloatWeights) -> "QuantizedModel":
        return cls(QuantizedWeights.from_float(w))

    def reset(self) -> None:
        for cache in (self.k_mant, self.v_mant, self.k_exp, self.v_exp):
            cache[...] = 0
        self.last_step = None

    def kv_row(self, layer: int, kv_head: int, pos: int) -> tuple[np.ndarray, int, np.ndarray, int]:
        """(K mantissas, K exponent, V mantissas, V exponent) of one cache row."""
        return (self.k_mant[layer, kv_head, pos], int(self.k_exp[layer, kv_head, pos]),
                self.v_mant[layer, kv_head, pos], int(self.v_exp[layer, kv_head, pos]))

    def step(self, token: int, pos: int) -> StepTrace:
        """One decoder step (docs/numerics.md "The fixed-point forward pass")."""
        cfg, w = self.config, self.weights
        check_step(cfg, token, pos)
        trace = StepTrace(token=token, pos=pos)
        x = to_f(w.embed_m[token], w.embed_e[token])
        for layer in range(cfg.n_layers):
            mat = {n: (m[layer], e[layer]) for n, (m, e) in w.matrices.items()}
            xm, xe = quantize(kernels.rmsnorm_fixed(x, w.rms_att[layer]))
            q = kernels.rope_fixed(kernels.matvec_fixed(*mat["wq"], xm, xe), pos, cfg.head_dim, cfg.seq_len)
            k = kernels.rope_fixed(kernels.matvec_fixed(*mat["wk"], xm, xe), pos, cfg.head_dim, cfg.seq_len)
            v = kernels.matvec_fixed(*mat["wv"], xm, xe)
            km, ke = quantize(k.reshape(cfg.n_kv_heads, cfg.head_dim))
            vm, ve = quantize(v.reshape(cfg.n_kv_heads, cfg.head_dim))
            self.k_mant[layer, :, pos], self.k_exp[layer, :, pos] = km, ke
            self.v_mant[layer, :, pos], self.v_exp[layer, :, pos] = vm, ve
            trace.kv_writes += [KVWrite(layer, h, pos, km[h].copy(), int(ke[h]), vm[h].copy(), int(ve[h]))
                                for h in range(cfg.n_kv_heads)]
            att = kernels.attention_fixed(q, self.k_mant[layer], self.k_exp[layer], self.v_mant[layer],
                                          self.v_exp[layer], pos, cfg.n_heads, cfg.n_kv_heads)
            x = sat32(x + kernels.matvec_fixed(*mat["wo"], *quantize(att)))
            fm, fe = quantize(kernels.rmsnorm_fixed(x, w.rms_ffn[layer]))
            x = sat32(x + kernels.swiglu_fixed(mat["w1"], mat["w2"], mat["w3"], fm, fe))
            trace.layers.append(LayerTrace(q=q, k=k, v=v, attention=att, residual=x))
        trace.logits = kernels.matvec_fixed(w.cls_m, w.cls_e, *quantize(kernels.rmsnorm_fixed(x, w.rms_final)))
        trace.argmax = int(kernels.argmax_fixed(trace.logits))
        self.last_step = trace
        return trace

    def forward(self, token: int, pos: int) -> np.ndarray:
        """Logits (F raws, int64) after `token` at `pos`; observables in `last_step`."""
        return self.step(token, pos).logits

    def prefill(self, prompt: list[int]) -> list[StepTrace]:
        """The decode step applied to every prompt position from 0 (docs: prefill)."""
        self.reset()
        return [self.step(tok, pos) for pos, tok in enumerate(prompt)]

    def generate(self, prompt: list[int], n_tokens: int) -> list[int]:
        """Greedy continuation, identical loop to the float model's."""
        return greedy_generate(self, prompt, n_tokens)


def logits_to_float(logits: np.ndarray) -> np.ndarray:
    """F raws -> real values."""
    return i64(logits) / ONE
