"""Attention coverage (`clash_attend.*`, the bins M1 sign-off asks for): position, head,
online-softmax max updates and the KV rows a judged query read."""
from __future__ import annotations

from typing import Any

import pyuvm
from cocotb_coverage.coverage import CoverPoint

from llama_dv.tb.envs.clash_attend.sequences import SEQ_LEN


def _bins_upd(n: int) -> str:
    return "0" if n == 0 else "1" if n == 1 else "2-3" if n < 4 else "4+"


@CoverPoint("clash_attend.kv.pos", xf=lambda pos: pos, bins=list(range(SEQ_LEN)))
def _cov_pos(pos: int) -> None: ...


@CoverPoint("clash_attend.kv.head", xf=lambda head: head, bins=[0, 1, 2, 3])
def _cov_head(head: int) -> None: ...


@CoverPoint("clash_attend.softmax.max_updates", xf=lambda n: _bins_upd(n), bins=["0", "1", "2-3", "4+"])
def _cov_upd(n: int) -> None: ...


@CoverPoint("clash_attend.kv.row_written", xf=lambda r: r, bins=list(range(SEQ_LEN)))
def _cov_row(r: int) -> None: ...


class AttendCoverage(pyuvm.uvm_subscriber):
    """Subscribes to the scoreboard's judged (request, response) pairs."""

    def write(self, tt: Any) -> None:
        item, _ = tt
        c = item.context
        _cov_pos(c["pos"])
        _cov_head(c["head"])
        _cov_upd(c["max_updates"])
        for r in range(c["pos"] + 1):
            _cov_row(r)
