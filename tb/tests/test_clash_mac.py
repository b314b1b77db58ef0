"""M2: the one-multiplier MAC engine computes every matvec of a SMALL layer (Q, K, V,
O, W1, W2, W3) bit-exact from weights in ROM; cycles per matvec are recorded. Directed
requests first (`llama_dv.tb.envs.clash_mac.sequences.directed_cases`: rounding and saturation boundaries
of the fused scale shift, every exponent code, the smallest shape, the longest row
under bit patterns, an odd row count next to the limit at the ROM ends), then the
layer's random ones."""
from __future__ import annotations

import os

import cocotb
import pyuvm

from llama_dv.tb.clash.unit_test import ClashUnitTest
from llama_dv.tb.common.knobs import MAC_VECTORS_ENV
from llama_dv.tb.common.seeding import rng
from llama_dv.tb.envs.clash_mac.env import MacEnv
from llama_dv.tb.envs.clash_mac.roms import MAX_COLS

_ICARUS = "icarus" in (cocotb.SIM_NAME or "").lower()
VECTORS_PER_MATRIX = int(os.environ.get(MAC_VECTORS_ENV, "1" if _ICARUS else "2"))


@pyuvm.test()
class MacLayerMatvecs(ClashUnitTest):
    env_cls = MacEnv

    async def body(self) -> None:
        r = rng("clash_mac_x")
        # Input elements past a directed request's columns hold junk the engine must not read.
        junk = rng("clash_mac_pad")
        items = [self.env.request(d.matrix, d.xm, d.xe, case=d.case, pad=junk.integers(-128, 128, MAX_COLS))
                 for d in self.env.directed]
        items += [self.env.request(m, r.integers(-128, 128, m.cols), int(r.integers(-9, 0)))
                  for m in self.env.matrices for _ in range(VECTORS_PER_MATRIX)]
        await self.send(items)
        self.env.logger.info("cycles per matvec: %s", self.env.scoreboard.cycles_per_matvec)
