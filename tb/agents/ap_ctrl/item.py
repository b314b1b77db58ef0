"""ap_ctrl transaction: one kernel invocation (start ... done)."""
from __future__ import annotations

from typing import Callable

import pyuvm


class ApCtrlItem(pyuvm.uvm_sequence_item):
    """Start the kernel once.

    `hold_start` keeps ap_start high after ap_ready so the next invocation follows
    without an idle cycle; `on_ready` runs in the cycle ap_ready is seen (apply the next
    inputs there), `on_done` in the cycle ap_done is seen (collect outputs there).
    `continue_delay` is how many cycles ap_continue is withheld (ap_ctrl_chain only).
    `index` is the monitor's invocation index of this call, set by the driver's `issue`.
    """

    def __init__(self, name: str = "ap_ctrl_item", txn_id: int = 0, *, hold_start: bool = False,
                 continue_delay: int = 0, start_delay: int = 0,
                 on_ready: Callable[[], None] | None = None,
                 on_done: Callable[[], None] | None = None) -> None:
        super().__init__(name)
        self.txn_id = txn_id
        self.hold_start = hold_start
        self.continue_delay = continue_delay
        self.start_delay = start_delay
        self.on_ready = on_ready
        self.on_done = on_done
        self.start_ns: float | None = None
        self.ready_ns: float | None = None
        self.done_ns: float | None = None
        self.index: int | None = None

    def __str__(self) -> str:
        return (f"ApCtrlItem(txn {self.txn_id}, hold_start={self.hold_start}, "
                f"continue_delay={self.continue_delay})")
