"""M1: the sequential attention kernel against the numpy golden, every position,
several heads (independent caches), random and max-update-heavy data."""
from __future__ import annotations

import numpy as np
import pyuvm

from tb.clash.agent import ItemListSequence
from tb.clash.attend_env import SEQ_LEN, AttendEnv, random_cache
from tb.common.coverage import export_coverage
from tb.common.seeding import rng

HEADS = 4


class AttendAllPositionsTest(pyuvm.uvm_test):
    """Every head h gets its own random cache; every position 0..15 is queried."""

    def build_phase(self) -> None:
        self.env = AttendEnv("env", self)

    async def run_phase(self) -> None:
        self.raise_objection()
        await self.env.start()
        r = rng("clash_attend")
        hd = self.env.head_dim
        for head in range(HEADS):
            cache = random_cache(r, hd, rising=head % 2 == 1)
            await self.env.write_kv(*cache)
            items = []
            for pos in range(SEQ_LEN):
                q = r.integers(-(1 << 22), 1 << 22, hd)
                if head % 2 == 1:
                    q = np.abs(q)
                items.append(self.env.query(q, pos, head, cache))
            await ItemListSequence("seq", items).start(self.env.agent.sequencer)
            await self.env.wait_responses((head + 1) * SEQ_LEN)
        self.drop_objection()

    def check_phase(self) -> None:
        export_coverage()


@pyuvm.test()
class AttendAllPositions(AttendAllPositionsTest):
    pass
