"""ap_ctrl monitor: timestamps every invocation and asserts the block-protocol rules.

Samples at falling edges (mid-cycle, so both simulators see settled values) only
while an invocation is in flight; while the block is idle it sleeps on value changes
of ap_start / ap_done / ap_ready, so long idle stretches cost no Python.

Rules (UG1399): ap_done only after a start; ap_ready only while ap_start is high and
an invocation is in flight; ap_idle low from start to done; in ap_ctrl_chain, ap_done
stays high until ap_continue is sampled high.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pyuvm
from cocotb.triggers import Event, FallingEdge, First, ValueChange
from cocotb.utils import get_sim_time

from tb.agents.ap_ctrl.bus import ApCtrlBus
from tb.agents.ap_ctrl.config import ApCtrlConfig
from tb.common.protocol import ProtocolError
from tb.common.timeout import level


@dataclass
class ApCtrlTiming:
    """One observed invocation, in ns of simulation time."""

    index: int
    start_ns: float
    ready_ns: float | None = None
    done_ns: float | None = None
    continue_ns: float | None = None
    idle_gap_cycles: int | None = None  # cycles from the previous done to this start
    continue_stall_cycles: int = 0      # cycles ap_done waited for ap_continue

    @property
    def back_to_back(self) -> bool:
        return self.idle_gap_cycles is not None and self.idle_gap_cycles <= 1


class ApCtrlMonitor(pyuvm.uvm_component):
    """Counts starts / readies / dones and publishes an ApCtrlTiming per completed run."""

    def __init__(self, name: str, parent: Any, bus: ApCtrlBus, cfg: ApCtrlConfig) -> None:
        super().__init__(name, parent)
        self.bus, self.cfg = bus, cfg
        self.starts = self.readies = self.done_seen = self.dones = 0
        self.timings: list[ApCtrlTiming] = []
        self.errors: list[str] = []
        self._waiters: list[tuple[str, int, Event]] = []
        self._busy = False
        self._done_pending = False  # chain: ap_done high, not yet continued
        self._last_done_cycle: int | None = None

    def build_phase(self) -> None:
        self.ap = pyuvm.uvm_analysis_port("ap", self)

    def reset_state(self) -> None:
        """Forget in-flight state after the DUT was reset mid-operation."""
        self._busy = self._done_pending = False
        self.starts = self.readies = self.done_seen = self.dones
        self._last_done_cycle = None

    def _cycle(self) -> int:
        return int(round(get_sim_time("ns") / self.cfg.period_ns))

    async def wait_count(self, kind: str, target: int) -> None:
        """Wait until counter `kind` ('starts', 'readies', 'done_seen', 'dones') reaches `target`."""
        if getattr(self, kind) >= target:
            return
        ev = Event()
        self._waiters.append((kind, target, ev))
        await ev.wait()

    def _bump(self, kind: str) -> None:
        setattr(self, kind, getattr(self, kind) + 1)
        now = getattr(self, kind)
        keep = []
        for k, t, ev in self._waiters:
            if k == kind and now >= t:
                ev.set()
            else:
                keep.append((k, t, ev))
        self._waiters = keep

    def _violation(self, msg: str) -> None:
        full = f"ap_ctrl protocol violation at {get_sim_time('ns'):g} ns: {msg}"
        self.errors.append(full)
        if self.cfg.check_protocol:
            self.logger.error(full)
            raise ProtocolError(full)

    async def run_phase(self) -> None:
        b, chain = self.bus, self.cfg.chain
        while True:
            if not self._busy and not self._done_pending and level(b.start) != 1:
                await First(ValueChange(b.start), ValueChange(b.done), ValueChange(b.ready))
            await FallingEdge(b.clk)
            if b.rst is not None and level(b.rst) == b.rst_asserted:
                self.reset_state()
                continue
            self._sample(level(b.start), level(b.done), level(b.idle), level(b.ready),
                         level(b.cont) if chain else None)

    def _sample(self, start: int | None, done: int | None, idle: int | None, ready: int | None,
                cont: int | None) -> None:
        now, cyc = get_sim_time("ns"), self._cycle()
        if start == 1 and not self._busy and not (self.cfg.chain and self._done_pending and self.readies < self.starts):
            self._busy = True
            gap = None if self._last_done_cycle is None else cyc - self._last_done_cycle
            self.timings.append(ApCtrlTiming(index=self.starts, start_ns=now, idle_gap_cycles=gap))
            self._bump("starts")
        if self._busy and idle == 1:
            self._violation(f"ap_idle high while invocation {self.starts - 1} is in flight")
        if ready == 1:
            if start != 1:
                self._violation("ap_ready high while ap_start is low")
            elif self.readies >= self.starts:
                self._violation("ap_ready without a pending ap_start")
            else:
                self.timings[self.readies].ready_ns = now
                self._bump("readies")
        if self.cfg.chain:
            self._sample_chain_done(done, cont, now, cyc)
        elif done == 1:
            self._complete(now, cyc)

    def _finish(self, t: ApCtrlTiming, cyc: int) -> None:
        """Invocation `t` completed (ap_done, or ap_done + ap_continue in chain mode)."""
        self._last_done_cycle = cyc
        self._bump("dones")
        if self.starts > self.dones:
            # the next start was already pending when this one completed: no idle cycle
            self.timings[self.dones].idle_gap_cycles = 0
        self.ap.write(t)

    def _complete(self, now: float, cyc: int) -> None:
        idx = self.dones
        if idx >= self.starts:
            self._violation("ap_done without a preceding ap_start")
            return
        t = self.timings[idx]
        t.done_ns = now
        if t.ready_ns is None:
            self._violation(f"ap_done of invocation {idx} before its ap_ready")
        self._busy = False
        self._bump("done_seen")
        self._finish(t, cyc)

    def _sample_chain_done(self, done: int | None, cont: int | None, now: float, cyc: int) -> None:
        if self._done_pending:
            t = self.timings[self.dones]
            if done != 1:
                self._violation(f"ap_done of invocation {self.dones} dropped before ap_continue")
                self._done_pending = False
                return
            if cont == 1:
                self._done_pending = False
                t.continue_ns = now
                self._finish(t, cyc)
            else:
                t.continue_stall_cycles += 1
            return
        if done == 1:
            idx = self.dones
            if idx >= self.starts:
                self._violation("ap_done without a preceding ap_start")
                return
            t = self.timings[idx]
            t.done_ns = now
            if t.ready_ns is None:
                self._violation(f"ap_done of invocation {idx} before its ap_ready")
            self._busy = False
            self._bump("done_seen")
            if cont == 1:
                t.continue_ns = now
                self._finish(t, cyc)
            else:
                self._done_pending = True
                t.continue_stall_cycles = 1
