"""MAC engine coverage (`clash_mac.*`): which layer matrix each judged matvec used."""
from __future__ import annotations

from typing import Any

import pyuvm
from cocotb_coverage.coverage import CoverPoint

from llama_dv.tb.envs.clash_mac.roms import LAYER


@CoverPoint("clash_mac.matrix", xf=lambda name: name, bins=list(LAYER))
def sample_matrix(name: str) -> None:
    """Which weight matrix a compared matvec used."""


class MacCoverage(pyuvm.uvm_subscriber):
    """Subscribes to the scoreboard's judged (request, response) pairs."""

    def write(self, tt: Any) -> None:
        item, _ = tt
        name = item.context["matrix"].name
        if name in LAYER:
            sample_matrix(name)
