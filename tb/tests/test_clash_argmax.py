"""M3: greedy argmax as a row scan over the vocabulary ROM: input vectors that win every
token band and tie class (chosen with the golden), then random ones, over a ROM with
duplicated rows (exact ties), then four rows' own mantissas with input exponents that move
the logit shift from left to right (-(we + xe + 20) = 1..4: right shifts with rounding,
logits up to 2^19); cycles/token from the DUT counter and from the monitor."""
from __future__ import annotations

import os

import cocotb
import pyuvm

from llama_dv.tb.clash.unit_test import ClashUnitTest
from llama_dv.tb.common.knobs import ARGMAX_VECTORS_ENV
from llama_dv.tb.common.seeding import rng
from llama_dv.tb.envs.clash_argmax.env import ArgmaxEnv
from llama_dv.tb.envs.clash_argmax.rom import DIM, VOCAB, covering_vectors

# Icarus evaluates the 64-wide row dot product slowly (about 20 cycles/s).
_ICARUS = "icarus" in (cocotb.SIM_NAME or "").lower()
VECTORS = int(os.environ.get(ARGMAX_VECTORS_ENV, "12" if _ICARUS else "200"))


def right_shift_vectors(wm, we, r) -> list[tuple[object, int]]:
    """A row's own mantissas (its logit, the row's dot with itself, up to 2^20 before the
    shift) with xe = -(we + 20 + k), k = 1..4: that row's logit, and every row sharing its
    exponent, is its dot product shifted right by k with rounding (the covering and
    random vectors only shift left)."""
    rows = r.choice(VOCAB, 4, replace=False)
    return [(wm[row].copy(), -(int(we[row]) + 20 + k)) for k, row in enumerate(rows, start=1)]


@pyuvm.test()
class ArgmaxRandomVectors(ClashUnitTest):
    env_cls = ArgmaxEnv

    async def body(self) -> None:
        wm, we = self.env.wm, self.env.we
        r = rng("clash_argmax_x")
        vectors = covering_vectors(wm, we, r)
        vectors += right_shift_vectors(wm, we, r)
        vectors += [(r.integers(-128, 128, DIM), int(r.integers(-8, 0))) for _ in range(VECTORS - len(vectors))]
        await self.send([self.env.request(xm, xe) for xm, xe in vectors])
