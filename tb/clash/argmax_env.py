"""Env for the argmax row-scan tops (M3): the vocabulary ROM (`wcls.bin`) is written
into the simulator's working directory when the test module is imported (before the
Verilog's `$readmemb` runs at time 0); the scoreboard checks the token against
`models.kernels.argmax_fixed` of the golden logits and the DUT's cycle counter against
the cycles the monitor measured between handshakes."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from cocotb_coverage.coverage import CoverPoint

from models.kernels import argmax_fixed
from models.numerics import matvec
from tb.clash.agent import Response, ValidReadyItem
from tb.clash.env import ClashEnvBase, PairingScoreboard
from tb.clash.manifest import mem_lines, pack_vec, to_unsigned
from tb.common.seeding import test_seed

VOCAB, DIM = 64, 64
ROM_FILE = "wcls.bin"


def vocab_rom(r: np.random.Generator, distinct: int) -> tuple[np.ndarray, np.ndarray]:
    """Classifier rows drawn from `distinct` random rows (duplicates make exact ties)."""
    base_m = r.integers(-127, 128, (distinct, DIM))
    base_e = r.integers(-9, -5, distinct)
    pick = r.integers(0, distinct, VOCAB)
    return base_m[pick], base_e[pick]


def write_rom(path: Path, wm: np.ndarray, we: np.ndarray) -> None:
    """Row i = pack (Vec DIM Act, ExpS): mantissa 0 in the most significant bits."""
    words = [(pack_vec(wm[i], 8) << 7) | to_unsigned(int(we[i]), 7) for i in range(len(wm))]
    path.write_text(mem_lines(words, DIM * 8 + 7))


@CoverPoint("clash_argmax.token", xf=lambda tok, ties: tok // 8, bins=list(range(VOCAB // 8)))
@CoverPoint("clash_argmax.tie", xf=lambda tok, ties: min(ties, 3), bins=[1, 2, 3])  # 3 = 3 or more
def sample_argmax(tok: int, ties: int) -> None:
    """Token (in 8 bands) and how many rows share the maximum logit."""


class ArgmaxScoreboard(PairingScoreboard):
    wm: np.ndarray
    we: np.ndarray

    def compare(self, item: ValidReadyItem, rsp: Response) -> None:
        xm, xe = item.context["xm"], item.context["xe"]
        logits = matvec(self.wm, self.we, xm, xe)
        tok = int(argmax_fixed(logits))
        ties = int(np.sum(logits == logits[tok]))
        where = f"vector {self.compared} ({ties} rows tie at the max)"
        self.check(np.array([tok, logits[tok]]), np.array([rsp.fields["token"], rsp.fields["logit"]]),
                   what=f"{self.top} (token, logit)", txn_id=self.compared, seed=test_seed(), context=where)
        measured = rsp.cycle - item.context["accepted_cycle"] - rsp.extra["stall_cycles"]
        if rsp.fields["cycles"] != measured:
            raise AssertionError(f"{self.top}: DUT counts {rsp.fields['cycles']} cycles for {where}, "
                                 f"the monitor measured {measured} between handshakes")
        sample_argmax(tok, ties)


class ArgmaxEnv(ClashEnvBase):
    scoreboard_type = ArgmaxScoreboard

    def use_rom(self, wm: np.ndarray, we: np.ndarray) -> None:
        self.scoreboard.wm, self.scoreboard.we = wm, we

    def request(self, xm: np.ndarray, xe: int) -> ValidReadyItem:
        return ValidReadyItem("x", {"x": pack_vec(xm, 8), "xe": xe}, {"xm": xm, "xe": xe})
