"""ap_ctrl driver: start calls at ap_ready, collect them at ap_done, answer ap_continue.

It never counts cycles to decide when the DUT is finished: it waits for the
monitor's handshake counters, bounded by the configured timeouts. Inputs change just
after a rising edge, so the monitor's mid-cycle sample sees exactly what the DUT
samples at the next edge.

Calls are bound to the monitor's counters by order: `issue` gives each item the index
of the next call the DUT accepts, and `complete` waits for that index's ap_done. So a
dataflow or pipelined top can have several calls in flight: issue them one after
another and complete them (in any task) afterwards; `invoke` is one of each.
"""
from __future__ import annotations

from typing import Any

import pyuvm
from cocotb.triggers import Lock, RisingEdge
from cocotb.utils import get_sim_time

from llama_dv.tb.agents.ap_ctrl.bus import ApCtrlBus
from llama_dv.tb.agents.ap_ctrl.config import ApCtrlConfig
from llama_dv.tb.agents.ap_ctrl.item import ApCtrlItem
from llama_dv.tb.agents.ap_ctrl.monitor import ApCtrlMonitor
from llama_dv.tb.common.timeout import within


class ApCtrlDriver(pyuvm.uvm_driver):
    def __init__(self, name: str, parent: Any, bus: ApCtrlBus, cfg: ApCtrlConfig,
                 monitor: ApCtrlMonitor) -> None:
        super().__init__(name, parent)
        self.bus, self.cfg, self.mon = bus, cfg, monitor
        self.issued = 0
        self._continue = Lock("ap_continue")

    def idle_outputs(self) -> None:
        """Drive the block-protocol inputs to their inactive values (before/after reset)."""
        self.bus.start.value = 0
        if self.bus.cont is not None:
            self.bus.cont.value = 0

    def sync_after_reset(self) -> None:
        self.idle_outputs()
        self.issued = self.mon.dones

    async def run_phase(self) -> None:
        self.idle_outputs()
        while True:
            item = await self.seq_item_port.get_next_item()
            await self.invoke(item)
            self.seq_item_port.item_done()

    async def invoke(self, item: ApCtrlItem) -> None:
        """One call, start to finish."""
        await self.issue(item)
        await self.complete(item)

    async def issue(self, item: ApCtrlItem) -> None:
        """Raise ap_start and return once the DUT accepted the call (ap_start & ap_ready).

        `item.on_ready` runs in that cycle; ap_start is dropped after it unless
        `item.hold_start` (then the DUT may accept the next call right away).
        """
        b, cfg = self.bus, self.cfg
        target = self.issued + 1
        self.issued = target
        item.index = target - 1
        self.mon.txn_ids[item.index] = item.txn_id
        for _ in range(item.start_delay):
            await RisingEdge(b.clk)
        if self.mon.starts < target:
            await RisingEdge(b.clk)
            b.start.value = 1
        item.start_ns = get_sim_time("ns")
        await within(self.mon.wait_count("readies", target), cycles=cfg.ready_timeout_cycles,
                     period_ns=cfg.period_ns, what=f"ap_ready for txn {item.txn_id} (port {b.ready._name})")
        item.ready_ns = get_sim_time("ns")
        if item.on_ready is not None:
            item.on_ready()
        if not item.hold_start:
            await RisingEdge(b.clk)
            b.start.value = 0

    async def complete(self, item: ApCtrlItem) -> None:
        """Wait for the ap_done of an issued call (by order) and, in ap_ctrl_chain, continue it.

        `item.on_done` runs in the cycle ap_done is seen. ap_continue is only raised
        once every earlier call was continued (and their pulse ended: one owner of the
        pin at a time), so it cannot complete the wrong call.
        """
        if item.index is None:
            raise RuntimeError(f"complete({item}) before issue(): the call has no index yet")
        b, cfg = self.bus, self.cfg
        target = item.index + 1
        await within(self.mon.wait_count("done_seen", target), cycles=cfg.done_timeout_cycles,
                     period_ns=cfg.period_ns, what=f"ap_done for txn {item.txn_id} (port {b.done._name})")
        item.done_ns = get_sim_time("ns")
        if item.on_done is not None:
            item.on_done()
        if cfg.chain:
            await within(self.mon.wait_count("dones", target - 1), cycles=cfg.done_timeout_cycles,
                         period_ns=cfg.period_ns,
                         what=f"ap_continue of the calls before txn {item.txn_id}")
            async with self._continue:
                for _ in range(item.continue_delay):
                    await RisingEdge(b.clk)
                await RisingEdge(b.clk)
                b.cont.value = 1
                await within(self.mon.wait_count("dones", target), cycles=cfg.done_timeout_cycles,
                             period_ns=cfg.period_ns, what=f"ap_continue accepted for txn {item.txn_id}")
                await RisingEdge(b.clk)
                b.cont.value = 0
