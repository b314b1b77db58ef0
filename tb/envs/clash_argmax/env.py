"""The argmax env: the vocabulary ROM drawn and staged in the build phase, vectors
through the valid/ready agent, `ArgmaxScoreboard` and `ArgmaxCoverage`."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from llama_dv.tb.clash.agent import ValidReadyItem
from llama_dv.tb.clash.env import ClashEnvBase
from llama_dv.tb.clash.manifest import pack_vec
from llama_dv.tb.common.seeding import regression_seed, rng
from llama_dv.tb.envs.clash_argmax.coverage import ArgmaxCoverage
from llama_dv.tb.envs.clash_argmax.rom import ROM_FILE, vocab_rom, write_rom
from llama_dv.tb.envs.clash_argmax.scoreboard import ArgmaxScoreboard

DISTINCT_ROWS = 40
"""Distinct classifier rows the 64-row ROM is drawn from (the rest are copies: ties)."""


class ArgmaxEnv(ClashEnvBase):
    """`wm`/`we`: the vocabulary ROM the DUT loaded."""

    scoreboard_type = ArgmaxScoreboard
    coverage_type = ArgmaxCoverage

    def build_phase(self) -> None:
        super().build_phase()
        # Staged here, before the simulator's time-0 `$readmemb` of the ROM; drawn from
        # the run's seed (not the test's), so every test of a run sees the ROM it loaded.
        self.wm, self.we = vocab_rom(rng("clash_argmax_rom", regression_seed()), distinct=DISTINCT_ROWS)
        write_rom(Path.cwd() / ROM_FILE, self.wm, self.we)
        self.scoreboard.wm, self.scoreboard.we = self.wm, self.we

    def request(self, xm: np.ndarray, xe: int) -> ValidReadyItem:
        return ValidReadyItem("x", {"x": pack_vec(xm, 8), "xe": xe}, {"xm": xm, "xe": xe})
