"""Virtual driver for block-protocol kernels fed by one input stream and drained by one
output stream (rope, attention): queue the input packets, apply the per-call inputs,
run the block protocol, and check that ap_done never precedes the last output beat.

Subclasses implement `apply_inputs(call)` (scalars, memories) and `input_words(call)`.
Calls need `txn_id`, `seed`, `kind`, `expected`, `continue_delay`.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pyuvm

from tb.agents.ap_ctrl import ApCtrlItem
from tb.agents.axis import AxisPacket, AxisPacketSeq
from tb.common.protocol import ProtocolError
from tb.common.timeout import DutTimeout, level


class StreamCallDriver(pyuvm.uvm_driver):
    def __init__(self, name: str, parent: Any, env: Any) -> None:
        super().__init__(name, parent)
        self.env = env

    def build_phase(self) -> None:
        self.calls_ap = pyuvm.uvm_analysis_port("calls_ap", self)

    async def run_phase(self) -> None:
        while True:
            item = await self.seq_item_port.get_next_item()
            await self.run_calls(item.calls)
            self.seq_item_port.item_done()

    def apply_inputs(self, call: Any) -> None:
        raise NotImplementedError

    def input_words(self, call: Any) -> np.ndarray:
        raise NotImplementedError

    def check_output_complete(self, call: Any, want_packets: int) -> None:
        mon = self.env.out_r.monitor
        if mon.packets < want_packets:
            raise ProtocolError(f"ap_done of txn {call.txn_id} (seed {call.seed}) before its output packet "
                                f"completed: {len(mon.beats)} of {len(call.expected)} "
                                f"{mon.prefix} beats seen")
        self.calls_ap.write(call)

    async def run_calls(self, calls: list[Any]) -> None:
        """Run `calls` with ap_start held high between them (a list of one is a plain call)."""
        env = self.env
        base = env.out_r.monitor.packets
        for call in calls:
            env.scoreboard.expect(call)
            env.out_r.monitor.expect(call.txn_id, len(call.expected))
        packets = [AxisPacket(f"in{c.txn_id}", self.input_words(c), c.txn_id) for c in calls]
        await AxisPacketSeq("in", packets).start(env.in_stream.sequencer)
        self.apply_inputs(calls[0])
        for i, call in enumerate(calls):
            nxt = calls[i + 1] if i + 1 < len(calls) else None
            item = ApCtrlItem(f"call{call.txn_id}", call.txn_id, hold_start=nxt is not None,
                              continue_delay=call.continue_delay,
                              on_ready=(lambda c=nxt: self.apply_inputs(c)) if nxt else None,
                              on_done=lambda c=call, k=base + i + 1: self.check_output_complete(c, k))
            try:
                await env.ctrl.driver.invoke(item)
            except DutTimeout as exc:
                raise DutTimeout(f"{exc}; {self.stream_state()}") from None

    def stream_state(self) -> str:
        """Where the streams stood when a wait timed out (which side stopped moving)."""
        parts = []
        for mon in (self.env.in_stream.monitor, self.env.out_r.monitor):
            parts.append(f"{mon.prefix}: {mon.packets} packets + {len(mon.beats)} beats transferred, "
                         f"TVALID={level(mon.tvalid)} TREADY={level(mon.tready)}")
        return "; ".join(parts)
