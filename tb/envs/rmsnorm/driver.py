"""rmsnorm virtual driver: loads memories and `n`, then runs the block protocol."""
from __future__ import annotations

from typing import Any

import numpy as np
import pyuvm

from tb.agents.ap_ctrl import ApCtrlItem
from tb.envs.rmsnorm.item import RmsnormCall, RmsnormItem

POISON = 0x5EADBEEF
"""Fill value of `out` before every call: a word the kernel never wrote stays visible."""


class RmsnormDriver(pyuvm.uvm_driver):
    def __init__(self, name: str, parent: Any, env: Any) -> None:
        super().__init__(name, parent)
        self.env = env

    def build_phase(self) -> None:
        self.results = pyuvm.uvm_analysis_port("results", self)

    async def run_phase(self) -> None:
        while True:
            item: RmsnormItem = await self.seq_item_port.get_next_item()
            await self.run_calls(item.calls)
            self.seq_item_port.item_done()

    def load_inputs(self, call: RmsnormCall) -> None:
        self.env.x_mem.model.preload(call.x)
        self.env.w_mem.model.preload(call.w)
        self.env.scalar("n").value = call.n

    def collect(self, call: RmsnormCall) -> None:
        out = self.env.out_mem.model
        actual = out.contents(call.n)
        stray = [int(a) + call.n for a in np.flatnonzero(out.mem[call.n:] != POISON)]
        out.fill(POISON)
        self.results.write((call, actual, stray))

    async def run_calls(self, calls: list[RmsnormCall]) -> None:
        """Run `calls` with ap_start held high between them (a burst of one is a plain call)."""
        self.env.out_mem.model.fill(POISON)
        self.load_inputs(calls[0])
        for i, call in enumerate(calls):
            nxt = calls[i + 1] if i + 1 < len(calls) else None
            item = ApCtrlItem(f"call{call.txn_id}", call.txn_id, hold_start=nxt is not None,
                              on_ready=(lambda c=nxt: self.load_inputs(c)) if nxt else None,
                              on_done=lambda c=call: self.collect(c))
            await self.env.ctrl.driver.invoke(item)
