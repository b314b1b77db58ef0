"""The directed boundary calls land where their docstrings say, computed from the numerics
alone (no simulator): rounding residues, saturation edges, and enough of them that a
one-bit change of the value under the rounding point always shows in some output."""
from __future__ import annotations

import numpy as np
import pytest

from llama_dv.models import tables
from llama_dv.models.kernels import rmsnorm_fixed, rope_fixed
from llama_dv.models.numerics import FRAC, rshr, sat32
from llama_dv.tb.envs.attention import coverage as attention_cov
from llama_dv.tb.envs.attention import sequences as attention_seq
from llama_dv.tb.envs.attention.golden import golden as attention_golden
from llama_dv.tb.envs.rmsnorm import coverage as rmsnorm_cov
from llama_dv.tb.envs.rmsnorm import sequences as rmsnorm_seq
from llama_dv.tb.envs.rope import coverage as rope_cov
from llama_dv.tb.envs.rope import sequences as rope_seq

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
    inner = next(c for c in calls if c.kind == "sat_inner")
    assert rope_cov.sat_edge_bins(sat) == set(rope_seq.SAT_SUMS)
    assert rope_cov.sat_edge_bins(inner) == set(rope_seq.SAT_INNER_SUMS)


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


@pytest.mark.parametrize("seed", SEEDS)
def test_rmsnorm_final_products_are_the_golden_before_rounding(seed: int) -> None:
    for kind, inputs in rmsnorm_seq.directed(np.random.default_rng(seed)):
        x, w = inputs["x"], inputs["w"]
        assert np.array_equal(sat32(rshr(rmsnorm_seq.final_products(x, w), FRAC)), rmsnorm_fixed(x, w)), kind


@pytest.mark.parametrize("seed", SEEDS)
def test_rmsnorm_directed_hits_every_boundary_bin(seed: int) -> None:
    calls = {k: _Call(k, i) for k, i in rmsnorm_seq.directed(np.random.default_rng(seed))}
    assert rmsnorm_cov.rounding_bins(calls["rounding"]) == set(rmsnorm_seq.ROUNDING)
    assert rmsnorm_cov.sat_edge_bins(calls["sat_edges"]) == set(rmsnorm_seq.SAT_EDGES)
    x = calls["rounding"].inputs["x"]
    r = rmsnorm_seq.inv_rms(x)
    assert np.all((x[1:] * r) % (1 << FRAC) == 1 << (FRAC - 1)), "p = rshr(x*r, 20) not on its boundary"


@pytest.mark.parametrize("seed", SEEDS)
def test_attention_final_products_are_the_golden_before_rounding(seed: int) -> None:
    for kind, inputs in attention_seq.directed(np.random.default_rng(seed)):
        products = attention_seq.final_products(inputs)
        if inputs["pos"] == 0:
            assert products.size == 0, kind
            continue
        assert np.array_equal(sat32(rshr(products, FRAC)), attention_golden(**inputs)["out_r"]), kind


@pytest.mark.parametrize("seed", SEEDS)
def test_attention_directed_hits_every_boundary_bin(seed: int) -> None:
    calls = {k: _Call(k, i) for k, i in attention_seq.directed(np.random.default_rng(seed))}
    assert attention_cov.rounding_bins(calls["rounding"]) == set(attention_seq.ROUNDING)
