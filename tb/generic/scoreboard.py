"""Compares every output argument of every call with the golden, first mismatch named.

Memory, register and m_axi outputs are handed over when the call's ap_done is seen
(`check_call`); stream outputs arrive as packets from the axis monitors and are
matched to calls in order, so several calls in flight are checked in the order the
DUT started them.
"""
from __future__ import annotations

from collections import deque
from typing import Any, Mapping

import numpy as np
import pyuvm
from cocotb.triggers import Event

from llama_dv.tb.agents.axis.item import AxisPacket
from llama_dv.tb.common.scoreboard import ScoreboardMismatch, as_signed, describe_mismatch
from llama_dv.tb.generic.arguments import Argument
from llama_dv.tb.generic.stimulus import Call


def normalise(values: Any, arg: Argument) -> np.ndarray:
    """Values as the argument's element type (`bits` wide, signed or not): wrap-around
    sums from a golden compare equal to the DUT's truncated words."""
    v = np.asarray(values, dtype=object).ravel()
    mask = (1 << arg.bits) - 1
    raw = np.array([int(x) & mask for x in v], dtype=np.int64) if arg.bits < 64 else np.asarray(values, np.int64)
    return as_signed(raw, arg.bits) if arg.signed and arg.bits < 64 else raw


class GenericScoreboard(pyuvm.uvm_component):
    """Per call: expectations registered at load time, outputs checked as they arrive."""

    def __init__(self, name: str, parent: Any, dut_name: str, arguments: list[Argument]) -> None:
        super().__init__(name, parent)
        self.dut_name = dut_name
        self.args = {a.name: a for a in arguments}
        self.streams = [a.name for a in arguments if a.is_output and a.carrier == "axis"]
        self.pending: dict[str, deque[Call]] = {s: deque() for s in self.streams}
        self.compared = 0
        self.calls_checked = 0
        self.changed = Event()

    def expect(self, call: Call) -> None:
        """The call was handed to the DUT: its stream outputs are due, in order."""
        for s in self.streams:
            self.pending[s].append(call)

    def flush(self) -> None:
        """Forget calls a reset abandoned."""
        for q in self.pending.values():
            q.clear()
        self.changed.set()

    def outstanding(self) -> int:
        return sum(len(q) for q in self.pending.values())

    def _compare(self, call: Call, name: str, actual: Any) -> None:
        arg = self.args[name]
        expected = call.expected[name]
        msg = describe_mismatch(normalise(expected, arg), normalise(actual, arg),
                                what=f"{self.dut_name} output '{name}'", txn_id=call.txn_id, seed=call.seed,
                                context=f"[{call.kind}]")
        if msg is not None:
            self.logger.error(msg)
            raise ScoreboardMismatch(msg)
        self.compared += 1

    def check_call(self, call: Call, actual: Mapping[str, Any]) -> None:
        """Outputs collected at ap_done (memories, scalars, m_axi buffers)."""
        for name, value in actual.items():
            self._compare(call, name, value)
        self.calls_checked += 1

    def stray_writes(self, call: Call, name: str, addresses: list[int]) -> None:
        """Writes into an output memory past the golden's length are failures too."""
        limit = len(call.expected[name])
        stray = sorted({a for a in addresses if a >= limit})
        if stray:
            msg = (f"{self.dut_name} output '{name}' mismatch in txn {call.txn_id} (seed {call.seed}) "
                   f"[{call.kind}]: {len(stray)} write(s) outside {name}[0..{limit - 1}], first at index {stray[0]}")
            self.logger.error(msg)
            raise ScoreboardMismatch(msg)

    def write_stream(self, name: str, packet: AxisPacket) -> None:
        if not self.pending[name]:
            msg = (f"{self.dut_name} output '{name}': unexpected packet of {len(packet.words)} words "
                   "(no call outstanding)")
            self.logger.error(msg)
            raise ScoreboardMismatch(msg)
        call = self.pending[name].popleft()
        self._compare(call, name, packet.words)
        self.changed.set()

    def check_phase(self) -> None:
        if self.compared == 0:
            raise ScoreboardMismatch(f"{self.get_full_name()}: no output was compared")
        for name, q in self.pending.items():
            if q:
                raise ScoreboardMismatch(f"{self.dut_name} output '{name}': {len(q)} call(s) never produced "
                                         f"their packet (first: txn {q[0].txn_id} [{q[0].kind}])")

    def report_phase(self) -> None:
        self.logger.info(f"{self.dut_name}: {self.calls_checked} calls matched the golden "
                         f"({self.compared} outputs compared)")


class StreamExport(pyuvm.uvm_subscriber):
    """Forwards one output stream's packets to the scoreboard under the stream's name."""

    def __init__(self, name: str, parent: Any, stream: str, scoreboard: GenericScoreboard) -> None:
        super().__init__(name, parent)
        self.stream, self.scoreboard = stream, scoreboard

    def write(self, packet: AxisPacket) -> None:
        self.scoreboard.write_stream(self.stream, packet)
