"""Yosys structural criteria of M1 (KV cache in a memory, no register mirror) and M2
(one multiplier in the MAC engine), each shown to reject a design that breaks it."""
from __future__ import annotations

import pytest

from llama_dv.tb.clash.manifest import ClashManifest, GEN_DIR
from llama_dv.tb.clash.synth import check_no_kv_mirror, check_single_multiplier, synth_stats
from llama_dv.tb.sim.toolchain import yosys_executable

pytestmark = [
    pytest.mark.skipif(yosys_executable() is None, reason="no yosys: `make setup` installs llama-dv-yosys"),
    pytest.mark.skipif(not (GEN_DIR / "mac_matvec").is_dir(), reason="rtl/gen has no Clash output"),
]

SEQ_LEN = 16


def _stats(top: str, **kw: bool):
    return synth_stats(ClashManifest.for_top(top).verilog, top, **kw)


@pytest.mark.parametrize("top,hd", [("attend_seq_hd8", 8),
                                    pytest.param("attend_seq_hd16", 16, marks=pytest.mark.slow)])  # same check, 3x the yosys time
def test_m1_kv_cache_is_a_memory_without_mirror(top: str, hd: int) -> None:
    stats = _stats(top)
    row_bits = 2 * (hd * 8 + 7)
    check_no_kv_mirror(stats, SEQ_LEN, row_bits)
    print(f"{top}: {stats.flop_bits} flip-flop bits, memories {stats.memories}")


def test_m1_check_rejects_a_register_mirror() -> None:
    stats = _stats("attend_seq_hd8", map_memories=True)
    with pytest.raises(AssertionError, match="memory for the KV cache|register mirror"):
        check_no_kv_mirror(stats, SEQ_LEN, 2 * (8 * 8 + 7))


def test_m2_mac_engine_has_one_multiplier() -> None:
    stats = _stats("mac_matvec")
    check_single_multiplier(stats)
    assert stats.memories, "the weight ROMs were not inferred as memories"
    print(f"mac_matvec: multipliers {stats.multipliers}, memories {stats.memories}, "
          f"{stats.flop_bits} flip-flop bits")


def test_m2_check_rejects_parallel_multipliers() -> None:
    with pytest.raises(AssertionError, match="multipliers, expected exactly 1"):
        check_single_multiplier(_stats("argmax_vocab"))
