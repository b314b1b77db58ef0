"""Sequences of the control agent."""
from __future__ import annotations

import pyuvm

from llama_dv.tb.agents.s_axilite.item import ControlItem


class ControlCallSequence(pyuvm.uvm_sequence):
    """Runs one ControlItem; the item (with its CallResult) is kept in `item`."""

    def __init__(self, name: str = "control_call", item: ControlItem | None = None) -> None:
        super().__init__(name)
        self.item = item or ControlItem()

    async def body(self) -> None:
        await self.start_item(self.item)
        await self.finish_item(self.item)
