"""Backdoor reads of the decoder's KV cache: rows straight out of the block RAM of the
`kv_cache` instance (`LlamaDv.Decoder.kvCache`), without a port or a clock cycle.

The write-port monitor sees what the decoder writes; the backdoor sees what is stored,
so a later write over an earlier row, or a row the write port never reached, shows
up when attention is about to read the cache. Verilator models make this one memory
public (`tb/clash/duts.py`, `BACKDOOR_MEMORIES`); Icarus exposes it as it is.
"""
from __future__ import annotations

from typing import Any

from llama_dv.tb.clash.manifest import unpack_vec

INSTANCE = "kv_cache"
"""Instance name of the KV-cache component in every decoder top."""

MEMORY = "result_RAM"
"""Clash's name of the block RAM inside that component."""

ACT_BITS, EXP_BITS = 8, 7


class KvCacheBackdoor:
    """Rows of a (mantissa K, exponent K, mantissa V, exponent V) cache, `head_dim`
    int8 mantissas each, packed as Clash packs the tuple (first field most significant)."""

    def __init__(self, ram: Any, head_dim: int) -> None:
        self.ram, self.head_dim = ram, head_dim

    @classmethod
    def from_dut(cls, dut: Any, head_dim: int, path: str = f"{INSTANCE}.{MEMORY}") -> "KvCacheBackdoor":
        """The memory at the dotted hierarchical `path` below the top (a role map's
        `kv_cache`; by default the project's decoder tops')."""
        ram = dut
        try:
            for part in path.split("."):
                ram = getattr(ram, part)
        except AttributeError as err:
            raise AttributeError(f"{dut._name}: no KV-cache memory {path} to read by backdoor "
                                 f"(regenerate rtl/gen, or build Verilator with BACKDOOR_MEMORIES public)") from err
        return cls(ram, head_dim)

    def row(self, addr: int) -> tuple[list[int], int, list[int], int]:
        """(K mantissas, K exponent, V mantissas, V exponent) stored at `addr`."""
        word = int(self.ram[addr].value)
        mant_bits = self.head_dim * ACT_BITS
        ve = word & ((1 << EXP_BITS) - 1)
        v = (word >> EXP_BITS) & ((1 << mant_bits) - 1)
        ke = (word >> (EXP_BITS + mant_bits)) & ((1 << EXP_BITS) - 1)
        k = word >> (2 * EXP_BITS + mant_bits)
        return (unpack_vec(k, self.head_dim, ACT_BITS), unpack_vec(ke, 1, EXP_BITS)[0],
                unpack_vec(v, self.head_dim, ACT_BITS), unpack_vec(ve, 1, EXP_BITS)[0])
