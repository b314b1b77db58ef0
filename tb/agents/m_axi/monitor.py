"""Passive monitor of an `m_axi` master: assembles bursts and checks AXI4 rules.

cocotbext-axi's memory model trusts the master; this monitor does not. It fails with a
message naming the burst when the kernel:

* issues an INCR burst that crosses a 4 KiB boundary, a reserved burst type, a WRAP
  burst of illegal length, or a beat size wider than the data bus;
* sets WLAST on any beat but the last, or omits it on the last;
* sends more write beats than the bursts it announced;
* with `w_after_aw` (the master documents AW before W), has a W beat accepted before
  its burst's AW handshake (a handshake in the same cycle is in order);
* touches memory outside the buffers it was given (when regions are configured), or
  writes into a read-only buffer;
* leaves a response with an error code unnoticed (logged as a failure too).

It publishes every completed burst (`AxiBurst`) for coverage and keeps the number of
write bursts still awaiting their B response, which the env checks at ap_done.
"""
from __future__ import annotations

from collections import deque

import cocotb
import pyuvm
from cocotb.triggers import ReadOnly
from cocotb.utils import get_sim_time
from cocotbext.axi.axi_channels import AxiARMonitor, AxiAWMonitor, AxiBMonitor, AxiRMonitor, AxiWMonitor

from llama_dv.tb.agents.axi_logs import quiet_models, quiet_port_logger
from llama_dv.tb.agents.m_axi.bus import vitis_axi_bus
from llama_dv.tb.agents.m_axi.config import MAxiConfig
from llama_dv.tb.agents.m_axi.item import AxiBurst
from llama_dv.tb.common.protocol import ProtocolError, check_no_violations
from llama_dv.tb.common.timeout import level as signal_level

BURST_FIXED, BURST_INCR, BURST_WRAP = 0, 1, 2


