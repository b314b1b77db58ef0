"""The argmax top's scoreboard: the token and its logit against
`llama_dv.models.kernels.argmax_fixed` of the golden logits, and the DUT's cycle counter against
the cycles the monitor measured between handshakes."""
from __future__ import annotations

import numpy as np

from llama_dv.models.kernels import argmax_fixed
from llama_dv.models.numerics import matvec
from llama_dv.tb.clash.agent import Response, ValidReadyItem
from llama_dv.tb.clash.env import PairingScoreboard
from llama_dv.tb.common.seeding import test_seed


class ArgmaxScoreboard(PairingScoreboard):
    """`wm`/`we`: the staged vocabulary ROM. Notes the golden token and tie count in the
    request's context (`token`, `ties`) for the coverage."""

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
        item.context["token"], item.context["ties"] = tok, ties
