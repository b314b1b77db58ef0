"""The directed boundary calls land where their docstrings say, computed from the numerics
alone (no simulator): rounding residues, saturation edges, and enough of them that a
one-bit change of the value under the rounding point always shows in some output."""
from __future__ import annotations

import numpy as np
import pytest

from models import tables
from models.kernels import rope_fixed
from models.numerics import FRAC, rshr, sat32
from tb.envs.rope import coverage as rope_cov
from tb.envs.rope import sequences as rope_seq

SEEDS = [0, 1, 7, 12345]


class _Call:
    """What a covergroup reads of a Call."""

    def __init__(self, kind: str, inputs: dict) -> None:
        self.kind, self.inputs = kind, inputs


@pytest.mark.parametrize("seed", SEEDS)
def test_rope_pre_round_is_the_golden_before_rounding(seed: int) -> None:
    for kind, inputs in rope_seq.directed(np.random.default_rng(seed)):
        x, pos = inputs["in_r"], inputs["pos"]
        assert np.array_equal(sat32(rshr(rope_seq.pre_round(x, pos), FRAC)), rope_fixed(x, pos, 16, 16)), kind


@pytest.mark.parametrize("seed", SEEDS)
def test_rope_directed_hits_every_boundary_bin(seed: int) -> None:
    calls = [_Call(k, i) for k, i in rope_seq.directed(np.random.default_rng(seed))]
    assert set().union(*map(rope_cov.rounding_bins, calls)) == set(rope_seq.ROUNDING)
    assert set().union(*map(rope_cov.sat_edge_bins, calls)) == set(rope_seq.SAT_EDGES)
    sat = next(c for c in calls if c.kind == "sat_edges")
    assert rope_cov.sat_edge_bins(sat) == set(rope_seq.SAT_EDGES)


@pytest.mark.parametrize("output", [0, 1])
@pytest.mark.parametrize("seed", SEEDS)
def test_rope_rounding_calls_show_every_low_accumulator_bit(seed: int, output: int) -> None:
    """Flipping bit k < 20 of the first product (the RTL's accumulator) of one output
    changes some result of the rounding calls, for every k."""
    cos, sin = tables.rope_tables(rope_seq.SEQ_LEN, rope_seq.HEAD_DIM)
    calls = [i for k, i in rope_seq.directed(np.random.default_rng(seed)) if k.startswith("rounding_")]
    assert len(calls) == 3
    for bit in range(FRAC):
        seen = False
        for inputs in calls:
            x, pos = np.asarray(inputs["in_r"], np.int64), inputs["pos"]
            j = (np.arange(0, x.size, 2) % rope_seq.HEAD_DIM) // 2
            first = x[0::2] * (cos[pos, j] if output == 0 else sin[pos, j])
            sums = rope_seq.pre_round(x, pos)[output::2]
            flipped = sums - first + (first ^ (1 << bit))
            seen |= bool(np.any(sat32(rshr(flipped, FRAC)) != sat32(rshr(sums, FRAC))))
        assert seen, f"y{output}: a flip of accumulator bit {bit} changes no output of the rounding calls"
