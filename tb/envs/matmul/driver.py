"""Env-level driver of matmul: turns a MatmulTransaction into memory contents and a call.

It places the buffers (above 4 GiB, often just below a 4 KiB boundary so the kernel's
burst splitting is exercised), preloads them, tells the m_axi monitor which ranges
the call may touch, runs the call through the control agent's sequencer, reads y
back and publishes the finished transaction to the scoreboard.
"""
from __future__ import annotations

import numpy as np
import pyuvm
from cocotb.triggers import Timer

from tb.agents.m_axi.config import Region
from tb.agents.s_axilite import ControlCallSequence, ControlItem
from tb.common.seeding import rng
from tb.envs.matmul.coverage import sample_transaction
from tb.envs.matmul.item import MatmulTransaction


def _word_padded(size: int) -> int:
    """Byte arrays are fetched as whole words, so a read may run up to the next word end."""
    return (size + 3) & ~3


POISON = 0xA5
"""Byte written over y before each call, so a row the kernel never writes cannot pass."""


class MatmulDriver(pyuvm.uvm_driver):
    """Consumes MatmulTransactions; publishes each finished one (with `y`) on `ap`."""

    def build_phase(self) -> None:
        self.ap = pyuvm.uvm_analysis_port("ap", self)
        self.started = 0
        self.rng = rng("matmul.driver")

    async def run_phase(self) -> None:
        while True:
            txn = await self.seq_item_port.get_next_item()
            try:
                await self.run_call(txn)
            finally:
                self.seq_item_port.item_done()

    @property
    def env(self):
        return self.parent

    def place(self, txn: MatmulTransaction) -> dict[str, int]:
        """Buffer addresses: 4-byte aligned, above 4 GiB, ends often near a 4 KiB boundary
        (or every buffer at a page start, for a page_aligned transaction)."""
        sizes = {"w": txn.d * txn.n, "w_exp": txn.d, "x": txn.n, "y": 4 * txn.d}
        cursor = (1 + int(self.rng.integers(0, 4))) << 32
        addresses = {}
        for name, size in sizes.items():
            page = (cursor + 4095) & ~4095
            room = 4096 - (size % 4096)
            if txn.placement == "page_aligned":
                offset = 0
            elif self.rng.random() < 0.5:
                offset = max(0, room - 4 * int(self.rng.integers(0, 4)))
            else:
                offset = 4 * int(self.rng.integers(0, 1024))
            addresses[name] = page + (offset & ~3)
            cursor = addresses[name] + size + 4096
        return addresses

    def load(self, txn: MatmulTransaction) -> None:
        """Place and preload the operands, poison y and arm the bounds check."""
        memory = self.env.gmem.memory
        txn.addresses = self.place(txn)
        a = txn.addresses
        memory.preload(a["w"], txn.wm.ravel(), np.int8)
        memory.preload(a["w_exp"], txn.we, np.int8)
        memory.preload(a["x"], txn.xm, np.int8)
        memory.fill(a["y"], 4 * txn.d, POISON)
        self.env.mem_cfg.regions[:] = [
            Region("w", a["w"], _word_padded(txn.d * txn.n), False), Region("w_exp", a["w_exp"], _word_padded(txn.d), False),
            Region("x", a["x"], _word_padded(txn.n), False), Region("y", a["y"], 4 * txn.d, True)]

    def control_item(self, txn: MatmulTransaction, wait_done: bool = True) -> ControlItem:
        a = txn.addresses
        args = {"w": a["w"], "w_exp": a["w_exp"], "x": a["x"], "x_exp": txn.xe, "y": a["y"],
                "n": txn.n, "d": txn.d}
        return ControlItem(f"call{txn.txn_id}", args, completion=txn.completion,
                           auto_restart_runs=txn.auto_restart_runs, wait_done=wait_done)

    async def run_call(self, txn: MatmulTransaction) -> None:
        """One full call; `y` and the timing profile are recorded on `txn`."""
        txn.txn_id = self.started
        self.started += 1
        self.load(txn)
        if not txn.back_to_back:
            await Timer(int(self.rng.integers(1, 40)) * self.env.ctrl_cfg.period_ns, "ns", round_mode="round")
        self.env.y_writes.begin(txn)
        item = self.control_item(txn)
        await ControlCallSequence(f"call{txn.txn_id}", item).start(self.env.ctrl.sequencer)
        self.env.y_writes.on_call_end(self.env.gmem.monitor.outstanding_writes)
        self.env.y_writes.clear()
        txn.y = self.env.gmem.memory.read_array(txn.addresses["y"], txn.d, np.uint32)
        txn.timing = self.env.mem_cfg.timing.name
        txn.cycles = (item.result.done_ns - item.result.start_ns) / self.env.ctrl_cfg.period_ns
        sample_transaction(txn)
        self.ap.write(txn)

    async def start_only(self, txn: MatmulTransaction) -> None:
        """Load and start a call without waiting for it (the reset-mid-operation test)."""
        txn.txn_id = self.started
        self.started += 1
        self.load(txn)
        await ControlCallSequence(f"start{txn.txn_id}", self.control_item(txn, wait_done=False)).start(
            self.env.ctrl.sequencer)
