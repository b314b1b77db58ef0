"""Reader and writer for llama2.c `.bin` checkpoints (the legacy float32 format).

Layout: a header of 7 little-endian int32 (dim, hidden_dim, n_layers, n_heads,
n_kv_heads, vocab_size, seq_len; a negative vocab_size means the classifier is stored
separately), then float32 arrays in the order of `WEIGHT_FIELDS`. The RoPE tables
freq_cis_real/imag (seq_len * head_dim / 2 each) sit before the classifier; they are
skipped on read (the fixed-point tables come from models/tables.py) and regenerated on
write so llama2.c itself can run the file.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from llama_dv.models.config import ConfigError, ModelConfig

HEADER_FIELDS = ("dim", "hidden_dim", "n_layers", "n_heads", "n_kv_heads", "vocab_size", "seq_len")
HEADER_BYTES = 4 * len(HEADER_FIELDS)


class CheckpointError(ValueError):
    """A checkpoint file that does not match the llama2.c format."""


@dataclass
class FloatWeights:
    """float64 weights with llama2.c shapes; matrices are [out, in] (one row per output)."""

    config: ModelConfig
    token_embedding: np.ndarray  # [vocab, dim]
    rms_att: np.ndarray          # [L, dim]
    wq: np.ndarray               # [L, dim, dim]
    wk: np.ndarray               # [L, kv_dim, dim]
    wv: np.ndarray               # [L, kv_dim, dim]
    wo: np.ndarray               # [L, dim, dim]
    rms_ffn: np.ndarray          # [L, dim]
    w1: np.ndarray               # [L, hidden, dim]
    w2: np.ndarray               # [L, dim, hidden]
    w3: np.ndarray               # [L, hidden, dim]
    rms_final: np.ndarray        # [dim]
    wcls: np.ndarray | None = None  # [vocab, dim]; None = shared with token_embedding

    def __post_init__(self) -> None:
        for name, shape in weight_shapes(self.config, shared=self.wcls is None):
            value = np.asarray(getattr(self, name), dtype=np.float64)
            if value.shape != shape:
                raise ValueError(f"FloatWeights.{name}: expected shape {shape}, got {value.shape}")
            setattr(self, name, value)

    @property
    def shared_classifier(self) -> bool:
        return self.wcls is None

    @property
    def classifier(self) -> np.ndarray:
        return self.token_embedding if self.wcls is None else self.wcls

    def equals(self, other: "FloatWeights") -> bool:
        """Same config, same sharing, bit-identical arrays."""
        if self.config != other.config or self.shared_classifier != other.shared_classifier:
            return False
        return all(np.array_equal(getattr(self, n), getattr(other, n))
                   for n, _ in weight_shapes(self.config, shared=self.shared_classifier))


def weight_shapes(cfg: ModelConfig, shared: bool) -> list[tuple[str, tuple[int, ...]]]:
    """(FloatWeights field, shape) in file order, without the RoPE tables."""
    L, d, h, kv = cfg.n_layers, cfg.dim, cfg.hidden_dim, cfg.kv_dim
    shapes = [
        ("token_embedding", (cfg.vocab_size, d)),
        ("rms_att", (L, d)), ("wq", (L, d, d)), ("wk", (L, kv, d)), ("wv", (L, kv, d)),
        ("wo", (L, d, d)), ("rms_ffn", (L, d)), ("w1", (L, h, d)), ("w2", (L, d, h)),
        ("w3", (L, h, d)), ("rms_final", (d,)),
    ]
    if not shared:
        shapes.append(("wcls", (cfg.vocab_size, d)))
    return shapes


def _file_sections(cfg: ModelConfig, shared: bool) -> list[tuple[str, tuple[int, ...]]]:
    """Every float32 section in file order, RoPE tables included."""
    sections = weight_shapes(cfg, shared)
    rope = (cfg.seq_len * cfg.head_dim // 2,)
    at = 11  # after rms_final
    return sections[:at] + [("freq_cis_real", rope), ("freq_cis_imag", rope)] + sections[at:]


def _rope_freqs(cfg: ModelConfig) -> tuple[np.ndarray, np.ndarray]:
    j = np.arange(cfg.head_dim // 2)
    theta = np.arange(cfg.seq_len)[:, None] * 10000.0 ** (-2.0 * j / cfg.head_dim)
    return np.cos(theta).reshape(-1), np.sin(theta).reshape(-1)


def expected_size(cfg: ModelConfig, shared: bool) -> int:
    """Exact byte size of a checkpoint for this config."""
    return HEADER_BYTES + 4 * sum(int(np.prod(s)) for _, s in _file_sections(cfg, shared))


def read_checkpoint(path: str | Path) -> FloatWeights:
    """Load a llama2.c checkpoint; any mismatch raises CheckpointError naming file and field."""
    path = Path(path)
    data = path.read_bytes()
    if len(data) < HEADER_BYTES:
        raise CheckpointError(f"{path}: header: expected {HEADER_BYTES} bytes (7 int32), found {len(data)}")
    header = dict(zip(HEADER_FIELDS, (int(v) for v in np.frombuffer(data[:HEADER_BYTES], dtype="<i4"))))
    shared = header["vocab_size"] > 0
    header["vocab_size"] = abs(header["vocab_size"])
    try:
        cfg = ModelConfig(**header)
    except ConfigError as err:
        raise CheckpointError(f"{path}: header field {err.field}: {err}; header was {header}") from None
    size = expected_size(cfg, shared)
    offset = HEADER_BYTES
    arrays: dict[str, np.ndarray] = {}
    for name, shape in _file_sections(cfg, shared):
        nbytes = 4 * int(np.prod(shape))
        if offset + nbytes > len(data):
            raise CheckpointError(
                f"{path}: truncated in {name}: expected {nbytes} bytes at offset {offset}, "
                f"found {len(data) - offset} (file is {len(data)} bytes, expected {size})")
        arrays[name] = np.frombuffer(data, dtype="<f4", count=nbytes // 4, offset=offset).reshape(shape)
        offset += nbytes
    if len(data) != size:
        raise CheckpointError(
            f"{path}: {len(data) - size} trailing bytes after the last field: expected {size} bytes, "
            f"found {len(data)}")
    arrays.pop("freq_cis_real")
    arrays.pop("freq_cis_imag")
    return FloatWeights(config=cfg, **{k: v.astype(np.float64) for k, v in arrays.items()})


def write_checkpoint(weights: FloatWeights, path: str | Path) -> None:
    """Write llama2.c legacy format (float32; values are rounded to float32 on the way)."""
    cfg = weights.config
    vocab = cfg.vocab_size if weights.shared_classifier else -cfg.vocab_size
    header = [cfg.dim, cfg.hidden_dim, cfg.n_layers, cfg.n_heads, cfg.n_kv_heads, vocab, cfg.seq_len]
    cos, sin = _rope_freqs(cfg)
    rope = {"freq_cis_real": cos, "freq_cis_imag": sin}
    with open(path, "wb") as out:
        out.write(np.asarray(header, dtype="<i4").tobytes())
        for name, _ in _file_sections(cfg, weights.shared_classifier):
            value = rope[name] if name in rope else getattr(weights, name)
            out.write(np.ascontiguousarray(value, dtype="<f4").tobytes())
