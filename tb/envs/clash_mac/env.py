"""The MAC engine env: the layer's and the directed matrices staged as ROM files in the
build phase, requests through the valid/ready agent, `MacScoreboard` and `MacCoverage`."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from llama_dv.tb.clash.agent import ValidReadyItem
from llama_dv.tb.clash.env import ClashEnvBase
from llama_dv.tb.clash.manifest import pack_vec
from llama_dv.tb.common.seeding import regression_seed, rng
from llama_dv.tb.envs.clash_mac.coverage import MacCoverage
from llama_dv.tb.envs.clash_mac.roms import MAX_COLS, Matrix, layer_matrices, write_roms
from llama_dv.tb.envs.clash_mac.scoreboard import MacScoreboard
from llama_dv.tb.envs.clash_mac.sequences import Directed, directed_cases


class MacEnv(ClashEnvBase):
    """`matrices`: the random layer; `directed`: the directed requests (and their matrices
    in `directed_matrices`), all in the ROMs."""

    scoreboard_type = MacScoreboard
    coverage_type = MacCoverage

    def build_phase(self) -> None:
        super().build_phase()
        # Staged here, before the simulator's time-0 `$readmemb` of the ROMs; drawn from
        # the run's seed (not the test's), so every test of a run sees the ROMs it loaded.
        self.matrices: list[Matrix] = layer_matrices(rng("clash_mac_weights", regression_seed()))
        self.directed_matrices, self.directed = directed_cases(self.matrices)
        write_roms(Path.cwd(), self.matrices + self.directed_matrices)

    def request(self, m: Matrix, xm: np.ndarray, xe: int, case: str | None = None,
                pad: np.ndarray | None = None) -> ValidReadyItem:
        """`pad` fills the input elements from `m.cols` on (zeros by default), which the
        engine must not read."""
        padded = np.zeros(MAX_COLS, np.int64) if pad is None else np.array(pad, np.int64)
        padded[:m.cols] = xm
        return ValidReadyItem(m.name, {"w_base": m.w_base, "e_base": m.e_base, "rows": m.rows,
                                       "cols": m.cols, "x": pack_vec(padded, 8), "xe": xe},
                              {"matrix": m, "xm": xm, "xe": xe, "case": case or m.name})


__all__ = ["Directed", "MacEnv"]
