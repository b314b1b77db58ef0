"""The argmax top's vocabulary ROM (`wcls.bin`, written by the env's build phase before
the Verilog's time-0 `$readmemb`) and the input vectors, chosen with the golden, that
win every token band and tie class it allows."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from llama_dv.models.kernels import argmax_fixed
from llama_dv.models.numerics import matvec
from llama_dv.tb.clash.manifest import mem_lines, pack_vec, to_unsigned

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
