"""What the decoder's monitor and driver publish: KV rows and finished heads as they
appear, the response of a request, a reset in the middle of a token; and the SMALL
config's sizes and KV address map they are read with."""
from __future__ import annotations

from dataclasses import dataclass, field

from llama_dv.models.config import SMALL

TOP = "decoder_small"
HEAD_DIM = SMALL.head_dim
SEQ = SMALL.seq_len
N_KV = SMALL.n_kv_heads
N_HEADS = SMALL.n_heads
N_LAYERS = SMALL.n_layers
VOCAB = SMALL.vocab_size


@dataclass
class KvRowSeen:
    """One KV row at the write port (or, for the prefill pipeline, a layer's KV RAM)."""

    layer: int
    kv_head: int
    pos: int
    k: list[int]
    ke: int
    v: list[int]
    ve: int


@dataclass
class HeadSeen:
    """One attention head as the DUT finished it."""

    layer: int
    head: int
    max_updates: int
    out: list[int]


@dataclass
class TokenResult:
    """The response of one request, with the rows and heads the monitor saw before it."""

    pos: int
    token: int
    logits: list[int]
    cycles: int | None
    """The DUT's own count (None: the role map has no cycle counter)."""
    measured_cycles: int
    kv_rows: list[KvRowSeen] = field(default_factory=list)
    heads: list[HeadSeen] = field(default_factory=list)


@dataclass(frozen=True)
class MidTokenReset:
    """A reset that cut a request short, after `kv_rows` KV rows of it were written."""

    kv_rows: int

    @property
    def when(self) -> str:
        return "after_kv_write" if self.kv_rows else "before_kv_write"


def decode_kv_addr(addr: int) -> tuple[int, int, int]:
    """KV block-RAM address -> (layer, KV head, position): address = (layer*2 + kvh)*16 + pos."""
    return addr // (N_KV * SEQ), (addr // SEQ) % N_KV, addr % SEQ


def kv_addr(layer: int, kv_head: int, pos: int) -> int:
    """Inverse of `decode_kv_addr`."""
    return (layer * N_KV + kv_head) * SEQ + pos
