"""ap_ctrl monitor: timestamps every invocation and asserts the block-protocol rules.

Samples at falling edges (mid-cycle, so both simulators see settled values) only
while a call is in flight or a handshake output is high; while the block is idle it
sleeps on value changes of ap_start / ap_done / ap_ready, so long idle stretches cost
no Python.

Calls are tracked by order, as dataflow and pipelined tops overlap them: a call is
*accepted* in the cycle ap_start and ap_ready are both high, and each ap_done
completes the oldest accepted call not yet done (ap_ctrl_chain: held until
ap_continue). Rules (UG1399): ap_done only with an accepted call in flight; ap_ready
only while ap_start is high; ap_idle low while any call is in flight; in
ap_ctrl_chain, ap_done stays high until ap_continue is sampled high; ap_idle high
while the block has nothing to do.

The last rule allows for legal Vitis timing: the block counts as having nothing to do
once every started call completed (chain: was continued) or reset was released, and
ap_start stayed low for `idle_grace_cycles` after that (ap_idle may rise a cycle or
so late, and falls in the cycle ap_start is sampled). A separate task checks it at
that moment and then on every ap_idle change until the next ap_start, so a long idle
stretch still costs no Python per cycle. `settle()` gives that check its cycles
before a test ends.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import cocotb
import pyuvm
from cocotb.triggers import Event, FallingEdge, First, ValueChange
from cocotb.utils import get_sim_time

from llama_dv.tb.agents.ap_ctrl.bus import ApCtrlBus
from llama_dv.tb.agents.ap_ctrl.config import ApCtrlConfig
from llama_dv.tb.common.protocol import ProtocolError
from llama_dv.tb.common.timeout import level


@dataclass
class ApCtrlTiming:
    """One observed invocation, in ns of simulation time."""

    index: int
    start_ns: float
    ready_ns: float | None = None
    done_ns: float | None = None
    continue_ns: float | None = None
    idle_gap_cycles: int | None = None  # cycles from the previous done to this start (0: overlapped)
    continue_stall_cycles: int = 0      # cycles ap_done waited for ap_continue

    @property
    def back_to_back(self) -> bool:
        return self.idle_gap_cycles is not None and self.idle_gap_cycles <= 1


class ApCtrlMonitor(pyuvm.uvm_component):
    """Counts calls and publishes an ApCtrlTiming per completed one.

    Counters, all monotonic: `starts` (ap_start raised for a new call), `readies`
    (calls accepted), `done_seen` (ap_done seen), `dones` (completed, i.e. continued in
    ap_ctrl_chain). `starts - readies` is 0 or 1; `readies - done_seen` is how many
    calls are in flight (its maximum is kept in `max_in_flight`).
    """

    def __init__(self, name: str, parent: Any, bus: ApCtrlBus, cfg: ApCtrlConfig) -> None:
        super().__init__(name, parent)
        self.bus, self.cfg = bus, cfg
        self.starts = self.readies = self.done_seen = self.dones = 0
        self.max_in_flight = 0
        self.timings: list[ApCtrlTiming] = []
        self.txn_ids: dict[int, int] = {}  # invocation index -> txn id, filled in by the driver
        self.errors: list[str] = []
        self._waiters: list[tuple[str, int, Event]] = []
        self._last_done_cycle: int | None = None
        self._epoch = 0             # bumped when a call starts or reset is asserted: ends an idle check
        self._quiet = Event()       # set when the block is left with nothing to do
        self._wake = Event()        # set with every epoch, wakes an idle check sleeping on ap_idle
        self._quiet_since = ""      # why it has nothing to do, for the message

    def build_phase(self) -> None:
        self.ap = pyuvm.uvm_analysis_port("ap", self)

    def reset_state(self) -> None:
        """Forget in-flight calls after the DUT was reset mid-operation."""
        self.starts = self.readies = self.done_seen = self.dones
        del self.timings[self.dones:]
        self.txn_ids = {k: v for k, v in self.txn_ids.items() if k < self.dones}
        self._last_done_cycle = None
        if self.bus.rst is None:  # without the reset pin this is the only sign of a reset
            self._went_quiet("the DUT was reset")

    @property
    def in_flight(self) -> int:
        """Calls accepted at ap_ready whose ap_done has not been seen yet."""
        return self.readies - self.done_seen

    def _txn(self, index: int) -> str:
        """'txn <id>, ' for messages, when the driver named invocation `index`."""
        return f"txn {self.txn_ids[index]}, " if index in self.txn_ids else ""

    def _cycle(self) -> int:
        """Clock cycles since time 0 (samples fall mid-cycle, so no rounding at half periods)."""
        return int(get_sim_time("ns") // self.cfg.period_ns)

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
        cocotb.start_soon(self._watch_idle())
        if b.rst is not None:
            cocotb.start_soon(self._watch_reset())
        while True:
            if self.starts == self.dones and 1 not in (level(b.start), level(b.done), level(b.ready)):
                await First(ValueChange(b.start), ValueChange(b.done), ValueChange(b.ready))
            await FallingEdge(b.clk)
            if b.rst is not None and level(b.rst) == b.reset_asserted:
                self.reset_state()
                continue
            self._sample(level(b.start), level(b.done), level(b.idle), level(b.ready),
                         level(b.cont) if chain else None)

    def _sample(self, start: int | None, done: int | None, idle: int | None, ready: int | None,
                cont: int | None) -> None:
        now, cyc, b = get_sim_time("ns"), self._cycle(), self.bus
        if start == 1 and self.starts == self.readies:
            self._new_call(now, cyc)
        if ready == 1:
            if start != 1:
                self._violation(f"ap_ready high while ap_start is low (no call {self.readies} to accept; "
                                f"port {b.ready._name})")
            else:
                self.timings[self.readies].ready_ns = now
                self._bump("readies")
        if idle == 1 and self.starts > self.done_seen:
            oldest, count = self.done_seen, self.starts - self.done_seen
            state = "accepted, its ap_done not seen" if oldest < self.readies else "ap_start high, not yet accepted"
            more = f", {count} calls in flight" if count > 1 else ""
            self._violation(f"ap_idle high while invocation {oldest} is in flight ({self._txn(oldest)}{state}; "
                            f"port {b.idle._name}{more})")
        if self.cfg.chain:
            self._sample_chain_done(done, cont, now, cyc)
        elif done == 1 and self._done(now):
            self._finish(self.timings[self.done_seen - 1], cyc)
        self.max_in_flight = max(self.max_in_flight, self.in_flight)

    def _new_call(self, now: float, cyc: int) -> None:
        """ap_start raised for the next call (accepted later, at its ap_ready)."""
        if self.starts > self.dones:
            gap: int | None = 0  # an earlier call is still running: overlapped, no idle cycle
        else:
            gap = None if self._last_done_cycle is None else cyc - self._last_done_cycle
        self.timings.append(ApCtrlTiming(index=self.starts, start_ns=now, idle_gap_cycles=gap))
        self._bump("starts")
        self._new_epoch()

    def _done(self, now: float) -> bool:
        """ap_done seen: it belongs to the oldest accepted call not done yet (False if none)."""
        idx, b = self.done_seen, self.bus
        if idx >= self.starts:
            self._violation(f"ap_done without a preceding ap_start: no accepted call is unfinished "
                            f"(invocation {idx} was not started; port {b.done._name})")
            return False
        if idx >= self.readies:
            self._violation(f"ap_done of invocation {idx} before its ap_ready ({self._txn(idx)}port {b.done._name})")
            return False
        self.timings[idx].done_ns = now
        self._bump("done_seen")
        return True

    def _finish(self, t: ApCtrlTiming, cyc: int) -> None:
        """Invocation `t` completed (ap_done, or ap_done + ap_continue in chain mode)."""
        self._last_done_cycle = cyc
        self._bump("dones")
        if self.starts > self.dones:
            # the next start was already pending when this one completed: no idle cycle
            self.timings[self.dones].idle_gap_cycles = 0
        else:
            self._went_quiet(f"invocation {t.index} completed ({self._txn(t.index)}cycle {cyc})")
        self.ap.write(t)

    def _sample_chain_done(self, done: int | None, cont: int | None, now: float, cyc: int) -> None:
        if self.done_seen > self.dones:  # ap_done of call `dones` is waiting for ap_continue
            t = self.timings[self.dones]
            if done != 1:
                self._violation(f"ap_done of invocation {self.dones} dropped before ap_continue "
                                f"({self._txn(self.dones)}port {self.bus.done._name})")
                self._finish(t, cyc)
                return
            if cont == 1:
                t.continue_ns = now
                self._finish(t, cyc)
            else:
                t.continue_stall_cycles += 1
            return
        if done == 1 and self._done(now):
            t = self.timings[self.dones]
            if cont == 1:
                t.continue_ns = now
                self._finish(t, cyc)
            else:
                t.continue_stall_cycles = 1

    # --- ap_idle with nothing to do ------------------------------------------------------

    def _new_epoch(self) -> None:
        """A call started or reset was asserted: any idle check in progress no longer applies."""
        self._epoch += 1
        self._wake.set()

    def _went_quiet(self, since: str) -> None:
        """The block has nothing to do from now on (until the next ap_start)."""
        self._new_epoch()
        self._quiet_since = since
        self._quiet.set()

    async def _watch_reset(self) -> None:
        """Reset assertion ends an idle check; its release starts one."""
        b = self.bus
        asserted = level(b.rst) == b.reset_asserted
        while True:
            await ValueChange(b.rst)
            value = level(b.rst)
            if value == b.reset_asserted:
                asserted = True
                self._new_epoch()
            elif asserted and value == 1 - b.reset_asserted:
                asserted = False
                self._went_quiet(f"reset was released (cycle {self._cycle()})")

    async def _watch_idle(self) -> None:
        """ap_idle high `idle_grace_cycles` after the block was left with nothing to do, and
        on every ap_idle change after that until ap_start rises (sampled mid-cycle)."""
        b = self.bus
        while True:
            await self._quiet.wait()
            self._quiet.clear()
            self._wake.clear()
            epoch, since = self._epoch, self._quiet_since
            for _ in range(self.cfg.idle_grace_cycles):
                await FallingEdge(b.clk)
            while self._epoch == epoch and self.starts == self.dones:
                if level(b.start) == 1:
                    break  # a call is starting: ap_idle falls with ap_start
                idle = level(b.idle)
                if idle != 1:
                    self._idle_low(idle, since)
                    break
                await First(ValueChange(b.idle), ValueChange(b.start), self._wake.wait())
                await FallingEdge(b.clk)

    def _idle_low(self, idle: int | None, since: str) -> None:
        last = self.timings[self.dones - 1] if self.dones else None
        done = "none since the test began" if last is None else (
            f"invocation {last.index} ({self._txn(last.index)}ap_done at {last.done_ns:g} ns)")
        self._violation(f"ap_idle {'X' if idle is None else 'low'} with no call in flight (every call started "
                        f"is done, ap_start low) at cycle {self._cycle()}, at least {self.cfg.idle_grace_cycles} "
                        f"cycles after {since}; port {self.bus.idle._name}; last completed call: {done}")

    async def settle(self) -> None:
        """Give a block with nothing to do the cycles in which its ap_idle is checked (call
        before a test ends: otherwise a block stuck busy after its last call goes unseen)."""
        if self.starts == self.dones:
            for _ in range(self.cfg.idle_grace_cycles + 2):
                await FallingEdge(self.bus.clk)
