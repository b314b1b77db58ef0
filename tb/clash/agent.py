"""Valid/ready agent for Clash tops: `in_valid`/`in_ready` request side and
`out_valid`/`out_ready` response side, ports named by prefix and checked against the
manifest.

Python sleeps on handshake edges: the driver wakes per cycle only while a request
waits for `in_ready`; the monitor waits for a rising `out_valid` and then samples at
the handshake, so a long computation costs no Python wake-ups.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import cocotb
import pyuvm
from cocotb.triggers import Event, FallingEdge, RisingEdge

from llama_dv.tb.clash.manifest import ClashManifest, Port, to_signed, to_unsigned
from llama_dv.tb.common.knobs import CLASH_HDL_CLOCK_ENV as HDL_CLOCK_ENV, CLASH_OUT_STALL_ENV as STALL_ENV
from llama_dv.tb.common.protocol import ProtocolError
from llama_dv.tb.common.seeding import rng


class ValidReadyItem(pyuvm.uvm_sequence_item):
    """One request: input port values (without the `in_` prefix) plus free-form
    context (e.g. position, head) the scoreboard quotes on a mismatch."""

    def __init__(self, name: str, fields: dict[str, int], context: dict[str, Any] | None = None) -> None:
        super().__init__(name)
        self.fields = fields
        self.context = context or {}


@dataclass
class Response:
    """Output port values (signed where the manifest says so) at one handshake, and
    the clock cycle of that handshake's rising edge."""

    fields: dict[str, int]
    cycle: int
    extra: dict[str, Any] = field(default_factory=dict)


class ValidReadyDriver(pyuvm.uvm_driver):
    """Drives each item's fields onto `in_<name>` and holds `in_valid` until accepted."""

    def build_phase(self) -> None:
        self.ap = pyuvm.uvm_analysis_port("ap", self)

    def bind(self, dut: Any, manifest: ClashManifest, clk: Any, cycle_counter: Any) -> None:
        self.dut, self.manifest, self.clk, self.cycles = dut, manifest, clk, cycle_counter
        self.manifest.port("in_valid")
        self.manifest.port("in_ready")
        self.dut.in_valid.value = 0

    def drive_fields(self, fields: dict[str, int]) -> None:
        for name, value in fields.items():
            port = self.manifest.port(f"in_{name}")
            getattr(self.dut, port.name).value = to_unsigned(int(value), port.width)

    async def send(self, item: ValidReadyItem) -> None:
        await FallingEdge(self.clk)
        self.drive_fields(item.fields)
        self.dut.in_valid.value = 1
        while not int(self.dut.in_ready.value):
            await FallingEdge(self.clk)
        await RisingEdge(self.clk)
        item.context["accepted_cycle"] = self.cycles()
        self.ap.write(item)
        await FallingEdge(self.clk)
        self.dut.in_valid.value = 0

    async def run_phase(self) -> None:
        while True:
            item = await self.seq_item_port.get_next_item()
            await self.send(item)
            self.seq_item_port.item_done()


class ValidReadyMonitor(pyuvm.uvm_monitor):
    """Publishes a Response for every `out_valid && out_ready` handshake. `out_ready`
    is high unless `LDV_CLASH_OUT_STALL` gives a probability of holding it low on a
    cycle with `out_valid` (backpressure; the stalled cycles are reported with the
    response so cycle counts stay comparable). While `out_ready` is low the response
    must hold: an `out_*` port that changes, or `out_valid` falling before the
    handshake, fails the test at once (ProtocolError)."""

    def build_phase(self) -> None:
        self.ap = pyuvm.uvm_analysis_port("ap", self)
        self.count = 0
        self.stalled = 0
        self.out_of_reset = Event()
        self.responded = Event()

    def bind(self, dut: Any, manifest: ClashManifest, clk: Any, cycle_counter: Any) -> None:
        self.dut, self.manifest, self.clk, self.cycles = dut, manifest, clk, cycle_counter
        self.stall_probability = float(os.environ.get(STALL_ENV, "0"))
        self.stall_rng = rng("clash_out_ready") if self.stall_probability > 0 else None
        self.out_ports = [p for p in manifest.ports.values()
                          if p.direction == "out" and p.name.startswith("out_") and p.name != "out_valid"]
        self.dut.out_ready.value = 1

    def sample(self) -> Response:
        fields = {}
        for p in self.out_ports:
            raw = int(getattr(self.dut, p.name).value)
            fields[p.name[len("out_"):]] = to_signed(raw, p.width) if p.signed else raw
        return Response(fields, -1)

    def _changes(self, held: Response, now: Response) -> str:
        """Which out_* ports moved: values for narrow ports, flipped bit positions for wide ones."""
        parts = []
        for p in self.out_ports:
            k = p.name[len("out_"):]
            if now.fields[k] == held.fields[k]:
                continue
            if p.width <= 64:
                parts.append(f"{p.name} {held.fields[k]} -> {now.fields[k]}")
            else:
                diff = to_unsigned(held.fields[k], p.width) ^ to_unsigned(now.fields[k], p.width)
                bits = [b for b in range(p.width) if diff >> b & 1]
                parts.append(f"{p.name} bit(s) {', '.join(map(str, bits[:8]))}{' ...' if len(bits) > 8 else ''} "
                             f"of {p.width} flipped")
        return "; ".join(parts)

    async def run_phase(self) -> None:
        await self.out_of_reset.wait()
        while True:
            if not int(self.dut.out_valid.value):
                await RisingEdge(self.dut.out_valid)
            await FallingEdge(self.clk)
            stalls = 0
            held: Response | None = None
            while int(self.dut.out_valid.value):
                ready = self.stall_rng is None or self.stall_rng.random() >= self.stall_probability
                self.dut.out_ready.value = int(ready)
                resp = self.sample()
                if held is not None and resp.fields != held.fields:
                    raise ProtocolError(f"{self.get_full_name()}: response {self.count} changed after {stalls} "
                                        f"cycle(s) with out_ready low ({self._changes(held, resp)})")
                await RisingEdge(self.clk)
                if ready:
                    resp.cycle = self.cycles()
                    resp.extra["stall_cycles"] = stalls
                    self.count += 1
                    self.ap.write(resp)
                    self.responded.set()
                    break
                held = held or resp
                stalls += 1
                self.stalled += 1
                await FallingEdge(self.clk)
            else:
                if stalls:
                    raise ProtocolError(f"{self.get_full_name()}: response {self.count} withdrawn after {stalls} "
                                        "cycle(s) with out_ready low (out_valid fell before the handshake)")

    def report_phase(self) -> None:
        self.logger.info("%d responses, %d cycles stalled by out_ready", self.count, self.stalled)

    async def wait_count(self, n: int) -> None:
        """Until `n` responses have been seen in total."""
        while self.count < n:
            self.responded.clear()
            await self.responded.wait()


