"""LLaMA-2 model shape: the one set of numbers every golden, export and RTL build shares."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass


class ConfigError(ValueError):
    """A model shape that cannot be built; `field` names the offending parameter."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


@dataclass(frozen=True)
class ModelConfig:
    """Hyper-parameters in llama2.c header order (dim .. seq_len)."""

    dim: int
    hidden_dim: int
    n_layers: int
    n_heads: int
    n_kv_heads: int
    vocab_size: int
    seq_len: int

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise ConfigError(f.name, f"must be an int, got {value!r}")
            if value <= 0:
                raise ConfigError(f.name, f"must be positive, got {value}")
        if self.dim % self.n_heads:
            raise ConfigError("n_heads", f"{self.n_heads} does not divide dim {self.dim}")
        if (self.dim // self.n_heads) % 2:
            raise ConfigError("dim", f"head_dim {self.dim // self.n_heads} must be even for RoPE pairs")
        if self.n_kv_heads > self.n_heads or self.n_heads % self.n_kv_heads:
            raise ConfigError("n_kv_heads", f"{self.n_kv_heads} must divide n_heads {self.n_heads}")

    @property
    def head_dim(self) -> int:
        return self.dim // self.n_heads

    @property
    def kv_dim(self) -> int:
        return self.head_dim * self.n_kv_heads

    @property
    def group(self) -> int:
        """Query heads per KV head (GQA): query head h reads KV head h // group."""
        return self.n_heads // self.n_kv_heads

    def to_dict(self) -> dict[str, int]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> "ModelConfig":
        names = [f.name for f in dataclasses.fields(cls)]
        missing = [n for n in names if n not in values]
        if missing:
            raise ConfigError(missing[0], "missing")
        return cls(**{n: values[n] for n in names})


SMALL = ModelConfig(dim=64, hidden_dim=128, n_layers=2, n_heads=4, n_kv_heads=2, vocab_size=64, seq_len=16)
"""The configuration the RTL is built for."""

NAMED_CONFIGS: dict[str, ModelConfig] = {"small": SMALL}


def named_config(name: str) -> ModelConfig:
    try:
        return NAMED_CONFIGS[name]
    except KeyError:
        raise ConfigError("config", f"unknown name {name!r}; known: {', '.join(sorted(NAMED_CONFIGS))}") from None
