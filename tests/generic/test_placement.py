"""m_axi buffer placement policies: above 4 GiB, aligned, never overlapping within a call,
and for `near_boundary` often ending just below a 4 KiB boundary (the burst split)."""
from __future__ import annotations

import numpy as np
import pytest

from llama_dv.tb.generic.placement import PAGE, BufferPlacer, PlacementError


def _calls(policy: str, sizes: list[int], count: int = 200) -> list[list[tuple[int, int]]]:
    placer = BufferPlacer(np.random.default_rng(7))
    out = []
    for _ in range(count):
        placer.new_call()
        out.append([(placer.place(size, policy), size) for size in sizes])
    return out


@pytest.mark.parametrize("policy", ["anywhere", "near_boundary", "page_aligned"])
def test_buffers_are_high_aligned_and_apart(policy: str) -> None:
    for buffers in _calls(policy, [2048, 100, 7, 4000]):
        assert all(address >= 1 << 32 and address % 4 == 0 for address, _ in buffers)
        spans = sorted(buffers)
        assert all(a + size <= b for (a, size), (b, _) in zip(spans, spans[1:])), spans


def test_page_aligned_starts_pages_and_near_boundary_ends_near_them() -> None:
    assert all(a % PAGE == 0 for call in _calls("page_aligned", [100, 5000]) for a, _ in call)
    ends = [(a + size) % PAGE for call in _calls("near_boundary", [100, 5000, 4096]) for a, size in call]
    near = sum(1 for e in ends if e == 0 or e >= PAGE - 12)
    assert 0.3 * len(ends) < near < 0.8 * len(ends), near


def test_unknown_policy_is_named() -> None:
    with pytest.raises(PlacementError, match="buffer placement 'random': expected one of anywhere, near_boundary"):
        BufferPlacer(np.random.default_rng(1)).place(4, "random")