class ValidReadyAgent(pyuvm.uvm_agent):
    """Sequencer + driver + monitor on one Clash top."""

    def build_phase(self) -> None:
        self.sequencer = pyuvm.uvm_sequencer("sequencer", self)
        self.driver = ValidReadyDriver("driver", self)
        self.monitor = ValidReadyMonitor("monitor", self)

    def connect_phase(self) -> None:
        self.driver.seq_item_port.connect(self.sequencer.seq_item_export)

    def bind(self, dut: Any, manifest: ClashManifest, clk: Any, cycle_counter: Any) -> None:
        self.driver.bind(dut, manifest, clk, cycle_counter)
        self.monitor.bind(dut, manifest, clk, cycle_counter)


class ItemListSequence(pyuvm.uvm_sequence):
    """Sends a prepared list of items in order."""

    def __init__(self, name: str, items: list[ValidReadyItem]) -> None:
        super().__init__(name)
        self.items = items

    async def body(self) -> None:
        for item in self.items:
            await self.start_item(item)
            await self.finish_item(item)


async def _first_rising_edge(clk: Any, period_ps: int, manifest: ClashManifest) -> None:
    """The first rising edge of a clock the model drives itself: it must come one period
    after time 0, as a cocotb clock started high would have it."""
    from cocotb.triggers import First, Timer
    from cocotb.utils import get_sim_time

    edge = RisingEdge(clk)
    fired = await First(edge, Timer(2 * period_ps, unit="ps"))
    now = get_sim_time("ps")
    if fired is not edge or now % period_ps:
        raise RuntimeError(f"{manifest.path}: {HDL_CLOCK_ENV}={clk._name}, but the model's clock does not run "
                           f"with period {period_ps} ps (no rising edge by {now} ps, or one off the period)")


async def start_clock_and_reset(dut: Any, manifest: ClashManifest, cycles: int = 3,
                                clock: Port | None = None, reset: Port | None = None) -> Any:
    """Every data input at 0, clock from the domain period (a cocotb clock, unless the
    model drives its own: `HDL_CLOCK_ENV`), reset with the manifest's polarity; returns
    the clock handle. `clock`/`reset` (a role map's) default to the
    manifest's clock and the reset of its domain."""
    from cocotb.clock import Clock

    clk_port, rst_port = clock or manifest.clock, reset or manifest.reset
    dom = manifest.domains.get(clk_port.domain or "") if clk_port else None
    if clk_port is None or dom is None or rst_port is None:
        raise ValueError(f"{manifest.path}: top {manifest.top} has no clock/reset domain")
    clk = getattr(dut, clk_port.name)
    rst = getattr(dut, rst_port.name)
    for p in manifest.ports.values():
        if p.direction == "in" and p.name not in (clk_port.name, rst_port.name):
            getattr(dut, p.name).value = 0
    period_ps = dom.period_ps
    hdl_clock = os.environ.get(HDL_CLOCK_ENV) == clk_port.name
    if not hdl_clock:
        cocotb.start_soon(Clock(clk, period_ps, unit="ps").start())
    active = 1 if dom.reset_polarity == "ActiveHigh" else 0
    # Reset is asserted after time 0: Icarus does not evaluate Clash's `always @(*)`
    # output decoders for a register that settles before they first wait on it.
    rst.value = 1 - active
    if hdl_clock:
        await _first_rising_edge(clk, period_ps, manifest)
    else:
        await RisingEdge(clk)
    await FallingEdge(clk)
    rst.value = active
    for _ in range(cycles):
        await RisingEdge(clk)
    await FallingEdge(clk)
    rst.value = 1 - active
    return clk
