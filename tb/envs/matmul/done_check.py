"""The ap_done check of matmul: every y write of a finished run has its B response.

One call may consist of several runs (auto_restart restarts the kernel at each
ap_ready), all writing the same y buffer, and by the time a poll sees the sticky
ap_done the next run's writes may already be in flight. So y writes are attributed
to runs, not counted at each ap_done: every run writes exactly 4*d bytes of y, and
B responses of the kernel's single write ID arrive in issue order, so the first
4*d acknowledged bytes belong to run 1, the next 4*d to run 2, and so on. At the
k-th ap_done of a call, runs 1..k must be fully acknowledged; writes still open
then may only belong to a later run. A poll that misses an ap_done (two runs
finishing between reads) only makes the k-th observation refer to a later run,
which has even more bytes acknowledged, so the check never fires falsely.
"""
from __future__ import annotations

from typing import Any

import pyuvm

from llama_dv.tb.agents.m_axi.item import AxiBurst
from llama_dv.tb.agents.s_axilite.item import ControlItem
from llama_dv.tb.common.protocol import ProtocolError
from llama_dv.tb.generic.env import Sampler
from llama_dv.tb.generic.stimulus import Call

EARLY_DONE = "ap_done before the last write completed"
"""Phrase in every early-ap_done failure (the negative tests look for it)."""


class YWriteLedger:
    """Acknowledged y bytes and ap_done observations of the current call."""

    def __init__(self) -> None:
        self.call: Call | None = None
        self.acked = 0
        self.dones = 0
        self.overlapped_dones = 0
        """ap_done seen (over all calls) while a later run's writes were in flight."""

    def begin(self, call: Call) -> None:
        """A new call: nothing of its y written yet."""
        self.call, self.acked, self.dones = call, 0, 0

    def clear(self) -> None:
        """No call is being checked (between calls, or a call abandoned by reset)."""
        self.call = None

    @property
    def run_bytes(self) -> int:
        assert self.call is not None
        return 4 * int(self.call.inputs["d"])

    @property
    def what(self) -> str:
        """The call as the messages name it."""
        c = self.call
        assert c is not None
        return f"matmul txn {c.txn_id} (seed {c.seed}) [{c.kind}, n={c.inputs['n']}, d={c.inputs['d']}]"

    def on_write(self, burst: AxiBurst) -> None:
        """A write burst got its B response; count it if it wrote the call's y."""
        if self.call is None:
            return
        y = self.call.addresses["y"]
        if y <= burst.addr < y + self.run_bytes:
            self.acked += burst.nbytes

    def on_done(self, completion: str, open_writes: int) -> None:
        """The k-th ap_done of the call: runs 1..k must be written and acknowledged."""
        if self.call is None:
            return
        self.dones += 1
        k, size = self.dones, self.run_bytes
        if self.acked >= k * size:
            self.overlapped_dones += bool(open_writes)
            return
        of_run = max(0, self.acked - (k - 1) * size)
        which = f" (run {k} of the call)" if self.call.auto_restart_runs else ""
        if open_writes:
            raise ProtocolError(f"{self.what}: ap_done seen ({completion}) with {open_writes} write burst(s) "
                                f"still awaiting their B response, {of_run} of {size} bytes of y acknowledged"
                                f"{which}: {EARLY_DONE}")
        raise ProtocolError(f"{self.what}: ap_done seen ({completion}) after only {of_run} of {size} bytes of y "
                            f"were written and acknowledged{which}")

    def on_call_end(self, open_writes: int) -> None:
        """The call returned (kernel idle): whole runs written, at least one per ap_done seen."""
        if self.call is None:
            return
        txn, size = self.what, self.run_bytes
        if open_writes:
            raise ProtocolError(f"{txn}: call finished with {open_writes} write burst(s) still awaiting "
                                "their B response")
        if self.acked % size:
            raise ProtocolError(f"{txn}: {self.acked} bytes of y written over the call, not a whole number of "
                                f"runs of {size} bytes: a run stopped part-way through y")
        runs = self.acked // size
        if not self.call.auto_restart_runs and runs != 1:
            raise ProtocolError(f"{txn}: y written {runs} times in a call without auto_restart (expected once)")
        if runs < self.dones:
            raise ProtocolError(f"{txn}: {self.dones} ap_done seen but only {runs} run(s) wrote y")


class DoneCheck(pyuvm.uvm_component):
    """Feeds a YWriteLedger from the generic env: each call as it starts and when its
    ap_done was seen (the env's `call_started` / `call_ended`), gmem's write bursts at
    their B response, and every ap_done the control driver observes (`completed`)."""

    def __init__(self, name: str, env: Any) -> None:
        super().__init__(name, env)
        self.env = env
        self.ledger = YWriteLedger()
        self.started = 0
        self.done_checks = 0

    def build_phase(self) -> None:
        env = self.env
        Sampler("calls", self, self.on_start, source=lambda: env.call_started)
        Sampler("ends", self, self.on_end, source=lambda: env.call_ended)
        Sampler("bursts", self, self.on_burst, source=lambda: env.bundles["gmem"].monitor.ap)
        Sampler("dones", self, self.on_done, source=lambda: env.ctrl.driver.completed)

    def open_writes(self) -> int:
        return self.env.bundles["gmem"].monitor.outstanding_writes

    def on_start(self, call: Call) -> None:
        self.started += 1
        self.ledger.begin(call)

    def on_end(self, call: Call) -> None:
        self.ledger.on_call_end(self.open_writes())
        self.ledger.clear()

    def on_burst(self, burst: AxiBurst) -> None:
        if burst.direction == "write":
            self.ledger.on_write(burst)

    def on_done(self, item: ControlItem) -> None:
        """At each ap_done the runs it completes have every y write acknowledged."""
        self.done_checks += 1
        self.ledger.on_done(item.completion, self.open_writes())

    def check_phase(self) -> None:
        if self.started and not self.done_checks:
            raise ProtocolError("no ap_done was ever observed by the env")

    def report_phase(self) -> None:
        self.logger.info(f"ap_done checks: {self.done_checks}, {self.ledger.overlapped_dones} of them with "
                         "the next auto-restarted run's writes in flight")
