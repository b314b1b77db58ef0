"""The MAC engine's scoreboard: each matvec bit-exact against `llama_dv.models.numerics.matvec`,
and the DUT's cycle count against the cycles the monitor measured between handshakes."""
from __future__ import annotations

import numpy as np

from llama_dv.models.numerics import matvec
from llama_dv.tb.clash.agent import Response, ValidReadyItem
from llama_dv.tb.clash.env import PairingScoreboard
from llama_dv.tb.clash.manifest import unpack_vec
from llama_dv.tb.common.seeding import test_seed
from llama_dv.tb.envs.clash_mac.roms import MAX_COLS, Matrix


class MacScoreboard(PairingScoreboard):
    """`cycles_per_matvec`: the measured cycles of the last request on each matrix."""

    def build_phase(self) -> None:
        super().build_phase()
        self.cycles_per_matvec: dict[str, int] = {}

    def compare(self, item: ValidReadyItem, rsp: Response) -> None:
        m: Matrix = item.context["matrix"]
        case = item.context.get("case", m.name)
        expected = matvec(m.wm, m.we, item.context["xm"], item.context["xe"])
        actual = np.array(unpack_vec(rsp.fields["y"], MAX_COLS, 32)[:m.rows], dtype=np.int64)
        self.check(expected, actual, what=f"{self.top} {case} matvec ({m.rows}x{m.cols}) row",
                   txn_id=self.compared, seed=test_seed(), context=f"matrix {m.name}")
        measured = rsp.cycle - item.context["accepted_cycle"] - rsp.extra["stall_cycles"]
        if rsp.fields["cycles"] != measured:
            raise AssertionError(f"{self.top} {m.name}: DUT counts {rsp.fields['cycles']} cycles, "
                                 f"the monitor measured {measured}")
        self.cycles_per_matvec[m.name] = measured
