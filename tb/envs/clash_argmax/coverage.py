"""Argmax coverage (`clash_argmax.*`): the token (in bands of 8) and how many rows share
the maximum logit, per judged vector."""
from __future__ import annotations

from typing import Any

import pyuvm
from cocotb_coverage.coverage import CoverPoint

from llama_dv.tb.envs.clash_argmax.rom import BAND, VOCAB


@CoverPoint("clash_argmax.token", xf=lambda tok, ties: tok // BAND, bins=list(range(VOCAB // BAND)))
@CoverPoint("clash_argmax.tie", xf=lambda tok, ties: min(ties, 3), bins=[1, 2, 3])  # 3 = 3 or more
def sample_argmax(tok: int, ties: int) -> None:
    """Token (in 8 bands) and how many rows share the maximum logit."""


class ArgmaxCoverage(pyuvm.uvm_subscriber):
    """Subscribes to the scoreboard's judged (request, response) pairs."""

    def write(self, tt: Any) -> None:
        item, _ = tt
        sample_argmax(item.context["token"], item.context["ties"])
