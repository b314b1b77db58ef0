"""The attention tops' scoreboard: each result against `llama_dv.models.kernels.attention_head_fixed`
on the KV snapshot the request saw, the max-update count against the golden trace and
the DUT's cycle counter against the monitor, naming position and head."""
from __future__ import annotations

from typing import Any

import numpy as np

from llama_dv.models.kernels import attention_head_fixed
from llama_dv.tb.clash.agent import Response, ValidReadyItem
from llama_dv.tb.clash.env import PairingScoreboard
from llama_dv.tb.clash.manifest import unpack_vec
from llama_dv.tb.common.seeding import test_seed


class AttendScoreboard(PairingScoreboard):
    """Notes the golden max-update count in the request's context (`max_updates`) for
    the coverage."""

    head_dim = 8

    def compare(self, item: ValidReadyItem, rsp: Response) -> None:
        c = item.context
        trace: list[dict[str, Any]] = []
        expected = attention_head_fixed(c["q"], c["km"], c["ke"], c["vm"], c["ve"], c["pos"],
                                        self.head_dim, trace=trace)
        actual = np.array(unpack_vec(rsp.fields["data"], self.head_dim, 32), dtype=np.int64)
        where = f"pos {c['pos']} head {c['head']}"
        self.check(expected, actual, what=f"{self.top} attention output", txn_id=self.compared,
                   seed=test_seed(), context=where)
        upd = int(sum(bool(t["updated"]) for t in trace))
        if rsp.fields["max_updates"] != upd:
            raise AssertionError(f"{self.top} max-update count at {where}: DUT {rsp.fields['max_updates']}, "
                                 f"golden trace {upd}")
        measured = rsp.cycle - c["accepted_cycle"] - rsp.extra["stall_cycles"]
        if rsp.fields["cycles"] != measured:
            raise AssertionError(f"{self.top} at {where}: DUT counts {rsp.fields['cycles']} cycles, "
                                 f"the monitor measured {measured} between handshakes")
        c["max_updates"] = upd