class MAxiMonitor(pyuvm.uvm_monitor):
    """Publishes completed AxiBursts on `ap`; raises ProtocolError on a rule violation."""

    def build_phase(self) -> None:
        self.cfg: MAxiConfig = pyuvm.ConfigDB().get(self, "", MAxiConfig.CONFIG_KEY)
        self.ap = pyuvm.uvm_analysis_port("ap", self)
        self.violations: list[str] = []
        self.raise_on_violation = True
        self._clear()
        self.max_outstanding_writes = 0
        self.max_outstanding_reads = 0
        self.bursts_seen = 0

    def _clear(self) -> None:
        self._writes_wanting_data: deque[AxiBurst] = deque()
        self._writes_wanting_resp: deque[AxiBurst] = deque()
        self._orphan_beats: deque[tuple[int, int, int]] = deque()
        self._reads: dict[int, deque[AxiBurst]] = {}
        self._last_aw: AxiBurst | None = None
        self.write_bursts_announced = 0  # AW handshakes since reset
        self.outstanding_writes = 0
        self.outstanding_reads = 0

    def start_of_simulation_phase(self) -> None:
        cfg = self.cfg
        args = cfg.cocotbext_reset()
        bus = vitis_axi_bus(cfg.dut, cfg.prefix)
        quiet_port_logger(cfg.dut, cfg.prefix, cfg.verbose)
        self._aw = AxiAWMonitor(bus.write.aw, *args)
        self._w = AxiWMonitor(bus.write.w, *args)
        self._b = AxiBMonitor(bus.write.b, *args)
        self._ar = AxiARMonitor(bus.read.ar, *args)
        self._r = AxiRMonitor(bus.read.r, *args)
        quiet_models(self._aw, self._w, self._b, self._ar, self._r, verbose=cfg.verbose)
        self.data_bytes = len(self._w.bus.wdata) // 8

    async def run_phase(self) -> None:
        cocotb.start_soon(self._aw_loop())
        cocotb.start_soon(self._w_loop())
        cocotb.start_soon(self._b_loop())
        cocotb.start_soon(self._r_loop())
        cocotb.start_soon(self._resets())
        await self._ar_loop()

    def check_phase(self) -> None:
        check_no_violations(self.get_full_name(), self.violations, "AXI")

    @property
    def quiet(self) -> bool:
        """No burst in flight in either direction."""
        return self.outstanding_writes == 0 and self.outstanding_reads == 0

    def _fail(self, message: str) -> None:
        text = f"{self.cfg.prefix} @ {get_sim_time('ns'):g} ns: {message}"
        self.violations.append(text)
        self.logger.error(text)
        if self.raise_on_violation:
            raise ProtocolError(text)

    async def _resets(self) -> None:
        level = self.cfg.reset_asserted
        while True:
            await self.cfg.reset.value_change
            if signal_level(self.cfg.reset) == level:
                self._clear()

    # --- address phase checks -----------------------------------------------------------

    def _new_burst(self, direction: str, t) -> AxiBurst:
        p = "aw" if direction == "write" else "ar"
        burst = AxiBurst(f"{direction}_burst", direction, int(getattr(t, f"{p}addr")),
                         int(getattr(t, f"{p}len", 0)) + 1, int(getattr(t, f"{p}size", 2)),
                         int(getattr(t, f"{p}burst", BURST_INCR)), int(getattr(t, f"{p}id", 0)))
        burst.issue_ns = get_sim_time("ns")
        if (1 << burst.size) > self.data_bytes:
            self._fail(f"{burst}: beat size {1 << burst.size} bytes exceeds the {self.data_bytes}-byte bus")
        if burst.burst == 3:
            self._fail(f"{burst}: reserved burst type 3")
        if burst.burst == BURST_INCR and (burst.addr >> 12) != ((burst.end - 1) >> 12):
            self._fail(f"{burst}: crosses a 4 KiB boundary (0x{burst.addr:x} .. 0x{burst.end - 1:x})")
        if burst.burst == BURST_WRAP and burst.length not in (2, 4, 8, 16):
            self._fail(f"{burst}: WRAP burst length must be 2, 4, 8 or 16")
        if burst.burst == BURST_FIXED and burst.length > 16:
            self._fail(f"{burst}: FIXED burst longer than 16 beats")
        self._check_region(burst)
        return burst

    def _check_region(self, burst: AxiBurst) -> None:
        regions = self.cfg.regions
        if not regions:
            return
        start, end = burst.addr, burst.end
        inside = [r for r in regions if r.holds(start, end)]
        known = ", ".join(f"{r.name} 0x{r.base:x}+{r.size}" for r in regions)
        if not inside:
            self._fail(f"{burst}: bytes 0x{start:x}..0x{end - 1:x} are outside every buffer ({known})")
        elif burst.direction == "write" and not any(r.writable for r in inside):
            self._fail(f"{burst}: writes into read-only buffer {inside[0].name}")

    # --- channel loops ----------------------------------------------------------------

    async def _aw_loop(self) -> None:
        while True:
            burst = self._new_burst("write", await self._aw.recv())
            self._last_aw = burst
            self.write_bursts_announced += 1
            burst.outstanding_at_issue = self.outstanding_writes
            self.outstanding_writes += 1
            self.max_outstanding_writes = max(self.max_outstanding_writes, self.outstanding_writes)
            self._writes_wanting_data.append(burst)
            while self._orphan_beats and self._writes_wanting_data:
                self._take_beat(*self._orphan_beats.popleft())

    async def _w_loop(self) -> None:
        while True:
            w = await self._w.recv()
            beat = (int(w.wdata), int(getattr(w, "wstrb", (1 << self.data_bytes) - 1)), int(w.wlast))
            if not self._writes_wanting_data and self.cfg.w_after_aw:
                await ReadOnly()  # an AW accepted in the same cycle is taken first
                if not self._writes_wanting_data:
                    self._w_before_aw(*beat)  # then kept for its AW, as without w_after_aw
            if self._writes_wanting_data:
                self._take_beat(*beat)
            elif len(self._orphan_beats) > 256:
                self._fail("more than 256 write beats without a write address: W data with no AW burst")
            else:
                self._orphan_beats.append(beat)

    def _w_before_aw(self, data: int, strb: int, last: int) -> None:
        """A W beat with every announced burst's data complete: its own AW is still to come."""
        n = self.write_bursts_announced
        before = f"; the write burst before it: {self._last_aw}" if self._last_aw is not None else ""
        self._fail(f"write burst {n + 1} since reset: W beat (WDATA=0x{data:x}, WSTRB=0x{strb:x}, WLAST={last}) "
                   f"accepted before the burst's AW handshake ({n} AW bursts seen, each with all its data"
                   f"{before}); w_after_aw is set: this master issues AW before W")

    def _take_beat(self, data: int, strb: int, last: int) -> None:
        burst = self._writes_wanting_data[0]
        burst.data.append(data)
        burst.strobes.append(strb)
        beat, final = len(burst.data), len(burst.data) == burst.length
        if last and not final:
            self._fail(f"{burst}: WLAST on beat {beat} of {burst.length}")
        if final and not last:
            self._fail(f"{burst}: WLAST missing on the last beat ({beat} of {burst.length})")
        if final:
            self._writes_wanting_data.popleft()
            self._writes_wanting_resp.append(burst)

    async def _b_loop(self) -> None:
        while True:
            b = await self._b.recv()
            if not self._writes_wanting_resp:
                continue
            burst = self._writes_wanting_resp.popleft()
            burst.resp = int(getattr(b, "bresp", 0))
            burst.done_ns = get_sim_time("ns")
            self.outstanding_writes -= 1
            if burst.resp:
                self._fail(f"{burst}: write response BRESP={burst.resp}")
            self.bursts_seen += 1
            self.ap.write(burst)

    async def _ar_loop(self) -> None:
        while True:
            burst = self._new_burst("read", await self._ar.recv())
            burst.outstanding_at_issue = self.outstanding_reads
            self.outstanding_reads += 1
            self.max_outstanding_reads = max(self.max_outstanding_reads, self.outstanding_reads)
            self._reads.setdefault(burst.axi_id, deque()).append(burst)

    async def _r_loop(self) -> None:
        while True:
            r = await self._r.recv()
            queue = self._reads.get(int(getattr(r, "rid", 0)))
            if not queue:
                continue
            burst = queue[0]
            burst.data.append(int(r.rdata))
            resp = int(getattr(r, "rresp", 0))
            burst.resp |= resp
            if len(burst.data) == burst.length:
                queue.popleft()
                burst.done_ns = get_sim_time("ns")
                self.outstanding_reads -= 1
                self.bursts_seen += 1
                self.ap.write(burst)
