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
BAND = 8
"""Tokens are covered in bands of BAND consecutive rows."""
ROM_FILE = "wcls.bin"


def vocab_rom(r: np.random.Generator, distinct: int) -> tuple[np.ndarray, np.ndarray]:
    """Classifier rows drawn from `distinct` random rows (duplicates make exact ties).

    Rows 0..7 of the draw each first appear in their own token band, so every band holds
    a row that can win (ties go to the lowest index, so a later copy never does); draw 0
    stays unique, draw 1 gets two more copies and draw 2 one more, so tie counts 1, 2
    and 3 are all reachable whatever the seed."""
    bands = VOCAB // BAND
    if distinct <= bands:
        raise ValueError(f"vocab_rom: distinct={distinct} must exceed the {bands} token bands")
    base_m = r.integers(-127, 128, (distinct, DIM))
    base_e = r.integers(-9, -5, distinct)
    base_e[:bands] = -6  # no row outscales a band opener, so its own vector makes it win
    pick = r.integers(bands, distinct, VOCAB)
    openers = [band * BAND + int(r.integers(0, BAND)) for band in range(bands)]
    pick[openers] = np.arange(bands)
    later = r.permutation([p for p in range(3 * BAND, VOCAB) if p not in openers])
    pick[later[:3]] = [1, 1, 2]
    return base_m[pick], base_e[pick]


def covering_vectors(wm: np.ndarray, we: np.ndarray, r: np.random.Generator) -> list[tuple[np.ndarray, int]]:
    """Input vectors that, by the golden, win every token band and every tie class the ROM
    allows: a row's own mantissas as input make that row (or the first row equal to it)
    win. Raises naming the bins no row of this ROM can reach."""
    chosen, bands, ties = [], set(), set()
    for row in r.permutation(VOCAB):
        xm, xe = wm[row].copy(), int(r.integers(-8, -3))  # small enough that no logit saturates
        logits = matvec(wm, we, xm, xe)
        tok = int(argmax_fixed(logits))
        band, tie = tok // BAND, min(int(np.sum(logits == logits[tok])), 3)
        if band not in bands or tie not in ties:
            chosen.append((xm, xe))
            bands.add(band)
            ties.add(tie)
    missing = sorted(set(range(VOCAB // BAND)) - bands), sorted({1, 2, 3} - ties)
    if any(missing):
        raise ValueError(f"vocabulary ROM: no row wins token bands {missing[0]} / tie classes {missing[1]}")
    return chosen


def write_rom(path: Path, wm: np.ndarray, we: np.ndarray) -> None:
    """Row i = pack (Vec DIM Act, ExpS): mantissa 0 in the most significant bits."""
    words = [(pack_vec(wm[i], 8) << 7) | to_unsigned(int(we[i]), 7) for i in range(len(wm))]
    path.write_text(mem_lines(words, DIM * 8 + 7))


@CoverPoint("clash_argmax.token", xf=lambda tok, ties: tok // BAND, bins=list(range(VOCAB // BAND)))
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
