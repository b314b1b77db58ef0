"""rmsnorm scoreboard: out[0..n-1] bit-exact with models.kernels.rmsnorm_fixed, no stray writes."""
from __future__ import annotations


import numpy as np

from tb.common.scoreboard import ArrayScoreboard, ScoreboardMismatch
from tb.envs.rmsnorm.item import RmsnormCall


class RmsnormScoreboard(ArrayScoreboard):
    def write(self, result: tuple[RmsnormCall, np.ndarray, list[int]]) -> None:
        call, actual, stray = result
        self.check(call.expected, actual, what="rmsnorm out", txn_id=call.txn_id, seed=call.seed,
                   context=f"[{call.kind}, n={call.n}]")
        if stray:
            msg = (f"rmsnorm out mismatch in txn {call.txn_id} (seed {call.seed}) [{call.kind}, n={call.n}]: "
                   f"{len(stray)} writes outside out[0..{call.n - 1}], first at index {stray[0]}")
            self.logger.error(msg)
            raise ScoreboardMismatch(msg)
